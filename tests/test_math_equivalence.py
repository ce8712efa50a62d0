"""Equivalence policies: numbers, symbols, structures, units and text."""

from __future__ import annotations

import pytest
from r1reward.verifiers.math import verify

EQUAL = [
    # numbers
    ("3", "3.0"), ("0.5", r"\frac12"), (r"\frac{1}{2}", r"\dfrac{1}{2}"), (r"\tfrac{3}{4}", "0.75"),
    (r"1\frac12", "1.5"), (r"2\frac58", "2.625"), ("1.5e3", "1500"), (r"1.5 \times 10^{3}", "1500"),
    ("10{,}000", "10000"), ("1,000", "1000"), ("1 000", "1000"), (r"11,\!111", "11111"),
    (r"28\%", "28"), (r"28\%", "0.28"), (r"\$10", "10"), ("10", r"10 \text{ dollars}"),
    (r"-\frac{40}{153}", r"\frac{-40}{153}"), ("-3", "- 3"),
    # rounding: a decimal with at least 4 significant digits, within one unit of its last digit
    (r"\sqrt2", "1.414"), (r"\frac13", "0.3333"), (r"40\pi", "125.663"),
    # symbolic
    (r"\sqrt8", r"2\sqrt2"), ("(x+1)^2", "x^2+2x+1"), (r"\sin^2 x + \cos^2 x", "1"),
    (r"\sec x", r"\frac{1}{\cos x}"), ("e", r"\mathrm{e}"), (r"e^{i\pi}", "-1"), (r"\pi", r"\pi"),
    (r"\left( \frac{1}{2} \right)", "0.5"), (r"\frac{\sqrt3}{2}", r"\frac{1}{2}\sqrt{3}"),
    (r"\log_2 8", "3"), (r"\ln(e^2)", "2"), (r"\binom{5}{2}", "10"), ("5!", "120"),
    (r"\sin(90^\circ - x)", r"\cos x"), (r"30^\circ", "30"), (r"30^\circ", r"\frac{\pi}{6}"),
    # structures
    (r"\{1, 2, 3\}", r"\{3, 1, 2\}"), (r"\{1, 2\}", r"\{1, 1, 2\}"),
    ("1, 2, 3", "3, 2, 1"), ("(1, 2)", "(1,2)"),
    (r"x = 2, x = -3", r"\{-3, 2\}"), (r"\pm 3", "3, -3"), (r"1 \pm \sqrt2", r"1+\sqrt2, 1-\sqrt2"),
    ("[1, 2)", r"\left[1, 2\right)"), (r"(-\infty, 1] \cup (3, \infty)", r"(3, \infty) \cup (-\infty, 1]"),
    ("x > 2", r"(2, \infty)"), (r"x \ge 2", r"[2, \infty)"), ("-1 < x < 3", "(-1, 3)"),
    (r"\mathbb{R}", r"(-\infty, \infty)"), ("x = 2", "2"), ("y = 2x + 1", "y = 1 + 2x"),
    (r"(-\infty, \infty)", r"\text{all real numbers}"), (r"\mathbb R", r"\text{All reals}"),
    (r"(-\infty,\infty)", r"\text{the set of all real numbers}"), (r"\mathbb{R}", r"\mathbb R"),
    ("2x + 4y = 6", "x + 2y = 3"),
    (r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}", r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}"),
    (r"\begin{pmatrix} 1 \\ 2 \\ 3 \end{pmatrix}", "(1, 2, 3)"),
    # units, text, case
    (r"10 \text{ cm}", "10"), ("5", r"5 \text{ min}"), ("5", r"5\text{min}"),
    ("2.74", "2,74"), ("-2.5", "-2,5"), ("3.14159", "3,14159"),
    (r"2\sec x", r"2\text{sec} x"), (r"3\sec^2 x", r"3\text{sec}^2 x"), ("5", r"5 \text{ sec}"), (r"5^\circ", "5"), (r"\text{Monday}", "monday"), ("4210_7", "4210_{7}"),
]  # fmt: skip

DIFFERENT = [
    (r"\frac{1}{2004!}", r"\frac{1}{2006!}"), ("2^{-99}", "2^{-98}"), (r"\frac13", "0.333"),
    (r"\frac13", "0.33"), (r"7\pi", "7"), ("4a-2", "4"), ("32, 349", "32349"), ("(1, 2)", "(2, 1)"),
    ("[1, 2]", "(1, 2)"), (r"\{1, 2, 3\}", r"\{1, 2\}"), (r"\{1, 2\}", r"\{1, 2, 3\}"),
(r"x = 2, x = -3", "2"), ("(x+1)^2", "x^2+1"),
    (r"\sqrt2", "1.41"), (r"\pi", "3.14"), (r"\sin x", r"\cos x"), ("x > 2", r"[2, \infty)"),
    ("2x + 4y = 6", "x + 2y = 4"), (r"\text{Monday}", r"\text{Tuesday}"), ("10", "-10"),
    (r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}", r"\begin{pmatrix} 1 & 3 \\ 2 & 4 \end{pmatrix}"),
    ("12", "1 2"), (r"10^{-20}", "0"), (r"\pi \cdot 10^{-20}", "0"),
    ("2.74", "2,75"), ("2.74", "2, 74"), ("12", "1,2"), ("6", r"5 \text{ min}"), ("3", r"5 \text{min}(3, 4)"), (r"(0, \infty)", r"\text{all real numbers}"), (r"(-\infty,2)\cup(2,\infty)", r"\text{all reals}"),
    (r"(-\infty, \infty)", r"\text{all real numbers except } 2"), (r"\mathbb{R}", r"\mathbb{R}^2"),
]  # fmt: skip


@pytest.mark.parametrize(("gold", "pred"), EQUAL)
def test_equal(gold, pred):
    v = verify(gold, rf"\boxed{{{pred}}}")
    assert v, v


@pytest.mark.parametrize(("gold", "pred"), DIFFERENT)
def test_different(gold, pred):
    v = verify(gold, rf"\boxed{{{pred}}}")
    assert not v, v
    assert v.reason in ("differs", "unparseable")


def test_verdict_says_how_and_why():
    v = verify(r"\frac12", r"The answer is \boxed{0.5}.")
    assert v.equivalent and v.method == "number" and v.gold == r"\frac12" and v.pred == "0.5"
    v = verify(r"\{1,2,3\}", r"\boxed{\{1,2\}}")
    assert not v and v.method == "set" and "2 elements" in v.detail


def test_number_inside_unparseable_formula_is_not_taken():
    v = verify("3", r"\boxed{\frac{3}{\sqrt{x}+}}")
    assert not v and v.reason == "unparseable"
    v = verify("2", r"\boxed{2 \unknowncommand{x}}")
    assert not v and v.reason == "unparseable"


def test_find_all_counts_only_when_complete():
    assert verify(r"\{-1, 2, 5\}", r"\boxed{5, -1, 2}")
    for partial in ("2", "-1, 2", "-1, 2, 5, 7"):
        assert not verify(r"\{-1, 2, 5\}", rf"\boxed{{{partial}}}")
