"""Parent-side handle of one fork server: spawn it, give it a pids cgroup, exchange messages.

A worker serves one run at a time; `pool.Sandbox` hands workers to threads. A server that dies,
hangs or answers nonsense raises `WorkerDead`; the pool then reports `sandbox_error` for that run
and replaces the worker.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import select
import shutil
import signal
import site
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time

from . import _wire

_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "forkserver.py")
_CGROUP_V1_PIDS = "/sys/fs/cgroup/pids"
_seq = itertools.count()


def _remove_stale_cgroups() -> None:
    """Remove empty pids cgroups left by a Sandbox whose process was killed before close()."""
    try:
        names = os.listdir(_CGROUP_V1_PIDS)
    except OSError:
        return
    for name in names:
        parts = name.split("-")
        if len(parts) != 3 or parts[0] != "r1sandbox" or not parts[1].isdigit():
            continue
        if int(parts[1]) != os.getpid() and not os.path.exists(f"/proc/{parts[1]}"):
            with contextlib.suppress(OSError):
                os.rmdir(os.path.join(_CGROUP_V1_PIDS, name))


class WorkerDead(Exception):
    """The fork server is gone or misbehaved; its run gets `sandbox_error`."""


def interpreter_paths() -> list[str]:
    """Directories the sandboxed interpreter must read: its prefix, stdlib and site-packages."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(sys.executable)}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        p = sysconfig.get_paths().get(key)
        if p:
            paths.add(p)
    with contextlib.suppress(AttributeError):  # virtualenv's old site module
        paths.update(site.getsitepackages())
    paths.add(os.path.dirname(os.path.realpath(sys.executable)))
    return sorted(os.path.realpath(p) for p in paths if p and os.path.isdir(p))


SYSTEM_READ = [
    "/usr",
    "/lib",
    "/lib64",
    "/lib32",
    "/bin",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/alternatives",
    "/dev/urandom",
    "/dev/random",
    "/dev/zero",
    "/dev/null",
]


def server_config(disable: frozenset[str], tmpfs_mb: int, run_root: str) -> dict:
    keep = interpreter_paths()
    hide = ["/root", "/home", os.path.realpath(os.getcwd()), os.path.expanduser("~")]
    hide = sorted(
        {
            h
            for h in hide
            if h not in ("/", "/usr", "/tmp") and os.path.isdir(h) and not any(k == h for k in keep)
        }
    )
    return {
        "uid": os.getuid(),
        "gid": os.getgid(),
        "disable": sorted(disable),
        "read_paths": keep + SYSTEM_READ,
        "keep": keep,
        "hide": hide,
        "tmpfs_mb": tmpfs_mb,
        "run_root": run_root,
        "site_dirs": site_dirs(),
    }


def site_dirs() -> list[str]:
    """site-packages of this interpreter: the server runs with -S (see `Worker`) and puts these
    on its sys.path itself, so judged programs can still import installed packages."""
    with contextlib.suppress(AttributeError):  # virtualenv's old site module
        return [d for d in site.getsitepackages() if os.path.isdir(d)]
    return []


class Worker:
    def __init__(
        self,
        disable: frozenset[str] = frozenset(),
        tmpfs_mb: int = 256,
        start_timeout: float = 30.0,
    ) -> None:
        self._close_lock = threading.Lock()
        self._closed = False
        self._owner = os.getpid()  # a forked copy of this object does not own the server
        self._tmp = tempfile.mkdtemp(prefix="r1sandbox-")
        os.chmod(self._tmp, 0o700)
        self.cgroup: str | None = None
        self._pids_max: int | None = None
        # LD_BIND_NOW: the server resolves every symbol of the interpreter and libc once at
        # start; otherwise each child resolves the functions the server never called (setsid,
        # setrlimit, _exit...) and copies the pages it patches (~70 faults per run_tests).
        # Programs never see it: children get the environment the server sets.
        env = {
            "MALLOC_ARENA_MAX": "1",  # Python programs inherit the server's malloc (see forkserver)
            "LANG": "C.UTF-8",
            "PATH": "/usr/bin:/bin",
            "LD_BIND_NOW": "1",
        }
        # -S: no site module, so no .pth file imports modules (certifi, import hooks...) into the
        # server. Less memory to copy per fork, and no threading/random at-fork hooks that every
        # child would run (~100 copy-on-write page faults each).
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-B", "-S", _SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
            cwd="/",
            bufsize=0,
        )
        self.pid = self.proc.pid
        self._in = self.proc.stdin.fileno()
        self._out = self.proc.stdout.fileno()
        try:
            if "cgroup" not in disable:
                self._join_cgroup()
            _wire.send(self._in, server_config(disable, tmpfs_mb, os.path.join(self._tmp, "runs")))
            hello, _ = self._recv(start_timeout)
        except BaseException:
            self.close()
            raise
        if "fatal" in hello:
            self.close()
            raise WorkerDead(str(hello["fatal"]))
        self.active: dict = dict(hello.get("active", {}))
        self.active["cgroup_pids"] = self.cgroup is not None
        self.notes: list[str] = list(hello.get("notes", []))

    def _join_cgroup(self) -> None:
        """A pids cgroup per worker bounds fork bombs even when the sandbox uid is host root
        (for which RLIMIT_NPROC is not enforced). cgroup v1 only; absent otherwise."""
        if not os.access(_CGROUP_V1_PIDS, os.W_OK):
            return
        _remove_stale_cgroups()
        path = os.path.join(_CGROUP_V1_PIDS, f"r1sandbox-{os.getpid()}-{next(_seq)}")
        try:
            os.mkdir(path)
            self.cgroup = path
            self.set_pids_max(64 + 4)
            with open(os.path.join(path, "cgroup.procs"), "w") as f:
                f.write(str(self.pid))
        except OSError:
            self._remove_cgroup()

    def set_pids_max(self, n: int) -> None:
        if self.cgroup is None or n == self._pids_max:
            return
        with open(os.path.join(self.cgroup, "pids.max"), "w") as f:
            f.write(str(n))
        self._pids_max = n

    def _remove_cgroup(self) -> None:
        if self.cgroup is None:
            return
        for _ in range(50):
            try:
                os.rmdir(self.cgroup)
                break
            except OSError:
                time.sleep(0.01)
        self.cgroup = None

    def _recv(self, timeout: float) -> tuple[dict, list[bytes]]:
        ready, _, _ = select.select([self._out], [], [], max(timeout, 0.0))
        if not ready:
            raise WorkerDead("fork server did not answer in time")
        try:
            return _wire.recv(self._out)
        except (_wire.WireError, OSError) as exc:
            raise WorkerDead(f"fork server stream broke: {exc}") from None

    def request(self, header: dict, blobs: tuple[bytes, ...], timeout: float):
        if self.proc.poll() is not None:
            raise WorkerDead("fork server exited")
        try:
            _wire.send(self._in, header, blobs)
        except OSError as exc:
            raise WorkerDead(f"fork server unreachable: {exc}") from None
        reply, out = self._recv(timeout)
        if "error" in reply:
            raise WorkerDead(f"fork server error: {reply['error']}")
        if len(out) != 5:
            raise WorkerDead("malformed reply")
        return reply, out

    def close(self) -> None:
        """Idempotent and safe from several threads (a failing run and Sandbox.close race)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        if os.getpid() != self._owner:
            # a forked child (a DataLoader worker) closing its copy: the server, its cgroup and
            # its directory are the parent's, still in use; only our copies of the pipes go
            for stream in (self.proc.stdin, self.proc.stdout):
                with contextlib.suppress(OSError):
                    stream.close()
            return
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.proc.send_signal(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        self._remove_cgroup()
        shutil.rmtree(self._tmp, ignore_errors=True)
