"""Reading rollouts for the command line: JSONL lines, field aliases, list expansion, and
atomic output files."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from r1reward.verifiers._messages import REASONING_KEYS

from .inputs import dataset_tests

COMPLETION = ("completion", "response", "output", "generation")
COMPLETION_LISTS = ("completions", "generations", "responses")
GROUND_TRUTH = (
    "ground_truth",
    "answer",
    "solution",
    "label",
    "gold",
    "reward_model.ground_truth",
    "verification_info",
    "test_cases",
)
PROMPT = ("prompt", "question", "problem", "input", "messages")
GROUP = ("group_id", "uid", "prompt_id")
_MISSING = object()


class InputError(Exception):
    """Bad input; the message names the line and what was expected."""


class OutputError(Exception):
    """An output file cannot be written; the message names it."""


@dataclass
class Rollout:
    """One completion to score, with the line it came from (`row`, already expanded)."""

    line: int
    row: dict
    completion: Any
    ground_truth: Any = None
    has_ground_truth: bool = False
    prompt: Any = None
    group: Any = None
    data_source: Any = None
    target_lang: Any = None
    extra: dict = field(default_factory=dict)


def _get(row: Mapping, name: str) -> Any:
    if "." in name:
        head, _, tail = name.partition(".")
        inner = row.get(head, _MISSING)
        return inner.get(tail, _MISSING) if isinstance(inner, Mapping) else _MISSING
    return row.get(name, _MISSING)


def first(
    row: Mapping, names: tuple[str, ...], *, skip_bool: bool = False
) -> tuple[str | None, Any]:
    """The first alias in `row` with a value, and that value. A null is no value: datasets
    merged from several sources fill the columns a source lacks with nulls (`"answer": null`
    beside `"gold": "3"`). With `skip_bool`, neither is a boolean: a `"label": true` beside a
    `"gold"` is a correctness label, never the reference answer."""
    for name in names:
        value = _get(row, name)
        if value is _MISSING or value is None or (skip_bool and isinstance(value, bool)):
            continue
        return name, value
    return None, None


def _group_key(value: Any) -> Any:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _conversation(row: Mapping) -> list | None:
    """`messages` when it is a chat that ends in an assistant message (SFT and chat-log rows:
    the prompt and the completion in one list), else None."""
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        return None
    last = messages[-1]
    if isinstance(last, Mapping) and last.get("role") == "assistant":
        return messages
    return None


def _is_completion(value: Any) -> bool:
    """What the rewards read (`inputs.completion_text`): a str, a message, or messages (a
    conversation may hold tool calls and tool results, with or without `content`)."""
    if isinstance(value, str):
        return True
    if isinstance(value, dict):
        return _is_message(value)
    return isinstance(value, list) and bool(value) and all(isinstance(m, dict) for m in value)


def _is_message(value: dict) -> bool:
    return bool(value.keys() & {"role", "content", *REASONING_KEYS})


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "an object without `role` or `content`"
    if isinstance(value, list):
        return "an empty list" if not value else "a list with something other than messages"
    return "null" if value is None else type(value).__name__


def rollouts_of(
    row: Any, line: int, *, need_ground_truth: bool, check_target: bool = False
) -> list[Rollout]:
    """The rollouts of one parsed line (several when it holds a list of completions).
    `check_target` when a language check reads `target_lang`: a misspelt one would score null
    for every row, silently (a blank one is no target)."""
    if not isinstance(row, dict):
        raise InputError(f"line {line}: expected a JSON object, got {type(row).__name__}")
    list_name, many = first(row, COMPLETION_LISTS)
    name, one = first(row, COMPLETION)
    conversation = _conversation(row)
    from_conversation = False
    if list_name is not None and isinstance(many, list):
        completions = many
    elif name is not None:
        completions = [one]
    elif conversation is not None:
        completions = [conversation[-1:]]  # the final assistant message, as a message list
        from_conversation = True
    else:
        tried = ", ".join(COMPLETION + COMPLETION_LISTS)
        raise InputError(
            f"line {line}: no completion; tried the fields {tried}, and a `messages` "
            "conversation ending in an assistant message"
        )
    if not completions:
        raise InputError(f"line {line}: `{list_name}` is an empty list")
    for completion in completions:
        if not _is_completion(completion):
            raise InputError(
                f"line {line}: a completion must be a string, a chat message or a list of chat "
                f"messages (objects), not {_kind_of(completion)}"
            )
    target_lang = row.get("target_lang")
    if isinstance(target_lang, str) and not target_lang.strip():
        target_lang = None  # a blank target is none, here and for the rewards
    if check_target and target_lang is not None:
        from r1reward.verifiers.language import normalize_target

        try:
            normalize_target(target_lang)
        except ValueError as e:
            raise InputError(f"line {line}: target_lang: {e}") from None
    truth_name, truth = first(row, GROUND_TRUTH, skip_bool=True)
    if truth_name is None:  # a code dataset's own test columns (MBPP, APPS)
        tests = dataset_tests({k: [v] for k, v in row.items()}, 1)
        if tests and tests[0] is not None:
            truth_name, truth = "tests", tests[0]
    if need_ground_truth and truth_name is None:
        raise InputError(
            f"line {line}: no ground truth; tried the fields {', '.join(GROUND_TRUTH)}"
        )
    prompt_name, prompt = first(row, PROMPT)
    if from_conversation and prompt_name == "messages":
        prompt = conversation[:-1]  # the conversation up to the completion
    group_name, group = first(row, GROUP)
    if group_name is None or group is None:
        if list_name is not None:
            group = f"id:{row['id']}" if row.get("id") is not None else f"line:{line}"
        elif prompt is not None:
            group = "prompt:" + _group_key(prompt)
        else:
            group = f"line:{line}"
    else:
        group = _group_key(group)
    out = []
    for index, completion in enumerate(completions):
        if list_name is not None:
            expanded = {k: v for k, v in row.items() if k != list_name}
            expanded["completion"] = completion
            expanded["sample_index"] = index
            if group_name is None:
                expanded["group_id"] = group
        else:
            expanded = dict(row)
        out.append(
            Rollout(
                line=line,
                row=expanded,
                completion=completion,
                ground_truth=truth,
                has_ground_truth=truth_name is not None,
                prompt=prompt,
                group=group,
                data_source=row.get("data_source"),
                target_lang=target_lang,
            )
        )
    return out


SKIPPED_SHOWN = 20  # skipped lines reported one by one; the rest only counted


@dataclass
class ReadStats:
    lines: int = 0
    invalid: int = 0
    # (line number, why) of the first SKIPPED_SHOWN lines that --skip-invalid skipped
    skipped: list[tuple[int, str]] = field(default_factory=list)

    last_skipped: int = 0  # lines arrive in order: a line of several rollouts is skipped once

    def skip(self, number: int, why: str) -> None:
        if number == self.last_skipped:
            return
        self.last_skipped = number
        self.invalid += 1
        if len(self.skipped) < SKIPPED_SHOWN:
            self.skipped.append((number, why))

    def report_skipped(self, command: str) -> None:
        """Which lines --skip-invalid skipped and why, on stderr: a count alone leaves the user
        to find the bad lines of a large file by hand."""
        if not self.invalid:
            return
        lines = [f"r1reward {command}: skipped {self.invalid} invalid line(s):"]
        lines += [f"  {why}" for _, why in self.skipped]
        if self.invalid > len(self.skipped):
            lines.append(f"  ... and {self.invalid - len(self.skipped)} more")
        print("\n".join(lines), file=sys.stderr)


def read_rollouts(
    stream: IO[bytes] | IO[str],
    stats: ReadStats,
    *,
    skip_invalid: bool,
    need_ground_truth: bool,
    check_target: bool = False,
) -> Iterator[Rollout]:
    """Rollouts in order. A malformed line raises InputError naming it, unless skipped."""
    for number, line in enumerate(stream, 1):
        stats.lines = number
        try:
            text = _decode(line, number)
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except ValueError as e:
                raise InputError(f"line {number}: invalid JSON: {e}") from None
            found = rollouts_of(
                row, number, need_ground_truth=need_ground_truth, check_target=check_target
            )
        except InputError as e:
            if not skip_invalid:
                raise
            stats.skip(number, str(e))
            continue
        yield from found


def _decode(line: bytes | str, number: int) -> str:
    """One line's text. JSONL is UTF-8; a byte-order mark (Windows editors write one) is
    dropped; other bytes are an input error that names the line and the byte."""
    if isinstance(line, str):
        return line.removeprefix("\ufeff") if number == 1 else line
    try:
        return line.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as e:
        bad = line[e.start : e.start + 1].hex()
        raise InputError(f"line {number}: not UTF-8 (byte 0x{bad} at byte {e.start + 1})") from None


def open_input(path: str) -> IO[bytes] | IO[str]:
    """The input as bytes (each line is decoded on its own, so one bad byte is one bad line)."""
    if path == "-":
        return getattr(sys.stdin, "buffer", sys.stdin)
    try:
        return open(path, "rb")
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from None


def count_lines(path: str) -> int | None:
    """Line count of a regular file (for the progress bar's total), else None."""
    if path == "-" or not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


class AtomicOutput:
    """Write to a temporary file beside `path`; `commit()` renames it into place, `abort()`
    deletes it. `path` None or '-' writes to stdout directly, and so does a path that is not a
    regular file (`/dev/null`, `/dev/stdout`, a FIFO, bash's `>(...)`): renaming over those
    would replace the device or pipe itself (as root, `-o /dev/null` replaced the system's
    /dev/null with a regular file). A symbolic link is followed: the file it names is replaced,
    never the link, and an existing file keeps its permissions."""

    def __init__(self, path: str | None) -> None:
        self.path = None if path in (None, "-") else path
        self._tmp: str | None = None
        self._direct = False  # our own stream on a device or pipe: closed, never renamed
        if self.path is None:
            self.stream: IO[str] = sys.stdout
            return
        if os.path.isdir(self.path):
            raise OutputError(f"cannot write {self.path}: it is a directory")
        if os.path.exists(self.path) and not os.path.isfile(self.path):
            try:
                self.stream = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
            except OSError as e:
                raise OutputError(f"cannot write {self.path}: {e.strerror or e}") from None
            self._direct = True
            return
        target = os.path.realpath(self.path)
        self._target = target
        try:
            fd, self._tmp = tempfile.mkstemp(
                prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=os.path.dirname(target)
            )
        except OSError as e:
            raise OutputError(f"cannot write {self.path}: {e.strerror or e}") from None
        self.stream = os.fdopen(fd, "w", encoding="utf-8")

    @property
    def is_file(self) -> bool:
        """True when the rows go to a regular file (so stdout is free for the summary)."""
        return self.path is not None and not self._direct

    def write_row(self, row: dict) -> None:
        line = json.dumps(row, ensure_ascii=False, default=str) + "\n"
        try:
            self.stream.write(line)
        except UnicodeEncodeError:
            # a lone surrogate (`"\ud83d"`: an emoji cut in half by a token limit, valid in
            # JSON's escapes but not in UTF-8), or a stdout whose encoding lacks a character:
            # the row as ASCII JSON, the same data. A text stream encodes before it buffers,
            # so nothing of the failed line was written.
            self.stream.write(json.dumps(row, ensure_ascii=True, default=str) + "\n")

    def commit(self) -> None:
        if self._tmp is None:
            try:
                self.stream.flush()
                if self._direct:
                    self.stream.close()
            except OSError as e:
                if self.path is None:
                    raise  # stdout: a closed pipe is handled by the caller
                raise OutputError(f"cannot write {self.path}: {e.strerror or e}") from None
            return
        try:
            self.stream.flush()
            os.fsync(self.stream.fileno())
            self.stream.close()
            try:
                mode = os.stat(self._target).st_mode & 0o7777
            except FileNotFoundError:
                mode = 0o666 & ~_umask()
            os.chmod(self._tmp, mode)
            os.replace(self._tmp, self._target)
        except OSError as e:
            self.abort()
            raise OutputError(f"cannot write {self.path}: {e.strerror or e}") from None
        self._tmp = None

    def abort(self) -> None:
        if self._direct:
            with contextlib.suppress(OSError):
                self.stream.close()
            return
        if self._tmp is None:
            return
        with contextlib.suppress(OSError):
            self.stream.close()
        with contextlib.suppress(OSError):
            os.unlink(self._tmp)
        self._tmp = None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
