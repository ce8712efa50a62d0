"""The fast paths of `think.check_format` against the general code they short-cut."""

from __future__ import annotations

import random

import pytest
from r1reward.verifiers import think

_TOKENS = [
    *("<think>", "</think>", "<answer>", "</answer>", "\n", " ", "\t", "x", "ab"),
    *("```", "~~~", "\n```\n", "`", "~", "<", "<<", "</", "<thi", "<answer"),
]


def _texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    out = ["<think>" + "a<b" * k + "</think>x" for k in (0, 1, 70)]  # past the scan's miss limit
    for _ in range(n):
        out.append("".join(rng.choice(_TOKENS) for _ in range(rng.randint(0, 12))))
    return out


@pytest.mark.parametrize("seed", range(3))
def test_default_scan_finds_what_per_tag_find_finds(seed):
    for text in _texts(seed, 800):
        scanned = think._scan_default(text)
        if scanned is not None:
            assert scanned == think._find_tags(text, think._DEFAULT_THINK, think._DEFAULT_ANSWER)


@pytest.mark.parametrize("seed", range(3))
def test_common_shapes_judged_as_the_general_rules_judge_them(seed):
    hits = 0
    for text in _texts(seed, 800):
        tags = think._tags(text, think._DEFAULT_THINK, think._DEFAULT_ANSWER)
        for mode in think.ANSWER_MODES:
            for strict in (False, True):
                for allow_empty in (False, True):
                    fast = think._judge_common(text, tags, mode, strict, allow_empty)
                    if fast is None:
                        continue
                    hits += 1
                    for prefilled in (False, "auto"):
                        slow = think._judge_tags(text, tags, prefilled, mode, strict, allow_empty)
                        assert fast == slow, (text, mode, strict, allow_empty, prefilled)
                        assert type(fast.score) is type(slow.score)
    assert hits > 100


def test_verdict_constructor_builds_the_dataclass():
    v = think._verdict(False, ("x",), "r", None, 0.5, "tags", "d")
    assert v == think.FormatVerdict(False, ("x",), "r", None, 0.5, "tags", "d")
    with pytest.raises(AttributeError):
        v.ok = True  # type: ignore[misc]
