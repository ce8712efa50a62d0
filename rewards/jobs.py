"""The pure scoring jobs the batch core runs, by name, in any process.

A job takes one hashable payload and a time bound and returns a small picklable result. Jobs are
looked up by name in the worker, so nothing but names and plain data crosses a process boundary.
Each built-in job is made by a factory that imports its verifier once, when the job is first
resolved in a process: importing `r1reward.rewards` stays light, and no item pays an import.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

Job = Callable[[Any, float], Any]


def _math() -> Job:
    from r1reward.verifiers.math import verify

    def math_job(payload: tuple, timeout: float) -> Any:
        gold, answer_text = payload
        return verify(gold, answer_text, timeout=timeout)

    return math_job


def _language() -> Job:
    from r1reward.verifiers.language import target_language_share
    from r1reward.verifiers.think import extract_cot

    def language_job(payload: tuple, timeout: float) -> Any:
        """Share of the target language in a completion's chain of thought (its text if none)."""
        completion, target, backend = payload
        message = _as_message(completion)
        cot = extract_cot(message)
        if cot is None:
            cot = message if isinstance(message, str) else message.get("content") or ""
        return target_language_share(cot, target, backend=backend)

    return language_job


def _format() -> Job:
    from r1reward.verifiers.think import check_format

    def format_job(payload: tuple, timeout: float) -> Any:
        completion, options = payload
        return check_format(_as_message(completion), **_options(options))

    return format_job


def _as_message(completion: Any) -> Any:
    """A message frozen into sorted pairs (to be hashable) back into a dict; text stays text."""
    return dict(completion) if isinstance(completion, tuple) else completion


@lru_cache(maxsize=64)
def _options(pairs: tuple) -> dict[str, Any]:
    """Keyword options from their hashable form; a batch has one or two distinct ones."""
    return dict(pairs)


BUILTIN_JOBS: dict[str, Callable[[], Job]] = {
    "math": _math,
    "language": _language,
    "format": _format,
}
_RESOLVED: dict[str, Job] = {}  # the jobs this process has resolved, by name
# Jobs that run programs go to the sandbox's own warm workers, never to the scoring pool.
SANDBOX_JOBS = frozenset({"code"})
# Jobs cheaper than a round trip to a worker process run inline, in the caller.
INLINE_JOBS = frozenset({"format"})


def resolve(kind: str) -> Job:
    """A built-in job by name, or any importable `module:function` with the job signature."""
    job = _RESOLVED.get(kind)
    if job is None:
        if kind in BUILTIN_JOBS:
            job = BUILTIN_JOBS[kind]()
        elif ":" in kind:
            import importlib

            module, _, name = kind.partition(":")
            job = getattr(importlib.import_module(module), name)
        else:
            raise KeyError(f"unknown job kind {kind!r}")
        _RESOLVED[kind] = job
    return job
