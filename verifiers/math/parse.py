"""A small LaTeX answer parser: normalised answer text -> a tuple AST.

Hand-written (tokenizer plus recursive descent) rather than sympy's LaTeX parser: it is two
orders of magnitude faster, never imports sympy, and rejects what it does not understand instead
of guessing (a number inside an unparseable formula is never taken as the answer).

Nodes are tuples whose first item is the kind:
scalars   ("num", Fraction, sig_digits|None) ("sym", name) ("const", pi|e|i|inf) ("add", terms)
          ("mul", factors) ("neg", x) ("div", a, b) ("pow", b, e) ("root", x, n)
          ("func", name, x, base)
          ("fact", x) ("pct", x) ("deg", x) ("abs", x) ("floor", x) ("ceil", x) ("binom", n, k)
          ("based", digits, base) ("units", x, text)
structures ("list", items) ("set", items) ("seq", items, open, close) ("union", parts)
          ("eq", sides) ("rel", exprs, ops) ("in", x, s) ("pm", a, b) ("matrix", rows)
          ("system", items) ("time", parts) ("text", words) ("interval_all",) ("ratio", parts)
`sig_digits` is set for decimal literals only and drives the rounding policy (see compare).
"""

from __future__ import annotations

from fractions import Fraction

import regex

from .extract import match_brace

MAX_TOKENS = 400
MAX_DEPTH = 40


class ParseError(ValueError):
    pass


_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
    "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "varphi",
    "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi",
    "Omega",
}  # fmt: skip
FUNCTIONS = {
    "sin", "cos", "tan", "sec", "csc", "cot", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
    "log", "ln", "lg", "exp", "gcd", "lcm", "max", "min",
}  # fmt: skip
_TEXT_COMMANDS = {
    "text", "textbf", "textit", "textrm", "textsf", "texttt", "mathrm", "mbox", "operatorname",
    "mathit", "mathbf", "mathsf", "boldsymbol", "bm", "mathcal", "mathnormal", "textnormal", "hbox",
}  # fmt: skip
_UNIT_WORDS = {
    "cm",
    "mm",
    "km",
    "kg",
    "mg",
    "ml",
    "mL",
    "ft",
    "yd",
    "mi",
    "hr",
    "hrs",
    "min",
    "sec",
    "oz",
    "lb",
    "lbs",
    "in",
    "pm",
    "am",
}
_SEPARATOR_WORDS = {"and", "or", "et", "und", "и", "和", "或"}
# Text after a number is read as its unit ("18 students", "10 cm"), but a hedge, a bound, a
# doubt, a negation or a number word changes what the answer says ("2 or more", "10 at least",
# "2 is wrong", "5 million"): such text makes the answer unparseable, never a unit to drop.
_NOT_UNIT_WORDS = frozenset({
    "or", "and", "nor", "either", "neither", "but", "else", "otherwise", "unless", "except", "if",
    "plus", "minus", "vs", "versus", "to", "through", "till", "until", "between", "from", "more",
    "less", "fewer", "least", "most", "greater", "smaller", "larger", "bigger", "higher", "lower",
    "than", "over", "under", "above", "below", "up", "about", "around", "approx", "approximately",
    "roughly", "nearly", "almost", "circa", "maybe", "perhaps", "possibly", "probably", "likely",
    "guess", "unsure", "uncertain", "unknown", "not", "no", "non", "never", "none", "nothing",
    "isnt", "cannot", "wrong", "incorrect", "false", "invalid", "impossible", "undefined", "is",
    "are", "was", "were", "be", "equals", "equal", "ou", "oder", "o", "ó", "или", "ili", "zero",
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred",
    "thousand", "million", "billion", "trillion", "half",
    # multipliers, as "million" above: "5 thousands" is not 5 ("cm squared", "dozen" and
    # "万元" stay units: a question may ask in them)
    "hundreds", "thousands", "millions", "billions", "trillions", "lakh", "crore", "hundert",
    "tausend", "тысяч", "тысячи", "миллион", "миллиона", "миллионов",
    # estimates and retractions: "5 (estimate)", "5 (rejected)"
    "estimate", "estimated", "estimation",
    "guessed", "ish", "rejected", "extraneous", "discarded", "excluded", "invalidated",
    "tentative", "tentatively", "assuming", "assumed", "unverified", "doubtful",
    "più", "mehr", "weniger", "más", "menos", "mais", "больше", "меньше",
})  # fmt: skip
_NOT_UNIT_CJK = regex.compile(
    "或|不|非|约|約|左右|以上|以下|至少|至多|最多|最少|还是|可能|也许|错|程度|または|ない"
)
_UNIT_EXPONENT = regex.compile(r"\^\s*\{?\s*-?\d+\s*\}?")
_WORD_RE = regex.compile(r"[^\W\d_]+")
_DIGIT_OR_DOUBT = regex.compile(r"[\d?？]")


def _unit_after_number(word: str, tokens: list, s: str, i: int) -> bool:
    """`10 cm`, `10 min`: a unit word after a number, not a function before its argument at
    `s[i:]`; a word that is also a function (`min`, `sec`) is a unit only when no operand
    follows (`2\\text{sec} x` is 2 sec(x))."""
    if word not in _UNIT_WORDS or not tokens or tokens[-1][0] not in ("NUM", ")", "°"):
        return False
    rest = s[i:].lstrip()
    if word in FUNCTIONS:
        return not rest or rest[0] in "+-=,;)]}<>*/!"
    return not rest.startswith(("(", "{"))


def _reads_as_unit(text: str) -> bool:
    """Whether text after a number is a unit: no digit (but `m^2`), no `?`, no hedge word."""
    bare = _UNIT_EXPONENT.sub("", text)
    if _DIGIT_OR_DOUBT.search(bare) or _NOT_UNIT_CJK.search(bare):
        return False
    return not any(w in _NOT_UNIT_WORDS for w in _WORD_RE.findall(bare.casefold()))


_SIMPLE = {
    "pi": ("CONST", "pi"), "infty": ("CONST", "inf"), "reals": ("REALS", None),
    "emptyset": ("EMPTY", None),
    "pm": ("PM", None), "mp": ("MP", None), "cup": ("CUP", None), "cap": ("CAP", None),
    "in": ("IN", None), "dots": ("DOTS", None), "approx": ("APPROX", None), "to": ("ARROW", None),
    "rightarrow": ("ARROW", None), "Rightarrow": ("ARROW", None), "implies": ("ARROW", None),
    "lfloor": ("LFLOOR", None), "rfloor": ("RFLOOR", None), "lceil": ("LCEIL", None),
    "rceil": ("RCEIL", None), "mid": ("|", None), "vert": ("|", None), "lvert": ("|", None),
    "rvert": ("|", None), "langle": ("(", None), "rangle": (")", None), "prime": ("'", None),
    "cfrac": ("FRAC", None), "frac": ("FRAC", None), "sqrt": ("SQRT", None), "binom": ("BINOM",
    None),
    "choose": ("CHOOSE", None), "setminus": ("SETMINUS", None), "neg": ("-", None),
    "lnot": ("-", None),
    "imath": ("CONST", "i"), "iff": ("ARROW", None), "cdotp": ("*", None), "land": ("AND", None),
    "wedge": ("AND", None), "lor": ("OR", None), "vee": ("OR", None),
}  # fmt: skip
_DIGITS = frozenset("0123456789")
_NUMBER_TEXT = regex.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_PLAIN_WORDS = {
    "pi": ("CONST", "pi"),
    "sqrt": ("SQRT", None),
    "inf": ("CONST", "inf"),
    "infinity": ("CONST", "inf"),
    "oo": ("CONST", "inf"),
}
_NUM_RE = regex.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_CMD_RE = regex.compile(r"\\([A-Za-z]+)")
_LETTERS_RE = regex.compile(r"[A-Za-z]+")
_OTHER_TEXT_RE = regex.compile(r"[^\x00-\x7f°%]+")


def _brace_content(s: str, i: int) -> tuple[str, int]:
    """Raw content of the `{...}` group starting at s[i] (after spaces), and the index after it."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s) or s[i] != "{":
        raise ParseError("expected {")
    close = match_brace(s, i)
    if close < 0:
        raise ParseError("unbalanced braces")
    return s[i + 1 : close], close + 1


def tokenize(s: str) -> list[tuple[str, object]]:
    tokens: list[tuple[str, object]] = []
    i, n = 0, len(s)
    while i < n:
        if len(tokens) > MAX_TOKENS:
            raise ParseError("answer too long")
        c = s[i]
        if c in " \t\n":
            i += 1
            continue
        if c in _DIGITS or (c == "." and i + 1 < n and s[i + 1] in _DIGITS):
            m = _NUM_RE.match(s, i)
            i = m.end()
            if i < n and s[i] == "(" and m.group().endswith("."):
                # `2.(3)`: a repeating decimal written in a way normalize did not read, never
                # the product 2 * 3
                raise ParseError(f"number with a trailing point before '(' at {m.start()}")
            tokens.append(("NUM", m.group()))
            continue
        if c == "\\":
            if s.startswith("\\\\", i):
                tokens.append(("ROWSEP", None))
                i += 2
                continue
            if i + 1 < n and s[i + 1] in "{}|":
                tokens.append(
                    {"{": ("SETOPEN", None), "}": ("SETCLOSE", None), "|": ("|", None)}[s[i + 1]]
                )
                i += 2
                continue
            m = _CMD_RE.match(s, i)
            if not m:
                raise ParseError(f"stray backslash at {i}")
            name, i = m.group(1), m.end()
            if name in _TEXT_COMMANDS:
                content, i = _brace_content(s, i)
                content = content.strip()
                if not content:
                    continue
                if _NUMBER_TEXT.fullmatch(content):  # \text{13} is the number 13
                    tokens.extend(tokenize(content))
                    continue
                if regex.fullmatch(r"[A-Za-z]", content):
                    tokens.append(_letter_token(content))
                elif _unit_after_number(content, tokens, s, i):  # `5\text{ min}`: minutes
                    tokens.append(("TEXT", content))
                elif (
                    regex.fullmatch(r"\\?[A-Za-z]+", content) and content.lstrip("\\") in FUNCTIONS
                ):
                    tokens.append(("FUNC", content.lstrip("\\")))
                elif regex.fullmatch(r"\\[A-Za-z]+", content) and content[1:] in _GREEK:
                    tokens.append(("SYM", content[1:]))
                elif content.lstrip("\\") in ("pi",):
                    tokens.append(("CONST", "pi"))
                else:
                    tokens.append(("TEXT", content))
            elif name == "begin" or name == "end":
                env, i = _brace_content(s, i)
                env = env.strip().rstrip("*")
                if name == "begin" and env == "array":
                    _, i = _brace_content(s, i)  # column spec
                tokens.append(("BEGIN" if name == "begin" else "END", env))
            elif name in _GREEK:
                tokens.append(("SYM", name))
            elif name in FUNCTIONS or name in ("arcsec", "arccsc", "arccot", "coth", "det"):
                tokens.append(("FUNC", name))
            elif name in _SIMPLE:
                tokens.append(_SIMPLE[name])
            elif name in ("quad", "qquad", "left", "right", "displaystyle", "hline", "nonumber"):
                continue
            else:
                raise ParseError(f"unknown command \\{name}")
            continue
        if c.isascii() and c.isalpha():
            m = _LETTERS_RE.match(s, i)
            word, i0, i = m.group(), i, m.end()
            spaced = i0 == 0 or s[i0 - 1] in " \t"
            unit = spaced and _unit_after_number(word, tokens, s, i)
            if word in FUNCTIONS and not unit:
                tokens.append(("FUNC", word))
            elif word in _PLAIN_WORDS:  # plain-text math: pi/2, sqrt(3), -1 + exp(16)
                tokens.append(_PLAIN_WORDS[word])
            elif word in _SEPARATOR_WORDS or len(word) >= 3 or unit:
                tokens.append(("TEXT", word))
            else:
                tokens.extend(_letter_token(ch) for ch in word)
            continue
        if s.startswith(("<=", ">=", "!="), i):
            tokens.append(("REL", s[i : i + 2]))
            i += 2
            continue
        if c in "<>":
            tokens.append(("REL", c))
            i += 1
            continue
        if c in "+-*/^_!=,;|&()[]{}'%°:":
            kind = {"(": "(", ")": ")", "[": "[", "]": "]", "{": "{", "}": "}", "=": "EQ"}.get(c, c)
            tokens.append((kind, None))
            i += 1
            continue
        m = _OTHER_TEXT_RE.match(s, i)
        if m:
            tokens.append(("TEXT", m.group()))
            i = m.end()
            continue
        raise ParseError(f"unexpected character {c!r}")
    return tokens


def _letter_token(ch: str) -> tuple[str, object]:
    if ch == "e":
        return ("CONST", "e")
    if ch in "iI":
        return ("CONST", "i")
    return ("SYM", ch)


_STARTS_PRIMARY = {
    "NUM", "SYM", "CONST", "FUNC", "FRAC", "SQRT", "BINOM", "(", "{", "SETOPEN", "BEGIN",
    "LFLOOR", "LCEIL",
}  # fmt: skip


class _Parser:
    def __init__(self, tokens: list[tuple[str, object]]):
        self.t = tokens
        self.i = 0
        self.depth = 0

    # -- helpers -------------------------------------------------------------------------------
    def peek(self, k: int = 0) -> str | None:
        j = self.i + k
        return self.t[j][0] if j < len(self.t) else None

    def take(self, kind: str | None = None) -> tuple[str, object]:
        if self.i >= len(self.t):
            raise ParseError("unexpected end")
        tok = self.t[self.i]
        if kind is not None and tok[0] != kind:
            raise ParseError(f"expected {kind}, got {tok[0]}")
        self.i += 1
        return tok

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError("nested too deeply")

    # -- grammar -------------------------------------------------------------------------------
    def parse_items(self, closers: tuple[str, ...]) -> list:
        items = []
        while True:
            while (
                self.peek() == "TEXT" and str(self.t[self.i][1]).strip().lower() in _SEPARATOR_WORDS
            ):
                self.i += 1
            if self.peek() in closers or self.peek() is None:
                if items:
                    raise ParseError("empty item")
                return items
            items.append(self.relation())
            while (
                self.peek() == "TEXT" and str(self.t[self.i][1]).strip().lower() in _SEPARATOR_WORDS
            ):
                self.i += 1
                if self.peek() not in (",", ";"):
                    items.append(self.relation())
            if self.peek() in (",", ";"):
                self.i += 1
                continue
            return items

    def relation(self):
        self.enter()
        first = self.union()
        if self.peek() == "IN":
            self.i += 1
            node = ("in", first, self.union())
            self.depth -= 1
            return node
        sides, ops = [first], []
        while self.peek() in ("EQ", "REL", "APPROX"):
            kind, op = self.take()
            if kind == "APPROX" and not ops and first[0] == "sym":
                kind = "EQ"  # `x \approx 11` names the answer like `x = 11`
            ops.append("=" if kind == "EQ" else ("~" if kind == "APPROX" else op))
            sides.append(self.union())
        self.depth -= 1
        if not ops:
            return first
        if "~" in ops:  # "x = 3.01 \approx 3": the exact part is the answer
            cut = ops.index("~")
            sides, ops = sides[: cut + 1], ops[:cut]
            if not ops:
                return sides[0]
        if all(o == "=" for o in ops):
            return ("eq", tuple(sides))
        if "=" in ops:
            raise ParseError("mixed equation and inequality")
        return ("rel", tuple(sides), tuple(ops))

    def union(self):
        first = self._union()
        if self.peek() != ":":
            return first
        parts = [first]
        while self.peek() == ":":
            self.i += 1
            parts.append(self._union())
        return ("ratio", tuple(parts))

    def _union(self):
        parts = [self.additive()]
        while self.peek() in ("CUP", "CAP", "SETMINUS") or (
            self.peek() == "SYM" and self.t[self.i][1] == "U"
        ):
            if self.peek() != "CUP" and not (self.peek() == "SYM"):
                raise ParseError("only unions of sets are supported")
            self.i += 1
            parts.append(self.additive())
        return parts[0] if len(parts) == 1 else ("union", tuple(parts))

    def additive(self):
        if self.peek() in ("PM", "MP"):
            self.i += 1
            return ("pm", ("num", Fraction(0), None), self.term())
        node = self.term()
        terms = [node]
        while self.peek() in ("+", "-", "PM", "MP"):
            kind = self.take()[0]
            rhs = self.term()
            if kind in ("PM", "MP"):
                base = terms[0] if len(terms) == 1 else ("add", tuple(terms))
                return (
                    "pm",
                    base,
                    rhs if self.peek() not in ("+", "-") else self._rest_of_sum(rhs),
                )
            terms.append(rhs if kind == "+" else ("neg", rhs))
        return terms[0] if len(terms) == 1 else ("add", tuple(terms))

    def _rest_of_sum(self, first):
        terms = [first]
        while self.peek() in ("+", "-"):
            kind = self.take()[0]
            rhs = self.term()
            terms.append(rhs if kind == "+" else ("neg", rhs))
        return ("add", tuple(terms))

    def term(self):
        factors = [self.unary()]
        while True:
            kind = self.peek()
            if kind in ("*", "/"):
                self.i += 1
                rhs = self.unary()
                factors = [("div", _product(factors), rhs)] if kind == "/" else [*factors, rhs]
            elif kind == "FRAC" and _is_integer(_unsigned(factors)):  # 1\frac12: mixed number
                frac = self.power()
                if frac[0] == "div" and _is_integer([frac[1]]) and _is_integer([frac[2]]):
                    whole = _unsigned(factors)[0]  # -2\frac12 is -(2 + 1/2), not -2 * 1/2
                    mixed = ("add", (whole, frac))
                    factors = [mixed if whole is factors[0] else ("neg", mixed)]
                else:
                    factors.append(frac)
            elif kind in _STARTS_PRIMARY:
                factors.append(self.power())
            elif kind == "TEXT" and str(self.t[self.i][1]).strip().lower() not in _SEPARATOR_WORDS:
                words = []
                while (
                    self.peek() == "TEXT"
                    and str(self.t[self.i][1]).strip().lower() not in _SEPARATOR_WORDS
                ):
                    words.append(str(self.take()[1]).strip())
                    if self.peek() == "^":  # cm^2, units squared
                        self.i += 1
                        self.argument()
                text = " ".join(words)
                if not _reads_as_unit(text):
                    raise ParseError(f"text after a number that is not a unit: {text!r}")
                return ("units", _product(factors), text)
            else:
                return _product(factors)

    def unary(self):
        kind = self.peek()
        if kind == "-":
            self.i += 1
            return ("neg", self.unary())
        if kind == "+":
            self.i += 1
            return self.unary()
        return self.power()

    def power(self):
        self.enter()
        base = self.postfix(self.primary())
        if self.peek() == "^":
            self.i += 1
            exp = self.exponent()
            base = self.postfix(("pow", base, exp))
        self.depth -= 1
        return base

    def exponent(self):
        if self.peek() == "{":
            return self.group()
        if self.peek() == "-":
            self.i += 1
            return ("neg", self.exponent())
        if self.peek() == "NUM":
            return _number(str(self.take()[1]))
        return self.primary()

    def postfix(self, node):
        while True:
            kind = self.peek()
            if kind == "!":
                self.i += 1
                node = ("fact", node)
            elif kind == "%":
                self.i += 1
                node = ("pct", node)
            elif kind == "°":
                self.i += 1
                node = ("deg", node)
            elif kind == "'":
                raise ParseError("derivatives are not supported")
            elif kind == "_" and node[0] in ("num", "sym"):
                self.i += 1
                sub = self.group() if self.peek() == "{" else self.primary()
                node = _subscripted(node, sub)
            else:
                return node

    def argument(self):
        """A LaTeX macro argument: a `{group}` or a single token (`\\frac12` is 1/2)."""
        kind = self.peek()
        if kind == "{":
            return self.group()
        if kind == "NUM":
            digits = str(self.t[self.i][1])
            if len(digits) > 1 and digits[0] != "." and digits[1] != ".":
                self.t[self.i] = ("NUM", digits[1:])
                return _number(digits[0])
            self.i += 1
            return _number(digits)
        return self.primary()

    def group(self):
        self.take("{")
        items = self.parse_items(("}",))
        self.take("}")
        if not items:
            raise ParseError("empty group")
        return items[0] if len(items) == 1 else ("set", tuple(items))

    def primary(self):
        self.enter()
        try:
            kind, value = self.take()
            if kind == "NUM":
                return _number(str(value))
            if kind == "SYM":
                return ("sym", value)
            if kind == "CONST":
                return ("const", value)
            if kind == "FRAC":
                num = self.argument()
                return ("div", num, self.argument())
            if kind == "SQRT":
                index = None
                if self.peek() == "[":
                    self.i += 1
                    index = self.additive()
                    self.take("]")
                return ("root", self.argument(), index or ("num", Fraction(2), None))
            if kind == "BINOM":
                n = self.argument()
                return ("binom", n, self.argument())
            if kind == "FUNC":
                return self.function(str(value))
            if kind in ("(", "["):
                return self.bracket(kind)
            if kind == "{":
                self.i -= 1
                return self.group()
            if kind == "SETOPEN":
                items = self.parse_items(("SETCLOSE",))
                self.take("SETCLOSE")
                return ("set", tuple(items))
            if kind == "EMPTY":
                return ("set", ())
            if kind == "REALS":
                return ("interval_all",)
            if kind == "|":
                inner = self.additive()
                self.take("|")
                return ("abs", inner)
            if kind in ("LFLOOR", "LCEIL"):
                inner = self.additive()
                self.take("RFLOOR" if kind == "LFLOOR" else "RCEIL")
                return ("floor" if kind == "LFLOOR" else "ceil", inner)
            if kind == "BEGIN":
                return self.environment(str(value))
            if kind == "TEXT":
                words = [str(value).strip()]
                while self.peek() == "TEXT":
                    words.append(str(self.take()[1]).strip())
                return ("text", " ".join(w for w in words if w))
            raise ParseError(f"unexpected {kind}")
        finally:
            self.depth -= 1

    def function(self, name: str):
        base = None
        power = None
        if self.peek() == "_" and name == "log":
            self.i += 1
            base = self.argument()
        if self.peek() == "^":
            self.i += 1
            power = self.exponent()
        if self.peek() == "(":
            self.i += 1
            items = self.parse_items((")",))
            self.take(")")
            if len(items) != 1 and name not in ("gcd", "lcm", "max", "min"):
                raise ParseError(f"{name} takes one argument")
            arg = items[0] if len(items) == 1 else ("list", tuple(items))
        elif self.peek() == "{":
            arg = self.group()
        else:  # \sin 2x: the argument runs over an implicit product of simple factors
            factors = [self.power()]
            while self.peek() in ("NUM", "SYM", "CONST") and factors[-1][0] != "num":
                factors.append(self.power())
            while self.peek() in ("SYM", "CONST"):
                factors.append(self.power())
            arg = _product(factors)
        node = ("func", name, arg, base)
        if power is not None:
            if power == ("neg", ("num", Fraction(1), None)) and name in ("sin", "cos", "tan"):
                return ("func", "arc" + name, arg, None)
            node = ("pow", node, power)
        return node

    def bracket(self, open_kind: str):
        items = self.parse_items((")", "]"))
        close = self.take()[0]
        if close not in (")", "]"):
            raise ParseError("unclosed bracket")
        if (
            len(items) == 1
            and not (open_kind == "[" and close == ")")
            and not (open_kind == "(" and close == "]")
        ):
            return items[0]
        if not items:
            raise ParseError("empty brackets")
        return ("seq", tuple(items), open_kind, close)

    def environment(self, env: str):
        rows: list[list] = [[]]
        while True:
            kind = self.peek()
            if kind is None:
                raise ParseError(f"unclosed environment {env}")
            if kind == "END":
                self.i += 1
                break
            if kind == "ROWSEP":
                self.i += 1
                rows.append([])
                continue
            if kind == "&":
                self.i += 1
                continue
            rows[-1].append(self.relation())
        rows = [r for r in rows if r]
        if env in ("cases", "aligned", "align", "gathered", "split", "eqnarray"):
            return ("system", tuple(c for r in rows for c in r))
        if not rows or len({len(r) for r in rows}) != 1:
            raise ParseError("ragged matrix")
        return ("matrix", tuple(tuple(r) for r in rows))


def _is_integer(factors: list) -> bool:
    return (
        len(factors) == 1
        and factors[0][0] == "num"
        and factors[0][2] is None
        and factors[0][1].denominator == 1
    )


def _unsigned(factors: list) -> list:
    """`[-2]` -> `[2]`: the whole part of a negative mixed number; other factors unchanged."""
    if len(factors) == 1 and factors[0][0] == "neg":
        return [factors[0][1]]
    return factors


def _product(factors: list):
    return factors[0] if len(factors) == 1 else ("mul", tuple(factors))


def _number(text: str):
    value = Fraction(text)
    if "." in text:
        digits = text.replace(".", "").lstrip("0")
        return ("num", value, max(len(digits), 1))
    return ("num", value, None)


def _subscripted(node, sub):
    if node[0] == "num" and node[2] is None and sub[0] == "num" and sub[2] is None:
        return ("based", str(node[1]), int(sub[1]))
    if node[0] == "sym":
        return ("sym", f"{node[1]}_{_flat_name(sub)}")
    raise ParseError("unsupported subscript")


def _flat_name(node) -> str:
    if node[0] == "num":
        return str(node[1])
    if node[0] in ("sym", "const"):
        return str(node[1])
    if node[0] == "mul":
        return "".join(_flat_name(f) for f in node[1])
    if node[0] == "text":
        return node[1]
    raise ParseError("unsupported subscript")


_TIME = regex.compile(
    r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:\s*(?:\\text\{\s*)?([AaPp])\.?\s*[Mm]\.?\s*\}?)?"
)


def parse(answer: str):
    """Parse a normalised answer; raises ParseError on anything it does not understand."""
    m = _TIME.fullmatch(answer)
    if m:
        hours, minutes, seconds = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        if m.group(4) and m.group(4) in "Pp" and hours < 12:
            hours += 12
        return ("time", (hours, minutes, seconds))
    tokens = tokenize(answer)
    if not tokens:
        raise ParseError("empty answer")
    p = _Parser(tokens)
    items = p.parse_items(())
    if p.i != len(tokens):
        raise ParseError(f"unexpected {tokens[p.i][0]} at token {p.i}")
    if not items:
        raise ParseError("empty answer")
    return items[0] if len(items) == 1 else ("list", tuple(items))
