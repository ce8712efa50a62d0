"""`extraction="marked"`: only an answer the completion marks as final earns the accuracy reward
(a box, an `<answer>` tag, GSM8K's `####`); the prose fallbacks of the default extraction are off.
Without it, text with the reference's number anywhere near its end is "right"."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from r1reward.rewards import Accuracy, Engine, r1_zero
from r1reward.rewards.registry import build
from r1reward.verifiers.math import extract_answer, verify
from r1reward.verifiers.math.extract import extract_choice

UNMARKED = [
    "check 7 five user 7",  # a TRL run's random text that the last-number fallback rewarded
    "The answer is 7.",
    "Final answer: $7$",
    "So we get **7** in the end.",
    "Therefore $x = 7$",
    "<think>it is 7</think>\nI think it is 7",
]
MARKED = [
    (r"so \boxed{7}", "7"),
    (r"<think>3+4</think> \fbox{7}", "7"),
    ("<answer>7</answer>", "7"),
    ("<think>r</think>\n<answer>The answer is $7$.</answer>", "7"),  # in a tag: every rule
    ("Natalia sold 48 + 24 = 72 clips.\n#### 72", "72"),
]


@pytest.mark.parametrize("completion", UNMARKED)
def test_prose_answers_are_not_read_when_marked_answers_are_required(completion):
    assert extract_answer(completion) is not None  # the default finds one
    assert extract_answer(completion, extraction="marked") is None
    verdict = verify("7", completion, extraction="marked")
    assert not verdict and verdict.reason == "no_answer"
    assert "marked as final" in verdict.detail


@pytest.mark.parametrize(("completion", "answer"), MARKED)
def test_marked_answers_are_read_as_the_default_reads_them(completion, answer):
    assert extract_answer(completion, extraction="marked") == answer
    assert verify(answer, completion, extraction="marked").equivalent
    if "####" not in completion:  # the default takes the last anchor of any kind instead
        assert extract_answer(completion) == answer


def test_a_gsm8k_mark_wins_over_a_later_answer_phrase_only_when_marked():
    completion = "48 + 24 = 72\n#### 72\nThe answer is 70"
    assert extract_answer(completion) == "70"
    assert extract_answer(completion, extraction="marked") == "72"


def test_multiple_choice_needs_a_boxed_or_tagged_letter():
    assert verify("B", "The answer is B", extraction="marked").reason == "no_answer"
    assert verify("B", "The answer is B").equivalent
    for completion in (r"\boxed{B}", "<answer>B</answer>", "<answer>The answer is (B)</answer>"):
        assert extract_choice(completion, extraction="marked") == "B"
        assert verify("B", completion, extraction="marked").equivalent


def test_a_bad_extraction_is_refused():
    with pytest.raises(ValueError, match="extraction"):
        verify("7", r"\boxed{7}", extraction="strict")
    with pytest.raises(ValueError, match="extraction"):
        Accuracy(extraction="strict")


_PROSE = st.lists(
    st.sampled_from([*"0123456789 abcxyz.,:=+-*$()\n", "answer is ", "**", "Answer: ", "\\("]),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_PROSE)
def test_prose_without_a_mark_never_yields_a_marked_answer(text):
    assert extract_answer(text, extraction="marked") is None


@settings(max_examples=300, deadline=None)
@given(_PROSE, st.integers(-999, 999))
def test_a_final_box_is_the_answer_in_both_modes(text, n):
    completion = f"{text} \\boxed{{{n}}}"
    assert extract_answer(completion, extraction="marked") == extract_answer(completion)
    assert verify(str(n), completion, extraction="marked").equivalent


ROWS = [r"so \boxed{7}", "check 7 five user 7", "<answer>7</answer>", "The answer is 8"]


@pytest.mark.parametrize("workers", [0, 1])
def test_the_accuracy_reward_scores_only_marked_answers_in_the_pool_too(workers):
    engine = Engine(workers=workers, inline_below=0)
    try:
        rows = ROWS * 5  # past the inline threshold either way
        refs = ["7"] * len(rows)
        marked = Accuracy(extraction="marked", engine=engine)
        flexible = Accuracy(engine=engine)
        assert marked(rows, solution=refs) == [1.0, 0.0, 1.0, 0.0] * 5
        assert flexible(rows, solution=refs) == [1.0, 1.0, 1.0, 0.0] * 5
        details = marked.details(ROWS, solution=["7"] * 4)
        assert details[1].info["reason"] == "no_answer"
    finally:
        engine.close()


def test_the_option_reaches_presets_specs_and_copies():
    preset = r1_zero(extraction="marked")
    accuracy = next(c for c, _ in preset.components if isinstance(c, Accuracy))
    assert accuracy.extraction == "marked"
    assert build("accuracy:extraction=marked").extraction == "marked"
    copy = pickle.loads(pickle.dumps(Accuracy(extraction="marked")))
    assert copy(["check 7 five user 7"], solution=["7"]) == [0.0]


def test_the_verify_command_takes_the_option():
    def run(*extra):
        return subprocess.run(
            [sys.executable, "-m", "r1reward.rewards.cli", "verify", *extra, "7", UNMARKED[0]],
            capture_output=True,
            text=True,
        )

    assert run().returncode == 0
    marked = run("--extraction", "marked")
    assert marked.returncode == 1 and "marked as final" in marked.stdout


def test_verl_takes_the_option_as_a_reward_kwarg():
    from r1reward.rewards.adapters import compute_score

    text = "<think>r</think> check 7 five user 7"
    assert compute_score("gsm8k", text, "7")["score"] == 1.0
    marked = compute_score("gsm8k", text, "7", extraction="marked")
    assert marked["score"] == 0.0 and marked["reason"] == "no_answer"
    batch = compute_score(
        data_sources=["a", "b"],
        solution_strs=[text, r"<think>r</think> \boxed{7}"],
        ground_truths=["7", "7"],
        preset="r1-zero",
        extraction="marked",
    )
    assert [r["acc"] for r in batch] == [False, True]
    with pytest.raises(ValueError, match="extraction"):
        compute_score("gsm8k", text, "7", extraction="strict")


def test_verl_refuses_an_extraction_that_is_not_a_string():
    from r1reward.rewards.adapters import compute_score

    with pytest.raises(ValueError, match="must be strings"):
        compute_score("gsm8k", r"\boxed{7}", "7", extraction=["marked"])
