"""String-level clean-up of an extracted answer before it is parsed.

Removes what carries no mathematical meaning (spacing commands, `\\left`, `\\displaystyle`, math
delimiters, currency signs), unifies spellings (`\\dfrac` -> `\\frac`, `\\le` -> `<=`), and joins
thousands separators (`10{,}000`, `11,\\!111`, `1,000`, `1 000`) while a list such as `32, 349`
stays a list.
"""

from __future__ import annotations

from functools import lru_cache

import regex

_DELIMS = regex.compile(
    r"^\s*(?:\$\$|\$|\\\[|\\\()\s*(.*?)\s*(?:\$\$|\$|\\\]|\\\))\s*$", regex.DOTALL
)
_DOUBLED_COMMAND = regex.compile(
    r"(?<!\\)\\\\(?=(?:[dt]?frac|sqrt|begin|end|pi|text|cdot|times|left|right|infty|sin|cos|tan|log"
    r"|ln)(?![A-Za-z]))"
)
_SCIENTIFIC = regex.compile(r"(?<=\d)[eE]([+-]?\d+)(?![\d.A-Za-z])")
_MIXED_NUMBER = regex.compile(
    r"^(-?)(\d+) (\d+)/(\d+)(%?)$"
)  # a plain space only: `11\n5/6` is not one


def _mixed_number(m: regex.Match) -> str:
    """`1 1/2` is 1 + 1/2 when the fraction is proper (`-2 1/2` is -(2 + 1/2)); `11 6/6` stays a
    product."""
    sign, whole, num, den, pct = m.groups()
    if int(num) >= int(den):
        return m.group()
    return f"{sign}({whole}+{num}/{den}){pct}"


# A repeating decimal: `0.\overline{3}`, `0.1\overline{6}`, `2.\overline{142857}` (digits only, so a
# segment `\overline{AB}` is untouched).
_REPEATING = regex.compile(r"(?<![\d.])(\d*)\.(\d{0,20})\\overline\s*\{\s*(\d{1,20})\s*\}(?![\d.])")
# The same in parentheses, `0.(3)`, `0.1(6)` (digits on both sides of the point's left, so a
# product like `f.(3)` is not one).
_REPEATING_PAREN = regex.compile(r"(?<![\d.])(\d+)\.(\d{0,20})\(\s*(\d{1,20})\s*\)(?![\d.])")


def _repeating(m: regex.Match) -> str:
    """`0.1\\overline{6}` -> `{\\frac{15}{90}}`: the exact value, a group (never a mixed number)."""
    whole, fixed, period = m.groups()
    den = 10 ** len(fixed) * (10 ** len(period) - 1)
    num = int(whole or "0") * den + int(fixed + period) - int(fixed or "0")
    return f"{{\\frac{{{num}}}{{{den}}}}}"


_THOUSANDS_BRACE = regex.compile(r"(?<=\d)\{,\}(?=\d{3})")
_THOUSANDS_BANG = regex.compile(r"(?<=\d),\s*\\!\s*(?=\d{3}(?!\d))")
_THOUSANDS_COMMA = regex.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])")
# A decimal comma where no thousands grouping is possible: `0,111`, `1000,99`.
_DECIMAL_COMMA = regex.compile(r"(?<![\d.,])(0|\d{4,}),(\d+)(?![\d,])")
_SINGLE_COMMAND = regex.compile(r"(?<!\\)\\[A-Za-z]")
_THOUSANDS_SPACE = regex.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?![\d.,]| \d)")

_DROP = regex.compile(
    r"(?<!\\)\\(?:(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg|displaystyle"
    r"|textstyle|limits|nolimits|mathrm\{\s*\}|mathbf\{\s*\})(?![A-Za-z])|q?quad|[,;:!\s])"
    r"|\\(?:hspace|vspace)\*?\{[^{}]*\}|~"
)
# (pattern, literal replacement); applied in one pass by a single alternation.
_SPELLINGS = [
    (r"\\[dt]frac(?![A-Za-z])", "\\frac"),
    (r"\\[dt]binom(?![A-Za-z])", "\\binom"),
    (r"\\(?:leq?|leqslant)(?![A-Za-z])|≤|⩽", "<="),
    (r"\\(?:geq?|geqslant)(?![A-Za-z])|≥|⩾", ">="),
    (r"\\(?:neq?)(?![A-Za-z])|≠", "!="),
    (r"\\lt(?![A-Za-z])", "<"),
    (r"\\gt(?![A-Za-z])", ">"),
    (r"\\(?:cdot|times|ast)(?![A-Za-z])|×|·|⋅|∗", "*"),
    (r"\\div(?![A-Za-z])|÷", "/"),
    (
        r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![A-Za-z])|\\circ(?![A-Za-z])|°|\\degree(?![A-Za-z])",
        "°",
    ),
    (r"\\%", "%"),
    (r"\\\$|\\euro|€|£|¥|₹|\\pounds(?![A-Za-z])", ""),
    (r"\\(?:mathbb|mathbf|bm|boldsymbol)\s*(?:\{\s*R\s*\}|R(?![A-Za-z]))|ℝ", "\\reals "),
    # the words for it, as MATH's domain and range answers often are: `\text{all real numbers}`
    (
        r"(?i:(?:\\(?:text|textrm|mathrm|textbf|mbox)\s*\{\s*)?(?:the\s+set\s+of\s+)?"
        r"(?:all|every|any)\s+real(?:\s+numbers?|s)(?:\s*\})?)(?![A-Za-z])",
        "\\reals ",
    ),
    (r"\\(?:varnothing|emptyset)(?![A-Za-z])|∅|\\\{\s*\\\}", "\\emptyset "),
    (r"\\infty(?![A-Za-z])|∞|\\inf(?![A-Za-z])", "\\infty "),
    (r"√", "\\sqrt"),
    (r"π", "\\pi "),
    (r"±", "\\pm "),
    (r"∓", "\\mp "),
    (r"∪", "\\cup "),
    (r"∩", "\\cap "),
    (r"−|–", "-"),
    (r"\\(?:dots|ldots|cdots)(?![A-Za-z])|…", "\\dots "),
    (r"\\\\(?=\s*(?:\$|$))", ""),  # a stray trailing line break
]
_SPELLING_RE = regex.compile("|".join(f"(?P<s{i}>{p})" for i, (p, _) in enumerate(_SPELLINGS)))
_SPELLING_OUT = {f"s{i}": out for i, (_, out) in enumerate(_SPELLINGS)}
_WHITESPACE = regex.compile(r"\s+")


def strip_delimiters(text: str) -> str:
    text = text.strip()
    for _ in range(3):
        m = _DELIMS.match(text)
        if not m:
            break
        text = m.group(1)
    return text


@lru_cache(maxsize=65536)
def normalize(answer: str, decimal_comma: bool = True) -> str:
    """Canonical spelling of an answer string; idempotent and cached (answers repeat)."""
    s = strip_delimiters(answer)
    if _DOUBLED_COMMAND.search(s):  # escaped twice (JSON in JSON): `\\\\frac` for `\\frac`
        fully = not _SINGLE_COMMAND.search(s)
        s = _DOUBLED_COMMAND.sub(r"\\", s)
        if fully:  # then its row separators are doubled too
            s = s.replace("\\\\\\\\", "\\\\")
    if "overline" in s:
        s = _REPEATING.sub(_repeating, s)
    if "(" in s and "." in s:
        s = _REPEATING_PAREN.sub(_repeating, s)
    s = _SCIENTIFIC.sub(r"\\times 10^{\1}", s)
    s = _THOUSANDS_BRACE.sub("", s)
    s = _THOUSANDS_BANG.sub("", s)
    s = _DROP.sub(" ", s)
    s = _SPELLING_RE.sub(lambda m: _SPELLING_OUT[m.lastgroup], s)
    s = s.replace("$", " ")
    if not s.lstrip().startswith(("(", "[", "\\{", "{", "\\left")):
        if decimal_comma:
            s = _DECIMAL_COMMA.sub(r"\1.\2", s)
        s = _THOUSANDS_COMMA.sub(lambda m: m.group().replace(",", ""), s)
    s = _THOUSANDS_SPACE.sub(lambda m: m.group().replace(" ", ""), s)
    s = _MIXED_NUMBER.sub(_mixed_number, s.strip(" "))
    s = _WHITESPACE.sub(" ", s).strip()
    s = s.rstrip(".。,;").strip()
    return s
