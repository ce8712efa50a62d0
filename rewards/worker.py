"""A scoring worker: a clean interpreter that runs jobs for the batch core.

Started as `python -c "from r1reward.rewards.worker import main; main(...)"` rather than through
multiprocessing, so it never re-imports the trainer's `__main__` script and never inherits a
forked copy of a trainer's threads or CUDA state. It talks over one duplex pipe (pickled chunks
in, pickled results out) and publishes the item it is on in a shared page, so the parent's
watchdog can kill it when an item overruns.
"""

from __future__ import annotations

import mmap
import os
import select
import signal
import struct
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler

SLOT = struct.Struct("qd")  # (item index, monotonic start time or 0.0 when idle)


def main(conn_fd: int, progress_fd: int, slot: int, size: int, memory_mb: int = 0) -> None:
    from .core import run_jobs  # imported here: the parent's import of this module stays light

    if memory_mb > 0:
        # RLIMIT_DATA (heap and private writable mappings), not the address space: libraries'
        # mappings and reserved-but-unused ranges (a CUDA import's) do not count
        import resource

        cap = memory_mb << 20
        resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))

    # Ctrl-C in a terminal reaches the whole process group: the parent decides, workers just end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = Connection(conn_fd)
    progress = mmap.mmap(progress_fd, size)
    os.close(progress_fd)
    offset = slot * SLOT.size
    threading.Thread(target=_exit_when_parent_gone, args=(conn_fd,), daemon=True).start()
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if msg is None:
            return
        chunk_id, kind, indices, payloads, timeout = msg

        def started(position: int, indices: list[int] = indices) -> None:
            SLOT.pack_into(progress, offset, indices[position], time.monotonic())

        out = run_jobs(kind, payloads, timeout, started)
        SLOT.pack_into(progress, offset, -1, 0.0)
        try:
            try:
                conn.send((chunk_id, out))
            except (BrokenPipeError, OSError):
                raise
            except Exception:  # a result that cannot be pickled errors its item, not the chunk
                out = [_picklable(chunk_id, item) for item in out]
                try:
                    conn.send((chunk_id, out))
                except (BrokenPipeError, OSError):
                    raise
                except Exception as e:  # the items cross alone but not together: all error
                    conn.send((chunk_id, [_unsendable(e) for _ in out]))
        except (BrokenPipeError, OSError):
            return


def _picklable(chunk_id: int, item):
    """The item, or an error result when it cannot cross the pipe (a lock, a generator): tried
    as the answer that would carry it alone, with the pipe's own pickler."""
    try:
        ForkingPickler.dumps((chunk_id, [item]))
    except Exception as e:
        return _unsendable(e)
    return item


def _unsendable(e: Exception):
    from .core import ERROR, ItemResult

    return ItemResult(ERROR, detail=f"result cannot be pickled: {type(e).__name__}: {e}")


def _exit_when_parent_gone(fd: int) -> None:
    """End the process when the parent's end of the pipe closes (the parent was killed, or it
    closed us) even mid-item: nobody wants the item in progress, so end now rather than finish it
    as an orphan. Waits for the hang-up alone (POLLRDHUP, not POLLIN), so the thread never wakes
    while the parent is there: a thread that read the chunks as they came cost the scoring
    thread ~10% of its time in GIL hand-offs (measured with the batch benchmark's rollouts)."""
    poller = select.poll()
    poller.register(fd, select.POLLRDHUP)
    poller.poll()  # blocks until the hang-up (or an error on the descriptor: no parent either)
    os._exit(0)
