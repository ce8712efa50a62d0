"""Think-format rules, one test (or parametrised case) per rule, plus adversarial inputs."""

from __future__ import annotations

import time

import pytest
from r1reward.verifiers import think
from r1reward.verifiers.think import (
    check_format,
    extract_cot,
    format_score,
    format_scores,
)


def problems(completion, **kw):
    return check_format(completion, **kw).problems


# ---------------------------------------------------------------- one think block
def test_well_formed_plain():
    v = check_format("<think>\nLet me add 2 and 2.\n</think>\nThe answer is 4.")
    assert v and v.ok and v.problems == ()
    assert v.reasoning == "Let me add 2 and 2."
    assert v.answer == "The answer is 4."
    assert v.score == 1.0 and v.source == "tags"


def test_leading_whitespace_is_fine():
    assert check_format("\n \t<think>r</think>a")


def test_text_before_think():
    assert problems("Sure! <think>r</think>a") == (think.TEXT_BEFORE_THINK,)


def test_missing_think():
    v = check_format("just an answer")
    assert not v and v.problems == (think.MISSING_THINK,)
    assert v.reasoning is None and v.score == 0.0


def test_unclosed_think_keeps_reasoning():
    v = check_format("<think>still thinking when the budget ran out")
    assert think.UNCLOSED_THINK in v.problems
    assert v.reasoning == "still thinking when the budget ran out"


@pytest.mark.parametrize(
    "text",
    [
        "<think>a<think>b</think>c",
        "<think><think>a</think></think>c",
        "<think>a<think>b",
    ],
)
def test_nested_think(text):
    assert think.NESTED_THINK in problems(text)


@pytest.mark.parametrize(
    "text",
    [
        "<think>a</think>b<think>c</think>d",
        "<think>a</think>b</think>d",
        "<think>a</think>b<think>",
    ],
)
def test_repeated_think(text):
    v = check_format(text)
    assert think.REPEATED_THINK in v.problems
    assert v.reasoning == "a"


def test_empty_answer():
    assert problems("<think>r</think>  \n") == (think.EMPTY_ANSWER,)


# ---------------------------------------------------------------- empty-thinking policy
@pytest.mark.parametrize("text", ["<think>\n\n</think>\n\n42", "<think></think>42"])
def test_empty_think_rejected_by_default_and_configurable(text):
    assert problems(text) == (think.EMPTY_THINK,)
    assert check_format(text).score < 1.0
    v = check_format(text, allow_empty_think=True)
    assert v and v.reasoning == "" and v.answer == "42"


@pytest.mark.parametrize("body", [".", "...", "\n-\n", "?!", "\U0001f914", ".\u3164.", "$$", "—"])
@pytest.mark.parametrize(
    "shape",
    [
        "<think>{}</think>42",
        "<think>\n{}\n</think>\n<answer>42</answer>",
        "{}</think>42",  # pre-filled
    ],
)
def test_thinking_without_a_letter_or_digit_is_empty(body, shape):
    """`<think>.</think>` skips the reasoning as surely as `<think></think>` does: a format
    reward that paid for it would teach a one-token skip."""
    text = shape.format(body)
    v = check_format(text, prefilled_think="auto")
    assert think.EMPTY_THINK in v.problems and v.score <= 0.5
    assert format_scores([text], prefilled_think="auto") == [v.score]
    assert check_format(text, prefilled_think="auto", allow_empty_think=True)
    for said in ("x", "2", "设", "Ж"):  # one letter or digit anywhere makes it thinking
        assert check_format(shape.format(body + said), prefilled_think="auto"), said
    reasoning_field = {"reasoning_content": body, "content": "42"}
    assert think.EMPTY_THINK in check_format(reasoning_field).problems


@pytest.mark.parametrize(
    "body",
    ["**Step 1.** Add", "## Plan\n1. add", "- x", "(a)", "⠠⠞⠺⠕ ⠏⠇⠥⠎", "ⓣⓦⓞ", "٣+٤=٧", "Ⅻ", "ω"],
)
def test_thinking_that_opens_with_markup_or_is_in_another_script_is_thinking(body):
    assert check_format(f"<think>{body}</think>42")
    assert check_format({"reasoning_content": body, "content": "42"})


@pytest.mark.parametrize(
    "opts",
    [
        {"think_tags": ("", "</think>")},
        {"think_tags": ("<think>", "")},
        {"answer_tag_names": ("", "</answer>")},
        {"think_tags": "<>"},
        {"think_tags": ("<think>",)},
        {"answer_tag_names": ("<answer>", None)},
    ],
)
def test_tag_names_must_be_two_non_empty_strings(opts):
    """An empty tag is found at every position: refused, not scanned for ever."""
    with pytest.raises(ValueError, match="non-empty strings"):
        check_format("<think>r</think>4", **opts)
    with pytest.raises(ValueError, match="non-empty strings"):
        format_scores([], **opts)


# ---------------------------------------------------------------- pre-filled <think>
def test_prefilled_has_only_close():
    text = "The user wants 2+2.\n</think>\n\n4"
    assert not check_format(text)  # not told it is pre-filled
    v = check_format(text, prefilled_think=True)
    assert v and v.source == "prefilled"
    assert v.reasoning == "The user wants 2+2." and v.answer == "4"


def test_prefilled_rejects_a_second_opening():
    v = check_format("<think>r</think>a", prefilled_think=True)
    assert v.problems == (think.NESTED_THINK,)


def test_prefilled_unclosed_and_repeated():
    assert think.UNCLOSED_THINK in problems("thinking forever", prefilled_think=True)
    assert think.REPEATED_THINK in problems("r</think>a</think>b", prefilled_think=True)


def test_prefilled_auto_decides_per_completion():
    assert check_format("r</think>a", prefilled_think="auto").source == "prefilled"
    assert check_format("<think>r</think>a", prefilled_think="auto").source == "tags"
    assert check_format("<think>r</think>a", prefilled_think="auto")


# ---------------------------------------------------------------- tags in code are text
def test_tags_inside_fenced_code_are_not_tags():
    text = (
        "<think>I will print a tag:\n```python\nprint('<think>')\nprint('</think>')\n```\n"
        "done</think>\nUse:\n~~~\n<think>x</think>\n~~~\n"
    )
    v = check_format(text)
    assert v, v.problems
    assert "print('</think>')" in v.reasoning


def test_fence_must_close_with_same_char_and_length():
    # ``` does not close a ```` fence, so the </think> inside is still code
    text = "<think>a\n````\n```\nprint('</think>')\n````\nb</think>ans"
    v = check_format(text)
    assert v and v.answer == "ans"


HIDDEN_SECOND_BLOCK = "<think>\n```\nplan A\n</think>\nThe answer is 3.\n<think>\nwait\n```\n</think>\nThe answer is 4."
OPEN_DRAFT = (
    "<think>\nLet me draft:\n```python\ndef f(x):\n    return x\n\n</think>\n"
    "Here is the code:\n```python\ndef f(x):\n    return x + 1\n```"
)


@pytest.mark.parametrize("indent", ["", "  ", "\t"])
def test_a_closing_tag_alone_on_its_line_ends_an_open_fence(indent):
    # the review: a fence opened in the thinking and closed in the answer hid a second think
    # block (1.0), and a draft left open in the thinking hid the real `</think>` (0.0)
    hack = HIDDEN_SECOND_BLOCK.replace("\n</think>", f"\n{indent}</think>")
    assert think.REPEATED_THINK in check_format(hack).problems
    assert format_score(hack) <= 0.75
    honest = OPEN_DRAFT.replace("\n</think>", f"\n{indent}</think>")
    v = check_format(honest)
    assert v and v.answer.startswith("Here is the code") and v.reasoning.endswith("return x")
    # the answer's own code block is still code: a tag line inside it hides nothing new
    assert check_format(honest + "\n```\n<think>\n```")
    # an answer fence left open does not hide `</answer>` either
    assert check_format(
        "<think>r</think>\n<answer>\n```py\nx = 1\n</answer>", answer_tags="required"
    )


@pytest.mark.parametrize(
    "first_close",
    ["plan A</think>\nThe answer is 3.", "plan A\n</think>The answer is 3.", "\u200b</think>\nx"],
)
def test_a_fence_that_hides_a_close_and_a_reopening_is_no_code(first_close):
    # the second review: with the first `</think>` sharing its line, the fence still ran across
    # it and hid a second think block (1.0); every reasoning parser splits at that tag
    text = f"<think>\n```\n{first_close}\n<think>\nwait\n```\n</think>\nThe answer is 4."
    assert think.REPEATED_THINK in check_format(text).problems
    assert format_scores([text]) == [check_format(text).score] and format_score(text) <= 0.75
    # code that shows a think block is still code; code that closes one and opens another is
    # read as tags, the price of the rule
    shown = "<think>\nr\n</think>\nUse:\n~~~\n{}\n~~~"
    assert check_format(shown.format("<think>x</think>"))
    assert not check_format(shown.format("print('</think>')\nprint('<think>')"))


def test_tags_inside_a_closed_fence_or_sharing_their_line_stay_code():
    for inside in ("print('</think>')", "</think> is the tag", "<think>", "x</think>"):
        text = f"<think>\nr\n```\n{inside}\n```\n</think>\nans"
        v = check_format(text)
        assert v and v.answer == "ans", inside
    # custom tags: their closing tag is the one that ends a fence
    custom = "<reason>\n```\ndraft\n</reason>\nans"
    v = check_format(custom, think_tags=("<reason>", "</reason>"))
    assert v and v.answer == "ans"


def test_unclosed_fence_hides_nothing():
    v = check_format("<think>a\n```python\nx = 1\n</think>\nans")
    assert v and v.answer == "ans"


def test_a_line_opening_with_inline_code_of_three_backticks_opens_no_fence():
    # CommonMark: a backtick fence's info string holds no backtick, so ```x``` is inline code.
    # Read as a fence, it ran to the answer's code block and hid the `</think>` in between.
    text = "<think>\n```x``` is inline code, so I reason on</think>\nThe program:\n```\nx\n```"
    v = check_format(text)
    assert v and v.reasoning.endswith("reason on") and v.answer.startswith("The program")
    # a backtick run with a plain info string, or a tilde run with backticks after it, opens one
    for opener in ("```python", "~~~ `x`"):
        hidden = f"<think>\n{opener}\nprint('x')</think>\n{opener[:3]}\n4"
        assert think.UNCLOSED_THINK in check_format(hidden).problems, opener


def test_an_indented_fence_is_a_fence():
    """Code in a list item is indented past CommonMark's three spaces, and renders as code."""
    text = "<think>a\n    ```\n</think>ans\n    ```\n"
    assert think.UNCLOSED_THINK in check_format(text).problems  # the tag is code
    listed = "<think>\n1. Draft:\n    ```python\n    print('</think>')\n    ```\n</think>\n4"
    assert check_format(listed)  # the tag in the draft is code, the one on its own line is not


# ---------------------------------------------------------------- <answer> modes
def test_answer_optional_default():
    assert check_format("<think>r</think>42")
    v = check_format("<think>r</think>\n<answer>\n42\n</answer>")
    assert v and v.answer == "42"


def test_answer_required():
    assert problems("<think>r</think>42", answer_tags="required") == (think.MISSING_ANSWER_TAGS,)
    assert check_format("<think>r</think><answer>42</answer>", answer_tags="required")


def test_answer_forbidden():
    p = problems("<think>r</think><answer>42</answer>", answer_tags="forbidden")
    assert p == (think.ANSWER_TAGS_FORBIDDEN,)
    assert check_format("<think>r</think>42", answer_tags="forbidden")


@pytest.mark.parametrize(
    "tail",
    [
        "<answer>1</answer><answer>2</answer>",
        "</answer>1<answer>",
        "<answer>1",
        "1</answer>",
    ],
)
def test_bad_answer_tags(tail):
    assert think.BAD_ANSWER_TAGS in problems("<think>r</think>" + tail)


def test_empty_answer_tags():
    assert think.EMPTY_ANSWER in problems("<think>r</think><answer> </answer>")


def test_strict_forbids_text_after_answer():
    text = "<think>r</think>\n<answer>42</answer>\nP.S. also 43"
    assert check_format(text)  # lenient by default
    assert problems(text, strict=True) == (think.TEXT_OUTSIDE_ANSWER,)
    assert problems("<think>r</think>so<answer>4</answer>", strict=True) == (
        think.TEXT_OUTSIDE_ANSWER,
    )
    assert check_format("<think>r</think>\n<answer>42</answer>\n", strict=True)


def test_answer_tag_inside_think_is_a_problem():
    text = "<think><answer>1</answer></think><answer>1</answer>"
    assert think.ANSWER_TAG_IN_THINK in problems(text)


def test_custom_tag_names():
    v = check_format("<reasoning>r</reasoning>a", think_tags=("<reasoning>", "</reasoning>"))
    assert v and v.reasoning == "r"


def test_bad_options_raise():
    with pytest.raises(ValueError):
        check_format("x", answer_tags="sometimes")
    with pytest.raises(ValueError):
        check_format("x", prefilled_think="maybe")
    with pytest.raises(ValueError):
        check_format("x", prefilled_think=2)


def test_prefilled_flag_given_as_an_int_reads_as_the_bool():
    for text in ("<think>r</think>a", "r</think>a", "<think>r"):
        for flag in (0, 1):
            assert check_format(text, prefilled_think=flag) == check_format(
                text, prefilled_think=bool(flag)
            )
    assert not check_format("<think>r</think>a", prefilled_think=1)  # nested: the prompt opened


# ---------------------------------------------------------------- conversational inputs
def test_message_dict_with_tags():
    assert check_format({"role": "assistant", "content": "<think>r</think>a"})


@pytest.mark.parametrize("key", ["reasoning_content", "reasoning"])
def test_reasoning_field(key):
    msg = {"role": "assistant", key: "Let me think.", "content": "4"}
    v = check_format(msg)
    assert v and v.source == "field" and v.reasoning == "Let me think." and v.answer == "4"
    assert check_format([msg])  # TRL conversational completion: a list of one message


def test_reasoning_field_with_tags_in_content_is_a_problem():
    msg = {"role": "assistant", "reasoning_content": "r", "content": "<think>r</think>4"}
    assert think.THINK_TAG_IN_CONTENT in problems(msg)


def test_reasoning_field_empty_and_answer_rules_apply():
    assert think.EMPTY_THINK in problems({"reasoning_content": " ", "content": "4"})
    msg = {"reasoning_content": "r", "content": "4"}
    assert problems(msg, answer_tags="required") == (think.MISSING_ANSWER_TAGS,)


def test_list_uses_last_assistant_message():
    msgs = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "<think>r</think>a"},
    ]
    assert check_format(msgs).answer == "a"


@pytest.mark.parametrize("bad", [None, 3, b"<think>", [1, 2], {"content": 5}, []])
def test_bad_input_is_a_verdict_not_an_exception(bad):
    v = check_format(bad)
    assert not v and v.problems == (think.NOT_TEXT,) and v.score == 0.0 and v.detail


def test_too_large():
    v = check_format("<think>" + "x" * 100 + "</think>a", max_chars=50)
    assert v.problems == (think.TOO_LARGE,)


# ---------------------------------------------------------------- graded score
def test_score_is_one_iff_well_formed():
    cases = [
        "<think>r</think>a",
        "<think>r</think>",
        "<think>r",
        "r</think>a",
        "<think>a</think><think>b</think>c",
        "<think>\n</think>a",
        "nothing",
    ]
    for c in cases:
        assert (format_score(c) == 1.0) == bool(check_format(c)), c


def test_score_not_fooled_by_repeated_or_misordered_tags():
    good = format_score("<think>\nr\n</think>\n<answer>\n4\n</answer>", answer_tags="required")
    assert good == 1.0
    spam = "<think>\n</think>\n<answer>\n</answer>\n" * 5
    assert format_score(spam, answer_tags="required") <= 0.5
    # open-r1's tag_count gives this 1.0 (each tag exactly once, order ignored)
    shuffled = "</answer>\n<answer>\n\n</think>\n<think>\n"
    assert format_score(shuffled, answer_tags="required") <= 0.25


def test_partial_credit_is_monotone_in_correct_tags():
    s_none = format_score("answer", answer_tags="required")
    s_think = format_score("<think>r</think>answer", answer_tags="required")
    s_all = format_score("<think>r</think><answer>answer</answer>", answer_tags="required")
    assert s_none < s_think < s_all == 1.0


def test_skipping_the_reasoning_scores_at_most_half():
    # empty thinking used to score 0.75 (the cap for malformed), above real reasoning without
    # an answer (0.5): the think tags around no reasoning now earn nothing
    assert format_score("<think>\n</think>\n.") == 0.5  # empty think, a good answer
    tagged = "<think>\n\n</think>\n<answer>\n4\n</answer>"
    assert format_score(tagged, answer_tags="required") == 0.5
    assert format_score("<think></think><answer></answer>") == 0.25  # the empty shell
    shell = "<think>\n\n</think>\n<answer>\n\n</answer>"
    assert format_score(shell, answer_tags="required") == 0.25
    assert format_score("<think></think>") == 0.0
    assert format_score("\n</think>\n4", prefilled_think=True) == 0.5
    assert format_score({"reasoning_content": " ", "content": "4"}) == 0.5
    assert format_score({"reasoning_content": "\n", "content": "<answer></answer>"}) == 0.25
    # unchanged: reasoning without an answer, a cut-off think block, empty thinking allowed
    assert format_score("<think>r</think>") == 0.5
    assert format_score("<think>r") == 0.25
    assert format_score("<think></think>4", allow_empty_think=True) == 1.0
    assert format_score("<think></think><answer></answer>", allow_empty_think=True) == 0.75


@pytest.mark.parametrize(
    ("empty", "real", "opts"),
    [
        ("<think></think><answer></answer>", "<think>r</think><answer></answer>", {}),
        ("<think>\n</think>\n.", "<think>\nr\n</think>\n.", {}),
        ("<think> </think>4", "<think>r</think>4", {"answer_tags": "required"}),
        ("<think>\n</think>\n<answer>4</answer>", "<think>r</think>\n<answer>4</answer>", {}),
        (
            "<think></think>x<answer>4</answer>",
            "<think>r</think>x<answer>4</answer>",
            {"strict": True},
        ),
        ("x<think> </think>4", "x<think>r</think>4", {}),
        ("\n</think>\n4", "r\n</think>\n4", {"prefilled_think": True}),
        (" </think><answer></answer>", "r</think><answer></answer>", {"prefilled_think": "auto"}),
        ("```\n<think>\n```\n<think></think>4", "```\n<think>\n```\n<think>r</think>4", {}),
        (
            "<think></think><answer>4</answer></answer>",
            "<think>r</think><answer>4</answer></answer>",
            {},
        ),
        ("</think>4", "r</think>4", {"prefilled_think": False}),  # a lone closing, not pre-filled
        (
            {"reasoning_content": " ", "content": "4"},
            {"reasoning_content": "r", "content": "4"},
            {},
        ),
        (
            {"reasoning_content": "\t", "content": "<answer>4</answer>"},
            {"reasoning_content": "r", "content": "<answer>4</answer>"},
            {"answer_tags": "required"},
        ),
    ],
)
def test_empty_thinking_scores_below_reasoning_with_the_same_answer(empty, real, opts):
    v = check_format(empty, **opts)
    assert think.EMPTY_THINK in v.problems
    assert v.score <= 0.5 and v.score < format_score(real, **opts)


def test_format_scores_batch():
    assert format_scores(["<think>r</think>a", "x"]) == [1.0, 0.0]


# ---------------------------------------------------------------- extract_cot
def test_extract_cot_all_sources():
    assert extract_cot("<think> r </think>a") == "r"
    assert extract_cot("r</think>a") == "r"  # auto: pre-filled
    assert extract_cot({"reasoning_content": "r", "content": "a"}) == "r"
    assert extract_cot("no reasoning here") is None


# ---------------------------------------------------------------- adversarial size/time
@pytest.mark.parametrize(
    "text",
    [
        "<think>" * 150_000,
        "</think>" * 130_000,
        "<" * 1_000_000,
        "```\n" * 250_000,
        "<think>" + "`" * 1_000_000,
        "<think>" + "$" * 1_000_000 + "</think>a",
        "```a" * 250_000,
        "```\n<think>\n```\n" * 60_000,
        "<think>\n" + "```\n</think>\n" * 100_000,
    ],
)
def test_adversarial_megabyte_is_fast(text):
    t0 = time.perf_counter()
    v = check_format(text)
    assert time.perf_counter() - t0 < 2.0
    assert isinstance(v.ok, bool)
