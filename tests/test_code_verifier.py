"""run_tests: code extraction, output comparison, every test format, and cheats that must fail."""

from __future__ import annotations

import math
import threading

import pytest
from r1reward.sandbox import Limits, Sandbox
from r1reward.verifiers.code import extract_code, outputs_match, run_tests

from tests.sandbox_programs import containment

LIM = Limits(cpu_s=2, wall_s=3, memory_mb=256)


@pytest.fixture(scope="module")
def sb():
    with Sandbox(workers=2, limits=LIM) as box:
        yield box


def _run(sb, code, tests, **kw):
    return run_tests(code, tests, sandbox=sb, limits=kw.pop("limits", LIM), **kw)


# ---- extraction and comparison ----------------------------------------------------------------
def test_extract_last_python_block():
    text = "think\n```python\nprint(1)\n```\nbetter:\n```py\nprint(2)\n```\n```text\nx\n```"
    assert extract_code(text) == "print(2)\n"
    assert extract_code("print(3)") == "print(3)"
    assert extract_code("```text\nnot code\n```") is None
    assert extract_code("```cpp\nint main(){}\n```", "cpp") == "int main(){}\n"
    assert extract_code(None) is None  # type: ignore[arg-type]
    assert extract_code("   ") is None
    assert extract_code("<think>I will print</think>\nprint(4)").strip() == "print(4)"


@pytest.mark.parametrize(
    "got,exp,ok",
    [
        ("1 2\n3\n", "1 2\n3", True),
        ("1 2  \r\n3\r\n\n\n", "1 2\n3\n", True),
        ("1 2\n", "1 2\n3\n", False),  # a prefix of the expected output fails
        ("1 2\n3\n4\n", "1 2\n3\n", False),  # extra output fails
        ("", "0", False),
        ("1  2", "1 2", False),  # inner whitespace is kept
    ],
)
def test_outputs_match(got, exp, ok):
    assert outputs_match(got, exp) is ok


def test_float_tolerance_and_exact_mode():
    assert not outputs_match("0.3333333", "0.333333333")
    assert outputs_match("0.3333333", "0.333333333", float_tol=1e-6)
    assert not outputs_match("0.3334", "0.3333", float_tol=1e-6)
    assert not outputs_match("nan", "1.0", float_tol=1e-6)
    assert outputs_match("nan", "nan", float_tol=1e-6)  # identical tokens
    assert not outputs_match("1 2", "1 2 3", float_tol=1e-6)
    assert outputs_match("a\n", "a\n", exact=True)
    assert not outputs_match("a \n", "a\n", exact=True)


# ---- formats ----------------------------------------------------------------------------------
ECHO2 = "n = int(input())\nprint(n * 2)"


def test_stdio_pairs_partial_and_binary(sb):
    tests = [{"input": "2\n", "output": "4\n"}, {"input": "3\n", "output": "7\n"}]
    v = _run(sb, f"```python\n{ECHO2}\n```", tests)
    assert (v.passed, v.total, v.fraction, v.score) == (1, 2, 0.5, 0.5)
    assert [o.status for o in v.outcomes] == ["passed", "wrong_answer"]
    assert _run(sb, ECHO2, tests, credit="binary").score == 0.0


def test_open_r1_and_apps_stdio_formats(sb):
    v = _run(sb, ECHO2, {"test_cases": [{"input": "5", "output": "10"}], "language": "python"})
    assert v.score == 1.0
    v = _run(sb, ECHO2, {"inputs": ["1\n", "2\n"], "outputs": ["2\n", "4\n"]})
    assert v.score == 1.0 and v.total == 2
    v = _run(sb, ECHO2, '{"inputs": ["1\\n"], "outputs": ["2\\n"]}')  # JSON string, as in APPS
    assert v.score == 1.0


def test_stop_at_first_failure(sb):
    tests = [{"input": "1", "output": "0"}, {"input": "2", "output": "4"}]
    v = _run(sb, ECHO2, tests, stop_on_first_failure=True)
    assert [o.status for o in v.outcomes] == ["wrong_answer", "not_run"]


@pytest.mark.parametrize(
    "code,expected",
    [
        ("print('4  ')", "4\n"),  # trailing whitespace
        ("import sys\nsys.stdout.write('4\\r\\n')", "4\n"),  # CRLF line ending
        ("print(4)", "4"),  # no final newline expected
        ("print('2.50')", "2.5\n"),  # same decimal, other spelling
    ],
)
def test_exact_mode_through_run_tests(sb, code, expected):
    tests = [{"input": "", "output": expected}]
    assert _run(sb, code, tests).score == 1.0  # the default mode normalises the difference
    v = _run(sb, code, tests, exact=True)
    assert v.score == 0.0 and v.outcomes[0].status == "wrong_answer"


def test_exact_mode_passes_identical_output(sb):
    code = "import sys\nsys.stdout.write('2.50  \\r\\n')"
    assert _run(sb, code, [{"input": "", "output": "2.50  \r\n"}], exact=True).score == 1.0


CALL_TESTS = {"fn_name": "f", "inputs": [[1], [2], [3], [4]], "outputs": [1, 0, 3, 0]}


@pytest.mark.parametrize(
    "code,first_failure",
    [
        ("def f(x):\n    return x", "wrong_answer"),
        ("def f(x):\n    if x == 2: raise ValueError(x)\n    return x", "runtime_error"),
    ],
)
def test_stop_at_first_failure_call_based(sb, code, first_failure):
    v = _run(sb, code, CALL_TESTS, stop_on_first_failure=True)
    assert [o.status for o in v.outcomes] == ["passed", first_failure, "not_run", "not_run"]
    assert [o.index for o in v.outcomes] == [0, 1, 2, 3]
    assert (v.passed, v.total, v.fraction) == (1, 4, 0.25)
    v = _run(sb, code, CALL_TESTS)  # without the option every test is judged
    assert [o.status for o in v.outcomes] == ["passed", first_failure, "passed", "wrong_answer"]
    assert (v.passed, v.total) == (2, 4)


def test_stop_at_first_failure_call_based_first_test(sb):
    v = _run(sb, "def f(x):\n    return -x", CALL_TESTS, stop_on_first_failure=True)
    assert [o.status for o in v.outcomes] == ["wrong_answer"] + ["not_run"] * 3


@pytest.mark.parametrize(
    "code,passes,passes_exact",
    [
        ("print(1)\nprint(2)", True, True),  # control
        ("print(1)", False, False),  # a prefix of the expected output
        ("print(1)\nprint(2)\nprint(3)", False, False),  # an extra line
        ("print(1)\nprint(2, 3)", False, False),  # an extra token
        ("print('1\\n2', end='')", True, False),  # the same lines, no final newline
    ],
)
@pytest.mark.parametrize("mode", [{}, {"float_tol": 1e-6}, {"exact": True}])
def test_prefix_and_extra_output_fail_through_run_tests(sb, code, passes, passes_exact, mode):
    ok = passes_exact if mode.get("exact") else passes
    v = _run(sb, code, [{"input": "", "output": "1\n2\n"}], **mode)
    assert v.outcomes[0].status == ("passed" if ok else "wrong_answer")
    assert v.score == float(ok)


def test_runtime_error_and_timeout_outcomes(sb):
    v = _run(sb, "raise SystemExit(3)", [{"input": "", "output": ""}])
    assert v.outcomes[0].status == "runtime_error"
    v = _run(
        sb, "while True: pass", [{"input": "", "output": ""}], limits=Limits(cpu_s=1, wall_s=2)
    )
    assert v.outcomes[0].status == "timeout" and v.score == 0


def test_compile_error_fails_all(sb):
    v = _run(sb, "def f(:\n", [{"input": "", "output": ""}] * 3)
    assert v.passed == 0 and {o.status for o in v.outcomes} == {"compile_error"}


def test_call_based_function_and_solution_class(sb):
    tests = {"fn_name": "add", "inputs": [[1, 2], [3, 4], [[1], [2]]], "outputs": [3, [7], [1, 2]]}
    assert _run(sb, "def add(a, b):\n    return a + b", tests).score == 1.0
    cls = "class Solution:\n    def add(self, a, b):\n        return a + b"
    assert _run(sb, cls, tests).score == 1.0
    v = _run(sb, "def add(a, b):\n    return a - b", tests)
    assert v.passed == 0 and v.outcomes[0].status == "wrong_answer"


def test_call_based_exceptions_and_timeouts_are_per_test(sb):
    code = (
        "def f(x):\n    if x == 1: raise ValueError\n"
        "    if x == 2:\n        while True: pass\n    return x"
    )
    v = _run(
        sb,
        code,
        {"fn_name": "f", "inputs": [[0], [1], [2], [3]], "outputs": [0, 1, 2, 3]},
        limits=Limits(cpu_s=1, wall_s=2),
    )
    assert [o.status for o in v.outcomes] == ["passed", "runtime_error", "timeout", "timeout"]


def test_call_based_float_tolerance(sb):
    tests = {"fn_name": "f", "inputs": [[1]], "outputs": [0.3333333]}
    assert _run(sb, "def f(x): return x / 3", tests).score == 0.0
    assert _run(sb, "def f(x): return x / 3", tests, float_tol=1e-6).score == 1.0


HUMANEVAL = {
    "test": "def check(candidate):\n    assert candidate([3, 1, 2]) == [1, 2, 3]\n"
    "    assert candidate([]) == []\n    assert abs(candidate([0.5])[0]) == 0.5\n",
    "entry_point": "srt",
}
MBPP = {
    "test_list": [
        "assert srt([2, 1]) == [1, 2]",
        "assert srt([1]) == [1]",
        "assert isinstance(srt([]), list)",
    ]
}


def test_humaneval_and_mbpp(sb):
    good = "def srt(xs):\n    return sorted(xs)"
    assert _run(sb, good, HUMANEVAL).score == 1.0
    v = _run(sb, good, MBPP)
    assert (v.passed, v.total) == (3, 3)
    v = _run(sb, "def srt(xs):\n    return list(xs)", MBPP)
    assert (v.passed, v.total) == (2, 3)
    assert _run(sb, "def srt(xs):\n    return xs[::-1]", HUMANEVAL).score == 0.0


def test_test_code_compiled_by_the_parent_keeps_its_semantics(sb):
    """Test code reaches the test process compiled (marshal) by the parent: no future flags of
    the parent's module leak in (annotations stay objects), and code that does not compile
    fails where it runs, as before."""
    good = "def srt(xs):\n    return sorted(xs)"
    tests = {
        "test": "def h(a: int) -> int:\n    return a\n"
        "def check(candidate):\n    assert h.__annotations__['a'] is int\n"
        "    assert candidate([2, 1]) == [1, 2]\n",
        "entry_point": "srt",
    }
    assert _run(sb, good, tests).score == 1.0
    broken = {
        "test": "def check(candidate):\n    assert candidate([1]) == [1]\n    )\n",
        "entry_point": "srt",
    }
    v = _run(sb, good, broken)
    assert v.score == 0.0 and "SyntaxError" in v.outcomes[0].detail
    mixed = {
        "test_list": [
            "assert srt([2, 1]) == [1, 2]",
            "assert srt(([1]) == [1]",
            "assert srt([]) == []",
        ]
    }
    v = _run(sb, good, mixed)
    assert [o.passed for o in v.outcomes] == [True, False, True]
    assert "SyntaxError" in v.outcomes[1].detail


def test_humaneval_prompt_helpers_are_trusted(sb):
    tests = {
        "test": "def check(candidate):\n    assert helper(candidate(2)) == 5\n",
        "entry_point": "g",
        "prompt_setup": "def helper(x):\n    return x + 1\n",
    }
    # The candidate redefines helper to make anything pass; the test process uses the prompt's.
    cheat = "def helper(x):\n    return 5\ndef g(x):\n    return 0"
    assert _run(sb, cheat, tests).score == 0.0
    assert _run(sb, "def g(x):\n    return x * 2", tests).score == 1.0


# ---- cheats -----------------------------------------------------------------------------------
ALWAYS_EQ = (
    "class Any_:\n    def __eq__(self, o): return True\n    def __ne__(self, o): return False\n"
    "    def __getitem__(self, i): return self\n    def __len__(self): return 0\n"
    "    def __abs__(self): return 0.5\n"
)
CHEATS = {
    "eq_always_true": ALWAYS_EQ + "def srt(xs):\n    return Any_()",
    "list_subclass": "class L(list):\n    def __eq__(self, o): return True\n"
    "def srt(xs):\n    return L()",
    "int_subclass": "class I(int):\n    def __eq__(self, o): return True\n"
    "def srt(xs):\n    return I(0)",
    "patch_builtins": "import builtins\nbuiltins.abs = lambda x: 0.5\n"
    "builtins.isinstance = lambda *a: True\n"
    "builtins.AssertionError = type('E', (BaseException,), {})\n"
    "def srt(xs):\n    return None",
    "sys_exit_at_import": "import sys\nsys.exit(0)\ndef srt(xs):\n    return sorted(xs)",
    "os_exit_at_import": "import os\nos._exit(0)\ndef srt(xs):\n    return xs",
    "os_exit_in_call": "import os\ndef srt(xs):\n    os._exit(0)",
    "atexit_exit": "import atexit, os\natexit.register(lambda: os._exit(0))\n"
    "def srt(xs):\n    raise SystemExit(0)",
    "stack_read": "import sys\ndef srt(xs):\n    f = sys._getframe()\n    while f.f_back:\n"
    "        f = f.f_back\n    return f.f_globals.get('expected')",
    "forge_channel": "import os\nfor fd in (3, 4, 5, 9):\n    try:\n"
    '        os.write(fd, b\'{"i": 0, "pass": true}\\n{"done": "x"}\\n\')\n'
    "    except OSError: pass\ndef srt(xs):\n    return None",
    "kill_everyone": "import os, signal\ntry: os.kill(-1, signal.SIGKILL)\nexcept OSError: pass\n"
    "def srt(xs):\n    return None",
    "deep_result": "def srt(xs):\n    r = []\n    for _ in range(100000): r = [r]\n    return r",
    # a record nested past the parent's recursion limit: the check must not raise
    "nested_channel_record": "import os\ntry:\n    os.write(3, b'[' * 200000 + b'\\n')\n"
    "except OSError: pass\ndef srt(xs):\n    return None",
}


# Each cheat meets both ways of running assert-style tests: judged here on the results of the
# candidate's one process (literal calls), and in a test process of their own (forced).
PATHS = {"judged_here": {}, "test_process": {"always_test_process": True}}


@pytest.mark.parametrize("path", sorted(PATHS))
@pytest.mark.parametrize("name", sorted(CHEATS))
def test_cheats_fail_humaneval(sb, name, path):
    with containment(sb):  # and nothing outlives the run, leaks or touches the host
        v = _run(sb, CHEATS[name], HUMANEVAL, **PATHS[path])
    assert v.score == 0.0 and v.passed == 0, v


@pytest.mark.parametrize("path", sorted(PATHS))
@pytest.mark.parametrize("name", sorted(CHEATS))
def test_cheats_fail_mbpp(sb, name, path):
    with containment(sb):
        assert _run(sb, CHEATS[name], MBPP, **PATHS[path]).passed == 0


@pytest.mark.parametrize("path", sorted(PATHS))
def test_both_paths_pass_the_right_program(sb, path):
    good = "def srt(xs):\n    return sorted(xs)"
    assert _run(sb, good, HUMANEVAL, **PATHS[path]).score == 1.0
    assert _run(sb, good, MBPP, **PATHS[path]).score == 1.0


@pytest.mark.parametrize(
    "name",
    [
        "eq_always_true",
        "int_subclass",
        "sys_exit_at_import",
        "os_exit_at_import",
        "atexit_exit",
        "deep_result",
        "nested_channel_record",
    ],
)
def test_cheats_fail_call_based(sb, name):
    tests = {"fn_name": "srt", "inputs": [[[3, 1]], [[2]]], "outputs": [[1, 3], [2]]}
    with containment(sb):
        assert _run(sb, CHEATS[name], tests).passed == 0


def test_expected_outputs_never_reach_the_program(sb):
    marker = "expected-marker-7f3a"
    snoop = (
        "import gc, os, sys\n"
        "seen = [o for o in gc.get_objects() if isinstance(o, str) and 'marker-7f3a' in o]\n"
        "for fd in range(3, 20):\n"
        "    try: seen.append(os.read(fd, 1 << 16).decode(errors='replace'))\n"
        "    except OSError: pass\n"
        "def f(x):\n    return repr(seen) + sys.stdin.read()\n"
    )
    v = _run(sb, snoop, {"fn_name": "f", "inputs": [[1]], "outputs": [marker]})
    assert v.passed == 0
    snoop_stdio = snoop + "print(f(0))"
    v = _run(sb, snoop_stdio, [{"input": "x", "output": marker}])
    assert v.passed == 0


def test_stdio_exit_tricks_fail(sb):
    tests = [{"input": "", "output": "42"}]
    for code in (
        "import sys\nsys.exit(0)\nprint(42)",
        "import os\nos._exit(0)\nprint(42)",
        "print(42)\nimport os\nos._exit(1)",
    ):
        with containment(sb):
            assert _run(sb, code, tests).passed == 0


# ---- robustness -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "tests", [None, 42, "not json", [{"in": 1}], {"inputs": [1]}, {"inputs": [1], "outputs": []}]
)
def test_bad_tests_give_a_verdict(sb, tests):
    v = _run(sb, "print(1)", tests)
    assert v.score == 0.0 and v.error


def test_no_code(sb):
    v = _run(sb, "```text\nhello\n```", [{"input": "", "output": "hello"}])
    assert v.score == 0.0 and v.code is None and v.outcomes[0].status == "not_run"


def test_cpp_stdio(sb):
    code = (
        "```cpp\n#include <iostream>\nint main(){long long n; std::cin >> n;"
        " std::cout << n * 2 << std::endl;}\n```"
    )
    v = _run(
        sb, code, [{"input": "21", "output": "42"}, {"input": "5", "output": "11"}], language="cpp"
    )
    assert [o.status for o in v.outcomes] == ["passed", "wrong_answer"]
    v = _run(sb, "```cpp\nint main( {\n```", [{"input": "", "output": ""}], language="cpp")
    assert v.outcomes[0].status == "compile_error"


def test_cpp_compiler_cannot_read_host_files(sb):
    v = _run(
        sb,
        '```cpp\n#include "/etc/shadow"\nint main(){}\n```',
        [{"input": "", "output": ""}],
        language="cpp",
    )
    assert v.outcomes[0].status == "compile_error"
    assert "root:" not in v.outcomes[0].detail


def test_concurrent_callers_share_one_sandbox(sb):
    out: list[float] = []

    def go() -> None:
        for _ in range(3):
            out.append(_run(sb, "def srt(xs):\n    return sorted(xs)", HUMANEVAL).score)

    ts = [threading.Thread(target=go) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert out == [1.0] * 12


def test_without_a_sandbox_argument():
    v = run_tests("print(input())", [{"input": "hi", "output": "hi"}], limits=LIM)
    assert v.score == 1.0


def test_patched_builtins_do_not_reach_the_tests(sb):
    # Correct except for one-element lists, where only a patched abs() would hide the bug.
    code = (
        "import builtins\nbuiltins.abs = lambda x: 0.5\n"
        "def srt(xs):\n    return sorted(xs) if len(xs) != 1 else [-7]"
    )
    v = _run(sb, code, HUMANEVAL)
    assert v.score == 0.0 and "AssertionError" in v.outcomes[0].detail


# The candidate hunts for the tests' expected value in everything its process can reach: the
# fork server's stack frames it was forked from, every gc-tracked object, and raw heap memory
# (read safely through write(2), which fails with EFAULT instead of crashing). It runs three
# times on one worker, so leftovers of earlier runs of the same tests would be found too.
HUNTER = r"""
import ctypes, gc, os, sys
_NEEDLE = ("ZQ" + "marker-").encode()
def _hit(b):
    if isinstance(b, str):
        b = b.encode("utf-8", "replace")
    if isinstance(b, (bytes, bytearray)):
        b = bytes(b)
        i = b.find(_NEEDLE)
        while i >= 0:
            if b[i + 9:i + 14].isdigit():  # the marker itself, not this needle
                return b[i:i + 14].decode()
            i = b.find(_NEEDLE, i + 1)
def _hunt():
    fr = sys._getframe()
    while fr is not None:
        for v in list(fr.f_locals.values()):
            for b in (list(v) if isinstance(v, (list, tuple)) else [v]):
                if _hit(b):
                    return _hit(b)
        fr = fr.f_back
    for o in gc.get_objects():
        for v in (list(o.values()) if isinstance(o, dict) else list(o) if isinstance(o, (list, tuple)) else []):
            if _hit(v):
                return _hit(v)
    libc = ctypes.CDLL(None, use_errno=True)
    r, w = os.pipe()
    for mb in sorted({(id(o) >> 20) + d for o in gc.get_objects() for d in (-1, 0, 1)}):
        for base in range(mb << 20, (mb + 1) << 20, 1 << 16):
            if libc.write(w, ctypes.c_void_p(base), 1 << 16) > 0:
                found = _hit(os.read(r, 1 << 16))
                if found:
                    return found
    return "nothing"
def f(x):
    return _hunt()
"""


def test_test_material_unreachable_from_candidate_memory():
    tests = {
        "test": "def check(candidate):\n    assert candidate(1) == 'ZQmarker-31337'\n",
        "entry_point": "f",
    }
    lim = Limits(cpu_s=10, wall_s=15, memory_mb=256)
    with Sandbox(workers=1, limits=lim) as box:
        for _ in range(3):
            v = run_tests(HUNTER, tests, sandbox=box, limits=lim)
            assert v.score == 0.0
            assert v.outcomes[0].detail.startswith("AssertionError"), v.outcomes[0].detail
            assert "ZQmarker-31337" not in v.outcomes[0].detail


def test_hunter_finds_what_is_reachable():
    """Positive control for the test above: the primary's *source* is not withheld from a peer,
    and the hunter does find a marker placed there."""
    lim = Limits(cpu_s=10, wall_s=15, memory_mb=256)
    with Sandbox(workers=1, limits=lim) as box:
        raw = box.run_raw(
            "import time\ntime.sleep(3)  # ZQmarker-31337",
            limits=lim,
            peer=HUNTER + "print(f(0), flush=True)\n",
        )
    assert b"ZQmarker-31337" in raw.peer_output


def test_total_time_budget_for_many_stdio_tests(sb):
    tests = [{"input": "", "output": "x"}] * 50
    v = _run(sb, "while True: pass", tests, limits=Limits(cpu_s=1, wall_s=1), max_total_s=2.5)
    statuses = [o.status for o in v.outcomes]
    assert statuses.count("timeout") <= 4 and statuses[-1] == "not_run"


@pytest.mark.parametrize("bad", [-1e-6, math.nan, math.inf, "0.1", True, 10**400])
def test_a_bad_float_tolerance_is_refused_before_anything_runs(bad):
    """It raised from the first comparison, after the program had run (math.isclose)."""

    class NoSandbox:
        def run(self, *args, **kw):
            raise AssertionError("the program ran")

        run_raw = run

    with pytest.raises(ValueError, match="float_tol"):
        run_tests("print(1)", [{"input": "", "output": "1"}], sandbox=NoSandbox(), float_tol=bad)


@pytest.mark.parametrize("always_test_process", [False, True])
@pytest.mark.parametrize(
    "source, status, error",
    [
        ("def f(x) return x + 1", "compile_error", "SyntaxError"),
        ("def f(x):\nreturn x + 1", "compile_error", "IndentationError"),
        (
            "import no_such_module_r1\ndef f(x): return x + 1",
            "runtime_error",
            "ModuleNotFoundError",
        ),
    ],
)
def test_a_candidate_that_does_not_load_gets_one_status_on_both_assert_paths(
    sb, always_test_process, source, status, error
):
    """The test-process path called a syntax error `wrong_answer`, the one-process path
    `compile_error`: the same program must get the same verdict whichever path judged it."""
    # the first test never calls the candidate: a test process passed it before it asked
    # whether the candidate loaded at all
    tests = {"test_list": ["assert 1 == 1", "assert f(1) == 2", "assert f(2) == 3"]}
    v = run_tests(source, tests, sandbox=sb, always_test_process=always_test_process)
    assert v.passed == 0 and len(v.outcomes) == 3
    assert {o.status for o in v.outcomes} == {status}
    assert all(o.detail.startswith(error) for o in v.outcomes)
