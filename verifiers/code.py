"""Code accuracy: run a completion's program against test cases in the sandbox.

Never in this process: stdin/stdout programs run alone and their output is compared here;
call-based programs return plain data over a private channel and are compared here. Assert-style
tests (HumanEval `check`, MBPP asserts) made only of literal calls are judged the same way: the
candidate's process makes the calls, and the asserts are evaluated here on the plain results
(`_code_lower`). Other assert-style tests run in their own sandboxed process that calls the
candidate through a socket, so the candidate cannot reach the asserts, the expected values, or
builtins they use; a pass there needs the per-run secret written after every test ran.
"""

from __future__ import annotations

import ast
import functools
import json
import marshal
import math
import numbers
import re
import secrets
import time
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from r1reward.sandbox import Limits, Sandbox

from ._code_harness import (
    ASSERT_PRELUDE,
    CALL_HARNESS,
    CANDIDATE_SERVER,
    LOWERED_CALLS,
    TEST_RUNNER,
    plain_codec,
)
from ._code_lower import (
    Lowered,
    Unsupported,
    decode_results,
    decode_value,
    lower_asserts,
    lower_check,
)

_enc = plain_codec()[0]
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+#-]*)[^\n]*\n(.*?)```", re.S)
_LANG_TAGS = {"python": {"python", "py", "python3", ""}, "cpp": {"cpp", "c++", "cc", "cxx", ""}}


@dataclass(frozen=True)
class TestOutcome:
    """One test's result: `wrong_answer` when the run ended `ok` with a wrong answer, a run's
    own status when it did not, `not_run` when it was skipped (a failure before it under
    `stop_on_first_failure`, `max_total_s` spent, no code found)."""

    index: int
    passed: bool
    status: str  # passed, wrong_answer, runtime_error, timeout, memory_limit, output_limit,
    # compile_error, sandbox_error, not_run
    detail: str = ""


@dataclass(frozen=True)
class CodeVerdict:
    """`fraction` is passed / total (0.0 without tests); `error` says why no test ran (bad
    tests, no code found, a test kind that needs Python), else it is empty."""

    passed: int
    total: int
    fraction: float
    score: float  # fraction under partial credit, 0/1 under binary credit
    outcomes: tuple[TestOutcome, ...]
    code: str | None
    error: str = ""


_THINK = re.compile(r"^\s*<think>.*?</think>", re.S)


def extract_code(text: str, language: str = "python") -> str | None:
    """The last fenced block tagged with `language` (as open-r1's extract_code); the last
    untagged one only when none is tagged (an untagged block after the code is usually its
    sample output); else the whole text if unfenced (after a leading <think>...</think>
    block, which is reasoning, not code)."""
    if not isinstance(text, str):
        return None
    text = _THINK.sub("", text, count=1)
    tags = _LANG_TAGS.get(language, {language, ""})
    found = [(tag.lower(), body) for tag, body in _FENCE.findall(text)]
    blocks = [body for tag, body in found if tag and tag in tags]
    blocks = blocks or [body for tag, body in found if not tag and "" in tags]
    if blocks:
        return blocks[-1]
    if "```" in text:
        return None
    return text if text.strip() else None


def outputs_match(
    got: str, expected: str, *, exact: bool = False, float_tol: float | None = None
) -> bool:
    """Line-wise comparison after normalising line endings and trailing whitespace. A prefix
    of the expected output fails, and so does extra output. A line that differs is compared
    token by token: decimals equal in value are equal (2.50 and 2.5, 1.0 and 1, as
    LiveCodeBench's lcb_runner compares with Decimal; two integers only as written, so 7 is
    not 007). `float_tol` compares numeric tokens with that absolute/relative tolerance;
    `exact` compares the strings as they are."""
    if exact:
        return got == expected
    g, e = _lines(got), _lines(expected)
    if len(g) != len(e):
        return False
    if g == e:
        return True
    for gl, el in zip(g, e, strict=True):
        if gl == el:
            continue
        if float_tol is None:  # the whitespace between tokens is kept
            gt, et, same = gl.split(" "), el.split(" "), _same_decimal
        else:
            gt, et, same = gl.split(), el.split(), functools.partial(_close, tol=float_tol)
        if len(gt) != len(et):
            return False
        for a, b in zip(gt, et, strict=True):
            if a != b and not same(a, b):
                return False
    return True


def _lines(s: str) -> list[str]:
    lines = [ln.rstrip() for ln in s.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _same_decimal(a: str, b: str) -> bool:
    if not (_NUMBER.fullmatch(a) and _NUMBER.fullmatch(b)):
        return False
    if _INTEGER.fullmatch(a) and _INTEGER.fullmatch(b):
        return False  # different text: 007 is not 7, +5 is not 5
    try:
        return Decimal(a) == Decimal(b)
    except ArithmeticError:
        return False


# One way to match each number: `\d+\.?\d*` split a run of digits in n ways, and a failed
# fullmatch of a 24,000-digit token took 10 s of the trainer's CPU (quadratic backtracking).
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


def _close(a: str, b: str, tol: float) -> bool:
    """Output token `a` within `tol` of expected token `b`, both plain number literals (not
    1_0, nan). An expected integer is met only by its exact value: a tolerance meant for floats
    must not accept 1000000008 (or 1000000008.0, 1.000000008e9) for 1000000007."""
    if not (_NUMBER.fullmatch(a) and _NUMBER.fullmatch(b)):
        return False
    if _INTEGER.fullmatch(b):
        try:
            return Decimal(a) == Decimal(b)
        except ArithmeticError:
            return False
    x, y = float(a), float(b)
    if math.isinf(x) or math.isinf(y):
        return x == y
    return math.isclose(x, y, rel_tol=tol, abs_tol=tol)


# ---- test formats -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Plan:
    kind: str  # stdio, call, check, asserts
    inputs: tuple = ()
    outputs: tuple = ()
    fn_name: str = ""
    test: str = ""
    entry_point: str = ""
    setup: str = ""
    asserts: tuple[str, ...] = ()
    unwrap: bool = True  # APPS quirk: an expected [x] also accepts x (not LiveCodeBench)


def _plan(tests: Any) -> _Plan:
    if isinstance(tests, str):
        tests = json.loads(tests)
    if isinstance(tests, dict) and "test_cases" in tests:  # open-r1 verification_info
        tests = tests["test_cases"]
    if isinstance(tests, dict) and "input_output" in tests:  # an APPS/TACO/LiveCodeBench row
        tests = tests["input_output"]
        if isinstance(tests, str):
            tests = json.loads(tests)
    if isinstance(tests, (list, tuple)):
        if not all(isinstance(t, dict) and "input" in t and "output" in t for t in tests):
            raise ValueError("a list of tests must hold {'input', 'output'} dicts")
        fn_name, lcb = _list_fn_name(tests)
        if fn_name:  # LiveCodeBench functional tests, PrimeIntellect/DeepCoder fn_name tests
            ins, outs = _call_cases([t["input"] for t in tests], [t["output"] for t in tests])
            return _Plan("call", ins, outs, fn_name=fn_name, unwrap=not lcb)
        return _Plan(
            "stdio",
            tuple(_text(t["input"]) for t in tests),
            tuple(_text(t["output"]) for t in tests),
        )
    if not isinstance(tests, dict):
        raise ValueError(f"unsupported tests of type {type(tests).__name__}")
    if "test" in tests and "entry_point" in tests:  # HumanEval
        setup = tests.get("prompt_setup", tests.get("prompt")) or ""
        return _Plan(
            "check",
            test=str(tests["test"]),
            entry_point=str(tests["entry_point"]),
            setup=str(setup),
        )
    if "test_list" in tests:  # MBPP
        # rows exported through pandas/parquet hold null for an empty field
        imports = tests.get("test_imports") or []
        setup = "\n".join([*map(str, imports), str(tests.get("test_setup_code") or "")])
        return _Plan("asserts", asserts=tuple(map(str, tests["test_list"])), setup=setup)
    if "inputs" in tests and "outputs" in tests:  # APPS / verl
        ins, outs = list(tests["inputs"]), list(tests["outputs"])
        if len(ins) != len(outs):
            raise ValueError("inputs and outputs differ in length")
        if tests.get("fn_name"):
            args, outs = _call_cases(ins, outs)
            return _Plan("call", args, outs, fn_name=str(tests["fn_name"]))
        return _Plan("stdio", tuple(map(_text, ins)), tuple(map(_text, outs)))
    raise ValueError(
        "unrecognised tests: expected stdio pairs, inputs/outputs, fn_name, "
        "HumanEval test+entry_point or MBPP test_list"
    )


def _list_fn_name(tests: list | tuple) -> tuple[str, bool]:
    """(function name, LiveCodeBench?) of a list of tests, ("", False) for stdin/stdout ones.
    LiveCodeBench (and DeepCoder's copy of it) marks call tests `"testtype": "functional"` with
    `metadata: {"func_name"}` (a dict or its JSON text); PrimeIntellect/DeepCoder tests carry
    `fn_name` (APPS semantics, graded by TACO's testing_util)."""
    for t in tests:
        if t.get("fn_name"):
            return str(t["fn_name"]), False
        meta = t.get("metadata")
        if isinstance(meta, str):
            try:
                meta = json.loads(meta)
            except ValueError:
                meta = None
        functional = t.get("testtype") == "functional"
        if isinstance(meta, dict) and meta.get("func_name") and (functional or "testtype" not in t):
            return str(meta["func_name"]), True
        if functional:
            raise ValueError("functional tests without a func_name")
    return "", False


def _call_cases(ins: list, outs: list) -> tuple[tuple, tuple]:
    """Argument lists and expected values of call-based tests. APPS/TACO give each input as a
    list of arguments; LiveCodeBench (and verl's prime_code data, built from it) as text with
    one JSON value per line, the expected value as JSON text: lcb_runner and prime_code's
    testing_util json.loads both. A text input that is not JSON lines stays one argument."""
    args, exps = [], []
    for a, e in zip(ins, outs, strict=True):
        parsed = _json_lines(a) if isinstance(a, str) else None
        if parsed is None:
            args.append(a if isinstance(a, list) else [a])
        else:
            args.append(parsed)
            e = _json_or_text(e)
        exps.append(e)
    return tuple(args), tuple(exps)


def _json_lines(text: str) -> list | None:
    try:
        return [json.loads(line) for line in text.split("\n") if line.strip()]
    except ValueError:
        return None


def _json_or_text(x: Any) -> Any:
    if not isinstance(x, str):
        return x
    try:
        return json.loads(x)
    except ValueError:
        return x


def _text(x: Any) -> str:
    if isinstance(x, list):
        return "\n".join(map(str, x))
    return str(x)


# ---- running ----------------------------------------------------------------------------------
def _tolerance(value: Any) -> float:
    try:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError
        tol = float(value)
    except (TypeError, OverflowError):
        tol = math.nan
    if not 0 <= tol < math.inf:
        raise ValueError(f"float_tol must be None or a finite number >= 0, not {value!r}")
    return tol


def run_tests(
    code_or_completion: str,
    tests: Any,
    *,
    language: str = "python",
    limits: Limits | None = None,
    sandbox: Sandbox | None = None,
    stop_on_first_failure: bool = False,
    credit: str = "partial",
    exact: bool = False,
    float_tol: float | None = None,
    max_total_s: float = 60.0,
    always_test_process: bool = False,
) -> CodeVerdict:
    """Run the completion's program against `tests`; never raises for bad input (a bad option,
    `credit` or `float_tol`, raises ValueError before anything runs).

    `tests` (a dict/list, or its JSON text) is one of: stdin/stdout pairs
    `[{"input", "output"}]` or `{"test_cases": [...]}` (open-r1); `{"inputs", "outputs"}`
    (APPS/verl, stdin/stdout) or with `fn_name` (call-based: argument lists and returned
    values, or LiveCodeBench/prime_code JSON text: one argument per line, the value as JSON),
    also inside an `input_output` row; LiveCodeBench's functional `[{"input", "output",
    "testtype": "functional", "metadata": {"func_name"}}]` and `[{"input", "output", "fn_name"}]`;
    HumanEval `{"test", "entry_point"}` with optional `prompt`/`prompt_setup`, trusted code the
    test process runs first (helpers such as `poly` then come from the dataset, not the
    candidate); MBPP `{"test_list"}` with optional `test_imports`/`test_setup_code`.
    Assert-style tests made only of literal calls (most HumanEval checks and MBPP asserts) are
    judged here on the results of the candidate's one process (see `_code_lower`); the rest,
    and all of them with `always_test_process=True`, run in their own sandboxed test process.
    `credit="binary"` scores 1 only when every test passes. Stdin/stdout tests run one process
    each; once `max_total_s` has passed, the remaining ones are `not_run` (a slow program
    cannot hold a trainer for tests x wall limit; a C++ source's one compile is bounded by the
    sandbox's `compile_limits`). One `Sandbox` per call is created
    when none is given; pass a shared one for throughput.

    `language` is "python" or "cpp" (stdin/stdout tests only). `limits` default to the
    sandbox's; stdin/stdout and call tests raise the output cap to fit twice the expected
    output. `stop_on_first_failure=True` marks the tests after the first failure `not_run`,
    which saves the time a wrong program would spend on them (rejection sampling, binary
    credit): stdin/stdout tests are not started; call-based tests share one process that
    makes every call anyway, so there only the verdicts stop. `exact=True` (stdin/stdout only)
    compares stdout with the expected text as they are, for tasks where trailing whitespace,
    line endings or a number's spelling (2.50 vs 2.5) are part of the answer. `float_tol`
    (>= 0) accepts numeric stdout tokens and returned floats within that absolute/relative
    tolerance (an expected integer is still met only by its value); assert-style tests judge
    by their own asserts, which neither option changes.
    """
    if credit not in ("partial", "binary"):
        raise ValueError("credit must be 'partial' or 'binary'")
    if float_tol is not None:  # refused before the program runs, not by a comparison after it
        float_tol = _tolerance(float_tol)
    code = extract_code(code_or_completion, language)
    try:
        plan = _plan(tests)
    except (ValueError, TypeError, KeyError) as exc:
        return _verdict([], 0, code, credit, f"bad tests: {exc}")
    total = {
        "stdio": len(plan.inputs),
        "call": len(plan.inputs),
        "check": 1,
        "asserts": len(plan.asserts),
    }[plan.kind]
    if code is None:
        return _verdict(
            [TestOutcome(i, False, "not_run", "no code found") for i in range(total)],
            total,
            None,
            credit,
            "no code found",
        )
    if plan.kind != "stdio" and language != "python":
        return _verdict([], total, code, credit, f"{plan.kind} tests need python")
    own = sandbox is None
    sb = sandbox or Sandbox(workers=1, limits=limits or Limits())
    try:
        if plan.kind == "stdio":
            outcomes = _run_stdio(
                sb,
                code,
                plan,
                language,
                limits,
                stop_on_first_failure,
                exact,
                float_tol,
                time.monotonic() + max_total_s,
            )
        elif plan.kind == "call":
            outcomes = _run_call(sb, code, plan, limits, stop_on_first_failure, float_tol)
        else:
            outcomes = _run_asserts(
                sb, code, plan, limits, stop_on_first_failure, lower=not always_test_process
            )
    finally:
        if own:
            sb.close()
    return _verdict(outcomes, total, code, credit)


def _verdict(
    outcomes: list[TestOutcome], total: int, code: str | None, credit: str, error: str = ""
) -> CodeVerdict:
    passed = sum(o.passed for o in outcomes)
    frac = passed / total if total else 0.0
    score = frac if credit == "partial" else float(total > 0 and passed == total)
    return CodeVerdict(passed, total, frac, score, tuple(outcomes), code, error)


def _fail_status(status: str) -> str:
    return "wrong_answer" if status == "ok" else status


def _run_stdio(
    sb, code, plan, language, limits, stop, exact, float_tol, deadline
) -> list[TestOutcome]:
    outcomes = []
    for i, (inp, exp) in enumerate(zip(plan.inputs, plan.outputs, strict=True)):
        if time.monotonic() > deadline:
            return _pad(outcomes, len(plan.inputs), "not_run", "max_total_s exceeded")
        lim = _room_for(sb, limits, len(exp.encode("utf-8", "surrogatepass")))
        ex = sb.run(code, language=language, stdin=inp, limits=lim)
        ok = ex.status == "ok" and outputs_match(ex.stdout, exp, exact=exact, float_tol=float_tol)
        # a compile error's own message (g++'s diagnostics), not the generic detail
        why = ex.stderr[-300:] if ex.status == "compile_error" else ex.detail or ex.stderr[-300:]
        outcomes.append(TestOutcome(i, ok, "passed" if ok else _fail_status(ex.status), why))
        if ex.status == "compile_error":
            outcomes += [
                TestOutcome(j, False, "compile_error") for j in range(i + 1, len(plan.inputs))
            ]
            break
        if stop and not ok:
            break
    return _pad(outcomes, len(plan.inputs))


def _room_for(sb, limits: Limits | None, expected_bytes: int) -> Limits:
    """The limits with an output cap a right answer fits under: at least twice the expected
    output's size (Codeforces tests expect several MB, LiveCodeBench calls return long lists,
    past the 1 MB default)."""
    base = limits or getattr(sb, "limits", None) or Limits()  # a stand-in may have none
    room = 2 * expected_bytes + (64 << 10)
    return base if base.output_bytes >= room else replace(base, output_bytes=room)


def _pad(
    outcomes: list[TestOutcome], total: int, status: str = "not_run", detail: str = ""
) -> list[TestOutcome]:
    seen = {o.index for o in outcomes}
    return sorted(
        outcomes + [TestOutcome(i, False, status, detail) for i in range(total) if i not in seen],
        key=lambda o: o.index,
    )


def _records(channel: bytes) -> list[dict]:
    out = []
    for line in channel.decode("utf-8", "replace").splitlines():
        try:
            rec = json.loads(line)
        except (ValueError, RecursionError):  # the program writes this channel: `[` * 200000
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out


def _run_call(sb, code, plan, limits, stop, float_tol) -> list[TestOutcome]:
    try:
        spec = json.dumps(
            {
                "source": code,
                "fn_name": plan.fn_name,
                "inputs": [_enc(list(a)) for a in plan.inputs],
            }
        )
    except (TypeError, ValueError) as exc:
        return _pad([], len(plan.inputs), "sandbox_error", f"inputs not plain data: {exc}")
    # every result comes back on the channel, encoded much as the expected values are here
    try:
        expected_bytes = len(json.dumps(_enc(list(plan.outputs))))
    except (TypeError, ValueError, RecursionError):  # not plain data: the default cap
        expected_bytes = 0
    lim = _room_for(sb, limits, expected_bytes)
    raw = sb.run_raw("", stdin=spec + "\n", limits=lim, channel=True, epilogue=CALL_HARNESS)
    ex = raw.execution
    results: dict[int, dict] = {}
    for rec in _records(raw.channel):
        if "load_error" in rec:
            load_error = str(rec["load_error"])
            return _pad([], len(plan.inputs), _load_status(load_error), load_error)
        if isinstance(rec.get("i"), int) and rec["i"] not in results:
            results[rec["i"]] = rec
    outcomes = []
    for i, exp in enumerate(plan.outputs):
        rec = results.get(i)
        if rec is None:
            outcomes.append(
                TestOutcome(
                    i,
                    False,
                    _fail_status(ex.status) if ex.status != "ok" else "runtime_error",
                    ex.detail or "no result",
                )
            )
        elif "ok" in rec:
            try:  # never a set or dict of many keys with one hash: quadratic to build here
                got = decode_value(rec["ok"])
            except (ValueError, TypeError, KeyError, RecursionError, Unsupported) as exc:
                outcomes.append(TestOutcome(i, False, "runtime_error", f"bad result: {exc}"))
                continue
            ok = _same(got, exp, float_tol, plan.unwrap)
            outcomes.append(TestOutcome(i, ok, "passed" if ok else "wrong_answer"))
        else:
            outcomes.append(TestOutcome(i, False, "runtime_error", str(rec.get("err"))[:300]))
        if stop and not outcomes[-1].passed:
            break
    return _pad(outcomes, len(plan.inputs))


def _same(got: Any, exp: Any, float_tol: float | None, unwrap: bool = True) -> bool:
    g, e = _listify(got), _listify(exp)
    if _equal(g, e, float_tol):
        return True
    # APPS wraps a single returned value in a list (its testing_util accepts either);
    # LiveCodeBench's lcb_runner compares the value as it is
    return unwrap and isinstance(e, list) and len(e) == 1 and _equal(g, e[0], float_tol)


def _listify(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return [_listify(v) for v in x]
    if isinstance(x, dict):
        return {k: _listify(v) for k, v in x.items()}
    return x


def _equal(a: Any, b: Any, tol: float | None) -> bool:
    """Returned value `a` against expected value `b`."""
    if tol is not None and type(b) is float and type(a) in (int, float):
        # a tolerance is for an expected float: an expected int is met only by its value
        # (float(2**40 + 1) is not 2**40)
        try:
            return math.isclose(a, b, rel_tol=tol, abs_tol=tol)
        except OverflowError:  # an int too large for a float
            return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y, tol) for x, y in zip(a, b, strict=True))
    try:
        if type(a) is type(b):
            return a == b
        return type(a) in (int, float) and type(b) in (int, float) and a == b
    except RecursionError:
        return False


def _run_asserts(sb, code, plan, limits, stop, lower: bool = True) -> list[TestOutcome]:
    if not lower:
        lowered = None
    elif plan.kind == "check":
        lowered = lower_check(plan.test, plan.entry_point, plan.setup)
    else:
        lowered = lower_asserts(plan.asserts, plan.setup)
    if lowered is not None:
        outcomes = _run_lowered(sb, code, lowered, limits, stop)
        if outcomes is not None:
            return outcomes
    secret = secrets.token_hex(16)
    total = 1 if plan.kind == "check" else len(plan.asserts)
    names = (
        list(_names(plan.test)) if plan.kind == "check" else [list(_names(t)) for t in plan.asserts]
    )
    sources = [(plan.setup, "setup.py")]
    sources += (
        [(plan.test, "test.py")] if plan.kind == "check" else [(t, "test.py") for t in plan.asserts]
    )
    parts = [_code_blob(text, name) for text, name in sources]
    head = json.dumps(
        {
            "secret": secret,
            "mode": plan.kind,
            "entry": plan.entry_point,
            "stop": bool(stop),
            "names": names,
            "parts": [
                [kind, len(blob), name]
                for (kind, blob), (_, name) in zip(parts, sources, strict=True)
            ],
        }
    )
    spec = b"".join([head.encode(), b"\n", *(blob for _, blob in parts)])
    raw = sb.run_raw(
        "",
        stdin=spec,
        limits=limits,
        channel=True,
        peer=code,
        peer_bind="_SOURCE",
        prelude=ASSERT_PRELUDE,
        epilogue=TEST_RUNNER,
        peer_epilogue=CANDIDATE_SERVER,
    )
    ex = raw.execution
    recs = _records(raw.channel)
    finished = ex.status == "ok" and bool(recs) and recs[-1].get("done") == secret
    outcomes = []
    if not finished:  # the run did not complete: nothing counts as passed
        status = _fail_status(ex.status) if ex.status != "ok" else "runtime_error"
        return _pad([], total, status, ex.detail or ex.stderr[-300:] or "tests did not finish")
    if "load_error" in recs[0]:  # the candidate did not load: no test ran
        load_error = str(recs[0]["load_error"])
        return _pad([], total, _load_status(load_error), load_error)
    seen = set()
    for rec in recs[:-1]:
        i = rec.get("i")
        if not isinstance(i, int) or not 0 <= i < total or i in seen:
            continue
        seen.add(i)
        ok = rec.get("pass") is True
        outcomes.append(
            TestOutcome(i, ok, "passed" if ok else "wrong_answer", str(rec.get("err", ""))[:300])
        )
    return _pad(outcomes, total)


def _load_status(load_error: str) -> str:
    """A candidate that failed to load: compile_error when Python could not compile it."""
    compiling = load_error.startswith(("SyntaxError", "IndentationError", "TabError"))
    return "compile_error" if compiling else "runtime_error"


def _run_lowered(sb, code, lowered: Lowered, limits, stop) -> list[TestOutcome] | None:
    """Asserts of literal calls, judged here on the results of one sandboxed process (see
    `_code_lower`); None when the results overflow the channel or one needs an operation only a
    test process may run (the caller then runs a test process)."""
    total = lowered.total
    raw = sb.run_raw(
        "",
        stdin=lowered.spec(code),
        limits=limits,
        channel=True,
        prelude=ASSERT_PRELUDE,
        epilogue=LOWERED_CALLS,
    )
    ex = raw.execution
    if ex.status == "output_limit":  # results past the channel's cap: a test process takes
        return None  # them over its socket and keeps them in the sandbox
    killed = ex.status in ("timeout", "memory_limit")  # by its limits, and with stop (below)
    if ex.status not in ("ok", "runtime_error") and not (killed and stop):
        # nothing counts, as for a test process (which runs every test without stop)
        return _pad([], total, _fail_status(ex.status), ex.detail or "tests did not finish")
    try:
        results, load_error = decode_results(_records(raw.channel), lowered.n_calls)
        if load_error and not killed:
            return _pad([], total, _load_status(load_error), load_error)
        judged = lowered.judge(results, stop, killed=killed)
    except Unsupported:
        return None
    # killed, with stop: a test process that stops at a failure before the call this run was
    # killed in never makes that call, and finishes; otherwise it is killed too
    if judged is None or (killed and judged[-1][1]):
        return _pad([], total, _fail_status(ex.status), ex.detail or "tests did not finish")
    outcomes = [
        TestOutcome(i, ok, "passed" if ok else "wrong_answer", detail) for i, ok, detail in judged
    ]
    return _pad(outcomes, total)


@functools.lru_cache(maxsize=4096)
def _names(test_code: str) -> tuple[str, ...]:
    """Every name the (trusted) test code reads: the test process proxies those its setup and
    builtins leave undefined to the candidate. Parsed here, once per distinct test (an RL batch
    repeats each problem's tests for every sample), not in every sandboxed test process."""
    try:
        tree = ast.parse(test_code)
    except Exception:  # the test process reports the same error when it compiles the code
        return ()
    return tuple(sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}))


@functools.lru_cache(maxsize=4096)
def _code_blob(text: str, filename: str) -> tuple[str, bytes]:
    """Trusted setup/test code for the test process, compiled here once per distinct text and
    sent marshalled ("m"), so no sandboxed test process compiles it; as source ("s") when it
    does not compile (the test process then raises the same error where it runs it) or is
    large. The test process reads it from a pipe only the fork server writes."""
    if not text:
        return "s", b""
    if len(text) <= 1 << 16:
        try:
            return "m", marshal.dumps(compile(text, filename, "exec", dont_inherit=True))
        except Exception:
            pass
    return "s", text.encode("utf-8", "surrogatepass")
