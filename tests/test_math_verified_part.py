"""`verified_part`: the rewards ship only this to workers, so it must never change a verdict."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from r1reward.verifiers.math import verified_part, verify
from r1reward.verifiers.math.verify import MAX_COMPLETION_CHARS

from .conftest import load_shared_jsonl

_SHAPES = [
    "<think>so 4</think>\nThe answer is \\boxed{4}.",
    "<think>\\boxed{5}</think>\n\n",  # nothing after </think>: the whole text is read
    "<think>a</think> first </think> The answer is 3",  # the last </think> counts
    "The answer is \\boxed{4}<|im_end|><think>x</think> \\boxed{9}",  # ran into the next turn
    "<think>(B) looks right</think> The answer is (C)",  # multiple choice
    "no think tags, the answer is 12",
    "</think>",
    "",
]
_GOLDS = ["4", "5", "3", "C", "12", "9", "\\frac{1}{2}"]


def test_same_verdict_on_edge_shapes():
    for completion in _SHAPES:
        part = verified_part(completion)
        assert len(part) <= len(completion)
        for gold in _GOLDS:
            assert verify(gold, part) == verify(gold, completion), (gold, completion)


def test_same_verdict_on_shared_model_outputs_and_much_less_to_ship():
    rows = load_shared_jsonl("data/math/qwen25_math_cot_800.jsonl")
    shipped = total = 0
    for i, row in enumerate(rows):
        completion = f"<think>{row['completion']}</think>\nSo the answer is {row['gold']} ({i})."
        for text in (row["completion"], completion):
            part = verified_part(text)
            assert verify(row["gold"], part) == verify(row["gold"], text)
        shipped += len(verified_part(completion))
        total += len(completion)
    assert shipped < total / 5


def test_oversized_completion_stays_whole_for_the_size_guard():
    huge = "<think>" + "x" * MAX_COMPLETION_CHARS + "</think> \\boxed{1}"
    assert verified_part(huge) is huge
    assert verify("1", huge).reason == "too_large"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<think>",
                "</think>",
                "<|im_end|>",
                "\\boxed{",
                "}",
                "4",
                "(B)",
                " ",
                "\n",
                "answer is ",
            ]
        ),
        max_size=14,
    ),
    st.sampled_from(_GOLDS),
)
def test_same_verdict_on_arbitrary_tag_soup(parts, gold):
    text = "".join(parts)
    assert verify(gold, verified_part(text)) == verify(gold, text)
