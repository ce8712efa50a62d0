"""Hostile programs that more than one sandbox test file runs, and what checks their aftermath:
`containment()`, the one check every hostile run in the sandbox tests goes through."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fnmatch
import os
import re
import shutil
import stat
import struct
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from r1reward.sandbox import Limits

if TYPE_CHECKING:
    from r1reward.sandbox import Sandbox

# The attack files' sandbox: tight enough that each attack ends in seconds.
FAST = Limits(cpu_s=2, wall_s=3, memory_mb=256, output_bytes=1 << 16, processes=16)

# Each child stays under the per-process cap (RLIMIT_AS); together they hold about 1 GB.
_FORKED_HOGS = """
import mmap, os, time
for i in range(8):
    if os.fork() == 0:
        {detach}
        data = {alloc}
        for i in range(0, len(data), 4096):
            data[i] = 1
        time.sleep(60)
        os._exit(0)
{parent}
"""
_MODES = {
    "children": ("", "bytearray(120 << 20)", "for _ in range(8): os.wait()"),
    # orphans in their own sessions, while the program itself has exited
    "setsid-orphans": (
        "os.setsid()\n        if os.fork(): os._exit(0)",
        "bytearray(120 << 20)",
        "time.sleep(60)",
    ),
    # shared anonymous memory is shmem, not anonymous memory, to the kernel's accounting
    "shared-mappings": (
        "",
        "mmap.mmap(-1, 120 << 20, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)",
        "for _ in range(8): os.wait()",
    ),
}
HOG_MODES = tuple(_MODES)


def forked_hogs(mode: str) -> str:
    detach, alloc, parent = _MODES[mode]
    return _FORKED_HOGS.format(detach=detach, alloc=alloc, parent=parent)


def descendants(root: int) -> set[int]:
    """Every process below `root` (by the parent pids in /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = set(), [root]
    while todo:
        for kid in children.get(todo.pop(), []):
            out.add(kid)
            todo.append(kid)
    return out


# ---- the containment check every hostile run goes through --------------------------------------
# What a sandboxed program must never see or print. Also in the environment the sandbox is
# started from (a worker must not pass it on) and in the canary file below.
SECRET = "r1-secret-" + uuid.uuid4().hex
os.environ["R1_TEST_SECRET"] = SECRET


def _make_canary() -> Path:
    """A host file holding the secret, in a directory a program can name: /var/tmp is neither
    hidden nor covered inside the sandbox, so only Landlock keeps it out (a canary under /tmp
    would sit behind the private tmpfs). Its atime is set before its mtime, so that with
    relatime (and strictatime) any read, even one that printed nothing, moves it; our own reads
    use O_NOATIME."""
    base = "/var/tmp" if os.access("/var/tmp", os.W_OK | os.X_OK) else None
    home = Path(tempfile.mkdtemp(prefix="r1canary-", dir=base))
    atexit.register(shutil.rmtree, home, True)
    return home / "answer.txt"


CANARY = _make_canary()


def read_quietly(path: str | os.PathLike) -> bytes:
    """A file's contents, with O_NOATIME where this user may (its owner, or root): reading the
    canary otherwise moves the atime the containment check watches."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOATIME", 0))
    except PermissionError:
        fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 1 << 20)
    finally:
        os.close(fd)


def _read_canary() -> str:
    return read_quietly(CANARY).decode()


def _canary_state() -> tuple:
    st, home = CANARY.stat(), CANARY.parent.stat()
    return (
        _read_canary(),
        (st.st_ino, st.st_size, st.st_mode, st.st_mtime_ns, st.st_ctime_ns, st.st_atime_ns),
        (sorted(os.listdir(CANARY.parent)), home.st_mode, home.st_mtime_ns),
    )


def _rearm_canary() -> None:
    global _CANARY_BEFORE
    CANARY.write_text(SECRET)
    os.utime(CANARY, ns=(0, CANARY.stat().st_mtime_ns))
    _CANARY_BEFORE = _canary_state()


_CANARY_BEFORE: tuple = ()
_rearm_canary()

# Top-level names a watched directory may gain, lose or change during a run without the run
# having touched the host. Only the sandbox's own: each Worker makes an `r1sandbox-*` directory in
# the temp directory when it starts and removes it when it closes (a replaced worker or a Sandbox
# made inside the checked block); a run never does either (its directory is under the worker's
# private tmpfs, or inside that directory in the fallback without one). A worker of a concurrent
# test process does the same at any time. Nothing else: pytest makes tmp_path before a test
# body and captures output in unlinked files (no entry).
# On a host where other processes write the top level of a watched directory while the tests run
# (a shared development machine: other test runs' scratch files in /tmp), R1_TEST_HOST_NOISE
# adds full-path glob patterns (comma-separated, e.g. "/tmp/probe*"); CI leaves it unset.
# Always allowed: our workers' own directories, made at start and removed at close; services'
# private directories (systemd's PrivateTmp), which appear whenever a service starts; and
# another test session's canary (ours is checked by its contents and times instead).
_ALLOWED = [
    os.path.join(tempfile.gettempdir(), "r1sandbox-*"),
    "/tmp/systemd-private-*",
    "/var/tmp/systemd-private-*",
    "/var/tmp/r1canary-*",
] + [p.strip() for p in os.environ.get("R1_TEST_HOST_NOISE", "").split(",") if p.strip()]


_UNNAMED = re.compile(r"#[0-9]+")


# The file the check's own test makes in /tmp; another session's probe is allowed, ours is not.
PROBE = Path(tempfile.gettempdir()) / f"r1-probe-{uuid.uuid4().hex}"


def _allowed(path: str) -> bool:
    if os.path.basename(path).startswith("r1-probe-") and path != str(PROBE):
        return True
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in _ALLOWED)


def _watched_dirs() -> list[str]:
    """Where an escape would leave a trace: the shared temporary and memory directories, system
    configuration, and the caller's directories that the sandbox hides. Those this user cannot
    list (root's home, for `nobody`) are left out."""
    found: list[str] = []
    for d in (
        "/dev/shm",
        "/tmp",
        tempfile.gettempdir(),
        "/var/tmp",
        "/etc",
        os.getcwd(),
        os.path.expanduser("~"),
    ):
        real = os.path.realpath(d)
        if real not in found and os.path.isdir(real) and os.access(real, os.R_OK | os.X_OK):
            found.append(real)
    return found


def _listing(d: str) -> tuple[tuple, dict[str, tuple]]:
    """The directory's own mode and mtime, and each top-level entry's identity, mode and owner;
    for a file (or link, fifo...) also its size, mtime and ctime (a write, chmod or utime; ctime
    cannot be set back). Not a subdirectory's mtime: that is its own contents, a level down."""
    st = os.stat(d)
    entries: dict[str, tuple] = {}
    with os.scandir(d) as it:
        for entry in it:
            try:
                s = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # removed while we listed: absent
                continue
            key: tuple = (s.st_dev, s.st_ino, s.st_mode, s.st_uid, s.st_gid)
            if not stat.S_ISDIR(s.st_mode):
                key += (s.st_size, s.st_mtime_ns, s.st_ctime_ns)
            entries[entry.name] = key
    return (st.st_ino, st.st_mode, st.st_mtime_ns), entries


class _Inotify:
    """Names of top-level entries created, removed, renamed, written or changed in the watched
    directories: catches an entry made and removed within a run (which a before/after listing
    misses) and says which names moved a directory's mtime. None where inotify is not available."""

    MODIFY, ATTRIB, CLOSE_WRITE, MOVED_FROM, MOVED_TO, CREATE, DELETE = (
        0x2,
        0x4,
        0x8,
        0x40,
        0x80,
        0x100,
        0x200,
    )
    Q_OVERFLOW = 0x4000
    MASK = MODIFY | ATTRIB | CLOSE_WRITE | MOVED_FROM | MOVED_TO | CREATE | DELETE

    def __init__(self, dirs: list[str]) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        self.dirs: dict[int, str] = {}
        if self.fd < 0:
            return
        for d in dirs:
            wd = libc.inotify_add_watch(self.fd, d.encode(), self.MASK)
            if wd >= 0:
                self.dirs[wd] = d

    def names(self) -> dict[str, set[str]] | None:
        """Names per directory since the last call; None if events were lost (queue overflow)."""
        out: dict[str, set[str]] = {}
        lost = False
        while self.fd >= 0:
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                break
            i = 0
            while i < len(data):
                wd, mask, _, size = struct.unpack_from("iIII", data, i)
                name = data[i + 16 : i + 16 + size].rstrip(b"\0").decode(errors="surrogateescape")
                i += 16 + size
                lost |= bool(mask & self.Q_OVERFLOW)
                if wd in self.dirs and name:
                    out.setdefault(self.dirs[wd], set()).add(name)
        return None if lost or self.fd < 0 else out


_inotify: _Inotify | None = None


def _open_here() -> set[tuple[int, int]]:
    """(device, inode) of the regular files open in this process (pytest keeps a copy of the
    stdout it was started with, a log file when the output is redirected)."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            st = os.stat(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            found.add((st.st_dev, st.st_ino))
    return found


def _host_changes(before: dict, events: dict[str, set[str]] | None) -> list[str]:
    """What changed on the host since `before`, but for the allowed names."""
    problems = []
    own = _open_here()
    for d, (own_before, entries_before) in before.items():
        try:
            own_after, entries_after = _listing(d)
        except OSError as exc:
            problems.append(f"{d}: {exc}")
            continue
        changed = {
            n
            for n in entries_before.keys() | entries_after.keys()
            if entries_before.get(n) != entries_after.get(n)
        }
        if events is not None:
            # "#<inode>" is how inotify names a file opened with O_TMPFILE, which has no entry
            # (pytest captures output in such files in the temp directory): not a host entry
            changed |= {n for n in events.get(d, set()) if not _UNNAMED.fullmatch(n)}
        # files this test process holds open: its own output (`pytest > /tmp/log`), which
        # grows while the run goes on; a sandboxed program never holds our descriptors
        ours = {
            n
            for entries in (entries_before, entries_after)
            for n, key in entries.items()
            if key[:2] in own
        }
        bad = sorted(n for n in changed - ours if not _allowed(os.path.join(d, n)))
        if bad:
            problems.append(f"{d}: {bad} appeared, vanished or changed")
        elif own_after != own_before and not changed:
            # mode or mtime moved with no name to show for it: an entry came and went unseen
            problems.append(f"{d}: the directory itself changed ({own_before} -> {own_after})")
    return problems


def _secrets_in(raw) -> list[str]:
    ex = raw.execution
    found = [
        name for name, text in (("stdout", ex.stdout), ("stderr", ex.stderr)) if SECRET in text
    ]
    needle = SECRET.encode()
    for name in ("channel", "peer_output", "collected"):
        if needle in getattr(raw, name, b""):
            found.append(name)
    return found


class Containment:
    """The runs of a `containment()` block (every run of a watched sandbox: run, run_raw,
    run_tests and compiles all go through `_dispatch`); `watch` adds a Sandbox made inside the
    block."""

    def __init__(self) -> None:
        self.runs: list = []  # RawRun of every run of the watched sandboxes, in order
        self._patched: list = []

    def watch(self, sb: Sandbox) -> None:
        real = sb._dispatch

        def dispatch(header, blobs, lim):
            raw = real(header, blobs, lim)
            self.runs.append(raw)
            return raw

        sb._dispatch = dispatch
        self._patched.append(sb)

    def _unwatch(self) -> None:
        for sb in self._patched:
            vars(sb).pop("_dispatch", None)
        self._patched.clear()


@contextlib.contextmanager
def containment(*sandboxes: Sandbox) -> Iterator[Containment]:
    """Around hostile runs: once the block is done, check that
    - no process it started is left: our descendants are those from before plus the fork
      servers of workers the watched sandboxes started meanwhile (a worker and its PID 1);
    - the secret is in no run's stdout, stderr, result channel, peer output or collected file;
    - the host is untouched: the top level of /dev/shm, /tmp, /var/tmp, /etc, the cwd and $HOME
      (names, identity, mode, and files' size and times; see _ALLOWED for the only exceptions),
      and the canary file (contents, times: not even read) and its directory.
    The checks are skipped when the block itself raised: its failure is the one to see."""
    global _inotify
    dirs = _watched_dirs()
    if _inotify is None:
        _inotify = _Inotify(dirs)
    guard = Containment()
    for sb in sandboxes:
        guard.watch(sb)
    baseline = descendants(os.getpid())
    before = {d: _listing(d) for d in dirs}
    _inotify.names()  # drain: only what happens from here on counts
    try:
        yield guard
    finally:
        events = _inotify.names()
        watched = list(guard._patched)
        guard._unwatch()
    new_workers = [w for sb in watched for w in list(sb._all) if w.pid not in baseline]
    servers = {pid for w in new_workers for pid in (w.pid, _server_of(w))}
    left = descendants(os.getpid()) - baseline - servers
    assert not left, f"processes outlived their run: {_describe(left)}"
    leaks = [(i, where) for i, raw in enumerate(guard.runs) if (where := _secrets_in(raw))]
    assert not leaks, f"the secret reached a run's output: {leaks}"
    problems = _host_changes(before, events)
    assert not problems, "the host changed: " + "; ".join(problems)
    if _canary_state() != _CANARY_BEFORE:
        _rearm_canary()  # so that later tests are judged on their own runs
        raise AssertionError("the canary file was read or changed")


def _children(pid: int) -> set[int]:
    return {p for p in descendants(pid) if _ppid(p) == pid}


def _ppid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _describe(pids: set[int]) -> list[str]:
    out = []
    for pid in sorted(pids):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            out.append(f"{pid}: {cmd[:80]}")
        except OSError:
            out.append(str(pid))
    return out


def fork_servers(sb: Sandbox) -> list[int]:
    """The host pid of each worker's forking server: PID 1 of the worker's pid namespace (the
    worker process's child), or the worker process itself without one."""
    return [_server_of(w) for w in sb._all]


def _server_of(worker) -> int:
    return next((k for k in _children(worker.pid) if _is_pid1(k)), worker.pid)


def _is_pid1(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("NSpid:"):
                    return line.split()[-1] == "1"
    except OSError:
        pass
    return False


def vm_rss_kb(pid: int) -> int:
    """Resident memory of a process (VmRSS of its status), in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise LookupError(f"no VmRSS for {pid}")


def run_processes(sb: Sandbox) -> set[int]:
    """Host pids of the processes the sandbox's workers are running now: everything below the
    fork servers."""
    servers = {w.pid for w in sb._all} | set(fork_servers(sb))
    return {p for w in sb._all for p in descendants(w.pid)} - servers


def wait_for_a_run(sb: Sandbox, timeout: float = 5.0) -> set[int]:
    """Poll until some run of `sb` has a process: its host pids (empty on timeout)."""
    deadline = time.monotonic() + timeout
    while not (pids := run_processes(sb)) and time.monotonic() < deadline:
        time.sleep(0.01)
    return pids
