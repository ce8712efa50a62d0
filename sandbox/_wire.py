"""Framing between the trusted parent and a fork server: a JSON header plus raw byte blobs.

Raw `os.read`/`os.write` on file descriptors only: no buffered stream objects, so a forked
child can never inherit (and replay) half-read control data. JSON, never pickle, because the
parent must not deserialise objects produced next to hostile code. Stdlib only: the fork server
loads this file by path.
"""

from __future__ import annotations

import json
import os
import struct

MAX_HEADER = 1 << 20
MAX_BLOB = 1 << 30


class WireError(Exception):
    """The peer closed the stream or sent something malformed."""


def _read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise WireError("stream closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def send(fd: int, header: dict, blobs: tuple[bytes | bytearray | memoryview, ...] = ()) -> None:
    """Header and blobs in one gathered write: the blobs are never copied, so a sender that
    wipes its buffers afterwards leaves no copy of them behind."""
    views = [memoryview(b).cast("B") for b in blobs]
    header = dict(header, _blobs=[v.nbytes for v in views])
    raw = json.dumps(header, separators=(",", ":")).encode()
    parts = [memoryview(struct.pack("<I", len(raw)) + raw), *(v for v in views if v.nbytes)]
    while parts:
        n = os.writev(fd, parts[:1024])  # IOV_MAX
        while n and n >= parts[0].nbytes:
            n -= parts.pop(0).nbytes
        if n:
            parts[0] = parts[0][n:]


def recv(fd: int) -> tuple[dict, list[bytearray]]:
    (n,) = struct.unpack("<I", _read_exact(fd, 4))
    if n > MAX_HEADER:
        raise WireError("header too large")
    try:
        header = json.loads(_read_exact(fd, n))
    except ValueError as exc:
        raise WireError(f"bad header: {exc}") from None
    if not isinstance(header, dict):
        raise WireError("header is not an object")
    sizes = header.pop("_blobs", [])
    if not isinstance(sizes, list) or not all(
        isinstance(s, int) and 0 <= s <= MAX_BLOB for s in sizes
    ):
        raise WireError("bad blob sizes")
    return header, [_read_into(fd, s) for s in sizes]


def _read_into(fd: int, n: int) -> bytearray:
    """Read straight into one mutable buffer (no intermediate copies), so the receiver can wipe
    it after use and leave nothing behind for a later fork to find."""
    buf = bytearray(n)
    view = memoryview(buf)
    pos = 0
    while pos < n:
        got = os.readv(fd, [view[pos:]])
        if not got:
            raise WireError("stream closed")
        pos += got
    return buf


def wipe(*bufs: bytearray | bytes) -> None:
    for b in bufs:
        if isinstance(b, bytearray) and b:
            memoryview(b)[:] = bytes(len(b))
