"""Assert-style tests that need no test process: literal calls, judged here on plain data.

Most HumanEval checks and MBPP asserts are `assert candidate(<literals>) == <literal>` and a few
kindred shapes. For those, the test code is not run anywhere: the candidate's process makes the
calls (in the order the asserts would) and returns each result as plain data over the private
channel, and this process evaluates each assert on the decoded results. That is the isolation of
the two-process design and more (the asserts, expected values and the builtins they use never
exist in a sandboxed process), at the cost of one process per program instead of two.

Lowering is exact or refused: an assert is lowered only when this module can evaluate it with
Python's own semantics, and the test code otherwise reads only names it can resolve as the test
process would (the setup's names shadow builtins and are never lowered; the check's parameter and
the entry point are the candidate; other undefined names are the candidate's functions). Anything
else (loops, helpers from the setup, imports, comprehensions, `**`, short-circuits that could skip
a call) makes the whole test run in the two-process design. An operation whose cost the candidate's
value could blow up (`seq * n`, `str % x`, `round(x, n)` with a computed `n`) is refused at judge
time (`Unsupported`), and the caller runs the two-process design for that program.

Known differences, none of which can turn a failing program into a passing one: calls an assert
would skip after an exception inside it (`f(candidate(1))` raising before `candidate(2)`) are
still made, which matters only to a candidate whose results depend on the calls made before; and
every call is made even after an assert has failed, so a program that fails early and then hangs
ends as `timeout` after the wall limit instead of `wrong_answer` at once.
"""

from __future__ import annotations

import ast
import builtins
import functools
import json
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._code_harness import plain_codec

_enc, _dec = plain_codec()


class Unsupported(Exception):
    """The test cannot be judged here (statically or for these values): use a test process."""


class _CallFailed(Exception):
    """The candidate's call raised, returned non-plain data, or gave no result."""


Evaluator = Callable[[list], Any]  # results (one entry per call) -> the expression's value

# Builtins an assert may apply to results: pure, and bounded in time by the size of their input.
# sum() and round() are restricted below (a start value or ndigits could make them unbounded).
_PURE = {
    name: getattr(builtins, name)
    for name in (
        "abs",
        "all",
        "any",
        "bool",
        "dict",
        "float",
        "frozenset",
        "int",
        "isinstance",
        "len",
        "list",
        "max",
        "min",
        "round",
        "set",
        "sorted",
        "str",
        "sum",
        "tuple",
        "type",
    )
}
_TYPES = {name: getattr(builtins, name) for name in ("bool", "dict", "float", "frozenset", "int")}
_TYPES |= {name: getattr(builtins, name) for name in ("list", "set", "str", "tuple", "type")}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_ARITH: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_UNARY: dict[type, Callable[[Any], Any]] = {
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Invert: operator.invert,
}
_SEQUENCES = (str, bytes, list, tuple)


@dataclass(frozen=True)
class Lowered:
    """Calls for the candidate's process, and per test the asserts that judge their results."""

    calls_json: str  # [[name, encoded args], or [name, encoded args, encoded kwargs]], as JSON
    n_calls: int
    tests: tuple[tuple[tuple[Evaluator, str], ...], ...]  # per test: (assert, its message)

    @property
    def total(self) -> int:
        return len(self.tests)

    def spec(self, code: str) -> str:
        """The candidate process's stdin: its source and the calls, one JSON line."""
        return '{"calls": ' + self.calls_json + ', "source": ' + json.dumps(code) + "}\n"

    def judge(self, results: list, stop: bool) -> list[tuple[int, bool, str]]:
        """(test index, passed, detail) for each test judged, in order; `results[k]` is
        ("ok", value) or ("err", message) for call k, or None when it gave no result.
        Raises Unsupported when a value needs an operation this module will not run."""
        out = []
        for i, asserts in enumerate(self.tests):
            passed, detail = True, ""
            for evaluate, message in asserts:
                try:
                    ok = bool(evaluate(results))
                except Unsupported:
                    raise
                except _CallFailed as e:
                    ok, message = False, f"CandidateError: {e}"
                except (Exception, RecursionError) as e:  # the test process fails it the same way
                    ok, message = False, f"{type(e).__name__}: {str(e)[:200]}"
                if not ok:
                    passed, detail = False, message or "AssertionError"
                    break
            out.append((i, passed, detail))
            if stop and not passed:
                break
        return out


@functools.lru_cache(maxsize=4096)
def lower_check(test: str, entry: str, setup: str) -> Lowered | None:
    """HumanEval: `test` defines `check(candidate)`, one test of all its asserts."""
    try:
        module = ast.parse(test)
        bound = _bound_names(setup) | {"check"}
        calls: list[list] = []
        check = None
        for node in module.body:
            if _is_docstring(node):
                continue
            if isinstance(node, ast.Assign) and _all_names(node.targets):
                _fold(node.value)  # a literal (METADATA): cannot fail or matter
                bound |= {t.id for t in node.targets}  # type: ignore[attr-defined]
                continue
            if isinstance(node, ast.FunctionDef) and node.name == "check" and check is None:
                check = node
                continue
            return None
        if check is None or not _single_param(check.args) or check.decorator_list:
            return None
        candidate = check.args.args[0].arg
        asserts = []
        for node in check.body:
            if _is_docstring(node) or isinstance(node, ast.Pass):
                continue
            if not isinstance(node, ast.Assert):
                return None
            names = _Names(candidate, entry, bound - {entry})
            asserts.append((_expr(node.test, names, calls), _message(node)))
        return _lowered(calls, [tuple(asserts)])
    except (Unsupported, ValueError, SyntaxError, TypeError, ArithmeticError, RecursionError):
        return None


@functools.lru_cache(maxsize=4096)
def lower_asserts(asserts: tuple[str, ...], setup: str) -> Lowered | None:
    """MBPP: each string is one test, an assert calling the candidate's functions by name."""
    try:
        bound = _bound_names(setup)
        calls: list[list] = []
        tests = []
        for text in asserts:
            body = ast.parse(text).body
            if len(body) != 1 or not isinstance(body[0], ast.Assert):
                return None
            node = body[0]
            tests.append(((_expr(node.test, _Names(None, None, bound), calls), _message(node)),))
        return _lowered(calls, tests)
    except (Unsupported, ValueError, SyntaxError, TypeError, ArithmeticError, RecursionError):
        return None


def _lowered(calls: list[list], tests: list) -> Lowered | None:
    if not calls:  # nothing to ask the candidate: the test process's verdict is the same cost
        return None
    return Lowered(json.dumps(calls), len(calls), tuple(tests))


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def _all_names(targets: list[ast.expr]) -> bool:
    return all(isinstance(t, ast.Name) for t in targets)


def _single_param(args: ast.arguments) -> bool:
    return (
        len(args.args) == 1
        and not (args.posonlyargs or args.kwonlyargs or args.defaults or args.kw_defaults)
        and args.vararg is None
        and args.kwarg is None
    )


def _message(node: ast.Assert) -> str:
    """The assert's message when it is a literal; any other message is evaluated by the test
    process only after the assert failed, so it cannot change the verdict."""
    if isinstance(node.msg, ast.Constant):
        return f"AssertionError: {str(node.msg.value)[:200]}"
    return ""


def _bound_names(setup: str) -> frozenset[str]:
    """Every name the setup could bind in the test process's globals (an over-approximation:
    any name stored, defined, imported or declared global anywhere in it). A star import
    could bind anything: such a setup is not lowered."""
    if not setup.strip():
        return frozenset()
    names: set[str] = set()
    for node in ast.walk(ast.parse(setup)):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    raise Unsupported("star import in the setup")
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
    return frozenset(names)


@dataclass(frozen=True)
class _Names:
    """How the test process resolves a name the asserts read."""

    candidate: str | None  # check()'s parameter: the candidate's entry point
    entry: str | None  # the entry point's own name (the test process binds it to the candidate)
    bound: frozenset[str]  # names the setup binds (shadowing builtins and the candidate's)

    def function(self, name: str) -> str | None:
        """The candidate's function a call of `name` reaches, or None for a builtin."""
        if name == self.candidate or name == self.entry:
            return self.entry
        if name in self.bound:
            raise Unsupported(f"{name} comes from the setup")
        if hasattr(builtins, name):
            return None
        return name


def _expr(node: ast.expr, names: _Names, calls: list[list]) -> Evaluator:
    """An evaluator with Python's semantics for `node`; calls of the candidate are appended to
    `calls` in the order Python would make them."""
    if _has_no_call(node):
        try:
            value = _fold(node)
        except (ValueError, TypeError, ArithmeticError):
            pass
        else:
            return lambda results: value
    if isinstance(node, ast.Call):
        return _call(node, names, calls)
    if isinstance(node, ast.Compare):
        # a chain stops at the first false link: a call beyond the second operand could be
        # skipped, and the candidate would see a different sequence of calls
        if any(not _has_no_call(c) for c in node.comparators[1:]):
            raise Unsupported("call inside a comparison chain")
        ops = [_COMPARE[type(op)] for op in node.ops]
        left = _expr(node.left, names, calls)
        rights = [_expr(c, names, calls) for c in node.comparators]

        def compare(results: list) -> Any:
            a = left(results)
            for op, right in zip(ops, rights, strict=True):
                b = right(results)
                if not op(a, b):
                    return False
                a = b
            return True

        return compare
    if isinstance(node, ast.BoolOp):
        if any(not _has_no_call(v) for v in node.values[1:]):
            raise Unsupported("call a short-circuit could skip")
        parts = [_expr(v, names, calls) for v in node.values]
        is_and = isinstance(node.op, ast.And)

        def boolop(results: list) -> Any:
            value = None
            for part in parts:
                value = part(results)
                if bool(value) != is_and:
                    return value
            return value

        return boolop
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        unary, operand = _UNARY[type(node.op)], _expr(node.operand, names, calls)
        return lambda results: unary(operand(results))
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        return _binop(node, names, calls)
    if isinstance(node, ast.Subscript):
        value, index = _expr(node.value, names, calls), _expr(node.slice, names, calls)
        return lambda results: value(results)[index(results)]
    if isinstance(node, ast.Slice):
        parts = [_expr(p, names, calls) if p else None for p in (node.lower, node.upper, node.step)]
        return lambda results: slice(*(p(results) if p else None for p in parts))
    if isinstance(node, ast.Name) and node.id in _TYPES and node.id not in names.bound:
        kind = _TYPES[node.id]
        return lambda results: kind
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        build = {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)]
        if any(isinstance(e, ast.Starred) for e in node.elts):
            raise Unsupported("starred element")
        items = [_expr(e, names, calls) for e in node.elts]
        return lambda results: build(item(results) for item in items)
    raise Unsupported(f"{type(node).__name__} in an assert")


_FOLD_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_MAX_FOLDED_ITEMS = 100_000
_MAX_FOLDED_BITS = 4096


def _fold(node: ast.expr) -> Any:
    """The value of a literal, with constant arithmetic folded (`3 * 19`, `'ab' + 'c'`,
    `1 ** 0`), as Python computes it; ValueError for anything else, and for folds that could
    run long or build huge values (test data can be hostile too)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        if any(isinstance(e, ast.Starred) for e in node.elts):
            raise ValueError("starred element")
        items = [_fold(e) for e in node.elts]
        return {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)](items)
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise ValueError("dict unpacking")
        return {_fold(k): _fold(v) for k, v in zip(node.keys, node.values, strict=True)}  # type: ignore[arg-type]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_fold(node.operand))
    if isinstance(node, ast.BinOp) and isinstance(node.op, _FOLD_OPS):
        a, b = _fold(node.left), _fold(node.right)
        if isinstance(node.op, ast.Pow):
            if not (_is_number(a) and _is_number(b)):
                raise ValueError("power of non-numbers")
            if isinstance(b, int) and (abs(b) > 64 or _bits(a) * abs(b) > _MAX_FOLDED_BITS):
                raise ValueError("power too large to fold")
            return a**b
        if isinstance(node.op, ast.Mult) and isinstance(a, _SEQUENCES) != isinstance(b, _SEQUENCES):
            seq, n = (a, b) if isinstance(a, _SEQUENCES) else (b, a)
            if not isinstance(n, int) or len(seq) * max(n, 0) > _MAX_FOLDED_ITEMS:
                raise ValueError("repetition too large to fold")
        if isinstance(node.op, ast.Mod) and isinstance(a, (str, bytes)):
            raise ValueError("string formatting")
        if isinstance(node.op, ast.Mult) and _bits(a) + _bits(b) > 4 * _MAX_FOLDED_BITS:
            raise ValueError("product too large to fold")
        return _ARITH[type(node.op)](a, b)
    raise ValueError(f"{type(node).__name__} is not a literal")


def _is_number(x: Any) -> bool:
    return type(x) in (int, float, complex, bool)


def _bits(x: Any) -> int:
    return abs(x).bit_length() if type(x) in (int, bool) else 64


def _has_no_call(node: ast.AST) -> bool:
    return not any(isinstance(n, ast.Call) for n in ast.walk(node))


def _call(node: ast.Call, names: _Names, calls: list[list]) -> Evaluator:
    if not isinstance(node.func, ast.Name):
        raise Unsupported("call of an attribute or expression")
    target = names.function(node.func.id)
    if target is not None:  # the candidate's: literal arguments only, sent to its process
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            raise Unsupported("unpacked arguments")
        args = [_fold(a) for a in node.args]
        request = [target, _enc(args)]
        if node.keywords:
            request.append(_enc({k.arg: _fold(k.value) for k in node.keywords}))
        json.dumps(request)  # refuses what the wire cannot carry (nan is fine, sets are encoded)
        index = len(calls)
        calls.append(request)
        return lambda results: _result(results, index)
    name = node.func.id
    if name not in _PURE:
        raise Unsupported(f"builtin {name}")
    if node.keywords and name not in ("sorted", "max", "min", "round"):
        raise Unsupported(f"keywords to {name}")
    for k in node.keywords:  # literal options only (a key= function is not data)
        if k.arg is None or not _has_no_call(k.value):
            raise Unsupported("computed keyword")
    if any(isinstance(a, ast.Starred) for a in node.args):
        raise Unsupported("unpacked arguments")
    if name == "sum" and (len(node.args) != 1 or node.keywords):
        raise Unsupported("sum with a start value")  # sum(lists, []) is quadratic
    if name == "round":  # round(5, -10**9) runs for ages: literal, small digits only
        for digits in [*node.args[1:], *(k.value for k in node.keywords)]:
            value = _fold(digits)
            if type(value) is not int or abs(value) >= 400:
                raise Unsupported("round to many digits")
    fn = _PURE[name]
    args = [_expr(a, names, calls) for a in node.args]
    kwargs = {k.arg: _fold(k.value) for k in node.keywords}
    if name in ("int", "float", "str"):
        return lambda results: _convert(fn, [a(results) for a in args], kwargs)
    return lambda results: fn(*(a(results) for a in args), **kwargs)


_MAX_DIGITS = 4300  # CPython's default int/str conversion limit


def _convert(fn: Callable, args: list, kwargs: dict) -> Any:
    """int(), float() or str() of results, refusing the sizes where conversion is quadratic
    (the default digit limit stops them in the test process; this process may have lifted it)."""
    for a in args:
        if (type(a) is str and len(a) > _MAX_DIGITS) or (
            type(a) is int and a.bit_length() > 4 * _MAX_DIGITS
        ):
            raise Unsupported("conversion of a huge value")
    return fn(*args, **kwargs)


def _binop(node: ast.BinOp, names: _Names, calls: list[list]) -> Evaluator:
    op = type(node.op)
    arith = _ARITH[op]
    left, right = _expr(node.left, names, calls), _expr(node.right, names, calls)

    def binop(results: list) -> Any:
        a, b = left(results), right(results)
        if op is ast.Mult and (isinstance(a, _SEQUENCES) or isinstance(b, _SEQUENCES)):
            raise Unsupported("sequence repetition")  # "x" * 10**12 would exhaust memory here
        if op is ast.Mod and isinstance(a, (str, bytes)):
            raise Unsupported("string formatting")  # "%*d" % (10**9, 1)
        return arith(a, b)

    return binop


def _result(results: list, index: int) -> Any:
    got = results[index] if index < len(results) else None
    if got is None:
        raise _CallFailed("no result")
    kind, value = got
    if kind != "ok":
        raise _CallFailed(value)
    return value


def decode_results(records: list[dict], n_calls: int) -> tuple[list, str]:
    """Per call ("ok", fresh decoded value) or ("err", message) or None, from the channel's
    records (the first record for an index counts); and the candidate's load error, if any."""
    results: list = [None] * n_calls
    for rec in records:
        if "load_error" in rec:
            return [None] * n_calls, str(rec["load_error"])
        i = rec.get("i")
        if type(i) is not int or not 0 <= i < n_calls or results[i] is not None:
            continue
        if "ok" in rec:
            try:
                results[i] = ("ok", _dec(rec["ok"]))
            except (ValueError, TypeError, KeyError, RecursionError) as e:
                results[i] = ("err", f"bad result: {e}")
        else:
            results[i] = ("err", str(rec.get("err"))[:300])
    return results, ""
