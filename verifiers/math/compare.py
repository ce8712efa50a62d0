"""Decide whether two parsed answers are equivalent, and say how.

Policies (documented in the README):
- Exact when both sides are exact: rationals compare as fractions, so tiny values never collapse.
- Rounding: a decimal answer with k >= 4 significant digits matches a value strictly within one
  unit of its k-th digit (the value rounded or truncated to k digits): `1.414` matches `\\sqrt2`,
  `0.333` does not match `1/3`, `100.1` does not match `100`. Decimals inside a rational formula
  are exact (`1/3.001` is not `1/3`); an irrational or symbolic formula with decimals in it is
  compared to the finest relative precision of its decimals, the unit of the last digit over
  the value (`x + 1.414i` matches `x + \\sqrt2 i`; `1.000 \\cdot 3.140` is not `\\pi`).
- Percent: `28\\%` matches `28` and `0.28`; when both sides carry `%` (or degrees) their numbers
  are compared (`0.5\\%` is not `50\\%`). Degrees: `30^\\circ` matches `30` and `\\pi/6`.
- Sets and bare lists are order-free, tuples, points and vectors are ordered, intervals compare
  their ends and brackets. A "find all" answer counts only when complete: every reference element
  matched once and no element left over.
- Equations: `x = 2` matches `2`; two equations match when one is a non-zero multiple of the other.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

import regex

from .._timebound import Deadline, DeadlineExceeded
from .evaluate import (
    FLOAT,
    REAL,
    EvalError,
    NotExact,
    decimal_digits,
    decimal_precision,
    exact,
    free_symbols,
    iter_nodes,
    literal_unit,
    mp_backend,
    numeric,
)

_TIGHT = 1e-9
_CONFIRM = 1e-30
_SAMPLES = (1.3176, 0.6723, 2.1459, 1.8912, 0.9354, 2.4821, 1.1237, 0.5519)
_MIRRORED = 4  # sample points tried again with every variable negated
_MAX_ITEMS = 64
_INF = ("const", "inf")


@dataclass(frozen=True, slots=True)
class Outcome:
    equal: bool
    method: str
    detail: str = ""
    inconclusive: bool = False


# ---- shape helpers ---------------------------------------------------------------------------


def _is_label(node) -> bool:
    """A name for the answer: `x`, `f(x)`, `a_1`, `\\text{area}`, `(p, q)`, `V_1 : V_2`."""
    kind = node[0]
    if kind in ("sym", "text"):
        return True
    if kind == "mul":
        return all(f[0] == "sym" for f in node[1])
    if kind in ("seq", "ratio"):
        return all(_is_label(i) for i in node[1])
    return False


def _names_only(node) -> bool:
    """Only symbols and operators, no numbers: `x + y`, `\\frac{NO}{BO}` name an answer."""
    return not any(n[0] in ("num", "const", "based") for n in iter_nodes(node)) and bool(
        free_symbols(node)
    )


def _answer_side(node):
    """`x = 2` -> `2`; `x + y = 5` -> `5`; `35 + 70 = 105` -> `105`; others stay equations. A
    chain of values is read as its last side even when it is false (`\\frac12 = \\frac{10}{9}`
    from a garbled unit): the last side alone decides, so a chain is never a hedge."""
    sides = node[1]
    if _is_label(sides[0]) or _names_only(sides[0]) or not any(free_symbols(x) for x in sides):
        return sides[-1]
    return node


def _unwrap(node):
    kind = node[0]
    if kind == "units" and node[1] is not None:
        return _unwrap(node[1])
    if kind == "in":
        return _unwrap(node[2])
    if kind == "pm":
        a, b = node[1], node[2]
        return ("set", (("add", (a, b)), ("add", (a, ("neg", b)))))
    if kind == "list" and all(i[0] == "eq" and _is_label(i[1][0]) for i in node[1]):
        return ("list", tuple(_unwrap(i[1][-1]) for i in node[1]))
    if kind in ("set", "list") and len(node[1]) == 1:
        return _unwrap(node[1][0])
    if kind == "matrix" and (len(node[1]) == 1 or all(len(r) == 1 for r in node[1])):
        return ("vector", tuple(c for r in node[1] for c in r))
    return node


def _bracketed_interval(node) -> bool:
    """`[a, b]`, `[a, b)`, `(a, b]`: a square bracket makes a pair an interval, never a point."""
    return node[0] == "seq" and len(node[1]) == 2 and (node[2] == "[" or node[3] == "]")


def _half_open(node) -> bool:
    """`[a, b)`, `(a, b]`: brackets that do not match are an interval, never a vector."""
    return node[0] == "seq" and len(node[1]) == 2 and (node[2] == "[") != (node[3] == "]")


def _is_inf(node) -> int:
    if node == _INF:
        return 1
    if node[0] == "neg" and node[1] == _INF:
        return -1
    return 0


def _intervals(node):
    """Intervals as (lo, lo_closed, hi, hi_closed), or None when the node is not interval-like."""
    kind = node[0]
    if kind == "interval_all":
        return [(("neg", _INF), False, _INF, False)]
    if kind == "seq" and len(node[1]) == 2:
        return [(node[1][0], node[2] == "[", node[1][1], node[3] == "]")]
    if kind == "union":
        out = []
        for part in node[1]:
            sub = _intervals(_unwrap(part))
            if sub is None:
                return None
            out.extend(sub)
        return out
    if kind == "rel":
        return _relation_interval(node)
    if kind == "list" and len(node[1]) > 1 and all(i[0] == "rel" for i in node[1]):
        return _disjoint_union(node[1])
    return None


def _disjoint_union(relations):
    """`x < 2 or x > 3` (the parser reads "or" and commas as a list): the union of the
    relations' intervals, when they bound one and the same variable and the intervals are
    disjoint, so that "and" would leave nothing (`x > 1, x < 5` is not read as a union)."""
    if len({free_symbols(r) for r in relations}) != 1:
        return None
    parts = []
    for r in relations:
        part = _relation_interval(r)
        if part is None:
            return None
        parts.extend(part)
    ends = []
    for lo, lo_closed, hi, hi_closed in parts:
        lo_v = -math.inf if _is_inf(lo) == -1 else _float_value(lo)
        hi_v = math.inf if _is_inf(hi) == 1 else _float_value(hi)
        if lo_v is None or hi_v is None:
            return None
        ends.append((lo_v, lo_closed, hi_v, hi_closed))
    ends.sort()
    for (_, _, hi, hi_closed), (lo, lo_closed, _, _) in itertools.pairwise(ends):
        if hi > lo or (hi == lo and hi_closed and lo_closed):
            return None
    return parts


def _float_value(node) -> float | None:
    """The value of a constant interval end, or None (a formula in another variable)."""
    if free_symbols(node):
        return None
    try:
        value = numeric(node, {}, FLOAT, Deadline(0.05))
    except (EvalError, ArithmeticError, ValueError, DeadlineExceeded):
        return None
    return value.real if value.imag == 0 and _finite(value) else None


_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}


def _relation_interval(node):
    sides, ops = node[1], node[2]
    negated = [i for i, s in enumerate(sides) if s[0] == "neg" and _is_label(s[1])]
    if negated and len(negated) == 1 and "!=" not in ops:  # -x > -1  is  x < 1
        sides = tuple(s[1] if i == negated[0] else ("neg", s) for i, s in enumerate(sides))
        ops = tuple(_FLIP[o] for o in ops)
    var = [i for i, s in enumerate(sides) if _is_label(s) and free_symbols(s)]
    if len(var) != 1 or "!=" in ops:
        return None
    v = var[0]
    if len(sides) == 2:
        op = ops[0] if v == 0 else _FLIP[ops[0]]
        c = sides[1 - v]
        if op in (">", ">="):
            return [(c, op == ">=", _INF, False)]
        return [(("neg", _INF), False, c, op == "<=")]
    if len(sides) == 3 and v == 1:
        if all(o in ("<", "<=") for o in ops):
            return [(sides[0], ops[0] == "<=", sides[2], ops[1] == "<=")]
        if all(o in (">", ">=") for o in ops):
            return [(sides[2], ops[1] == ">=", sides[0], ops[0] == ">=")]
    return None


# ---- comparison ------------------------------------------------------------------------------


def _assignment(node) -> dict | None:
    """`a = 2, b = 3`: values given to distinct names, {name: value} in order; else None."""
    if node[0] != "list" or not all(
        i[0] == "eq" and len(i[1]) == 2 and _is_label(i[1][0]) for i in node[1]
    ):
        return None
    values = {i[1][0]: i[1][1] for i in node[1]}
    return values if len(values) == len(node[1]) else None


def compare(gold, pred, dl: Deadline) -> Outcome:
    dl.check()
    named = _assignment(gold)
    if named is not None:  # values of named unknowns are ordered by name, not a set
        by_name = _assignment(pred)
        if by_name is not None and by_name.keys() == named.keys():
            pred = ("seq", tuple(by_name[n] for n in named), "(", ")")
        gold = ("seq", tuple(named.values()), "(", ")")
    g, p = _unwrap(gold), _unwrap(pred)
    if g[0] == "eq" and p[0] != "eq":
        g = _unwrap(_answer_side(g))
    if p[0] == "eq" and g[0] != "eq":
        p = _unwrap(_answer_side(p))
    if (g[0] == "eq") != (p[0] == "eq"):
        return Outcome(False, "equation", "an equation is not a value")
    gk, pk = g[0], p[0]

    if gk == "text" or pk == "text":
        same = gk == pk and _text_key(g[1]) == _text_key(p[1])
        return Outcome(same, "text", "" if same else "text differs")
    if (gk == "ratio") != (pk == "ratio") and "time" in (gk, pk):
        return _compare_ratios(_time_as_ratio(g), _time_as_ratio(p), dl)
    if gk == "time" or pk == "time":
        same = gk == pk and g[1] == p[1]
        return Outcome(same, "time")
    if gk == "based" or pk == "based":
        return _compare_based(g, p, dl)

    gi, pi = _intervals(g), _intervals(p)
    if gi is not None and pi is not None:
        return _compare_intervals(gi, pi, dl)
    if (gi is not None) != (pi is not None) and {gk, pk} & {"union", "interval_all", "rel"}:
        return Outcome(False, "interval", "one side is an interval, the other is not")
    if (_bracketed_interval(g) and pk == "list") or (_bracketed_interval(p) and gk == "list"):
        # `3, 4` names two values and no brackets: it would match `[3, 4]`, `[3, 4)` and `(3, 4]`
        return Outcome(False, "interval", "an interval is not a list of values")

    if gk == "vector" or pk == "vector":
        if (
            not ({gk, pk} <= {"vector", "seq", "list"})
            or len(g[1]) != len(p[1])
            or _half_open(g)
            or _half_open(p)
        ):
            return Outcome(False, "vector", "shapes differ")
        return _compare_collections(g[1], p[1], dl, ordered=True, method="vector")
    if {gk, pk} == {"set", "seq"}:
        return Outcome(False, "set", "a set is not an ordered tuple")
    if gk == "ratio" or pk == "ratio":
        g, p = _time_as_ratio(g), _time_as_ratio(p)
        return _compare_ratios(g, p, dl)
    if gk in ("set", "list", "system") or pk in ("set", "list", "system"):
        g_items, p_items = _items(g), _items(p)
        ordered = "seq" in (gk, pk) or "matrix" in (gk, pk)
        return _compare_collections(g_items, p_items, dl, ordered=ordered)
    if gk == "seq" or pk == "seq":
        if gk != pk or len(g[1]) != len(p[1]):
            return Outcome(False, "tuple", "shapes differ")
        return _compare_collections(g[1], p[1], dl, ordered=True, method="tuple")
    if gk == "matrix" or pk == "matrix":
        if (
            gk != pk
            or len(g[1]) != len(p[1])
            or any(len(a) != len(b) for a, b in zip(g[1], p[1], strict=True))
        ):
            return Outcome(False, "matrix", "shapes differ")
        flat_g = tuple(c for r in g[1] for c in r)
        flat_p = tuple(c for r in p[1] for c in r)
        return _compare_collections(flat_g, flat_p, dl, ordered=True, method="matrix")
    if gk == "eq" and pk == "eq":
        return _compare_equations(g, p, dl)
    if gk == "rel" or pk == "rel":
        if gk != pk or g[2] != p[2]:
            return Outcome(False, "inequality", "relations differ")
        return _compare_collections(g[1], p[1], dl, ordered=True, method="inequality")
    return compare_scalar(g, p, dl)


def _items(node) -> tuple:
    if node[0] in ("set", "list"):  # an answer set lists each element once: 1, 1, 2 is {1, 2}
        return tuple(dict.fromkeys(_unwrap(i) for i in node[1]))
    if node[0] in ("system", "seq"):
        return tuple(_unwrap(i) for i in node[1])
    return (node,)


def _time_as_ratio(node):
    """`7:32` reads as a time of day unless the other side is a ratio."""
    if node[0] != "time":
        return node
    parts = node[1] if node[1][2] else node[1][:2]
    return ("ratio", tuple(("num", Fraction(x), None) for x in parts))


def _compare_ratios(g, p, dl: Deadline) -> Outcome:
    """`a : b` matches `ka : kb`; a ratio also matches its single quotient a/b."""
    gp = g[1] if g[0] == "ratio" else None
    pp = p[1] if p[0] == "ratio" else None
    if gp is None or pp is None:
        ratio = gp or pp
        if len(ratio) != 2:
            return Outcome(False, "ratio", "shapes differ")
        quotient = ("div", ratio[0], ratio[1])
        # the reference stays first: rounding rules depend on which side is the reference
        return compare_scalar(quotient, p, dl) if gp else compare_scalar(g, quotient, dl)
    if len(gp) != len(pp):
        return Outcome(False, "ratio", "shapes differ")
    # proportional by a non-zero factor, through a part that is non-zero on both sides (a cross-
    # product test through a zero part would make `0:0` proportional to everything)
    zero = ("num", Fraction(0), None)
    pivot = next((i for i, a in enumerate(gp) if not compare_scalar(a, zero, dl).equal), None)
    if pivot is None or compare_scalar(pp[pivot], zero, dl).equal:
        return Outcome(False, "ratio", "ratios differ")
    for a, b in zip(gp, pp, strict=True):
        if not compare_scalar(("mul", (a, pp[pivot])), ("mul", (b, gp[pivot])), dl).equal:
            return Outcome(False, "ratio", "ratios differ")
    return Outcome(True, "ratio")


def _compare_collections(
    g_items, p_items, dl: Deadline, *, ordered: bool, method: str = "set"
) -> Outcome:
    if len(g_items) > _MAX_ITEMS or len(p_items) > _MAX_ITEMS:
        return Outcome(False, method, "too many elements", inconclusive=True)
    if len(g_items) != len(p_items):
        return Outcome(False, method, f"{len(p_items)} elements, reference has {len(g_items)}")
    if ordered:
        for i, (a, b) in enumerate(zip(g_items, p_items, strict=True)):
            r = compare(a, b, dl)
            if not r.equal:
                return Outcome(False, method, f"element {i + 1} differs", r.inconclusive)
        return Outcome(True, method)
    # Order-free: a perfect matching, so every reference element is matched once, none left over.
    match_of_pred: dict[int, int] = {}
    cache: dict[tuple[int, int], bool] = {}

    def equal(i: int, j: int) -> bool:
        if (i, j) not in cache:
            cache[(i, j)] = compare(g_items[i], p_items[j], dl).equal
        return cache[(i, j)]

    def augment(i: int, seen: set[int]) -> bool:
        for j in range(len(p_items)):
            if j not in seen and equal(i, j):
                seen.add(j)
                if j not in match_of_pred or augment(match_of_pred[j], seen):
                    match_of_pred[j] = i
                    return True
        return False

    for i in range(len(g_items)):
        if not augment(i, set()):
            return Outcome(False, method, f"reference element {i + 1} not matched")
    return Outcome(True, method)


def _compare_intervals(gi, pi, dl: Deadline) -> Outcome:
    if len(gi) != len(pi):
        return Outcome(False, "interval", "different number of intervals")
    used: set[int] = set()
    for lo, lo_c, hi, hi_c in gi:
        for j, (plo, plo_c, phi, phi_c) in enumerate(pi):
            if j in used:
                continue
            if _end_equal(lo, lo_c, plo, plo_c, dl) and _end_equal(hi, hi_c, phi, phi_c, dl):
                used.add(j)
                break
        else:
            return Outcome(False, "interval", "an interval is not matched")
    return Outcome(True, "interval")


def _end_equal(a, a_closed: bool, b, b_closed: bool, dl: Deadline) -> bool:
    ia, ib = _is_inf(a), _is_inf(b)
    if ia or ib:
        return ia == ib  # brackets at infinity carry no meaning
    return a_closed == b_closed and compare_scalar(a, b, dl).equal


def _compare_equations(g, p, dl: Deadline) -> Outcome:
    gs, ps = g[1], p[1]
    if _is_label(gs[0]) and _is_label(ps[0]):  # y = ... vs f(x) = ...: graders read the value
        return compare(gs[-1], _in_label_order(gs[0], ps[0], ps[-1]), dl)
    if len(gs) != 2 or len(ps) != 2:
        return Outcome(False, "equation", "equation chains differ")
    dg = ("add", (gs[0], ("neg", gs[1])))
    dp = ("add", (ps[0], ("neg", ps[1])))
    ratio = ("div", dg, dp)
    tol = _tolerance(_min_digits(dg, dp), dg, dp)
    symbols = sorted(free_symbols(dg) | free_symbols(dp))
    values = []
    for env in _points(symbols, FLOAT):
        try:
            values.append(numeric(ratio, env, FLOAT, dl))
        except (EvalError, ArithmeticError, ValueError):
            continue
    if len(values) < 2 or values[0] == 0:
        return Outcome(False, "equation", "equations differ", inconclusive=len(values) < 2)
    same = all(_close(v, values[0], tol) for v in values)
    return Outcome(same, "equation", "" if same else "equations differ")


def _in_label_order(g_label, p_label, p_value):
    """The answer's tuple in the reference's order when both name the same unknowns in another
    order: `(y, x) = (3, 2)` is `(x, y) = (2, 3)`, never `(3, 2)`. Otherwise unchanged."""
    names = [_symbols_of(g_label), _symbols_of(p_label)]
    if None in names or sorted(names[0]) != sorted(names[1]) or len(set(names[0])) < 2:
        return p_value
    if p_value[0] != "seq" or len(p_value[1]) != len(names[1]):
        return p_value
    by_name = dict(zip(names[1], p_value[1], strict=True))
    return ("seq", tuple(by_name[n] for n in names[0]), *p_value[2:])


def _symbols_of(label) -> list | None:
    """The names of a tuple of plain symbols `(x, y)`, else None."""
    if label[0] != "seq" or not all(i[0] == "sym" for i in label[1]):
        return None
    return [i[1] for i in label[1]]


def _compare_based(g, p, dl: Deadline) -> Outcome:
    def digits(n):
        if n[0] == "based":
            return n[1]
        if n[0] == "num" and n[2] is None and n[1].denominator == 1:
            return str(n[1])
        return None

    if g[0] == "based" and p[0] == "based":
        same = g[1] == p[1] and g[2] == p[2]
    else:
        same = digits(g) is not None and digits(g) == digits(p)
    return Outcome(same, "number", "" if same else "digits differ")


def _text_key(text: str) -> str:
    return regex.sub(r"[\s.,;:!?'\"()\\{}]|^the\s", "", text.casefold())


# ---- scalars ---------------------------------------------------------------------------------


def _alternatives(node):
    """A percentage also reads as its number; an angle in degrees also reads as radians."""
    if node[0] == "pct":
        return (node, node[1])
    if node[0] == "deg":
        return (node[1], ("mul", (node[1], ("div", ("const", "pi"), ("num", Fraction(180), None)))))
    return (node,)


def compare_scalar(a, b, dl: Deadline) -> Outcome:
    if a[0] == b[0] and a[0] in ("pct", "deg"):  # both say percent (degrees): same unit, compare
        return _scalar(a[1], b[1], dl)  # the numbers (`50\%` is not `0.5\%` read as 0.5)
    result = None
    for x in _alternatives(a):
        for y in _alternatives(b):
            result = _scalar(x, y, dl)
            if result.equal:
                return result
    return result


def _try_exact(node, dl: Deadline):
    try:
        return exact(node, dl)
    except (NotExact, EvalError, ArithmeticError, ValueError):
        return None


def _rounded(node) -> tuple[Fraction, Fraction] | None:
    """(value, unit of its last digit) of a decimal answer with >= 4 significant digits:
    `3.1416`, `-1.414`, `33.33\\%`, `6.022 \\times 10^{23}`; None for anything else (a
    formula with decimals in it is compared as a formula)."""
    kind = node[0]
    if kind == "num":
        k = node[2]
        if k is None or k < 4 or node[1] == 0:
            return None
        return node[1], literal_unit(node[1], k)
    if kind in ("neg", "pct"):
        r = _rounded(node[1])
        if r is None:
            return None
        return (-r[0], r[1]) if kind == "neg" else (r[0] / 100, r[1] / 100)
    if kind == "mul" and len(node[1]) == 2:  # scientific notation: d.ddd * 10^n
        lit, scale = node[1]
        if scale[0] == "pow" and scale[1] == ("num", Fraction(10), None):
            n = scale[2][1] if scale[2][0] == "neg" else scale[2]
            if n[0] == "num" and n[2] is None and n[1].denominator == 1 and n[1] < 400:
                r = _rounded(lit)
                if r is not None:
                    f = Fraction(10) ** int(-n[1] if scale[2][0] == "neg" else n[1])
                    return r[0] * f, r[1] * f
    return None


def _compare_rounded(a, b, dl: Deadline) -> Outcome | None:
    """A decimal with k >= 4 significant digits matches a value it rounds or truncates to: the
    value lies strictly within one unit of the decimal's last digit. The coarser decimal is the
    rounding when both sides are decimals. None when neither side is such a decimal."""
    ra, rb = _rounded(a), _rounded(b)
    if ra is None and rb is None:
        return None
    if ra is None or (rb is not None and rb[1] > ra[1]):
        (x, unit), other = rb, a
    else:
        (x, unit), other = ra, b
    if free_symbols(other):
        return None
    v = _try_exact(other, dl)
    if v is not None:
        if other is a and decimal_digits(a) is None and _terminates(v):
            # The reference is exact and has a finite decimal form (an integer, 1/8, 2^{30}):
            # the answer could have been written exactly, so a rounded one is a different
            # answer (`1.235 \\times 10^8` is not 123456789; `0.3333` still is 1/3).
            same = x == v
            return Outcome(same, "number", "" if same else "a rounded value of an exact number")
        same = abs(x - v) < unit
        return Outcome(same, "number", "within one unit of the last digit" if same else "")
    mp = unit < abs(x) * Fraction(1, 10**12)  # finer than a double can tell
    backend = mp_backend() if mp else FLOAT
    try:
        value = numeric(other, {}, backend, dl)
    except (EvalError, ArithmeticError, ValueError):
        return Outcome(False, "numeric", "could not evaluate", inconclusive=True)
    if not mp and not _finite(value):
        return Outcome(False, "numeric", "values differ")
    tol = max(unit, abs(x) * Fraction(1, 10**45))  # 50-digit arithmetic resolves no further
    if mp:
        same = abs(value - backend.number(x)) < backend.number(tol).real
    else:
        same = abs(value - float(x)) < float(tol)
    return Outcome(same, "numeric", "" if same else "values differ")


def _terminates(v: Fraction) -> bool:
    """True when v has a finite decimal expansion (its denominator has no prime but 2 and 5)."""
    d = v.denominator
    d //= d & -d  # the factors of 2
    while d % 5 == 0:
        d //= 5
    return d == 1


def _min_digits(a, b) -> int | None:
    digits = [d for d in (decimal_digits(a), decimal_digits(b)) if d is not None]
    return min(digits) if digits else None


def _tolerance(k: int | None, a, b) -> float:
    """Relative tolerance of an irrational or symbolic formula with decimals in it (`x + 1.414i`
    for `x + \\sqrt2 i`), when every decimal has k >= 4 significant digits: the finest relative
    precision of its decimals (the unit of the last digit over the value: 7.1e-4 for 1.414), so
    no decimal factor (`1.000 \\cdot 3.140`, `\\frac{3.140}{1}`) buys more slack than the
    rounding policy gives a bare decimal; tight without decimals."""
    if k is None or k < 4:
        return _TIGHT
    rel = [r for r in (decimal_precision(a), decimal_precision(b)) if r is not None]
    return max(min(rel), 1e-12)


def _scalar(a, b, dl: Deadline) -> Outcome:
    rounded = _compare_rounded(a, b, dl)
    if rounded is not None:
        return rounded
    ea, eb = _try_exact(a, dl), _try_exact(b, dl)
    if ea is not None and eb is not None:  # a rational formula is exact, decimals in it too
        if ea == eb:
            return Outcome(True, "number")
        return Outcome(False, "number", "values differ")
    k = _min_digits(a, b)
    tol = _tolerance(k, a, b)
    symbols = sorted(free_symbols(a) | free_symbols(b))
    method = "symbolic" if symbols else "numeric"
    agreed = []
    tried = 0
    for env in _points(symbols, FLOAT):
        tried += 1
        try:
            va, vb = numeric(a, env, FLOAT, dl), numeric(b, env, FLOAT, dl)
        except (EvalError, ArithmeticError, ValueError):
            continue
        if not (_finite(va) and _finite(vb)):
            va, vb = _mp_pair(a, b, symbols, tried - 1, dl)
            if va is None:
                continue
            if not _close(va, vb, tol):
                return Outcome(False, method, "values differ")
            agreed.append(tried - 1)
            continue
        if not _close(va, vb, tol, absolute=1e-12 if k is None else 0.0):
            return Outcome(False, method, "values differ")
        agreed.append(tried - 1)
        if not symbols or len(agreed) >= 3:
            break
    if not agreed:
        return Outcome(False, method, "could not evaluate", inconclusive=True)
    if k is None:
        # exact formulas only (near a zero of the function a relative tolerance for decimals
        # means nothing: `x^2 + 2.828x + 2` for `(x + \\sqrt2)^2` at x = -1.3176), and only
        # when one side has an absolute value the other lacks: `\\sqrt{a/b}` and
        # `\\sqrt{ab}/b`, or `r\\sqrt2` and `\\sqrt{2r^2}`, are answers for positive
        # quantities (lengths, masses), which the negated points would reject
        if symbols and _abs_count(a) != _abs_count(b) and _differ_on_reals(a, b, symbols, dl):
            return Outcome(False, method, "values differ where the variables are negative")
        for index in agreed[:2]:  # exact on both sides: confirm at 50 digits
            va, vb = _mp_pair(a, b, symbols, index, dl)
            if va is None:
                continue
            if not _close(va, vb, _CONFIRM, absolute=1e-40):
                return Outcome(False, method, "values differ beyond double precision")
    return Outcome(True, method)


def _mp_pair(a, b, symbols, index, dl: Deadline):
    mp = mp_backend()
    env = list(_points(symbols, mp))[index]
    try:
        return numeric(a, env, mp, dl), numeric(b, env, mp, dl)
    except (EvalError, ArithmeticError, ValueError):
        return None, None


def _points(symbols, backend):
    if not symbols:
        yield {}
        return
    for t in range(len(_SAMPLES)):
        yield {
            s: backend.number(
                Fraction(_SAMPLES[(t + 3 * j) % len(_SAMPLES)]).limit_denominator(10**6)
                + Fraction(j, 97)
            )
            for j, s in enumerate(symbols)
        }


def _abs_count(node) -> int:
    return sum(1 for n in iter_nodes(node) if n[0] == "abs")


def _differ_on_reals(a, b, symbols, dl: Deadline) -> bool:
    """True when a and b are both real at one of the sample points negated and differ there,
    also at 50 digits (a high power of a factor with a root near the point cancels in double
    precision: `(x + 2)^{12}` and its expansion).

    The sample points are positive, where `|x|` and `x`, `|x - y|` and `y - x` agree: a model
    that drops an absolute value must not pass. Only points in the real domain of both sides
    count (no square root or logarithm of a negative number on the way): outside it,
    equivalences that hold for positive variables fail without the answer being wrong
    (`\\ln|x|` and `\\ln x` stay equal)."""
    for t, env in enumerate(_points(symbols, REAL)):
        if t == _MIRRORED:
            break
        env = {s: -v for s, v in env.items()}
        try:
            va, vb = numeric(a, env, REAL, dl), numeric(b, env, REAL, dl)
        except (EvalError, ArithmeticError, ValueError):
            continue
        if va.imag or vb.imag or not (_finite(va) and _finite(vb)):
            continue
        if _close(va, vb, _TIGHT, absolute=1e-12):
            continue
        mp = mp_backend()
        point = {s: -v for s, v in _nth_point(symbols, mp, t).items()}
        try:
            wa, wb = numeric(a, point, mp, dl), numeric(b, point, mp, dl)
        except (EvalError, ArithmeticError, ValueError):
            continue
        if not _close(wa, wb, _CONFIRM, absolute=1e-40):
            return True
    return False


def _nth_point(symbols, backend, index: int) -> dict:
    return next(p for t, p in enumerate(_points(symbols, backend)) if t == index)


def _finite(z) -> bool:
    try:
        m = abs(z)
    except (OverflowError, ValueError):
        return False
    return m == m and m != float("inf") and (m == 0 or 1e-280 < m < 1e280)


def _close(a, b, rel: float, absolute: float = 0.0) -> bool:
    diff = abs(a - b)
    return diff <= absolute or diff <= rel * max(abs(a), abs(b))
