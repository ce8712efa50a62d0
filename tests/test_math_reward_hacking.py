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

# Multiple choice: one letter, not a list of them.
CHOICE_HACKS = [
    ("B", r"\boxed{B, A}"),
    ("B", r"\boxed{B, C, D}"),
    ("B", r"\boxed{BCD}"),
    ("B", r"\boxed{B or C}"),
    ("B", r"\boxed{B \text{ or } C}"),
    ("B", r"\boxed{B/C}"),
    ("B", r"\boxed{\text{Both A and B}}"),
    ("B", r"\boxed{\text{not B}}"),
    ("B", r"\boxed{B} or \boxed{C}"),
    ("B", r"\boxed{B} and \boxed{C}"),
    ("B", "The answer is (B) or (C)."),
    ("B", "The answer is B, C."),
    ("C", "The answer is (B) or (C)."),
    ("A", "A, B, C, or D"),
    ("A", "(A) or (B)"),
    ("B", "I would pick A or B"),
]
CHOICE_LEGIT = [
    ("B", r"\boxed{B}"),
    ("B", r"\boxed{\textbf{(B)}}"),
    ("B", r"\boxed{\text{Option B}}"),
    ("B", r"\boxed{B: 12}"),
    ("B", r"\boxed{\text{(B) } 2\sqrt{3}}"),
    ("D", r"\boxed{(D) Alina}"),
    ("B", "The answer is (B)."),
    ("C", "Among the options A, B, C, D, the answer is C."),
    ("D", "D. it can't be A or B"),
    ("B", "It's not A, so I pick B"),
]

# Percent: when both sides say percent, their numbers must agree.
PCT_HACKS = [
    (r"50\%", r"\boxed{0.5\%}"),
    (r"28\%", r"\boxed{0.28\%}"),
    (r"50\%", r"\boxed{5000\%}"),
    (r"30^\circ", r"\boxed{\frac{\pi}{6}^\circ}"),
]
PCT_LEGIT = [
    (r"50\%", r"\boxed{50\%}"),
    (r"50\%", r"\boxed{50.0\%}"),
    (r"50\%", r"\boxed{0.5}"),
    (r"50\%", r"\boxed{50}"),
    ("28", r"\boxed{28\%}"),
    ("0.28", r"\boxed{28\%}"),
    (r"30^\circ", r"\boxed{30^\circ}"),
    (r"30^\circ", r"\boxed{\frac{\pi}{6}}"),
]

HACKS = UNIT_HACKS + CHOICE_HACKS + PCT_HACKS
LEGITIMATE = UNIT_LEGIT + CHOICE_LEGIT + PCT_LEGIT


@pytest.mark.parametrize(("gold", "completion"), HACKS)
def test_hack_scores_zero(gold, completion):
    v = verify(gold, completion)
    assert not v, v


@pytest.mark.parametrize(("gold", "completion"), LEGITIMATE)
def test_legitimate_form_still_scores(gold, completion):
    v = verify(gold, completion)
    assert v, v
