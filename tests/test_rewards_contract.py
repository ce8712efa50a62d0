"""The contract every reward keeps with a trainer, beyond its values: it survives pickling (TRL
and verl ship rewards to worker processes), it gives the same values when called from several
threads at once (TRL's async path), it scores through whatever executor its engine was given,
and the verifier behind it parses a repeated reference once per process."""

from __future__ import annotations

import asyncio
import copy
import importlib
import multiprocessing
import os
import pickle
import sys
import threading
from collections import Counter
from collections.abc import Hashable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from r1reward.rewards import (
    Accuracy,
    CodePass,
    CodePassRate,
    CosineLength,
    Engine,
    InlineExecutor,
    ItemResult,
    LanguageConsistency,
    ProcessExecutor,
    ReasoningSteps,
    RepetitionPenalty,
    Reward,
    SoftOverlong,
    TagCount,
    ThinkFormat,
    r1,
    r1_zero,
    weighted,
)
from r1reward.rewards.inputs import completion_text
from r1reward.verifiers.math import verified_part

# the jobs below, resolved by name in the scoring workers (as tests.core_jobs's are)
JOBS = "tests.test_rewards_contract"
# `r1reward.verifiers.math.verify` the attribute is the function; the module holds the cache
VERIFY = importlib.import_module("r1reward.verifiers.math.verify")
INLINE = Engine(workers=0)


def conv(content: str, reasoning: str | None = None) -> list[dict[str, str]]:
    """A conversational completion, as TRL passes it for chat datasets."""
    message = {"role": "assistant", "content": content}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    return [message]


DOUBLE = "```python\nprint(int(input()) * 2)\n```"  # passes both tests below
PLUS_FOUR = "```python\nprint(int(input()) + 4)\n```"  # passes the first test only
STDIO_TESTS = {"inputs": ["4\n", "5\n"], "outputs": ["8\n", "10\n"]}

# math (`solution` column), code with stdin/stdout tests, plain and conversational completions,
# a pre-filled prompt and a Chinese row: every reward below gives more than one distinct value
COMPLETIONS: list[Any] = [
    "<think>First, one half is one over two. Next, write it as a decimal. Finally, box it."
    "</think> The answer is \\boxed{0.5}.",
    conv("So the total is \\boxed{4}.", "Step 1: two apples and two apples. Step 2: count them."),
    "<think>Read n from the input and print twice n, as the tests expect.</think>\n" + DOUBLE,
    conv("<think>the answer the answer the answer the answer</think> It is \\boxed{7}."),
    conv("让我们一步一步地思考这个问题。首先计算，然后检查。答案是 \\boxed{3}。"),
    "<think>Add four to n; that should be the same as doubling it.</think>\n" + PLUS_FOUR,
]
SOLUTIONS: list[Any] = [r"\frac{1}{2}", "5", STDIO_TESTS, "7", "3", STDIO_TESTS]
PROMPTS = ["What is 1/2?", "2+2?", "Double n.", "<think>", "3?", "Double n."]


def twice_accuracy(completions: Sequence[Any], prompts: Any = None, **columns: Any) -> list:
    """A plain function with TRL's contract, as a weighted component (module level: picklable
    by reference, and importable by a spawned child)."""
    return [None if v is None else 2.0 * v for v in _ACCURACY(completions, prompts, **columns)]


_ACCURACY = Accuracy()


def all_rewards() -> list[Reward]:
    """One of each reward, with options that make their values depend on their settings."""
    return [
        Accuracy(),
        ThinkFormat(),
        TagCount(),
        LanguageConsistency("en"),
        CodePass(),
        CodePassRate(),
        CosineLength(unit="chars", max_len=200),
        SoftOverlong(unit="chars", max_len=150, cache_len=60),
        RepetitionPenalty(ngram_size=2),
        ReasoningSteps(target_steps=2),
        weighted(
            {TagCount(): 0.5, RepetitionPenalty(): 0.25, ReasoningSteps(): 2.0, twice_accuracy: 1},
            name="shaped",
        ),
        r1_zero(),
        r1("en"),
    ]


def score(reward: Reward) -> list[float | None]:
    """The reward's values on the mixed batch, as TRL calls it."""
    return reward(COMPLETIONS, PROMPTS, solution=SOLUTIONS)


@pytest.fixture(scope="module")
def expected() -> dict[str, list[float | None]]:
    """Each reward's values from a plain call in this process, by name."""
    return {reward.__name__: score(reward) for reward in all_rewards()}


def test_the_batch_discriminates(expected: dict[str, list[float | None]]) -> None:
    """Equal values below mean something only if each reward's values vary over the batch."""
    assert len(expected) == len(all_rewards())  # names are unique
    for name, values in expected.items():
        assert len(set(values)) > 1, (name, values)


# ---- 1. the parsed-reference cache --------------------------------------------------------------


def _gold_key(reference: str) -> str:
    """What `verify` parses for a reference: its extracted answer, normalised."""
    return VERIFY.normalize(VERIFY.extract_reference(reference))


# Answers equal to 1/2 or not, none equal to the reference as text: each reaches the parse tier.
HALVES = ["0.5", "2/4", "1/3", "0.25", r"\frac{2}{4}", "3/6", "0.50", r"\tfrac{1}{3}"]


def test_a_repeated_reference_is_parsed_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """A group of samples shares its reference: parsing it once per item would repeat the most
    expensive step of `verify` as many times as the group is large."""
    parsed: Counter[str] = Counter()
    real = VERIFY.parse

    def counting(text: str) -> Any:
        parsed[text] += 1
        return real(text)

    monkeypatch.setattr(VERIFY, "parse", counting)
    VERIFY.clear_caches()
    reference = r"\frac{1}{2}"
    acc = Accuracy(engine=Engine(executor=InlineExecutor(), inline_below=0))
    first = acc.details([rf"\boxed{{{x}}}" for x in HALVES[:4]], solution=[reference] * 4)
    second = acc.details([rf"\boxed{{{x}}}" for x in HALVES[4:]], solution=[reference] * 4)
    scored = first + second
    # every item compared parsed answers (not text): each needed the reference's parse
    assert all(s.info["method"] != "string" for s in scored), scored
    assert {s.value for s in scored} == {0.0, 1.0}
    assert parsed[_gold_key(reference)] == 1, parsed  # across both batches
    assert max(parsed.values()) == 1, parsed
    VERIFY.clear_caches()  # no entry parsed under the patch outlives it


_parse_counts: Counter[str] = Counter()


def count_parses(payload: tuple, timeout: float) -> int:
    """Job: count the math parser's calls in this worker from now on (idempotent)."""
    verify_module = importlib.import_module("r1reward.verifiers.math.verify")
    if not getattr(verify_module.parse, "_counting", False):
        real = verify_module.parse

        def counting(text: str) -> Any:
            _parse_counts[text] += 1
            return real(text)

        counting._counting = True  # type: ignore[attr-defined]
        verify_module.parse = counting
        verify_module.clear_caches()
    return os.getpid()


def parse_counts(payload: tuple, timeout: float) -> tuple[int, dict[str, int]]:
    """Job: (this worker's pid, parser calls per text since `count_parses`)."""
    return os.getpid(), dict(_parse_counts)


def test_a_scoring_worker_parses_a_repeated_reference_once() -> None:
    """The cache lives in each worker: a batch of one group, sent to one worker in several
    chunks, still parses its reference once."""
    engine = Engine(executor=ProcessExecutor(1), inline_below=0)
    try:
        [started] = engine.run(f"{JOBS}:count_parses", [(0,)])
        reference = r"\frac{1}{2}"
        completions = [rf"\boxed{{{x}}}" for x in HALVES] * 3
        completions = [c + " " * i for i, c in enumerate(completions)]  # distinct payloads
        values = Accuracy(engine=engine)(completions, solution=[reference] * len(completions))
        [counts] = engine.run(f"{JOBS}:parse_counts", [(1,)])
    finally:
        engine.close()
    assert started.status == counts.status == "ok", (started, counts)
    pid, parsed = counts.value
    assert pid == started.value  # one worker saw the whole batch
    assert values == Accuracy(engine=INLINE)(completions, solution=[reference] * len(completions))
    assert parsed.get(_gold_key(reference)) == 1, parsed
    assert max(parsed.values()) == 1, parsed


# ---- 2. a custom executor -----------------------------------------------------------------------


class RecordingExecutor:
    """An executor of the caller's own (the `Executor` protocol, not a subclass of ours): records
    every batch it is given and hands it to an InlineExecutor."""

    def __init__(self) -> None:
        self.inner = InlineExecutor()
        self.batches: list[tuple[str, list[Hashable]]] = []
        self.closed = False
        self._lock = threading.Lock()  # a weighted reward's components call at once

    def map(self, kind: str, payloads: Sequence[Hashable], timeout: float) -> list[ItemResult]:
        with self._lock:
            self.batches.append((kind, list(payloads)))
        return self.inner.map(kind, payloads, timeout)

    def close(self) -> None:
        self.closed = True

    def seen(self, kind: str) -> list[Hashable]:
        return [p for k, batch in self.batches if k == kind for p in batch]


def _big_batch() -> tuple[list[Any], list[str]]:
    """Twenty math rows, plain and conversational (at least 16: a weighted reward then runs
    its components in threads, and the engine's batches are past its inline threshold)."""
    completions: list[Any] = []
    solutions: list[str] = []
    for i in range(20):
        answer = 2 * i + i % 3  # right for a third of the rows
        text = f"<think>First, add {i} and {i}. Next, check it.</think> It is \\boxed{{{answer}}}."
        completions.append(conv(text) if i % 2 else text)
        solutions.append(str(2 * i))
    return completions, solutions


@pytest.mark.parametrize("preset", ["weighted", "r1"])
def test_a_custom_executor_scores_the_components_of_a_weighted_reward(preset: str) -> None:
    """A distributed executor plugged into the engine must see the work: a reward that went
    around it (a pool of its own, or inline) would score on the trainer's node."""
    recorder = RecordingExecutor()
    engine = Engine(executor=recorder)  # default settings: the batch is past inline_below

    def build(engine: Engine) -> Reward:
        if preset == "r1":
            return r1("en", engine=engine)
        return weighted(
            {
                Accuracy(engine=engine): 1.0,
                ThinkFormat(engine=engine): 0.5,
                LanguageConsistency("en", engine=engine): 0.25,
            },
            name="r1_style",
        )

    completions, solutions = _big_batch()
    values = build(engine)(completions, solution=solutions)
    engine.close()
    assert values == build(INLINE)(completions, solution=solutions)
    math_payloads = recorder.seen("math")
    assert [gold for gold, _ in math_payloads] == solutions
    assert [answer for _, answer in math_payloads] == [
        verified_part(completion_text(c)) for c in completions
    ]
    language_payloads = recorder.seen("language")
    assert len(language_payloads) == len(completions)
    assert {payload[1] for payload in language_payloads} == {"en"}
    assert recorder.closed  # the engine hands its executor's lifetime on


# ---- 3. dispatch by a `task` column -------------------------------------------------------------


class SpyEngine(Engine):
    """Inline scoring that records which job kind each payload went to."""

    def __init__(self) -> None:
        super().__init__(workers=0)
        self.kinds: list[tuple[str, list[Hashable]]] = []

    def run(self, kind: str, payloads: Sequence[Hashable], *, timeout: float = 1.0) -> list:
        self.kinds.append((kind, list(payloads)))
        return super().run(kind, payloads, timeout=timeout)


@pytest.mark.parametrize(
    "task",
    ["codecontests", "likaixin/TACO-verified", "livecodebench/code_generation", "APPS", "mbpp"],
)
def test_accuracy_scores_a_row_as_code_when_its_task_names_a_code_set(task: str) -> None:
    """Datasets that say what a row is in `task` (not `data_source`) must not have a code row's
    reference read as a math answer, whatever its shape."""
    spy = SpyEngine()
    completions = [DOUBLE, r"\boxed{8}", PLUS_FOUR]
    scored = Accuracy(engine=spy).details(
        completions, solution=["8", "8", "8"], task=[task, "math", task]
    )
    code = [p[0] for kind, batch in spy.kinds if kind == "code" for p in batch]
    math_answers = [p[1] for kind, batch in spy.kinds if kind == "math" for p in batch]
    assert code == [DOUBLE, PLUS_FOUR]
    assert math_answers == [r"\boxed{8}"]
    # scored by the code path: "8" holds no tests to run, which no math verdict would say
    assert [s.info["reason"] for s in scored] == ["no_tests", "equivalent", "no_tests"]
    assert [s.value for s in scored] == [None, 1.0, None]
    # without the column, the same rows are math
    untagged = Accuracy(engine=INLINE).details(completions, solution=["8", "8", "8"])
    assert all(s.info["reason"] != "no_tests" for s in untagged)


# ---- 4. pickling --------------------------------------------------------------------------------


@pytest.mark.parametrize("reward", all_rewards(), ids=lambda r: r.__name__)
@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_every_reward_survives_pickling_with_its_name_and_values(
    reward: Reward, how: str, expected: dict[str, list[float | None]]
) -> None:
    """TRL, verl and Ray ship reward objects to other processes: a copy that lost an option
    would score differently there, and one under another name would log under another key."""
    clone = pickle.loads(pickle.dumps(reward)) if how == "pickle" else copy.deepcopy(reward)
    assert clone is not reward and type(clone) is type(reward)
    assert clone.__name__ == reward.__name__
    assert score(clone) == expected[reward.__name__] == score(reward)


# ---- 5. TRL's async path ------------------------------------------------------------------------

ROUNDS = 4  # each batch this many times over, so calls of one reward overlap again and again


def test_concurrent_calls_from_asyncio_threads_give_the_plain_values() -> None:
    """TRL may run reward functions with `asyncio.to_thread`, several at once: calls on the same
    reward objects with different batches must not mix their state."""
    rewards = all_rewards()
    big, big_solutions = _big_batch()
    batches = [
        (COMPLETIONS, PROMPTS, SOLUTIONS),
        (big, None, big_solutions),
        (COMPLETIONS[::-1], PROMPTS[::-1], SOLUTIONS[::-1]),
    ]
    plain = [[r(c, p, solution=s) for c, p, s in batches] for r in rewards]

    async def all_at_once() -> list[list[float | None]]:
        # one reward's calls on the different batches side by side: they run in threads at once
        calls = [
            asyncio.to_thread(r, c, p, solution=s)
            for _ in range(ROUNDS)
            for r in rewards
            for c, p, s in batches
        ]
        return await asyncio.gather(*calls)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads switch every few bytecodes: races show up, not hide
    try:
        got = asyncio.run(all_at_once())
    finally:
        sys.setswitchinterval(interval)
    want = [values for _ in range(ROUNDS) for per_reward in plain for values in per_reward]
    assert got == want


# ---- 6. rewards inside spawned worker processes -------------------------------------------------


def score_in_child(reward: Reward) -> tuple[str, list[float | None]]:
    """Pool target: the unpickled reward's name and values on the mixed batch, in the child."""
    return reward.__name__, score(reward)


def test_rewards_score_alike_in_a_spawned_pool(expected: dict[str, list[float | None]]) -> None:
    """A data loader or Ray worker started with "spawn" gets the reward by pickle into a fresh
    interpreter (its own engine and caches): it must score as the parent does."""
    rewards = all_rewards()
    # not multiprocessing.Pool: a child that dies there loses its task and the map waits forever
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        results = list(pool.map(score_in_child, rewards, timeout=60))
    assert results == [(r.__name__, expected[r.__name__]) for r in rewards]
