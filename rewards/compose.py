"""Weighted composition of rewards, and the R1 presets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .core import concurrently
from .functions import Accuracy, LanguageConsistency, Reward, Scored, ThinkFormat

CONCURRENT_FROM = 16  # batches this large run their components in threads


class Weighted(Reward):
    """Weighted sum of rewards, with the same contract as each of them.

    A component that is None (not applicable) for an item contributes nothing; the sum is None
    only when every component is None. `last_components` holds each component's values from the
    latest call, by name, for logging.
    """

    name = "weighted"

    def __init__(
        self,
        weights: Mapping[Reward, float] | Sequence[tuple[Reward, float]],
        *,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name)
        self.components = tuple(weights.items()) if isinstance(weights, Mapping) else tuple(weights)
        if not self.components:
            raise ValueError("weighted() needs at least one reward")
        names = [r.__name__ for r, _ in self.components]
        if len(set(names)) != len(names):
            raise ValueError(f"component names must be unique: {names}")
        self.last_components: dict[str, list[float | None]] = {}

    def details(self, completions, prompts=None, **columns: Any) -> list[Scored]:
        calls = [lambda r=r: r.details(completions, prompts, **columns) for r, _ in self.components]
        if len(completions) >= CONCURRENT_FROM:
            # at once: a component waiting on the sandbox or the pool leaves the cores to others
            scored_by_component = concurrently(*calls)
        else:  # too little work to pay for threads
            scored_by_component = [call() for call in calls]
        per = {
            r.__name__: (w, scored)
            for (r, w), scored in zip(self.components, scored_by_component, strict=True)
        }
        self.last_components = {
            name: [s.value for s in scored] for name, (_, scored) in per.items()
        }
        out = []
        for i in range(len(completions)):
            values = {name: scored[i].value for name, (_, scored) in per.items()}
            present = [(per[name][0], v) for name, v in values.items() if v is not None]
            total = sum(w * v for w, v in present) if present else None
            out.append(
                Scored(
                    total,
                    {"components": values, "info": {n: s[i].info for n, (_, s) in per.items()}},
                )
            )
        return out


def weighted(
    weights: Mapping[Reward, float] | Sequence[tuple[Reward, float]], *, name: str | None = None
) -> Weighted:
    return Weighted(weights, name=name)


def r1_zero(**accuracy_options: Any) -> Weighted:
    """R1-Zero: accuracy + think format, equal weights."""
    return Weighted({Accuracy(**accuracy_options): 1.0, ThinkFormat(): 1.0}, name="r1_zero")


def r1(target: str | None = None, **accuracy_options: Any) -> Weighted:
    """R1: accuracy + think format + language consistency (target fixed or from `target_lang`)."""
    return Weighted(
        {Accuracy(**accuracy_options): 1.0, ThinkFormat(): 1.0, LanguageConsistency(target): 1.0},
        name="r1",
    )
