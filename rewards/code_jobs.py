"""Code items: run a completion's program against its tests in the shared sandbox."""

from __future__ import annotations

import json

from .core import ERROR, OK, ItemResult


def code_payload(
    completion: str,
    tests,
    language: str = "python",
    stop_on_first_failure: bool = False,
    limits=None,
    max_total_s: float = 60.0,
) -> tuple:
    """A hashable payload; tests travel as canonical JSON so identical items dedupe. Arrays
    (a parquet row read by pandas holds numpy arrays) travel as lists, not as their repr.
    `stop_on_first_failure` for pass/fail credit: once a test fails the score is settled, and a
    program that hangs must not hold the batch for the wall limit of every remaining test.
    `limits` (a sandbox `Limits`, None for its defaults) bound each test's run, `max_total_s`
    the item: the tests not started by then are not run (`run_tests`)."""
    try:
        text = json.dumps(tests, sort_keys=True, default=_plain)
    except TypeError:  # keys of mixed types cannot be sorted
        text = json.dumps(tests, default=_plain)
    return (completion, text, language, stop_on_first_failure, limits, max_total_s)


def _plain(value):
    if hasattr(value, "tolist"):  # numpy arrays and scalars, torch tensors
        return value.tolist()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def run_code_job(payload: tuple, sandbox, timeout: float) -> ItemResult:
    completion, tests_json, language, stop, limits, max_total_s = payload
    try:
        from r1reward.verifiers.code import run_tests

        verdict = run_tests(
            completion,
            json.loads(tests_json),
            language=language,
            limits=limits,
            sandbox=sandbox,
            stop_on_first_failure=stop,
            max_total_s=max_total_s,
        )
    except Exception as e:  # the sandbox reports program failures itself; this is our own bug
        return ItemResult(ERROR, detail=f"{type(e).__name__}: {e}")
    outcomes = getattr(verdict, "outcomes", ())
    if outcomes and all(o.status == "sandbox_error" for o in outcomes):  # our failure, not theirs
        return ItemResult(ERROR, detail="sandbox error: " + (outcomes[0].detail or "")[:200])
    return ItemResult(OK, verdict)
