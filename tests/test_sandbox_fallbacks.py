"""The sandbox with mechanisms switched off: what remains still contains the core attacks, and
the missing pieces are reported and warned about, never silently absent."""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
import time
import warnings

import pytest
from r1reward.sandbox import Limits, Sandbox, pool
from r1reward.sandbox import report as report_module
from r1reward.sandbox.report import ProtectionReport

from tests.sandbox_programs import HOG_MODES, descendants, forked_hogs

LIM = Limits(cpu_s=2, wall_s=2, memory_mb=256, processes=16)
MODES = {
    "no-userns": ("userns",),
    "no-namespaces": ("userns", "mountns", "pidns", "netns"),
    "no-landlock": ("landlock",),
}


@pytest.fixture(scope="module", params=sorted(MODES))
def box(request):
    disable = MODES[request.param]
    pool._warned.clear()  # warnings are once per set of missing protections and process
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            sb = Sandbox(workers=1, limits=LIM, disable=disable)
        except Exception as exc:  # e.g. no-userns as non-root: nothing to unshare with
            pytest.skip(f"mode {request.param} cannot start here: {exc}")
    rep = sb.report()
    if rep.missing:
        assert any("reduced isolation" in str(w.message) for w in caught), rep.missing
    yield request.param, sb
    sb.close()


def _kids() -> set[int]:
    out = set()
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                with open(f"/proc/{e}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == os.getpid():
                        out.add(int(e))
            except (OSError, ValueError, IndexError):
                pass
    return out


def test_report_matches_mode(box):
    mode, sb = box
    rep = sb.report()
    if mode == "no-landlock":
        assert rep.landlock_abi == 0 and "landlock" in rep.missing
    if mode == "no-namespaces":
        assert not rep.pid_namespace and "pid_namespace" in rep.missing
    if mode == "no-userns":
        assert not rep.user_namespace


def test_basic_run_works(box):
    _, sb = box
    assert sb.run("print(int(input()) + 1)", stdin="41").stdout == "42\n"


def test_secret_files_unreadable(box):
    _mode, sb = box
    rep = sb.report()
    if not rep.landlock_abi and not rep.mount_namespace:
        pytest.skip("neither Landlock nor a mount namespace: reads are not restricted")
    ex = sb.run("print(open('/root/.bashrc').read()[:5]); print(open('/etc/shadow').read()[:5])")
    assert ex.status == "runtime_error" and ex.stdout == ""


def test_no_network(box):
    _, sb = box
    ex = sb.run("import socket\nsocket.create_connection(('127.0.0.1', 22), 1)\nprint('up')")
    assert "up" not in ex.stdout


@pytest.mark.parametrize(
    "family, kind", [("AF_INET", "SOCK_DGRAM"), ("AF_INET6", "SOCK_DGRAM"), ("AF_INET", "SOCK_RAW")]
)
def test_no_udp_or_raw_sockets_in_any_mode(box, family, kind):
    """Without a network namespace, Landlock governs TCP only: the seccomp socket-family filter
    must refuse the rest, so a datagram never reaches a host listener."""
    _, sb = box
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(0.3)
    port = listener.getsockname()[1]
    try:
        ex = sb.run(
            f"import socket\ns = socket.socket(socket.{family}, socket.{kind})\n"
            "print('socket made', flush=True)\n"
            f"s.sendto(b'leak', ('127.0.0.1', {port}))\nprint('sent')"
        )
        assert ex.status == "runtime_error" and "socket made" not in ex.stdout
        with pytest.raises(TimeoutError):
            listener.recvfrom(16)
    finally:
        listener.close()


def test_orphans_and_fork_bombs_cleaned_up(box):
    _, sb = box
    before = _kids()
    ex = sb.run(
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n"
        "    while True: time.sleep(1)\nprint('x')"
    )
    assert ex.status == "ok"
    ex = sb.run("import os\nwhile True:\n    try: os.fork()\n    except OSError: pass")
    assert ex.status in ("timeout", "runtime_error")
    assert _kids() <= before
    assert sb.run("print(1)").stdout == "1\n"


def test_processes_cannot_add_up_past_the_memory_cap(box):
    """Without a pid namespace of its own the server finds the run's processes by walking its
    descendants (orphans are reparented to it): the sum is still bounded."""
    _, sb = box
    for mode in HOG_MODES:
        ex = sb.run(
            forked_hogs(mode),
            limits=Limits(memory_mb=256, wall_s=20, processes=32),
        )
        assert ex.status == "memory_limit", (ex.status, ex.detail)
        assert ex.wall_s < 5


def test_writes_stay_in_run_dir(box, tmp_path):
    _, sb = box
    target = tmp_path / "escape"
    ex = sb.run(f"open({str(target)!r}, 'w').write('x')")
    rep = sb.report()
    if not rep.landlock_abi and not rep.private_tmp:
        pytest.skip("no Landlock and no private /tmp")
    assert ex.status == "runtime_error" and not target.exists()


def test_strict_refuses_missing_protections():
    with pytest.raises(RuntimeError, match="missing"):
        Sandbox(workers=1, disable=("landlock",), strict=True)


def _reduced_isolation(caught) -> list[str]:
    return [str(w.message) for w in caught if "reduced isolation" in str(w.message)]


def test_a_missing_protection_is_warned_once_per_process():
    pool._warned.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            Sandbox(workers=1, limits=LIM, disable=("landlock",)).close()
        assert len(_reduced_isolation(caught)) == 1
        # another set of missing protections is news: warned too
        Sandbox(workers=1, limits=LIM, disable=("landlock", "seccomp")).close()
        messages = _reduced_isolation(caught)
        assert len(messages) == 2 and "seccomp" in messages[1]


@pytest.mark.parametrize("name", report_module._PROTECTIONS)
def test_every_protection_a_host_lacks_is_named_as_missing(name):
    full = ProtectionReport(**dict.fromkeys(report_module._FLAGS, True), landlock_abi=7)
    assert full.missing == ()
    lacking = dataclasses.replace(full, **{name: False})
    assert lacking.missing == (name,)
    assert name in lacking.describe().split("missing: ")[1]
    # a pool's report is its weakest worker's
    assert full.weakest(lacking).missing == (name,) == lacking.weakest(full).missing


def test_the_process_cap_is_missing_only_without_both_mechanisms():
    full = ProtectionReport(**dict.fromkeys(report_module._FLAGS, True), landlock_abi=7)
    assert dataclasses.replace(full, cgroup_pids=False).missing == ()
    assert dataclasses.replace(full, nproc_limit=False).missing == ()
    none = dataclasses.replace(full, cgroup_pids=False, nproc_limit=False, landlock_abi=0)
    assert none.missing == ("landlock", "process_cap")
    assert full.weakest(none).landlock_abi == 0


def test_a_replacement_worker_with_less_isolation_weakens_the_report_and_warns():
    """Workers are checked one by one: a replacement that came up without Landlock (here: told
    to, standing in for a host that ran out of something) must not hide behind the first."""
    pool._warned.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Sandbox(workers=1, limits=LIM) as sb:
            assert sb.report().landlock_abi and not _reduced_isolation(caught)
            sb._disable = frozenset({"landlock"})
            victim = sb._all[0]
            os.kill(victim.pid, 9)
            victim.proc.wait()
            assert sb.run("print(1)").status == "sandbox_error"
            assert sb.run("print(1)").stdout == "1\n"  # the replacement serves
            assert sb.report().landlock_abi == 0 and "landlock" in sb.report().missing
        assert any("landlock" in m for m in _reduced_isolation(caught))


def test_a_pool_whose_workers_cannot_restart_errors_instead_of_waiting(monkeypatch):
    """Every worker died and none could start again: each run says so at once (it used to wait
    forever for a worker that never came), and the pool heals when starting works again."""
    with Sandbox(workers=1, limits=LIM) as sb:
        real = pool.Worker

        def broken(*args, **kw):
            raise OSError("cannot start a fork server")

        monkeypatch.setattr(pool, "Worker", broken)
        victim = sb._all[0]
        os.kill(victim.pid, 9)
        victim.proc.wait()
        outcome: list = []
        runner = threading.Thread(
            target=lambda: outcome.extend(sb.run("print(1)") for _ in range(3)), daemon=True
        )
        runner.start()
        runner.join(30)
        assert not runner.is_alive(), "a run waited for a worker that could not start"
        assert [ex.status for ex in outcome] == ["sandbox_error"] * 3
        assert "cannot start a fork server" in outcome[-1].detail
        monkeypatch.setattr(pool, "Worker", real)
        assert sb.run("print(1)").stdout == "1\n"
        assert len(sb._all) == 1


def test_a_worker_killed_during_a_run_errors_that_run_and_is_replaced():
    """The fork server dies while its run is in flight (OOM killer, an operator): that run is a
    sandbox_error, not a pass, a hang or a traceback, and the next run gets a fresh worker."""
    with Sandbox(workers=1, limits=Limits(cpu_s=5, wall_s=10)) as sb:
        victim = sb._all[0]
        before = descendants(os.getpid()) - {victim.pid}
        killer = threading.Timer(0.5, os.kill, (victim.pid, 9))
        killer.start()
        start = time.monotonic()
        ex = sb.run("import time\ntime.sleep(5)\nprint('finished')")
        killer.join()
        assert ex.status == "sandbox_error" and "finished" not in ex.stdout
        assert time.monotonic() - start < 4
        # the run's own process died with its server; only the replacement's are new
        replacement = sb._all[0]
        assert replacement is not victim
        leftover = descendants(os.getpid()) - before
        assert all(p == replacement.pid or _descends_from(p, replacement.pid) for p in leftover)
        assert sb._all and sb._all[0] is not victim
        assert sb.run("print(1)").stdout == "1\n"


def _descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1:
        try:
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
        if pid == ancestor:
            return True
    return False


def test_an_unexpected_error_mid_run_loses_no_worker(monkeypatch):
    """Any exception in the exchange with a worker (a bad value reaching its wait raised
    ValueError) is that run's sandbox_error; the worker is replaced, not lost, so the next run
    on a one-worker pool is served instead of waiting forever."""
    with Sandbox(workers=1, limits=LIM) as sb:
        worker = sb._all[0]

        def broken(*args, **kw):
            raise ValueError("timeout must be finite")

        monkeypatch.setattr(worker, "request", broken)
        assert sb.run("print(1)").status == "sandbox_error"
        assert _served_by_a_fresh_worker(sb, worker)


def test_strict_keeps_refusing_weaker_replacements():
    """A strict pool refused its first weaker replacement, then took the next one: the
    report it checked against had been weakened by the refused worker."""
    with Sandbox(workers=1, limits=LIM, strict=True) as sb:
        sb._disable = frozenset({"landlock"})  # replacements now come up without Landlock
        for _ in range(3):
            victim = sb._all[0] if sb._all else None
            if victim is not None:
                os.kill(victim.pid, 9)
                victim.proc.wait()
            ex = sb.run("print('ran')")
            assert ex.status == "sandbox_error" and "ran" not in ex.stdout
            assert "landlock" in ex.detail
        assert sb.report().landlock_abi and not sb.report().missing
        assert all(w.proc.poll() is None for w in sb._all)  # no refused worker kept


def test_replacements_never_grow_the_pool_past_its_size(monkeypatch):
    """A run whose worker died starts the replacement; callers tired of waiting meanwhile (a
    slow start: 0.6 s here) must not start more of them and grow the pool past its size."""
    with Sandbox(workers=1, limits=LIM) as sb:
        real = pool.Worker

        def slow(*args, **kw):
            time.sleep(0.6)
            return real(*args, **kw)

        monkeypatch.setattr(pool, "Worker", slow)
        victim = sb._all[0]
        os.kill(victim.pid, 9)
        victim.proc.wait()
        sizes: list[int] = []
        outcomes: list[str] = []

        def call() -> None:
            outcomes.append(sb.run("print(1)").status)
            sizes.append(len(sb._all))

        callers = [threading.Thread(target=call, daemon=True) for _ in range(4)]
        for t in callers:
            t.start()
        for t in callers:
            t.join(30)
        assert sorted(outcomes) == ["ok"] * 3 + ["sandbox_error"]  # the victim's run alone
        assert max(sizes) == 1 and len(sb._all) == 1
        servers = [w for w in sb._all if w.proc.poll() is None]
        assert len(servers) == 1


def test_ctrl_c_during_a_run_loses_no_worker_for_good(monkeypatch):
    """KeyboardInterrupt mid-exchange reaches the caller, and the worker it left in an unknown
    state is dropped, so the next run on a one-worker pool starts a fresh one (it waited)."""
    with Sandbox(workers=1, limits=LIM) as sb:
        worker = sb._all[0]

        def interrupted(*args, **kw):
            raise KeyboardInterrupt

        monkeypatch.setattr(worker, "request", interrupted)
        with pytest.raises(KeyboardInterrupt):
            sb.run("print(1)")
        assert _served_by_a_fresh_worker(sb, worker)


def test_a_pool_that_cannot_refill_a_slot_serves_runs_on_the_workers_it_has(monkeypatch):
    """One slot lost for good (strict refuses every weaker replacement): callers that wait for
    the healthy worker get it, instead of an error from a start attempt of their own, and
    starts are tried at most once a second, not by every waiting caller."""
    with Sandbox(workers=2, limits=LIM, strict=True) as sb:
        sb._disable = frozenset({"landlock"})
        victim = sb._all[0]
        os.kill(victim.pid, 9)
        victim.proc.wait()
        first = [sb.run("print('x')") for _ in range(2)]  # one of them meets the dead worker
        assert sorted(ex.status for ex in first) == ["ok", "sandbox_error"]
        starts = []
        real = pool.Worker

        def counted(*args, **kw):
            starts.append(time.monotonic())
            return real(*args, **kw)

        monkeypatch.setattr(pool, "Worker", counted)
        outcomes: list = []
        callers = [
            threading.Thread(
                target=lambda: outcomes.append(sb.run("import time; time.sleep(0.4)").status)
            )
            for _ in range(4)
        ]
        for t in callers:
            t.start()
        for t in callers:
            t.join(30)
        assert outcomes == ["ok"] * 4
        assert len(starts) <= 3  # about 1.6 s of waiting: a start a second at most


def _served_by_a_fresh_worker(sb: Sandbox, old) -> bool:
    """A run finishes within 30 s (in a thread: a pool that waits forever must fail the test,
    not hang it), on the one worker that replaced `old`."""
    outcome: list = []
    runner = threading.Thread(target=lambda: outcome.append(sb.run("print(2)")), daemon=True)
    runner.start()
    runner.join(30)
    served = bool(outcome) and outcome[0].stdout == "2\n"
    return served and len(sb._all) == 1 and sb._all[0] is not old
