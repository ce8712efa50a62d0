"""The warm fork server: one small process per worker that isolates itself once, then forks a
sandboxed child per run, so no run pays interpreter start-up.

Started by `worker.py` as `python -I -B forkserver.py`; talks to its parent over fds 0/1 with
`_wire` framing. It only ever receives a program, its stdin and limits, never expected outputs.
Every child starts as a copy of this process's memory, so what passes through it is wiped once
used: a run's program and stdin after the run, its stdout, stderr, result channel and compiled
binary after the reply (read straight into buffers, never into `bytes` chunks), or the next
candidate could find an earlier right program's answers in its own address space.

Once per server: user, mount, pid, net, ipc and uts namespaces (as available); a fresh /proc; an
empty size-capped tmpfs over /tmp (the runs' only writable place) and over /dev/shm; /root, /home
and the caller's directory hidden except the interpreter's own files. This process becomes PID 1
of its pid namespace, so orphans are reparented to it and `kill(-1)` ends every leftover.

Per child, after fork: new session, fds 0-2 (+3/4) only, rlimits, no_new_privs, its own Landlock
domain (reads: interpreter and system libraries; writes: its run directory; no TCP; no signals
or abstract sockets out of the domain), all capabilities dropped, seccomp deny-list last.
"""

from __future__ import annotations

import fcntl
import importlib.util
import io
import os
import select
import signal
import socket
import stat
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
_real_exit = os._exit


def _load(name: str):
    spec = importlib.util.spec_from_file_location(
        f"_r1sandbox_{name}", os.path.join(_HERE, f"{name}.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


P = _load("protections")
W = _load("_wire")

# Modules most judged programs and our harnesses import: loaded once here so a forked child
# gets them for free (an import in a child costs 1-7 ms). Not random: its at-fork reseed hook
# would run in every child; not ast: the harnesses no longer need it.
import _thread  # noqa: E402  (builtin: each child sets its program's thread stack size)
import bisect  # noqa: E402,F401
import collections  # noqa: E402,F401
import contextlib  # noqa: E402
import copy  # noqa: E402,F401
import functools  # noqa: E402,F401
import gc  # noqa: E402
import heapq  # noqa: E402,F401
import itertools  # noqa: E402,F401
import json  # noqa: E402,F401
import math  # noqa: E402,F401
import re  # noqa: E402,F401
import string  # noqa: E402,F401
import types  # noqa: E402
import typing  # noqa: E402,F401  (HumanEval and LeetCode-style prompts: from typing import List)
from atexit import _run_exitfuncs  # noqa: E402

# Control pipe and Landlock ruleset live on fds clear of the children's 0-9.
CTL_IN, CTL_OUT, RULESET_FD, NULL_FD = 100, 101, 102, 103
# The children's fd slots. The server keeps 0-9 filled (with /dev/null between runs), so every
# fd it opens lands at 10 or above, and places a child's pipe ends on their slots itself before
# forking: the child then only closes what it must not keep (a Python-level fd shuffle in each
# child cost ~45 copy-on-write page faults and ~170 us). Slot 8 holds the Landlock ruleset.
SLOTS, RULESET_SLOT, STATUS_SLOT = 10, 8, 9


class Server:
    def __init__(self, cfg: dict) -> None:
        self.cfg = cfg
        self.disable = set(cfg.get("disable", ()))
        self.active: dict[str, object] = {}
        self.notes: list[str] = []
        self.run_root = cfg["run_root"]
        self.pid1 = False
        self.counter = 0
        self._dirty: list[bytearray] = []  # buffers that held a run's output, until wiped
        self._trusted: dict[str, types.CodeType] = {}
        self._preludes: dict[str, dict] = {}
        self.stdio = _stdio()
        self.main_module = _main_module()
        self.null = NULL_FD  # /dev/null, what the child slots hold between runs

    def _compile_trusted(self, source: str | None) -> types.CodeType | None:
        """Trusted harness code from the parent (never the program): compiled once here, so
        children skip the cost. Bounded cache keyed by the text itself."""
        if not source:
            return None
        code = self._trusted.get(source)
        if code is None:
            if len(self._trusted) >= 32:
                self._trusted.clear()
            # dont_inherit: not this module's `from __future__ import annotations`, which the
            # harness's own compile() calls (of the candidate) would pass on in turn
            code = self._trusted[source] = compile(source, "harness.py", "exec", dont_inherit=True)
        return code

    def _prelude(self, source: str | None) -> dict | None:
        """Trusted harness definitions from the parent, executed once here: children start
        from a copy of the namespace instead of building the functions and classes (~45 pages
        copied per process). Harness code only; the program and test data never run here."""
        if not source:
            return None
        ns = self._preludes.get(source)
        if ns is None:
            if len(self._preludes) >= 8:
                self._preludes.clear()
            ns = {"__name__": "__main__", "__builtins__": __builtins__}
            exec(self._compile_trusted(source), ns)
            self._preludes[source] = ns
            gc.freeze()  # like the rest of this process: out of the children's collections
        return ns

    # ---- once per server ----------------------------------------------------------------------
    def isolate(self) -> None:
        wanted = {
            name: flag
            for name, flag in (
                ("mount", P.CLONE_NEWNS),
                ("pid", P.CLONE_NEWPID),
                ("net", P.CLONE_NEWNET),
                ("ipc", P.CLONE_NEWIPC),
                ("uts", P.CLONE_NEWUTS),
            )
            if f"{name}ns" not in self.disable
        }
        userns = False
        got: set[str] = set()
        if "userns" not in self.disable:
            try:  # all at once: the new user namespace owns the others
                P.unshare(P.CLONE_NEWUSER | sum(wanted.values()))
                P.write_id_maps(self.cfg["uid"], self.cfg["gid"])
                userns = True
                got = set(wanted)
            except OSError as exc:
                self.notes.append(f"user namespace unavailable ({exc.strerror})")
        if not userns:  # root can still unshare without one; others usually cannot
            for name, flag in wanted.items():
                try:
                    P.unshare(flag)
                    got.add(name)
                except OSError as exc:
                    self.notes.append(f"{name} namespace unavailable ({exc.strerror})")
        self.active["user_namespace"] = userns
        for name in ("mount", "pid", "net", "ipc"):
            self.active[f"{name}_namespace"] = name in got
        if "pid" in got:
            self._become_pid1()
        try:
            P.prctl(P.PR_SET_CHILD_SUBREAPER, 1)
            self.active["subreaper"] = True
        except OSError:
            self.active["subreaper"] = False
        if "mount" in got:
            self._mounts()
        else:
            self.active["private_tmp"] = False
            self.active["fresh_proc"] = False
            self.active["private_shm"] = False
        os.makedirs(self.run_root, mode=0o700, exist_ok=True)
        self.landlock_abi = 0 if "landlock" in self.disable else P.landlock_abi()
        self.active["landlock_abi"] = self.landlock_abi
        if not self.landlock_abi:
            self.notes.append("Landlock unavailable: filesystem reads are not restricted")
        self.seccomp = "seccomp" not in self.disable and P.seccomp_supported()
        self.active["seccomp"] = self.seccomp
        if not self.seccomp:
            self.notes.append("seccomp filter unavailable")
        # One fixed run directory per server (a worker serves one run at a time, emptied after
        # each), so the Landlock ruleset can be built once instead of per child.
        self.rundir = os.path.join(self.run_root, "run")
        os.makedirs(self.rundir, mode=0o700, exist_ok=True)
        self.ruleset = -1
        if self.landlock_abi:
            rfd = P.landlock_ruleset(
                self.landlock_abi, self.cfg["read_paths"], [self.rundir], ["/dev/null"]
            )
            self.ruleset = os.dup2(rfd, RULESET_FD, inheritable=False)  # clear of child slots
            os.close(rfd)
            os.dup2(self.ruleset, RULESET_SLOT, inheritable=False)
        # Every child's environment, set here once (rundir is fixed): a child that rebuilt
        # os.environ itself would copy ~90 pages of this process's memory.
        self.env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": self.rundir,
            "TMPDIR": self.rundir,
            # one malloc arena: each further one reserves 64 MB of the address-space cap
            "MALLOC_ARENA_MAX": "1",
            "PYTHONHASHSEED": "0",
        }
        os.environ.clear()
        os.environ.update(self.env)
        # What every child needs and this server no longer does: no new privileges, no
        # capabilities, not dumpable, the seccomp filter. Applied here once, inherited by fork.
        P.set_no_new_privs()
        P.prctl(P.PR_SET_DUMPABLE, 0)
        P.drop_capabilities()
        self.active["dropped_capabilities"] = P.effective_capabilities() == 0
        if self.seccomp:
            P.install_seccomp()
            P.prepare_program_seccomp()

    def _become_pid1(self) -> None:
        pid = os.fork()
        if pid:  # the original process only waits: the child is PID 1 of the new namespace
            os.close(CTL_IN)
            os.close(CTL_OUT)
            while True:
                try:
                    _, status = os.waitpid(pid, 0)
                    _real_exit(os.waitstatus_to_exitcode(status) & 0xFF)
                except InterruptedError:
                    continue
        P.prctl(P.PR_SET_PDEATHSIG, signal.SIGKILL)
        self.pid1 = os.getpid() == 1

    def _mounts(self) -> None:
        try:
            P.mount(None, "/", None, P.MS_REC | P.MS_PRIVATE)
        except OSError as exc:
            self.notes.append(f"cannot make mounts private: {exc}")
            self.active["private_tmp"] = self.active["fresh_proc"] = False
            self.active["private_shm"] = False
            return
        try:
            P.mount("proc", "/proc", "proc", P.MS_NOSUID | P.MS_NODEV | P.MS_NOEXEC)
            self.active["fresh_proc"] = True
        except OSError as exc:
            self.active["fresh_proc"] = False
            self.notes.append(f"cannot mount a fresh /proc ({exc.strerror})")
        keep = [p for p in self.cfg.get("keep", []) if os.path.exists(p)]
        for hidden in self.cfg.get("hide", []):
            self._hide(hidden, keep)
        size = int(self.cfg.get("tmpfs_mb", 256))
        try:
            # inodes capped too: a run that made millions of empty directories (one syscall
            # each) would hold kernel memory and outlast the deadline of its own cleanup
            self._cover(
                "/tmp", keep, f"size={size}m,nr_inodes={TMP_INODES},mode=0755", writable=True
            )
            self.run_root = "/tmp/runs"
            self.active["private_tmp"] = True
        except OSError as exc:
            self.active["private_tmp"] = False
            self.notes.append(f"cannot mount a private /tmp ({exc.strerror})")
        try:
            P.mount(
                "tmpfs",
                "/dev/shm",
                "tmpfs",
                P.MS_NOSUID | P.MS_NODEV | P.MS_RDONLY,
                "size=1k,mode=0555",
            )
            self.active["private_shm"] = True
        except OSError as exc:
            self.active["private_shm"] = False
            self.notes.append(f"cannot cover /dev/shm ({exc.strerror})")

    def _hide(self, hidden: str, keep: list[str]) -> None:
        """Cover `hidden` with an empty read-only tmpfs, re-exposing only the `keep` paths below
        it (e.g. an interpreter installed under /root)."""
        if not os.path.isdir(hidden) or hidden in ("/", "/tmp", "/proc") or hidden in keep:
            return
        try:
            self._cover(hidden, keep, "size=64k,mode=0755", writable=False)
        except OSError as exc:
            self.notes.append(f"cannot hide {hidden} ({exc.strerror})")

    @staticmethod
    def _cover(path: str, keep: list[str], options: str, *, writable: bool) -> None:
        """Mount a fresh tmpfs on `path` and bind the `keep` paths below it back in place."""
        inner = [k for k in keep if k.startswith(path.rstrip("/") + "/")]
        fds = {k: os.open(k, os.O_PATH) for k in inner}
        try:
            P.mount("tmpfs", path, "tmpfs", P.MS_NOSUID | P.MS_NODEV, options)
            for k, fd in fds.items():
                os.makedirs(k, exist_ok=True)
                P.mount(f"/proc/self/fd/{fd}", k, None, P.MS_BIND | P.MS_REC)
            if not writable:
                P.mount(None, path, None, P.MS_REMOUNT | P.MS_RDONLY | P.MS_NOSUID | P.MS_NODEV)
        finally:
            for fd in fds.values():
                os.close(fd)

    # ---- per run ------------------------------------------------------------------------------
    def handle(self, req: dict, blobs: list[bytes]) -> tuple[dict, tuple[bytes, ...]]:
        self.counter += 1
        rundir = self.rundir
        try:
            return self._run(req, blobs, rundir)
        finally:
            self._clear_slots()
            self._kill_all()
            _empty(rundir)
            W.wipe(*blobs)  # no later child may find this run's input in our memory

    def _run(self, req: dict, blobs: list[bytes], rundir: str):
        lim = req["limits"]
        lang = req["lang"]
        program, stdin = blobs[0], blobs[1]
        epilogue = self._compile_trusted(req.get("epilogue"))
        peer_epilogue = self._compile_trusted(req.get("peer_epilogue"))
        prelude = self._prelude(req.get("prelude"))
        # Files are written unbuffered: a buffered writer copies a small file into its buffer,
        # freed unwiped, where a later child could find another run's source.
        if lang == "exec":
            _write_file(os.path.join(rundir, "prog"), program, 0o500)
        elif lang == "argv":
            for name, data in zip(req.get("files", []), blobs[2:], strict=False):
                _write_file(os.path.join(rundir, os.path.basename(name)), data, 0o600)
        peer = req.get("peer") is not None
        peer_bind = req.get("peer_bind")
        if peer and stdin:
            # The primary's stdin may carry test material: hand it to the kernel whole, in a
            # sealed memfd (a pipe would need room the host user's pipe quota may not have:
            # another run could take it all), and wipe our copy before forking, so no child's
            # memory (a copy of ours) holds it.
            in_r, in_w = _sealed_memfd(stdin), -1
            W.wipe(stdin)
            stdin = b""
        else:
            in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        st_r, st_w = os.pipe()
        extra: dict[int, int] = {}
        chan_r = sock_a = sock_b = peer_r = None
        if req.get("channel"):
            chan_r, chan_w = os.pipe()
            extra[3] = chan_w
        if peer:
            sock_a, sock_b = socket.socketpair()
            extra[4] = sock_a.fileno()
            peer_r, peer_w = os.pipe()
        fds = {0: in_r, 1: out_w, 2: err_w, **extra, STATUS_SLOT: st_w}
        _place(fds)
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            try:
                self._child(lang, rundir, lim, max(extra, default=2) + 1, True, req)
                _run_python(program, STATUS_SLOT, epilogue, self.stdio, self.main_module, prelude)
            except BaseException as exc:
                _report_setup_failure(exc)
            finally:
                _real_exit(121)
        if peer:
            # Forked right after the primary: every page this process writes between two forks
            # is copied again, so only the fd placement runs in between. Slot 0 is /dev/null
            # again; slot 9 (the primary's status pipe) too, so the peer never holds it.
            _place({0: self.null, 1: peer_w, 2: peer_w, 3: sock_b.fileno(), STATUS_SLOT: self.null})
            if os.fork() == 0:
                try:
                    self._child("python", rundir, lim, 4, False, {})
                    # With peer_bind the peer's text is data for its epilogue, bound to that
                    # global, instead of a program to compile.
                    bind = (str(peer_bind), blobs[2]) if peer_bind else None
                    source = b"" if peer_bind else blobs[2]
                    _run_python(
                        source, None, peer_epilogue, self.stdio, self.main_module, prelude, bind
                    )
                except BaseException as exc:
                    _report_setup_failure(exc)
                finally:
                    _real_exit(121)
            os.close(peer_w)
            sock_b.close()
            sock_a.close()
        self._clear_slots()  # the server keeps no child end open, so EOF works
        _close_all((in_r, out_w, err_w, st_w, *extra.values()))
        return self._supervise(
            pid, start, lim, in_w, stdin, out_r, err_r, st_r, chan_r, peer_r, rundir, req
        )

    def _supervise(
        self, pid, start, lim, in_w, stdin, out_r, err_r, st_r, chan_r, peer_r, rundir, req
    ):
        cap = int(lim["output_bytes"])
        dirty = self._dirty
        bufs = {out_r: _Sink(cap, dirty), err_r: _Sink(min(cap, 1 << 16), dirty)}
        bufs[st_r] = _Sink(16, dirty)
        if chan_r is not None:
            bufs[chan_r] = _Sink(cap, dirty)
        if peer_r is not None:
            bufs[peer_r] = _Sink(1 << 14, dirty)
        fatal = {out_r, chan_r}  # output past the cap ends the run
        for fd in bufs:
            os.set_blocking(fd, False)
        if in_w >= 0:
            os.set_blocking(in_w, False)
        pidfd = os.pidfd_open(pid)
        poller = select.poll()
        for fd in bufs:
            poller.register(fd, select.POLLIN)
        poller.register(pidfd, select.POLLIN)
        pending = memoryview(stdin)
        if pending:
            poller.register(in_w, select.POLLOUT)
        elif in_w >= 0:
            os.close(in_w)
            in_w = -1
        deadline = start + float(lim["wall_s"])
        overflow = timed_out = False
        exited = False
        exit_grace = 0.0
        open_fds = set(bufs) - {peer_r}
        memory_cap = int(lim["memory_mb"]) << 20
        cpu_cap = float(lim["cpu_s"])
        weigh_at = start + WEIGH_S  # a run this short is never weighed: no cost
        held = 0  # the most the run's processes were seen holding together, in bytes
        burned = 0.0  # CPU seconds of the run's processes together, as last weighed
        tmp_base = self._tmp_used()
        while True:
            now = time.monotonic()
            left = deadline - now
            if left <= 0:
                timed_out = True
                break
            if exited and (not open_fds or now > exit_grace):
                break
            if not exited and now >= weigh_at:
                memory, cpu = self._run_usage()
                held = max(held, memory + max(0, self._tmp_used() - tmp_base))
                burned = max(burned, cpu)
                if held > memory_cap or burned > cpu_cap:
                    break
                weigh_at = now + WEIGH_S
            wait = min(left, 0.05 if exited else weigh_at - now)
            for fd, _ev in poller.poll(max(wait, 0.0) * 1000):
                if fd == pidfd:
                    if not exited:
                        exited = True
                        exit_grace = time.monotonic() + 0.05  # for pipes held by leftovers
                        poller.unregister(pidfd)
                elif fd == in_w:
                    try:
                        n = os.write(in_w, pending[:65536])
                        pending = pending[n:]
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:  # child closed its stdin: the rest is not needed
                        pending = pending[:0]
                    if not pending:
                        poller.unregister(in_w)
                        os.close(in_w)
                        in_w = -1
                else:
                    try:
                        got, over = bufs[fd].fill(fd)
                    except (BlockingIOError, InterruptedError):
                        continue
                    if not got:
                        poller.unregister(fd)
                        open_fds.discard(fd)
                        continue
                    if over and fd in fatal:
                        overflow = True
            if overflow:
                break
        wall = time.monotonic() - start
        # The child is a session and group leader: one killpg reaches every descendant that
        # did not setsid away, at once (a fork bomb cannot outrun it); _kill_all does the rest.
        _quiet(os.killpg, pid, signal.SIGKILL)
        status, rusage = 0, None
        waited = _quiet(os.wait4, pid, 0)
        if waited is not None:
            _, status, rusage = waited
        self._kill_all()
        os.close(pidfd)
        if in_w >= 0:
            os.close(in_w)
        for fd in open_fds:  # every writer is dead now: take what is left in the pipes
            while not overflow:
                try:
                    got, over = bufs[fd].fill(fd)
                except OSError:
                    break
                if not got:
                    break
                if over and fd in fatal:
                    overflow = True
        for fd in bufs:
            os.close(fd)
        collected = bytearray()
        if req.get("collect") and not (timed_out or overflow):
            collected = _read_regular(os.path.join(rundir, req["collect"]), 64 << 20)
            self._dirty.append(collected)
        header = {
            "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "timed_out": timed_out,
            "overflow": overflow,
            "wall_s": wall,
            "cpu_s": (rusage.ru_utime + rusage.ru_stime) if rusage else 0.0,
            "maxrss_kb": max(rusage.ru_maxrss if rusage else 0, held >> 10),
            "memory_exceeded": held > memory_cap,
            "run_cpu_s": burned,
            "cpu_exceeded": burned > cpu_cap,
            "marker": bytes(bufs[st_r].data()).decode("ascii", "replace"),
        }
        return header, (
            bufs[out_r].data(),
            bufs[err_r].data(),
            bufs[chan_r].data() if chan_r is not None else b"",
            bufs[peer_r].data() if peer_r is not None else b"",
            collected,
        )

    def wipe_outputs(self) -> None:
        """Zero every buffer that held a run's output, once the reply is sent: the next child is
        a copy of this process, and a right program's output (its results, its stdout, its
        compiled binary) lingering in freed memory here would be a later candidate's answer."""
        W.wipe(*self._dirty)
        self._dirty.clear()

    def _run_usage(self) -> tuple[int, float]:
        """(bytes of resident anonymous and shared memory, CPU seconds) of the run's processes
        together: RLIMIT_AS and RLIMIT_CPU bound each process alone, so 64 processes could
        otherwise hold 64 times the memory cap and burn 64 times the CPU one. CPU counts each
        process's own and its reaped children's time (a zombie is still listed, once). A page
        that a fork still shares counts once per process that maps it: the proportional share
        would not, but the children are not dumpable, so their smaps stay closed to us."""
        memory = 0
        ticks = 0
        for pid in self._run_pids():
            memory += _memory_bytes(pid)
            ticks += _cpu_ticks(pid)
        return memory, ticks / CLOCK_TICKS

    def _tmp_used(self) -> int:
        """Bytes in use on the private /tmp: the run's files are memory no process maps (the
        tmpfs size caps them only at the worker's size, whatever the run's memory_mb)."""
        if not self.active.get("private_tmp"):
            return 0
        try:
            st = os.statvfs("/tmp")
        except OSError:
            return 0
        return (st.f_blocks - st.f_bfree) * st.f_frsize

    def _run_pids(self) -> list[int]:
        """Every process of the current run: all but this server when it is PID 1 of a fresh
        /proc, else its descendants (setsid'd orphans are reparented to it, the subreaper)."""
        if self.pid1 and self.active.get("fresh_proc"):
            try:
                return [int(n) for n in os.listdir("/proc") if n.isdigit() and n != "1"]
            except OSError:
                pass
        found: list[int] = []
        todo = _children()
        while todo and len(found) < 1 << 16:
            pid = todo.pop()
            found.append(pid)
            todo.extend(_children(pid))
        return found

    def _kill_all(self) -> None:
        """SIGKILL every process but this one. As PID 1 of the namespace `kill(-1)` reaches all
        of them, setsid'd orphans included; otherwise sweep our (subreaped) children until none
        is left."""
        if self.pid1:
            _quiet(os.kill, -1, signal.SIGKILL)
            self._reap()
            return
        until = time.monotonic() + 5.0
        while time.monotonic() < until:
            kids = _children()
            if not kids:
                return
            for k in kids:
                with contextlib.suppress(OSError):
                    os.killpg(os.getpgid(k), signal.SIGKILL)
                with contextlib.suppress(OSError):
                    os.kill(k, signal.SIGKILL)
            self._reap()
            time.sleep(0.001)

    def _reap(self) -> None:
        """Collect exited children: blocking as PID 1 (everything was just killed), else only
        what has already exited (orphans keep arriving while a fallback sweep runs)."""
        while True:
            try:
                pid, _ = os.waitpid(-1, 0 if self.pid1 else os.WNOHANG)
            except ChildProcessError:
                return
            except InterruptedError:
                continue
            if pid == 0:
                return

    def _clear_slots(self) -> None:
        _place({slot: self.null for slot in range(SLOTS) if slot != RULESET_SLOT})

    def _child(self, lang, rundir, lim, top: int, status: bool, req) -> None:
        """Runs in the forked child: confine; exec for native programs, else return to run
        Python. The server placed this child's fds on slots 0..top-1 (and 9 for the status
        pipe when `status`); everything else is closed here, the control pipe included."""
        os.setsid()
        os.closerange(top, RULESET_SLOT)
        os.closerange(STATUS_SLOT + 1 if status else STATUS_SLOT, 1 << 16)
        os.chdir(rundir)
        P.set_rlimits(
            cpu_s=max(1, int(float(lim["cpu_s"]) + 0.999)),
            memory_bytes=int(lim["memory_mb"]) << 20,
            file_bytes=int(lim["file_bytes"]),
            open_files=int(lim["open_files"]),
            processes=int(lim["processes"]) + 4,
        )
        if lang == "python":
            _thread.stack_size(thread_stack_bytes(int(lim["memory_mb"]), int(lim["processes"])))
        if self.ruleset >= 0:
            # A fresh domain per child: siblings cannot trace or signal each other.
            P.landlock_enforce(RULESET_SLOT)
        os.close(RULESET_SLOT)
        if self.seccomp and lang != "argv":  # argv: the compiler, which sets its output's mode
            P.install_program_seccomp()
        if lang == "exec":
            _write_marker(STATUS_SLOT, b"R")
            os.execve("./prog", ["./prog"], self.env)
        if lang == "argv":
            _write_marker(STATUS_SLOT, b"R")
            argv = req["argv"]
            os.execve(argv[0], argv, self.env)


def thread_stack_bytes(memory_mb: int, processes: int) -> int:
    """Default stack of a program's threads: Linux's 8 MiB, or less, so that the stacks of as
    many threads as the run may have take at most half its address-space cap (RLIMIT_AS counts
    a stack whole when it is reserved). At 8 MiB, 16 threads alive at once took the whole of a
    128 MB cap, and on Python 3.13, whose threads keep their stacks until joined, even 16
    short-lived threads started before the first join did."""
    share = (memory_mb << 20) // 2 // max(processes, 1)
    return max(256 << 10, min(8 << 20, share)) // (64 << 10) * (64 << 10)


TMP_INODES = 65536  # files and directories a worker's private /tmp holds
# How often a running program's processes are weighed together, memory and CPU (see
# Server._run_usage): 8-60 processes touching pages as fast as they could passed a 512 MB cap by
# at most 52 MB before the kill, and runs shorter than this are never weighed.
WEIGH_S = 0.01


def _report_setup_failure(exc: BaseException) -> None:
    """Setup failed before the program ran: say why on stderr (fd 2 is the run's pipe)."""
    try:
        os.write(2, f"sandbox setup failed: {type(exc).__name__}: {exc}\n".encode())
        import traceback

        os.write(2, "".join(traceback.format_exception(exc)).encode())
    except BaseException:
        pass


def _quiet(fn, *args, errors: type[BaseException] = OSError):
    """fn(*args), or None if it raises `errors`. Used on every run instead of
    contextlib.suppress, whose Python-level context manager makes each child and the server copy
    a few more pages per run."""
    try:
        return fn(*args)
    except errors:
        return None


def _place(fds: dict[int, int]) -> None:
    """dup2 each source onto its slot (0-9). Sources are all >= SLOTS, so no placement can
    clobber another's source; dup2 leaves the slot inheritable, which exec'd programs need."""
    for slot, src in fds.items():
        os.dup2(src, slot)


def _close_all(fds) -> None:
    for fd in fds:
        _quiet(os.close, fd)


def _write_marker(fd: int | None, data: bytes) -> None:
    if fd is not None:
        os.write(fd, data)
        os.close(fd)


def _stdio() -> tuple[io.TextIOWrapper, io.TextIOWrapper, io.TextIOWrapper]:
    """A program's sys.stdin/stdout/stderr on fds 0-2, built once in the server (which never
    reads or writes them, so every child starts with empty buffers): a child that built its
    own would copy ~90 pages of server memory."""
    return (
        io.TextIOWrapper(
            io.BufferedReader(io.FileIO(0, "r", closefd=False)),
            encoding="utf-8",
            errors="surrogateescape",
        ),
        io.TextIOWrapper(
            io.BufferedWriter(io.FileIO(1, "w", closefd=False), 1 << 16),
            encoding="utf-8",
            errors="surrogateescape",
        ),
        io.TextIOWrapper(
            io.BufferedWriter(io.FileIO(2, "w", closefd=False)),
            encoding="utf-8",
            errors="backslashreplace",
            line_buffering=True,
        ),
    )


def _main_module() -> types.ModuleType:
    """A fresh `__main__` for the program (the server never runs code in it)."""
    main = types.ModuleType("__main__")
    main.__file__ = "solution.py"
    return main


def _run_python(
    source: bytes,
    status_fd: int | None,
    epilogue,
    stdio,
    main,
    prelude: dict | None = None,
    bind: tuple[str, bytes] | None = None,
) -> None:
    exit_ = _real_exit
    sys.stdin, sys.stdout, sys.stderr = stdio
    sys.argv = ["solution.py"]
    sys.modules["__main__"] = main
    # With a prelude, program and epilogue run in (this process's copy of) its namespace: the
    # prelude's functions see the globals the epilogue sets.
    env = prelude if prelude is not None else main.__dict__
    if bind is not None:  # this process's copy of the namespace: the server's is untouched
        env[bind[0]] = bind[1]
    try:
        # An empty program (the test process of run_tests is all epilogue) is not compiled:
        # the compiler's first use in a child copies ~30 pages.
        # dont_inherit: the program gets the interpreter's own semantics, not this module's
        # future flags (lazy annotations would let `def f(x: Undefined)` run)
        code = compile(source, "solution.py", "exec", dont_inherit=True) if source else None
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        _write_marker(status_fd, b"C")
        _print_exc()
        sys.stderr.flush()
        exit_(1)
    _write_marker(status_fd, b"R")
    rc = 0
    try:
        if code is not None:
            exec(code, env)
        if epilogue is not None:
            exec(epilogue, env)
    except SystemExit as exc:
        if exc.code is None:
            rc = 0
        elif isinstance(exc.code, int):
            rc = exc.code & 0xFF
        else:
            print(exc.code, file=sys.stderr)
            rc = 1
    except BaseException:
        rc = 1
        _quiet(_print_exc, errors=BaseException)
    _quiet(_run_exitfuncs, errors=BaseException)
    _quiet(_flush, "stdout", errors=BaseException)
    _quiet(_flush, "stderr", errors=BaseException)
    exit_(rc)


def _flush(name: str) -> None:
    getattr(sys, name).flush()  # the program may have replaced or deleted the stream


def _print_exc() -> None:
    """The interpreter's own traceback printer (C), so the server need not hold the traceback
    module and its imports for every child; without this module's frame."""
    kind, exc, tb = sys.exc_info()
    tb = tb.tb_next if tb is not None else None
    sys.__excepthook__(kind, exc.with_traceback(tb), tb)


class _Sink:
    """One output stream of a run, read straight into buffers that the server wipes (no `bytes`
    chunks, no resizing that frees an unwiped copy): see `Server.wipe_outputs`. Holds at most
    `cap` bytes; what comes after is read into a shared scratch buffer and dropped."""

    __slots__ = ("buf", "cap", "dirty", "dropped", "n")

    def __init__(self, cap: int, dirty: list[bytearray]) -> None:
        self.cap = max(cap, 0)
        self.buf = bytearray(min(self.cap, 4096))
        self.n = 0
        self.dirty = dirty
        self.dropped = False
        dirty.append(self.buf)

    def fill(self, fd: int) -> tuple[int, bool]:
        """Read once: (bytes read, whether they went past the cap). 0 bytes means EOF."""
        if self.n == len(self.buf) and self.n < self.cap:
            grown = bytearray(min(self.cap, 2 * self.n))
            grown[: self.n] = self.buf
            self.dirty.append(grown)  # the old buffer stays listed, so it is wiped too
            self.buf = grown
        if self.n < self.cap:
            got = os.readv(fd, [memoryview(self.buf)[self.n :]])
            self.n += got
            return got, False
        if not self.dropped:
            self.dropped = True
            self.dirty.append(_SCRATCH)
        return os.readv(fd, [_SCRATCH]), True

    def data(self) -> memoryview:
        return memoryview(self.buf)[: self.n]


_SCRATCH = bytearray(65536)  # where output past a cap lands, dropped (wiped with the run's)


def _read_regular(path: str, cap: int) -> bytearray:
    """Read a file the run produced, refusing symlinks and non-regular files: this process is
    not confined, so a planted link must not make it read a host file. Read into one buffer of
    the file's size, which the caller wipes after use; empty when the file is unfit."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return bytearray()
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > cap:
            return bytearray()
        buf = bytearray(st.st_size)
        view = memoryview(buf)
        pos = 0
        while pos < len(buf):
            got = os.readv(fd, [view[pos:]])
            if not got:
                break
            pos += got
        if pos < len(buf) or os.read(fd, 1):  # changed while read: the run is over, so refuse
            W.wipe(buf)
            return bytearray()
        return buf
    finally:
        os.close(fd)


def _sealed_memfd(data: bytes) -> int:
    """A memfd holding `data`, read from its start and sealed against any change."""
    fd = os.memfd_create("stdin", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        _write_all(fd, data)
        os.lseek(fd, 0, os.SEEK_SET)
        seals = 0x1 | 0x2 | 0x4 | 0x8  # F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE
        fcntl.fcntl(fd, 1033, seals)  # F_ADD_SEALS
    except BaseException:
        os.close(fd)
        raise
    return fd


def _write_file(path: str, data, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        _write_all(fd, data)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def _write_all(fd: int, data) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _empty(path: str) -> None:
    """Remove everything inside `path`, whatever permissions the run left on it."""
    try:
        if not os.listdir(path):
            return
    except OSError:
        os.chmod(path, 0o700)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        _clear_dir(fd)
    finally:
        os.close(fd)


def _clear_dir(dir_fd: int) -> None:
    """Delete everything in the directory open as `dir_fd`, by names relative to it: a link is
    removed, never followed, and path length does not matter. Every process of the run is dead
    by now, so nothing can swap a directory for a link meanwhile, and `..` leads back up.
    Iterative, one directory open at a time, each listed once: a tree of any depth or width is
    cleared (a recursion-limit error here used to fail the run as a sandbox error, which a wrong
    program could provoke to get no score instead of a zero)."""
    fd = os.dup(dir_fd)
    pending = _unlink_files(fd)  # subdirectories of the directory open as fd, still to clear
    above: list[tuple[str, list[str]]] = []  # (name of each directory entered, its parent's rest)
    try:
        while True:
            if pending:
                name = pending.pop()
                with contextlib.suppress(OSError):  # a directory, not a link: unlink refused it
                    os.chmod(name, 0o700, dir_fd=fd)
                try:
                    sub = os.open(name, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
                except OSError:
                    continue
                os.close(fd)
                fd = sub
                above.append((name, pending))
                pending = _unlink_files(fd)
                continue
            if not above:
                return
            name, pending = above.pop()
            parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = parent
            os.rmdir(name, dir_fd=fd)
    finally:
        os.close(fd)


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY


def _unlink_files(dir_fd: int) -> list[str]:
    """Unlink every non-directory in the directory; return the names of its subdirectories."""
    with contextlib.suppress(OSError):
        os.fchmod(dir_fd, 0o700)
    subdirs = []
    for name in os.listdir(dir_fd):
        try:
            os.unlink(name, dir_fd=dir_fd)
        except IsADirectoryError:
            subdirs.append(name)
        except OSError:
            continue
    return subdirs


def _children(pid: int | str = "self") -> list[int]:
    kids: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids.extend(int(x) for x in f.read().split())
    except OSError:  # the process ended meanwhile
        pass
    return kids


def _memory_bytes(pid: int) -> int:
    """Anonymous and shared memory a process holds (RssAnon + RssShmem + VmSwap of its status:
    MAP_SHARED anonymous memory and mapped /tmp files are shmem, which statm's resident minus
    shared would leave out); 0 once it is gone."""
    total = 0
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(_RSS_FIELDS):
                    total += int(line.split()[1]) << 10
    except (OSError, IndexError, ValueError):
        return 0
    return total


def _cpu_ticks(pid: int) -> int:
    """utime + stime + cutime + cstime of a process, in clock ticks; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rpartition(b")")[2].split()
        return int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
    except (OSError, IndexError, ValueError):
        return 0


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_RSS_FIELDS = (b"RssAnon:", b"RssShmem:", b"VmSwap:")  # swapped out is still held


def _site(dirs: list[str]) -> None:
    """What `site` would give programs, without executing .pth imports in this process:
    site-packages and the directories .pth files list on sys.path, and the exit/quit/help
    builtins."""
    import site  # with -S importing it runs nothing

    site.setquit()
    site.setcopyright()
    site.sethelper()
    for d in dirs:
        if d in sys.path:
            continue
        sys.path.append(d)
        with contextlib.suppress(OSError):
            for name in sorted(n for n in os.listdir(d) if n.endswith(".pth")):
                _pth_paths(d, name)


def _pth_paths(d: str, name: str) -> None:
    with contextlib.suppress(OSError, UnicodeDecodeError), open(os.path.join(d, name)) as f:
        for line in f:
            line = line.rstrip()
            if not line or line.startswith(("#", "import ", "import\t")):
                continue
            path = os.path.join(d, line)
            if os.path.isdir(path) and path not in sys.path:
                sys.path.append(path)


RELEASE_AFTER_BYTES = 1 << 20  # runs that moved more than this give their heap back at once


def main() -> None:
    os.dup2(0, CTL_IN)
    os.dup2(1, CTL_OUT)
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, NULL_FD, inheritable=False)
    os.close(null)
    for slot in range(SLOTS):  # keep 0-9 taken: whatever the server opens lands above them
        os.dup2(NULL_FD, slot)
    for fd in (CTL_IN, CTL_OUT):
        os.set_inheritable(fd, False)
    cfg, _ = W.recv(CTL_IN)
    _site(cfg.get("site_dirs", []))
    server = Server(cfg)
    try:
        server.isolate()
    except Exception as exc:  # report, never run unprotected by accident
        W.send(CTL_OUT, {"fatal": f"isolation failed: {exc!r}"})
        _real_exit(1)
    W.send(CTL_OUT, {"active": server.active, "notes": server.notes})
    # The first compile() in a process builds the AST node types (~120 classes, ~2 ms): do it
    # here once, not in every child. (Whether it happened already depends on whether this
    # server's own modules were loaded from source or from .pyc.)
    compile("pass", "<warm-up>", "exec")
    gc.collect()
    gc.freeze()  # children's collections then leave the server's pages shared (less copy-on-write)
    while True:
        try:
            req, blobs = W.recv(CTL_IN)
        except (W.WireError, OSError):
            server._kill_all()
            _real_exit(0)
        try:
            header, out = server.handle(req, blobs)
        except Exception as exc:
            header, out = {"error": f"{type(exc).__name__}: {exc}"}, ()
        try:
            W.send(CTL_OUT, header, out)
        except OSError:
            _real_exit(0)
        finally:
            server.wipe_outputs()
        # Nothing of this run may stay resident until the next request: the next child is a
        # copy of this process and is weighed with what it shares (20 MB in and out left the
        # server 110 MB larger, and a 64 MB run after it ended as memory_limit).
        moved = sum(map(len, blobs)) + sum(len(part) for part in out if part is not None)
        req = blobs = header = out = None
        if moved > RELEASE_AFTER_BYTES:
            P.release_free_memory()


if __name__ == "__main__":
    try:
        main()
    except BaseException:
        _real_exit(2)
    _real_exit(0)
