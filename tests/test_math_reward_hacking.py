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

# Rounding: a decimal answer must be the value rounded (or truncated) to its own last digit; a
# decimal inside a rational formula is exact.
ROUND_HACKS = [
    ("100", r"\boxed{100.1}"),
    ("100", r"\boxed{99.99}"),
    ("1000", r"\boxed{999.9}"),
    ("1000", r"\boxed{1001.}"),
    ("2024", r"\boxed{2023.9}"),
    ("12345", r"\boxed{12345.1}"),
    ("1.5", r"\boxed{1.5001}"),
    ("3.1416", r"\boxed{3.1415}"),
    ("1.000", r"\boxed{1.001}"),
    (r"\pi", r"\boxed{3.1417}"),
    (r"\pi", r"\boxed{3.14159265358979323999}"),
    (r"\frac13", r"\boxed{0.3332}"),
    (r"\frac13", r"\boxed{0.3335}"),
    (r"\frac13", r"\boxed{0.33343333333}"),
    (r"\sqrt2", r"\boxed{1.4145}"),
    (r"\frac13", r"\boxed{33.35\%}"),
    (r"6.022 \times 10^{23}", r"\boxed{6.024 \times 10^{23}}"),
    (r"\frac13", r"\boxed{\frac{1}{3.001}}"),
    (r"\frac13", r"\boxed{1.000/3.001}"),
]
ROUND_LEGIT = [
    (r"\pi", r"\boxed{3.1416}"),
    (r"\pi", r"\boxed{3.1415}"),
    (r"\pi", r"\boxed{3.142}"),
    (r"\pi", r"\boxed{-(-3.1416)}"),
    (r"\pi", r"\boxed{3.14159265358979323846}"),
    (r"-\sqrt2", r"\boxed{-1.414}"),
    (r"\frac13", r"\boxed{0.3333}"),
    (r"\frac13", r"\boxed{0.3334}"),
    (r"\frac13", r"\boxed{0.33333333333333333333333}"),
    (r"\frac13", r"\boxed{33.33\%}"),
    (r"\frac13", r"\boxed{1000.0/3000}"),
    ("100", r"\boxed{100.0}"),
    ("0.3333", r"\boxed{0.33333}"),
    ("0.33333", r"\boxed{0.3333}"),
    ("3.1416", r"\boxed{\pi}"),
    ("0.7071", r"\boxed{\frac{\sqrt2}{2}}"),
    (r"6.02214076 \times 10^{23}", r"\boxed{6.022 \times 10^{23}}"),
    (r"\frac{1}{7}", r"\boxed{1.429 \times 10^{-1}}"),
    (r"\frac{\pi}{2}", r"\boxed{0.5\pi}"),
    ("x + 1", r"\boxed{x + 1.0}"),
    (r"x + \sqrt2 i", r"\boxed{x + 1.414i}"),
    ("(0.3333, 1]", r"\boxed{(\frac13, 1]}"),
]

# Ratios are proportional by a non-zero factor; values of named unknowns keep their names.
STRUCT_HACKS = [
    ("1:2", r"\boxed{0:0}"),
    ("1:2:3", r"\boxed{0:0:0}"),
    ("0:1", r"\boxed{0:0}"),
    ("1:2:3", r"\boxed{2:4:7}"),
    ("a=2, b=3", r"\boxed{a = 3, b = 2}"),
    ("a=2, b=3", r"\boxed{b = 2, a = 3}"),
    ("a=2, b=3", r"\boxed{3, 2}"),
]
STRUCT_LEGIT = [
    ("1:2", r"\boxed{2:4}"),
    ("1:2:3", r"\boxed{2:4:6}"),
    ("0:1", r"\boxed{0:5}"),
    ("1:0", r"\boxed{3:0}"),
    ("1:2", r"\boxed{-1:-2}"),
    ("1:2", r"\boxed{0.5}"),
    ("a=2, b=3", r"\boxed{b = 3, a = 2}"),
    ("a=2, b=3", r"\boxed{2, 3}"),
    ("a=2, b=3", r"\boxed{(2, 3)}"),
    ("a=2, b=3", r"\boxed{x = 2, y = 3}"),
    (r"x = 2, x = -3", r"\boxed{x = -3, x = 2}"),
    (r"x = 2, x = -3", r"\boxed{-3, 2}"),
]

# Answers that name alternatives are lists, whichever comes first; empty references match nothing.
EXTRACT_HACKS = [
    ("2", "The answer is $2$ or $3$."),
    ("2", "Answer: $2$ (or $3$)"),
    ("2", "Final answer: 2 or maybe 3"),
    ("3", "Final answer: 2 or maybe 3"),
    (r"\boxed{}", r"\boxed{}"),
    (r"\text{}", r"\boxed{\text{}}"),
    ("$$", r"\boxed{$$}"),
]
EXTRACT_LEGIT = [
    ("2", "The answer is $2$."),
    ("2, 3", "The answer is $2$ or $3$."),
    ("x = 2, y = 3", "The answer is $x = 2$ and $y = 3$."),
    ("5", "The answer is $5$, since $2 + 3 = 5$."),
    ("2", r"\boxed{\boxed{2}}"),
    ("2i", r"\boxed{\sqrt{-4}}"),
    ("-2i", r"\boxed{-\sqrt{-4}}"),
]

# Found by a red-team pass (2026-11-24); each was scored 1 before its fix.
UNIT_HACKS += [
    ("5", rf"\boxed{{5 \text{{ {word}}}}}")
    for word in ("hundreds", "thousands", "millions", "(rejected)", "extraneous", "(estimate)",
                 "(guessed)", "ish", "e più")
]  # fmt: skip
# ... while units, their powers and prefixes stay units (a review of the fix above)
UNIT_LEGIT += [
    ("5", r"\boxed{5 \text{ times}}"),
    ("5", r"\boxed{5 \text{ square units}}"),
    ("25", r"\boxed{25 \text{ cm squared}}"),
    ("64", r"\boxed{64 \text{ cm cubed}}"),
    ("25", r"\boxed{25平方米}"),
    ("5", r"\boxed{5\text{千克}}"),
    ("12", r"\boxed{12\text{千瓦时}}"),
    ("7", r"\boxed{7 \text{ minimum moves}}"),
    ("5", r"\boxed{5 \text{ dozen}}"),
]
# A rounded value is not an exact reference that has a finite decimal form (integers above all:
# a model must not answer a count with four significant digits); rounding still answers 1/3.
ROUND_HACKS += [
    ("123456789", r"\boxed{1.235 \times 10^{8}}"),
    ("12345", r"\boxed{1.234 \times 10^4}"),
    ("2^{30}", r"\boxed{1.074 \times 10^9}"),
    ("1073741824", r"\boxed{1.074e9}"),
    ("1024", r"\boxed{1024.2}"),
    (r"\frac{1}{1024}", r"\boxed{9.766 \times 10^{-4}}"),
]
ROUND_LEGIT += [
    (r"1.235 \times 10^8", r"\boxed{123456789}"),  # the reference is the rounded one
    (r"\frac18", r"\boxed{0.1250}"),
    (r"\frac18", r"\boxed{1.250 \times 10^{-1}}"),
    ("1073741824", r"\boxed{1.073741824 \times 10^9}"),
]
# When one side has an absolute value the other lacks, the two are also compared where the
# variables are negative, so a dropped absolute value fails. Answers for positive quantities
# (`\sqrt{a/b}` and `\sqrt{ab}/b`, `r\sqrt2` and `\sqrt{2r^2}`) still pass, and so do
# identities whose double-precision values cancel there (`(x+2)^{12}` and its expansion).
SIGN_HACKS = [
    ("|x|", r"\boxed{x}"),
    ("x", r"\boxed{|x|}"),
    ("x+1", r"\boxed{|x+1|}"),
    ("y-x", r"\boxed{|x-y|}"),
    (r"\frac{|x|}{x}", r"\boxed{1}"),
    (r"2x", r"\boxed{|x| + x}"),
]
SIGN_LEGIT = [
    (r"\sqrt{x^2}", r"\boxed{|x|}"),
    (r"\sqrt{\frac{a}{b}}", r"\boxed{\frac{\sqrt{ab}}{b}}"),
    (r"2\pi\sqrt{\frac{L}{g}}", r"\boxed{\frac{2\pi\sqrt{Lg}}{g}}"),
    (r"r\sqrt2", r"\boxed{\sqrt{2r^2}}"),
    (r"\ln|x|", r"\boxed{\ln x}"),
    (r"|x-1|", r"\boxed{|1-x|}"),
    (
        r"\left(x+2\right)^{12}",
        r"\boxed{x^{12}+24x^{11}+264x^{10}+1760x^9+7920x^8+25344x^7+59136x^6+101376x^5"
        r"+126720x^4+112640x^3+67584x^2+24576x+4096}",
    ),
    ("0.04688", r"\boxed{3 : 64}"),  # the reference is the rounded side
    (r"\ln(x^2)", r"\boxed{2\ln x}"),
    (r"\sqrt{xy}", r"\boxed{\sqrt{x}\sqrt{y}}"),
    (r"\sqrt{x}\sqrt{x}", r"\boxed{x}"),
    (r"x^{2/3}", r"\boxed{\sqrt[3]{x^2}}"),
    (r"e^{\ln x}", r"\boxed{x}"),
    (r"\frac{x^2-1}{x-1}", r"\boxed{x+1}"),
    (r"\max(a, b)", r"\boxed{\max(b, a)}"),
    (r"\min(x, 1)", r"\boxed{\min(1, x)}"),
]
# Named unknowns keep their names in a tuple too; a chain of values is its last side (never a
# hedge: `2 = 3` is 3, not 2).
CHAIN_HACKS = [
    ("2", r"\boxed{2=3}"),
    ("2", r"\boxed{x=2=3}"),
    ("(x, y) = (3, 2)", r"\boxed{(y, x) = (3, 2)}"),
]
# A comma between digits is a decimal comma (`0,111`, `1000,99`), but against a reference that
# lists values it separates them.
STRUCT_LEGIT += [
    ("0, 1", r"\boxed{0,1}"),
    ("2024, 2025", r"\boxed{2024,2025}"),
    ("x=0, 1", r"\boxed{x=0,1}"),
    (r"\{0, 1\}", r"\boxed{0,1}"),
    ("0.1", r"\boxed{0,1}"),
    ("1000,99", r"\boxed{1000.99}"),
]
STRUCT_HACKS += [("0, 1", r"\boxed{0.1}"), ("0, 1", r"\boxed{0,1,2}"), ("0.1", r"\boxed{0, 1}")]
# Relations on one variable joined by "or" (or a comma) whose intervals are disjoint are their
# union; overlapping ones are not (read with "and" they would be an intersection).
STRUCT_LEGIT += [
    (r"(-\infty,2)\cup(3,\infty)", r"\boxed{x<2 \text{ or } x>3}"),
    (r"(-\infty,2)\cup(3,\infty)", r"\boxed{x>3, x<2}"),
    (r"(-\infty,0)\cup(0,\infty)", r"\boxed{x<0 \text{ or } x>0}"),
]
STRUCT_HACKS += [
    (r"(-\infty,2)\cup(3,\infty)", r"\boxed{x<3 \text{ or } x>2}"),  # overlapping: all reals
    (r"(-\infty,2]\cup(3,\infty)", r"\boxed{x<2 \text{ or } x>3}"),
    (r"(-\infty,2)\cup(3,\infty)", r"\boxed{x<2 \text{ or } y>3}"),
]
CHAIN_LEGIT = [
    ("105", r"\boxed{35+70=105}"),
    ("2", r"\boxed{x=1+1=2}"),
    (r"\sqrt2", r"\boxed{\sqrt{8}/2=\sqrt2}"),
    ("(x, y) = (3, 2)", r"\boxed{(y, x) = (2, 3)}"),
    ("(x, y) = (3, 2)", r"\boxed{(a, b) = (3, 2)}"),
]
# The words "I" and "A" of the prose are not options I and A (MMLU-Pro has A-J).
CHOICE_HACKS += [
    ("I", "Therefore the correct option is (B). I hope this helps."),
    ("A", "So the right choice is B. A careful reader will agree."),
    ("I", "I think the answer must be option (F)."),
    ("B", "The answer is A and not B"),
    ("C", "The answer is A since C is impossible."),
]
CHOICE_LEGIT += [
    ("B", "Therefore the correct option is (B). I hope this helps."),
    ("F", "I think the answer must be option (F)."),
    ("A", "A is correct."),
    ("I", "I is correct."),
    ("I", "Answer: I"),
    ("A", "We pick A."),
    ("A", "The answer is A because the derivative is positive."),
    ("A", "Answer: A because it is bigger."),
    ("I", "The correct answer is I since the area is 12."),
    ("A", "La respuesta es A porque la derivada es positiva."),
    ("A", "So I pick A because it is bigger"),
]

HACKS = (
    UNIT_HACKS + CHOICE_HACKS + PCT_HACKS + ROUND_HACKS + STRUCT_HACKS + EXTRACT_HACKS
    + SIGN_HACKS + CHAIN_HACKS
)  # fmt: skip
LEGITIMATE = (
    UNIT_LEGIT + CHOICE_LEGIT + PCT_LEGIT + ROUND_LEGIT + STRUCT_LEGIT + EXTRACT_LEGIT
    + SIGN_LEGIT + CHAIN_LEGIT
)  # fmt: skip


@pytest.mark.parametrize(("gold", "completion"), HACKS)
def test_hack_scores_zero(gold, completion):
    v = verify(gold, completion)
    assert not v, v


@pytest.mark.parametrize(("gold", "completion"), LEGITIMATE)
def test_legitimate_form_still_scores(gold, completion):
    v = verify(gold, completion)
    assert v, v
