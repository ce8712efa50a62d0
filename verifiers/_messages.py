"""The one reading of a conversational completion: its final assistant message, that message's
text and its reasoning field. The format checker, the language verifier and every reward read
completions through these, so a message shape one of them accepts, all of them accept.

Shapes met in practice: TRL's conversational completions (`content`, with `reasoning_content`
when a response schema parsed the thinking out), vLLM's reasoning parsers (`reasoning_content`,
newer releases `reasoning`), transformers' and Ollama's `thinking`; content as a string or as a
list of parts (`{"type": "text", "text": ...}`); and columns loaded through pandas, where a
missing value is NaN or NA and a role may be anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

REASONING_KEYS = ("reasoning_content", "reasoning", "thinking")


def last_assistant(completion: Any) -> Mapping | None:
    """The final assistant message of a message or a list of messages (the final message when
    none says it is the assistant's); None for anything else. Items that are not mappings are
    skipped, and a role that is not a string is no assistant's (pandas' NA has no truth value)."""
    if isinstance(completion, Mapping):
        return completion
    if isinstance(completion, Sequence) and not isinstance(completion, (str, bytes, bytearray)):
        messages = [m for m in completion if isinstance(m, Mapping)]
        assistant = [m for m in messages if _role(m) == "assistant"]
        return (assistant or messages or [None])[-1]
    return None


def _role(message: Mapping) -> str | None:
    role = message.get("role", "assistant")
    return role if isinstance(role, str) else None


def content_text(message: Mapping) -> str | None:
    """A message's text: its `content` string, or the text of its content parts joined ("" for
    none); None when the content is something else (a number, a mapping)."""
    content = message.get("content")
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, Sequence) and not isinstance(content, (bytes, bytearray)):
        texts = (p.get("text") for p in content if isinstance(p, Mapping))
        return "".join(t for t in texts if isinstance(t, str))
    return None


def reasoning_text(message: Mapping) -> str | None:
    """The first non-empty reasoning field of a message (REASONING_KEYS, in order); None when
    there is none. A value that is not a string (NaN, None) is no reasoning."""
    for key in REASONING_KEYS:
        value = message.get(key)
        if isinstance(value, str) and value:
            return value
    return None
