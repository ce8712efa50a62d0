"""The result of one math verification: what was compared, how, and why it was (not) equivalent."""

from __future__ import annotations

from dataclasses import dataclass

from .._frozen import fast_constructor

# Reasons a verdict can carry. "equivalent" is the only one that scores.
EQUIVALENT = "equivalent"
DIFFERS = "differs"
NO_ANSWER = "no_answer"  # nothing answer-like found in the completion
NO_REFERENCE = "no_reference"  # the reference is empty or has no answer in it
UNPARSEABLE = "unparseable"  # an answer was found but could not be read as math or text
TIMEOUT = "timeout"  # the time bound ran out before a decision
TOO_LARGE = "too_large"  # input over the size limits, refused before any parsing


@dataclass(frozen=True, slots=True)
class MathVerdict:
    """`bool(verdict)` is True iff the completion's final answer is equivalent to the reference."""

    equivalent: bool
    reason: str
    gold: str | None = None  # the reference answer as extracted
    pred: str | None = None  # the predicted answer as extracted from the completion
    method: str | None = None  # which tier decided: string, text, choice, number, symbolic, ...
    detail: str = ""  # a human-readable note (e.g. which element of a set was missing)

    def __bool__(self) -> bool:
        return self.equivalent

    def __reduce__(self):  # cheap to send back from a worker process (no dataclass __setstate__)
        return (
            _make_verdict,
            (self.equivalent, self.reason, self.gold, self.pred, self.method, self.detail),
        )


_make_verdict = fast_constructor(MathVerdict, "_make_verdict", __name__)
