"""Adapters for verl and OpenRLHF, on top of the same rewards and the same core."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .compose import r1_zero
from .functions import Accuracy, Reward

_default_reward: Reward | None = None


def _reward() -> Reward:
    global _default_reward
    if _default_reward is None:
        _default_reward = Accuracy()
    return _default_reward


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
    **kw: Any,
):
    """verl's `custom_reward_function`: one item (returns a dict with `score`) or, with the plural
    keywords of verl's batch reward manager, a list of such dicts.

    Extras beside `score`: `acc`, `pred` (the extracted answer) and `reason`."""
    if solution_strs is not None:  # verl passes numpy object arrays: never test their truth
        n = len(solution_strs)
        return _score_many(
            [None] * n if data_sources is None else list(data_sources),
            list(solution_strs),
            [None] * n if ground_truths is None else list(ground_truths),
        )
    return _score_many([data_source], [solution_str], [ground_truth])[0]


def _score_many(sources: list, solutions: list, truths: list) -> list[dict]:
    # a list of acceptable answers stays a list: the accuracy reward reads it as alternatives
    scored = _reward().details(solutions, solution=truths, data_source=sources)
    out = []
    for s in scored:
        info = s.info
        out.append(
            {
                "score": 0.0 if s.value is None else float(s.value),
                "acc": bool(s.value),
                "pred": str(info.get("extracted") or ""),
                "reason": str(info.get("reason") or ""),
            }
        )
    return out


def reward_func(
    queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any], **kw: Any
) -> dict:
    """OpenRLHF's `--remote_rm_url` / custom reward function: queries are prompt + response.

    Returns lists (`rewards` for the advantage, `scores` for dynamic filtering, `extra_logs`)."""
    reward = kw.pop("reward", None) or r1_zero()
    responses = [
        q[len(p) :] if isinstance(q, str) and isinstance(p, str) and q.startswith(p) else q
        for q, p in zip(queries, prompts, strict=True)
    ]
    values = reward(responses, list(prompts), solution=list(labels))
    rewards = [0.0 if v is None else float(v) for v in values]
    logs: dict[str, float] = {}
    for name, comp in getattr(reward, "last_components", {}).items():
        present = [v for v in comp if v is not None]
        logs[name] = sum(present) / len(present) if present else 0.0
    return {"rewards": rewards, "scores": rewards, "extra_logs": logs}
