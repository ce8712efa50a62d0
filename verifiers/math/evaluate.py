"""Evaluate scalar AST nodes: exactly (Fraction) where possible, numerically otherwise.

Exact arithmetic decides every rational answer, so `1/2004!` and `1/2006!` differ however small
they are. Irrational and symbolic answers are evaluated as complex numbers at fixed sample points
(a probabilistic identity test); agreement in double precision is confirmed with mpmath at 50
digits, which also takes over when a double overflows or underflows. Sizes are bounded before any
big-number work, and every node visit checks the deadline.
"""

from __future__ import annotations

import cmath
import math
from fractions import Fraction
from functools import lru_cache

from .._timebound import Deadline

MAX_EXACT_BITS = 60_000  # larger exact results are left to the numeric tier
MAX_FACTORIAL = 3_000
MAX_NUMERIC_EXPONENT = 1e7  # |exponent| beyond this (with |base| != 0, 1) is refused as too large


class NotExact(Exception):
    """The node has no exact rational value (irrational, symbolic, or too large)."""


class EvalError(Exception):
    """The node cannot be evaluated here (undefined, unsupported, out of range)."""


def _int_root(n: int, k: int) -> int | None:
    if n < 0:
        if k % 2 == 0:
            return None
        r = _int_root(-n, k)
        return None if r is None else -r
    if n < 2:
        return n
    r = round(n ** (1.0 / k)) if n.bit_length() < 1000 else _newton_root(n, k)
    for cand in (r - 1, r, r + 1):
        if cand >= 0 and cand**k == n:
            return cand
    return None


def _newton_root(n: int, k: int) -> int:
    x = 1 << ((n.bit_length() + k - 1) // k)
    while True:
        y = ((k - 1) * x + n // x ** (k - 1)) // k
        if y >= x:
            return x
        x = y


def _bits(f: Fraction) -> int:
    return max(f.numerator.bit_length(), f.denominator.bit_length())


def _exact_pow(base: Fraction, exp: Fraction) -> Fraction:
    if base == 0:
        if exp <= 0:
            raise EvalError("0 to a non-positive power")
        return Fraction(0)
    if exp.denominator != 1:
        if exp.denominator > 64:
            raise NotExact
        num = _int_root(base.numerator, exp.denominator)
        den = _int_root(base.denominator, exp.denominator)
        if num is None or den is None:
            raise NotExact
        base, exp = Fraction(num, den), Fraction(exp.numerator)
    n = exp.numerator
    if base in (1, -1):
        return base**n
    if _bits(base) * abs(n) > MAX_EXACT_BITS:
        raise NotExact
    return base**n


def exact(node, dl: Deadline) -> Fraction:
    """The exact rational value of a scalar node, or NotExact / EvalError."""
    dl.check()
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "add":
        return sum((exact(t, dl) for t in node[1]), Fraction(0))
    if kind == "mul":
        out = Fraction(1)
        for f in node[1]:
            out *= exact(f, dl)
            if _bits(out) > MAX_EXACT_BITS:
                raise NotExact
        return out
    if kind == "neg":
        return -exact(node[1], dl)
    if kind == "div":
        num, den = exact(node[1], dl), exact(node[2], dl)
        if den == 0:
            raise EvalError("division by zero")
        return num / den
    if kind == "pow":
        return _exact_pow(exact(node[1], dl), exact(node[2], dl))
    if kind == "root":
        index = exact(node[2], dl)
        if index == 0:
            raise EvalError("zeroth root")
        return _exact_pow(exact(node[1], dl), 1 / index)
    if kind == "fact":
        n = exact(node[1], dl)
        if n.denominator != 1 or n < 0:
            raise NotExact
        if n > MAX_FACTORIAL:
            raise NotExact
        return Fraction(math.factorial(int(n)))
    if kind == "binom":
        n, k = exact(node[1], dl), exact(node[2], dl)
        if n.denominator != 1 or k.denominator != 1 or n > MAX_FACTORIAL or n < 0:
            raise NotExact
        return Fraction(math.comb(int(n), int(k))) if k >= 0 else Fraction(0)
    if kind in ("abs", "floor", "ceil"):
        v = exact(node[1], dl)
        return (
            abs(v)
            if kind == "abs"
            else Fraction(math.floor(v) if kind == "floor" else math.ceil(v))
        )
    if kind in ("units", "deg"):
        return exact(node[1], dl)
    if kind == "pct":
        return exact(node[1], dl) / 100
    if kind == "based":
        return Fraction(_based_value(node))
    if kind == "func" and node[1] in ("gcd", "lcm", "max", "min"):
        args = node[2][1] if node[2][0] == "list" else (node[2],)
        values = [exact(a, dl) for a in args]
        if node[1] in ("max", "min"):
            return (max if node[1] == "max" else min)(values)
        if any(v.denominator != 1 for v in values):
            raise EvalError("gcd/lcm of non-integers")
        ints = [int(v) for v in values]
        return Fraction(math.gcd(*ints) if node[1] == "gcd" else math.lcm(*ints))
    raise NotExact


def _based_value(node) -> int:
    digits, base = node[1], node[2]
    if not 2 <= base <= 36:
        raise EvalError("bad base")
    try:
        return int(digits, base)
    except ValueError:
        raise EvalError("digit out of range for base") from None


def iter_nodes(obj):
    """Every AST node inside `obj`, depth first (children may sit in tuples of nodes)."""
    if isinstance(obj, tuple) and obj:
        if isinstance(obj[0], str):
            yield obj
            for child in obj[1:]:
                yield from iter_nodes(child)
        else:
            for child in obj:
                yield from iter_nodes(child)


@lru_cache(maxsize=4096)
def free_symbols(node) -> frozenset[str]:
    return frozenset(n[1] for n in iter_nodes(node) if n[0] == "sym")


@lru_cache(maxsize=4096)
def decimal_digits(node) -> int | None:
    """Fewest significant digits among the decimal literals of a node (None: no decimals)."""
    digits = [n[2] for n in iter_nodes(node) if n[0] == "num" and n[2] is not None]
    return min(digits) if digits else None


def literal_unit(value: Fraction, k: int) -> Fraction:
    """The unit of the last digit of a decimal literal of k significant digits: 0.001 for 3.140."""
    v = abs(value)
    e = len(str(v.numerator // v.denominator)) - 1 if v >= 1 else -1
    while e < 0 and v < Fraction(1, 10**-e):  # leading digit of a value below 1
        e -= 1
    return Fraction(10) ** (e - k + 1)


@lru_cache(maxsize=4096)
def decimal_precision(node) -> float | None:
    """Finest relative precision (unit of the last digit over the value) among the non-zero
    decimal literals of a node: 3.2e-4 for `3.140`, 1e-3 for `1.000` (None: no decimals)."""
    rel = [
        float(literal_unit(n[1], n[2]) / abs(n[1]))
        for n in iter_nodes(node)
        if n[0] == "num" and n[2] is not None and n[1] != 0
    ]
    return min(rel) if rel else None


# ---- numeric evaluation -------------------------------------------------------------------------


def _real_odd_root_sign(b, e) -> int:
    """For a negative real base and a rational exponent p/q with odd q, the real power is
    (-1)^p |b|^(p/q) (as `\\sqrt[3]{x}^2` means); returns that sign, or 0 when not that case."""
    if b.imag != 0 or b.real >= 0 or e.imag != 0:
        return 0
    for q in (3, 5, 7, 9, 11):
        pq = e.real * q
        p = round(float(pq))
        if abs(pq - p) < 1e-12:
            return -1 if p % 2 else 1
    return 0


class _Float:
    """Double-precision complex backend."""

    name = "float"
    pi, e, i = complex(math.pi), complex(math.e), 1j
    sqrt, exp, log = staticmethod(cmath.sqrt), staticmethod(cmath.exp), staticmethod(cmath.log)
    sin, cos, tan = staticmethod(cmath.sin), staticmethod(cmath.cos), staticmethod(cmath.tan)
    asin, acos, atan = staticmethod(cmath.asin), staticmethod(cmath.acos), staticmethod(cmath.atan)
    sinh, cosh, tanh = staticmethod(cmath.sinh), staticmethod(cmath.cosh), staticmethod(cmath.tanh)

    @staticmethod
    def number(f: Fraction) -> complex:
        return complex(f.numerator / f.denominator)

    @staticmethod
    def gamma(z: complex) -> complex:
        if z.imag != 0:
            raise EvalError("complex gamma")
        return complex(math.gamma(z.real))

    @staticmethod
    def pow(b: complex, e: complex) -> complex:
        if b == 0:
            if e.real <= 0:
                raise EvalError("0 to a non-positive power")
            return 0j
        if e.imag == 0 and e.real == int(e.real) and abs(e.real) < 64:
            return b ** int(e.real)
        sign = _real_odd_root_sign(b, e)
        if sign:
            return sign * (-b) ** e
        return b**e

    @staticmethod
    def absval(z: complex) -> complex:
        return complex(abs(z))

    @staticmethod
    def real(z) -> float:
        return z.real


class _Mp:
    """mpmath backend at 50 digits: no overflow, no underflow; loaded on first use."""

    name = "mp"

    def __init__(self) -> None:
        import mpmath

        self.m = mpmath.mp.clone() if hasattr(mpmath.mp, "clone") else mpmath.mp
        self.m.dps = 50
        m = self.m
        self.pi, self.e, self.i = m.mpc(m.pi), m.mpc(m.e), m.mpc(0, 1)
        self.sqrt, self.exp, self.log = m.sqrt, m.exp, m.log
        self.sin, self.cos, self.tan = m.sin, m.cos, m.tan
        self.asin, self.acos, self.atan = m.asin, m.acos, m.atan
        self.sinh, self.cosh, self.tanh = m.sinh, m.cosh, m.tanh
        self.gamma = m.gamma

    def number(self, f: Fraction):
        return self.m.mpc(self.m.mpf(f.numerator) / f.denominator)

    def pow(self, b, e):
        if b == 0:
            if e.real <= 0:
                raise EvalError("0 to a non-positive power")
            return self.m.mpc(0)
        if abs(e) > MAX_NUMERIC_EXPONENT and abs(abs(b) - 1) > 1e-30:
            raise EvalError("too large")
        sign = _real_odd_root_sign(b, e)
        if sign:
            return sign * self.m.power(-b, e)
        return self.m.power(b, e)

    def absval(self, z):
        return self.m.mpc(abs(z))

    @staticmethod
    def real(z) -> float:
        return z.real


def _real_only(f):
    """`f`, raising EvalError where it takes real arguments to a non-real value."""

    def checked(*args):
        value = f(*args)
        if value.imag != 0 and all(a.imag == 0 for a in args):
            raise EvalError("not real")
        return value

    return checked


class _RealFloat(_Float):
    """`_Float` restricted to the reals: an operation that takes real arguments to a non-real
    value (the square root or logarithm of a negative number, a fractional power of one, the
    arcsine of 2) raises EvalError instead. A point where this raises is outside the real domain
    of the expression, where equivalences that hold on the positive reals may fail
    (`\\sqrt{x}\\sqrt{y}` and `\\sqrt{xy}` at x, y < 0)."""

    name = "real"
    sqrt, log = staticmethod(_real_only(cmath.sqrt)), staticmethod(_real_only(cmath.log))
    asin, acos = staticmethod(_real_only(cmath.asin)), staticmethod(_real_only(cmath.acos))
    pow = staticmethod(_real_only(_Float.pow))


_MP: _Mp | None = None


def mp_backend() -> _Mp:
    global _MP
    if _MP is None:
        _MP = _Mp()
    return _MP


FLOAT = _Float()
REAL = _RealFloat()
_TRIG = {"sin", "cos", "tan", "sec", "csc", "cot"}


def numeric(node, env: dict, B, dl: Deadline, *, radians_from_degrees: bool = False):
    """Complex value of a scalar node at the point `env` (symbol -> value)."""
    dl.check()
    kind = node[0]
    ev = numeric
    if kind == "num":
        return B.number(node[1])
    if kind == "sym":
        if node[1] not in env:
            raise EvalError(f"unbound symbol {node[1]}")
        return env[node[1]]
    if kind == "const":
        if node[1] == "inf":
            raise EvalError("infinity is not a number")
        return getattr(B, node[1])
    if kind == "add":
        out = B.number(Fraction(0))
        for t in node[1]:
            out = out + ev(t, env, B, dl, radians_from_degrees=radians_from_degrees)
        return out
    if kind == "mul":
        out = B.number(Fraction(1))
        for f in node[1]:
            out = out * ev(f, env, B, dl, radians_from_degrees=radians_from_degrees)
        return out
    if kind == "neg":  # 0 - x, not -x: -(4+0j) is (-4-0j), whose square root is -2i, not 2i
        return 0 - ev(node[1], env, B, dl, radians_from_degrees=radians_from_degrees)
    if kind == "div":
        num = ev(node[1], env, B, dl, radians_from_degrees=radians_from_degrees)
        den = ev(node[2], env, B, dl, radians_from_degrees=radians_from_degrees)
        if den == 0:
            raise EvalError("division by zero")
        return num / den
    if kind == "pow":
        return B.pow(ev(node[1], env, B, dl), ev(node[2], env, B, dl))
    if kind == "root":
        index = ev(node[2], env, B, dl)
        if index == 0:
            raise EvalError("zeroth root")
        x = ev(node[1], env, B, dl)
        if index == 2:
            return B.sqrt(x)
        if (
            x.imag == 0
            and x.real < 0
            and index.imag == 0
            and int(index.real) == index.real
            and int(index.real) % 2
        ):
            return -B.pow(-x, 1 / index)  # real odd root of a negative number
        return B.pow(x, 1 / index)
    if kind == "fact":
        x = ev(node[1], env, B, dl)
        if x.imag != 0 or x.real < 0 or abs(x.real) > 1e6:
            raise EvalError("factorial out of range")
        return B.gamma(x + 1)
    if kind == "binom":
        n, k = ev(node[1], env, B, dl), ev(node[2], env, B, dl)
        return B.gamma(n + 1) / (B.gamma(k + 1) * B.gamma(n - k + 1))
    if kind == "abs":
        return B.absval(ev(node[1], env, B, dl))
    if kind in ("units",):
        return ev(node[1], env, B, dl, radians_from_degrees=radians_from_degrees)
    if kind == "deg":
        x = ev(node[1], env, B, dl)
        return x * B.pi / 180 if radians_from_degrees else x
    if kind == "pct":
        return ev(node[1], env, B, dl) / 100
    if kind == "based":
        return B.number(Fraction(_based_value(node)))
    if kind == "func":
        return _function(node, env, B, dl)
    if kind in ("floor", "ceil"):
        x = ev(node[1], env, B, dl)
        if x.imag != 0:
            raise EvalError("floor of a complex number")
        return B.number(Fraction(math.floor(x.real) if kind == "floor" else math.ceil(x.real)))
    raise EvalError(f"not a scalar: {kind}")


def _function(node, env, B, dl):
    _, name, arg, base = node
    if name in ("max", "min"):  # numeric, so symbolic arguments work too (`\\max(a, b)`)
        args = arg[1] if arg[0] == "list" else (arg,)
        values = [numeric(a, env, B, dl) for a in args]
        if any(v.imag != 0 for v in values):
            raise EvalError(f"{name} of a complex number")
        return (max if name == "max" else min)(values, key=B.real)
    if name in ("gcd", "lcm"):
        try:
            return B.number(exact(node, dl))
        except NotExact:
            raise EvalError(f"{name} of a non-rational value") from None
    x = numeric(arg, env, B, dl, radians_from_degrees=name in _TRIG)
    if name in ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp", "sqrt"):
        return getattr(B, name)(x)
    if name in ("arcsin", "arccos", "arctan"):
        return getattr(B, "a" + name[3:])(x)
    if name in ("sec", "csc", "cot"):
        den = {"sec": B.cos, "csc": B.sin, "cot": B.tan}[name](x)
        if den == 0:
            raise EvalError("pole")
        return 1 / den
    if name in ("log", "ln", "lg"):
        if x == 0:
            raise EvalError("log of zero")
        value = B.log(x)
        if base is not None:
            b = numeric(base, env, B, dl)
            if b == 0 or b == 1:
                raise EvalError("bad log base")
            return value / B.log(b)
        return value / B.log(B.number(Fraction(10))) if name == "lg" else value
    raise EvalError(f"unsupported function {name}")
