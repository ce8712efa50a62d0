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

    def _components(self, completions, prompts, columns) -> list[list[Scored]]:
        """Each component's scored items, in component order; sets `last_components`."""
        calls = [lambda r=r: r.details(completions, prompts, **columns) for r, _ in self.components]
        if len(completions) >= CONCURRENT_FROM:
            # at once: a component waiting on the sandbox or the pool leaves the cores to others
            scored = concurrently(*calls)
        else:  # too little work to pay for threads
            scored = [call() for call in calls]
        self.last_components = {
            r.__name__: [s.value for s in items]
            for (r, _), items in zip(self.components, scored, strict=True)
        }
        return scored

    def _totals(self) -> list[float | None]:
        """The weighted sum per item, from `last_components`."""
        weights = [w for _, w in self.components]
        totals: list[float | None] = []
        for row in zip(*self.last_components.values(), strict=True):
            present = [w * v for w, v in zip(weights, row, strict=True) if v is not None]
            totals.append(sum(present) if present else None)
        return totals

    def __call__(self, completions, prompts=None, **columns: Any) -> list[float | None]:
        self._components(completions, prompts, columns)  # values only: no per-item info to build
        return self._totals()

    def details(self, completions, prompts=None, **columns: Any) -> list[Scored]:
        scored = self._components(completions, prompts, columns)
        names = list(self.last_components)
        out = []
        for i, total in enumerate(self._totals()):
            values = {name: self.last_components[name][i] for name in names}
            info = {name: items[i].info for name, items in zip(names, scored, strict=True)}
            out.append(Scored(total, {"components": values, "info": info}))
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
