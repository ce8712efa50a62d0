"""Hostile programs against limits and neighbours the other attack files did not truly attack:
the process cap (a fork bomb also meets the wall limit, so it passed without one), the open-files
cap, a concurrent run as a target, existing host files opened for writing, and the fork
server's own memory as a cost every later run pays. Every run is under `containment`."""

from __future__ import annotations

import os
import statistics
import threading
import time

import pytest
from r1reward.sandbox import Limits, Sandbox

from tests.sandbox_programs import (
    CANARY,
    FAST,
    PROBE,
    containment,
    fork_servers,
    read_quietly,
    run_processes,
    vm_rss_kb,
    wait_for_a_run,
)


@pytest.fixture(scope="module")
def sb():
    with Sandbox(workers=2, limits=FAST) as box:
        yield box


# ---- the process cap ---------------------------------------------------------------------------
LIVE_CHILDREN = r"""
import errno, os
n = 0
for _ in range(40):
    try:
        pid = os.fork()
    except OSError as e:
        print(n, errno.errorcode.get(e.errno), flush=True)
        break
    if pid == 0:
        try:
            os.execv('/bin/sleep', ['sleep', '30'])  # alive, and small: not the memory cap
        finally:
            os._exit(1)
    n += 1
else:
    print(n, 'all', flush=True)
"""


def test_live_children_stop_at_the_process_cap(sb):
    """40 children that stay alive, not a loop that also meets the wall limit: forks fail with
    EAGAIN before the 40th. A run may have `processes` + 4 tasks (the pids cgroup, which also
    holds the worker's two server processes, as root; RLIMIT_NPROC, which counts every process
    of the user, otherwise), so fewer than that many children here, however many other
    processes the user has."""
    if not sb.report().process_cap:  # reported missing, and warned: nothing to attack here
        pytest.skip("no process cap on this host (no pids cgroup; root has no RLIMIT_NPROC)")
    lim = Limits(cpu_s=2, wall_s=3, memory_mb=512, processes=16)
    with containment(sb):  # and the sleeping children die with the run
        ex = sb.run(LIVE_CHILDREN, limits=lim)
    assert ex.status == "ok", ex
    forked, why = ex.stdout.split()
    assert why == "EAGAIN", ex.stdout
    assert 0 < int(forked) < lim.processes + 4, ex.stdout


# ---- the open-files cap ------------------------------------------------------------------------
OPEN_FILES = r"""
import errno, os, resource
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
try:
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard * 8, hard * 8))
    print('raised', flush=True)
except (ValueError, OSError):
    pass
for opener in (lambda: os.dup(0), lambda: os.open('/dev/null', os.O_RDONLY)):
    fds = []
    try:
        while len(fds) < 4096:
            fds.append(opener())
        print(len(fds), 'all')
    except OSError as e:
        print(len(fds), errno.errorcode.get(e.errno))
    for fd in fds:  # each way on its own: open must meet the cap, not a table dup filled
        os.close(fd)
"""


def test_open_files_stop_at_the_cap(sb):
    """Descriptors are kernel memory and a per-process table: a program cannot raise its limit,
    and dup and open both stop below `open_files` (0-2 are taken)."""
    lim = Limits(cpu_s=2, wall_s=3, open_files=32)
    with containment(sb):
        ex = sb.run(OPEN_FILES, limits=lim)
    assert ex.status == "ok" and "raised" not in ex.stdout, ex
    (dup_n, dup_why), (open_n, open_why) = (line.split() for line in ex.stdout.splitlines())
    assert (dup_why, open_why) == ("EMFILE", "EMFILE"), ex.stdout
    assert 0 < int(dup_n) == int(open_n) < lim.open_files, ex.stdout


# ---- a concurrent run as the target ------------------------------------------------------------
VICTIM = "import time\ntime.sleep(1)\nprint('survived', flush=True)"
ATTACKER = r"""
import os, signal
me = os.getpid()  # also its group and session: signalling those would stop itself
targets = set(range(1, 1 << 12)) | set(HOST_PIDS)
try:
    targets |= {int(p) for p in os.listdir('/proc') if p.isdigit()}
except OSError:
    pass
targets.discard(me)
for sig in (signal.SIGSTOP, signal.SIGKILL):
    for pid in sorted(targets):
        try:
            os.kill(pid, sig)
        except OSError:
            pass
    for pid in set(HOST_PIDS) - {me}:
        try:
            os.killpg(pid, sig)
        except OSError:
            pass
    try:
        os.kill(-1, sig)  # every process it may signal but itself
    except OSError:
        pass
print('done')
"""


def test_a_run_cannot_signal_a_concurrent_run(sb):
    """Two runs at once on the two workers: one sleeps a second and prints; the other sends
    SIGSTOP and SIGKILL to every pid of its own namespace, to the other run's host pids and
    their groups, and to -1. The sleeper finishes with its output."""
    if not sb.report().pid_namespace:  # kill(-1) and pids 1-4095 would be the host's
        pytest.skip("no pid namespace: this attack would signal the host's processes")
    servers = {w.pid for w in sb._all}
    victim: dict = {}
    with containment(sb):
        t = threading.Thread(target=lambda: victim.update(ex=sb.run(VICTIM)))
        t.start()
        host_pids = wait_for_a_run(sb)
        assert host_pids, "the victim never started"
        ex = sb.run(ATTACKER.replace("HOST_PIDS", repr(sorted(host_pids))))
        attacked_while_alive = t.is_alive()
        t.join()
    assert attacked_while_alive, "the attack must land while the victim runs"
    assert ex.status == "ok" and ex.stdout == "done\n", ex
    assert (victim["ex"].status, victim["ex"].stdout) == ("ok", "survived\n"), victim["ex"]
    assert {w.pid for w in sb._all} == servers  # no worker was lost either


# ---- existing host files opened for writing ----------------------------------------------------
OVERWRITE = r"""
import errno, os
path = PATH
open('mine', 'w').write('replacement')
attempts = [
    ('truncate-open', lambda: open(path, 'w').write('pwned')),
    ('append', lambda: open(path, 'a').write('pwned')),
    ('read-write', lambda: open(path, 'r+').write('pwned')),
    ('O_TRUNC', lambda: os.close(os.open(path, os.O_WRONLY | os.O_TRUNC))),
    ('truncate', lambda: os.truncate(path, 0)),
    ('rename-over', lambda: os.rename('mine', path)),
    ('unlink', lambda: os.unlink(path)),
]
for name, attempt in attempts:
    try:
        attempt()
        print(name, 'DONE')
    except OSError as e:
        print(name, errno.errorcode.get(e.errno))
"""


@pytest.mark.parametrize("target", ["canary", "etc_hostname"])
def test_existing_host_files_cannot_be_overwritten(sb, target):
    """Truncating, appending, writing in place, renaming over and unlinking an existing host
    file all fail, and the file keeps its contents and times: the canary in /var/tmp (visible,
    only Landlock guards it) and /etc/hostname. (A file in the caller's /tmp is no target: the
    run's private /tmp hides it, so every attempt fails whatever else guards it.)"""
    if target == "canary":
        path = str(CANARY)
    else:
        path = "/etc/hostname"
        if not os.path.isfile(path):
            pytest.skip("no /etc/hostname")
    content, st = read_quietly(path), os.stat(path)
    with containment(sb):  # checks the canary and the top of /etc itself, too
        ex = sb.run(OVERWRITE.replace("PATH", repr(path)))
    assert ex.status == "ok", ex
    results = dict(line.split() for line in ex.stdout.splitlines())
    assert len(results) == 7 and "DONE" not in results.values(), results
    assert read_quietly(path) == content
    after = os.stat(path)
    assert (after.st_ino, after.st_size, after.st_mtime_ns, after.st_ctime_ns) == (
        st.st_ino,
        st.st_size,
        st.st_mtime_ns,
        st.st_ctime_ns,
    )


# ---- the fork server's memory: a cost every later run pays -------------------------------------
ECHO = "import sys\nsys.stdout.buffer.write(sys.stdin.buffer.read())"
BIG = Limits(cpu_s=5, wall_s=10, memory_mb=256, output_bytes=31 << 20)


def _big_runs(box: Sandbox) -> None:
    """Runs of 5 to 30 MB in and out (under the output cap). Sizes that differ: runs of one
    size reuse the heap the last one freed, and would hide a server that never gives it back."""
    for mb in (5, 13, 30, 9):
        ex = box.run(ECHO, stdin="x" * (mb << 20))
        assert ex.status == "ok" and len(ex.stdout) == mb << 20, ex.status


def _plain_wall_s(box: Sandbox) -> float:
    return statistics.median(box.run("pass").wall_s for _ in range(5))


def test_plain_runs_stay_fast_after_big_runs():
    """Every child is forked from the server, so what the server holds is copied (page tables
    at least) into each: a plain run after big ones must not slow down. Loose: under 3 times
    the median before, plus 20 ms for a loaded host."""
    with Sandbox(workers=1, limits=BIG) as box, containment(box):
        before = _plain_wall_s(box)
        _big_runs(box)
        after = _plain_wall_s(box)
    assert after < 3 * before + 0.02, (before, after)


RSS_SLACK_KB = 8 << 10


def test_big_runs_leave_the_fork_server_as_it_was():
    """After runs with up to 30 MB of stdin and of stdout the server's resident memory returns to
    what it was (the buffers are wiped and must also be released), and a run after them is
    weighed on its own memory: a 64 MB cap is not eaten by the server's leftovers."""
    probe = "import time\ntime.sleep(0.2)\nprint('fine')"
    small = Limits(cpu_s=2, wall_s=3, memory_mb=64)
    with Sandbox(workers=1, limits=BIG) as box, containment(box):
        for _ in range(3):
            box.run("pass")
        (server,) = fork_servers(box)
        before = vm_rss_kb(server)
        assert box.run(probe, limits=small).status == "ok"
        _big_runs(box)
        deadline = time.monotonic() + 1  # the server wipes and frees once its reply is sent
        while (after := vm_rss_kb(server)) > before + RSS_SLACK_KB and time.monotonic() < deadline:
            time.sleep(0.05)
        next_run = box.run(probe, limits=small)
        assert not run_processes(box)
    assert after <= before + RSS_SLACK_KB, f"server VmRSS {before} kB -> {after} kB"
    assert (next_run.status, next_run.stdout) == ("ok", "fine\n"), next_run


# ---- the check itself --------------------------------------------------------------------------
def test_the_containment_check_sees_a_host_change_and_not_our_own_log(sb):
    """A checker that passes everything would make every attack above pass: a file that appears
    in /tmp during a block fails it, and a log this process holds open and writes (pytest's
    output redirected to /tmp) does not."""
    probe = PROBE
    try:
        with pytest.raises(AssertionError, match="the host changed"), containment(sb):
            sb.run("pass")
            probe.write_text("x")
    finally:
        probe.unlink(missing_ok=True)
    with open(probe, "w") as log:
        try:
            with containment(sb):
                sb.run("pass")
                log.write("a line of output\n")
                log.flush()
        finally:
            probe.unlink()
