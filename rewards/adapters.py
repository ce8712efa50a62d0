"""Adapters for verl and OpenRLHF, on top of the same rewards and the same core.

Both trainers load this file by its path: verl's `custom_reward_function.path` (through
`verl.utils.import_utils.load_module`, as `custom_module_<hash>`, kept out of `sys.modules`) and
OpenRLHF's `--remote_rm_url .../adapters.py` (`spec_from_file_location("reward_func", path)`).
So the imports are absolute (a relative one fails outside the package), and a copy loaded that
way hands out the package's own functions (see the end of the file): what verl pickles, the
function for the prime manager's process pool and the results it sends back, must resolve by a
module name every worker can import. verl also takes `path=pkg://r1reward.rewards.adapters`.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping, Sequence
from typing import Any

from r1reward.rewards.compose import r1_zero
from r1reward.rewards.functions import Accuracy, Reward

HOME = "r1reward.rewards.adapters"

# by (preset, extraction); preset None: accuracy alone
_rewards: dict[tuple[str | None, str], Reward] = {}


def _reward(preset: str | None = None, extraction: str = "flexible") -> Reward:
    if not isinstance(extraction, str) or not (preset is None or isinstance(preset, str)):
        raise ValueError(
            f"r1reward compute_score: preset and extraction must be strings, "
            f"not {preset!r}, {extraction!r}"
        )
    reward = _rewards.get((preset, extraction))
    if reward is None:
        from r1reward.rewards.registry import SpecError
        from r1reward.rewards.registry import preset as build_preset

        try:  # a config error: say so once, at the first batch
            if preset is None:
                reward = Accuracy(extraction=extraction)
            else:
                reward = build_preset(preset, extraction=extraction)
        except (SpecError, ValueError) as e:
            raise ValueError(f"r1reward compute_score: {e}") from None
        _rewards[preset, extraction] = reward
    return reward


class VerlScore(dict):
    """One item's result for verl: `score` (the reward), `acc`, `pred`, `reason`.

    A plain dict to every manager that reads `result["score"]` and collects the other keys as
    `reward_extra_info` (naive, dapo, batch, the reward loop); `result[0]` is the score too,
    because verl's prime manager (`verl/workers/reward_manager/prime.py`,
    `parallel_compute_score_async`) reads any result that is not a number as `float(result[0])`,
    and a KeyError there zeroes the whole batch."""

    __slots__ = ()

    def __missing__(self, key: Any) -> Any:
        if key == 0 and "score" in self:
            return dict.__getitem__(self, "score")
        raise KeyError(key)


def compute_score(
    data_source=None,
    solution_str=None,
    ground_truth=None,
    extra_info=None,
    *,
    data_sources: Sequence[Any] | None = None,
    solution_strs: Sequence[str] | None = None,
    ground_truths: Sequence[Any] | None = None,
    extra_infos: Sequence[Any] | None = None,
    preset: str | None = None,
    extraction: str = "flexible",
    **kw: Any,
):
    """verl's `custom_reward_function`: one item (returns a dict with `score`) or, with the plural
    keywords of verl's batch reward manager, a list of such dicts.

    `score` is the accuracy (verl's own default), or with `preset` (`r1-zero`, `r1:LANG`, or
    `r1` with each row's target in `extra_info["target_lang"]`; set through verl's
    `custom_reward_function.reward_kwargs`) the preset's weighted sum; `extraction="marked"`
    (also a reward kwarg) credits only boxed, `<answer>`-tagged or `####` answers. Extras
    beside `score`: `acc` (the answer is right), `pred` (the extracted answer) and `reason`, the
    same keys and types for every item (verl stacks each key into one array per batch), and with
    a preset each component's value (0.0 when not applicable). Other keywords verl adds
    (`reward_router_address`, `reward_model_tokenizer`) are accepted and unused."""
    reward = _reward(preset, extraction)
    if solution_strs is not None:  # verl passes numpy object arrays: never test their truth
        n = len(solution_strs)
        return _score_many(
            reward,
            [None] * n if data_sources is None else list(data_sources),
            list(solution_strs),
            [None] * n if ground_truths is None else list(ground_truths),
            [None] * n if extra_infos is None else list(extra_infos),
        )
    return _score_many(reward, [data_source], [solution_str], [ground_truth], [extra_info])[0]


def _score_many(
    reward: Reward, sources: list, solutions: list, truths: list, extras: list
) -> list[dict]:
    # `r1` without a language reads each row's target from `extra_info["target_lang"]`
    targets = [e.get("target_lang") if isinstance(e, Mapping) else None for e in extras]
    # a list of acceptable answers stays a list: the accuracy reward reads it as alternatives
    scored = reward.details(solutions, solution=truths, data_source=sources, target_lang=targets)
    accuracy = _accuracy_name(reward)
    out = []
    for s in scored:
        components = s.info.get("components")
        info = s.info if components is None else s.info["info"].get(accuracy, {})
        correct = s.value if components is None else components.get(accuracy)
        result = VerlScore(
            score=0.0 if s.value is None else float(s.value),
            acc=bool(correct),
            pred=str(info.get("extracted") or ""),
            reason=str(info.get("reason") or ""),
        )
        for name, value in (components or {}).items():
            result[name] = 0.0 if value is None else float(value)
        out.append(result)
    return out


def _accuracy_name(reward: Reward) -> str | None:
    """The name of a weighted reward's accuracy component (None for another reward)."""
    names = [r.__name__ for r, _ in getattr(reward, "components", ()) if isinstance(r, Accuracy)]
    return names[0] if names else None


def reward_func(
    queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any], **kw: Any
) -> dict:
    """OpenRLHF's `--remote_rm_url` / custom reward function: queries are prompt + response.

    Returns lists: `rewards` (the weighted sum, for the advantage), `scores` (accuracy alone, in
    [0, 1]: OpenRLHF's dynamic filtering keeps a prompt whose mean score lies in
    `--dynamic_filtering_reward_range`, (0, 1) by default, which a 0-2 sum of accuracy and format
    would leave for most half-solved prompts) and `extra_logs` (each component's mean)."""
    reward = kw.pop("reward", None) or r1_zero()
    responses = [
        q[len(p) :] if isinstance(q, str) and isinstance(p, str) and q.startswith(p) else q
        for q, p in zip(queries, prompts, strict=True)
    ]
    # per-item details, not `last_components`: a reward shared by OpenRLHF's threads keeps them
    scored = reward.details(responses, list(prompts), solution=list(labels))
    rewards = [0.0 if s.value is None else float(s.value) for s in scored]
    components: dict[str, list] = {}
    for s in scored:
        for name, v in s.info.get("components", {}).items():
            components.setdefault(name, []).append(v)
    accuracy = _accuracy_name(reward)
    scores = rewards
    if accuracy:
        scores = [0.0 if v is None else float(v) for v in components.get(accuracy, [])]
    logs: dict[str, float] = {}
    for name, values in components.items():
        present = [v for v in values if v is not None]
        logs[name] = sum(present) / len(present) if present else 0.0
    return {"rewards": rewards, "scores": scores, "extra_logs": logs}


if __name__ != HOME:  # loaded by path: the package's own objects, importable by name everywhere
    _home = importlib.import_module(HOME)
    if os.path.realpath(_home.__file__) == os.path.realpath(__file__):  # not an edited copy
        VerlScore = _home.VerlScore  # type: ignore[misc]
        compute_score = _home.compute_score
        reward_func = _home.reward_func
