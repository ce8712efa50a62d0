"""One reading of conversational completions for every verifier and reward: content parts,
the reasoning field under any of its names, and pandas' missing values are read the same by
`check_format` called directly and by the rewards built on it."""

from __future__ import annotations

import math

import pytest
from r1reward.rewards import Engine, LanguageConsistency, ThinkFormat
from r1reward.verifiers.language import cot_language_share
from r1reward.verifiers.think import check_format

WELL_FORMED = [
    {"role": "assistant", "content": [{"type": "text", "text": "<think>r</think>4"}]},
    {"role": "assistant", "reasoning_content": "", "reasoning": "r", "content": "4"},
    {"role": "assistant", "thinking": "r", "content": "4"},  # transformers, Ollama
    {"role": "assistant", "reasoning_content": math.nan, "content": "<think>r</think>4"},
    [{"role": "user", "content": "q"}, {"role": "assistant", "reasoning": "r", "content": "4"}],
]


@pytest.mark.parametrize("message", WELL_FORMED)
def test_every_shape_a_reward_reads_the_checker_reads(message):
    assert check_format(message), message
    assert ThinkFormat(engine=Engine(workers=0))([message]) == [1.0]


def test_the_chain_of_thought_comes_from_any_reasoning_field():
    message = {"role": "assistant", "thinking": "我们先计算导数。", "content": "4"}
    assert cot_language_share(message, "zh") == 1.0
    reward = LanguageConsistency("zh", scope="cot", engine=Engine(workers=0))
    assert reward([message]) == [1.0]


def test_content_that_is_not_text_is_not_a_completion():
    verdict = check_format({"role": "assistant", "content": 42})
    assert not verdict and verdict.problems == ("not_text",)
    assert check_format([1, 2]).problems == ("not_text",)
