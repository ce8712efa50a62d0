"""Properties of the reward functions (hypothesis): whatever a trainer hands them, every reward
returns one value per completion, in its documented range or None, and never raises."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from r1reward.rewards import (
    Accuracy,
    CosineLength,
    Engine,
    LanguageConsistency,
    ReasoningSteps,
    RepetitionPenalty,
    SoftOverlong,
    TagCount,
    ThinkFormat,
    r1,
)

INLINE = Engine(workers=0)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PIECES = [
    *("<think>", "</think>", "\\boxed{", "}", "2", "\\frac{1}{2}", " ", "\n", "We add.", "我们"),
    *("Answer: 3", "$x$", "```python\nprint(1)\n```", "<answer>", "</answer>", "\\", "{"),
]
TEXT = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)
MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(["assistant", "user"]), "content": st.one_of(TEXT, st.none())},
    optional={"reasoning_content": st.one_of(TEXT, st.none(), st.integers())},
)
# What trainers pass as a completion, and what a broken data pipeline might pass instead.
COMPLETION = st.one_of(TEXT, st.lists(MESSAGE, max_size=3), MESSAGE, st.none(), st.integers())
# References: math answers, nothing, junk (test-shaped references run programs: not here).
REFERENCE = st.one_of(
    st.sampled_from(["2", "\\frac12", "x^2", "", "  ", "\\boxed{}", "{", "[1, 2)", "A"]),
    st.none(),
    st.integers(),
    st.text(max_size=8),
)
TARGET = st.one_of(st.sampled_from(["en", "zh", "de", "xx", ""]), st.none())

# reward -> the values it may give (besides None)
RANGES = {
    "accuracy": lambda v: v in (0.0, 1.0),
    "think_format": lambda v: v in (0.0, 1.0),
    "tag_count": lambda v: 0.0 <= v <= 1.0,
    "language_consistency": lambda v: 0.0 <= v <= 1.0,
    "cosine_length": lambda v: -1.0 <= v <= 1.0,
    "soft_overlong": lambda v: -1.0 <= v <= 0.0,
    "repetition_penalty": lambda v: -1.0 <= v <= 0.0,
    "reasoning_steps": lambda v: 0.0 <= v <= 1.0,
    "r1": lambda v: 0.0 <= v <= 3.0,
}


def _rewards():
    return [
        Accuracy(engine=INLINE),
        ThinkFormat(engine=INLINE),
        TagCount(engine=INLINE),
        LanguageConsistency(engine=INLINE),
        CosineLength(max_len=50, engine=INLINE),
        SoftOverlong(max_len=40, cache_len=10, unit="chars", engine=INLINE),
        RepetitionPenalty(engine=INLINE),
        ReasoningSteps(engine=INLINE),
        r1(),
    ]


REWARDS = _rewards()
for _r in REWARDS[-1].components:  # the preset on the inline engine too
    _r[0]._engine = INLINE


@SETTINGS
@given(st.data())
def test_every_reward_gives_one_value_in_range_per_completion_and_never_raises(data):
    n = data.draw(st.integers(0, 6))
    completions = data.draw(st.lists(COMPLETION, min_size=n, max_size=n))
    solution = data.draw(st.lists(REFERENCE, min_size=n, max_size=n))
    target_lang = data.draw(st.lists(TARGET, min_size=n, max_size=n))
    prompts = data.draw(
        st.one_of(st.none(), st.lists(st.sampled_from(["Q", "Q <think>"]), min_size=n, max_size=n))
    )
    for reward in REWARDS:
        values = reward(completions, prompts, solution=solution, target_lang=target_lang)
        assert len(values) == n, reward.__name__
        for v in values:
            if v is not None:
                assert isinstance(v, float) and math.isfinite(v), (reward.__name__, v)
                assert RANGES[reward.__name__](v), (reward.__name__, v)
