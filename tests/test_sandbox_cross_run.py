"""A later run must not find an earlier run's output in its memory.

Every child is a fork of its worker's fork server, so it starts with a copy of the server's heap.
The server reads each run's stdout, result channel and compiled binary before passing them on;
had it kept them in freed, unwiped memory, the next candidate for the same problem could scan
its own address space and replay a right program's answers (a false pass). Each attack here runs
a right program first, then a hostile one on the same worker that reads its whole reachable
heap (`/proc/self/maps` is closed to it, so it probes by `write(2)`ing address ranges into a
pipe, which fails cleanly on unmapped memory). Every test runs under
`tests.sandbox_programs.containment`: no process left, no secret out, no host file touched."""

from __future__ import annotations

import shutil

import pytest
from r1reward.sandbox import Limits, Sandbox
from r1reward.verifiers.code import run_tests

from tests.sandbox_programs import containment

LIM = Limits(cpu_s=5, wall_s=8, memory_mb=256)

# Every readable 64 KiB page reachable from the heap top and from the address of every live
# object the collector knows and of everything those refer to (pymalloc arenas, malloc'd and
# mmap'd blocks next to them), walking up and down from each until a page is unmapped.
PAGES = r"""
import ctypes, gc, os
libc = ctypes.CDLL(None, use_errno=True)
libc.sbrk.restype = ctypes.c_void_p
libc.write.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t)
libc.write.restype = ctypes.c_ssize_t
STEP = 1 << 16
_r, _w = os.pipe()
seen = set()

def page(addr):
    n = libc.write(_w, addr, STEP)
    if n <= 0:
        return None
    data = b""
    while len(data) < n:
        data += os.read(_r, n - len(data))
    return data

def pages():
    tracked = gc.get_objects()
    starts = [libc.sbrk(0) - 1] + [id(o) for o in tracked]
    starts += [id(o) for o in gc.get_referents(*tracked)]  # strings, bytes, numbers too
    del tracked
    for start in starts:
        if start & ~(STEP - 1) in seen:
            continue
        for step in (STEP, -STEP):
            a = (start & ~(STEP - 1)) + (0 if step > 0 else -STEP)
            for _ in range(4096):
                if a <= 0 or a in seen:
                    break
                seen.add(a)
                data = page(a)
                if data is None:
                    break
                yield data
                a += step
"""

# Prints "FOUND <i>" for each needle i seen. A needle comes in as two hex halves, searched as a
# head followed by a tail, so it is never whole in the scanner's own memory (its stdin, its
# variables, the pages it copied), only where another run left it.
MEMORY_SCAN = (
    PAGES
    + r"""
import sys
halves = [[bytes.fromhex(h) for h in line.split()] for line in sys.stdin.read().splitlines()]
found = set()
for data in pages():
    for k, (head, tail) in enumerate(halves):
        i = data.find(head)
        while i >= 0:
            if data.startswith(tail, i + len(head)):
                found.add(k)
            i = data.find(head, i + 1)
print(len(seen), "pages read")
for k in sorted(found):
    print("FOUND", k)
"""
)


def _marker(tag: str) -> str:
    return f"ZQ{tag}XK"


@pytest.fixture
def sb():
    """One worker, fresh per test: the hostile run is forked from the server that handled the
    right one. Every run of the test is contained."""
    with Sandbox(workers=1, limits=LIM) as box, containment(box):
        yield box


def _halves(needle: str) -> str:
    raw = needle.encode()
    return f"{raw[:3].hex()} {raw[3:].hex()}\n"


def _scan(sb, needles: list[str]) -> str:
    ex = sb.run(MEMORY_SCAN, stdin="".join(_halves(n) for n in needles))
    assert ex.status == "ok", ex
    assert int(ex.stdout.split()[0]) > 100, ex.stdout  # the scan did read the heap
    return ex.stdout


def test_scanner_finds_what_its_own_process_holds(sb):
    """The probe works: it finds a marker the scanning program itself builds at run time (as
    a run's output is built; a constant the compiler folded was missed in some 3.10 runs: the
    scan covers what is reachable from live objects and the heap top, not every mapping)."""
    source = "import sys\n_held = [('ZQ' + 'self' + 'XK' + str(len(sys.argv)))[:8] * 50]\n"
    source += MEMORY_SCAN
    ex = sb.run(source, stdin=_halves(_marker("self")))
    assert ex.status == "ok", ex
    assert "FOUND 0" in ex.stdout


@pytest.mark.parametrize("size", [40, 5_000, 300_000])
def test_earlier_stdout_is_not_in_a_later_runs_memory(sb, size):
    """Small output (pymalloc), medium (malloc) and large (mmap, several reads and a grown
    buffer): none of it is left for the next child."""
    marker = _marker(f"out{size}")
    # built at run time, so the marker is in the output but not in the program's text
    right = f"import sys\nsys.stdout.write(('ZQ' + 'out{size}' + 'XK' + '.' * 30) * {size // 36})"
    ex = sb.run(right)
    assert ex.status == "ok" and marker in ex.stdout
    assert "FOUND" not in _scan(sb, [marker])


def test_output_past_the_cap_is_not_left_behind(sb):
    marker = _marker("over")
    right = "import sys\nsys.stdout.write(('ZQ' + 'over' + 'XK' + '.' * 30) * 100_000)"
    ex = sb.run(right, limits=Limits(cpu_s=5, wall_s=8, memory_mb=256, output_bytes=1 << 16))
    assert ex.status == "output_limit", ex
    assert "FOUND" not in _scan(sb, [marker])


def test_stderr_of_an_earlier_run_is_not_left_behind(sb):
    marker = _marker("err")
    ex = sb.run("import sys\nsys.stderr.write(('ZQ' + 'err' + 'XK' + '-' * 30) * 200)")
    assert marker in ex.stderr
    assert "FOUND" not in _scan(sb, [marker])


# A candidate that knows nothing of the problem: it reads the call-based result records of an
# earlier run from its memory and returns them in order.
HARVEST = (
    PAGES
    + r"""
import json
got = {}
for data in pages():
    i = data.find(b'{"i"')
    while i >= 0:
        try:
            rec = json.loads(data[i:data.index(b"}", i) + 1])
            if rec.get("ok") is not None:  # not this program's own earlier records
                got.setdefault(rec["i"], rec["ok"])
        except Exception:
            pass
        i = data.find(b'{"i"', i + 1)
_n = [0]
def f(x):
    _n[0] += 1
    return got.get(_n[0] - 1)
"""
)

CALL_TESTS = {
    "fn_name": "f",
    "inputs": [[12], [31], [7]],
    "outputs": [7919 * 12 + 3, 7919 * 31 + 3, 7919 * 7 + 3],
}


def test_call_results_of_a_right_program_cannot_be_replayed(sb):
    assert run_tests(HARVEST, CALL_TESTS, sandbox=sb).passed == 0
    assert run_tests("def f(x):\n    return 7919 * x + 3\n", CALL_TESTS, sandbox=sb).passed == 3
    verdict = run_tests(HARVEST, CALL_TESTS, sandbox=sb)
    assert verdict.passed == 0, [o.status for o in verdict.outcomes]


def test_stdin_tests_output_cannot_be_replayed(sb):
    tests = [{"input": "123456789\n", "output": str(123456789**3 % 999999937)}]
    right = "n = int(input())\nprint(n ** 3 % 999999937)\n"
    assert run_tests(right, tests, sandbox=sb).passed == 1
    assert "FOUND" not in _scan(sb, [tests[0]["output"]])


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
def test_compiled_binary_of_an_earlier_run_is_not_left_behind(sb):
    """The compiler's output passes through the server on its way to the binary cache: a later
    run must not find another candidate's binary to write out and execute. (Before the wipe,
    glibc happened to return these copies to the system; this keeps the path covered.)"""
    source = (
        "#include <cstdio>\n#include <cstring>\n"
        'static const char tag[] = "ZQ" "cpp" "XK";\n'  # one string only in the binary
        'int main(){ printf("%zu\\n", strlen(tag)); }\n'
    )
    ex = sb.run(source, language="cpp")
    assert ex.status == "ok" and ex.stdout.strip() == "7", ex
    assert "FOUND" not in _scan(sb, [_marker("cpp")])
