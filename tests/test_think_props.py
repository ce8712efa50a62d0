"""Properties of the think-format checker (hypothesis): verdicts are consistent, scores stay in
range, the fast paths judge as the general rules do, whitespace and fenced tags change nothing,
repeating a tag never pays, and empty thinking pays at most half, less than reasoning would."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from r1reward.verifiers import think
from r1reward.verifiers.think import ANSWER_MODES, check_format

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TAGS = ["<think>", "</think>", "<answer>", "</answer>"]
# Pieces of completions: tags, near-tags, fences and inline code, blanks and words.
NEAR_TAGS = ["<", "</", "<thi", "<answer", "```", "\n```\n", "~~~", "`", "~"]
WORDS_ETC = ["\n", " ", "\t", "x", "reason", "42", "中文", "$x<1$"]
PIECES = st.sampled_from([*TAGS, *NEAR_TAGS, *WORDS_ETC])
COMPLETIONS = st.lists(PIECES, max_size=14).map("".join)
OPTIONS = st.fixed_dictionaries(
    {
        "prefilled_think": st.sampled_from([False, True, "auto"]),
        "answer_tags": st.sampled_from(ANSWER_MODES),
        "strict": st.booleans(),
        "allow_empty_think": st.booleans(),
    }
)
# text that says something: at least one letter (thinking of only `.` and `,` is empty)
WORDS = st.text(st.sampled_from("abcdefgh xyz,.中"), min_size=1, max_size=30).filter(
    lambda s: any(c.isalnum() for c in s)
)


@SETTINGS
@given(COMPLETIONS, OPTIONS)
def test_a_verdict_is_consistent_and_its_score_in_range(text, options):
    v = check_format(text, **options)
    assert 0.0 <= v.score <= 1.0
    assert bool(v) == v.ok == (not v.problems)
    assert (v.score == 1.0) == v.ok  # full credit means well-formed, and only that
    if v.ok:
        assert v.answer and v.answer == v.answer.strip()


@SETTINGS
@given(COMPLETIONS, OPTIONS)
def test_fast_paths_judge_as_the_general_rules(text, options):
    tags = think._tags(text, think._DEFAULT_THINK, think._DEFAULT_ANSWER)
    slow = think._judge_tags(
        text,
        tags,
        options["prefilled_think"],
        options["answer_tags"],
        options["strict"],
        options["allow_empty_think"],
    )
    assert check_format(text, **options) == slow


BLANKS = st.sampled_from(["", " ", "\n", "\n \t\n"])
# what may follow the think block: no think tag, so real reasoning keeps its think credit
ANSWER_PARTS = st.lists(st.sampled_from(["<answer>", "</answer>", *NEAR_TAGS, *WORDS_ETC])).map(
    "".join
)


@SETTINGS
@given(COMPLETIONS, BLANKS, COMPLETIONS, OPTIONS)
def test_empty_thinking_never_scores_above_half(before, blank, after, options):
    for text in (f"{before}<think>{blank}</think>{after}", f"{blank}</think>{after}"):
        v = check_format(text, **options)
        if think.EMPTY_THINK in v.problems:
            assert v.score <= 0.5, text


@SETTINGS
@given(st.sampled_from(["", "\n ", "x"]), BLANKS, ANSWER_PARTS, OPTIONS)
def test_empty_thinking_scores_below_reasoning_with_the_same_answer(pre, blank, rest, options):
    options["allow_empty_think"] = False
    prefilled = options["prefilled_think"] is True
    if prefilled:  # the completion starts inside the thinking: no opening tag, no text before
        empty, real = f"{blank}</think>{rest}", f"{blank}reason{blank}</think>{rest}"
    else:
        empty, real = f"{pre}<think>{blank}</think>{rest}", f"{pre}<think>reason</think>{rest}"
    v = check_format(empty, **options)
    assert think.EMPTY_THINK in v.problems
    assert v.score <= 0.5 and v.score < check_format(real, **options).score
    message = {"reasoning_content": blank or " ", "content": rest}  # "" reads as no field
    v = check_format(message, **options)
    assert think.EMPTY_THINK in v.problems
    real_message = {"reasoning_content": "reason", "content": rest}
    assert v.score <= 0.5 and v.score < check_format(real_message, **options).score


@SETTINGS
@given(COMPLETIONS, OPTIONS, BLANKS)
def test_whitespace_around_a_completion_changes_no_judgement(text, options, blank):
    v, padded = check_format(text, **options), check_format(blank + text + blank, **options)
    assert (padded.ok, padded.problems, padded.score) == (v.ok, v.problems, v.score)


@SETTINGS
@given(WORDS, WORDS, st.sampled_from(TAGS), st.sampled_from(["```", "~~~~"]))
def test_a_tag_inside_a_fenced_block_is_text(reasoning, answer, tag, fence):
    plain = f"<think>\n{reasoning}\n</think>\n{answer}"
    block = f"\n{fence}python\nprint('{tag}')\n{fence}\n"
    fenced = f"<think>\n{reasoning}{block}</think>\n{answer}"
    assert check_format(plain) and check_format(fenced)
    assert check_format(fenced).answer == check_format(plain).answer


@SETTINGS
@given(WORDS, WORDS, st.sampled_from(TAGS), st.data())
def test_repeating_a_tag_never_pays(reasoning, answer, tag, data):
    for text in (
        f"<think>{reasoning}</think>{answer}",
        f"<think>{reasoning}</think><answer>{answer}</answer>",
    ):
        assert check_format(text).score == 1.0
        inside = {i for t in TAGS for k in _starts(text, t) for i in range(k + 1, k + len(t))}
        at = data.draw(st.sampled_from([i for i in range(len(text) + 1) if i not in inside]))
        tampered = text[:at] + tag + text[at:]  # a second copy of a tag, the others intact
        assert check_format(tampered).score < 1.0, tampered


def _starts(text: str, tag: str) -> list[int]:
    return [i for i in range(len(text)) if text.startswith(tag, i)]


@settings(max_examples=50, deadline=None)
@given(
    st.one_of(
        st.none(),
        st.integers(),
        st.binary(),
        st.lists(st.integers()),
        st.dictionaries(st.text(), st.integers()),
    )
)
def test_anything_that_is_not_a_completion_gets_a_verdict_not_an_exception(value):
    v = check_format(value)
    assert not v and v.score == 0.0
