"""Hypothesis properties of the math verifier."""

from __future__ import annotations

import time
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from r1reward.verifiers.math import verify

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

integers = st.integers(min_value=-(10**12), max_value=10**12)
fractions = st.fractions(min_value=-1000, max_value=1000, max_denominator=1000)


def latex_fraction(f: Fraction) -> str:
    sign = "-" if f < 0 else ""
    return (
        rf"{sign}\frac{{{abs(f.numerator)}}}{{{f.denominator}}}"
        if f.denominator != 1
        else str(f.numerator)
    )


@st.composite
def expressions(draw, depth=3):
    """Random well-formed LaTeX expressions over x, y with integer constants."""
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(["x", "y", r"\pi", "2", "3", r"\sqrt{2}", "7"]))
    op = draw(st.sampled_from(["+", "-", "*", "frac", "pow", "sqrt", "sin"]))
    a, b = draw(expressions(depth=depth - 1)), draw(expressions(depth=depth - 1))
    if op == "frac":
        return rf"\frac{{{a}}}{{{b} + 5}}"
    if op == "pow":
        return rf"({a})^{{{draw(st.integers(0, 3))}}}"
    if op == "sqrt":
        return rf"\sqrt{{({a})^2 + 1}}"
    if op == "sin":
        return rf"\sin({a})"
    return f"({a}) {op} ({b})"


@SETTINGS
@given(integers)
def test_integers_reflexive_and_formatting_variants(n):
    assert verify(str(n), rf"\boxed{{{n}}}")
    assert verify(str(n), f"The final answer is {n}.")
    assert verify(str(n), rf"\boxed{{{n}.0}}")
    if abs(n) >= 1000:
        assert verify(str(n), rf"\boxed{{{n:,}}}".replace(",", "{,}"))
        assert verify(f"{n:,}", rf"\boxed{{{n}}}")


@SETTINGS
@given(fractions)
def test_fractions_reflexive_and_decimal_forms(f):
    assert verify(latex_fraction(f), rf"\boxed{{{latex_fraction(f)}}}")
    assert verify(latex_fraction(f), rf"\boxed{{{f.numerator}/{f.denominator}}}")
    if 10**6 % f.denominator == 0:  # terminating decimal: exactly equal
        assert verify(latex_fraction(f), rf"\boxed{{{float(f)!r}}}")


@SETTINGS
@given(fractions, fractions)
def test_distinct_exact_numbers_differ_and_symmetry(a, b):
    va = verify(latex_fraction(a), rf"\boxed{{{latex_fraction(b)}}}")
    vb = verify(latex_fraction(b), rf"\boxed{{{latex_fraction(a)}}}")
    assert bool(va) == (a == b) == bool(vb)


@SETTINGS
@given(expressions())
def test_expressions_reflexive_and_spacing_variants(expr):
    assert verify(expr, rf"\boxed{{{expr}}}")
    spaced = expr.replace("+", " + ").replace("(", r"\left(").replace(")", r"\right)")
    assert verify(expr, rf"\boxed{{{spaced}}}"), spaced


@SETTINGS
@given(expressions(), expressions())
def test_symmetric(a, b):
    assert bool(verify(a, rf"\boxed{{{b}}}")) == bool(verify(b, rf"\boxed{{{a}}}"))


@SETTINGS
@given(st.lists(integers, min_size=1, max_size=6, unique=True), st.randoms(use_true_random=False))
def test_sets_are_order_free_and_complete(items, rnd):
    shuffled = items[:]
    rnd.shuffle(shuffled)
    gold = r"\{" + ", ".join(map(str, items)) + r"\}"
    assert verify(gold, r"\boxed{" + ", ".join(map(str, shuffled)) + "}")
    if len(items) > 1:
        assert not verify(gold, r"\boxed{" + ", ".join(map(str, shuffled[1:])) + "}")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.text(max_size=300))
def test_random_text_never_raises_and_stays_in_bound(gold, pred):
    start = time.perf_counter()
    v = verify(gold, pred, timeout=0.5)
    assert time.perf_counter() - start < 1.0
    assert isinstance(bool(v), bool)
    assert not v.detail.startswith("internal error"), v.detail


LATEX_TOKENS = [*"0123456789+-*/^_{}()[],.=<>!|x $ei"]
LATEX_TOKENS += [r"\frac", r"\sqrt", r"\boxed", r"\pi", r"\left(", r"\right)", r"\infty", r"\cup"]
LATEX_TOKENS += [r"\pm", r"\{", r"\}", r"\text{cm}"]
LATEX_ALPHABET = st.sampled_from(LATEX_TOKENS)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(LATEX_ALPHABET, max_size=60).map("".join),
    st.lists(LATEX_ALPHABET, max_size=60).map("".join),
)
def test_random_latex_never_raises_and_stays_in_bound(gold, pred):
    start = time.perf_counter()
    v = verify(gold, pred, timeout=0.5)
    assert time.perf_counter() - start < 1.0
    assert not v.detail.startswith("internal error"), v.detail
    assert v.reason in (
        "equivalent",
        "differs",
        "unparseable",
        "timeout",
        "too_large",
        "no_answer",
        "no_reference",
    )
