"""The verl and OpenRLHF adapters, called exactly as the trainers call them.

Each test names the trainer code it reproduces. Neither trainer (nor torch) is imported: the
numpy arrays verl passes are stood in for by `ObjectArray`, and what the trainers do with the
results (stack a key into an array, `float(result[0])`, `torch.tensor([value])`) is checked on
plain values.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import pickle
import sys
from pathlib import Path

import pytest
from r1reward.rewards import Engine, adapters
from r1reward.rewards.core import ERROR, ItemResult, set_default_engine

from tests.stand_ins import ObjectArray

ADAPTERS_PATH = adapters.__file__


@pytest.fixture
def engine_swap():
    """Score with the given engine as the process default (the adapters use the default)."""
    from r1reward.rewards import core

    previous = core._default

    def use(engine):
        set_default_engine(engine)
        return engine

    yield use
    if previous is not None:
        set_default_engine(previous)


@pytest.fixture
def inline(engine_swap):
    return engine_swap(Engine(workers=0))


# ---- loading the file by its path ---------------------------------------------------------------


def load_like_verl(path):
    """verl/utils/import_utils.py `load_module` (what `get_custom_reward_fn` in
    verl/trainer/ppo/reward.py calls through `load_extern_object`): a spec named
    `custom_module_<hash>`, executed, and not added to `sys.modules`."""
    spec = importlib.util.spec_from_file_location(
        f"custom_module_{hash(os.path.abspath(path))}", path
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_like_legacy_verl(path):
    """Earlier verl `get_custom_reward_fn`: `spec_from_file_location("custom_module", path)`,
    registered in `sys.modules` before it runs."""
    spec = importlib.util.spec_from_file_location("custom_module", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["custom_module"] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["custom_module"]
    return module


def load_like_openrlhf(path):
    """OpenRLHF openrlhf/utils/rollout.py `RolloutAndRewardWorker.__init__` (and the earlier
    `RemoteRewardModel` in remote_rm_utils.py): `spec_from_file_location("reward_func", path)`."""
    spec = importlib.util.spec_from_file_location("reward_func", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("load", [load_like_verl, load_like_legacy_verl, load_like_openrlhf])
def test_the_file_loads_by_its_path_and_hands_out_the_package_functions(load):
    # a relative import in the file failed here: "attempted relative import with no known parent"
    module = load(ADAPTERS_PATH)
    assert module.compute_score is adapters.compute_score
    assert module.reward_func is adapters.reward_func


def test_an_edited_copy_keeps_its_own_functions(tmp_path):
    copy = tmp_path / "my_reward.py"
    copy.write_text(Path(ADAPTERS_PATH).read_text())
    module = load_like_verl(str(copy))
    assert module.compute_score is not adapters.compute_score


def test_what_verl_pickles_resolves_by_name(inline):
    # verl/workers/reward_manager/prime.py sends the function to a ProcessPoolExecutor and gets
    # the result back pickled; Ray does the same for the reward loop's workers. A function of
    # `custom_module_<hash>` (not in sys.modules) cannot be pickled (verl issue #3150).
    fn = load_like_verl(ADAPTERS_PATH).compute_score
    assert pickle.loads(pickle.dumps(fn)) is adapters.compute_score
    result = pickle.loads(pickle.dumps(fn("math", r"\boxed{4}", "4", None)))
    assert result == {"score": 1.0, "acc": True, "pred": "4", "reason": "equivalent"}


# ---- verl ---------------------------------------------------------------------------------------


def prime_scores(results):
    """verl/workers/reward_manager/prime.py `parallel_compute_score_async`: what it keeps."""
    scores = []
    for result in results:
        if isinstance(result, Exception) or result is None:
            scores.append(0.0)
        elif isinstance(result, int | float | bool):
            scores.append(float(result))
        else:
            scores.append(float(result[0]))
    return scores


def test_verl_prime_manager_reads_the_score(inline):
    # `single_compute_score` calls `evaluation_func(task, completion, reference, extra_info)`
    # positionally; a dict result was read as result[0]: KeyError, and `verify` set the whole
    # batch to 0.0
    rows = [("math", r"\boxed{4}", "4", None), ("math", r"\boxed{5}", "4", {"index": 1})]
    assert prime_scores([adapters.compute_score(*row) for row in rows]) == [1.0, 0.0]
    # as the process pool runs it: the function and its results cross pickled
    fn = pickle.loads(pickle.dumps(load_like_verl(ADAPTERS_PATH).compute_score))
    assert prime_scores([pickle.loads(pickle.dumps(fn(*row))) for row in rows]) == [1.0, 0.0]
    one = adapters.compute_score("math", r"\boxed{4}", "4")
    assert one[0] == 1.0 and 0 not in one and one.get(0) is None
    assert list(one) == ["score", "acc", "pred", "reason"]
    with pytest.raises(KeyError):
        one[1]


def collect_like_naive(results):
    """verl/workers/reward_manager/naive.py `NaiveRewardManager.__call__` (and dapo.py, batch.py):
    `reward = score["score"]`, every key appended to `reward_extra_info[key]`."""
    rewards, extra = [], {}
    for result in results:
        rewards.append(result["score"])
        for key, value in result.items():
            extra.setdefault(key, []).append(value)
    return rewards, extra


def stack_like_reward_loop(results):
    """verl/experimental/reward_loop/reward_loop.py `RewardLoopManager.compute_rm_score`: the keys
    of the first item's `reward_extra_info`, then `np.array([info[key] for info in infos])`."""
    keys = set(results[0])
    return {key: [info[key] for info in results] for key in keys}


def check_extra_info(rewards, extra, n):
    # ray_trainer: `non_tensor_batch.update({k: np.array(v)})` needs one value per row;
    # metric_utils `process_validation_metrics` skips strings and takes np.mean of the rest,
    # and votes on `pred`; the DAPO recipe filters groups on np.std of `acc`
    assert len(rewards) == n and all(type(r) is float for r in rewards)
    assert all(len(v) == n for v in extra.values())
    assert all(type(v) is bool for v in extra["acc"])
    assert all(type(v) is str for v in extra["pred"] + extra["reason"])


ROWS = [  # (data_source, response, ground truth): right, wrong, no reference, a list of answers
    ("openai/gsm8k", r"<think>t</think> \boxed{72}", "72"),
    ("lighteval/MATH", r"\boxed{\frac{1}{3}}", r"\frac12"),
    ("math_dapo", "no answer here", None),
    ("aime2024", r"\boxed{3}", ["2", "3"]),
]


def test_verl_naive_and_reward_loop_single_calls(inline):
    # naive.py and the reward loop's naive.py / process.py call with keywords, extra_info a
    # dict they add num_turns and rollout_reward_scores to; the reward loop adds
    # reward_router_address and reward_model_tokenizer when a reward model runs
    results = [
        adapters.compute_score(
            data_source=source,
            solution_str=response,
            ground_truth=truth,
            extra_info={"index": i, "num_turns": None, "rollout_reward_scores": {}},
            reward_router_address="127.0.0.1:1",
            reward_model_tokenizer=None,
        )
        for i, (source, response, truth) in enumerate(ROWS)
    ]
    rewards, extra = collect_like_naive(results)
    assert rewards == [1.0, 0.0, 0.0, 1.0]
    check_extra_info(rewards, extra, len(ROWS))
    assert stack_like_reward_loop(results) == extra


def test_verl_batch_manager_calls(inline):
    # verl/workers/reward_manager/batch.py `BatchRewardManager.verify`: data_sources is the
    # numpy column, ground_truths a list, extra_infos the column (or [{}] * n), and the
    # manager's reward_kwargs as keywords; the reward loop's batch.py passes lists
    sources, responses, truths = zip(*ROWS, strict=True)
    n = len(ROWS)
    for call in (
        {
            "data_sources": ObjectArray(sources),
            "solution_strs": list(responses),
            "ground_truths": list(truths),
            "extra_infos": ObjectArray([{"rollout_reward_scores": {}}] * n),
            "some_reward_kwarg": 1,
        },
        {
            "data_sources": list(sources),
            "solution_strs": list(responses),
            "ground_truths": list(truths),
            "extra_infos": [{"num_turns": None}] * n,
        },
    ):
        results = adapters.compute_score(**call)
        rewards, extra = collect_like_naive(results)
        assert rewards == [1.0, 0.0, 0.0, 1.0]
        check_extra_info(rewards, extra, n)


def test_verl_reward_kwargs_choose_a_preset(inline):
    # verl/trainer/ppo/reward.py `get_custom_reward_fn`: `partial(fn, **reward_kwargs)`, from
    # custom_reward_function.reward_kwargs; the score is then the preset's weighted sum
    score = functools.partial(adapters.compute_score, preset="r1-zero")
    results = [score(data_source=s, solution_str=r, ground_truth=t) for s, r, t in ROWS]
    rewards, extra = collect_like_naive(results)
    assert rewards == [2.0, 0.0, 0.0, 1.0]  # accuracy + format: only the first has a think block
    check_extra_info(rewards, extra, len(ROWS))
    assert extra["acc"] == [True, False, False, True]
    assert extra["think_format"] == [1.0, 0.0, 0.0, 0.0]
    assert stack_like_reward_loop(results) == extra  # the same keys on every row
    sources, responses, truths = zip(*ROWS, strict=True)
    batch = score(data_sources=sources, solution_strs=responses, ground_truths=truths)
    assert batch == results
    # `r1` reads each row's target language from extra_info, as verl hands it over
    english = r"<think>We add two and two, which gives four in total.</think> \boxed{4}"
    rows = adapters.compute_score(
        data_sources=["math"] * 2,
        solution_strs=[english] * 2,
        ground_truths=["4"] * 2,
        extra_infos=[{"target_lang": "en"}, {"target_lang": "zh"}],
        preset="r1",
    )
    assert [r["language_consistency"] for r in rows] == [1.0, 0.0]
    assert [r["score"] for r in rows] == [3.0, 2.0]
    with pytest.raises(ValueError, match="unknown preset"):
        adapters.compute_score(solution_str="x", ground_truth="1", preset="r3")


def test_verl_code_data_sources_are_scored_as_code(engine_swap):
    # verl/utils/reward_score/__init__.py `default_compute_score` sends "codecontests", "apps",
    # "codeforces" and "taco" to prime_code, whose ground truth is JSON text of
    # {"inputs", "outputs"[, "fn_name"]}; LiveCodeBench-style sets ship a list of tests
    kinds = []

    class Spy(Engine):
        def run(self, kind, payloads, *, timeout=1.0):
            kinds.extend([kind] * len(payloads))
            return [ItemResult(ERROR, detail="spy")] * len(payloads)

    engine_swap(Spy(workers=0))
    stdin = '{"inputs": ["3\\n"], "outputs": ["6\\n"]}'
    call = '{"fn_name": "f", "inputs": [[3]], "outputs": [6]}'
    tests = '[{"input": "3\\n", "output": "6\\n", "testtype": "stdin"}]'
    program = "```python\nprint(2 * int(input()))\n```"
    rows = [
        ("codecontests", stdin),
        ("apps", call),
        ("codeforces", stdin),
        ("taco", stdin),
        ("livecodebench", tests),
        ("primeintellect", tests),
    ]
    results = adapters.compute_score(
        data_sources=ObjectArray([s for s, _ in rows]),
        solution_strs=[program] * len(rows),
        ground_truths=[t for _, t in rows],
        extra_infos=ObjectArray([None] * len(rows)),
    )
    assert kinds == ["code"] * len(rows)
    assert [r["score"] for r in results] == [0.0] * len(rows)  # an error scores 0, never None
    assert all(r["reason"] == "error" and r["acc"] is False for r in results)


# ---- OpenRLHF -----------------------------------------------------------------------------------


def test_openrlhf_rollout_worker_call(inline):
    # openrlhf/utils/rollout.py `RolloutAndRewardWorker.run`: one sample a call, query = prompt +
    # generated text (special tokens kept), and the result read as
    #   reward=info.get("rewards"), scores=info.get("scores") or info.get("rewards"),
    #   extra_logs=info.get("extra_logs") or {}
    # then samples_generator.py `_process_response_into_experience` makes
    # torch.tensor([reward_val]), torch.tensor([score_val]), and torch.tensor([value]) per log
    reward_func = load_like_openrlhf(ADAPTERS_PATH).reward_func
    prompt = "<|im_start|>user\nWhat is 3 + 4?<|im_end|>\n<|im_start|>assistant\n"
    cases = [
        (r"<think>add</think> \boxed{7}<|im_end|>", "7", 2.0),
        (r"<think>add</think> \boxed{8}<|im_end|>", "7", 1.0),
        (r"\boxed{7}<|im_end|>", None, 0.0),  # no --label_key: labels are None
    ]
    for text, label, expected in cases:
        info = reward_func([prompt + text], [prompt], [label])
        reward_val = info.get("rewards")
        score_val = info.get("scores") or info.get("rewards")
        assert reward_val == [expected] and len(score_val) == 1
        logs = info.get("extra_logs") or {}
        assert set(logs) == {"accuracy", "think_format"}
        assert all(type(v) is float for v in logs.values())
