"""The batched scoring core: one engine that every reward, adapter and the CLI use.

`Engine.run(kind, payloads, timeout=...)` scores a batch and returns one `ItemResult` per payload,
in input order. Identical payloads are scored once. Work goes to a pool of warm worker processes
in chunks (one message per chunk, so the per-item overhead stays in microseconds); each worker
publishes which item it is on in shared memory, and a watchdog kills a worker whose item overran
its time bound (+ grace), records that item as timed out, requeues the rest of its chunk and
starts a replacement. A worker that dies the same way errors only its current item.

Code items never enter this pool: they go to the sandbox's own warm fork servers.
The executor is pluggable (`Executor` protocol) so a distributed engine can replace the pool.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import mmap
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time
import warnings
import weakref
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from typing import Any, Protocol, TypeVar

from r1reward.verifiers._frozen import fast_constructor

from .jobs import INLINE_JOBS, SANDBOX_JOBS, ItemTimedOut, resolve
from .worker import SLOT

OK, TIMEOUT, ERROR = "ok", "timeout", "error"
DEFAULT_TIMEOUT = 2.0
GRACE_S = 1.0  # beyond the cooperative bound before a worker is killed
# A worker holding chunks without starting an item (stopped, or a fresh one that never comes up)
# is replaced after the item's bound plus this long; its chunks go to the others, blaming none.
STALL_S = 10.0


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One item's outcome: `value` when status is ok, else why not."""

    status: str
    value: Any = None
    detail: str = ""

    def __reduce__(self):  # unpickled by the fast constructor: once per item in the parent
        return (_item, (self.status, self.value, self.detail))


_item = fast_constructor(ItemResult, "_item", __name__)


class Executor(Protocol):
    """Anything that scores unique payloads of one job kind, returning results in order.

    `map` may be called from several threads at once (a weighted reward runs its components
    concurrently), so an executor must be thread-safe; the local pool serialises on a lock."""

    def map(self, kind: str, payloads: Sequence[Hashable], timeout: float) -> list[ItemResult]: ...

    def close(self) -> None: ...


def run_jobs(
    kind: str,
    payloads: Sequence[Hashable],
    timeout: float,
    on_item: Callable[[int], None] | None = None,
) -> list[ItemResult]:
    """Each payload through the job, in order; an exception (SystemExit too) becomes that item's
    error (a job bug must not take the batch, or the trainer, down). The one loop that runs jobs,
    in the caller or a worker; `on_item(position)` runs before each item (a worker publishes its
    progress there); the job is resolved after the first call, so a hanging import overruns the
    first item's time bound."""
    try:
        if on_item is not None and payloads:
            on_item(0)
        job = resolve(kind)
    except (Exception, SystemExit) as e:  # sys.exit() in a job must not end the trainer
        failed = _item(ERROR, None, f"{type(e).__name__}: {e}")
        return [failed] * len(payloads)
    out: list[ItemResult] = []
    append = out.append
    for position, payload in enumerate(payloads):
        try:
            if on_item is not None:
                on_item(position)
            append(_item(OK, job(payload, timeout), ""))
        except ItemTimedOut as e:
            append(_item(TIMEOUT, None, str(e)))
        except (Exception, SystemExit) as e:
            append(_item(ERROR, None, f"{type(e).__name__}: {e}"))
    return out


class InlineExecutor:
    """Runs jobs in the calling process, one after another (workers=0, tiny batches, tests)."""

    def map(self, kind: str, payloads: Sequence[Hashable], timeout: float) -> list[ItemResult]:
        return run_jobs(kind, payloads, timeout)

    def close(self) -> None:
        pass


class _StartFailed(OSError):
    """No worker process could be started."""


# Executors and engines to reset in a forked child (see `_after_fork_in_child`).
_forked_copies: weakref.WeakSet = weakref.WeakSet()


# ---- the process pool --------------------------------------------------------------------------


@dataclass
class _Worker:
    process: subprocess.Popen
    conn: Connection  # answers are read here
    sock: socket.socket  # the same socket: chunks are written here, never waiting
    slot: int
    # (chunk_id, indices, payloads) sent and not yet answered, oldest first (answers come in
    # that order)
    chunks: deque = field(default_factory=deque)
    out: deque = field(default_factory=deque)  # bytes of sent chunks the socket has not taken
    since: float = 0.0  # when it last had work given or handed some in


# Chunks in flight per worker: the next one waits in the socket while the worker scores the
# current one, so a worker never idles through the round trip of handing in results and getting
# more.
IN_FLIGHT = 2


class ProcessExecutor:
    """A pool of warm worker processes, each a clean interpreter (see `worker`).

    A worker that overruns an item is killed and replaced; if workers keep dying without
    finishing anything (a broken environment), the rest of the batch runs inline, with a warning.
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        grace_s: float = GRACE_S,
        stall_s: float = STALL_S,
        memory_mb: int | None = None,
    ) -> None:
        self.workers = max(1, workers or default_workers())
        self.grace_s = grace_s
        self.stall_s = stall_s
        # a runaway job gets MemoryError (its item's error), never the host's OOM killer, which
        # picks the biggest process: the trainer. Default: half the RAM, shared by the workers
        self.memory_mb = _default_worker_memory(self.workers) if memory_mb is None else memory_mb
        self._size = SLOT.size * self.workers
        self._progress: mmap.mmap | None = None  # the shared page, made when workers start
        self._progress_fd = -1
        self._release_page: Callable[[], Any] | None = None
        self._pool: list[_Worker] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self.replaced = 0  # workers killed or died and replaced, for diagnostics
        self._closing = False  # closed at exit while a batch ran: start no more workers
        _forked_copies.add(self)

    def _forget_after_fork(self) -> None:
        """In a forked child (DataLoader workers, multiprocessing's fork): the workers and their
        progress page are the parent's. Drop our copies of their pipes without touching the
        processes (closing them would shut the parent's pool down) and take a fresh page and lock
        (another thread may have held the lock at the fork); the child starts its own workers."""
        self._lock = threading.Lock()
        for w in self._pool:
            with contextlib.suppress(OSError):
                w.conn.close()
                w.sock.close()
            w.process.returncode = 0  # not our child: never waited for or killed from here
        self._pool = []
        self._close_page()  # our copy of it; the next batch here makes its own
        self._pid = os.getpid()

    def _open_page(self) -> None:
        self._progress_fd = _shared_page(self._size)
        self._progress = mmap.mmap(self._progress_fd, self._size)
        # an executor dropped without close() must not keep its descriptor either
        self._release_page = weakref.finalize(self, _release, self._progress, self._progress_fd)
        self._release_page.atexit = False  # a batch in a daemon thread may still read it at exit

    def _close_page(self) -> None:
        if self._release_page is not None:
            self._release_page()
        self._progress, self._progress_fd, self._release_page = None, -1, None

    def _spawn(self, slot: int) -> _Worker:
        if self._closing:
            raise _StartFailed("the engine was closed")
        parent, child = socket.socketpair()
        code = (
            "import sys; from r1reward.rewards.worker import main; "
            f"main({child.fileno()}, {self._progress_fd}, {slot}, {self._size}, "
            f"{int(self.memory_mb)})"
        )
        SLOT.pack_into(self._progress, slot * SLOT.size, -1, 0.0)
        env = dict(os.environ)  # the caller's import path, so `module:function` jobs resolve
        env["PYTHONPATH"] = _import_path()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", code],
                pass_fds=(child.fileno(), self._progress_fd),
                stdin=subprocess.DEVNULL,
                close_fds=True,
                env=env,
            )
        except (OSError, ValueError) as e:  # no interpreter to start (sys.executable missing)
            parent.close()
            raise _StartFailed(f"{type(e).__name__}: {e}") from e
        finally:
            child.close()
        return _Worker(proc, Connection(os.dup(parent.fileno())), parent, slot)

    def _ensure_started(self) -> None:
        if self._pid != os.getpid():  # forked without the fork hook: those workers are not ours
            self._forget_after_fork()
        if self._progress is None:
            self._open_page()
        if len(self._pool) < self.workers:
            used = {w.slot for w in self._pool}
            for slot in range(self.workers):
                if slot not in used:
                    self._pool.append(self._spawn(slot))

    def _discard_busy(self) -> None:
        """Kill the workers with chunks in flight (their answers, or a half-written chunk, must
        not reach the next batch); the next batch starts new ones."""
        for w in [w for w in self._pool if w.chunks or w.out]:
            self._kill(w)
            self._pool.remove(w)

    def _kill(self, w: _Worker) -> None:
        with contextlib.suppress(Exception):
            w.process.kill()
            w.process.wait(timeout=5)
        w.conn.close()
        w.sock.close()

    def _replace(self, w: _Worker) -> _Worker:
        self.replaced += 1
        self._kill(w)
        position = self._pool.index(w)
        try:
            fresh = self._spawn(w.slot)
        except _StartFailed:
            del self._pool[position]
            raise
        self._pool[position] = fresh
        return fresh

    def _post(self, w: _Worker, message: Any) -> None:
        """Queue a message in the pipe format the worker's `Connection.recv` reads and write what
        the socket takes now. A blocking send would wait for a worker that does not read (it reads
        the next chunk only when done with the current one, or it is stopped) and stall the whole
        batch, its watchdog included."""
        data = ForkingPickler.dumps(message)
        n = len(data)
        if n > 0x7FFFFFFF:
            w.out.extend((struct.pack("!iQ", -1, n), memoryview(data)))
        elif n <= 16384:
            w.out.append(struct.pack("!i", n) + data)
        else:
            w.out.extend((struct.pack("!i", n), memoryview(data)))
        self._flush(w)

    @staticmethod
    def _flush(w: _Worker) -> None:
        out = w.out
        try:
            while out:
                sent = w.sock.send(out[0], socket.MSG_DONTWAIT)
                if sent == len(out[0]):
                    out.popleft()
                else:
                    out[0] = memoryview(out[0])[sent:]
        except BlockingIOError:
            pass
        except OSError:  # the worker is gone: its reader sees the end and the death is handled
            out.clear()

    def _wait(self, busy: dict, timeout: float) -> list:
        """The busy workers' connections with an answer to read; sockets with bytes still to
        write are written as they drain."""
        writing = [w for w in busy.values() if w.out]
        if not writing:
            return wait(list(busy), timeout=timeout)
        poller = select.poll()
        for conn in busy:
            poller.register(conn.fileno(), select.POLLIN)
        for w in writing:
            poller.register(w.sock.fileno(), select.POLLOUT)
        ready = {fd for fd, _ in poller.poll(timeout * 1000)}
        for w in writing:
            if w.sock.fileno() in ready:
                self._flush(w)
        return [conn for conn in busy if conn.fileno() in ready]

    def _slot(self, w: _Worker) -> tuple[int, float]:
        return SLOT.unpack_from(self._progress, w.slot * SLOT.size)

    def map(self, kind: str, payloads: Sequence[Hashable], timeout: float) -> list[ItemResult]:
        if not payloads:
            return []
        results: list[ItemResult | None] = [None] * len(payloads)
        with self._lock:
            try:
                self._ensure_started()
                self._map_locked(kind, payloads, timeout, results)
            except _StartFailed as e:
                self._discard_busy()
                if self._closing:
                    return [r or _item(ERROR, None, "scoring engine closed") for r in results]
                warnings.warn(
                    f"r1reward: cannot start scoring workers ({e}); scoring inline instead",
                    stacklevel=2,
                )
                left = [j for j, r in enumerate(results) if r is None]
                inline = run_jobs(kind, [payloads[j] for j in left], timeout)
                for j, r in zip(left, inline, strict=True):
                    results[j] = r
            except BaseException:  # e.g. KeyboardInterrupt: unread answers must not leak into
                self._discard_busy()  # the next batch
                raise
        return results  # type: ignore[return-value]

    def _map_locked(
        self, kind: str, payloads: Sequence[Hashable], timeout: float, results: list
    ) -> None:
        n = len(payloads)
        queue = deque(_chunks(payloads, self.workers))
        done = 0
        deaths = 0
        limit = timeout + self.grace_s
        # A worker that dies before starting an item (at start-up in a broken environment, or
        # killed from outside between chunks) blames no item, up to twice this many deaths.
        patience = 2 * self.workers + 2
        while done < n:
            if deaths > patience and done == 0:
                warnings.warn(
                    "r1reward: scoring workers keep dying; scoring inline instead", stacklevel=3
                )
                for w in self._pool:
                    queue.extendleft(reversed(w.chunks))
                self._discard_busy()
                left = [
                    (j, p)
                    for _, idx, pls in queue
                    for j, p in zip(idx, pls, strict=True)
                    if results[j] is None
                ]
                inline = run_jobs(kind, [p for _, p in left], timeout)
                for (j, _), r in zip(left, inline, strict=True):
                    results[j] = r
                break
            for position in range(len(self._pool)):  # _replace swaps a worker in place
                w = self._pool[position]
                while queue and len(w.chunks) < IN_FLIGHT and not w.out:
                    chunk_id, indices, items = chunk = queue.popleft()
                    if not w.chunks:
                        w.since = time.monotonic()
                    w.chunks.append(chunk)
                    try:
                        self._post(w, (chunk_id, kind, indices, items, timeout))
                    except Exception:  # a payload that cannot be pickled (I/O errors are not
                        w.chunks.pop()  # raised): nothing was written
                        done += _split_unpicklable(chunk, kind, timeout, results, queue)
            busy = {w.conn: w for w in self._pool if w.chunks}
            for conn in self._wait(busy, 0.05):
                w = busy.pop(conn)
                try:
                    chunk_id, out = conn.recv()
                except (EOFError, OSError):  # died mid-chunk
                    deaths += 1
                    done += self._fail_current(
                        w, results, queue, ERROR, "worker died", blame_idle=deaths > 2 * patience
                    )
                    self._replace(w)
                    continue
                if chunk_id != w.chunks[0][0]:  # answers come in the order chunks were sent
                    raise RuntimeError(f"worker answered chunk {chunk_id}, not {w.chunks[0][0]}")
                for index, item in zip(w.chunks.popleft()[1], out, strict=True):
                    results[index] = item
                done += len(out)
                w.since = time.monotonic()
                if w.chunks:
                    busy[conn] = w
            now = time.monotonic()
            for w in busy.values():
                current, started = self._slot(w)
                dead = w.process.poll() is not None
                if dead or (started and now - started > limit):
                    deaths += dead
                    status, detail = (
                        (ERROR, "worker died")
                        if dead
                        else (TIMEOUT, f"no result within {limit:g}s")
                    )
                    done += self._fail_current(
                        w, results, queue, status, detail, current, deaths > 2 * patience
                    )
                    self._replace(w)
                elif not started and now - w.since > limit + self.stall_s:  # never started
                    deaths += 1
                    queue.extendleft(reversed(w.chunks))
                    w.chunks.clear()
                    self._replace(w)

    def _fail_current(
        self,
        w: _Worker,
        results,
        queue,
        status: str,
        detail: str,
        current: int | None = None,
        blame_idle: bool = True,
    ) -> int:
        """Record the item the worker was on (`current`, as the watchdog read it, or the slot's
        item now); requeue the unfinished rest of its chunks. A worker that was on no item blames
        its first pending one only with `blame_idle` (so a batch always ends)."""
        if current is None:
            current, _ = self._slot(w)
        pending = [
            (j, p)
            for _, idx, pls in w.chunks
            for j, p in zip(idx, pls, strict=True)
            if results[j] is None
        ]
        if not any(j == current for j, _ in pending):
            current = pending[0][0] if pending and blame_idle else -1
        failed = 0
        if current >= 0:
            results[current] = ItemResult(status, detail=detail)
            failed = 1
        rest = [(j, p) for j, p in pending if j != current]
        if rest:
            queue.appendleft((rest[0][0], [j for j, _ in rest], [p for _, p in rest]))
        w.chunks.clear()
        return failed

    def close(self) -> None:
        if self._pid != os.getpid():
            self._forget_after_fork()
            return
        # At interpreter exit (atexit runs after the main thread ended) a batch still running in
        # a daemon thread holds the lock: waiting for it would hold the exit up for the whole
        # batch. Its workers are killed instead and the batch ends with errors.
        exiting = not threading.main_thread().is_alive()
        if not self._lock.acquire(timeout=0.5 if exiting else -1):
            self._closing = True
            for w in list(self._pool):
                with contextlib.suppress(Exception):
                    w.process.kill()
                    w.process.wait(timeout=1)
            return
        with contextlib.ExitStack() as held:
            held.callback(self._lock.release)
            for w in self._pool:
                with contextlib.suppress(Exception):
                    self._post(w, None)  # never waits on a worker that does not read
            deadline = time.monotonic() + 2
            for w in self._pool:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    w.process.wait(timeout=max(0.0, deadline - time.monotonic()))
                self._kill(w)
            self._pool = []
            self._close_page()


MAX_CHUNK = 256


def default_workers() -> int:
    """The CPUs this process may run on (its affinity: `taskset`, a SLURM or container CPU set),
    not every CPU of the machine, which would start more workers than there are cores to run
    them."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - no affinity call on this platform
        return os.cpu_count() or 1


def _default_worker_memory(workers: int) -> int:
    """MB of data each scoring worker may allocate: half the physical memory, shared by the
    workers, at least 2 GB (a custom job may import numerical libraries with per-thread
    buffers); 0, no cap, where the memory size is unknown."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0
    return max(2048, (total >> 20) // (2 * workers))


def _split_unpicklable(chunk: tuple, kind: str, timeout: float, results: list, queue: deque) -> int:
    """Error the chunk's payloads that cannot cross to a worker; requeue the others. Each is
    tried as the message that would carry it alone, with the pipe's own pickler (a payload can
    pass plain `pickle` at another protocol or depth and still fail there). Always progress:
    when every payload crosses alone though the chunk did not, they go one chunk each."""
    _, indices, payloads = chunk
    rest = []
    for j, p in zip(indices, payloads, strict=True):
        try:
            ForkingPickler.dumps((j, kind, [j], [p], timeout))
        except Exception as e:
            results[j] = _item(ERROR, None, f"payload cannot be pickled: {type(e).__name__}: {e}")
        else:
            rest.append((j, p))
    if len(rest) == len(indices):
        if len(rest) == 1:  # crossed alone just now, yet not as this very message: give up
            results[rest[0][0]] = _item(ERROR, None, "payload cannot be sent to a worker")
            return 1
        queue.extendleft(reversed([(j, [j], [p]) for j, p in rest]))
        return 0
    if rest:
        queue.appendleft((rest[0][0], [j for j, _ in rest], [p for _, p in rest]))
    return len(indices) - len(rest)


def _chunks(payloads: Sequence[Hashable], workers: int) -> list[tuple[int, list, list]]:
    """(chunk id = first index, indices, payloads) chunks whose size shrinks with what is left
    (guided self-scheduling): big chunks keep messages few, small ones at the end keep every
    worker busy until the batch is done instead of one finishing a long last chunk alone."""
    n = len(payloads)
    chunks = []
    i = 0
    while i < n:
        end = i + max(1, min(MAX_CHUNK, (n - i) // (workers * 4)))
        chunks.append((i, list(range(i, min(end, n))), list(payloads[i:end])))
        i = end
    return chunks


def _cwd() -> str | None:
    try:
        return os.getcwd()
    except OSError:  # the caller's working directory was deleted
        return None


_START_CWD = _cwd()


def _import_path() -> str:
    """The caller's `sys.path` for a worker, relative entries ('', 'src') made absolute against
    the working directory now and the one r1reward was imported in: a trainer that changes
    directory after start-up (Hydra) imported its modules from the old one."""
    bases = [c for c in dict.fromkeys((_cwd(), _START_CWD)) if c]
    out: dict[str, None] = {}
    for entry in sys.path:
        if not isinstance(entry, str):
            continue
        for path in [entry] if os.path.isabs(entry) else [os.path.join(b, entry) for b in bases]:
            if os.path.isdir(path):
                out[os.path.normpath(path)] = None
    return os.pathsep.join(out)


def _release(progress: mmap.mmap, fd: int) -> None:
    with contextlib.suppress(Exception):
        progress.close()
    with contextlib.suppress(OSError):
        os.close(fd)


def _shared_page(size: int) -> int:
    """An anonymous shared memory file descriptor (memfd, or an unlinked temporary file)."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("r1reward-progress", 0)
    else:  # pragma: no cover - non-Linux
        import tempfile

        fd, path = tempfile.mkstemp()
        os.unlink(path)
    os.ftruncate(fd, size)
    return fd


# ---- the engine --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchStats:
    items: int
    unique: int
    timeouts: int
    errors: int
    seconds: float

    def __add__(self, other: BatchStats) -> BatchStats:
        return BatchStats(
            self.items + other.items,
            self.unique + other.unique,
            self.timeouts + other.timeouts,
            self.errors + other.errors,
            self.seconds + other.seconds,
        )


NO_STATS = BatchStats(0, 0, 0, 0, 0.0)
_T = TypeVar("_T")


def concurrently(*calls: Callable[[], _T]) -> list[_T]:
    """Results of `calls`, in order, run in threads: while one waits on the sandbox or on the
    pool's lock, another keeps the workers busy (phases run one after another leave cores idle).
    The first call runs in the calling thread; an exception propagates after all have ended."""
    if len(calls) <= 1:
        return [call() for call in calls]
    with ThreadPoolExecutor(len(calls) - 1, thread_name_prefix="r1reward") as threads:
        futures = [threads.submit(call) for call in calls[1:]]
        first = calls[0]()
        return [first, *(f.result() for f in futures)]


_gc_lock = threading.Lock()
_gc_depth = 0  # batches being scored now, in any thread
_gc_was_enabled = False
_gc_paused_since = 0.0
_gc_mine = threading.local()  # .depth: this thread's share of _gc_depth (for a forked child)
# Overlapping batches (a server's request threads under load) could keep the collector off for
# good; after this long, each batch that ends while others run collects what built up.
MAX_GC_PAUSE_S = 10.0


@contextlib.contextmanager
def gc_paused():
    """The cyclic garbage collector off while batches are scored (nested and concurrent batches
    share one pause; the outermost end restores it). A batch allocates tens of thousands of
    short-lived containers (payloads, results, per-item info) and makes no cycles; the
    collections they would trigger walk the trainer's whole heap, which holds a model and its
    data, for nothing. Measured in the batch benchmark: a sixth of the trainer's CPU."""
    global _gc_depth, _gc_was_enabled, _gc_paused_since
    with _gc_lock:
        if _gc_depth == 0:
            _gc_was_enabled = gc.isenabled()
            _gc_paused_since = time.monotonic()
            gc.disable()
        _gc_depth += 1
    _gc_mine.depth = getattr(_gc_mine, "depth", 0) + 1
    try:
        yield
    finally:
        _gc_mine.depth -= 1
        collect = False
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0:
                if _gc_was_enabled:
                    gc.enable()
            elif _gc_was_enabled and time.monotonic() - _gc_paused_since > MAX_GC_PAUSE_S:
                _gc_paused_since = time.monotonic()
                collect = True
        if collect:
            gc.collect()


class Engine:
    """Scores batches of jobs: dedup, dispatch (pool, inline or sandbox), order, and stats."""

    def __init__(
        self,
        workers: int | None = None,
        *,
        executor: Executor | None = None,
        inline_below: int = 16,
        sandbox_factory: Callable[[], Any] | None = None,
        worker_memory_mb: int | None = None,
    ) -> None:
        self.workers = default_workers() if workers is None else workers
        self.worker_memory_mb = worker_memory_mb  # see ProcessExecutor(memory_mb=...)
        self._executor = executor
        self._inline = InlineExecutor()
        self.inline_below = inline_below
        self._sandbox_factory = sandbox_factory
        self._sandbox = None
        self._sandbox_lock = threading.Lock()
        self.last_stats: BatchStats | None = None  # of the latest run, in any thread
        self.total_stats = NO_STATS  # every run since the engine was made
        self._stats_lock = threading.Lock()
        _forked_copies.add(self)

    def _forget_after_fork(self) -> None:
        """In a forked child: fresh locks, and the parent's sandbox is left alone (closing it,
        here or from its finalizer at the child's exit, would kill the parent's fork servers)."""
        self._sandbox_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        if self._sandbox is not None:
            finalizer = getattr(self._sandbox, "_finalizer", None)
            if finalizer is not None:
                finalizer.detach()
            _abandoned.append(self._sandbox)  # never collected: nothing of it runs in the child
            self._sandbox = None

    @property
    def executor(self) -> Executor:
        executor = self._executor
        if executor is None:
            with self._sandbox_lock:  # threads' first batches at once must share one pool
                if self._executor is None:
                    self._executor = (
                        ProcessExecutor(self.workers, memory_mb=self.worker_memory_mb)
                        if self.workers > 0
                        else self._inline
                    )
                executor = self._executor
        return executor

    def run(
        self, kind: str, payloads: Sequence[Hashable], *, timeout: float = DEFAULT_TIMEOUT
    ) -> list[ItemResult]:
        """One result per payload, in order; never raises for what an item contains."""
        start = time.perf_counter()
        unique: dict[Hashable, int] = {}
        order = [unique.setdefault(p, len(unique)) for p in payloads]
        keys = list(unique)
        if kind in SANDBOX_JOBS:
            scored = self._run_sandboxed(kind, keys, timeout)
        elif kind in INLINE_JOBS or len(keys) < self.inline_below or self.workers == 0:
            scored = self._inline.map(kind, keys, timeout)
        else:
            scored = self.executor.map(kind, keys, timeout)
        out = list(scored) if len(keys) == len(order) else [scored[i] for i in order]
        failed = [r.status for r in scored if r.status != OK]
        stats = BatchStats(
            items=len(out),
            unique=len(keys),
            timeouts=failed.count(TIMEOUT),
            errors=failed.count(ERROR),
            seconds=time.perf_counter() - start,
        )
        with self._stats_lock:
            self.last_stats = stats
            self.total_stats += stats
        return out

    def sandbox(self):
        with self._sandbox_lock:
            if self._sandbox is None:
                if self._sandbox_factory is not None:
                    self._sandbox = self._sandbox_factory()
                else:
                    from r1reward.sandbox import Sandbox

                    self._sandbox = Sandbox(workers=max(1, self.workers or 1))
            return self._sandbox

    def _run_sandboxed(self, kind: str, keys: list, timeout: float) -> list[ItemResult]:
        from .code_jobs import run_code_job

        sb = self.sandbox()
        with ThreadPoolExecutor(max_workers=max(1, self.workers or 1)) as threads:
            return list(threads.map(lambda p: run_code_job(p, sb, timeout), keys))

    def close(self) -> None:
        if self._executor is not None:
            self._executor.close()
            self._executor = None
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None


_default: Engine | None = None
_default_pid = 0
_default_chosen = False  # set by set_default_engine: kept across forks, with its settings
_default_lock = threading.Lock()


def default_engine() -> Engine:
    """The process-wide engine rewards use unless given one: the one `set_default_engine` chose
    (in a forked child too: an engine forgets its parent's workers after a fork and starts its
    own), else one built here (built again in a forked child)."""
    global _default, _default_pid
    with _default_lock:
        if _default is None or (_default_pid != os.getpid() and not _default_chosen):
            _default = Engine()
            _default_pid = os.getpid()
            atexit.register(_default.close)
        return _default


def set_default_engine(engine: Engine) -> None:
    global _default, _default_pid, _default_chosen
    with _default_lock:
        _default, _default_pid, _default_chosen = engine, os.getpid(), True


_abandoned: list = []  # a forked child's copies of the parent's sandboxes


def _after_fork_in_child() -> None:
    """Runs in every forked child, before anything else: the child has only the forking thread,
    so a lock another thread held at the fork would never be released."""
    global _gc_lock, _default_lock, _gc_depth
    _gc_lock = threading.Lock()
    _default_lock = threading.Lock()
    # batches other threads were scoring are not running here: they must not keep the collector
    # off in the child for good
    mine = getattr(_gc_mine, "depth", 0)
    if _gc_depth != mine:
        _gc_depth = mine
        if mine == 0 and _gc_was_enabled:
            gc.enable()
    for obj in list(_forked_copies):
        obj._forget_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
