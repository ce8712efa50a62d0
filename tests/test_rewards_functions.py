"""Reward functions: TRL contract, semantics, composition, group statistics and adapters."""

from __future__ import annotations

import math
import pickle

import pytest
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
    group_stats,
    r1,
    r1_zero,
    weighted,
)
from r1reward.rewards.adapters import compute_score, reward_func
from r1reward.rewards.core import ERROR, ItemResult
from r1reward.rewards.functions import Reward, Scored

INLINE = Engine(workers=0)


def conv(content: str, reasoning: str | None = None) -> list[dict]:
    message = {"role": "assistant", "content": content}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    return [message]


def test_accuracy_plain_and_conversational_and_aliases():
    acc = Accuracy(engine=INLINE)
    completions = [r"<think>t</think> \boxed{2}", conv(r"\boxed{3}"), conv(r"\boxed{2}", "hmm")]
    assert acc(completions, solution=["2", "2", "2"]) == [1.0, 0.0, 1.0]
    assert acc(completions, answer=["2", "2", "2"]) == [1.0, 0.0, 1.0]
    assert acc(completions, ground_truth=["2", "2", "2"]) == [1.0, 0.0, 1.0]
    assert Accuracy(reference_columns=("gold",), engine=INLINE)(completions, gold=["3"] * 3) == [
        0.0,
        1.0,
        0.0,
    ]


def test_accuracy_is_none_without_a_reference():
    acc = Accuracy(engine=INLINE)
    assert acc([r"\boxed{1}", r"\boxed{1}"], solution=[None, ""]) == [None, None]
    assert acc([r"\boxed{1}"]) == [None]


def test_accuracy_reads_verl_reward_model_column():
    acc = Accuracy(engine=INLINE)
    assert acc([r"\boxed{5}"], reward_model=[{"ground_truth": "5"}]) == [1.0]


class _SpyEngine(Engine):
    """Records each batch's job kind and payloads, and scores nothing."""

    def __init__(self) -> None:
        super().__init__(workers=0)
        self.calls: list[tuple[str, list]] = []

    def run(self, kind, payloads, *, timeout=1.0):
        self.calls.append((kind, list(payloads)))
        return [ItemResult(ERROR, detail="spy")] * len(payloads)


def test_accuracy_dispatches_code_by_shape_and_data_source():
    spy = _SpyEngine()
    acc = Accuracy(engine=spy)
    acc(["print(1)"], solution=[{"inputs": ["1"], "outputs": ["1"]}])
    acc(["print(1)"], solution=['[{"input": "1", "output": "1"}]'])
    acc(["print(1)"], solution=[{"fn_name": "f", "inputs": [[1]], "outputs": [1]}])
    acc(["print(1)"], solution=["2"], data_source=["codecontests"])
    acc([r"\boxed{1}"], solution=["1"], data_source=["math"])
    assert [kind for kind, _ in spy.calls] == ["code", "code", "code", "code", "math"]


def test_timeout_is_scored_by_policy_and_flagged():
    acc = Accuracy(engine=INLINE, timeout=0.0, timeout_value=0.0)
    scored = acc.details([r"\boxed{\frac{1}{2}\sqrt{3}}"], solution=[r"\frac{\sqrt3}{2}"])
    assert scored[0].value == 0.0 and scored[0].info.get("timed_out") is True


def test_rewards_are_picklable_with_stable_names():
    for reward in (
        Accuracy(),
        ThinkFormat(),
        TagCount(),
        LanguageConsistency("en"),
        r1_zero(),
        r1("zh"),
    ):
        clone = pickle.loads(pickle.dumps(reward))
        assert clone.__name__ == reward.__name__
    assert [Accuracy().__name__, ThinkFormat().__name__, TagCount().__name__] == [
        "accuracy",
        "think_format",
        "tag_count",
    ]


def test_think_format_prefilled_and_graded():
    fmt = ThinkFormat(engine=INLINE)
    assert fmt(
        ["<think>a</think> b", "a</think> b", "no tags", "<think>a</think><think>b</think> c"]
    ) == [1.0, 1.0, 0.0, 0.0]
    assert fmt([conv("answer", reasoning="thinking")]) == [1.0]
    graded = TagCount(engine=INLINE)(["<think>a</think> b", "<think><think>a</think> b"])
    assert graded[0] == 1.0 and 0.0 <= graded[1] < 1.0


def test_plain_text_prompt_decides_whether_think_was_prefilled():
    fmt = ThinkFormat(engine=INLINE)
    completions = ["reasoning</think> 4", "reasoning</think> 4"]
    assert fmt(completions, prompts=["Question? <think>", "Question?"]) == [1.0, 0.0]
    assert ThinkFormat(engine=INLINE, prefilled_think=False)(
        completions, prompts=["Q <think>", "Q"]
    ) == [0.0, 0.0]


def test_language_consistency_target_fixed_or_from_column():
    lang = LanguageConsistency("zh", engine=INLINE, backend="script")
    values = lang(
        [
            "<think>我们先计算这个数的平方。</think> 4",
            "<think>We first compute the square.</think> 4",
        ]
    )
    assert values[0] == pytest.approx(1.0) and values[1] == pytest.approx(0.0)
    by_column = LanguageConsistency(engine=INLINE, backend="script")
    assert by_column(["<think>Хорошо, посчитаем.</think> 4", "x"], target_lang=["ru", None]) == [
        pytest.approx(1.0),
        None,
    ]


ZH_REASONING = "我们先来计算这两个数的和，然后再除以三。接下来验证一下结果是否正确。所以答案是四。"
EN_REASONING = "We add the two numbers and divide the sum by three, then we check the result."


@pytest.mark.parametrize("backend", ["script", "fasttext"])
def test_language_consistency_judges_the_answer_too_unless_told_cot(backend):
    # the review's hack: a one-word chain of thought, the mixed reasoning after `</think>`
    hack = f"<think>\nOk, let me reason about it.\n</think>\n{ZH_REASONING} $\\boxed{{4}}$"
    honest = f"<think>\n{EN_REASONING}\n</think>\nSo the answer is $\\boxed{{4}}$."
    field = conv("So the answer is four.", reasoning=ZH_REASONING)
    whole = LanguageConsistency("en", engine=INLINE, backend=backend)
    cot = LanguageConsistency("en", engine=INLINE, backend=backend, scope="cot")
    assert cot([hack]) == [1.0]
    assert whole([hack])[0] < 0.5
    assert whole([honest]) == cot([honest]) == [1.0]
    assert whole([field])[0] < 0.5 and cot([field]) == [0.0]
    # the tags are markup: their letters are no English in a Chinese completion
    assert LanguageConsistency("zh", engine=INLINE, backend=backend)(
        [f"<think>{ZH_REASONING}</think><answer>四</answer>"]
    ) == [1.0]
    with pytest.raises(ValueError, match="scope"):
        LanguageConsistency("en", scope="answer")


def test_language_consistency_masks_the_reasoning_and_the_answer_apart():
    # a fence opened in the thinking must not run on into the answer and mask English there
    english = "Let me now explain the whole solution again in English for the reader."
    crossing = f"<think>\n{ZH_REASONING}\n```\n</think>\n{english}\n```"
    lang = LanguageConsistency("zh", engine=INLINE, backend="script")
    assert lang([crossing])[0] == lang([f"<think>\n{ZH_REASONING}\n</think>\n{english}"])[0] < 0.8
    # a code block inside either part is still code
    code = "```python\nprint(total_of_all_the_values)\n```"
    assert lang([f"<think>\n{ZH_REASONING}\n{code}\n</think>\n{code}\n四"]) == [1.0]
    # the parts split where `check_format` ends the thinking, not at a tag inside code
    writes_tag = "```python\nstream.write('</think>')\nvalue_of_the_total = 4\n```"
    assert lang([f"<think>\n{ZH_REASONING}\n{writes_tag}\n</think>\n{ZH_REASONING}"]) == [1.0]


def test_cosine_length_clamped_and_none_for_bad_reference():
    cos = CosineLength(max_len=100, engine=INLINE)
    right_short, right_long = r"\boxed{2}", r"\boxed{2}" + " " * 500
    wrong_short, wrong_long = r"\boxed{3}", r"\boxed{3}" + " " * 500
    v = cos(
        [right_short, right_long, wrong_short, wrong_long, right_short],
        solution=["2", "2", "2", "2", ""],
    )
    assert v[0] > v[1] >= 0.5 and v[1] == pytest.approx(0.5)  # progress clamped at 1
    assert v[2] < v[3] <= -0.5 and v[2] == pytest.approx(-1.0, abs=0.01)
    assert v[4] is None  # open-r1 scores this 1.0


def test_soft_overlong_dapo():
    r = SoftOverlong(max_len=10, cache_len=4, unit="chars")
    assert r(["x" * 6, "x" * 8, "x" * 10, "x" * 11]) == [0.0, -0.5, -1.0, -1.0]
    assert SoftOverlong(max_len=10, cache_len=4)(["ignored"], completion_ids=[[1] * 8]) == [-0.5]
    with pytest.raises(ValueError):
        SoftOverlong(max_len=10, cache_len=4)(["no ids"])


def test_repetition_and_steps():
    rep = RepetitionPenalty(ngram_size=2, max_penalty=-1.0)
    v = rep(["a b a b a b a b", "the quick brown fox jumps", ""])
    assert v[0] < v[1] == 0.0 and v[2] == 0.0
    steps = ReasoningSteps()(
        ["<think>Step 1: a\nStep 2: b\nStep 3: c</think> x", "<think>just think</think> x"]
    )
    assert steps == [1.0, 0.0]


def test_weighted_sum_components_and_none_policy():
    w = weighted({Accuracy(engine=INLINE): 2.0, ThinkFormat(engine=INLINE): 0.5})
    values = w(
        [r"<think>t</think> \boxed{2}", r"\boxed{2}", "<think>t</think> x"],
        solution=["2", "2", None],
    )
    assert values == [2.5, 2.0, 0.5]
    assert w.last_components == {"accuracy": [1.0, 1.0, None], "think_format": [1.0, 0.0, 1.0]}
    scored = w.details(
        [r"<think>t</think> \boxed{2}", r"\boxed{2}", "<think>t</think> x"],
        solution=["2", "2", None],
    )
    assert [s.value for s in scored] == values
    assert scored[2].info["components"] == {"accuracy": None, "think_format": 1.0}
    assert scored[0].info["info"]["accuracy"]["reason"] == "equivalent"
    # every component not applicable: the sum is not applicable either (never 0.0)
    none_only = weighted({Accuracy(engine=INLINE): 1.0, LanguageConsistency(engine=INLINE): 1.0})
    assert none_only(["x", r"\boxed{2}"], solution=[None, "2"]) == [None, 1.0]
    with pytest.raises(ValueError):
        weighted({Accuracy(): 1.0, Accuracy(): 1.0})


def test_presets():
    zero = r1_zero()
    assert {r.__name__ for r, _ in zero.components} == {"accuracy", "think_format"}
    assert all(w == 1.0 for _, w in zero.components)
    full = r1("en")
    assert {r.__name__ for r, _ in full.components} == {
        "accuracy",
        "think_format",
        "language_consistency",
    }


def test_group_stats_advantages_and_zero_variance():
    s = group_stats([1.0, 0.0, 1.0, 1.0, 1.0, 1.0, None, 0.0, 0.0], 3)
    assert s.means[0] == pytest.approx(2 / 3) and s.stds[1] == 0.0
    assert s.advantages[0] == pytest.approx((1 - 2 / 3) / math.sqrt(2 / 9))
    assert s.advantages[3:6] == [0.0, 0.0, 0.0] and s.advantages[6] is None
    assert s.zero_variance_fraction == pytest.approx(2 / 3)
    assert group_stats([1.0, 0.0], ["a", "b"]).zero_variance_fraction == 1.0


def test_verl_compute_score_single_and_batch():
    one = compute_score("math", r"so \boxed{4}", "4")
    assert one["score"] == 1.0 and one["pred"] == "4" and one["reason"] == "equivalent"
    many = compute_score(
        data_sources=["m", "m"],
        solution_strs=[r"\boxed{1}", r"\boxed{2}"],
        ground_truths=["1", "1"],
        extra_infos=[None, None],
    )
    assert [d["score"] for d in many] == [1.0, 0.0]
    assert all(isinstance(d, dict) and "score" in d for d in many)


def test_openrlhf_reward_func():
    prompts = ["Q1 ", "Q2 "]
    queries = [p + r"<think>t</think> \boxed{7}" for p in prompts]
    out = reward_func(queries, prompts, ["7", "8"])
    assert out["rewards"] == [2.0, 1.0]
    # scores drive OpenRLHF's dynamic filtering, range (0, 1) by default: accuracy alone
    assert out["scores"] == [1.0, 0.0]
    assert out["extra_logs"] == {"accuracy": 0.5, "think_format": 1.0}


def test_openrlhf_scores_of_a_plain_reward_are_its_values():
    out = reward_func(["Q " + r"\boxed{7}"], ["Q "], ["7"], reward=Accuracy())
    assert out["rewards"] == out["scores"] == [1.0] and out["extra_logs"] == {}


class _MeetingEngine(Engine):
    """Each run waits for `parties` runs to be in flight at once: sequential calls time out."""

    def __init__(self, parties: int) -> None:
        import threading

        super().__init__(workers=0)
        self.meet = threading.Barrier(parties, timeout=5)
        self.kinds: list[str] = []

    def run(self, kind, payloads, *, timeout=1.0):
        self.kinds.append(kind)
        self.meet.wait()
        return super().run(kind, payloads, timeout=timeout)


def test_accuracy_runs_code_and_math_items_at_once():
    engine = _MeetingEngine(2)
    acc = Accuracy(engine=engine)
    completions = [r"\boxed{2}", "```python\nprint(int(input()) * 2)\n```", r"\boxed{3}"]
    refs = ["2", {"inputs": ["4\n"], "outputs": ["8\n"]}, "4"]
    assert acc(completions, solution=refs) == [1.0, 1.0, 0.0]
    assert sorted(engine.kinds) == ["code", "math"]
    engine.close()


# fails the first test; the second input makes it hang past any wall limit
_HANGS_ON_SECOND = (
    "```python\nimport time\nn = int(input())\nif n == 2:\n    time.sleep(100)\nprint(n)\n```"
)
_TWO_TESTS = {"inputs": ["1\n", "2\n"], "outputs": ["5\n", "2\n"]}


def test_pass_fail_code_credit_stops_at_the_first_failing_test():
    from r1reward.rewards.code_jobs import run_code_job
    from r1reward.rewards.functions import CodePass, CodePassRate

    spy = _SpyEngine()
    for reward in (Accuracy(engine=spy), CodePass(engine=spy), CodePassRate(engine=spy)):
        reward([_HANGS_ON_SECOND], solution=[_TWO_TESTS])
    payloads = [p for _, batch in spy.calls for p in batch]
    assert [p[3] for p in payloads] == [True, True, False]  # binary credit stops; partial not
    verdict = run_code_job(payloads[0], INLINE.sandbox(), 1.0).value
    # the hanging test never ran: the score was settled by the first
    assert [o.status for o in verdict.outcomes] == ["wrong_answer", "not_run"]
    scored = CodePass(engine=INLINE).details([_HANGS_ON_SECOND], solution=[_TWO_TESTS])[0]
    assert scored.value == 0.0 and scored.info["failure"] == "wrong_answer"


@pytest.mark.parametrize(
    ("program", "failure"),
    [
        ("```python\nprint(undefined_name)\n```", "runtime_error"),
        ("```python\nprint(2\n```", "compile_error"),
        ("```cpp\nint main() { return 0 }\n```", "compile_error"),
        ("Only JavaScript:\n```javascript\nconsole.log(2)\n```", "not_run"),  # no code found
    ],
)
def test_code_details_say_why_a_program_failed(program, failure):
    tests = {"inputs": ["1\n"], "outputs": ["2\n"]}
    if "cpp" in program:
        tests = {**tests, "language": "cpp"}
    scored = Accuracy(engine=INLINE).details([program], solution=[tests])[0]
    assert scored.value == 0.0 and scored.info["reason"] == "failed", scored
    assert scored.info["failure"] == failure, scored


def test_code_datasets_own_test_columns_are_references():
    # what TRL passes for MBPP, HumanEval and APPS/TACO rows: their own columns, by name
    add = "```python\ndef add(a, b):\n    return a + b\n```"
    sub = add.replace("a + b", "a - b")
    acc = Accuracy(engine=INLINE)
    mbpp = {"test_list": [["assert add(1, 2) == 3"]] * 2, "test_imports": [[], None]}
    assert acc([add, sub], **mbpp) == [1.0, 0.0]
    assert acc([add], test_list=[["assert add(1, 2) == 3"]], test_imports=[float("nan")]) == [1.0]
    apps = {"input_output": ['{"inputs": ["2\\n"], "outputs": ["4\\n"]}'] * 2}
    assert acc(["print(int(input()) * 2)", "print(5)"], **apps) == [1.0, 0.0]
    # merged datasets: each row reads the column it has
    mixed = {
        "input_output": [apps["input_output"][0], None],
        "test_list": [None, mbpp["test_list"][0]],
    }
    assert acc(["print(int(input()) * 2)", add], **mixed) == [1.0, 1.0]
    # HumanEval's checks need the helpers of its trusted prompt: its columns alone are no
    # reference (a wrong find_zero with its own poly passed HumanEval/32 that way)
    humaneval = {
        "test": ["def check(f):\n    assert f(1, 2) == 3\n"] * 2,
        "entry_point": ["add"] * 2,
    }
    assert acc([add, sub], **humaneval) == [None, None]
    # a reference column wins; a row without tests has no reference
    assert acc([add], solution=["3"], **{k: v[:1] for k, v in mbpp.items()}) == [0.0]
    assert acc([add, add], test_list=[None, ["assert add(1, 2) == 3"]]) == [None, 1.0]


def test_code_tests_that_cannot_run_are_not_applicable_and_say_why():
    scored = Accuracy(engine=INLINE).details(
        ["print(1)"], solution=[{"inputs": ["1"], "outputs": []}]
    )[0]
    assert scored.value is None and scored.info["reason"] == "no_tests"
    assert "differ in length" in scored.info["detail"]


class _Constant(Reward):
    """A user's reward: the same value for every item."""

    def __init__(self, value, name):
        super().__init__(name=name)
        self.value = value

    def details(self, completions, prompts=None, **columns):
        return [Scored(self.value) for _ in completions]


def test_weighted_skips_nan_components_as_trl_nansum():
    w = weighted({_Constant(float("nan"), "broken"): 1.0, _Constant(0.5, "fine"): 2.0})
    assert w(["a", "b"]) == [1.0, 1.0]
    only_nan = weighted({_Constant(float("nan"), "broken"): 1.0})
    assert only_nan(["a"]) == [None]


def test_weighted_runs_its_components_at_once_on_large_batches():
    engine = _MeetingEngine(2)
    w = weighted({Accuracy(engine=engine): 1.0, LanguageConsistency("en", engine=engine): 1.0})
    completions = [f"<think>We add the numbers {i}.</think> \\boxed{{{i}}}" for i in range(16)]
    values = w(completions, solution=[str(i) for i in range(16)])
    assert values == [2.0] * 16
    seq = weighted({Accuracy(engine=INLINE): 1.0, LanguageConsistency("en", engine=INLINE): 1.0})
    assert seq(completions, solution=[str(i) for i in range(16)]) == values


@pytest.mark.parametrize(
    ("reference", "declared", "kind"),
    [
        (None, None, None),
        ("", None, None),
        ("  \n", None, None),
        ("42", None, "math"),
        ("  \\frac{1}{2}", None, "math"),
        ("[1, 2)", None, "math"),  # an interval, not JSON
        ("[1, 2]", None, "math"),  # JSON, but not tests
        ('{"a": 1}', None, "math"),
        ('  [{"input": "1", "output": "2"}]', None, "code"),
        ('{"inputs": ["1"], "outputs": ["2"]}', None, "code"),
        ('{"test": "assert f()", "entry_point": "f"}', None, "code"),
        ({"fn_name": "f", "inputs": [], "outputs": []}, None, "code"),
        ([{"input": "1", "output": "2"}], None, "code"),
        ({"a": 1}, None, None),  # a mapping that is not tests names no answer
        (["2", "3"], None, "math"),  # acceptable alternatives
        ([[2, 3]], None, None),
        (7, None, "math"),
        (True, None, None),
        ("42", "apps", "code"),
        ("42", "openai/gsm8k", "math"),
        ("", "apps", None),
    ],
)
def test_dispatch_kind_from_the_reference_shape_or_the_declared_source(reference, declared, kind):
    from r1reward.rewards.functions import _kind

    assert _kind(reference, declared) == kind


def test_think_format_details_list_the_problems():
    from r1reward.rewards.functions import ThinkFormat

    (scored,) = ThinkFormat().details(["<think>\n\n</think>\n4"])
    assert scored.value == 0.0 and scored.info["problems"] == ["empty_think"]
