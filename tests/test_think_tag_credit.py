"""Tags are structure, never content: a repeated tag earns no credit as thought or as answer, in
the text and in a reasoning field, and a reasoning field is checked for the tags a parser leaves
in it. Bad message values and options get a verdict or a ValueError, never another exception."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from r1reward.verifiers import think
from r1reward.verifiers.think import check_format, format_scores

from tests.test_think_props import COMPLETIONS, OPTIONS

SETTINGS = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@SETTINGS
@given(COMPLETIONS, OPTIONS, st.data())
def test_repeating_any_tag_of_any_completion_never_raises_its_score(text, options, data):
    # without fences: a closing tag alone on its line ends a fence, and its copy beside it makes
    # a line that does not, so the repeat can turn a tag into code (tested in test_think.py)
    assume("```" not in text and "~~~" not in text)
    tags = think._tags(text, think._DEFAULT_THINK, think._DEFAULT_ANSWER)
    if not tags:
        return
    _kind, start, end = data.draw(st.sampled_from(tags))
    tampered = text[:end] + text[start:end] + text[end:]
    before = check_format(text, **options).score
    assert check_format(tampered, **options).score <= before, (text, tampered)


@SETTINGS
@given(
    COMPLETIONS,
    st.sampled_from(["<think>", "</think>", "<answer></answer>", "</answer>"]),
    st.booleans(),
)
def test_a_tag_in_a_reasoning_field_is_a_problem_and_no_thought(reasoning, tag, allow_empty):
    def judged(field: str):
        return check_format(
            {"role": "assistant", "reasoning_content": field, "content": "42"},
            allow_empty_think=allow_empty,
        )

    # the same field with the tag's place left blank: a tag is no thought
    blank, tagged = judged(reasoning + " " * len(tag)), judged(reasoning + tag)
    assert not tagged and tagged.score <= blank.score
    assert tagged.score <= 0.75


@pytest.mark.parametrize(
    ("text", "better"),
    [
        ("<think><think></think>42", "<think></think>42"),  # a nested tag is not thought
        ("<think>r</think></think>", "<think>r</think>"),  # a repeated tag is not an answer
        ("<think>r</think><think>", "<think>r</think>"),
    ],
)
def test_a_repeated_tag_earns_nothing_over_the_completion_without_it(text, better):
    assert check_format(text).score <= check_format(better).score < 1.0


def test_what_reasoning_parsers_make_of_a_doubled_think_tag_is_not_well_formed():
    """vLLM's R1/Qwen3 parsers and TRL's response schema turn `<think><think></think>42` into
    this message; it scored 1.0 when the field was not checked."""
    verdict = check_format({"role": "assistant", "reasoning_content": "<think>", "content": "42"})
    assert not verdict and think.NESTED_THINK in verdict.problems
    assert think.EMPTY_THINK in verdict.problems and verdict.score <= 0.5
    answered = check_format({"reasoning_content": "r <answer>4</answer>", "content": "4"})
    assert think.ANSWER_TAG_IN_THINK in answered.problems
    assert format_scores([{"reasoning_content": "<think>", "content": "42"}]) == [verdict.score]


def test_allow_empty_think_reaches_a_reasoning_field():
    """vLLM's Qwen3 parser gives a no-think answer as an empty reasoning field."""
    message = {"role": "assistant", "reasoning_content": "\n\n", "content": "4"}
    assert not check_format(message)
    assert check_format(message, allow_empty_think=True)


def test_a_thinking_cut_off_before_any_thought_earns_nothing():
    assert check_format("<think>").score == 0.0
    assert check_format("", prefilled_think=True).score == 0.0
    assert check_format("<think>\n\n").score == 0.0
    assert check_format("<think>an honest chain, cut off").score == 0.25
    assert check_format("an honest chain, cut off", prefilled_think=True).score == 0.25


class _NotABool:
    """pandas' NA: comparing it gives neither True nor False, and its truth value raises."""

    def __eq__(self, other):
        return self

    def __bool__(self):
        raise TypeError("boolean value of NA is ambiguous")

    __hash__ = None


def test_a_role_that_is_not_a_string_gets_a_verdict():
    for role in (_NotABool(), [1, 2], math.nan, None):
        messages = [{"role": role, "content": "x"}, {"role": "assistant", "content": "<think>"}]
        verdict = check_format(messages)
        assert verdict.score == 0.0 and not verdict


@pytest.mark.parametrize(
    ("option", "value"),
    [("strict", "false"), ("allow_empty_think", "no"), ("max_chars", None), ("max_chars", 2.5)],
)
def test_options_of_the_wrong_type_are_refused(option, value):
    with pytest.raises(ValueError, match=option):
        check_format("<think>r</think>4", **{option: value})
    with pytest.raises(ValueError, match=option):
        format_scores([], **{option: value})


@pytest.mark.parametrize(
    ("think_tags", "answer_tags"),
    [
        (("###", "###"), ("<a>", "</a>")),
        (("<t>", "</t>"), ("<t>", "</a>")),
        (("<a", "</a>"), ("<answer>", "</answer>")),
    ],
)
def test_tags_that_overlap_are_refused(think_tags, answer_tags):
    with pytest.raises(ValueError, match="tag"):
        check_format("x", think_tags=think_tags, answer_tag_names=answer_tags)


def test_splitting_something_that_is_not_text_finds_no_end():
    assert think.split_at_think_end(None) is None
    assert think.split_at_think_end(["<think>r</think>4"]) is None
    assert think.split_at_think_end("<think>r</think>4") == ("<think>r", "4")


def test_a_numpy_integer_is_a_size_limit():
    np = pytest.importorskip("numpy")
    assert check_format("<think>r</think>4", max_chars=np.int64(1000))
