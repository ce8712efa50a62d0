"""Mask what is not natural language (code, LaTeX math, URLs) before counting words.

Fenced code follows the format checker's rule (`fence_spans`, which `think` uses too): one
forward pass over the runs of 3+ backticks or tildes; a fence that is never closed is not code,
and neither it nor anything after it is masked (masking to the end of the text would let a chain
of thought hide any language after a stray ```). The checker also lets its closing tags end a
fence (`breaks`, `reopen`); the masker reads texts with the think tags already split off (a chain
of thought, or a completion's parts), where those tag rules find nothing to end.

Every pattern is linear: delimited spans use "tempered" bodies that stop at the next opening or
closing delimiter, so an input of a million unclosed `\\[` or `$` fails fast at each start instead
of rescanning to the end (no catastrophic backtracking).

A masked span becomes one space, but keeps the language it holds (`_Kept`), in place: letters of
scripts other than Latin and Greek, and Greek runs of three or more letters (math notation and code
are written in Latin and Greek letters, Greek ones alone or in pairs: αβ; Chinese inside `$..$` or
a code comment in Russian is language, and masking it let a policy hide a mixed-language chain of
thought in math delimiters for a full language reward), with the sentence ends after them. Its
Han characters are counted apart (`split_non_language`). Latin letters in math and code stay
masked, `\\text{..}` arguments included: `ABC`, `sin`, `max_value`, `\\text{cm}`, `\\text{if}` are
notation to a reader of any language.
"""

from __future__ import annotations

import re
import sys
from functools import cache

from .language_scripts import SENTENCE_END

_INDENT = re.compile(r"[ \t]*")
# The rest of a run of backticks or tildes (a fence run is found with str.find, see _find_run).
_RUN_REST = {"`": re.compile("`*"), "~": re.compile("~*")}
_INLINE_CODE = r"``(?:[^`\n]|`(?!`))+``|`[^`\n]+`"
# Bodies exclude `$`, so a span can only end at the next `$`: possessive bodies (`*+`, `++`) give
# the same matches as the lazy `*?` without retrying the closing test at every character. Python
# 3.10's `re` has no possessive quantifiers; there the greedy body gives the same matches too
# (backtracking into a body that cannot hold `$` never finds a closing `$`), at up to twice the
# work on a failed span.
POSSESSIVE = "+" if sys.version_info >= (3, 11) else ""


def dollar_math(possessive: str = POSSESSIVE) -> str:
    """The pattern of `$..$` and `$$..$$` spans; `possessive` is "+" or "" (see above)."""
    return (
        r"\$(?:"
        rf"\$[^$]+{possessive}\$\$"  # display math
        # inline math, Pandoc's rule: no space just inside either delimiter and no digit right
        # after the closing one, so "costs $5 and $6" stays prose
        rf"|(?![\s$])[^$\n]*{possessive}(?<![\s\\])\$(?!\d)"
        r")"
    )


_DOLLAR = dollar_math()
# Environments whose body is not language: math and verbatim code. Any other environment (proof,
# itemize, theorem, quote, tabular, ...) holds prose: only its markers and commands are masked, or
# a policy could hide a chain of thought in \begin{proof}..\end{proof}.
_MASKED_ENVS = (
    "equation|eqnarray|align|alignat|aligned|alignedat|flalign|gather|gathered|multline|split"
    "|math|displaymath|array|subarray|[pbBvV]?matrix|smallmatrix|[dr]?cases|CD"
    "|verbatim|Verbatim|lstlisting|minted|tikzpicture|tikzcd"
)
_ENV_NAME = rf"(?:{_MASKED_ENVS})\*?"
_ENV_BODY = r"[^\\]|\\(?!begin\{|end\{)"  # stops at any nested marker: linear
_INNER_ENV = rf"\\begin\{{(?P<i>{_ENV_NAME})\}}(?:{_ENV_BODY})*\\end\{{(?P=i)\}}"
_LATEX = (
    r"\\\[(?:[^\\]|\\(?![\[\]]))*\\\]"  # \[ ... \], stopping at any nested \[ or \]
    r"|\\\((?:[^\\]|\\(?![()]))*\\\)"  # \( ... \)
    # a masked environment, with masked environments one level deep in it (`cases` in `align*`)
    rf"|\\begin\{{(?P<e>{_ENV_NAME})\}}(?:{_ENV_BODY}|{_INNER_ENV})*\\end\{{(?P=e)\}}"
    # a lone environment marker (a text environment, nested ones), with a column spec after it;
    # only a name is masked with it: `\\begin{any prose}` would hide whatever the braces hold
    r"|\\(?:begin|end)\{[A-Za-z@]+\*?\}(?:\{[lcrpmbX|\s]*\})?"
    r"|\\[a-zA-Z]+\*?"  # any other command
)
# A URL is the characters RFC 3986 allows (ASCII), not everything up to the next space: Chinese
# and Japanese put no space after one, so `\S+` masked the whole paragraph that followed.
_URL = r"(?:(?:https?|ftp)://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+"


class _Trigger:
    """A cheap test for any of some substrings in a text. One character: `in`, a memchr. A longer
    one: a regex search, whose literal scan runs 2-3x faster than `in` does with a needle of two
    to four characters (CPython 3.11, measured on 2 KB chains of thought: 0.6 against 1.1-1.9 µs,
    Chinese or English), and a chain of thought pays three of them."""

    __slots__ = ("chars", "needles", "searches")

    def __init__(self, *needles: str) -> None:
        self.needles = needles
        self.chars = tuple(n for n in needles if len(n) == 1)
        self.searches = tuple(re.compile(re.escape(n)).search for n in needles if len(n) > 1)

    def __call__(self, text: str) -> bool:
        return any(c in text for c in self.chars) or any(s(text) for s in self.searches)


_ESCAPED_DOLLAR = _Trigger("\\$")
# (cheap test, pattern): a pass runs only when its test finds one of its substrings, and each
# pattern starts with a literal, so the regex engine skips ahead with a fast search.
# Each pattern twice: as is, to substitute, and with the whole match as group 1, to split the text
# by (`_mask_spans`; a group slows a substitution).
# The last item says whether the pass masks math, whose spans may read as prose (`_prose_spans`).
_PASSES: tuple[tuple[_Trigger, re.Pattern[str], re.Pattern[str], bool], ...] = tuple(
    (_Trigger(*triggers), re.compile(pattern), re.compile(f"({pattern})"), math)
    for triggers, pattern, math in (
        (("`",), _INLINE_CODE, False),
        (("://", "www."), _URL, False),  # two searches: one of the alternation is 4x slower
        (("$",), _DOLLAR, True),  # before commands: `$\\frac{a}{b}$` must still start with `$\\`
        (("\\",), _LATEX, True),
    )
)
# an opening fence line, as `fence_spans` reads one (no backtick after a backtick run)
FENCED_BLOCK = re.compile(r"^[ \t]*(?:`{3,}[^`\n]*|~{3,}[^\n]*)\n", re.MULTILINE)


def _find_run(text: str, run: str, pos: int) -> int:
    """`text.find(run, pos)` for a run of one repeated character, by a memchr for the character
    (a three-character str.find, or a regex of the two fence runs, is a much slower search on
    non-ASCII text); most hits start the run."""
    ch = run[0]
    i = text.find(ch, pos)
    while i != -1 and not text.startswith(run, i):
        i = text.find(ch, i + 1)
    return i


def _occurrences(text: str, needles: tuple[str, ...]) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of the needles, in order (few: the closing tags)."""
    found: list[tuple[int, int]] = []
    for needle in needles:
        i = text.find(needle)
        while i != -1:
            found.append((i, i + len(needle)))
            i = text.find(needle, i + len(needle))
    found.sort()
    return found


def on_own_line(text: str, hit: tuple[int, int], lo: int, hi: int) -> bool:
    """Whether the occurrence `hit` has a line of its own (only whitespace around it) inside
    text[lo:hi]; a line reaching past either end holds a fence run or another occurrence."""
    start, stop = hit
    if not (lo < start and stop < hi and text[start - 1].isspace() and text[stop].isspace()):
        return False  # at once for a tag in a line of code: print('</think>')
    nl = text.rfind("\n", lo, start)
    end = text.find("\n", stop, hi)
    if nl == -1 or end == -1:
        return False
    return not text[nl + 1 : start].strip() and not text[stop:end].strip()


def fence_spans(text: str, breaks: tuple[str, ...] = (), reopen: str = "") -> list[tuple[int, int]]:
    """Spans (start of the opening line, end of the closing run) of the closed fenced code blocks,
    by the format checker's rule: a run of 3+ backticks or tildes at a line start, after any
    spaces or tabs (code in a list item is indented), opens a block (a backtick run only
    when no backtick follows on its line: CommonMark reads ```x``` as inline code), closed
    by such a run of the same character at least as long with nothing else on its line. A
    line that holds one of `breaks` alone (the format checker's closing tags) ends an open
    block unclosed: code does not run across `</think>`, as reasoning parsers that split
    there read it, so a draft left open in the thinking cannot hide the tag that follows it
    on a line of its own (what models write). A block that holds `breaks[0]` and then
    `reopen` (`</think>` then `<think>`) gives no span either: it is a second think block in
    disguise, since every reasoning parser splits at that tag. Single pass over the runs: an
    opener that is never closed gives no span, and the runs after it are not tried as
    openers again (linear, no rescan per opener)."""
    spans: list[tuple[int, int]] = []
    opening: tuple[str, int, int, int] | None = None  # (char, length, line start, run end)
    hits = _occurrences(text, breaks) if breaks else []
    k = 0  # the next occurrence not yet passed
    first_break = breaks[0] if breaks else ""
    inside = -1  # end of the first `breaks[0]` inside the open block (-1: none)
    line_start = scanned = 0
    indented_line, text_start = -1, 0
    # next maximal run of each character at or after the scan position (-1: none left)
    bt = _find_run(text, "```", 0) if "`" in text else -1
    tl = _find_run(text, "~~~", 0) if "~" in text else -1
    while bt != -1 or tl != -1:
        start = tl if bt == -1 else bt if tl == -1 or bt < tl else tl
        char = text[start]
        end = start + 3  # nearly every run is three long: a regex match only for a longer one
        if text.startswith(char, end):
            end = _RUN_REST[char].match(text, end).end()
        if char == "`":
            bt = _find_run(text, "```", end)
        else:
            tl = _find_run(text, "~~~", end)
        nl = text.rfind("\n", scanned, start)  # only what is new since the last run: linear
        scanned = start
        if nl != -1:
            line_start = nl + 1
        if line_start != indented_line:  # where this line's text starts, once per line
            indented_line, text_start = line_start, _INDENT.match(text, line_start).end()
        if start != text_start:
            continue  # not at a line start: inline backticks
        if opening is not None and k < len(hits) and hits[k][0] < start:
            lo = opening[3]  # a break line ends the opening if it has a line of its own
            while k < len(hits) and hits[k][0] < start:
                if hits[k][0] >= lo:
                    following = hits[k + 1][0] if k + 1 < len(hits) else start
                    if on_own_line(text, hits[k], lo, min(following, start)):
                        opening = None  # never closed
                        k += 1
                        break
                    if inside == -1 and text.startswith(first_break, hits[k][0]):
                        inside = hits[k][1]
                    lo = hits[k][1]
                k += 1
        line_end = text.find("\n", end)
        if line_end == -1:
            line_end = len(text)
        if opening is None:
            if char == "`" and text.find("`", end, line_end) != -1:
                continue  # a backtick in the info string: inline code (```x```), as CommonMark
            opening = (char, end - start, line_start, end)
            inside = -1
            continue
        if char == opening[0] and end - start >= opening[1] and not text[end:line_end].strip():
            if inside == -1 or not reopen or text.find(reopen, inside, start) == -1:
                spans.append((opening[2], end))
            opening = None
    return spans


def _mask_fences(text: str, kept: _Kept | None) -> str:
    """`text` with each closed fenced block (`fence_spans`) replaced by a space (by what it keeps,
    `_Kept`, when keeping)."""
    spans = fence_spans(text)
    if not spans:
        return text
    lefts = kept.of([text[a:b] for a, b in spans]) if kept is not None else [" "] * len(spans)
    out: list[str] = []
    done = 0
    for (start, end), left in zip(spans, lefts, strict=True):
        out.append(text[done:start])
        out.append(left)
        done = end
    out.append(text[done:])
    return "".join(out)


def mask_non_language(text: str) -> str:
    """`text` with code, math, LaTeX commands and URLs replaced by a space each, keeping the
    language inside them but their Han (see `split_non_language`)."""
    return split_non_language(text)[0]


def split_non_language(text: str) -> tuple[str, int]:
    """(`text` masked, the number of Han characters its masked spans held). A span keeps its
    other languages in place (see the module docstring), but its Han is counted apart: math and
    code have no sentences, so whether their kanji are Japanese or Chinese is the document's
    call (`language.language_share`), not that of the line a display formula sits on."""
    kept = _Kept() if not text.isascii() else None  # ASCII spans hold nothing: substitutions
    if "`" in text or "~" in text:  # first, on the text as `check_format` reads it
        text = _mask_fences(text, kept)
    if "\\" in text and _ESCAPED_DOLLAR(text):  # an escaped dollar is text, never a delimiter
        text = text.replace("\\$", "  ")
    for present, pattern, split_by, math in _PASSES:
        if present(text):
            if kept is not None or math:
                text = _mask_spans(split_by, text, kept, math)
            else:
                text = pattern.sub(" ", text)
    return text, kept.han if kept is not None else 0


def _mask_spans(pattern: re.Pattern[str], text: str, kept: _Kept | None, math: bool) -> str:
    """`text` with each match of `pattern` (group 1: the whole match) replaced by what it keeps
    (`_Kept`; nothing in an ASCII text), or, for math that reads as prose, by its text without
    its notation: a split, and one pass over the spans that hold a non-ASCII character."""
    parts = pattern.split(text)
    stride = pattern.groups + 1
    prose = parts[0::stride]
    spans = parts[1::stride]
    written = _prose_spans(spans, prose) if math else []
    if not written and "".join(spans).isascii():
        return " ".join(prose)
    if written:
        masked = list(spans)
        for i in written:
            masked[i] = ""  # its language stays in place below, not counted apart
    left = kept.of(masked if written else spans) if kept is not None else [" "] * len(spans)
    for i in written:
        left[i] = f" {_NOTATION.sub(' ', spans[i])} "
    joined: list[str] = [""] * (2 * len(prose) - 1)
    joined[0::2] = prose
    joined[1::2] = left
    return "".join(joined)


# Math that reads as prose: a span with PROSE_WORDS or more distinct words of three or more
# Latin letters (`\\text{let me think about it ...}`, or a whole chain of thought in `\\(..\\)`)
# is text, and counts as such, without its notation (command and environment names). Notation
# has fewer: styled letters and subscripts (`\\mathrm{Var}`, `E_{kin}`, `v_{\\text{rel}}`) are a
# few names, units repeat (`\\text{ seconds}`), and point names (`ABD`, `\\text{SSS}`: capitals,
# four letters at most) are no words. Without it, English wrapped in math scored 1.0 for a
# Chinese target; styled or subscripted text counts too, or wrapping each word would hide it.
PROSE_WORDS = 8
_NOTATION = re.compile(r"\\(?:begin|end)\s*\{[^{}]*\}|\\[A-Za-z]+")
_PROSE_WORD = re.compile(r"[A-Za-z]{3,}")
# word shapes, byte by byte: a Latin letter "a", a backslash itself, anything else a space; a
# word start is then " aaa" (after a digit too, as `_PROSE_WORD` finds it)
_SHAPES = (
    bytes(ord("a") if chr(b).isalpha() else b if b == 0x5C else 0x20 for b in range(128))
    + b" " * 128
)


def _prose_spans(spans: list[str], between: list[str]) -> list[int]:
    """Indices of the math spans that read as prose (PROSE_WORDS), alone or with the spans next
    to them (`between[i]` is the text before span i): spans with no word between them are read
    together, or `$Let me think$ $about this problem$ ...` would pass a few words at a time.
    One translation of all the spans and a substring count first: a necessary condition (every
    word start, notation's too), rarely met by honest math; then the exact test, by group."""
    shape = " ".join(spans).encode("ascii", "replace").translate(_SHAPES)
    if shape.count(b" aaa") + shape[:3].isalpha() < PROSE_WORDS:
        return []
    found: list[int] = []
    group = [0]
    for i in range(1, len(spans) + 1):
        if i < len(spans) and _WORD_CHAR.search(between[i]) is None:
            group.append(i)  # only spaces and punctuation since the last span: one run
            continue
        if _reads_as_prose(" ".join(spans[j] for j in group)):
            found += group
        group = [i]
    return found


_WORD_CHAR = re.compile(r"\w")


def _reads_as_prose(span: str) -> bool:
    if len(span) < PROSE_WORDS * 4:  # words of 3+ letters and a separator each
        return False
    words = _PROSE_WORD.findall(_NOTATION.sub(" ", span))
    if len(words) < PROSE_WORDS:
        return False
    distinct = {w.lower() for w in words if not (len(w) <= 4 and w.isupper())}  # no point names
    return len(distinct) >= PROSE_WORDS


_SEPARATOR = "\x00"  # between spans in `_Kept.of`'s one pass; neutral, so dropped from the spans


@cache
def _kept_pattern() -> re.Pattern[str]:
    """What a span keeps, and the separator: runs of letters of scripts other than Latin, Greek
    and Common (with the marks, invisible characters and Common modifier letters such as the
    tatweel that sit inside words), Greek runs of three or more letters, each with the sentence
    end after it; and the sentence ends of CJK, which notation never uses. Every repetition
    consumes what it matched, so the pass is linear (a run that had to start with a letter
    rescanned a long run of marks from each of them)."""
    import regex  # on first use: importing this module stays light

    inside = r"[\p{M}\p{Default_Ignorable_Code_Point}]|[\p{Lm}&&\p{Common}]"
    other = r"[\p{L}--[\p{Latin}\p{Greek}\p{Common}]]"
    greek = rf"(?:\p{{Greek}}(?:{inside})*){{3,}}"
    ends = SENTENCE_END.replace("\n", "")
    wide_ends = "".join(ch for ch in ends if not ch.isascii())
    return regex.compile(
        rf"(?:(?:{other}|{inside})+|{greek})[{regex.escape(ends)}]?|[{wide_ends}]|{_SEPARATOR}",
        regex.V1,
    )


@cache
def _han() -> re.Pattern[str]:
    """A Han character (what `language_scripts` classes as Han: 々 and 〇 too)."""
    import regex

    return regex.compile(r"\p{Han}")


class _Kept:
    """What masked spans leave in the text, and the Han characters they held (counted apart)."""

    __slots__ = ("han",)

    def __init__(self) -> None:
        self.han = 0

    def of(self, spans: list[str]) -> list[str]:
        """A space per span, or the language in it (`_kept_pattern`, Han taken out) between
        spaces. One regex pass over the spans that hold a non-ASCII character, not a call per
        span (a megabyte of `$中$ ` is 200,000 spans)."""
        kept = [" "] * len(spans)
        holders = [i for i, span in enumerate(spans) if not span.isascii()]
        if not holders:
            return kept
        joined = _SEPARATOR.join(spans[i] for i in holders)
        if joined.count(_SEPARATOR) != len(holders) - 1:
            joined = _SEPARATOR.join(spans[i].replace(_SEPARATOR, "") for i in holders)
        found, han = _han().subn(" ", " ".join(_kept_pattern().findall(joined)))
        self.han += han
        for i, piece in zip(holders, found.split(_SEPARATOR), strict=True):
            left = piece.strip(" ")
            if left:
                kept[i] = f" {left} "
        return kept


def has_code_block(text: str) -> bool:
    """True if the text has a fenced code block (``` or ~~~ at the start of a line)."""
    return FENCED_BLOCK.search(text) is not None


def longest_paragraph(text: str) -> int:
    """Length in characters of the longest paragraph (blocks separated by blank lines); a wall of
    text without breaks is a common sign of degenerate reasoning."""
    return max((len(p.strip()) for p in _BLANK_LINE.split(text)), default=0)


_BLANK_LINE = re.compile(r"\r?\n[ \t]*\r?\n")  # Windows line ends too
