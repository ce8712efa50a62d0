"""What a reward function receives from a trainer, made uniform.

TRL passes `completions` as strings or as conversational message lists (with `content` and maybe
`reasoning_content`), and dataset columns by name. Here: the text of a completion, its reasoning
field, and the reference under any of its aliases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from r1reward.verifiers._messages import content_text, last_assistant, reasoning_text

REFERENCE_ALIASES = ("solution", "answer", "ground_truth")


def completion_text(completion: Any) -> str:
    """The final assistant text of a completion ('' when there is none)."""
    if isinstance(completion, str):
        return completion
    message = last_assistant(completion)
    return (content_text(message) or "") if message is not None else ""


def assistant_message(completion: Any) -> dict:
    """The final assistant message of a completion, reduced to text content and reasoning (what
    the format checker reads: content parts joined, other messages and keys dropped)."""
    message = {"role": "assistant", "content": completion_text(completion)}
    reasoning = reasoning_field(completion)
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    return message


def full_text(completion: Any) -> str:
    """Everything the model generated: the reasoning field (when a reasoning parser split it
    off) and the final text. Length and repetition are judged on this, so a reasoning parser
    cannot switch those rewards off."""
    text = completion_text(completion)
    reasoning = None if isinstance(completion, str) else reasoning_field(completion)
    return f"{reasoning}\n{text}" if reasoning else text


def reasoning_field(completion: Any) -> str | None:
    message = last_assistant(completion)
    return None if message is None else reasoning_text(message)


def _as_column(name: str, values: Any, n: int) -> list[Any]:
    """A column's n values: a sequence or array (numpy, pandas: what verl and dataset tooling
    pass) element by element; anything else is one value for every row."""
    if isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__iter__"):
        return [values] * n
    try:
        values = list(values)
    except TypeError:  # a 0-d array: one value
        return [values] * n
    if len(values) != n:
        raise ValueError(f"column {name!r} has {len(values)} values for {n} completions")
    return values


def column(columns: Mapping[str, Any], names: Sequence[str], n: int) -> list[Any]:
    """The first present column among `names`, as a list of n values (None where absent)."""
    for name in names:
        values = columns.get(name)
        if values is not None:
            return _as_column(name, values, n)
    return [None] * n


def missing(value: Any) -> bool:
    """None, or a float NaN: how pandas and numpy mark a missing cell."""
    return value is None or (isinstance(value, float) and value != value)


def first_present(columns: Mapping[str, Any], names: Sequence[str], n: int) -> list[Any]:
    """Per row, the value of the first column among `names` that has one (None if none does):
    a dataset may fill `solution` for some rows and `answer` for others."""
    present = [_as_column(k, columns[k], n) for k in names if columns.get(k) is not None]
    if len(present) == 1:
        return [None if missing(v) else v for v in present[0]]
    out: list[Any] = [None] * n
    for values in present:
        for i, v in enumerate(values):
            if out[i] is None and not missing(v):
                out[i] = v
    return out


# Code datasets' own test columns, for rows without a reference column: APPS/TACO `input_output`
# and MBPP `test_list` (with `test_imports`, `test_setup_code`). Not HumanEval's `test` +
# `entry_point`: its checks call helpers (`poly`, `encode_cyclic`) that only its trusted `prompt`
# defines, so without it they would run the candidate's own versions (a wrong `find_zero` with
# its own `poly` passed); give HumanEval rows a reference with `prompt_setup` instead.
_MBPP_EXTRAS = ("test_imports", "test_setup_code")


def dataset_tests(columns: Mapping[str, Any], n: int) -> list[Any] | None:
    """Per row, the tests a code dataset ships in its own columns, the first such column with a
    value in that row (None where none has one); None when no such column is present."""
    found: list[Any] | None = None
    if columns.get("input_output") is not None:
        rows = _as_column("input_output", columns["input_output"], n)
        found = [None if missing(v) else v for v in rows]
    if columns.get("test_list") is not None:
        lists = _as_column("test_list", columns["test_list"], n)
        extras = {k: column(columns, (k,), n) for k in _MBPP_EXTRAS}
        found = found or [None] * n
        for i, tests in enumerate(lists):
            if found[i] is None and not missing(tests):
                found[i] = {
                    "test_list": tests,
                    **{k: v[i] for k, v in extras.items() if not missing(v[i])},
                }
    return found


def reward_model_ground_truth(columns: Mapping[str, Any], n: int) -> list[Any] | None:
    """verl-style `reward_model: {"ground_truth": ...}` rows; None without that column."""
    if columns.get("reward_model") is None:
        return None
    values = column(columns, ("reward_model",), n)
    return [v.get("ground_truth") if isinstance(v, Mapping) else None for v in values]
