"""Code items: run a completion's program against its tests in the shared sandbox."""

from __future__ import annotations

import json

from .core import ERROR, OK, ItemResult


def code_payload(completion: str, tests, language: str = "python") -> tuple[str, str, str]:
    """A hashable payload; tests travel as canonical JSON so identical items dedupe. Arrays
    (a parquet row read by pandas holds numpy arrays) travel as lists, not as their repr."""
    try:
        text = json.dumps(tests, sort_keys=True, default=_plain)
    except TypeError:  # keys of mixed types cannot be sorted
        text = json.dumps(tests, default=_plain)
    return (completion, text, language)


def _plain(value):
    if hasattr(value, "tolist"):  # numpy arrays and scalars, torch tensors
        return value.tolist()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def run_code_job(payload: tuple[str, str, str], sandbox, timeout: float) -> ItemResult:
    completion, tests_json, language = payload
    try:
        from r1reward.verifiers.code import run_tests

        verdict = run_tests(completion, json.loads(tests_json), language=language, sandbox=sandbox)
    except Exception as e:  # the sandbox reports program failures itself; this is our own bug
        return ItemResult(ERROR, detail=f"{type(e).__name__}: {e}")
    outcomes = getattr(verdict, "outcomes", ())
    if outcomes and all(o.status == "sandbox_error" for o in outcomes):  # our failure, not theirs
        return ItemResult(ERROR, detail="sandbox error: " + (outcomes[0].detail or "")[:200])
    return ItemResult(OK, verdict)
