"""Mask what is not natural language (code, LaTeX math, URLs) before counting words.

Fenced code follows the format checker's rule (`think._fences`), so what `check_format` reads as
text is never masked here: one forward pass over the runs of 3+ backticks or tildes; a fence
that is never closed is not code, and neither it nor anything after it is masked (masking to the
end of the text would let a chain of thought hide any language after a stray ```).

Every pattern is linear: delimited spans use "tempered" bodies that stop at the next opening or
closing delimiter, so an input of a million unclosed `\\[` or `$` fails fast at each start instead
of rescanning to the end (no catastrophic backtracking).

A masked span becomes one space, but keeps the language it holds (`_kept`): letters of scripts
other than Latin and Greek (math notation and code are written in those two; Chinese inside `$..$`
or a code comment in Russian is language, and masking it let a policy hide a mixed-language chain
of thought in math delimiters for a full language reward), and the argument of a text-mode command
(`\\text{..}`, `\\mbox{..}`: prose by LaTeX's own definition). Latin words elsewhere in math and
code stay masked: `ABC`, `sin`, `max_value` are notation.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from functools import cache
from itertools import accumulate

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
_LATEX = (
    r"\\\[(?:[^\\]|\\(?![\[\]]))*\\\]"  # \[ ... \], stopping at any nested \[ or \]
    r"|\\\((?:[^\\]|\\(?![()]))*\\\)"  # \( ... \)
    rf"|\\begin\{{(?P<e>(?:{_MASKED_ENVS})\*?)\}}(?:[^\\]|\\(?!begin\{{|end\{{))*\\end\{{(?P=e)\}}"
    # a lone environment marker (a text environment, nested ones), with a column spec after it
    r"|\\(?:begin|end)\{[^}\n]*\}(?:\{[lcrpmbX|\s]*\})?"
    r"|\\[a-zA-Z]+\*?"  # any other command
)
# A URL is the characters RFC 3986 allows (ASCII), not everything up to the next space: Chinese
# and Japanese put no space after one, so `\S+` masked the whole paragraph that followed.
_URL = r"(?:(?:https?|ftp)://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+"

# (cheap substring tests, pattern): a pass runs only when one of its substrings occurs, and each
# pattern starts with a literal, so the regex engine skips ahead with a fast search.
# Each pattern twice: as is, to substitute, and with the whole match as group 1, to split the text
# by (`_mask_spans`; a group slows a substitution). The flag: its spans are LaTeX, where
# text-mode commands hold prose (in code they are code).
_PASSES: tuple[tuple[tuple[str, ...], re.Pattern[str], re.Pattern[str], bool], ...] = tuple(
    (triggers, re.compile(pattern), re.compile(f"({pattern})"), latex)
    for triggers, pattern, latex in (
        (("`",), _INLINE_CODE, False),
        (("://", "www."), _URL, False),
        (("$",), _DOLLAR, True),  # before commands: `$\\frac{a}{b}$` must still start with `$\\`
        (("\\",), _LATEX, True),
    )
)
FENCED_BLOCK = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})[^\n]*\n", re.MULTILINE)


def _find_run(text: str, run: str, pos: int) -> int:
    """`text.find(run, pos)` for a run of one repeated character, by a memchr for the character
    (a three-character str.find, or a regex of the two fence runs, is a much slower search on
    non-ASCII text); most hits start the run."""
    ch = run[0]
    i = text.find(ch, pos)
    while i != -1 and not text.startswith(run, i):
        i = text.find(ch, i + 1)
    return i


def fence_spans(text: str) -> list[tuple[int, int]]:
    """Spans (start of the opening line, end of the closing run) of the closed fenced code blocks,
    by the format checker's rule: a run of 3+ backticks or tildes after at most 3 spaces at a line
    start opens a block, closed by such a run of the same character at least as long with nothing
    else on its line. Single forward pass over the runs: an opener that is never closed gives no
    span, and the runs after it are not tried as openers again (linear, no rescan per opener)."""
    spans: list[tuple[int, int]] = []
    opening: tuple[str, int, int] | None = None  # (char, length, line start)
    line_start = scanned = 0
    # next maximal run of each character at or after the scan position (-1: none left)
    bt = _find_run(text, "```", 0) if "`" in text else -1
    tl = _find_run(text, "~~~", 0) if "~" in text else -1
    while bt != -1 or tl != -1:
        start = tl if bt == -1 else bt if tl == -1 or bt < tl else tl
        char = text[start]
        end = _RUN_REST[char].match(text, start + 3).end()
        if char == "`":
            bt = _find_run(text, "```", end)
        else:
            tl = _find_run(text, "~~~", end)
        nl = text.rfind("\n", scanned, start)  # only what is new since the last run: linear
        scanned = start
        if nl != -1:
            line_start = nl + 1
        if start - line_start > 3 or (start > line_start and text[line_start:start].strip(" ")):
            continue  # not at a line start: inline backticks
        if opening is None:
            opening = (char, end - start, line_start)
            continue
        line_end = text.find("\n", end)
        rest = text[end:line_end] if line_end != -1 else text[end:]
        if char == opening[0] and end - start >= opening[1] and not rest.strip():
            spans.append((opening[2], end))
            opening = None
    return spans


def _mask_fences(text: str) -> str:
    """`text` with each closed fenced block (`fence_spans`) replaced by what it keeps (`_kept`)."""
    spans = fence_spans(text)
    if not spans:
        return text
    out: list[str] = []
    done = 0
    for start, end in spans:
        out.append(text[done:start])
        out.append(_kept(text[start:end], latex=False))
        done = end
    out.append(text[done:])
    return "".join(out)


def mask_non_language(text: str) -> str:
    """`text` with code, math, LaTeX commands and URLs replaced by a space each, keeping the
    language inside them (see the module docstring)."""
    # ASCII text without a text-mode command: no span can keep anything, so plain substitutions
    may_keep = not text.isascii() or _has_text_mode(text)
    if "`" in text or "~" in text:  # first, on the text as `check_format` reads it
        text = _mask_fences(text)
    if "\\$" in text:  # an escaped dollar is text, never a math delimiter
        text = text.replace("\\$", "  ")
    for triggers, pattern, split_by, latex in _PASSES:
        if any(t in text for t in triggers):
            text = _mask_spans(split_by, text, latex) if may_keep else pattern.sub(" ", text)
    return text


def _mask_spans(pattern: re.Pattern[str], text: str, latex: bool) -> str:
    """`text` with each match of `pattern` (group 1: the whole match) replaced by what it keeps
    (`_kept`; `latex`: the spans are LaTeX). A split, not `sub` with a function: spans that
    hold neither a non-ASCII character nor a text-mode command, nearly all, cost no Python call."""
    parts = pattern.split(text)
    stride = pattern.groups + 1
    prose = parts[0::stride]
    spans = parts[1::stride]
    held = "".join(spans)
    holders = set() if held.isascii() else {i for i, s in enumerate(spans) if not s.isascii()}
    commands = [m.start() for m in _TEXT_MODE_OPEN.finditer(held)] if latex else ()
    if commands:  # the span each starts in, by the spans' end offsets in `held`
        ends = list(accumulate(map(len, spans)))
        holders.update(bisect_right(ends, at) for at in commands)
    if not holders:
        return " ".join(prose)
    kept = [" "] * len(spans)
    for i in holders:
        kept[i] = _kept(spans[i], latex)
    joined: list[str] = [""] * (len(prose) + len(kept))
    joined[0::2] = prose
    joined[1::2] = kept
    return "".join(joined)


# A text-mode command and its opening brace: its argument is prose even inside math.
_TEXT_MODE_OPEN = re.compile(
    r"\\(?:text(?:rm|it|bf|sf|tt|up|sl|md|normal)?|mbox|hbox|intertext)\s*\{"
)
_TEXT_MODE_HINT = re.compile(r"\\(?:text|[mh]box|intertext)")
_BRACE = re.compile(r"\\[{}]|[{}]")  # escaped braces first: they do not nest
_PLAIN_ARGUMENT = re.compile(r"[^{}\\]*\}")  # no brace, no command, no escape inside
_COMMAND = re.compile(r"\\[a-zA-Z]+\*?")


def _has_text_mode(text: str) -> bool:
    """Whether `text` may have a text-mode command (a superset: `\\textcolor` too)."""
    return _TEXT_MODE_HINT.search(text) is not None


@cache
def _other_script_letters() -> re.Pattern[str]:
    """Runs of letters of scripts other than Latin, Greek and Common, with the marks and
    invisible characters that sit inside words."""
    import regex  # on first use: importing this module stays light

    return regex.compile(
        r"(?:[\p{L}--[\p{Latin}\p{Greek}\p{Common}]]|[\p{M}\p{Default_Ignorable_Code_Point}])+",
        regex.V1,
    )


def _text_mode_arguments(span: str) -> list[tuple[int, int, int]]:
    """(command start, argument start, argument end) of each outermost text-mode command in
    `span`. An argument runs to the brace that closes it, or to the end of the span when none
    does (a brace left open hides nothing). Linear: the braces are walked once, and only for an
    argument that is not plain text (most are: `\\text{ cm}`)."""
    found = []
    pos = 0
    while (command := _TEXT_MODE_OPEN.search(span, pos)) is not None:
        plain = _PLAIN_ARGUMENT.match(span, command.end())
        if plain is not None:
            end = plain.end() - 1
        else:
            depth, end = 1, len(span)
            for brace in _BRACE.finditer(span, command.end()):
                if len(brace.group()) == 2:  # \{ or \}
                    continue
                depth += 1 if brace.group() == "{" else -1
                if not depth:
                    end = brace.start()
                    break
        found.append((command.start(), command.end(), end))
        pos = end + 1
    return found


def _kept(span: str, latex: bool) -> str:
    """What a masked span leaves: a space, or the language in it between spaces, in order: the
    arguments of text-mode commands when the span is LaTeX (their own commands masked, all their
    words kept), and in the rest of the span the letters of scripts other than Latin and Greek."""
    ascii_only = span.isascii()
    if ascii_only and not (latex and _has_text_mode(span)):
        return " "
    letters = None if ascii_only else _other_script_letters().findall
    pieces: list[str] = []
    pos = 0
    for command_start, start, end in _text_mode_arguments(span) if latex else ():
        if letters is not None:
            pieces += letters(span, pos, command_start)
        pieces.append(_COMMAND.sub(" ", span[start:end]))
        pos = end
    if letters is not None:
        pieces += letters(span, pos)
    return f" {' '.join(pieces)} " if pieces else " "


def has_code_block(text: str) -> bool:
    """True if the text has a fenced code block (``` or ~~~ at the start of a line)."""
    return FENCED_BLOCK.search(text) is not None


def longest_paragraph(text: str) -> int:
    """Length in characters of the longest paragraph (blocks separated by blank lines); a wall of
    text without breaks is a common sign of degenerate reasoning."""
    return max((len(p.strip()) for p in re.split(r"\n[ \t]*\n", text)), default=0)
