"""Adversarial completions a policy under RL could learn to write: hedges, degenerate answers and
wrong values that pass through a policy's leniency. Each must score 0; the legitimate forms next
to them must still score 1, so a fix that closes a hole by rejecting everything fails here too."""

from __future__ import annotations

import pytest
from r1reward.verifiers.math import verify

# Text after a number is a unit only when it reads as one, not as a hedge, a bound or a negation.
UNIT_HACKS = [
    ("2", r"\boxed{2 \text{ or more}}"),
    ("2", r"\boxed{2 \text{(or 3)}}"),
    ("2", r"\boxed{2 \text{ or three}}"),
    ("2", r"\boxed{2 \text{?}}"),
    ("2", r"\boxed{2 \text{ is wrong}}"),
    ("2", r"\boxed{2 \text{ maybe}}"),
    ("5", r"\boxed{5 \text{ million}}"),
    ("10", r"\boxed{10 \text{ at least}}"),
    ("10", r"\boxed{10 \text{ (wrong)}}"),
    ("10", r"\boxed{10 \text{ cm or more}}"),
    ("10", r"\boxed{10 \text{ 或更多}}"),
]
UNIT_LEGIT = [
    ("10", r"\boxed{10 \text{ cm}}"),
    ("10", r"\boxed{10 \text{ square meters}}"),
    ("10", r"\boxed{10 \text{ cm}^2}"),
    ("18", r"\boxed{18 \text{ students}}"),
    ("10", r"\boxed{10 \text{ m/s}}"),
    ("10", r"\boxed{10 \text{ 个}}"),
    ("10", r"\boxed{10 min}"),
    ("10", r"\boxed{10 sec}"),
]

HACKS = UNIT_HACKS
LEGITIMATE = UNIT_LEGIT


@pytest.mark.parametrize(("gold", "completion"), HACKS)
def test_hack_scores_zero(gold, completion):
    v = verify(gold, completion)
    assert not v, v


@pytest.mark.parametrize(("gold", "completion"), LEGITIMATE)
def test_legitimate_form_still_scores(gold, completion):
    v = verify(gold, completion)
    assert v, v
