"""Rewards by name, for the command line and config files.

A spec is `NAME[:OPTIONS][=WEIGHT]`; the weight defaults to 1. OPTIONS is a comma-separated list
whose first item may be a bare value (the reward's main option) and whose other items are
`key=value`:

    accuracy=1          language:en=0.1        format=0.5         tag_count
    cosine_length:2000  repetition:4=0.2       reasoning_steps    code_pass_rate=1
    soft_overlong:max_len=4096,cache_len=512=0.5

Presets: `r1-zero` (accuracy + think format) and `r1` (+ language consistency; `r1:zh` fixes the
target language, otherwise it comes from each row's `target_lang`).

Length rewards count characters here (a command line has no tokenizer).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .compose import Weighted, r1, r1_zero
from .functions import (
    Accuracy,
    CodePass,
    CodePassRate,
    CosineLength,
    LanguageConsistency,
    ReasoningSteps,
    RepetitionPenalty,
    Reward,
    SoftOverlong,
    TagCount,
    ThinkFormat,
)


@dataclass(frozen=True)
class _Entry:
    factory: Callable[..., Reward]
    positional: str | None  # the option a bare first value sets
    options: dict[str, type]  # accepted keyword options and their types
    fixed: tuple[tuple[str, Any], ...] = ()  # defaults the command line imposes
    help: str = ""


_LENGTH = {"max_len": int, "unit": str}
REWARDS: dict[str, _Entry] = {
    "accuracy": _Entry(
        Accuracy,
        "code_credit",
        {"code_credit": str, "timeout": float, "extraction": str},
        help="1 when the final answer is right (math equivalence, or all code tests pass)",
    ),
    "format": _Entry(
        ThinkFormat, None, {}, help="1 when reasoning sits in one think block, then an answer"
    ),
    "tag_count": _Entry(TagCount, None, {}, help="graded think-format credit per correct tag"),
    "language": _Entry(
        LanguageConsistency,
        "target",
        {"target": str, "backend": str, "scope": str},
        help="share of target-language words in what the completion wrote, or its chain of"
        " thought with scope=cot (target or row target_lang)",
    ),
    "cosine_length": _Entry(
        CosineLength,
        "max_len",
        {
            **_LENGTH,
            "min_value_wrong": float,
            "max_value_wrong": float,
            "min_value_correct": float,
            "max_value_correct": float,
        },
        (("unit", "chars"),),
        help="cosine length scaling of correctness (short right answers earn most)",
    ),
    "soft_overlong": _Entry(
        SoftOverlong,
        "max_len",
        {**_LENGTH, "cache_len": int},
        (("unit", "chars"),),
        help="DAPO soft overlong punishment (characters)",
    ),
    "repetition": _Entry(
        RepetitionPenalty,
        "ngram_size",
        {"ngram_size": int, "max_penalty": float},
        help="penalty growing with repeated word n-grams",
    ),
    "reasoning_steps": _Entry(
        ReasoningSteps, "target_steps", {"target_steps": int}, help="min(1, steps / 3)"
    ),
    "code_pass": _Entry(CodePass, None, {}, help="1 when every code test passes; None for math"),
    "code_pass_rate": _Entry(CodePassRate, None, {}, help="fraction of code tests passed"),
}
ALIASES = {
    "think_format": "format",
    "language_consistency": "language",
    "repetition_penalty": "repetition",
    "r1_zero": "r1-zero",
}
PRESETS = {
    "r1-zero": "accuracy + format, weights 1 and 1 (DeepSeek-R1-Zero)",
    "r1": "accuracy + format + language consistency, weights 1 (DeepSeek-R1); r1:LANG",
}


class SpecError(ValueError):
    """A reward spec that cannot be understood; the message says why and what is accepted."""


@dataclass(frozen=True)
class Spec:
    name: str
    options: dict[str, Any]
    weight: float


def _convert(name: str, key: str, raw: str, kind: type) -> Any:
    try:
        return kind(raw)
    except ValueError:
        raise SpecError(f"{name}: option {key}={raw!r} is not a {kind.__name__}") from None


def parse_spec(text: str) -> Spec:
    """`language:en=0.1` -> Spec('language', {'target': 'en'}, 0.1)."""
    text = text.strip()
    head, colon, rest = text.partition(":")
    name = head.strip()
    weight_text = None
    if not colon:
        name, eq, weight_text = head.partition("=")
        name, weight_text = name.strip(), weight_text if eq else None
    name = ALIASES.get(name, name)
    entry = REWARDS.get(name)
    if entry is None:
        raise SpecError(f"unknown reward {name!r}; known: {', '.join(sorted(REWARDS))}")
    items = [i.strip() for i in rest.split(",")] if colon else []
    if items:
        last = items[-1]
        key = last.split("=", 1)[0].strip()
        # `k=v=w`, or `value=w` where value is not a keyword of this reward, carries the weight
        if last.count("=") == 2 or (last.count("=") == 1 and key not in entry.options):
            last, _, weight_text = last.rpartition("=")
            items[-1] = last
    options: dict[str, Any] = {}
    for n, item in enumerate(i for i in items if i):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq:
            if n != 0 or entry.positional is None:
                raise SpecError(f"{name}: bare option {item!r}; use key=value")
            key, value = entry.positional, item
        if key not in entry.options:
            known = ", ".join(sorted(entry.options)) or "none"
            raise SpecError(f"{name}: unknown option {key!r} (options: {known})")
        options[key] = _convert(name, key, value.strip(), entry.options[key])
    try:
        weight = 1.0 if weight_text is None else float(weight_text)
        if not math.isfinite(weight):  # nan or inf would make every total nan or inf
            raise ValueError
    except ValueError:
        raise SpecError(f"{name}: weight {weight_text!r} is not a finite number") from None
    return Spec(name, options, weight)


def build(spec: Spec | str) -> Reward:
    """One reward object for a spec (its weight is the caller's business)."""
    spec = parse_spec(spec) if isinstance(spec, str) else spec
    entry = REWARDS[spec.name]
    options = {**dict(entry.fixed), **spec.options}
    try:
        reward = entry.factory(**options)
    except (TypeError, ValueError) as e:
        raise SpecError(f"{spec.name}: {e}") from None
    return reward


def preset(text: str, **accuracy_options: Any) -> Weighted:
    """A preset by name (`r1-zero`, `r1`, `r1:LANG`); the options go to its accuracy reward."""
    name, _, arg = text.strip().partition(":")
    name = ALIASES.get(name, name)
    try:
        if name == "r1-zero" and not arg:
            return r1_zero(**accuracy_options)
        if name == "r1":
            return r1(arg or None, **accuracy_options)
    except ValueError as e:  # an unknown target language, a bad option
        raise SpecError(f"preset {text!r}: {e}") from None
    raise SpecError(f"unknown preset {text!r}; known: r1-zero, r1, r1:LANG")


def weighted_from(specs: Sequence[str], preset_name: str | None = None) -> Weighted:
    """The weighted sum of `--reward` specs, or a preset, as one reward."""
    if preset_name and specs:
        raise SpecError("use --preset or --reward, not both")
    if preset_name:
        return preset(preset_name)
    if not specs:
        raise SpecError("no reward given")
    pairs = []
    for text in specs:
        spec = parse_spec(text)
        pairs.append((build(spec), spec.weight))
    try:
        return Weighted(pairs, name="reward")
    except ValueError as e:
        raise SpecError(str(e)) from None


def describe() -> str:
    """A help text listing the rewards and presets."""
    lines = ["rewards (NAME[:OPTIONS][=WEIGHT]):"]
    for name, entry in REWARDS.items():
        opts = ", ".join(entry.options) or "-"
        lines.append(f"  {name:<16} {entry.help}  [options: {opts}]")
    lines.append("presets:")
    lines += [f"  {name:<16} {text}" for name, text in PRESETS.items()]
    return "\n".join(lines)
