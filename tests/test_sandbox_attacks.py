"""Hostile programs against the sandbox: every test is an attack and asserts it is contained
(the expected status or effect), that it did not get what it tried, and, through
`tests.sandbox_programs.containment`, that no run leaves a process behind, that the secret is in
no output and that no host file is touched."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid

import pytest
from r1reward.sandbox import Execution, Limits, Sandbox

from tests.sandbox_programs import (
    CANARY,
    FAST,
    HOG_MODES,
    SECRET,
    containment,
    descendants,
    forked_hogs,
    wait_for_a_run,
)


@pytest.fixture(scope="module")
def sb():
    with Sandbox(workers=2, limits=FAST) as box:
        yield box


@pytest.fixture
def contained(sb):
    """Run an attack on the module's sandbox under `containment`: its Execution."""

    def run(source: str, **kw) -> Execution:
        with containment(sb):
            return sb.run(source, **kw)

    return run


# ---- files ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["/etc/shadow", "/etc/passwd", "/root/.bashrc", "/proc/1/environ", "/proc/self/environ"]
)
def test_cannot_read_host_files(contained, path):
    ex = contained(f"print(open({path!r}).read())")
    assert ex.status == "runtime_error"
    assert ex.stdout == ""


def test_cannot_read_callers_files(contained, tmp_path):
    """The canary in /var/tmp (visible, Landlock keeps it out; its atime says it was not even
    read) and a secret under the caller's /tmp (behind the private tmpfs)."""
    (tmp_path / "answer.txt").write_text(SECRET)
    for target in (CANARY, tmp_path / "answer.txt"):
        ex = contained(f"print(open({str(target)!r}).read())")
        assert ex.status == "runtime_error" and ex.stdout == "", ex
        ex = contained(f"import os; print(os.listdir({str(target.parent)!r}))")
        assert ex.status == "runtime_error" and ex.stdout == "", ex
    assert (tmp_path / "answer.txt").read_text() == SECRET


def test_cannot_read_working_directory(contained):
    here = os.path.abspath(__file__)
    ex = contained(f"print(open({here!r}).read()[:100])")
    assert ex.status == "runtime_error" and ex.stdout == ""


@pytest.mark.parametrize("path", ["/root", "/home", "/", "/tmp/..", "/etc"])
def test_cannot_list_directories(contained, path):
    ex = contained(f"import os; print(os.listdir({path!r}))")
    assert ex.status == "runtime_error" and ex.stdout == ""


@pytest.mark.parametrize(
    "target",
    [
        "/tmp/r1-escape-{m}",
        "/dev/shm/r1-escape-{m}",
        "/var/tmp/r1-escape-{m}",
        "{cwd}/r1-escape-{m}",
        "{home}/r1-escape-{m}",
        "/etc/r1-escape-{m}",
    ],
)
def test_writes_outside_run_dir_fail(contained, target):
    marker = uuid.uuid4().hex
    path = target.format(m=marker, cwd=os.getcwd(), home=os.path.expanduser("~"))
    ex = contained(f"open({path!r}, 'w').write('x')")
    assert ex.status == "runtime_error"
    assert not os.path.exists(path)


def test_run_dir_is_writable_private_and_removed(contained):
    first = contained("import os; open('mine','w').write('1'); print(os.getcwd())")
    assert first.status == "ok"
    second = contained("import os; print(sorted(os.listdir('.')))")
    assert second.status == "ok" and second.stdout.strip() == "[]"
    assert not os.path.exists(first.stdout.strip() + "/mine")


LEFTOVERS = r"""
import os
os.makedirs('deep/' + '/'.join(['d'] * 200))
os.mkdir('locked')
open('locked/f', 'w').write('x')
os.mkdir('locked/inner', 0)  # unreadable and unwritable from birth (chmod is refused)
os.mkfifo('fifo')
os.symlink('/usr/bin', 'link_dir')
os.symlink(os.path.dirname(os.__file__), 'link_stdlib')
fd = os.open('ro', os.O_CREAT | os.O_WRONLY, 0)
os.write(fd, b'x')
os.close(fd)
os.umask(0o777)
os.mkdir('sealed')
"""


def test_hostile_leftovers_are_removed_without_following_links(sb):
    """Deep trees, unreadable and unwritable directories, fifos and links to host directories
    are all gone before the next run; the directories the links pointed at are untouched."""
    import sysconfig

    stdlib = sysconfig.get_paths()["stdlib"]
    before = sorted(os.listdir(stdlib)), sorted(os.listdir("/usr/bin"))
    with Sandbox(workers=1, limits=FAST) as box, containment(box):
        first = box.run(LEFTOVERS)
        assert first.status == "ok", first.stderr
        second = box.run("import os; print(sorted(os.listdir('.')))")
        assert second.status == "ok" and second.stdout.strip() == "[]", second
    assert (sorted(os.listdir(stdlib)), sorted(os.listdir("/usr/bin"))) == before


def test_trees_of_any_depth_or_width_are_cleared_without_a_sandbox_error():
    """Cleanup used to recurse: a 3000-deep tree made the run a sandbox error, which the rewards
    score None (not applicable), so a wrong program could dodge its zero."""
    deep = "import os\nfor i in range(3000):\n    os.mkdir('d')\n    os.chdir('d')\nprint(5)\n"
    wide = "import os\nfor i in range(3000):\n    os.makedirs(f'w{i}/x', 0)\nprint(6)\n"
    with Sandbox(workers=1, limits=FAST) as box, containment(box):
        for program, out in ((deep, "5"), (wide, "6")):
            ex = box.run(program)
            assert (ex.status, ex.stdout.strip()) == ("ok", out), ex
            after = box.run("import os; print(os.listdir('.'))")
            assert after.status == "ok" and after.stdout.strip() == "[]", after


def test_other_runs_directory_unreachable(sb):
    marker = uuid.uuid4().hex
    writer = (
        f"import os, time\nopen('loot', 'w').write({marker!r})\n"
        "print(os.getcwd(), flush=True)\ntime.sleep(1.5)"
    )
    seeker = (
        "import os, glob\n"
        "hits = [p for p in glob.glob('/tmp/**/loot', recursive=True)]\n"
        "hits += glob.glob('/tmp/r1sandbox-*/**/loot', recursive=True)\n"
        "print([open(p).read() for p in hits])"
    )
    box: dict = {}
    with containment(sb):
        t = threading.Thread(target=lambda: box.setdefault("w", sb.run(writer)))
        t.start()
        assert wait_for_a_run(sb), "the writer never started"
        time.sleep(0.2)  # it writes its loot first thing
        found = sb.run(seeker)
        alive = t.is_alive()
        t.join()
    assert alive, "the seeker must look while the writer's loot exists"
    assert box["w"].status == "ok" and box["w"].stdout.strip(), box["w"]
    assert found.status == "ok" and found.stdout.strip() == "[]", found


def test_file_size_limit(contained):
    ex = contained(
        "import os\n"
        "try:\n    open('big', 'wb').write(b'x' * (64 << 20))\n"
        "except OSError as e:\n    print('refused', e.errno)\n"
        "print(os.path.getsize('big'))",
        limits=Limits(cpu_s=2, wall_s=3, file_bytes=1 << 20),
    )
    assert ex.status == "ok", ex
    refused, size = ex.stdout.splitlines()
    assert refused == "refused 27"  # EFBIG
    assert int(size) <= 1 << 20  # the file stopped at the cap


def test_subprocess_inherits_confinement(contained):
    ex = contained(
        "import subprocess\n"
        "r = subprocess.run(['/bin/cat', '/etc/passwd'], capture_output=True)\n"
        "print(r.returncode, r.stdout[:20])"
    )
    assert ex.status == "ok"
    assert ex.stdout.split()[0] != "0"
    assert "root" not in ex.stdout


# ---- secrets, signals, tracing ----------------------------------------------------------------
def test_environment_is_empty_of_secrets(contained):
    ex = contained("import os; print(sorted(os.environ.items()))")
    assert ex.status == "ok"
    assert "R1_TEST_SECRET" not in ex.stdout


def test_parent_environ_unreadable(contained):
    ex = contained(f"print(open('/proc/{os.getpid()}/environ', 'rb').read())")
    assert ex.status == "runtime_error" and ex.stdout == ""


def test_cannot_signal_parent(contained):
    ex = contained(f"import os, signal; os.kill({os.getpid()}, signal.SIGKILL); print('sent')")
    assert ex.status == "runtime_error" and ex.stdout == ""  # the kill raised (ESRCH / EPERM)


def test_cannot_kill_fork_server_or_other_runs(sb, contained):
    pids = {w.pid for w in sb._all}
    ex = contained(
        "import os, signal\n"
        "for p in (os.getppid(), 1):\n"
        "    try: os.kill(p, signal.SIGKILL)\n"
        "    except OSError: pass\n"
        "try: os.kill(-1, signal.SIGKILL)\n"
        "except OSError: pass\n"
        "print('alive')"
    )
    assert ex.status == "ok" and "alive" in ex.stdout
    assert {w.pid for w in sb._all} == pids
    assert sb.run("print(2)").stdout == "2\n"


def test_ptrace_denied(contained):
    ex = contained(
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "r = libc.ptrace(16, os.getppid(), 0, 0)\n"  # PTRACE_ATTACH
        "print(r, ctypes.get_errno())"
    )
    assert ex.status == "ok"
    assert ex.stdout.split()[0] == "-1"


@pytest.mark.parametrize(
    "call",
    [
        "os.unshare(os.CLONE_NEWUSER)"
        if hasattr(os, "unshare")
        else "libc.unshare(0x10000000) == 0 or 1/0",
        "libc.mount(b'none', b'/tmp', b'tmpfs', 0, None) == 0 or 1/0",
        "os.chroot('/')",
        "libc.setns(0, 0) == 0 or 1/0",
    ],
)
def test_namespace_and_mount_syscalls_denied(contained, call):
    ex = contained(
        f"import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n{call}\nprint('escaped')"
    )
    assert "escaped" not in ex.stdout
    assert ex.status == "runtime_error"


def test_no_capabilities(contained):
    ex = contained(
        "import ctypes\nlibc = ctypes.CDLL(None)\n"
        "print(sum(libc.prctl(23, c, 0, 0, 0) == 1 for c in range(41)))"
    )
    assert ex.status == "ok" and ex.stdout.strip() == "0"  # PR_CAPBSET_READ: bounding set empty


# ---- network ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "family,kind",
    [
        ("AF_INET", "SOCK_STREAM"),
        ("AF_INET", "SOCK_DGRAM"),
        ("AF_INET6", "SOCK_STREAM"),
        ("AF_INET", "SOCK_RAW"),
        ("AF_NETLINK", "SOCK_RAW"),
        ("AF_PACKET", "SOCK_RAW"),
    ],
)
def test_no_network_sockets(contained, family, kind):
    ex = contained(
        f"import socket\ns = socket.socket(socket.{family}, socket.{kind})\nprint('socket made')"
    )
    assert ex.status == "runtime_error" and "socket made" not in ex.stdout


def test_cannot_reach_host_tcp_listener(contained):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    srv.settimeout(0.5)
    port = srv.getsockname()[1]
    try:
        ex = contained(
            f"import socket\nsocket.create_connection(('127.0.0.1', {port}), 1)\nprint('connected')"
        )
        assert ex.status == "runtime_error" and "connected" not in ex.stdout
        with pytest.raises(OSError):
            srv.accept()
    finally:
        srv.close()


def test_cannot_reach_host_abstract_unix_socket(contained):
    name = b"\0r1-test-" + uuid.uuid4().hex.encode()
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(name)
    srv.listen()
    try:
        ex = contained(
            f"import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect({name!r})\n"
            "print('connected')"
        )
        assert ex.status == "runtime_error" and "connected" not in ex.stdout
    finally:
        srv.close()


# ---- time, memory, processes, output ----------------------------------------------------------
def test_cpu_loop_times_out(contained):
    ex = contained("while True: pass", limits=Limits(cpu_s=1, wall_s=5))
    assert ex.status == "timeout" and ex.wall_s < 4
    assert ex.cpu_s < 2.5, ex  # no more CPU than the hard limit (cpu_s + 1)


def test_sleep_loop_caught_by_wall_limit(contained):
    ex = contained("import time\nwhile True: time.sleep(0.1)", limits=Limits(cpu_s=5, wall_s=1))
    assert ex.status == "timeout" and 0.9 < ex.wall_s < 2


def test_memory_bomb(contained):
    ex = contained(
        "x = []\nwhile True: x.append(bytearray(1 << 24))", limits=Limits(memory_mb=128, wall_s=5)
    )
    assert ex.status == "memory_limit" and ex.stdout == ""
    assert ex.memory_mb <= 128, ex  # it never held more than its cap


@pytest.mark.parametrize("mode", HOG_MODES)
def test_processes_cannot_add_up_past_the_memory_cap(contained, mode):
    start = time.monotonic()
    ex = contained(
        forked_hogs(mode),
        limits=Limits(memory_mb=256, wall_s=20, processes=32),
    )
    assert ex.status == "memory_limit", (ex.status, ex.detail)
    assert "together" in ex.detail and ex.memory_mb > 256
    assert time.monotonic() - start < 5, "caught when the sum passed the cap, not at the wall limit"


def test_forking_program_under_the_memory_cap_runs(contained):
    ex = contained(
        "import os, time\n"
        "pid = os.fork()\n"
        "data = bytearray(60 << 20)\n"  # parent and child touch 60 MB each: 120 MB together
        "for i in range(0, len(data), 4096): data[i] = 1\n"
        "time.sleep(0.1)\n"  # both still alive when the run is weighed
        "if pid == 0: os._exit(0)\n"
        "os.wait(); print('ok')",
        limits=Limits(memory_mb=256, wall_s=10, processes=32),
    )
    assert ex.status == "ok" and ex.stdout.strip() == "ok", (ex.status, ex.detail, ex.stderr)


# Threads alive at once: each one's stack counts whole against the address-space cap, and so
# does each malloc arena (64 MB reserved). At 8 MiB stacks, 16 threads filled a 128 MB cap; on
# Python 3.13 (threads keep their stacks until joined) even short-lived ones started before the
# first join did.
ALIVE_AT_ONCE = (
    "import threading\nev = threading.Event()\n"
    "ts = [threading.Thread(target=ev.wait) for _ in range({n})]\n"
    "for t in ts: t.start()\n"
    "ev.set()\nfor t in ts: t.join()\nprint(len(ts))"
)


@pytest.mark.parametrize(
    ("memory_mb", "processes", "threads"),
    [(128, 32, 16), (128, 32, 28), (128, 64, 60), (512, 64, 60), (64, 16, 12)],
)
def test_threads_work_under_memory_cap(contained, memory_mb, processes, threads):
    ex = contained(
        ALIVE_AT_ONCE.format(n=threads),
        limits=Limits(memory_mb=memory_mb, processes=processes),
    )
    assert ex.status == "ok" and ex.stdout.strip() == str(threads), (ex.status, ex.stderr[-300:])


def test_short_lived_threads_started_before_joining(contained):
    ex = contained(
        "import threading\nout = []\n"
        "ts = [threading.Thread(target=out.append, args=(i,)) for i in range(16)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\nprint(len(out))",
        limits=Limits(memory_mb=128, processes=32),
    )
    assert ex.status == "ok" and ex.stdout.strip() == "16", (ex.status, ex.stderr[-300:])


def test_a_program_still_chooses_its_threads_stack(contained):
    # the competitive-programming idiom for deep recursion: a big stack for one worker thread
    ex = contained(
        "import sys, threading\nsys.setrecursionlimit(10**6)\n"
        "threading.stack_size(256 << 20)\n"
        "def depth(n): return 0 if n == 0 else 1 + depth(n - 1)\n"
        "out = []\nt = threading.Thread(target=lambda: out.append(depth(200_000)))\n"
        "t.start(); t.join()\nprint(threading.stack_size(), out)",
        limits=Limits(memory_mb=512),
    )
    assert ex.status == "ok", (ex.status, ex.stderr[-300:])
    assert ex.stdout.split() == [str(256 << 20), "[200000]"]


def test_fork_bomb_contained(contained):
    start = time.monotonic()
    ex = contained(
        "import os\nwhile True:\n    try: os.fork()\n    except OSError: pass",
        limits=Limits(cpu_s=2, wall_s=2, processes=16),
    )
    assert ex.status in ("timeout", "runtime_error")
    assert time.monotonic() - start < 8


def test_setsid_orphans_are_killed(contained):
    ex = contained(
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        os.close(1); os.close(2)\n"
        "        while True: time.sleep(1)\n"
        "    os._exit(0)\n"
        "print('parent done')"
    )
    assert ex.status == "ok" and ex.wall_s < 2


def test_output_flood_killed(contained):
    ex = contained(
        "import sys\nwhile True: sys.stdout.write('x' * 4096)",
        limits=Limits(output_bytes=1 << 16, wall_s=5),
    )
    assert ex.status == "output_limit"
    assert len(ex.stdout) <= 1 << 16


def test_stderr_flood_does_not_hang(contained):
    ex = contained("import sys\nfor _ in range(2000): sys.stderr.write('e' * 4096)\nprint('ok')")
    assert ex.status == "ok" and ex.stdout == "ok\n"
    assert len(ex.stderr) <= 1 << 16


def test_unread_large_stdin_does_not_hang(contained):
    ex = contained("print('ignored')", stdin="x" * (4 << 20))
    assert ex.status == "ok" and ex.stdout == "ignored\n"


# ---- the pool itself --------------------------------------------------------------------------
def test_worker_death_reports_sandbox_error_and_recovers():
    with Sandbox(workers=1, limits=FAST) as box, containment(box):
        victim = box._all[0]
        os.kill(victim.pid, 9)
        victim.proc.wait()
        assert box.run("print(1)").status == "sandbox_error"
        assert box.run("print(1)").stdout == "1\n"


def test_thread_safe(sb):
    results: list[str] = []
    lock = threading.Lock()

    def go(i: int) -> None:
        for j in range(10):
            ex = sb.run("print(int(input()) * 2)", stdin=f"{i * 100 + j}\n")
            with lock:
                results.append((ex.stdout.strip(), str((i * 100 + j) * 2)))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(6)]
    with containment(sb):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(results) == 60 and all(a == b for a, b in results)


def test_report_names_protections(sb):
    rep = sb.report()
    assert isinstance(rep.describe(), str)
    assert rep.dropped_capabilities
    # Whatever is missing is said, never silently absent.
    for name in rep.missing:
        assert name in rep.describe()


def test_bad_input_is_a_verdict_not_an_exception(sb):
    with containment(sb):
        assert sb.run("print(1)", language="cobol").status == "sandbox_error"
        assert sb.run(b"print(1)").status == "sandbox_error"  # type: ignore[arg-type]
        assert sb.run("def (:").status == "compile_error"
        assert sb.run("print('\\udcff')").status in ("ok", "runtime_error")


def test_close_releases_waiting_callers_and_leaves_nothing():
    out: list[str] = []
    with containment() as guard:
        box = Sandbox(workers=1, limits=FAST)
        guard.watch(box)
        busy = threading.Thread(
            target=lambda: out.append(box.run("import time\ntime.sleep(2)").status)
        )
        waiter = threading.Thread(target=lambda: out.append(box.run("print(1)").status))
        busy.start()
        time.sleep(0.2)
        waiter.start()
        time.sleep(0.2)
        start = time.monotonic()
        box.close()
        busy.join(5)
        waiter.join(5)
        assert time.monotonic() - start < 3
    assert sorted(out) == ["sandbox_error", "sandbox_error"]


def test_garbage_collected_sandbox_leaves_no_process():
    import gc

    before = descendants(os.getpid())
    with containment():  # not watched: that would keep a reference to the sandbox
        box = Sandbox(workers=1, limits=FAST)
        assert box.run("print(1)").ok
        del box
        gc.collect()
        deadline = time.monotonic() + 5
        while descendants(os.getpid()) - before and time.monotonic() < deadline:
            time.sleep(0.05)


# ---- C++ --------------------------------------------------------------------------------------
CPP_SHADOW = (
    '#include <cstdio>\nint main(){FILE*f=fopen("/etc/shadow","r");'
    'if(!f){puts("denied");return 1;}puts("read");}'
)
CPP_BOMB = "#include <unistd.h>\nint main(){for(;;)fork();}"
CPP_NET = (
    "#include <sys/socket.h>\n#include <cstdio>\nint main(){"
    'int s=socket(AF_INET,SOCK_STREAM,0);printf("%d\\n",s);return s<0;}'
)


def test_cpp_binary_is_confined(contained):
    ex = contained(CPP_SHADOW, language="cpp")
    assert ex.status == "runtime_error" and ex.stdout.strip() == "denied"
    ex = contained(CPP_NET, language="cpp")
    assert ex.status == "runtime_error"
    ex = contained(CPP_BOMB, language="cpp", limits=Limits(cpu_s=1, wall_s=2, processes=16))
    assert ex.status in ("timeout", "runtime_error")  # and containment: no fork outlived it


def test_cpp_binaries_cached_by_source(sb):
    src = '#include <cstdio>\nint main(){puts("cached");}'
    calls = []
    real = sb._compile
    sb._compile = lambda s: calls.append(s) or real(s)
    try:
        with containment(sb):
            assert sb.run(src, language="cpp").stdout == "cached\n"
            assert sb.run(src, language="cpp").stdout == "cached\n"
    finally:
        sb._compile = real
    assert len(calls) == 1


def test_cpp_binary_bloat_cannot_fill_the_callers_memory(sb):
    """An initialised 60 MB array compiles in a second, and cached binaries live in the caller:
    a binary over the cap is a compile error, and the cache is bounded in bytes."""
    from r1reward.sandbox.cpp import MAX_BINARY_BYTES, CppCache

    bloat = f"char big[{MAX_BINARY_BYTES * 4}] = {{1}};\nint main(){{return big[0] - 1;}}\n"
    with containment(sb):
        ex = sb.run(bloat, language="cpp")
    assert ex.status == "compile_error", ex
    assert all(len(b or b"") <= MAX_BINARY_BYTES for b, _ in sb._cpp._items.values())
    cache = CppCache(max_bytes=3 << 20)
    for i in range(8):
        cache.get_or_compile(f"source {i}", lambda s: (b"x" * (1 << 20), ""))
    assert cache._bytes <= 3 << 20 and len(cache._items) == 3


# ---- fork-server traps ------------------------------------------------------------------------
def test_no_inherited_descriptors(contained):
    ex = contained(
        "import os\nopen_fds = []\nfor fd in range(3, 1024):\n"
        "    try:\n        os.fstat(fd)\n        open_fds.append(fd)\n"
        "    except OSError: pass\nprint(open_fds)"
    )
    assert ex.status == "ok" and ex.stdout.strip() == "[]"


def test_child_that_returns_into_the_server_loop_is_harmless(sb, contained):
    pids = {w.pid for w in sb._all}
    ex = contained(
        "import os, sys\n"
        "f = sys._getframe()\n"
        "while f is not None:\n"
        "    if '_real_exit' in f.f_globals:\n"
        "        f.f_globals['_real_exit'] = lambda *a: None\n"
        "    f = f.f_back\n"
        "os._exit = lambda *a: None\n"
        "raise SystemExit(0)"
    )
    assert ex.status in ("ok", "runtime_error", "sandbox_error")
    assert {w.pid for w in sb._all} == pids  # the server itself was not affected
    for i in range(3):
        assert sb.run(f"print({i} * 7)").stdout == f"{i * 7}\n"


def test_output_complete_when_program_exits_at_once(contained):
    for _ in range(5):
        ex = contained(
            "import os, sys\nsys.stdout.write('y' * 60000 + 'END')\nsys.stdout.flush()\nos._exit(0)"
        )
        assert ex.status == "ok" and len(ex.stdout) == 60003 and ex.stdout.endswith("END")


def test_symlinks_in_run_dir_lead_nowhere(contained):
    ex = contained(
        "import os\nos.symlink('/etc/shadow', 'a.out')\nos.symlink('/root', 'r')\n"
        "print(open('a.out').read()[:4])"
    )
    assert ex.status == "runtime_error" and ex.stdout == ""
    assert os.path.isdir("/root")  # cleanup removed the link, not its target


def test_compiler_output_link_is_not_followed(sb):
    # g++ cannot be made to plant a link, so drive the collect step directly.
    with containment(sb):
        raw = sb._dispatch(
            {"lang": "python", "limits": FAST.to_wire(), "collect": "a.out"},
            (b"import os\nos.symlink('/etc/passwd', 'a.out')", b""),
            FAST,
        )
        assert raw.execution.status == "ok" and raw.collected == b""
        raw = sb._dispatch(
            {"lang": "python", "limits": FAST.to_wire(), "collect": "a.out"},
            (b"open('a.out', 'wb').write(b'ELF')", b""),
            FAST,
        )
    assert raw.collected == b"ELF"  # a regular file is collected


# ---- what Landlock does not govern: metadata, SysV IPC, pathname unix sockets ------------------

METADATA = r"""
import errno, os
open('mine', 'w').write('x')
for name, call in [
    ('chmod', lambda: os.chmod('mine', 0o4755)),
    ('chmod /dev/null', lambda: os.chmod('/dev/null', 0o666)),  # its own mode: harmless if let
    ('chown', lambda: os.chown('mine', 0, 0)),
    ('utime', lambda: os.utime('mine', (0, 0))),
    ('utime /dev/null', lambda: os.utime('/dev/null')),
    ('setxattr', lambda: os.setxattr('mine', 'user.pwned', b'1')),
    ('removexattr', lambda: os.removexattr('/dev/null', 'user.x')),
]:
    try:
        call()
        print(name, 'ALLOWED')
    except OSError as e:
        print(name, errno.errorcode.get(e.errno))
"""


def test_program_cannot_change_file_metadata(sb):
    """As root, Landlock still lets chmod, chown, utime and xattrs through: a setuid bit on a host
    binary or chmod 0 on the stdlib (which breaks every later run) must be refused."""
    if not sb.report().seccomp:
        pytest.skip("no seccomp filter on this host")
    null_before = os.stat("/dev/null")
    with containment(sb):
        ex = sb.run(METADATA)
    assert ex.status == "ok", ex.stderr
    lines = ex.stdout.splitlines()
    assert len(lines) == 7 and all(line.endswith(" EPERM") for line in lines), ex.stdout
    after = os.stat("/dev/null")
    assert (after.st_mode, after.st_mtime_ns) == (null_before.st_mode, null_before.st_mtime_ns)
    assert os.listxattr("/dev/null") == [] or "user.pwned" not in os.listxattr("/dev/null")


SYSV = r"""
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
IPC_CREAT = 0o1000
for name, call in [
    ('shmget', lambda: libc.shmget(0, 64 << 20, IPC_CREAT | 0o600)),
    ('msgget', lambda: libc.msgget(0, IPC_CREAT | 0o600)),
    ('semget', lambda: libc.semget(0, 1, IPC_CREAT | 0o600)),
    ('mq_open', lambda: libc.syscall(240, b'q', 0o100 | 2, 0o600, None)),  # O_CREAT | O_RDWR
    ('io_setup', lambda: libc.syscall(206, 64, ctypes.byref(ctypes.c_ulong(0)))),  # kernel AIO
]:
    r = call()
    print(name, r, errno.errorcode.get(ctypes.get_errno()) if r == -1 else 'ALLOWED')
"""


def test_sysv_ipc_is_refused(sb):
    """SysV objects outlive a run in the worker's IPC namespace: memory outside every limit, and
    a channel through which one run could teach the next which answers passed."""
    if not sb.report().seccomp:
        pytest.skip("no seccomp filter on this host")
    with containment(sb):
        ex = sb.run(SYSV)
    assert ex.status == "ok", ex.stderr
    assert ex.stdout.splitlines() == [
        f"{name} -1 EPERM" for name in ("shmget", "msgget", "semget", "mq_open", "io_setup")
    ]


IOCTLS = r"""
import array, errno, fcntl, os, struct
open('mine', 'w').write('x')
fd = os.open('mine', os.O_RDONLY)  # read-only is enough for these on a file one owns
for name, request in [('FS_IOC_SETFLAGS', 0x40086602), ('FS_IOC_SETVERSION', 0x40087602)]:
    try:
        fcntl.ioctl(fd, request, struct.pack('l', 0x80))
        print(name, 'ALLOWED')
    except OSError as e:
        print(name, errno.errorcode.get(e.errno))
r, w = os.pipe()
os.write(w, b'abc')
ready = array.array('i', [0])
fcntl.ioctl(r, 0x541B, ready)  # FIONREAD
os.set_blocking(r, False)  # FIONBIO
os.set_inheritable(fd, True)  # FIONCLEX
print('runtime ioctls', ready[0], os.get_inheritable(fd), os.isatty(0))
"""


def test_file_flag_ioctls_are_refused_and_runtime_ioctls_work(sb):
    """As root a program owns every host file, and Landlock does not govern ioctl on regular
    files: FS_IOC_SETFLAGS (sync, nodump, noatime) and FS_IOC_SETVERSION (a 32-bit value that
    outlives the sandbox) on any readable host file. The few requests a runtime makes stay."""
    if not sb.report().seccomp:
        pytest.skip("no seccomp filter on this host")
    with containment(sb):
        ex = sb.run(IOCTLS)
    assert ex.status == "ok", ex.stderr
    assert ex.stdout.splitlines() == [
        "FS_IOC_SETFLAGS ENOTTY",
        "FS_IOC_SETVERSION ENOTTY",
        "runtime ioctls 3 True False",
    ]


def test_millions_of_empty_directories_are_capped_and_cleared(sb):
    """A directory costs a program one syscall and the cleanup several: the private /tmp caps
    inodes, so the run ends normally (not as a sandbox error, which scores None) and the next
    run finds its directory empty."""
    program = (
        "import errno, os\nn = 0\ntry:\n    while True:\n        os.mkdir(f'd{n}')\n"
        "        n += 1\nexcept OSError as e:\n    print(errno.errorcode.get(e.errno))\n"
    )
    with containment(sb):
        ex = sb.run(program, limits=Limits(cpu_s=20, wall_s=30, memory_mb=256))
        after = sb.run("import os; print(os.listdir('.'))")
    assert (ex.status, ex.stdout.strip()) == ("ok", "ENOSPC"), ex
    assert after.status == "ok" and after.stdout.strip() == "[]", after


def test_memfd_cannot_hold_memory_past_the_cap(sb):
    """memfd pages are shared memory, not address space: 12 x 16 MB held under a 128 MB cap."""
    if not sb.report().seccomp:
        pytest.skip("no seccomp filter on this host")
    program = (
        "import errno, os\n"
        "try:\n"
        "    fds = [os.memfd_create('m') for _ in range(12)]\n"
        "    for fd in fds:\n"
        "        for _ in range(16): os.write(fd, b'x' * (1 << 20))\n"
        "    print('HELD', sum(os.fstat(fd).st_size for fd in fds) >> 20)\n"
        "except OSError as e:\n"
        "    print(errno.errorcode.get(e.errno))\n"
    )
    with containment(sb):
        ex = sb.run(program, limits=Limits(cpu_s=2, wall_s=5, memory_mb=128))
    assert ex.status == "ok" and ex.stdout.split() == ["EPERM"], ex  # not 'HELD 192'


def test_host_unix_sockets_are_unreachable(sb, tmp_path):
    """Pathname unix sockets (docker, dbus, databases) are files Landlock does not govern on
    connect: a program may not open sockets at all, nor socket pairs (their buffers are kernel
    memory no limit counts)."""
    if not sb.report().seccomp:
        pytest.skip("no seccomp filter on this host")
    path = f"/run/r1reward-test-{uuid.uuid4().hex[:12]}.sock"
    listener = socket.socket(socket.AF_UNIX)
    try:
        listener.bind(path)
    except OSError:
        pytest.skip("cannot create a socket in /run")
    try:
        listener.listen(1)
        listener.settimeout(0.5)
        program = (
            "import socket, errno\n"
            "try:\n"
            f"    s = socket.socket(socket.AF_UNIX); s.connect({path!r}); print('CONNECTED')\n"
            "except OSError as e:\n"
            "    print(errno.errorcode.get(e.errno))\n"
            "try:\n"
            "    socket.socketpair(); print('PAIR')\n"
            "except OSError as e:\n"
            "    print(errno.errorcode.get(e.errno))\n"
        )
        with containment(sb):
            ex = sb.run(program)
        assert ex.status == "ok", ex
        assert ex.stdout.split() == ["EAFNOSUPPORT", "EAFNOSUPPORT"], (ex.stdout, ex.stderr)
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()
        os.unlink(path)


# ---- the fork server as a target (found by a red-team pass, 2026-11-24) ------------------------
SERVER_ATTACKS = {
    # lowering PID 1's hard limits made every later child's setrlimit fail: sandbox_error forever
    "prlimit": "resource.prlimit(1, resource.RLIMIT_AS, (100 << 20, 100 << 20))",
    "prlimit_nofile": "resource.prlimit(1, resource.RLIMIT_NOFILE, (16, 16))",
    "renice": "os.setpriority(os.PRIO_PROCESS, 1, 19)",
    "renice_user": "os.setpriority(os.PRIO_USER, 0, 19)",
    "renice_group": "os.setpriority(os.PRIO_PGRP, 1, 19)",
    "pin": "os.sched_setaffinity(1, {0})",
    "scheduler": "os.sched_setscheduler(1, os.SCHED_IDLE, os.sched_param(0))",
}


@pytest.mark.parametrize("attack", sorted(SERVER_ATTACKS))
def test_runs_cannot_change_the_fork_server(contained, attack):
    """Calls that name another process by pid: a program may aim them only at itself."""
    probe = "import os; print(os.getpriority(os.PRIO_PROCESS, 0), sorted(os.sched_getaffinity(0)))"
    baseline = contained(probe)
    ex = contained(
        "import os, resource\n"
        f"try:\n    {SERVER_ATTACKS[attack]}\n    print('CHANGED')\n"
        "except OSError as e:\n    print('refused', e.errno)\n"
    )
    assert ex.stdout.strip() == "refused 1", ex
    for _ in range(4):  # both workers, twice: every later run starts as before
        after = contained(probe)
        assert (after.status, after.stdout) == (baseline.status, baseline.stdout), after


def test_a_program_still_sets_its_own_limits_priority_and_affinity(contained):
    ex = contained(
        "import os, resource\n"
        "resource.prlimit(0, resource.RLIMIT_NOFILE, (64, 64))\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))\n"
        "print(resource.getrlimit(resource.RLIMIT_NOFILE), os.nice(3))\n"
        "os.setpriority(os.PRIO_PROCESS, 0, 5)\n"
        "os.sched_setaffinity(0, {0}); print(sorted(os.sched_getaffinity(0)))\n"
    )
    assert ex.status == "ok" and ex.stdout.split("\n")[:2] == ["(32, 32) 3", "[0]"], ex


def test_file_locks_on_host_files_are_never_taken(contained):
    """A lock on a readable host file (a read-only descriptor is enough) held host processes off
    it for the run's wall time, and let two concurrent runs on different workers pass bytes by
    locking and probing host files. Taking a lock now succeeds without taking it: a second
    description of the same file, which a real lock would keep out, gets it too, the host gets
    it while the run holds it, and asking for a holder fails with ENOLCK."""
    import fcntl

    program = (
        "import errno, fcntl, os, struct, sys, time\n"
        "a, b = os.open(os.__file__, os.O_RDONLY), os.open(os.__file__, os.O_RDONLY)\n"
        "lock = struct.pack('hhqqi4x', fcntl.F_RDLCK, 0, 0, 0, 0)\n"
        "tries = [lambda: fcntl.flock(a, fcntl.LOCK_EX | fcntl.LOCK_NB),\n"
        "         lambda: fcntl.flock(b, fcntl.LOCK_EX | fcntl.LOCK_NB),\n"
        "         lambda: fcntl.lockf(a, fcntl.LOCK_SH | fcntl.LOCK_NB),\n"
        "         lambda: fcntl.fcntl(a, 37, lock),\n"
        "         lambda: fcntl.fcntl(a, fcntl.F_GETLK, lock), lambda: fcntl.fcntl(a, 36, lock)]\n"
        "for attempt in tries:\n"
        "    try:\n        attempt(); print('granted')\n"
        "    except OSError as e:\n        print(errno.errorcode[e.errno])\n"
        "sys.stdout.flush()\n"
        "time.sleep(1.5)\n"
    )
    result: dict = {}
    runner = threading.Thread(target=lambda: result.update(ex=contained(program)))
    runner.start()
    time.sleep(0.8)  # the run holds its "locks" now
    with open(os.__file__, "rb") as host:
        fcntl.flock(host, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if the run held a lock
        fcntl.flock(host, fcntl.LOCK_UN)
    runner.join()
    ex = result["ex"]
    assert ex.status == "ok", ex
    assert ex.stdout.split() == ["granted"] * 4 + ["ENOLCK"] * 2, ex


def test_sqlite_file_database_works(contained):
    """SQLite locks its file: refusing locks failed right programs with "database is locked"."""
    ex = contained(
        "import sqlite3\n"
        "db = sqlite3.connect('scores.db')\n"
        "db.execute('create table t (x int)')\n"
        "db.executemany('insert into t values (?)', [(1,), (2,), (3,)])\n"
        "db.commit()\n"
        "other = sqlite3.connect('scores.db')\n"
        "print(other.execute('select sum(x) from t').fetchone()[0])\n"
    )
    assert ex.status == "ok" and ex.stdout.strip() == "6", ex


def test_host_wide_writeback_is_refused(contained):
    """sync(2) and syncfs(2) write back every dirty page of the host or of a host file system."""
    ex = contained(
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "fd = os.open(os.__file__, os.O_RDONLY)\n"
        "print(libc.syscall(162), ctypes.get_errno())\n"
        "print(libc.syncfs(fd), ctypes.get_errno())\n"
    )
    assert ex.status == "ok" and ex.stdout.split("\n")[:2] == ["-1 1", "-1 1"], ex


@pytest.mark.parametrize(("name", "cmd"), [("lease", 1024), ("dnotify", 1026)])
def test_leases_and_directory_notifications_are_refused(contained, name, cmd):
    """A read lease on a host file blocked host writers for the run's wall time; dnotify watched
    host directories (inotify and fanotify were refused already)."""
    arg = "fcntl.F_RDLCK" if name == "lease" else "0x1"
    target = "os.__file__" if name == "lease" else "os.path.dirname(os.__file__)"
    ex = contained(
        "import fcntl, os\n"
        f"fd = os.open({target}, os.O_RDONLY)\n"
        f"try:\n    fcntl.fcntl(fd, {cmd}, {arg}); print('GRANTED')\n"
        "except OSError as e:\n    print('refused', e.errno)\n"
        "r, w = os.pipe(); fcntl.fcntl(r, fcntl.F_SETFL, os.O_NONBLOCK); print('fcntl works')\n"
    )
    assert ex.stdout.split("\n")[:2] == ["refused 1", "fcntl works"], ex
