"""Weighted composition of rewards, and the R1 presets."""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from operator import mul
from typing import Any

from .core import Engine, concurrently
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
        pairs = tuple(weights.items()) if isinstance(weights, Mapping) else tuple(weights)
        if not pairs:
            raise ValueError("weighted() needs at least one reward")
        self.components = tuple((_as_reward(r), w) for r, w in pairs)
        for reward, weight in self.components:
            if not _finite_real(weight):
                raise ValueError(
                    f"weight of {reward.__name__!r} must be a finite number: {weight!r}"
                )
        names = [r.__name__ for r, _ in self.components]
        if len(set(names)) != len(names):
            raise ValueError(f"component names must be unique: {names}")
        self.last_components: dict[str, list[float | None]] = {}

    def _scored(self, completions, prompts, columns) -> tuple[list[list[Scored]], list[list]]:
        """Each component's scored items and values, in component order (`last_components` keeps
        the values for logging; nothing below reads it back, so concurrent calls cannot mix)."""
        calls = [lambda r=r: r.details(completions, prompts, **columns) for r, _ in self.components]
        if len(completions) >= CONCURRENT_FROM:
            # at once: a component waiting on the sandbox or the pool leaves the cores to others.
            # A user's function runs in the calling thread, as TRL calls it: it may rely on
            # signals (math-verify's `signal.alarm` works in the main thread only) or on state
            # that is not thread-safe; ours run beside it in threads.
            plain = [i for i, (r, _) in enumerate(self.components) if _calls_functions(r)]
            if not plain:
                scored = concurrently(*calls)
            else:
                ours = [i for i in range(len(calls)) if i not in plain]
                first, *rest = concurrently(
                    lambda: [calls[i]() for i in plain], *(calls[i] for i in ours)
                )
                done = dict(zip(plain, first, strict=True)) | dict(zip(ours, rest, strict=True))
                scored = [done[i] for i in range(len(calls))]
        else:  # too little work to pay for threads
            scored = [call() for call in calls]
        values = [[s.value for s in items] for items in scored]
        self.last_components = {
            r.__name__: v for (r, _), v in zip(self.components, values, strict=True)
        }
        return scored, values

    def _totals(self, values: list[list]) -> list[float | None]:
        """The weighted sum per item; None and NaN components contribute nothing (as TRL's
        `nansum` of reward functions: one component's NaN must not erase the others)."""
        weights = [w for _, w in self.components]
        totals: list[float | None] = []
        append = totals.append
        for row in zip(*values, strict=True):
            if None not in row:  # the usual row: same sum, same order, without a list per item
                total = sum(map(mul, weights, row))
                if total == total:  # not NaN
                    append(total)
                    continue
            present = [w * v for w, v in zip(weights, row, strict=True) if v is not None and v == v]
            append(sum(present) if present else None)
        return totals

    def __call__(self, completions, prompts=None, **columns: Any) -> list[float | None]:
        _, values = self._scored(completions, prompts, columns)  # no per-item info to build
        return self._totals(values)

    def details(self, completions, prompts=None, **columns: Any) -> list[Scored]:
        scored, values = self._scored(completions, prompts, columns)
        names = [r.__name__ for r, _ in self.components]
        out = []
        for i, total in enumerate(self._totals(values)):
            components = {name: v[i] for name, v in zip(names, values, strict=True)}
            info = {name: items[i].info for name, items in zip(names, scored, strict=True)}
            out.append(Scored(total, {"components": components, "info": info}))
        return out


def weighted(
    weights: Mapping[Reward, float] | Sequence[tuple[Reward, float]], *, name: str | None = None
) -> Weighted:
    """`Weighted(weights)`: components are our rewards or any function with TRL's contract."""
    return Weighted(weights, name=name)


class FunctionReward(Reward):
    """A plain function with TRL's contract (`f(completions, prompts=None, **columns) -> list`)
    as a component of a weighted reward, under the function's own name."""

    def __init__(self, function: Callable[..., Sequence[float | None]]) -> None:
        name = getattr(function, "__name__", None)
        if not isinstance(name, str) or not name:
            raise ValueError(
                f"a reward function needs a __name__ (TRL logs rewards/<name>/mean): {function!r}"
            )
        super().__init__(name=name)
        self.function = function

    def details(self, completions, prompts=None, **columns: Any) -> list[Scored]:
        # by keyword, as TRL calls reward functions (`def f(prompts, completions, **kw)` works)
        values = list(self.function(prompts=prompts, completions=completions, **columns))
        if len(values) != len(completions):
            raise ValueError(
                f"reward function {self.__name__!r} returned {len(values)} values for"
                f" {len(completions)} completions"
            )
        return [Scored(v) for v in values]


def _as_reward(component: Any) -> Reward:
    """A component as a Reward: ours as is, a plain function wrapped; anything else refused now,
    not as an AttributeError inside the trainer's first step."""
    if isinstance(component, Reward):
        return component
    if isinstance(component, type):  # `weighted({Accuracy: 1.0})`: the class, not a reward
        raise ValueError(f"a weighted component must be a reward, not the class {component!r}")
    if _is_async(component):
        raise ValueError(
            f"{component!r} is an async function: weighted() calls its components synchronously;"
            " pass it to the trainer as a reward function of its own"
        )
    if callable(component):
        return FunctionReward(component)
    raise ValueError(f"a weighted component must be a reward or a function, not {component!r}")


def _calls_functions(reward: Reward) -> bool:
    """Whether scoring `reward` calls a user's function (itself, or inside a nested weighted)."""
    if isinstance(reward, FunctionReward):
        return True
    return isinstance(reward, Weighted) and any(_calls_functions(r) for r, _ in reward.components)


def _is_async(function: Any) -> bool:
    """A coroutine function, or an object whose `__call__` is one (what TRL awaits)."""
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        getattr(function, "__call__", None)  # noqa: B004 - the method, not callability
    )


def r1_zero(
    *, name: str = "r1_zero", engine: Engine | None = None, **accuracy_options: Any
) -> Weighted:
    """R1-Zero: accuracy + think format, equal weights. `name` is what TRL logs it as
    (`rewards/<name>/mean`); `engine` scores every component."""
    return Weighted(
        {Accuracy(engine=engine, **accuracy_options): 1.0, ThinkFormat(engine=engine): 1.0},
        name=name,
    )


def r1(
    target: str | None = None,
    *,
    name: str = "r1",
    engine: Engine | None = None,
    **accuracy_options: Any,
) -> Weighted:
    """R1: accuracy + think format + language consistency (target fixed or from `target_lang`)."""
    return Weighted(
        {
            Accuracy(engine=engine, **accuracy_options): 1.0,
            ThinkFormat(engine=engine): 1.0,
            LanguageConsistency(target, engine=engine): 1.0,
        },
        name=name,
    )


def _finite_real(x) -> bool:
    """A weight: a real number (numpy scalars too), not a boolean, not NaN or infinite."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return False
    return math.isfinite(x)
