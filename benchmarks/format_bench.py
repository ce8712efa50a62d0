# ruff: noqa: E501  (tables of literal cases read better unwrapped)
"""Format checking: r1reward's check_format vs TRL's and open-r1's regexes, speed and agreement.

Run: python benchmarks/format_bench.py  (prints tables, writes benchmarks/results/format.md)

The peers' regexes are reproduced verbatim (no peer package needed):
- TRL `think_format_reward`, trl/rewards/format_rewards.py (huggingface/trl, commit 05dc6bd):
      pattern = r"^<think>(?!.*<think>)(.*?)</think>.*$"; re.match(pattern, content, DOTALL|MULTILINE)
- open-r1 `format_reward` and `tag_count_reward`, src/open_r1/rewards.py (huggingface/open-r1,
  commit 0056faa):
      pattern = r"^<think>\\n.*?\\n</think>\\n<answer>\\n.*?\\n</answer>$"; re.match(..., DOTALL|MULTILINE)
      tag_count: 0.25 each for text.count("<think>\\n") == 1, "\\n</think>\\n", "\\n<answer>\\n",
      "\\n</answer>"
"""

from __future__ import annotations

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from _results import write_results  # benchmarks/ is on sys.path when run as a script
from r1reward.verifiers.think import check_format, format_scores

TRL = re.compile(r"^<think>(?!.*<think>)(.*?)</think>.*$", re.DOTALL | re.MULTILINE)
OPENR1 = re.compile(r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$", re.DOTALL | re.MULTILINE)


def trl_think_format(text: str) -> float:
    return 1.0 if TRL.match(text) else 0.0


def openr1_format(text: str) -> float:
    return 1.0 if OPENR1.match(text) else 0.0


def openr1_tag_count(text: str) -> float:
    count = 0.0
    if text.count("<think>\n") == 1:
        count += 0.25
    if text.count("\n</think>\n") == 1:
        count += 0.25
    if text.count("\n<answer>\n") == 1:
        count += 0.25
    if text.count("\n</answer>") == 1:
        count += 0.25
    return count


# (name, completion, options for check_format, expected well-formed?, which setting it is)
# "think" cases: answer tags optional; "answer" cases: answer tags required (open-r1's setting).
FENCE = "```python\nprint('</think>')\n```"
CASES: list[tuple[str, str, dict, bool]] = [
    ("plain think + answer", "<think>\nreason\n</think>\nThe answer is 4.", {}, True),
    ("leading whitespace", "\n  <think>\nreason\n</think>\n4", {}, True),
    (
        "pre-filled <think> (Qwen3/R1-distill)",
        "reason\n</think>\n4",
        {"prefilled_think": True},
        True,
    ),
    ("two think blocks", "<think>\na\n</think>\nx\n<think>\nb\n</think>\n4", {}, False),
    ("nested <think>", "<think>\na <think> b\n</think>\n4", {}, False),
    ("unclosed think", "<think>\nreason forever", {}, False),
    ("no answer after </think>", "<think>\nreason\n</think>\n", {}, False),
    ("empty thinking", "<think>\n\n</think>\n4", {}, False),
    ("text before <think>", "Sure!\n<think>\nreason\n</think>\n4", {}, False),
    ("tag inside code fence", f"<think>\nI print a tag:\n{FENCE}\n</think>\n4", {}, True),
    ("repeated </think> as the answer", "<think>\nreason\n</think>\n</think>", {}, False),
    (
        "code in a list item (indented fence)",
        "<think>\n1. Draft:\n    ```python\n    print('</think>')\n    ```\n</think>\n4",
        {},
        True,
    ),
    (
        "answer tags, well formed",
        "<think>\nr\n</think>\n<answer>\n4\n</answer>",
        {"answer_tags": "required"},
        True,
    ),
    (
        "answer tags, text after </answer>",
        "<think>\nr\n</think>\n<answer>\n4\n</answer>\nP.S. 5",
        {"answer_tags": "required", "strict": True},
        False,
    ),
    (
        "answer tags, two think blocks",
        "<think>\na\n</think>\n<think>\nb\n</think>\n<answer>\n4\n</answer>",
        {"answer_tags": "required"},
        False,
    ),
    (
        "answer tags, two answers",
        "<think>\nr\n</think>\n<answer>\n4\n</answer>\n<answer>\n5\n</answer>",
        {"answer_tags": "required"},
        False,
    ),
    (
        "answer tags, empty answer",
        "<think>\nr\n</think>\n<answer>\n\n</answer>",
        {"answer_tags": "required"},
        False,
    ),
    (
        "answer tags, no newlines",
        "<think>r</think><answer>4</answer>",
        {"answer_tags": "required"},
        True,
    ),
    ("answer tags, missing", "<think>\nr\n</think>\n4", {"answer_tags": "required"}, False),
    (
        "answer tags, pre-filled",
        "r\n</think>\n<answer>\n4\n</answer>",
        {"answer_tags": "required", "prefilled_think": True},
        True,
    ),
]
# Inputs that fool a graded (partial-credit) reward: (name, completion); truth is "not 1.0".
GRADED_TRAPS = [
    ("tags in wrong order", "</answer>\n<answer>\n\n</think>\n<think>\n"),
    ("empty shell, no reasoning", "<think>\n\n</think>\n<answer>\n\n</answer>"),
    ("tags repeated inside answer", "<think>\nr\n</think>\n<answer>\n4\n</answer>\n<answer>\n"),
    ("a doubled <think> as the thinking", "<think>\n<think>\n</think>\n<answer>\n4\n</answer>"),
]


def agreement() -> tuple[list[str], list[str]]:
    rows, wrong = [], []
    for name, text, opts, truth in CASES:
        ours = bool(check_format(text, **opts))
        trl = trl_think_format(text) == 1.0
        o1 = openr1_format(text) == 1.0
        uses_answer = opts.get("answer_tags") == "required"

        def mark(v: bool, applicable: bool = True, truth: bool = truth) -> str:
            if not applicable:
                return "n/a"
            return ("ok" if v == truth else "**WRONG**") + f" ({int(v)})"

        r = (name, str(int(truth)), mark(ours), mark(trl, not uses_answer), mark(o1, uses_answer))
        rows.append("| " + " | ".join(r) + " |")
        for peer, v, appl in (
            ("TRL think_format_reward", trl, not uses_answer),
            ("open-r1 format_reward", o1, uses_answer),
        ):
            if appl and v != truth:
                wrong.append(
                    f"- {peer} says {int(v)} for *{name}* (should be {int(truth)}): `{text!r}`"
                )
        if ours != truth:
            wrong.append(f"- r1reward says {int(ours)} for *{name}* (should be {int(truth)})")
    for name, text in GRADED_TRAPS:
        ours = check_format(text, answer_tags="required").score
        o1 = openr1_tag_count(text)
        rows.append(
            f"| graded: {name} | <1 | {'ok' if ours < 1 else '**WRONG**'} ({ours:.2f}) | n/a | "
            f"{'ok' if o1 < 1 else '**WRONG**'} ({o1:.2f}, tag_count) |"
        )
        if o1 == 1.0:
            wrong.append(f"- open-r1 tag_count_reward gives 1.0 to *{name}*: `{text!r}`")
    return rows, wrong


def _best_rate(fn, batch: list[str], repeat: int) -> float:
    """Seconds per check, best of `repeat` passes (the machine is shared: the best pass is the
    one least disturbed by other processes)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(batch)
        best = min(best, time.perf_counter() - t0)
    return best / len(batch)


def _each(f):
    def run(batch: list[str]) -> None:
        for t in batch:
            f(t)

    return run


def speed(n: int = 50_000, repeat: int = 5) -> list[str]:
    texts = [c[1] for c in CASES] * (n // len(CASES))
    well_formed = [c[1] for c in CASES if check_format(c[1])] * (n // len(CASES))
    long_cot = (
        "<think>\n"
        + ("Let me reason about this step by step. " * 50)
        + "\n</think>\n<answer>\n4\n</answer>"
    )
    draft = (
        "```python\ndef smallest(a):\n    best = a[0]\n    for x in a[1:]:\n"
        "        if x < best:\n            best = x\n    return best\n```\n"
    )
    # a code task's completion: drafts in fences inside the thinking, the program after it
    code_cot = (
        "<think>\n"
        + ("Let me write a first version and test it on a small list.\n" + draft) * 7
        + "\n</think>\n"
        + draft
    )
    rows = []
    auto = {"prefilled_think": "auto"}  # the reward's default: the completion tells
    for label, batch, opts in (
        ("edge-case matrix (short)", texts, {}),
        ("well-formed cases of the matrix", well_formed, {}),
        ("2 KB chain of thought", [long_cot] * (n // 5), {}),
        # a completion the length limit cut off inside its thinking (common in RL)
        (
            "2 KB chain of thought, cut off",
            [long_cot[: long_cot.index("\n</think>")]] * (n // 5),
            {},
        ),
        ("2 KB code completion (fenced code with `<`)", [code_cot] * (n // 5), {}),
        # R1-distill / Qwen3: the chat template pre-filled `<think>`
        ("2 KB chain of thought, `<think>` pre-filled", [long_cot[7:]] * (n // 5), auto),
    ):
        for fname, fn in (
            ("r1reward check_format, one call each", _each(lambda t, o=opts: check_format(t, **o))),
            ("r1reward format_scores, batched", lambda b, o=opts: format_scores(b, **o)),
            ("TRL think_format_reward regex", _each(trl_think_format)),
            ("open-r1 format_reward regex", _each(openr1_format)),
            ("open-r1 tag_count_reward", _each(openr1_tag_count)),
        ):
            dt = _best_rate(fn, batch, repeat)
            rows.append(f"| {label} | {fname} | {1 / dt:,.0f} | {dt * 1e6:.2f} |")
    return rows


def adversarial() -> list[str]:
    rows = []
    for name, text in (
        ("1 MB of `<think>`", "<think>" * 150_000),
        ("`<think>` + 1 MB of `<`", "<think>" + "<" * 1_000_000),
        ("`<think>\\n` + 1 MB of text, no close", "<think>\n" + "a" * 1_000_000),
    ):
        cells = []
        for fn in (lambda t: check_format(t), trl_think_format, openr1_format):
            t0 = time.perf_counter()
            fn(text)
            cells.append(f"{(time.perf_counter() - t0) * 1e3:.1f} ms")
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return rows


def main() -> None:
    agree, wrong = agreement()
    out = [
        "# Format checking: r1reward vs TRL and open-r1",
        "",
        f"Python {sys.version.split()[0]}, one core. `python benchmarks/format_bench.py`.",
        "",
        "## Agreement on the edge-case matrix",
        "",
        "Truth is the rule set of `r1reward.verifiers.think`. TRL's reward does not look at answer"
        " tags and open-r1's requires them, so each peer is judged on the cases of its own setting"
        " (n/a otherwise). Cell: verdict (score).",
        "",
        "| case | truth | r1reward | TRL think_format_reward | open-r1 format_reward |",
        "| --- | --- | --- | --- | --- |",
        *agree,
        "",
        "### Where the others are wrong",
        "",
        *(wrong or ["- nowhere"]),
        "",
        "## Speed (checks per second, one core)",
        "",
        "Best of 5 passes over each batch (the machine is shared; the best pass is the least"
        " disturbed). *well-formed cases*: the matrix cases our checker accepts, the shape of"
        " nearly every completion in training.",
        "",
        "| inputs | checker | checks/s | µs/check |",
        "| --- | --- | --- | --- |",
        *speed(),
        "",
        "## Adversarial inputs (time for one check)",
        "",
        "| input | r1reward | TRL regex | open-r1 regex |",
        "| --- | --- | --- | --- |",
        *adversarial(),
        "",
    ]
    text = "\n".join(out)
    print(text)
    write_results("format.md", text)


if __name__ == "__main__":
    main()
