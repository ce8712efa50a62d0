"""The pure scoring jobs the batch core runs, by name, in any process.

A job takes one hashable payload and a time bound and returns a small picklable result. Jobs are
looked up by name in the worker, so nothing but names and plain data crosses a process boundary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _math(payload: tuple, timeout: float) -> Any:
    from r1reward.verifiers.math import verify

    gold, answer_text = payload
    return verify(gold, answer_text, timeout=timeout)


def _language(payload: tuple, timeout: float) -> Any:
    """Share of the target language in a completion's chain of thought (its text if none)."""
    from r1reward.verifiers.language import target_language_share
    from r1reward.verifiers.think import extract_cot

    completion, target, backend = payload
    message = _as_message(completion)
    cot = extract_cot(message)
    if cot is None:
        cot = message if isinstance(message, str) else message.get("content") or ""
    return target_language_share(cot, target, backend=backend)


def _as_message(completion: Any) -> Any:
    """A message frozen into sorted pairs (to be hashable) back into a dict; text stays text."""
    return dict(completion) if isinstance(completion, tuple) else completion


def _format(payload: tuple, timeout: float) -> Any:
    from r1reward.verifiers.think import check_format

    completion, options = payload
    return check_format(_as_message(completion), **dict(options))


JOBS: dict[str, Callable[[tuple, float], Any]] = {
    "math": _math,
    "language": _language,
    "format": _format,
}
# Jobs that run programs go to the sandbox's own warm workers, never to the scoring pool.
SANDBOX_JOBS = frozenset({"code"})
# Jobs cheaper than a round trip to a worker process run inline, in the caller.
INLINE_JOBS = frozenset({"format"})


def resolve(kind: str) -> Callable[[tuple, float], Any]:
    """A built-in job by name, or any importable `module:function` with the job signature."""
    job = JOBS.get(kind)
    if job is None:
        if ":" not in kind:
            raise KeyError(f"unknown job kind {kind!r}")
        import importlib

        module, _, name = kind.partition(":")
        job = JOBS[kind] = getattr(importlib.import_module(module), name)
    return job


def run_job(kind: str, payload: tuple, timeout: float) -> Any:
    return resolve(kind)(payload, timeout)
