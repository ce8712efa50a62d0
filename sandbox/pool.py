"""`Sandbox`: a thread-safe pool of warm fork servers that runs untrusted programs.

Each worker serves one run at a time; threads borrow an idle worker from a queue, so any number
of threads may call `run` concurrently. A worker that dies is replaced and its run reported as
`sandbox_error`; no exception escapes `run` for anything the program does.
"""

from __future__ import annotations

import queue
import signal
import threading
import time
import warnings
import weakref
from dataclasses import dataclass, replace

from .cpp import COMPILE_LIMITS, MAX_BINARY_BYTES, CppCache
from .limits import Execution, Limits
from .report import ProtectionReport
from .worker import Worker

LANGUAGES = ("python", "cpp")
# the diagnostics of a compile the sandbox failed (not the source): reported as a sandbox error
SANDBOX_FAILURE = "sandbox failure while compiling: "
_warned: set[tuple[str, ...]] = set()
RETRY_START_S = 1.0  # after a worker failed to start, the wait before another is tried
_warn_lock = threading.Lock()


@dataclass(frozen=True)
class RawRun:
    """An Execution plus the bytes of the private result channel (fd 3) and of a peer process."""

    execution: Execution
    channel: bytes
    peer_output: bytes
    collected: bytes


class Sandbox:
    """Run untrusted programs under `limits`.

    `disable` switches off named mechanisms (userns, mountns, pidns, netns, landlock, seccomp,
    cgroup) to exercise the fallbacks; `strict=True` refuses to start when any protection is
    missing instead of warning once. `compile_limits` bound a C++ compile, once per distinct
    source (`COMPILE_LIMITS` by default: g++ -O2 of a typical solution takes 1-3 s of CPU, more
    than a judged run is given, so a compile does not take the run's limits); a compile the
    wall limit killed while it was busy (starved by concurrent runs: that says nothing about
    the source) is not cached, and callers waiting for the same source get its result.
    """

    def __init__(
        self,
        workers: int = 2,
        limits: Limits | None = None,
        *,
        disable: tuple[str, ...] | frozenset[str] = (),
        strict: bool = False,
        tmpfs_mb: int = 256,
        compile_limits: Limits | None = None,
    ) -> None:
        if not isinstance(workers, int) or workers < 1:
            raise ValueError("workers must be a positive int")
        self.limits = limits or Limits()
        # a bigger binary than the cache takes fails to link: a compile error
        self.compile_limits = replace(compile_limits or COMPILE_LIMITS, file_bytes=MAX_BINARY_BYTES)
        self._n = workers
        self._disable = frozenset(disable)
        self._strict = strict
        self._tmpfs_mb = tmpfs_mb
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._all: list[Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        self._report: ProtectionReport | None = None
        self._starting = 0  # workers being started in place of lost ones
        self._retry_at = 0.0  # after a failed start, when `_replace_lost` may try again
        self._cpp = CppCache()
        self._finalizer = weakref.finalize(self, _close_workers, self._all)
        try:
            for _ in range(workers):
                self._idle.put(self._spawn())
        except BaseException:  # strict refused one, or no worker starts: none may be left
            self.close()
            raise

    # ---- lifecycle ----------------------------------------------------------------------------
    def _spawn(self) -> Worker:
        """A new worker, registered only once it is accepted: every worker is checked,
        replacements too, since one can come up with less (a namespace or cgroup that ran out).
        Strict refuses such a worker (and keeps refusing: the pool's report is untouched);
        otherwise it makes the pool's report weaker, with a warning."""
        w = Worker(self._disable, self._tmpfs_mb)
        try:
            report = _make_report(w)
            if self._strict and report.missing:
                raise RuntimeError("sandbox protections missing: " + ", ".join(report.missing))
            with self._lock:
                pooled = report if self._report is None else self._report.weakest(report)
            if pooled != self._report:
                # outside the lock, before registering: a warning raised as an error (-W error)
                # must not leave a worker in the pool that no run can reach
                self._announce(pooled)
            with self._lock:  # the report again: another worker may have come in meanwhile
                if self._closed:  # closed while this one started: it must not outlive the pool
                    raise RuntimeError("sandbox is closed")
                self._report = report if self._report is None else self._report.weakest(report)
                self._all.append(w)
        except BaseException:
            w.close()
            with self._lock:  # Ctrl-C just after it was registered: no dead slot left behind
                if w in self._all:
                    self._all.remove(w)
            raise
        return w

    def _replace_lost(self) -> Worker | str | None:
        """A worker in place of one that died and could not be replaced then (`_dispatch`), or
        why none can start; None when the pool is whole (its workers are only busy). Without
        this, a pool whose every replacement failed once would keep its callers waiting."""
        with self._lock:
            full = len(self._all) + self._starting >= self._n
            if self._closed or full or time.monotonic() < self._retry_at:
                return None
            self._starting += 1
        try:
            return self._spawn()
        except Exception as exc:
            with self._lock:  # a fork server a second at most, not one per waiting caller
                self._retry_at = time.monotonic() + RETRY_START_S
            return f"no sandbox worker: start failed: {exc}"
        finally:
            with self._lock:
                self._starting -= 1

    def _lost(self, worker: Worker, exc: BaseException, lim: Limits) -> RawRun:
        """The run's sandbox_error, and a worker in place of this one; counted as starting while
        it starts, so that a caller tired of waiting (`_replace_lost`) cannot start another and
        grow the pool past its size. Ctrl-C and the like are raised again once the worker is
        dropped (a later run starts its replacement)."""
        worker.close()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
            replace = not self._closed and isinstance(exc, Exception)
            if replace:
                self._starting += 1
        if not isinstance(exc, Exception):
            raise exc
        if not replace:
            return _error(f"sandbox closed during the run ({exc})", lim)
        try:
            fresh = self._spawn()
            self._idle.put(fresh)
        except Exception as spawn_exc:  # a later run starts it (`_replace_lost`)
            return _error(f"{exc}; respawn failed: {spawn_exc}", lim)
        finally:
            with self._lock:
                self._starting -= 1
        return _error(str(exc), lim)

    def _announce(self, report: ProtectionReport) -> None:
        if not report.missing:
            return
        key = report.missing
        with _warn_lock:
            if key in _warned:
                return
            _warned.add(key)
        warnings.warn(
            "r1reward sandbox runs with reduced isolation: missing "
            + ", ".join(report.missing)
            + ("; " + "; ".join(report.notes) if report.notes else ""),
            RuntimeWarning,
            stacklevel=3,
        )

    def report(self) -> ProtectionReport:
        assert self._report is not None
        return self._report

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        _close_workers(workers)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- running ------------------------------------------------------------------------------
    def run(
        self,
        source: str,
        *,
        language: str = "python",
        stdin: str | bytes = "",
        limits: Limits | None = None,
    ) -> Execution:
        """Run `source` with `stdin`; the result's `status` says how it ended."""
        return self.run_raw(source, language=language, stdin=stdin, limits=limits).execution

    def run_raw(
        self,
        source: str,
        *,
        language: str = "python",
        stdin: str | bytes = "",
        limits: Limits | None = None,
        channel: bool = False,
        peer: str | None = None,
        epilogue: str | None = None,
        peer_epilogue: str | None = None,
        prelude: str | None = None,
        peer_bind: str | None = None,
    ) -> RawRun:
        """Like `run`, with a private result channel on fd 3 (`channel`) and optionally a second
        sandboxed Python process `peer`, connected by a socket (fd 4 here, fd 3 in the peer).
        `epilogue`/`peer_epilogue` are trusted harness code (never the program's): the server
        compiles them once and runs them after `source`/`peer` in the same namespace.
        `prelude` is trusted harness definitions (functions and classes, no I/O, no test
        data): the server executes it once, and every process of the run starts with a copy of
        its namespace as globals instead of building the definitions itself. `peer_bind` names
        a global that receives `peer`'s UTF-8 bytes instead of compiling them as the peer's
        program (its epilogue compiles them itself: one compile, not two)."""
        lim = limits or self.limits
        if not isinstance(source, str):
            return _error("source must be a str", lim)
        if isinstance(stdin, str):
            stdin = stdin.encode("utf-8", "surrogateescape")
        if language == "python":
            header = {"lang": "python"}
            blobs: tuple[bytes, ...] = (source.encode("utf-8", "surrogatepass"), stdin)
        elif language in ("cpp", "c++"):
            binary, diag = self._cpp.get_or_compile(source, self._compile)
            if binary is None and diag.startswith(SANDBOX_FAILURE):
                return _error(diag, lim)
            if binary is None:
                return RawRun(
                    Execution("compile_error", None, "", diag, 0.0, 0.0, 0.0, "g++ failed"),
                    b"",
                    b"",
                    b"",
                )
            header = {"lang": "exec"}
            blobs = (binary, stdin)
        else:
            return _error(f"unsupported language {language!r}; use one of {LANGUAGES}", lim)
        header.update(limits=lim.to_wire(), channel=bool(channel))
        if epilogue:
            header["epilogue"] = str(epilogue)
        if peer_epilogue:
            header["peer_epilogue"] = str(peer_epilogue)
        if prelude:
            header["prelude"] = str(prelude)
        if peer is not None:
            header["peer"] = True
            blobs = (*blobs, peer.encode("utf-8", "surrogatepass"))
            if peer_bind:
                header["peer_bind"] = str(peer_bind)
        return self._dispatch(header, blobs, lim)

    def _compile(self, source: str) -> tuple[bytes | None, str] | tuple[None, str, bool]:
        lim = self.compile_limits
        header = {
            "lang": "argv",
            "limits": lim.to_wire(),
            "files": ["main.cpp"],
            # ONLINE_JUDGE as Codeforces defines it: the common template's `#ifndef
            # ONLINE_JUDGE freopen("input.txt"...)` must read stdin here too
            "argv": [
                "/usr/bin/g++",
                "-std=c++17",
                "-O2",
                "-pipe",
                "-DONLINE_JUDGE",
                "-o",
                "a.out",
                "main.cpp",
            ],
            "collect": "a.out",
        }
        raw = self._dispatch(header, (b"", b"", source.encode("utf-8", "surrogatepass")), lim)
        ex = raw.execution
        if ex.status == "ok" and raw.collected:
            return raw.collected, ex.stderr
        if ex.status == "sandbox_error":  # says nothing about the source: not cached
            return None, SANDBOX_FAILURE + (ex.detail or ex.stderr)[-4000:], False
        if ex.status == "timeout" and 0.1 * ex.wall_s <= ex.cpu_s < 0.95 * lim.cpu_s:
            # killed by the wall limit while busy, with CPU time to spare: starved by concurrent
            # runs, not a property of the source, so a later call compiles it again. A compile
            # that sat idle (`#include "/dev/fd/1"` reads its own output) is the source's doing.
            return None, (ex.stderr or ex.detail)[-4000:], False
        return None, (ex.stderr or ex.detail or ex.status)[-4000:]

    def _dispatch(self, header: dict, blobs: tuple[bytes, ...], lim: Limits) -> RawRun:
        worker: Worker | None = None
        try:
            # never block forever: a concurrent close() must release waiting callers
            while worker is None:
                if self._closed:
                    return _error("sandbox is closed", lim)
                try:
                    worker = self._idle.get(timeout=0.2)
                except queue.Empty:
                    lost = self._replace_lost()
                    if isinstance(lost, str):
                        with self._lock:
                            alone = not self._all
                        if alone:  # no worker, and none can start: say so, never wait
                            return _error(lost, lim)
                    elif lost is not None:
                        worker = lost
            worker.set_pids_max(lim.processes + 4 + (2 if header.get("peer") else 0))
            reply, out = worker.request(header, blobs, lim.wall_s + 15.0)
        except BaseException as exc:  # dead, or mid-exchange in a state we cannot trust
            if worker is None:  # interrupted while waiting: nothing was taken
                raise
            return self._lost(worker, exc, lim)
        self._idle.put(worker)
        return RawRun(
            _classify(header, reply, out, lim), bytes(out[2]), bytes(out[3]), bytes(out[4])
        )


def _close_workers(workers: list[Worker]) -> None:
    """Also run at garbage collection or interpreter exit: no fork server or cgroup is left."""
    for w in list(workers):
        w.close()
    workers.clear()


def _error(detail: str, lim: Limits) -> RawRun:
    return RawRun(Execution("sandbox_error", None, "", "", 0.0, 0.0, 0.0, detail), b"", b"", b"")


def _classify(header: dict, reply: dict, out: list[bytes], lim: Limits) -> Execution:
    stdout = out[0].decode("utf-8", "replace")
    stderr = out[1].decode("utf-8", "replace")
    exit_code = reply.get("exit_code")
    sig = reply.get("signal")
    # the primary and the children it waited for, or all the run's processes as last weighed
    cpu = max(float(reply.get("cpu_s") or 0.0), float(reply.get("run_cpu_s") or 0.0))
    wall = float(reply.get("wall_s") or 0.0)
    mem = float(reply.get("maxrss_kb") or 0) / 1024.0
    marker = str(reply.get("marker", ""))
    detail = f"killed by signal {sig}" if sig else ""
    if marker.startswith("C"):
        status = "compile_error"
    elif reply.get("overflow"):
        status, detail = "output_limit", f"output exceeded {lim.output_bytes} bytes"
    elif reply.get("memory_exceeded"):
        status = "memory_limit"
        detail = f"the run's processes held {mem:.0f} MB together (cap {lim.memory_mb} MB)"
    elif reply.get("cpu_exceeded"):
        status = "timeout"
        detail = f"cpu time exceeded {lim.cpu_s:g}s (the run's processes together: {cpu:.2f}s)"
    elif reply.get("timed_out"):
        status, detail = "timeout", f"wall time exceeded {lim.wall_s:g}s"
    elif sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= lim.cpu_s * 0.95):
        status, detail = "timeout", f"cpu time exceeded {lim.cpu_s:g}s"
    elif not marker and exit_code == 121:
        status, detail = "sandbox_error", "sandbox setup failed in the child"
    elif _out_of_memory(header, exit_code, sig, stderr, mem, lim):
        status = "memory_limit"
    elif exit_code == 0:
        status = "ok"
    else:
        status = "runtime_error"
    return Execution(
        status, exit_code if sig is None else -sig, stdout, stderr, wall, cpu, mem, detail
    )


def _out_of_memory(header: dict, exit_code, sig, stderr: str, mem: float, lim: Limits) -> bool:
    if exit_code == 0:
        return False
    tail = stderr.rstrip().rsplit("\n", 1)[-1]
    if header.get("lang") == "python" and tail.startswith("MemoryError"):
        return True
    if "std::bad_alloc" in stderr or "Cannot allocate memory" in tail:
        return True
    return (
        sig in (signal.SIGSEGV, signal.SIGABRT, signal.SIGKILL, signal.SIGBUS)
        and mem >= 0.8 * lim.memory_mb
    )


def _make_report(w: Worker) -> ProtectionReport:
    a = w.active
    import os

    return ProtectionReport(
        user_namespace=bool(a.get("user_namespace")),
        pid_namespace=bool(a.get("pid_namespace")),
        net_namespace=bool(a.get("net_namespace")),
        mount_namespace=bool(a.get("mount_namespace")),
        ipc_namespace=bool(a.get("ipc_namespace")),
        fresh_proc=bool(a.get("fresh_proc")),
        private_tmp=bool(a.get("private_tmp")),
        private_shm=bool(a.get("private_shm")),
        landlock_abi=int(a.get("landlock_abi") or 0),
        seccomp=bool(a.get("seccomp")),
        cgroup_pids=bool(a.get("cgroup_pids")),
        nproc_limit=os.getuid() != 0,
        dropped_capabilities=bool(a.get("dropped_capabilities")),
        subreaper=bool(a.get("subreaper")),
        notes=tuple(w.notes),
    )


__all__ = ["Execution", "Limits", "ProtectionReport", "RawRun", "Sandbox", "replace"]
