"""What a reward function receives from a trainer, made uniform.

TRL passes `completions` as strings or as conversational message lists (with `content` and maybe
`reasoning_content`), and dataset columns by name. Here: the text of a completion, its reasoning
field, and the reference under any of its aliases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

REFERENCE_ALIASES = ("solution", "answer", "ground_truth")


def completion_text(completion: Any) -> str:
    """The final assistant text of a completion ('' when there is none)."""
    if isinstance(completion, str):
        return completion
    message = _last_assistant(completion)
    if message is None:
        return ""
    content = message.get("content")
    if isinstance(content, list):  # multimodal content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    return content if isinstance(content, str) else ""


def reasoning_field(completion: Any) -> str | None:
    message = _last_assistant(completion)
    if message is None:
        return None
    value = message.get("reasoning_content") or message.get("reasoning")
    return value if isinstance(value, str) else None


def _last_assistant(completion: Any) -> Mapping | None:
    if isinstance(completion, Mapping):
        return completion
    if isinstance(completion, Sequence) and not isinstance(completion, (str, bytes)):
        messages = [m for m in completion if isinstance(m, Mapping)]
        assistant = [m for m in messages if m.get("role", "assistant") == "assistant"]
        return (assistant or messages or [None])[-1]
    return None


def column(columns: Mapping[str, Any], names: Sequence[str], n: int) -> list[Any]:
    """The first present column among `names`, as a list of n values (None where absent)."""
    for name in names:
        values = columns.get(name)
        if values is not None:
            if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Sequence):
                return [values] * n
            values = list(values)
            if len(values) != n:
                raise ValueError(f"column {name!r} has {len(values)} values for {n} completions")
            return values
    return [None] * n


def reward_model_ground_truth(columns: Mapping[str, Any], n: int) -> list[Any]:
    """verl-style `reward_model: {"ground_truth": ...}` rows."""
    values = column(columns, ("reward_model",), n)
    return [v.get("ground_truth") if isinstance(v, Mapping) else None for v in values]
