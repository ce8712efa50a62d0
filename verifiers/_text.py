"""Mask what is not natural language (code, LaTeX math, URLs) before counting words.

Every pattern is linear: delimited spans use "tempered" bodies that stop at the next opening or
closing delimiter, so an input of a million unclosed `\\[` or `$` fails fast at each start instead
of rescanning to the end (no catastrophic backtracking). Masked spans become one space.
"""

from __future__ import annotations

import re

# Fenced code (CommonMark-ish): an unclosed fence runs to the end of the text, as in Markdown.
_FENCE = (
    r"^[ ]{0,3}(?P<f>`{3,}|~{3,})[^\n]*(?:\n|\Z)"  # opening line with its info string
    r"(?:[^\n]*\n)*?"  # body, line by line, as few lines as possible
    r"(?:[ ]{0,3}(?P=f)[`~]*[ \t]*$|[^\n]*\Z)"  # closing fence, or the end of the text
)
_INLINE_CODE = r"``(?:[^`\n]|`(?!`))+``|`[^`\n]+`"
# Bodies exclude `$`, so a span can only end at the next `$`: possessive bodies (`*+`, `++`) give
# the same matches as the lazy `*?` without retrying the closing test at every character.
_DOLLAR = (
    r"\$(?:"
    r"\$[^$]++\$\$"  # display math
    # inline math, Pandoc's rule: no space just inside either delimiter and no digit right after
    # the closing one, so "costs $5 and $6" stays prose
    r"|(?![\s$])[^$\n]*+(?<![\s\\])\$(?!\d)"
    r")"
)
_LATEX = (
    r"\\\[(?:[^\\]|\\(?![\[\]]))*\\\]"  # \[ ... \], stopping at any nested \[ or \]
    r"|\\\((?:[^\\]|\\(?![()]))*\\\)"  # \( ... \)
    r"|\\begin\{(?P<e>[a-zA-Z]+\*?)\}(?:[^\\]|\\(?!begin\{|end\{))*\\end\{(?P=e)\}"
    r"|\\(?:begin|end)\{[^}\n]*\}"  # a lone environment marker (nested environments)
    r"|\\[a-zA-Z]+\*?"  # any other command
)
_URL = r"(?:https?|ftp)://\S+|www\.\S+"

# (cheap substring tests, pattern): a pass runs only when one of its substrings occurs, and each
# pattern starts with a literal, so the regex engine skips ahead with a fast search.
_FENCE_RE = re.compile(_FENCE, re.MULTILINE)
_PASSES: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    (("`",), re.compile(_INLINE_CODE)),
    (("://", "www."), re.compile(_URL)),
    (("$",), re.compile(_DOLLAR)),  # before commands: `$\\frac{a}{b}$` must still start with `$\\`
    (("\\",), re.compile(_LATEX)),
)
FENCED_BLOCK = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})[^\n]*\n", re.MULTILINE)


def _find_run(text: str, run: str, pos: int) -> int:
    """`text.find(run, pos)` for a run of one repeated character, by a memchr for the character
    (a three-character str.find is a much slower search); most hits start the run."""
    ch = run[0]
    i = text.find(ch, pos)
    while i != -1 and not text.startswith(run, i):
        i = text.find(ch, i + 1)
    return i


def _mask_fences(text: str) -> str:
    """`_FENCE_RE.sub(" ", text)`, but the pattern is only tried at the line starts of ``` and
    ~~~ runs (found with str.find) instead of at every line start of the text. Same result: a
    match starts at a line start followed by at most 3 spaces and a fence run, so the first run
    at or after the scan position decides the only line start where the next match can begin."""
    out: list[str] = []
    done = pos = 0  # text[:done] is in out; no match starts before pos
    n = len(text)
    backticks, tildes = "`" in text, "~" in text
    while pos < n:
        bt = _find_run(text, "```", pos) if backticks else -1
        tl = _find_run(text, "~~~", pos) if tildes else -1
        run = tl if bt == -1 else bt if tl == -1 else min(bt, tl)
        if run == -1:
            break
        start = text.rfind("\n", 0, run) + 1
        m = _FENCE_RE.match(text, start) if start >= pos and run - start <= 3 else None
        if m is None:
            pos = run + 1
            continue
        out.append(text[done:start])
        out.append(" ")
        done = pos = m.end()
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def mask_non_language(text: str) -> str:
    """`text` with code, math, LaTeX commands and URLs replaced by a space each."""
    if "\\$" in text:  # an escaped dollar is text, never a math delimiter
        text = text.replace("\\$", "  ")
    if "`" in text or "~" in text:
        text = _mask_fences(text)
    for triggers, pattern in _PASSES:
        if any(t in text for t in triggers):
            text = pattern.sub(" ", text)
    return text


def has_code_block(text: str) -> bool:
    """True if the text has a fenced code block (``` or ~~~ at the start of a line)."""
    return FENCED_BLOCK.search(text) is not None


def longest_paragraph(text: str) -> int:
    """Length in characters of the longest paragraph (blocks separated by blank lines); a wall of
    text without breaks is a common sign of degenerate reasoning."""
    return max((len(p.strip()) for p in re.split(r"\n[ \t]*\n", text)), default=0)
