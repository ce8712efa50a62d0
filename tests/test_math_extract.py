"""Answer extraction from completions and references."""

from __future__ import annotations

import pytest
from r1reward.verifiers.math import extract_answer, verify
from r1reward.verifiers.math.extract import extract_choice, extract_reference


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        (r"so \boxed{\frac{1}{2}} is it", r"\frac{1}{2}"),
        (r"nested \boxed{\frac{\sqrt{3}}{2}}", r"\frac{\sqrt{3}}{2}"),
        (r"first \boxed{1} then \boxed{2}", "2"),
        (r"\boxed 5.", "5"),
        (r"\fbox{42}", "42"),
        (r"\boxed{2} and \boxed{3}", "2, 3"),
        (r"\boxed{1} and and and or thus but \boxed{2} and \boxed{3}", "2, 3"),
        ("The final answer is 42.", "42"),
        ("Answer: $x^2+1$", "x^2+1"),
        ("so the value is **73**.", "73"),
        (r"We get \[ \frac{7}{3} \]", r"\frac{7}{3}"),
        ("<think>maybe \\boxed{3}</think> The answer is \\boxed{4}", "4"),
        ("<think>the answer is 3</think>\n\nThe answer is 5.", "5"),
        ("答案是 $12$。", "12"),
        ("所以答案为 7", "7"),
        ("Donc la réponse est 105.", "105"),
        ("Die Antwort ist 8.", "8"),
        ("Ответ: 15", "15"),
        ("Janeth aura encore 220 $ à payer d'ici 12 mois. Réponse: 220 $", "220"),
        ("We count 3 apples and then 17 pears", "17"),
        ("计划的比例为13/28", "13/28"),
        # markdown emphasis around the anchor or the answer is no part of the answer
        ("**Answer:** 4", "4"),
        ("**Answer: 4**", "4"),
        ("**Final Answer: 4**", "4"),
        ("**The answer is 4.**", "4"),
        ("**答案：4**", "4"),
        ("*Answer: 4*", "4"),
        ("***Answer: 4***", "4"),
        ("__Answer:__ 4", "4"),
        ("**Final answer:** 12 apples", "12"),
        ("**Answer:** **4**", "4"),
        ("Answer: $z^*$", "z^*"),  # a star after ^ or _ is the answer's
        ("Answer: x_*", "x_*"),
        ("Answer: x_", "x_"),  # an underscore closes emphasis only when one opened it
        ("Answer: _4_", "4"),
        ("", None),
        ("no numbers here at all", None),
    ],
)
def test_extract_answer(completion, expected):
    assert extract_answer(completion) == expected


def test_box_modes():
    text = r"\boxed{1} then \boxed{2} then \boxed{3}"
    assert extract_answer(text, boxed="first") == "1"
    assert extract_answer(text, boxed="last") == "3"
    assert extract_answer(text, boxed="all") == "1, 2, 3"


@pytest.mark.parametrize("reference", [r"7\pi", "4a-2", r"\frac{1}{2}", r"(1,2)", r"10{,}000"])
def test_bare_reference_is_taken_whole(reference):
    assert extract_reference(reference) == reference


def test_reference_in_box_or_delimiters():
    assert extract_reference(r"\boxed{(1,2)}") == "(1,2)"
    assert verify(r"$\frac12$", r"\boxed{0.5}")
    assert verify(r"\(7\pi\)", r"\boxed{7\pi}")
    assert not verify(r"7\pi", r"\boxed{7}")
    assert not verify("4a-2", r"\boxed{4}")


@pytest.mark.parametrize(
    ("completion", "letter"),
    [
        ("The answer is (C).", "C"),
        ("I think the answer is C", "C"),
        ("D. it can't be A or B", "D"),
        (r"\boxed{B}", "B"),
        (r"\boxed{\text{(E)}}", "E"),
        ("It's not A, so I pick B", "B"),
        ("B。不是 A", "B"),
    ],
)
def test_choice_letters(completion, letter):
    assert extract_choice(completion) == letter
    assert verify(letter, completion)
    assert not verify("A" if letter != "A" else "J", completion)


def test_no_answer_is_not_equivalent_with_reason():
    v = verify("3", "I have no idea.")
    assert not v and v.reason == "no_answer"
    v = verify("", r"\boxed{3}")
    assert not v and v.reason == "no_reference"


def test_a_number_is_a_reference_and_a_bad_box_mode_is_refused():
    from decimal import Decimal
    from fractions import Fraction

    for gold, right in (
        (72, "72"),
        (0.5, r"\frac12"),
        (Fraction(1, 2), "0.5"),
        (Decimal("2.50"), "2.5"),
    ):
        assert verify(gold, rf"\boxed{{{right}}}"), gold
        assert verify(gold, r"\boxed{3}").reason == "differs", gold
    assert verify(float("nan"), r"\boxed{3}").reason == "no_reference"
    assert verify(Decimal("sNaN"), r"\boxed{3}").reason == "no_reference"
    assert verify(10**5000, r"\boxed{3}").reason == "too_large"
    assert verify(True, r"\boxed{1}").reason == "unparseable"  # a flag, never an answer
    with pytest.raises(ValueError, match="boxed"):
        verify("3", r"\boxed{3}", boxed="bogus")


def test_a_qualified_or_hedged_answer_is_not_its_first_number():
    # "2(sqrt 2) meters" is not 2, and "5 (maybe 6)" hedges: the bracket is no end of the answer
    for gold, completion in (
        ("2", "Answer: 2(sqrt 2) meters"),
        ("2", r"Answer: 2 \left( something \right)"),
        ("5", "Answer: 5 (maybe 6)"),
        ("x", "Answer: x_*"),
        ("-1", "Answer: -1_"),
    ):
        assert not verify(gold, completion), completion


def test_unbalanced_box_is_not_misread():
    v = verify("3", r"\boxed{3 + ")
    assert not v


def test_gsm8k_answer_column_is_read_after_its_marker():
    # openai/gsm8k's `answer` column: the worked solution, then "#### <answer>"
    gold = (
        "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n"
        "Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72"
    )
    assert extract_reference(gold) == "72"
    assert verify(gold, r"so she sold \boxed{72} clips").equivalent
    assert not verify(gold, r"\boxed{24}").equivalent  # an intermediate result is not the answer
    assert verify("#### 1,000", r"\boxed{1000}").equivalent
