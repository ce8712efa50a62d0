"""Think-format verifier: is the reasoning in exactly one `<think>` block, followed by an answer?

Why not a regex: TRL's `think_format_reward` requires the completion to *start* with `<think>`, so
every completion scores 0 when the chat template pre-fills `<think>` (R1-distilled, Qwen3);
open-r1's `format_reward` accepts two think blocks and text after `</answer>`. Here the completion
is tokenised once into tags (ignoring tags inside fenced code blocks) and checked against explicit
rules, each reported as a problem code. Linear time: tags are found by a memchr scan for `<`
(str.find of one character) with a prefix test at each hit, or one str.find loop per tag when
the text has many other `<`. The usual shapes (`<think>..</think>` with or without one
`<answer>..</answer>`, no other `<` outside fenced code) are judged by a fast path that never
builds the tag list; tests/test_think_fastpath.py holds it to the general rules.

Rules (see `check_format`):
- exactly one think block; leading whitespace is fine; a `<think>` inside the block or a second
  block is a problem;
- `prefilled_think=True`: the prompt ended with `<think>`, so the completion starts inside the
  thinking and has only `</think>`; `"auto"` decides per completion (a `</think>` before any
  `<think>` means pre-filled; no think tag at all means missing);
- a tag inside a fenced code block (``` or ~~~) is text, not a tag; a line that opens with
  inline code (```x```) opens no fence (CommonMark); an unclosed fence hides nothing; a
  closing tag on a line of its own ends an open fence, and a fenced block that holds
  `</think>` and then `<think>` is no code (reasoning parsers split at `</think>` wherever it
  is: code must not hide where the thinking ends);
- a non-empty answer must follow `</think>`;
- empty thinking (`<think>\\n\\n</think>`, what models emit when they skip thinking) is a problem by
  default, because a format reward that pays for it rewards skipping the reasoning; thinking
  without a visible letter or digit (`<think>.</think>`, `<think>...</think>`, an emoji) is empty
  too (it says nothing either; how much a policy must think is for a length reward to decide);
  `allow_empty_think=True` accepts it; for the same reason the graded score gives the think tags
  no credit when the thinking is empty (tags, pre-filled or an empty reasoning field alike);
- `<answer>...</answer>` is `"required"`, `"optional"` (default) or `"forbidden"`; `strict=True`
  allows only whitespace around the answer block (no text between `</think>` and `<answer>`, none
  after `</answer>`);
- a message dict (or list of them) whose reasoning sits in `reasoning_content` / `reasoning`
  (TRL response parsing, vLLM reasoning parsers) is judged on that field and `content`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Any, Literal

from ._frozen import fast_constructor
from ._messages import content_text, last_assistant, reasoning_text
from ._text import fence_spans, on_own_line

AnswerTags = Literal["required", "optional", "forbidden"]
Prefill = bool | Literal["auto"]

MAX_CHARS = 4_000_000  # refuse larger completions (a verdict, not an exception)

# Problem codes a verdict can carry. A verdict is well-formed iff it has none.
NOT_TEXT = "not_text"  # the completion is neither str, message dict nor list of messages
TOO_LARGE = "too_large"
MISSING_THINK = "missing_think"  # no `<think>` (and not pre-filled)
TEXT_BEFORE_THINK = "text_before_think"  # non-whitespace before `<think>`
UNCLOSED_THINK = "unclosed_think"  # no `</think>` after the opening
NESTED_THINK = "nested_think"  # `<think>` inside the think block (or after a pre-filled one)
REPEATED_THINK = "repeated_think"  # a second `<think>` / `</think>` after the block closed
EMPTY_THINK = "empty_think"  # no visible letter or digit inside the block
EMPTY_ANSWER = "empty_answer"  # nothing after `</think>` (or inside `<answer>`)
MISSING_ANSWER_TAGS = "missing_answer_tags"
ANSWER_TAGS_FORBIDDEN = "answer_tags_forbidden"
BAD_ANSWER_TAGS = "bad_answer_tags"  # unbalanced, repeated or out-of-order answer tags
ANSWER_TAG_IN_THINK = "answer_tag_in_think"
TEXT_OUTSIDE_ANSWER = "text_outside_answer"  # strict: text before `<answer>` or after `</answer>`
THINK_TAG_IN_CONTENT = "think_tag_in_content"  # reasoning field set, yet tags in content too

ANSWER_MODES = ("required", "optional", "forbidden")

# What counts as blank when the checker asks whether thinking, an answer or the text around the
# tags is empty: every whitespace character (all of `str.strip()`'s, the common ones first) and
# the BMP characters that render as nothing (format controls: zero-width space and joiners, word
# joiner, BOM, soft hyphen, bidi marks, embeddings and isolates, invisible math operators,
# variation selectors; the Hangul and Braille blanks). `str.strip()` keeps the invisible ones, so
# `<think>\u200b</think>42` skipped the reasoning with full credit. `strip(_BLANK)` looks only at
# the ends of the string (about 40 ns more than `strip()` on a chain of thought). Astral ones
# (tag characters, variation selectors 17-256), control characters and lone combining marks
# are left out (they would make the set four times longer, and every strip scans it once per
# end): `_stripped` finds them instead, only when what is left does not start with a visible
# ASCII character.
_BLANK = (
    "\n \t\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"  # str.isspace()
    "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\xad\u034f\u061c\u115f\u1160\u17b4\u17b5"
    "\u180b\u180c\u180d\u180e\u180f\u202a\u202b\u202c\u202d\u202e\u2061\u2062\u2063"
    "\u2064\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f\u2800\u3164"
    "\ufe00\ufe01\ufe02\ufe03\ufe04\ufe05\ufe06\ufe07\ufe08\ufe09\ufe0a\ufe0b\ufe0c"
    "\ufe0d\ufe0e\ufe0f\uffa0\ufff9\ufffa\ufffb"
)


def _stripped(s: str) -> str:
    """`s` without blank ends; "" when nothing in it shows (`<think>\U000e0020</think>42`)."""
    s = s.strip(_BLANK)
    if s and not " " < s[0] < "\x7f" and not s[0].isalnum() and _visible().search(s) is None:
        return ""  # (a letter or digit shows: the blank ones, Hangul fillers, are stripped)
    return s


_INVISIBLE_LETTERS = "\u115f\u1160\u3164\uffa0"  # Hangul fillers: letters, blank (in _BLANK)
# ASCII punctuation and spaces that open a chain of thought before its first word (`**Step 1**`,
# `## Plan`, `- item`, `1.`): skipped by one lstrip before the letter test, so that markdown does
# not cost a regex search.
_MARKUP = "".join(chr(c) for c in range(0x21, 0x7F) if not chr(c).isalnum()) + " \t\n\r"


def _has_thought(s: str) -> bool:
    """Whether stripped thinking `s` holds a visible letter or digit (Unicode letters and
    numbers, and the letter-like symbols text is written in: Braille, circled and parenthesized
    letters); without one (`.`, `...`, `-`, an emoji, bare math symbols) it says nothing and is
    judged empty. A policy can still write one letter: length is a different reward. The ends
    are stripped of blanks, which include the only invisible letters (Hangul fillers), so a
    letter or digit first is visible."""
    if s[:1].isalnum():
        return True
    first = s[:64].lstrip(_MARKUP)[:1]
    if first.isalnum() and first not in _INVISIBLE_LETTERS:
        return True
    return bool(s) and _letter_or_digit().search(s) is not None


@cache
def _letter_or_digit():
    import regex  # only for thinking that does not start with a letter or digit

    return regex.compile(
        r"(?V1)[[\p{L}\p{N}\u2460-\u24ff\u2801-\u28ff\U0001f100-\U0001f1e5]"
        r"--[\p{Default_Ignorable_Code_Point}]]"
    )


@cache
def _visible():
    """A character that shows: a letter, digit, punctuation, symbol or private-use character
    that is not default-ignorable (Hangul fillers are letters) or the Braille blank."""
    import regex  # only for text that starts with something other than visible ASCII

    return regex.compile(
        r"(?V1)[[\p{L}\p{N}\p{P}\p{S}\p{Co}]--[\p{Default_Ignorable_Code_Point}\u2800]]"
    )


@dataclass(frozen=True, slots=True)
class FormatVerdict:
    """`bool(verdict)` is True iff the completion is well-formed (no problems).

    `reasoning` is the chain of thought (even for some malformed completions, e.g. unclosed think:
    everything after the opening), `answer` the final answer (inside `<answer>` when present),
    `score` the graded credit in [0, 1] (see `format_score`), `source` where the reasoning was
    found: "tags", "prefilled", "field" or "" (none).
    """

    ok: bool
    problems: tuple[str, ...]
    reasoning: str | None
    answer: str | None
    score: float
    source: str = ""
    detail: str = ""  # why the input was refused (not_text), else empty

    def __bool__(self) -> bool:
        return self.ok


# A tag is a plain tuple (kind, start, end); kind is "think", "/think", "answer" or "/answer".
# (Plain tuples: a NamedTuple costs ~0.3 µs per instance, a third of a whole short check.)
_Tag = tuple[str, int, int]


_verdict = fast_constructor(FormatVerdict, "_verdict", __name__)  # a third of a short check


_KINDS = ("think", "/think", "answer", "/answer")
PREFILLED = -7  # `_judge_common`'s s0 when the prompt opened the thinking (s0 + 7 == 0)
_DEFAULT_THINK = ("<think>", "</think>")
_DEFAULT_ANSWER = ("<answer>", "</answer>")
DEFAULT_TAGS = (*_DEFAULT_THINK, *_DEFAULT_ANSWER)  # markup, not language, to whoever reads text
_DEFAULT_PAIRS = (_DEFAULT_THINK, _DEFAULT_ANSWER)  # (think tags, answer tags)


def _find_all(text: str, needle: str, kind: str, out: list[_Tag]) -> None:
    # str.find is a C-speed scan; a regex of alternatives costs ~50 ns per character instead
    i = text.find(needle)
    n = len(needle)
    while i != -1:
        out.append((kind, i, i + n))
        i = text.find(needle, i + n)


def _find_tags(text: str, think: tuple[str, str], answer: tuple[str, str]) -> list[_Tag]:
    """Every tag by one str.find loop per tag, sorted by position (fences not applied)."""
    tags: list[_Tag] = []
    for needle, kind in zip((*think, *answer), _KINDS, strict=True):
        _find_all(text, needle, kind, tags)
    tags.sort(key=_START)
    return tags


def _outside(tags: list[_Tag], spans: list[tuple[int, int]]) -> list[_Tag]:
    """Tags not inside any span; both lists are sorted, so one merge pass."""
    kept: list[_Tag] = []
    i = 0
    for t in tags:
        while i < len(spans) and spans[i][1] <= t[1]:
            i += 1
        if i == len(spans) or t[1] < spans[i][0]:
            kept.append(t)
    return kept


_START = itemgetter(1)
_MAX_MISSES = 64  # `<` that start no tag before the default scan hands over to per-tag finds


def _scan_default(text: str) -> list[_Tag] | None:
    """All default tags in order of position, by a memchr scan for `<` (str.find of one character)
    and a prefix test at each hit; None after too many `<` that start no tag (math with many
    `<`), where one str.find per tag is faster. Same tags as `_find_all` of each default tag: no
    default tag contains `<` after its first character, so occurrences cannot overlap."""
    tags: list[_Tag] = []
    misses = 0
    find = text.find
    startswith = text.startswith
    i = find("<")
    while i != -1:
        if startswith("<think>", i):
            tags.append(("think", i, i + 7))
            i = find("<", i + 7)
            continue
        if startswith("</think>", i):
            tags.append(("/think", i, i + 8))
            i = find("<", i + 8)
            continue
        if startswith("<answer>", i):
            tags.append(("answer", i, i + 8))
            i = find("<", i + 8)
            continue
        if startswith("</answer>", i):
            tags.append(("/answer", i, i + 9))
            i = find("<", i + 9)
            continue
        misses += 1
        if misses > _MAX_MISSES:
            return None
        i = find("<", i + 1)
    return tags


def _no_fence(text: str) -> bool:
    """No run of three backticks or tildes, so no fenced block can hide a tag (inline code and a
    `~` in math are common). `in` with one character is a memchr; the three-character test is a
    slower search, made only when the character occurs."""
    return ("`" not in text or "```" not in text) and ("~" not in text or "~~~" not in text)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each span turned into as many spaces: positions stay, the tags in it go."""
    parts: list[str] = []
    done = 0
    for a, b in spans:
        parts += (text[done:a], " " * (b - a))
        done = b
    parts.append(text[done:])
    return "".join(parts)


def _code_spans(
    text: str, think: tuple[str, str], answer: tuple[str, str]
) -> list[tuple[int, int]]:
    """The fenced blocks whose tags are text, as the format checker reads fences: a closing tag
    on a line of its own ends one, and one holding a think closing then opening tag is no code
    (`fence_spans`)."""
    return fence_spans(text, (think[1], answer[1]), think[0])


def _tags(text: str, think: tuple[str, str], answer: tuple[str, str]) -> list[_Tag]:
    """Tags outside fenced code blocks, in order of position."""
    tags: list[_Tag] | None = None
    if think == _DEFAULT_THINK and answer == _DEFAULT_ANSWER:
        tags = _scan_default(text)
    if tags is None:
        tags = _find_tags(text, think, answer)
    if not tags:
        return tags
    if not _no_fence(text):
        spans = _code_spans(text, think, answer)
        if spans:
            tags = _outside(tags, spans)
    return tags


def _message_parts(completion: Any) -> tuple[str | None, str | None, str | None]:
    """(text, reasoning field, error) of a str, a message dict or a list of message dicts, as
    `_messages` reads them (one reading for every verifier and reward)."""
    if isinstance(completion, str):
        return completion, None, None
    message = last_assistant(completion)
    if message is None:
        if isinstance(completion, Sequence) and not isinstance(completion, (bytes, bytearray)):
            return None, None, "expected a list of message dicts"
        return None, None, f"unsupported completion type {type(completion).__name__}"
    content = content_text(message)
    if content is None:
        return None, None, "message content is not text"
    return content, reasoning_text(message), None


def _flag(name: str, value: Any) -> bool:
    """A boolean option as a bool: 0, 1 and numpy bools pass; a string such as "false" would be
    true and is refused."""
    if isinstance(value, str) or value not in (True, False):
        raise ValueError(f"{name} must be True or False, not {value!r}")
    return bool(value)


def check_format(
    completion: Any,
    *,
    prefilled_think: Prefill = False,
    answer_tags: AnswerTags = "optional",
    strict: bool = False,
    allow_empty_think: bool = False,
    think_tags: tuple[str, str] = _DEFAULT_THINK,
    answer_tag_names: tuple[str, str] = _DEFAULT_ANSWER,
    max_chars: int = MAX_CHARS,
) -> FormatVerdict:
    """Check one completion (str, message dict or list of message dicts). Never raises on bad
    completions: they get a verdict with problems; bad *options* raise ValueError."""
    if answer_tags not in ANSWER_MODES:
        raise ValueError(f"answer_tags must be one of {ANSWER_MODES}, not {answer_tags!r}")
    if prefilled_think is not False and prefilled_think is not True and prefilled_think != "auto":
        prefilled_think = _prefill_flag(prefilled_think)
    if strict is not False and strict is not True:
        strict = _flag("strict", strict)
    if allow_empty_think is not False and allow_empty_think is not True:
        allow_empty_think = _flag("allow_empty_think", allow_empty_think)
    if max_chars is not MAX_CHARS and (
        isinstance(max_chars, bool) or not isinstance(max_chars, numbers.Integral) or max_chars < 0
    ):
        raise ValueError(f"max_chars must be a non-negative int, not {max_chars!r}")
    if think_tags is not _DEFAULT_THINK or answer_tag_names is not _DEFAULT_ANSWER:
        _check_tag_names(think_tags, answer_tag_names)
    if type(completion) is str:  # the common case, without the message-parsing calls
        text, field = completion, None
        default_tags = think_tags is _DEFAULT_THINK and answer_tag_names is _DEFAULT_ANSWER
        if default_tags and len(text) <= max_chars:
            judged = _fast(text, prefilled_think, answer_tags, strict, allow_empty_think, True)
            if judged is not None:
                return judged  # type: ignore[return-value]  # a verdict when asked for one
    else:
        text, field, error = _message_parts(completion)
        if text is None:
            return _verdict(False, (NOT_TEXT,), None, None, 0.0, detail=error or "")
    if len(text) + len(field or "") > max_chars:
        return _verdict(False, (TOO_LARGE,), None, None, 0.0, detail=f"over {max_chars} chars")
    if field is not None:
        tags = _tags(text, think_tags, answer_tag_names)
        field_tags = _tags(field, think_tags, answer_tag_names)
        return _judge_field(text, field, tags, field_tags, answer_tags, strict, allow_empty_think)
    return _judge_text(
        text, prefilled_think, answer_tags, strict, allow_empty_think, think_tags, answer_tag_names
    )


def _judge_text(
    text: str,
    prefilled: Prefill,
    answer_tags: AnswerTags,
    strict: bool,
    allow_empty_think: bool,
    think_tags: tuple[str, str],
    answer_tag_names: tuple[str, str],
) -> FormatVerdict:
    """A completion's text, within the size limit, by the general rules (any shape, any tags)."""
    tags = _tags(text, think_tags, answer_tag_names)
    if prefilled is not True and think_tags == _DEFAULT_THINK:
        kinds = [t[0] for t in tags]
        if kinds == ["think", "/think"] or kinds == ["think", "/think", "answer", "/answer"]:
            ans = (tags[2][1], tags[3][1]) if len(tags) == 4 else None
            if answer_tag_names == _DEFAULT_ANSWER:
                s0, s1 = tags[0][1], tags[1][1]
                return _judge_common(  # type: ignore[return-value]  # a verdict
                    text, s0, s1, ans, answer_tags, strict, allow_empty_think
                )
    return _judge_tags(text, tags, prefilled, answer_tags, strict, allow_empty_think)


def _check_tag_names(think_tags: Any, answer_tag_names: Any) -> None:
    """Each is an (opening, closing) pair of non-empty strings (an empty tag is found at every
    position: the tag scan would never end)."""
    for name, pair in (("think_tags", think_tags), ("answer_tag_names", answer_tag_names)):
        if (
            isinstance(pair, str)
            or not isinstance(pair, Sequence)
            or len(pair) != 2
            or not all(isinstance(t, str) and t for t in pair)
        ):
            raise ValueError(
                f"{name} must be two non-empty strings (opening, closing), not {pair!r}"
            )
    tags = [*think_tags, *answer_tag_names]
    for i, tag in enumerate(tags):  # a tag found inside another is found twice: no verdict
        for j, other in enumerate(tags):
            if i != j and tag in other:
                raise ValueError(f"tag {tag!r} is part of tag {other!r}: the tags must differ")


def _prefill_flag(value: Any) -> Prefill:
    """`prefilled_think` as True, False or "auto"; 1, 0 and numpy bools become bools (the fast
    paths test identity)."""
    if value != "auto" and value not in (True, False):
        raise ValueError(f"prefilled_think must be True, False or 'auto', not {value!r}")
    return "auto" if value == "auto" else bool(value)


def _fast(
    text: str,
    prefilled: Prefill,
    answer_tags: AnswerTags,
    strict: bool,
    allow_empty_think: bool,
    verdict: bool,
) -> FormatVerdict | float | None:
    """The usual shapes (default tags, `text` within the size limit), judged without building the
    tag list: the only `<` outside fenced blocks are the tags of `<think>..</think>` (or of a
    `</think>` that closes a pre-filled opening), with or without one `<answer>..</answer>`
    after, or of a `<think>` cut off. Memchr scans only (code in fences, with its `<` and tags,
    is skipped: the completions of code tasks have it). A well-formed completion gives its
    verdict, or its score 1.0 when not `verdict` (`format_scores` needs no verdict); another
    usual shape its verdict; any other None.
    A find that fails gives -1, where startswith of a tag is False: no separate test for -1."""
    # the judging slices `text`; the scan reads a copy without the fenced blocks
    if _no_fence(text):
        scan = text
    else:
        block = _unfenced_block(text, prefilled)
        if block is not None:
            return _judge_common(
                text, *block, None, answer_tags, strict, allow_empty_think, verdict
            )
        scan = _blank(text, _code_spans(text, *_DEFAULT_PAIRS))
    find, startswith = scan.find, scan.startswith
    s0 = find("<")
    if prefilled is not True and startswith("<think>", s0):
        s1 = find("<", s0 + 7)
    elif prefilled is not False and startswith("</think>", s0):
        s1, s0 = s0, PREFILLED
    else:
        return None
    if not startswith("</think>", s1):
        if s1 == -1:
            return _judge_unclosed(text, s0, answer_tags)
        return None
    s2 = find("<", s1 + 8)
    ans: tuple[int, int] | None = None
    if startswith("<answer>", s2):
        s3 = find("<", s2 + 8)
        if startswith("</answer>", s3) and find("<", s3 + 9) == -1:
            ans = (s2, s3)
    if s2 != -1 and ans is None:
        return None
    return _judge_common(text, s0, s1, ans, answer_tags, strict, allow_empty_think, verdict)


def _unfenced_block(text: str, prefilled: Prefill) -> tuple[int, int] | None:
    """(s0, s1) of `_judge_common` for a fenced completion whose tags no fence can hide, found
    without reading the fences (a code task's completion: drafts in fences, each with its `<`,
    cost a fence pass of ~0.6 µs per fence run): no answer tag anywhere; one `</think>`, on a
    line of its own, which ends any block open at it and so is in none (`fence_spans`); one
    `<think>` with only whitespace before it, where no fence can have opened, or none when the
    prompt opened the thinking. None for any other text (then the fences are read).
    The thinking is scanned once, for any other tag ending in `think>`: the closing tag is found
    from the end and the opening one at the start, where they are."""
    s1 = text.rfind("</think>")
    if s1 == -1 or "answer>" in text or not on_own_line(text, (s1, s1 + 8), 0, len(text)):
        return None
    s0 = text.find("<think>")
    if s0 == -1:  # the `</think>` must be the only tag
        ok = prefilled is not False and text.find("</think>", 0, s1) == -1
        return (PREFILLED, s1) if ok else None
    if (
        prefilled is True
        or text[:s0].strip()  # also a `<think>` after the `</think>`
        or text.find("think>", s0 + 7, s1 + 8) != s1 + 2
        or text.find("<think>", s1 + 8) != -1
    ):
        return None
    return s0, s1


def _judge_common(
    text: str,
    s0: int,
    s1: int,
    ans: tuple[int, int] | None,
    answer_tags: AnswerTags,
    strict: bool,
    allow_empty_think: bool,
    verdict: bool = True,
) -> FormatVerdict | float:
    """`_judge_tags` for the shapes nearly every completion has (default tags): `<think>` at s0
    (or s0 == PREFILLED: the prompt opened the thinking), `</think>` at s1 and no other tag, or
    also `<answer>`, `</answer>` at `ans` after them. Same rules, problems in the same order, same
    score; tests/test_think_fastpath.py checks it against `_judge_tags`. The well-formed outcome
    (the usual one) is settled before any problem bookkeeping, and given as the score alone when
    not `verdict` (`format_scores`). `_stripped` without a call when a part starts with visible
    ASCII (nearly always)."""
    reasoning = text[s0 + 7 : s1].strip(_BLANK)  # from the start of the text when pre-filled
    if reasoning[:1].isalnum():  # nearly always; then `_stripped` would return it as it is
        thought = True
    else:
        if reasoning and not " " < reasoning[0] < "\x7f":
            reasoning = _stripped(reasoning)
        thought = _has_thought(reasoning)
    if (thought or allow_empty_think) and not (s0 > 0 and _stripped(text[:s0])):
        source = "tags" if s0 >= 0 else "prefilled"
        if ans is None:
            if answer_tags == "optional":
                answer = text[s1 + 8 :].strip(_BLANK)
                if answer and (" " < answer[0] < "\x7f" or _stripped(answer)):
                    if not verdict:
                        return 1.0
                    return _verdict(True, (), reasoning, answer, 1.0, source)
        elif answer_tags != "forbidden":
            s2, s3 = ans
            answer = text[s2 + 8 : s3].strip(_BLANK)
            if (
                answer
                and (" " < answer[0] < "\x7f" or _stripped(answer))
                and not (strict and (_stripped(text[s1 + 8 : s2]) or _stripped(text[s3 + 9 :])))
            ):
                if not verdict:
                    return 1.0
                return _verdict(True, (), reasoning, answer, 1.0, source)
    # `reasoning` is `_stripped(...)` of the thinking here, `thought` whether it says anything
    e1 = s1 + 8
    source = "tags" if s0 >= 0 else "prefilled"
    problems: list[str] = []
    credit_think = 2  # quarters for the think tags: the opening and the closing
    if s0 > 0 and _stripped(text[:s0]):
        problems.append(TEXT_BEFORE_THINK)
        credit_think = 1
    if not allow_empty_think and not thought:
        problems.append(EMPTY_THINK)
        credit_think = 0  # tags around no reasoning earn nothing
    # as `_judge_answer`, for no answer tags after `</think>` or exactly one well-ordered pair
    if ans is None or answer_tags == "forbidden":
        answer: str | None = _stripped(text[e1:])
        if ans is not None:
            problems.append(ANSWER_TAGS_FORBIDDEN)
            answer, credit = answer or None, 0.0
        else:
            if answer_tags == "required":
                problems.append(MISSING_ANSWER_TAGS)
            if not answer:
                problems.append(EMPTY_ANSWER)
                answer, credit = None, 0.0
            else:
                credit = 0.0 if answer_tags == "required" else 1.0
    else:
        s2, s3 = ans
        penalty = 0.0
        answer = _stripped(text[s2 + 8 : s3])
        if strict and (_stripped(text[e1:s2]) or _stripped(text[s3 + 9 :])):
            problems.append(TEXT_OUTSIDE_ANSWER)
            penalty = -0.5
        if not answer:
            problems.append(EMPTY_ANSWER)
            answer, credit = None, max(0.0, 0.5 + penalty)
        else:
            credit = max(0.0, 1.0 + penalty)
    if problems:
        score = min((credit_think + 2 * credit) / 4, 0.75)
        return _verdict(False, tuple(problems), reasoning, answer, score, source)
    return _verdict(True, (), reasoning, answer, (credit_think + 2 * credit) / 4, source)


def _judge_unclosed(text: str, s0: int, answer_tags: AnswerTags) -> FormatVerdict:
    """`_judge_tags` for a completion cut off inside its thinking (the length limit hit, common in
    RL): `<think>` at s0 and no other tag, not pre-filled. Checked like `_judge_common`."""
    reasoning = _stripped(text[s0 + 7 :])
    if s0 and _stripped(text[:s0]):
        problems: tuple[str, ...] = (TEXT_BEFORE_THINK, UNCLOSED_THINK)
        score = 0.0
    else:  # credit for the opening tag only, when some thought follows it
        problems = (UNCLOSED_THINK,)
        score = 0.25 if _has_thought(reasoning) else 0.0
    if answer_tags == "required":
        problems += (MISSING_ANSWER_TAGS,)
    return _verdict(False, (*problems, EMPTY_ANSWER), reasoning, None, score, "tags")


def _judge_tags(
    text: str,
    tags: list[_Tag],
    prefilled: Prefill,
    answer_tags: AnswerTags,
    strict: bool,
    allow_empty_think: bool,
) -> FormatVerdict:
    problems: list[str] = []
    think_tags = [t for t in tags if t[0] in ("think", "/think")]
    if prefilled == "auto":
        prefilled = bool(think_tags) and think_tags[0][0] == "/think"
    credit_open = credit_close = False
    reasoning: str | None = None
    r_lo = 0  # where the reasoning starts in the text
    after = 0  # where the answer part starts
    if prefilled:
        source = "prefilled"
        credit_open = True
        close = None
        for t in think_tags:  # loops, not generators: this is the per-check hot path
            if t[0] == "/think":
                close = t
                break
        limit = close[1] if close else len(text)
        for t in think_tags:
            if t[0] == "think" and t[1] < limit:
                problems.append(NESTED_THINK)
                credit_open = False
                break
        if close is None:
            problems.append(UNCLOSED_THINK)
            reasoning, after = text, len(text)
        else:
            reasoning, after = text[: close[1]], close[2]
            later = [t for t in think_tags if t[1] > close[1]]
            credit_close = not later
            if later:
                problems.append(REPEATED_THINK)
    else:
        source = "tags"
        first = think_tags[0] if think_tags else None
        if first is None or first[0] != "think":
            problems.append(MISSING_THINK)
            if first is not None:  # a lone `</think>`: looks pre-filled, but we were told not
                reasoning, after = text[: first[1]], first[2]
                credit_close = len(think_tags) == 1
                if len(think_tags) > 1:
                    problems.append(REPEATED_THINK)
            source = "" if first is None else "tags"
        else:
            before = first[1] and _stripped(text[: first[1]])
            if before:
                problems.append(TEXT_BEFORE_THINK)
            credit_open = not before
            close_i = None
            for i, t in enumerate(think_tags):
                if t[0] == "/think":
                    close_i = i
                    break
            if close_i is None:
                problems.append(UNCLOSED_THINK)
                reasoning, after, r_lo = text[first[2] :], len(text), first[2]
                if len(think_tags) > 1:
                    problems.append(NESTED_THINK)
                    credit_open = False
            else:
                close = think_tags[close_i]
                reasoning, after, r_lo = text[first[2] : close[1]], close[2], first[2]
                if close_i > 1:
                    problems.append(NESTED_THINK)
                    credit_open = False
                later = think_tags[close_i + 1 :]
                if later:
                    problems.append(REPEATED_THINK)
                credit_close = not later
    if reasoning is not None and not _has_thought(
        _stripped(_without_tags(text, r_lo, r_lo + len(reasoning), tags))
    ):
        if UNCLOSED_THINK in problems:  # an opening cut off before any thought earns nothing
            credit_open = False
        elif not allow_empty_think:
            problems.append(EMPTY_THINK)
            credit_open = credit_close = False  # tags around no reasoning earn nothing
    think_end = after if reasoning is not None else 0
    for t in tags:
        if t[1] >= think_end:
            break  # tags are in order of position
        if t[0] in ("answer", "/answer"):
            problems.append(ANSWER_TAG_IN_THINK)
            break
    answer, answer_credit = _judge_answer(text, after, tags, answer_tags, strict, problems)
    if not (credit_open or credit_close) and reasoning is None:
        answer_credit = 0.0  # no think structure at all: the rest is not an "answer"
    reasoning_out = _stripped(reasoning) if reasoning is not None else None
    score = (credit_open + credit_close + 2 * answer_credit) / 4
    if problems:
        return _verdict(False, tuple(problems), reasoning_out, answer, min(score, 0.75), source)
    return _verdict(True, (), reasoning_out, answer, score, source)


def _judge_answer(
    text: str, start: int, tags: list[_Tag], mode: AnswerTags, strict: bool, problems: list[str]
) -> tuple[str | None, float]:
    """Check the part after `</think>`; returns (answer, credit in [0, 1]) and appends problems."""
    ans_tags = [t for t in tags if t[1] >= start and t[0] in ("answer", "/answer")]
    if mode == "forbidden" or not ans_tags:
        if ans_tags:
            problems.append(ANSWER_TAGS_FORBIDDEN)
            return _stripped(text[start:]) or None, 0.0
        if mode == "required":
            problems.append(MISSING_ANSWER_TAGS)
        answer = _stripped(_without_tags(text, start, len(text), tags))
        if not answer:
            problems.append(EMPTY_ANSWER)
            return None, 0.0
        return answer, 0.0 if mode == "required" else 1.0
    credit = 0.0
    if len(ans_tags) != 2 or ans_tags[0][0] != "answer" or ans_tags[1][0] != "/answer":
        problems.append(BAD_ANSWER_TAGS)
        n_open = [t[0] for t in ans_tags].count("answer")
        n_close = len(ans_tags) - n_open
        credit = 0.5 * (n_open == 1) + 0.5 * (n_close == 1 and ans_tags[-1][0] == "/answer")
        return None, credit / 2
    open_t, close_t = ans_tags
    answer = _stripped(_without_tags(text, open_t[2], close_t[1], tags))
    if strict and (_stripped(text[start : open_t[1]]) or _stripped(text[close_t[2] :])):
        problems.append(TEXT_OUTSIDE_ANSWER)
        credit -= 0.5
    if not answer:
        problems.append(EMPTY_ANSWER)
        return None, max(0.0, 0.5 + credit)
    return answer, max(0.0, 1.0 + credit)


def _judge_field(
    content: str,
    reasoning: str,
    tags: list[_Tag],
    field_tags: list[_Tag],
    answer_tags: AnswerTags,
    strict: bool,
    allow_empty_think: bool,
) -> FormatVerdict:
    """Reasoning came in a separate field: the content is the answer part. A reasoning parser
    takes the think tags out, so a tag left in the field is one the model repeated
    (`<think><think></think>42` parses to the field `<think>`) or an answer given inside the
    thinking; tags are no thought either way."""
    problems: list[str] = []
    think_in_content = [t for t in tags if t[0] in ("think", "/think")]
    if think_in_content:
        problems.append(THINK_TAG_IN_CONTENT)
    kinds = {t[0] for t in field_tags}
    nested = bool(kinds & {"think", "/think"})
    if nested:
        problems.append(NESTED_THINK)
    if kinds & {"answer", "/answer"}:
        problems.append(ANSWER_TAG_IN_THINK)
    empty = not _has_thought(_stripped(_without_tags(reasoning, 0, len(reasoning), field_tags)))
    if empty and not allow_empty_think:
        problems.append(EMPTY_THINK)
    answer, credit = _judge_answer(content, 0, tags, answer_tags, strict, problems)
    # the reasoning's half: lost to think tags in the content or to an empty field, and one
    # quarter of it to a repeated think tag in the field (as the opening's in a text)
    think_credit = 0 if think_in_content or (empty and not allow_empty_think) else 2 - nested
    score = _cap((think_credit + 2 * credit) / 4, problems)
    return _verdict(not problems, tuple(problems), _stripped(reasoning), answer, score, "field")


def _without_tags(text: str, lo: int, hi: int, tags: list[_Tag]) -> str:
    """text[lo:hi] with the tags in it blanked: what a part says, judged without its tags (a
    repeated tag is no thought and no answer, so it never earns the credit of one)."""
    inside = [(max(t[1], lo) - lo, min(t[2], hi) - lo) for t in tags if t[1] < hi and t[2] > lo]
    return _blank(text[lo:hi], inside) if inside else text[lo:hi]


def _cap(score: float, problems: list[str]) -> float:
    # A malformed completion never gets full credit, whichever rule it broke.
    return min(score, 0.75) if problems else score


def format_score(completion: Any, **options: Any) -> float:
    """Graded format reward in [0, 1], like open-r1's `tag_count_reward` but not foolable.

    A quarter each for: the think opening (or a pre-filled one) being the only one and first; the
    think closing being the only one; and two quarters for the answer part (half for each correct
    answer tag when tags are used, all of it for a non-empty untagged answer when tags are
    optional). Repeating a tag never adds credit: it takes that tag's credit away. Empty thinking
    (unless `allow_empty_think=True`) earns neither think quarter, whether in tags, pre-filled or
    an empty reasoning field, so skipping the reasoning scores at most 0.5 (with a good answer;
    an empty shell `<think></think><answer></answer>` 0.25), never more than reasoning with the
    same answer part. A malformed completion scores at most 0.75, so 1.0 means exactly
    `bool(check_format(...))`.
    """
    return check_format(completion, **options).score


def format_scores(completions: Sequence[Any], **options: Any) -> list[float]:
    """Batch form of `format_score`, in the shape of a TRL reward function's output. The options
    are checked once per batch, and well-formed completions of the usual shapes get their 1.0
    without a verdict being built."""
    check_format("", **options)  # bad options raise here, once
    settings = {**(check_format.__kwdefaults__ or {}), **options}
    prefilled = settings["prefilled_think"]
    if prefilled is not False and prefilled is not True:
        prefilled = _prefill_flag(prefilled)
    mode, strict, allow_empty = (
        settings[k] for k in ("answer_tags", "strict", "allow_empty_think")
    )
    tag_names = settings["think_tags"], settings["answer_tag_names"]
    fast = tag_names == (_DEFAULT_THINK, _DEFAULT_ANSWER)
    max_chars = settings["max_chars"]
    scores: list[float] = []
    append = scores.append
    for c in completions:
        if type(c) is not str or len(c) > max_chars:
            append(check_format(c, **options).score)
            continue
        judged = _fast(c, prefilled, mode, strict, allow_empty, False) if fast else None
        if judged is None:
            judged = _judge_text(c, prefilled, mode, strict, allow_empty, *tag_names)
        append(judged if isinstance(judged, float) else judged.score)
    return scores


def split_at_think_end(text: str) -> tuple[str, str] | None:
    """(before, after) the `</think>` that `check_format` reads as the end of the thinking (the
    first outside fenced code, default tags), or None when the text has none (or is no str)."""
    if not isinstance(text, str):
        return None
    for kind, start, end in _tags(text, _DEFAULT_THINK, _DEFAULT_ANSWER):
        if kind == "/think":
            return text[:start], text[end:]
    return None


def extract_cot(
    completion: Any, *, prefilled_think: Prefill = "auto", **options: Any
) -> str | None:
    """The chain of thought as `check_format` parses it: the think block, everything before
    `</think>` when pre-filled, the reasoning field of a message; None when there is none."""
    return check_format(completion, prefilled_think=prefilled_think, **options).reasoning
