"""run_tests on the test formats real RL code datasets ship, as their reference graders score
them (open-r1, verl prime_code, LiveCodeBench's lcb_runner, APPS/TACO testing_util, MBPP)."""

from __future__ import annotations

import json
import time

import pytest
from r1reward.sandbox import Limits, Sandbox
from r1reward.verifiers.code import extract_code, outputs_match, run_tests

LIM = Limits(cpu_s=2, wall_s=3, memory_mb=256)


@pytest.fixture(scope="module")
def sb():
    with Sandbox(workers=1, limits=LIM) as box:
        yield box


def _run(sb, code, tests, **kw):
    return run_tests(code, tests, sandbox=sb, limits=LIM, **kw)


# ---- call-based formats -----------------------------------------------------------------------
TWO_SUM = "class Solution:\n    def addUp(self, nums, k):\n        return sum(nums) + k\n"
LISTED = "class Solution:\n    def pair(self, nums, k):\n        return [sum(nums) + k]\n"
SCALAR = "class Solution:\n    def pair(self, nums, k):\n        return sum(nums) + k\n"


@pytest.mark.parametrize("meta", [{"func_name": "addUp"}, json.dumps({"func_name": "addUp"})])
def test_livecodebench_functional_tests_are_calls(sb, meta):
    """LiveCodeBench (and DeepCoder's copy) ships functional tests as a list of
    {input, output, testtype: functional, metadata: {func_name}}: the input is one JSON value
    per line, the output JSON text. They used to run as stdin/stdout programs, so every correct
    LeetCode-style solution scored 0."""
    tests = [
        {"input": "[1, 2]\n3", "output": "6", "testtype": "functional", "metadata": meta},
        {"input": "[]\n0", "output": "0", "testtype": "functional", "metadata": meta},
    ]
    v = _run(sb, TWO_SUM, tests)
    assert (v.passed, v.total) == (2, 2), v
    wrong = TWO_SUM.replace("+ k", "- k")
    assert _run(sb, wrong, tests).passed == 1  # 0 - 0 == 0 + 0


def test_livecodebench_compares_values_as_they_are(sb):
    """lcb_runner compares `prediction == json.loads(output)`: an expected [6] is not met by 6
    (the one-element-list allowance is APPS's, not LiveCodeBench's)."""
    tests = [
        {
            "input": "[1, 2]\n3",
            "output": "[6]",
            "testtype": "functional",
            "metadata": {"func_name": "pair"},
        }
    ]
    assert _run(sb, LISTED, tests).score == 1.0
    assert _run(sb, SCALAR, tests).score == 0.0


def test_prime_code_json_text_call_tests(sb):
    """verl's prime_code data: {fn_name, inputs: ["json\\njson"], outputs: ["json"]}; its
    testing_util json.loads each input line and the output. The text used to be passed as a
    single string argument."""
    tests = {"fn_name": "addUp", "inputs": ["[1, 2]\n3", "[5]\n-5"], "outputs": ["6", "0"]}
    assert _run(sb, TWO_SUM, tests).score == 1.0
    assert _run(sb, TWO_SUM, json.dumps(tests)).score == 1.0
    v = _run(sb, TWO_SUM.replace("+ k", "* k"), tests)
    assert [o.passed for o in v.outcomes] == [False, False]
    # prime_code keeps APPS's allowance: an expected [x] accepts x
    assert (
        _run(sb, SCALAR, {"fn_name": "pair", "inputs": ["[1]\n1"], "outputs": ["[2]"]}).score == 1
    )


def test_primeintellect_fn_name_tests(sb):
    """PrimeIntellect/DeepCoder: a list of {input: [args], output: [value], fn_name}."""
    tests = [
        {"input": [[1, 2], 3], "output": [6], "fn_name": "addUp"},
        {"input": [[4], 1], "output": [5], "fn_name": "addUp"},
    ]
    assert _run(sb, TWO_SUM, tests).score == 1.0
    assert _run(sb, TWO_SUM.replace("+ k", "- k"), tests).score == 0.0


def test_input_output_rows(sb):
    """An APPS/TACO/LiveCodeBench row's `input_output` (JSON text), as lcb_runner reads it."""
    row = {"input_output": json.dumps({"inputs": ["2\n"], "outputs": ["4\n"]})}
    assert _run(sb, "print(int(input()) * 2)", row).score == 1.0
    row = {"input_output": json.dumps({"fn_name": "addUp", "inputs": [[[1], 1]], "outputs": [2]})}
    assert _run(sb, TWO_SUM, row).score == 1.0


LEETCODE_NO_IMPORTS = """class Solution:
    def mostFrequent(self, nums: List[int]) -> int:
        c = Counter(nums)
        seen = defaultdict(int)
        h = []
        for v, k in c.items():
            heappush(h, (-k, v))
        best = inf
        q = deque([bisect_left(sorted(nums), 0)])
        return heappop(h)[1] + min(best, 0) + q[0] * 0 + len(seen) + gcd(4, 6) - 2
"""


def test_leetcode_names_are_predefined_for_call_tests(sb):
    """LeetCode's judge and lcb_runner (its import_string; verl's prime_code copies it) define
    typing, collections, heapq, bisect, math, ... names before a solution runs; LeetCode-style
    solutions rely on it. Without them a correct solution failed with NameError."""
    tests = [
        {
            "input": "[1, 2, 2, 3]",
            "output": "2",
            "testtype": "functional",
            "metadata": {"func_name": "mostFrequent"},
        },
    ]
    v = _run(sb, LEETCODE_NO_IMPORTS, tests)
    assert v.score == 1.0, v.outcomes
    # the builtins are the builtins, not math.pow / operator.abs
    code = "def f(a, b, m):\n    return [pow(a, b, m), abs(-a)]"
    assert _run(sb, code, {"fn_name": "f", "inputs": [[3, 4, 5]], "outputs": [[1, 3]]}).score == 1


def test_a_predefined_name_is_not_the_candidate_function(sb):
    """fn_name "gcd": the Solution method is called, not the prelude's math.gcd (which would
    pass any candidate)."""
    wrong = "class Solution:\n    def gcd(self, a, b):\n        return 1\n"
    tests = {"fn_name": "gcd", "inputs": [[4, 6], [9, 6]], "outputs": [2, 3]}
    assert _run(sb, wrong, tests).passed == 0
    right = "class Solution:\n    def gcd(self, a, b):\n        return gcd(a, b)\n"
    assert _run(sb, right, tests).score == 1.0
    v = _run(sb, "x = 1", tests)
    assert v.passed == 0 and v.outcomes[0].status == "runtime_error"


# ---- output comparison ------------------------------------------------------------------------
def test_float_tolerance_is_not_applied_to_integers(sb):
    """float_tol is for real-valued answers: with 1e-6, 1000000008 passed for 1000000007 (and
    2**40 + 1 for 2**40) both in stdin/stdout output and in returned values."""
    tests = [{"input": "", "output": "1000000007\n0.333333333"}]
    assert _run(sb, "print(1000000008)\nprint(1/3)", tests, float_tol=1e-6).score == 0.0
    assert _run(sb, "print(1000000007)\nprint(1/3)", tests, float_tol=1e-6).score == 1.0
    assert not outputs_match("1_000", "1000", float_tol=1e-6)
    call = {"fn_name": "f", "inputs": [[0]], "outputs": [[2**40, 0.5]]}
    assert _run(sb, "def f(x):\n    return [2**40 + 1, 0.5]", call, float_tol=1e-6).score == 0
    assert _run(sb, "def f(x):\n    return [2**40, 0.5000000001]", call, float_tol=1e-6).score == 1
    # ... nor when only the answer is a float (red-team, 2026-11-24): an expected integer is met
    # only by its exact value
    for wrong in ("print(1000000008.0)", "print('1000000008e0')", "print(1.000000008e9)"):
        assert _run(sb, wrong + "\nprint(1/3)", tests, float_tol=1e-6).score == 0.0, wrong
    assert _run(sb, "print(1000000007.0)\nprint(1/3)", tests, float_tol=1e-6).score == 1.0
    float_answer = "def f(x):\n    return [float(2**40 + 1), 0.5]"
    assert _run(sb, float_answer, call, float_tol=1e-6).score == 0
    assert _run(sb, "def f(x):\n    return [float(2**40), 0.5]", call, float_tol=1e-6).score == 1
    assert outputs_match("3", "3.0000000001", float_tol=1e-6)  # an expected float keeps it


@pytest.mark.parametrize("float_tol", [None, 1e-6])
def test_a_long_digit_token_is_compared_in_linear_time(float_tol):
    """The number pattern backtracked: a 24,000-digit token took 10 s of the trainer's CPU, and
    the 1 MB the output cap allows would have taken hours."""
    start = time.perf_counter()
    for token in ("1" * 1_000_000 + "x", "1" * 500_000 + "." + "1" * 500_000 + "e"):
        assert not outputs_match(token, "42", float_tol=float_tol)
    assert time.perf_counter() - start < 5.0


@pytest.mark.parametrize(
    "got,exp,ok",
    [
        ("2.50\n", "2.5\n", True),  # lcb_runner: Decimal('2.50') == Decimal('2.5')
        ("0.5 1.0\n", "0.500000000 1\n", True),
        ("1e3", "1000.0", True),
        ("-0.0", "0", True),
        ("2.51", "2.5", False),
        ("7", "007", False),  # two integers: as written (a PIN, a time)
        ("+5", "5", False),
        ("2.5  1", "2.5 1", False),  # the whitespace between tokens is kept
        ("1_000.0", "1000", False),
        ("nan", "nan ", True),
        ("NaN", "nan", False),
    ],
)
def test_decimal_tokens_compare_by_value(got, exp, ok):
    """CodeContests/TACO float answers are stored as the reference printed them (0.500000000);
    a correct program printing 0.5 scored 0, where LiveCodeBench's grader accepts it."""
    assert outputs_match(got, exp) is ok


def test_decimal_stdout_end_to_end(sb):
    tests = {"inputs": ["1 4\n"], "outputs": ["0.250000000\n"]}
    assert _run(sb, "a, b = map(int, input().split())\nprint(a / b)", tests).score == 1.0
    assert _run(sb, "print(0.26)", tests).score == 0.0


# ---- code extraction --------------------------------------------------------------------------
def test_last_block_of_the_language_wins_over_a_later_untagged_one(sb):
    """A completion that shows its program and then its sample output in an untagged block:
    the untagged block ran as the program (open-r1 takes the last ```python block)."""
    completion = (
        "Here is the solution:\n```python\nprint(int(input()) * 2)\n```\n"
        "For the sample it prints:\n```\n4\n```\n"
    )
    assert extract_code(completion) == "print(int(input()) * 2)\n"
    assert _run(sb, completion, [{"input": "2", "output": "4"}]).score == 1.0
    cpp = "```cpp\nint main(){return 0;}\n```\nOutput:\n```\nnothing\n```"
    assert extract_code(cpp, "cpp") == "int main(){return 0;}\n"
    # untagged blocks still count when no block is tagged
    assert extract_code("```\nprint(1)\n```\n```\nprint(2)\n```") == "print(2)\n"
    assert extract_code("```python\nprint(1)\n```\n```py\nprint(2)\n```") == "print(2)\n"


def test_no_code_at_all(sb):
    v = _run(sb, "I could not solve it.\n```text\nsorry\n```", [{"input": "", "output": ""}])
    assert v.score == 0.0 and v.code is None
    v = _run(sb, "I could not solve it.", {"fn_name": "f", "inputs": [[1]], "outputs": [1]})
    assert v.score == 0.0


# ---- MBPP ---------------------------------------------------------------------------------------
def test_mbpp_null_setup_fields(sb):
    """MBPP rows read through pandas/parquet carry null test_setup_code / test_imports: the
    tests were refused ('bad tests') and every answer scored 0."""
    tests = {
        "test_list": ["assert sq(3) == 9", "assert math.isclose(sq(0.5), 0.25)"],
        "test_setup_code": None,
        "test_imports": None,
        "challenge_test_list": None,
    }
    v = _run(sb, "def sq(x):\n    return x * x", tests)
    assert (v.passed, v.total, v.error) == (1, 2, "")  # math is not imported by the tests
    tests["test_imports"] = ["import math"]
    assert _run(sb, "def sq(x):\n    return x * x", tests).score == 1.0
    assert _run(sb, "def sq(x):\n    return x + x", tests).passed == 0


# ---- call-based results the parent decodes ----------------------------------------------------
FLOOD_PRIME = 2**61 - 1  # ints k * P + 1 share one hash: a set of them is quadratic to build


def test_a_call_result_cannot_flood_the_parent(sb):
    """A call-based candidate whose channel record is a set of 30,000 ints with one hash
    (building it took the parent 5 s of CPU before; the candidate writes the record itself, as
    building the set would take it as long) is refused as a bad result, quickly."""
    import time

    code = (
        "import os\n"
        f"body = ','.join(str(1 + k * {FLOOD_PRIME}) for k in range(30000))\n"
        'os.write(3, (\'{"i": 0, "ok": {"s": [\' + body + \']}}\\n\').encode())\n'
        "def f(x):\n    return 1\n"
    )
    start = time.process_time()
    v = run_tests(code, {"fn_name": "f", "inputs": [[1]], "outputs": [[1]]}, sandbox=sb)
    assert time.process_time() - start < 1.5
    assert v.passed == 0 and "bad result" in v.outcomes[0].detail


def test_a_call_based_source_is_compiled_as_a_file(sb):
    """A BOM (editors write one) or a coding cookie means what it means to Python: the source is
    compiled as bytes, as the assert-style paths compile it."""
    tests = {"fn_name": "f", "inputs": [[1]], "outputs": [2]}
    assert run_tests("\ufeffdef f(x):\n    return x + 1\n", tests, sandbox=sb).passed == 1


def test_a_long_call_result_fits_under_the_output_cap(sb):
    """A right call-based answer of 200,000 ints (~1.3 MB on the channel, past the 1 MB
    default cap) passes, as a stdin test's long right output does: the cap makes room for
    twice the expected values."""
    tests = {"fn_name": "f", "inputs": [[200000]], "outputs": [list(range(200000))]}
    v = run_tests("def f(n):\n    return list(range(n))\n", tests, sandbox=sb)
    assert v.passed == 1, v.outcomes
    # the room is for the expected size: a runaway result still hits the cap
    flood = "def f(n):\n    return list(range(n * 20))\n"
    assert run_tests(flood, tests, sandbox=sb).outcomes[0].status == "output_limit"
