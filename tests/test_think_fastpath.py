"""The fast paths of `think.check_format` against the general code they short-cut."""

from __future__ import annotations

import random

import pytest
from r1reward.verifiers import think

_TOKENS = [
    *("<think>", "</think>", "<answer>", "</answer>", "\n", " ", "\t", "x", "ab"),
    *("```", "~~~", "\n```\n", "`", "~", "<", "<<", "</", "<thi", "<answer"),
    *("\n</think>\n", "\n </answer>\n", "\n<think>\n"),
]
_ANSWER = "<answer>4</answer>"


def _texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    out = ["<think>" + "a<b" * k + "</think>x" for k in (0, 1, 70)]  # past the scan's miss limit
    for pre in ("", " \n", "x"):  # the common shapes, with every kind of emptiness
        for body in ("", "\n", "r", "..."):
            for mid in ("", " ", "x"):
                for ans in ("", "\n", "4"):
                    for post in ("", "\n", "p"):
                        out.append(f"{pre}<think>{body}</think>{mid}{ans}{post}")
                        out.append(f"{pre}<think>{body}</think>{mid}<answer>{ans}</answer>{post}")
            out.append(f"{pre}<think>{body}{mid}")  # cut off inside the thinking
            for ans in ("", "\n", "4"):  # the prompt opened the thinking (R1-distill, Qwen3)
                out.append(f"{pre}{body}</think>{mid}{ans}")
                out.append(f"{pre}{body}</think>{mid}<answer>{ans}</answer>")
    for body in (" ", "\t", " \n\t\n ", ".", "-\u3164-"):  # empty thinking, every answer part
        for pre in ("", "\n", "x"):
            for rest in ("", " ", "4", "<answer></answer>", "<answer>\n</answer>", _ANSWER):
                for post in ("", "\n", "p"):
                    out.append(f"{pre}<think>{body}</think>{rest}{post}")
                    out.append(f"{pre}{body}</think>{rest}{post}")  # pre-filled
    # fenced code, in the thinking and in the answer, holding `<` and tags (code tasks): the fast
    # path skips what a closed fence holds and nothing else
    fences = ("```python\nif a < b: print('</think>')\n```", "~~~\n<think>\n~~~", "````\n<<\n````")
    for fence in (*fences, "```\n</think>", "x ```<answer>```", "  ```\n<\n```  x\n```"):
        for shape in (
            "<think>\n{f}\n</think>\n4",
            "<think>\nr\n</think>\n{f}\n",
            "<think>\n{f}\n</think>\n<answer>\n{f}\n</answer>",
            "<think>\n{f}\n{f}",  # cut off
            "r\n{f}\n</think>\n{f}",  # pre-filled
            "{f}\n<think>\nr\n</think>\n4",
            "<think>\nr\n</think>\n{f}\n<answer>4</answer>",
        ):
            out.append(shape.format(f=fence))
    for _ in range(n):
        out.append("".join(rng.choice(_TOKENS) for _ in range(rng.randint(0, 12))))
    return out


def _code_task_texts() -> list[str]:
    """A code task's completions: drafts in fences, `</think>` on a line of its own, the program
    after it; whether a fence can hide a tag decides whether `_unfenced_block` may judge one."""
    out = []
    draft = "```python\nif a < b:\n    return a\n```"
    for think_line in ("</think>", "  </think>\t", "</think> x", "x</think>", " </think>"):
        for before in ("", "\n", "x\n", "```\n", "~~~\n<think>\n~~~\n"):
            for thinking in (
                *(f"r\n{draft}\n{draft}", "r\n```python\nopen draft", f"{draft}\n"),
                # other tags, or text ending as one, in the thinking the scan must not miss
                *(f"r </think>x\n{draft}", "r\n</think>\n", "re<think>\n", "a rethink> b"),
            ):
                for after in ("\n4", f"\n{draft}", "\n```\nprint('<think>')\n```", "\n"):
                    for after2 in (
                        *("", "\n```\n<answer>\n```", "\n```\n</think>\n```"),
                        *("\n<answer>\n4\n</answer>", "\n<think>\nagain", "\n```\n<think>"),
                    ):
                        body = f"\n{thinking}\n{think_line}{after}{after2}"
                        out.append(f"{before}<think>{body}")
                        out.append(f"{before}{body}")  # pre-filled
    out.append(f"<think>\nr\n{draft}\n</think>")  # the tag ends the text
    return out


@pytest.mark.parametrize("seed", range(3))
def test_default_scan_finds_what_per_tag_find_finds(seed):
    for text in _texts(seed, 500):
        scanned = think._scan_default(text)
        if scanned is not None:
            assert scanned == think._find_tags(text, think._DEFAULT_THINK, think._DEFAULT_ANSWER)


@pytest.mark.parametrize("seed", range(3))
def test_check_format_judges_as_the_general_rules_judge(seed):
    common = fenced_fast = 0
    for text in _texts(seed, 500):
        tags = think._tags(text, think._DEFAULT_THINK, think._DEFAULT_ANSWER)
        if not think._no_fence(text):
            fenced_fast += think._fast(text, "auto", "optional", False, False, True) is not None
        kinds = [t[0] for t in tags]
        common += kinds in (
            ["think"],
            ["think", "/think"],
            ["think", "/think", "answer", "/answer"],
            ["/think"],
            ["/think", "answer", "/answer"],
        )
        for mode in think.ANSWER_MODES:
            for strict in (False, True):
                for allow_empty in (False, True):
                    for prefilled in (False, "auto", True):
                        opts = dict(answer_tags=mode, strict=strict, allow_empty_think=allow_empty)
                        fast = think.check_format(text, prefilled_think=prefilled, **opts)
                        slow = think._judge_tags(text, tags, prefilled, mode, strict, allow_empty)
                        assert fast == slow, (text, opts, prefilled)
                        if think.EMPTY_THINK in fast.problems:  # skipping the reasoning
                            assert fast.score <= 0.5, (text, opts, prefilled)
                        assert type(fast.score) is type(slow.score)
    assert common > 400
    assert fenced_fast > 30  # the fast path judges fenced completions too


def test_code_task_completions_are_judged_as_the_general_rules_judge():
    """`_unfenced_block` judges without reading the fences: only where none can hide a tag."""
    unfenced = 0
    for text in _code_task_texts():
        tags = think._tags(text, think._DEFAULT_THINK, think._DEFAULT_ANSWER)
        unfenced += think._unfenced_block(text, "auto") is not None
        for mode in think.ANSWER_MODES:
            for prefilled in (False, "auto", True):
                for allow_empty in (False, True):
                    opts = dict(answer_tags=mode, allow_empty_think=allow_empty)
                    fast = think.check_format(text, prefilled_think=prefilled, **opts)
                    slow = think._judge_tags(text, tags, prefilled, mode, False, allow_empty)
                    assert fast == slow, (text, opts, prefilled)
                    score = think.format_scores([text], prefilled_think=prefilled, **opts)
                    assert score == [fast.score], (text, opts, prefilled)
    assert unfenced > 100  # many are judged without reading their fences


def test_verdict_constructor_builds_the_dataclass():
    v = think._verdict(False, ("x",), "r", None, 0.5, "tags", "d")
    assert v == think.FormatVerdict(False, ("x",), "r", None, 0.5, "tags", "d")
    with pytest.raises(AttributeError):
        v.ok = True  # type: ignore[misc]


_MESSAGES = [
    {"role": "assistant", "reasoning_content": "r", "content": "4"},
    [{"role": "user", "content": "q"}, {"role": "assistant", "content": "<think>r</think>4"}],
    None,
    b"<think>r</think>4",
    "<think>r</think>" + "4" * 50,  # over the size limit below
]


@pytest.mark.parametrize("seed", range(2))
def test_format_scores_is_the_score_of_each_check(seed):
    """The batch skips building verdicts for well-formed completions of the usual shapes; its
    scores must be check_format's, whatever the options and the completion."""
    batch = [*_texts(seed, 300), *_MESSAGES]
    for mode in think.ANSWER_MODES:
        for strict in (False, True):
            for allow_empty in (False, True):
                for prefilled in (False, "auto", True, 1, 0):
                    opts = dict(
                        answer_tags=mode,
                        strict=strict,
                        allow_empty_think=allow_empty,
                        prefilled_think=prefilled,
                    )
                    expected = [think.check_format(c, **opts).score for c in batch]
                    assert think.format_scores(batch, **opts) == expected, opts
    for opts in (
        {"max_chars": 40},
        {"think_tags": ("<reasoning>", "</reasoning>")},
        {"answer_tag_names": ("<final>", "</final>"), "answer_tags": "required"},
        {"think_tags": ["<think>", "</think>"]},  # equal tags given as a list, as configs do
    ):
        expected = [think.check_format(c, **opts).score for c in batch]
        assert think.format_scores(batch, **opts) == expected, opts
    assert 0.0 < sum(think.format_scores(batch)) < len(batch)  # the batch has both outcomes


@pytest.mark.parametrize(
    "opts, error",
    [
        ({"answer_tags": "always"}, ValueError),
        ({"prefilled_think": "maybe"}, ValueError),
        ({"no_such_option": 1}, TypeError),
    ],
)
def test_format_scores_refuses_bad_options_even_for_an_empty_batch(opts, error):
    with pytest.raises(error):
        think.format_scores([], **opts)
