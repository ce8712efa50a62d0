"""The pure scoring jobs the batch core runs, by name, in any process.

A job takes one hashable payload and a time bound and returns a small picklable result, or raises
`ItemTimedOut` when its own time bound ran out first (`core.run_jobs`, the one loop that runs
jobs, records that as the item's timeout; an executor must run jobs through it). Jobs are
looked up by name in the worker, so nothing but names and plain data crosses a process boundary.
Each built-in job is made by a factory that imports its verifier once, when the job is first
resolved in a process: importing `r1reward.rewards` stays light, and no item pays an import.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from r1reward.verifiers._messages import content_text, reasoning_text

Job = Callable[[Any, float], Any]


class ItemTimedOut(Exception):
    """Raised by a job whose own time bound ran out before it decided: the core records the item
    as timed out (its status, counted in the batch's stats), the same as one the watchdog
    stopped, never as an ordinary answer that carries a timeout flag."""


def _math() -> Job:
    from r1reward.verifiers.math import verify
    from r1reward.verifiers.math.verdict import TIMEOUT

    def math_job(payload: tuple, timeout: float) -> Any:
        """payload: (reference, completion text[, extraction]); see `verify`."""
        gold, answer_text, *extraction = payload
        verdict = verify(
            gold,
            answer_text,
            timeout=timeout,
            extraction=extraction[0] if extraction else "flexible",
        )
        if verdict.reason == TIMEOUT:
            raise ItemTimedOut(f"the math check ran out of its {timeout:g}s")
        return verdict

    return math_job


def _language() -> Job:
    from r1reward.verifiers.language import language_share
    from r1reward.verifiers.think import DEFAULT_TAGS, extract_cot, split_at_think_end

    def language_job(payload: tuple, timeout: float) -> Any:
        """Share of the target language in what a completion wrote (`scope="completion"`) or in
        its chain of thought (`"cot"`; its text when it has none)."""
        completion, target, backend, scope = payload
        message = _as_message(completion)
        cot = extract_cot(message) if scope == "cot" else None
        parts = [cot] if cot is not None else _written(message, split_at_think_end, DEFAULT_TAGS)
        judged = [language_share(part, target, backend=backend) for part in parts]
        total = sum(j.total_units for j in judged)
        return sum(j.target_units for j in judged) / total if total else None

    return language_job


def _written(
    message: Any, split: Callable[[str], tuple[str, str] | None], tags: tuple[str, ...]
) -> list[str]:
    """Everything a completion wrote, in parts masked apart: the reasoning (its field, or the
    text before `</think>` where `split` finds it, as `check_format` reads it) and the rest, so
    code cannot run from one into the other; without the tags (their letters are markup, not
    English), a newline in place of each keeping the sentences apart."""
    if isinstance(message, str):
        reasoning, content = None, message
    else:
        reasoning = reasoning_text(message)
        content = content_text(message) or ""
    halves = split(content)
    parts = list(halves) if halves is not None else [content]
    if reasoning:
        parts.insert(0, reasoning)
    for tag in tags:
        parts = [p.replace(tag, "\n") if tag in p else p for p in parts]
    return parts


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
