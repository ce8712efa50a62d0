"""Reward options and outcomes a trainer depends on: preset names and engines, plain functions in
a weighted sum, options refused when a reward is built, timeouts and errors counted and scored
by policy, code items under their limits, and the pool's default size."""

from __future__ import annotations

import argparse
import os
import time

import pytest
from r1reward.rewards import (
    Accuracy,
    CodePassRate,
    CosineLength,
    Engine,
    LanguageConsistency,
    ReasoningSteps,
    RepetitionPenalty,
    SoftOverlong,
    ThinkFormat,
    core,
    jobs,
    r1,
    r1_zero,
    weighted,
)
from r1reward.sandbox.limits import Limits

MATH = [r"<think>so</think> \boxed{2}", r"<think>so</think> \boxed{3}"]


def short(completions, prompts=None, **columns) -> list[float]:
    """A reward function with TRL's contract, as users write them."""
    return [1.0 if len(c) < 30 else 0.0 for c in completions]


def test_presets_take_a_name_and_an_engine_for_every_component():
    engine = Engine(workers=0)
    for preset, name in (
        (r1_zero(name="mine", engine=engine), "mine"),
        (r1("en", name="r1_en", engine=engine), "r1_en"),
    ):
        assert preset.__name__ == name
        assert all(c._engine is engine for c, _ in preset.components)
        assert name not in [c.__name__ for c, _ in preset.components]  # not the accuracy's name
    assert r1_zero().__name__ == "r1_zero" and r1().__name__ == "r1"


def test_a_plain_reward_function_is_a_weighted_component_under_its_name():
    engine = Engine(workers=0)
    fmt = ThinkFormat(engine=engine)
    combined = weighted({short: 0.5, fmt: 1.0})
    completions = ["<think>a</think>b", "<think>a</think>" + "b" * 40, "no tags"]
    assert combined(completions) == [
        0.5 * s + f for s, f in zip(short(completions), fmt(completions), strict=True)
    ]
    assert combined.last_components["short"] == short(completions)


def test_weighted_refuses_what_cannot_score_when_built_not_in_the_trainer():
    with pytest.raises(ValueError, match="reward or a function"):
        weighted({"accuracy": 1.0})
    with pytest.raises(ValueError, match="__name__"):
        weighted({type("NoName", (), {"__call__": lambda self, c, **k: [0.0] * len(c)})(): 1.0})

    def wrong_length(completions, prompts=None, **columns):
        return [1.0]

    with pytest.raises(ValueError, match="1 values for 2 completions"):
        weighted({wrong_length: 1.0})(["a", "b"])


@pytest.mark.parametrize(
    "build",
    [
        lambda: CosineLength(unit="token"),
        lambda: SoftOverlong(unit="char"),
        lambda: RepetitionPenalty(ngram_size=2.5),
        lambda: RepetitionPenalty(ngram_size=True),
        lambda: RepetitionPenalty(max_penalty=float("nan")),
        lambda: Accuracy(code_limits={"wall_s": 1}),
        lambda: Accuracy(code_max_total_s=0),
        lambda: Accuracy(code_max_total_s=float("inf")),
    ],
)
def test_bad_options_fail_when_the_reward_is_built(build):
    with pytest.raises(ValueError):
        build()


def test_a_bullet_list_that_opens_the_reasoning_counts_every_item():
    steps = ReasoningSteps(target_steps=3)
    got = steps.details(["- a\n- b\n- c", "<think>\n* a\n* b\n* c</think> x", "x\n-3 and ---"])
    assert [s.info["steps"] for s in got] == [3, 3, 0]


@pytest.mark.parametrize("workers", [0, 1])
def test_a_math_check_that_runs_out_of_time_is_a_counted_timeout(workers):
    engine = Engine(workers=workers, inline_below=0)
    try:
        acc = Accuracy(engine=engine, timeout=0.0, timeout_value=-1.0)
        scored = acc.details(MATH, solution=["2", "3"])
        assert [s.value for s in scored] == [-1.0, -1.0]
        assert all(s.info["timed_out"] for s in scored)
        assert engine.last_stats.timeouts == 2 and engine.last_stats.errors == 0
        checked = Accuracy(engine=engine).details(MATH, solution=["2", "2"])
        assert [s.value for s in checked] == [1.0, 0.0] and engine.last_stats.timeouts == 0
    finally:
        engine.close()


def _raises(payload, timeout):
    raise RuntimeError("verifier bug")


@pytest.mark.parametrize("error_value", [None, 0.5])
def test_an_item_the_core_could_not_score_gets_error_value_in_every_reward(
    monkeypatch, error_value
):
    for kind in ("math", "format", "language"):
        monkeypatch.setitem(jobs._RESOLVED, kind, _raises)
    engine = Engine(workers=0)
    rewards = (
        Accuracy(engine=engine, error_value=error_value),
        ThinkFormat(engine=engine, error_value=error_value),
        LanguageConsistency("en", engine=engine, error_value=error_value),
    )
    for reward in rewards:
        scored = reward.details(MATH, solution=["2", "3"])
        assert [s.value for s in scored] == [error_value, error_value], reward.__name__
        assert all(s.info["reason"] == "error" for s in scored)
        assert engine.last_stats.errors == 2


SLEEPER = "<think>wait</think>\n```python\nimport time\ntime.sleep(100)\n```"


def test_code_items_run_under_the_rewards_limits_and_stop_at_the_items_bound():
    """A hanging program fails each test at the test's wall limit (0.5 s, not the default 10 s),
    and the tests not started within the item's bound (0.8 s) are not run: 2 of the 8 run, so
    the item ends in about a second, where the limit alone would take 4 s and the defaults 80."""
    tests = {"inputs": [f"{i}\n" for i in range(8)], "outputs": [f"{i}\n" for i in range(8)]}
    engine = Engine(workers=1)
    try:
        engine.sandbox()  # started before the clock: only the item is timed
        reward = CodePassRate(
            engine=engine, code_limits=Limits(cpu_s=1, wall_s=0.5), code_max_total_s=0.8
        )
        start = time.monotonic()
        scored = reward.details([SLEEPER], solution=[tests])[0]
        elapsed = time.monotonic() - start
    finally:
        engine.close()
    assert scored.value == 0.0 and scored.info["passed"] == 0 and scored.info["total"] == 8
    assert scored.info["failure"] == "timeout"
    assert elapsed < 3, elapsed


def test_the_pool_defaults_to_the_cpus_this_process_may_use(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3}, raising=False)
    assert core.default_workers() == 1
    assert Engine().workers == 1
    assert core.ProcessExecutor().workers == 1


def test_the_command_line_honours_workers(monkeypatch):
    from r1reward.rewards import cli

    # the command line makes its engine the process default: the other tests keep theirs
    for name in ("_default", "_default_pid", "_default_chosen"):
        monkeypatch.setattr(core, name, getattr(core, name))
    for asked, expected in ((0, 0), (1, 1), (None, core.default_workers())):
        engine = cli._engine(argparse.Namespace(workers=asked, no_sandbox=True))
        try:
            assert engine.workers == expected
        finally:
            engine.close()


def test_a_copy_in_this_process_shares_the_engine_a_pickled_one_does_not():
    import copy
    import pickle

    engine = Engine(workers=0)
    preset = r1("en", engine=engine, timeout=0.5)
    clone = copy.deepcopy(preset)
    assert clone is not preset and clone.components[0][0] is not preset.components[0][0]
    assert all(c._engine is engine for c, _ in clone.components)
    assert clone.components[0][0].timeout == 0.5
    shipped = pickle.loads(pickle.dumps(preset))
    assert all(c._engine is None for c, _ in shipped.components)
    batch = dict(completions=MATH, solution=["2", "3"])
    assert clone(**batch) == shipped(**batch) == preset(**batch)


def test_the_kind_of_a_row_comes_from_its_first_kind_column_with_a_value():
    """A concatenated dataset: one source's rows fill `data_source`, another's only `task`."""
    engine = Engine(workers=0)
    program = "```python\nprint(8)\n```"
    scored = Accuracy(engine=engine).details(
        [program, program], solution=["8", "8"], data_source=["gsm8k", None], task=[None, "apps"]
    )
    assert scored[0].value == 1.0 and scored[0].info["reason"] == "equivalent"  # math
    assert scored[1].value is None and scored[1].info["reason"] == "no_tests"  # code


def test_a_function_component_runs_in_the_calling_thread_as_trl_calls_it():
    """TRL calls reward functions in its own thread: a function that relies on it (math-verify's
    `signal.alarm` works in the main thread only) must not be moved to a pool thread, however
    large the batch; keyword arguments as TRL passes them (`def f(prompts, completions)`)."""
    import threading

    seen = []

    def where(prompts, completions, **columns):
        seen.append(threading.current_thread())
        return [1.0] * len(completions)

    engine = Engine(workers=0)
    inner = weighted({where: 1.0, ThinkFormat(engine=engine, name="inner_format"): 1.0})
    combined = weighted(
        {ThinkFormat(engine=engine): 1.0, inner: 1.0, LanguageConsistency("en", engine=engine): 1.0}
    )
    for n in (2, 40):
        combined(["<think>We reason here.</think> The answer."] * n)
    assert seen == [threading.current_thread()] * 2


def test_weighted_refuses_a_reward_class_and_an_async_function():
    async def later(completions, **columns):
        return [1.0] * len(completions)

    class Awaitable:
        __name__ = "awaitable"

        async def __call__(self, completions, **columns):
            return [1.0] * len(completions)

    for component, message in ((Accuracy, "the class"), (later, "async"), (Awaitable(), "async")):
        with pytest.raises(ValueError, match=message):
            weighted({component: 1.0})


def test_a_reward_pickled_before_its_newer_options_still_scores():
    """A reward's state from before an option existed lacks it: the class default applies."""
    engine = Engine(workers=0)
    old = {}
    for reward, added in (
        (
            Accuracy(engine=engine),
            ("error_value", "code_limits", "code_max_total_s", "extraction"),
        ),
        (ThinkFormat(engine=engine), ("error_value",)),
        (LanguageConsistency("en", engine=engine), ("error_value",)),
    ):
        for name in added:
            del reward.__dict__[name]
        old[reward.__name__] = reward
    assert old["accuracy"].code_max_total_s == 60.0 and old["accuracy"].code_limits is None
    assert old["accuracy"].extraction == "flexible"
    assert [s.value for s in old["accuracy"].details(MATH, solution=["2", "3"])] == [1.0, 1.0]
    assert old["think_format"](MATH) == [1.0, 1.0]
    assert old["language_consistency"](["We reason in English here."]) == [1.0]


def test_copies_honour_a_subclass_getstate_and_share_the_engine():
    import copy
    import threading

    class WithLock(ThinkFormat):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.lock = threading.Lock()

        def __getstate__(self):
            state = super().__getstate__()
            del state["lock"]
            return state

        def __setstate__(self, state):
            self.__dict__.update(state)
            self.lock = threading.Lock()

    engine = Engine(workers=0)
    reward = WithLock(engine=engine)
    for clone in (copy.deepcopy(reward), copy.copy(reward)):
        assert clone.lock is not reward.lock and clone._engine is engine
        assert clone(MATH) == reward(MATH)
