"""Review of the lowered path (`_code_lower`, `LOWERED_CALLS`, `_run_lowered`): each test is a
problem found there. Lowered verdicts must be the test process's, and neither hostile results nor
hostile test data may make the trusted parent hang, blow up or raise."""

from __future__ import annotations

import ast
import time

import pytest
from r1reward.sandbox import Limits, Sandbox
from r1reward.verifiers._code_lower import (
    Unsupported,
    _bound_names,
    decode_results,
    lower_asserts,
    lower_check,
)
from r1reward.verifiers.code import run_tests

pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")  # `is` with a literal
LIM = Limits(cpu_s=2, wall_s=3, memory_mb=256)
P = 2**61 - 1  # ints k * P + 1 all hash to 1
RIGHT = "def add(a, b):\n    return a + b\n"


@pytest.fixture(scope="module")
def sb():
    with Sandbox(workers=1, limits=LIM) as box:
        yield box


def _both(sb, code: str, tests: dict, **kw) -> tuple[list[bool], list[bool]]:
    here = run_tests(code, tests, sandbox=sb, limits=kw.pop("limits", LIM), **kw)
    there = run_tests(code, tests, sandbox=sb, limits=LIM, always_test_process=True, **kw)
    return [o.passed for o in here.outcomes], [o.passed for o in there.outcomes]


def _check(*asserts: str, module: str = "", head: str = "def check(candidate):") -> str:
    return module + head + "\n" + "".join(f"    {a}\n" for a in asserts)


# ---- hash flooding: a set or dict of many distinct keys with one hash is quadratic to build ------
def _flooded(n: int) -> list[int]:
    return [1 + k * P for k in range(n)]


def test_flooded_sets_and_dicts_in_results_are_not_built_here():
    """The parent decoded a returned set of 20,000 ints with one hash in seconds (quadratic);
    such a result now goes to a test process, where the sandbox's limits hold."""
    ints = _flooded(20000)
    for enc in (
        {"s": ints},
        {"fs": ints},
        {"d": [[k, 0] for k in ints]},
        [1, {"t": [{"s": ints}]}],  # nested anywhere in the value
    ):
        start = time.process_time()
        with pytest.raises(Unsupported):
            decode_results([{"i": 0, "ok": enc}], 1)
        assert time.process_time() - start < 0.5
    # ordinary sets and dicts, even big ones, decode as before
    results, _ = decode_results([{"i": 0, "ok": {"s": list(range(20000))}}], 1)
    assert results[0] == ("ok", set(range(20000)))
    few = _flooded(40)  # a few keys of one hash are cheap: judged here
    results, _ = decode_results([{"i": 0, "ok": {"d": [[k, 1] for k in few]}}], 1)
    assert results[0] == ("ok", dict.fromkeys(few, 1))


def test_set_dict_frozenset_of_a_flooded_result_are_not_built_here():
    start = time.process_time()
    for shape in ("set(add(1))", "frozenset(add(1))", "dict(add(1))"):
        lowered = lower_asserts((f"assert len({shape}) == 1",), "")
        value = _flooded(20000) if shape[0] != "d" else [(k, 0) for k in _flooded(20000)]
        with pytest.raises(Unsupported):
            lowered.judge([("ok", value)], stop=False)
    assert time.process_time() - start < 1.0
    # duplicates are not collisions: judged here
    lowered = lower_asserts(("assert set(add(1)) == {1}",), "")
    assert lowered.judge([("ok", [1] * 5000)], stop=False) == [(0, True, "")]


def test_flooded_set_literals_in_test_data_are_not_built_here():
    """Hostile test data: set and dict literals of keys with one hash are not built here,
    neither by folding nor by the compiler (`x in {...}` is a frozenset constant)."""
    start = time.process_time()
    for n in (20000, 2000):  # 500 KB of test code; and 40 KB
        flood = ", ".join(map(str, _flooded(n)))
        pairs = ", ".join(f"{k}: 0" for k in _flooded(n))
        assert lower_asserts((f"assert add(1) in {{{flood}}}",), "") is None
        assert lower_asserts((f"assert add({{{flood}}}) == 1",), "") is None
        assert lower_asserts((f"assert add(1) == {{{pairs}}}",), "") is None
    assert time.process_time() - start < 1.0


def test_a_candidate_cannot_flood_the_parent(sb):
    """End to end: the candidate forges a flooded result on the lowered path's channel (a
    pipe; a socket on the test process's path). The parent stays quick, and the program is
    judged by a test process, where the forged line is not written."""
    forge = (
        "import os, stat\n"
        "if stat.S_ISFIFO(os.fstat(3).st_mode):\n"
        f"    body = ','.join(str(1 + k * {P}) for k in range(30000))\n"
        '    os.write(3, (\'{"i": 0, "ok": {"s": [\' + body + "]}}\\n").encode())\n' + RIGHT
    )
    start = time.process_time()
    v = run_tests(forge, {"test_list": ["assert add(1, 2) == 3"]}, sandbox=sb, limits=LIM)
    assert time.process_time() - start < 1.5
    assert v.passed == 1, v


# ---- constant folding: shared parts count each time they are reached ---------------------------
@pytest.mark.parametrize(
    "test",
    [
        "assert add([[0] * 3000] * 3000, 1) == 0",  # 9M items to encode, send and decode
        "assert add(1, 2) in [[0] * 3000] * 3000",  # each judge compares up to 9M items
        "assert add(1, 2) == ('x' * 99999 + 'x' * 99999) * 0 + " + " + ".join(["'x' * 99999"] * 60),
        "assert add(1, 2) == [" + ", ".join(["'y' * 99999"] * 60) + "]",  # 6M chars in all
    ],
)
def test_folding_is_bounded_by_what_it_builds(test):
    start = time.process_time()
    assert lower_asserts((test,), "") is None
    assert time.process_time() - start < 0.5


def test_folding_within_the_bound_is_still_lowered():
    assert lower_asserts(("assert add([[0] * 300] * 300, 1) == 0",), "") is not None
    assert lower_asserts(("assert add('ab' * 1000 + 'c', 1) == 0",), "") is not None
    assert lower_check(_check("assert candidate(3 * 19, 1) == 58"), "add", "") is not None


# ---- test code the parser or the compiler refuses ---------------------------------------------
@pytest.mark.parametrize(
    "tests",
    [
        {"test_list": ["assert add(1, 2) == " + "-" * 200000 + "3"]},
        {"test_list": ["assert add(1, 2) == 3"], "test_setup_code": "x = " + "-" * 200000 + "1"},
        {"test": _check("assert candidate(1, 2) == " + "-" * 200000 + "3"), "entry_point": "add"},
    ],
)
def test_code_too_deep_for_the_parser_gives_a_verdict(sb, tests):
    """ast.parse raised MemoryError (parser stack overflow), out of run_tests."""
    assert run_tests(RIGHT, tests, sandbox=sb, limits=LIM).passed == 0


@pytest.mark.parametrize(
    "tests",
    [
        {"test_list": ["assert add(a=1, a=2) == 2"]},  # only the compiler refuses it
        {"test_list": ["assert add(1, 2) == 3, (yield)"]},  # 'yield' outside function
        {"test_list": ["assert add(1, 2) == 3, await x"]},
    ],
)
def test_test_code_that_does_not_compile_fails_on_both_paths(sb, tests):
    code = "def add(a=0, b=0):\n    return a + b\n"
    here, there = _both(sb, code, tests)
    assert here == there == [False]


# ---- semantics the evaluator did not have ------------------------------------------------------
@pytest.mark.parametrize(
    "test",
    [
        "assert add(1, 2) == 3 or (1, 2) is not (1, 2)",  # one constant in compiled code
        "assert add(1, 2) == 3 or 1000 is not 1000",
        "assert add(1, 2) is not 'a'",  # json's 'a' is not the marshalled constant's
    ],
)
def test_identity_is_judged_here_only_against_singletons(sb, test):
    """`is` between the parent's folded constants (or a result and an interned constant) is
    not what the test process sees: a wrong program passed here and failed there."""
    assert lower_asserts((test,), "") is None
    wrong = "def add(a, b):\n    return 'a'\n"
    here, there = _both(sb, wrong, {"test_list": [test]})
    assert here == there, test
    for kept in ("assert add(1, 2) is True", "assert add(1, 2) is not None"):
        assert lower_asserts((kept,), "") is not None
    assert lower_asserts(("assert type(add(1, 2)) is int",), "") is not None


def test_a_type_name_that_is_the_candidate_is_the_candidate(sb):
    """`int` as check's parameter (or the entry point) is the candidate, not the builtin."""
    tests = {"test": _check("assert isinstance(int(1, 2), int)", head="def check(int):")}
    tests["entry_point"] = "add"
    assert lower_check(tests["test"], "add", "") is None
    here, there = _both(sb, RIGHT, tests)
    assert here == there == [False]
    assert lower_check(_check("assert isinstance(candidate(1, 2), list)"), "list", "") is None


@pytest.mark.parametrize(
    "test,entry",
    [
        ("add = 5\n" + _check("assert add(1, 2) == 3"), "add"),  # the entry point rebound
        (_check("assert candidate(1, 2) == 3") + "check = None\n", "add"),  # check rebound
        (_check("assert check(1, 2) == 3"), "check"),  # the entry point named check
    ],
)
def test_test_module_rebinding_what_the_asserts_call(sb, test, entry):
    assert lower_check(test, entry, "") is None
    code = RIGHT.replace("add", entry)
    here, there = _both(sb, code, {"test": test, "entry_point": entry})
    assert here == there


@pytest.mark.parametrize(
    "test,code",
    [
        # check is a generator: its asserts never run there, and every program passes
        (_check("assert candidate(1, 2) == 4, (yield)"), "def add(a, b):\n    return 0\n"),
        # annotations run when check is defined: a raise there fails every program
        (_check("assert candidate(1, 2) == 3", head="def check(candidate) -> 1 / 0:"), RIGHT),
        (_check("assert candidate(1, 2) == 3", head="def check(candidate: 1 / 0):"), RIGHT),
    ],
)
def test_checks_whose_header_or_messages_change_what_runs(sb, test, code):
    assert lower_check(test, "add", "") is None
    here, there = _both(sb, code, {"test": test, "entry_point": "add"})
    assert here == there


def test_a_message_binding_a_name_changes_the_next_tests(sb):
    """MBPP asserts share one namespace: a failing assert's message can rebind a name the
    next asserts read."""
    tests = {"test_list": ["assert add(1, 2) == 4, (add := 5)", "assert add(2, 2) == 4"]}
    assert lower_asserts(tuple(tests["test_list"]), "") is None
    here, there = _both(sb, RIGHT, tests)
    assert here == there == [False, False]


def test_match_captures_in_the_setup_shadow_builtins(sb):
    setup = "match (lambda x: x):\n    case sorted:\n        pass\n"
    assert "sorted" in _bound_names(setup)
    assert "rest" in _bound_names("match {}:\n    case {**rest}:\n        pass\n")
    assert "tail" in _bound_names("match []:\n    case [*tail]:\n        pass\n")
    tests = {"test_list": ["assert sorted(add([2], [1])) == [1, 2]"], "test_setup_code": setup}
    assert lower_asserts(tuple(tests["test_list"]), setup) is None
    here, there = _both(sb, RIGHT, tests)
    assert here == there == [False]  # the identity `sorted` returns [2, 1]


# ---- the candidate's process ------------------------------------------------------------------
@pytest.mark.parametrize(
    "code,test",
    [
        ("\ufeff" + RIGHT, "assert add(1, 2) == 3"),  # a byte order mark, as Python reads files
        ("# -*- coding: latin-1 -*-\ndef add(a, b):\n    return 'é'\n", "assert add(1, 2) == 'é'"),
        ("# -*- coding: latin-1 -*-\ndef add(a, b):\n    return 'é'\n", "assert add(1, 2) == 'Ã©'"),
    ],
)
def test_the_source_is_compiled_as_the_test_process_compiles_it(sb, code, test):
    """The lowered harness compiled the JSON text, the candidate server the UTF-8 bytes: a
    BOM failed a right program here, and a coding cookie changed its string literals."""
    here, there = _both(sb, code, {"test_list": [test]})
    assert here == there


def test_stop_on_first_failure_keeps_the_passes_before_a_later_hang(sb):
    """A test process stops calling at the first failure, so a hang in a later test never
    happens there: the tests before it keep their verdicts (partial credit)."""
    code = (
        "def add(a, b):\n    if a == 9:\n        while True: pass\n"
        "    return a + b if a != 2 else 0\n"
    )
    tests = {
        "test_list": ["assert add(1, 1) == 2", "assert add(2, 2) == 4", "assert add(9, 0) == 9"]
    }
    lim = Limits(cpu_s=1, wall_s=2, memory_mb=256)
    v = run_tests(code, tests, sandbox=sb, limits=lim, stop_on_first_failure=True)
    there = run_tests(
        code, tests, sandbox=sb, limits=lim, stop_on_first_failure=True, always_test_process=True
    )
    assert [o.status for o in v.outcomes] == [o.status for o in there.outcomes]
    assert [o.status for o in v.outcomes] == ["passed", "wrong_answer", "not_run"]
    # a hang before any failure still passes nothing, as there
    hang_first = {"test_list": ["assert add(9, 0) == 9", "assert add(2, 2) == 4"]}
    v = run_tests(code, hang_first, sandbox=sb, limits=lim, stop_on_first_failure=True)
    assert v.passed == 0 and {o.status for o in v.outcomes} == {"timeout"}
    # and without stop_on_first_failure every test runs there too: nothing counts
    v = run_tests(code, tests, sandbox=sb, limits=lim)
    assert v.passed == 0 and {o.status for o in v.outcomes} == {"timeout"}


def test_folding_stays_pythons():
    """The per-test budget does not change what folds: values as Python computes them."""
    from r1reward.verifiers._code_lower import _fold

    for source in ("'ab' * 3 + 'c'", "[1, 2] * 2 + [3]", "(1,) * 0", "[[0] * 2] * 2", "-(2 ** 10)"):
        assert _fold(ast.parse(source, mode="eval").body) == eval(source)


# ---- lookahead: the candidate's process holds every call's arguments (red-team, 2026-11-24) -----
LOOKAHEAD_CHEAT = r"""
import sys
_f = sys._getframe()
while _f is not None and "_spec" not in _f.f_globals:
    _f = _f.f_back
_calls = _f.f_globals["_spec"]["calls"] if _f is not None else []
def _other(name):
    return next((req[1][0] for req in _calls if req[0] == name), None)
def encode(s):
    return _other("decode")  # the decode call's argument is the encoded text
def decode(s):
    return _other("encode")
"""


def test_a_candidate_cannot_answer_one_function_with_anothers_argument(sb):
    """On the lowered path the cheat read `decode('khoor')` ahead and passed both asserts; such
    tests (an expected value that is another function's argument) now run in a test process."""
    tests = ["assert encode('hello') == 'khoor'", "assert decode('khoor') == 'hello'"]
    assert lower_asserts(tuple(tests), "") is None
    here, there = _both(sb, LOOKAHEAD_CHEAT, {"test_list": tests})
    assert here == there == [False, False]
    right = (
        "def encode(s):\n    return ''.join(chr(ord(c) + 3) for c in s)\n"
        "def decode(s):\n    return ''.join(chr(ord(c) - 3) for c in s)\n"
    )
    assert _both(sb, right, {"test_list": tests}) == ([True, True], [True, True])


@pytest.mark.parametrize(
    "tests",
    [
        ("assert f(3) == 6", "assert f(6) == 12"),  # one function: nothing to take from another
        ("assert f([3, 1]) == [1, 3]", "assert f([1, 3]) == [1, 3]"),
        ("assert f('ab') == 2", "assert g('xy') == 'a'", "assert g('a') == 2"),  # small values
    ],
)
def test_tests_without_such_a_value_are_still_lowered(tests):
    assert lower_asserts(tests, "") is not None
