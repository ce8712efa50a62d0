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
a call, `is` against anything but None/True/False/a type, code the compiler refuses) makes the
whole test run in the two-process design. An operation whose cost the candidate's value could blow
up (`seq * n`, `str % x`, `round(x, n)` with a computed `n`, a set of many keys with one hash) is
refused at judge time (`Unsupported`), and the caller runs the two-process design for that program;
test data's folds share a budget (hostile test data cannot make this process build much either).

Known differences, none of which can turn a failing program into a passing one: calls an assert
would skip after an exception inside it (`f(candidate(1))` raising before `candidate(2)`) are
still made, which matters only to a candidate whose results depend on the calls made before; and
every call is made even after an assert has failed, so a program that fails early and then hangs
ends as `timeout` after the wall limit instead of `wrong_answer` at once (with
stop_on_first_failure, the verdicts up to that failure stand, as in a test process).

One difference could: the candidate's process holds every call's arguments before it answers
the first (a test process hands them out one at a time), so a program that reads them could
answer one call with another's argument. Tests where an expected value is an argument of another
function's call (`encode('hello') == 'khoor'` beside `decode('khoor') == 'hello'`) are therefore
not lowered (`_leaks`). A chain of calls to one function whose results are each other's
arguments (`f(a) == b`, `f(b) == c`) is still lowered: a program would have to know the chain's
order to use it, and HumanEval's and MBPP's tests have none where that order is not the answer.
"""

from __future__ import annotations

import ast
import builtins
import functools
import json
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._code_harness import plain_codec

_enc, _dec = plain_codec()


class Unsupported(Exception):
    """The test cannot be judged here (statically or for these values): use a test process."""


class _CallFailed(Exception):
    """The candidate's call raised, returned non-plain data, or gave no result."""


class _NoResult(_CallFailed):
    """The call gave no result (the process ended or was killed first)."""


class _TooLarge(ValueError):
    """A fold that could run long or build a huge value: the test is not lowered."""


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

    def judge(
        self, results: list, stop: bool, killed: bool = False
    ) -> list[tuple[int, bool, str]] | None:
        """(test index, passed, detail) for each test judged, in order; `results[k]` is
        ("ok", value) or ("err", message) for call k, or None when it gave no result.
        Raises Unsupported when a value needs an operation this module will not run.
        `killed`: the run was killed, and a test process would have been killed at the first
        call without a result too, which then fails everything: None when judging reaches it
        (with `stop`, a failure before it ends the tests there as it ends them here)."""
        out = []
        for i, asserts in enumerate(self.tests):
            passed, detail = True, ""
            for evaluate, message in asserts:
                try:
                    ok = bool(evaluate(results))
                except Unsupported:
                    raise
                except _NoResult as e:
                    if killed:
                        return None
                    ok, message = False, f"CandidateError: {e}"
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


# MemoryError: the parser's own stack overflows on deep nesting (`-` * 200000 + `1`)
_REFUSED = (
    Unsupported,
    ValueError,
    SyntaxError,
    TypeError,
    ArithmeticError,
    RecursionError,
    MemoryError,
)


@functools.lru_cache(maxsize=4096)
def lower_check(test: str, entry: str, setup: str) -> Lowered | None:
    """HumanEval: `test` defines `check(candidate)`, one test of all its asserts."""
    try:
        module = _compiled(test)
        budget = [_MAX_FOLDED_ITEMS]
        bound = _bound_names(setup) | {"check"}
        calls: list[list] = []
        check = None
        for node in module.body:
            if _is_docstring(node):
                continue
            if isinstance(node, ast.Assign) and _all_names(node.targets):
                _fold(node.value, budget)  # a literal (METADATA): cannot fail or matter
                targets = {t.id for t in node.targets}  # type: ignore[attr-defined]
                if targets & {entry, "check"}:  # rebinds what the test process calls
                    return None
                bound |= targets
                continue
            if isinstance(node, ast.FunctionDef) and node.name == "check" and check is None:
                check = node
                continue
            return None
        # an entry point named check is the test's own check there; annotations and
        # decorators run when check is defined
        if check is None or entry == "check" or not _plain_header(check):
            return None
        candidate = check.args.args[0].arg
        names = _Names(candidate, entry, bound - {entry}, budget)
        asserts, tested = [], []
        for node in check.body:
            if _is_docstring(node) or isinstance(node, ast.Pass):
                continue
            if not isinstance(node, ast.Assert):
                return None
            asserts.append((_expr(node.test, names, calls), _message(node)))
            tested.append(node.test)
        return None if _leaks(calls, tested) else _lowered(calls, [tuple(asserts)])
    except _REFUSED:
        return None


@functools.lru_cache(maxsize=4096)
def lower_asserts(asserts: tuple[str, ...], setup: str) -> Lowered | None:
    """MBPP: each string is one test, an assert calling the candidate's functions by name."""
    try:
        names = _Names(None, None, _bound_names(setup))
        calls: list[list] = []
        tests, tested = [], []
        for text in asserts:
            body = _compiled(text).body
            if len(body) != 1 or not isinstance(body[0], ast.Assert):
                return None
            node = body[0]
            tests.append(((_expr(node.test, names, calls), _message(node)),))
            tested.append(node.test)
        return None if _leaks(calls, tested) else _lowered(calls, tests)
    except _REFUSED:
        return None


def _compiled(text: str) -> ast.Module:
    """The parsed test code, once it compiles: what only the compiler refuses (a repeated
    keyword argument, `yield` outside a function) fails the test process's run, so such code
    is not lowered. Nor is code past 64 KB, which the parent does not compile either (the
    compiler builds `x in {...}`'s frozenset: quadratic for keys of one hash)."""
    if len(text) > 1 << 16:
        raise Unsupported("test code too large to compile here")
    module = ast.parse(text)
    compile(module, "test.py", "exec", dont_inherit=True)
    return module


def _leaks(calls: list[list], tests: list[ast.expr]) -> bool:
    """Whether an expected value of an assert is an argument of a call to another function. The
    candidate's process holds every call's arguments (it makes the calls), so it could answer
    one function with the other's argument: `encode('hello') == 'khoor'` and `decode('khoor')
    == 'hello'` passed with the arguments swapped. A test process hands out one call at a time,
    so such tests run there. Values of a function's own calls are not counted (`f([3, 1]) ==
    [1, 3]` beside `f([1, 3]) == [1, 3]` is common and tells the candidate nothing it could use
    without solving), nor are small ones (None, booleans, numbers below 10, one character)."""
    arguments: dict[str, set[str]] = {}  # function name -> its calls' arguments, JSON
    for call in calls:
        seen = arguments.setdefault(call[0], set())
        for arg in [*call[1], *(call[2].get("d", []) if len(call) > 2 else [])]:
            seen.add(json.dumps(arg))
            if isinstance(arg, list):  # the elements of a list argument too
                seen.update(json.dumps(item) for item in arg)
    if len(arguments) < 2:
        return False
    for test in tests:
        calls_here = [n for n in ast.walk(test) if isinstance(n, ast.Call)]
        own = {id(a) for n in calls_here for a in n.args}
        named = {n.func.id for n in calls_here if isinstance(n.func, ast.Name)}
        others = set().union(*(v for k, v in arguments.items() if k not in named))
        for node in ast.walk(test):
            if id(node) in own or not isinstance(node, _LITERALS):
                continue
            try:
                value = ast.literal_eval(node)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
            if _informative(value) and json.dumps(_enc(value)) in others:
                return True
    return False


_LITERALS = (ast.Constant, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.UnaryOp)


def _informative(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return abs(value) >= 10
    if isinstance(value, (str, bytes)):
        return len(value) >= 2
    return True


def _lowered(calls: list[list], tests: list) -> Lowered | None:
    if not calls:  # nothing to ask the candidate: the test process's verdict is the same cost
        return None
    return Lowered(json.dumps(calls), len(calls), tuple(tests))


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def _all_names(targets: list[ast.expr]) -> bool:
    return all(isinstance(t, ast.Name) for t in targets)


def _plain_header(check: ast.FunctionDef) -> bool:
    """`def check(candidate):` with nothing that runs when it is defined."""
    args = check.args
    return (
        len(args.args) == 1
        and not (args.posonlyargs or args.kwonlyargs or args.defaults or args.kw_defaults)
        and args.vararg is None
        and args.kwarg is None
        and args.args[0].annotation is None
        and check.returns is None
        and not check.decorator_list
    )


def _message(node: ast.Assert) -> str:
    """The assert's message when it is a literal; any other message is evaluated by the test
    process only after the assert failed, so it cannot change that verdict. Unless it yields
    (check becomes a generator, whose asserts never run) or binds a name (MBPP's asserts share
    one namespace: the next asserts would read it): such tests are not lowered."""
    if node.msg is not None and any(
        isinstance(n, (ast.Yield, ast.YieldFrom, ast.NamedExpr)) for n in ast.walk(node.msg)
    ):
        raise Unsupported("a message that yields or binds a name")
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
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:  # `case len:`
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
    return frozenset(names)


@dataclass(frozen=True)
class _Names:
    """How the test process resolves a name the asserts read."""

    candidate: str | None  # check()'s parameter: the candidate's entry point
    entry: str | None  # the entry point's own name (the test process binds it to the candidate)
    bound: frozenset[str]  # names the setup binds (shadowing builtins and the candidate's)
    # what repetition and concatenation may still build in this test's folds (see _folded)
    budget: list[int] = field(default_factory=lambda: [_MAX_FOLDED_ITEMS], compare=False)

    def type_named(self, name: str) -> type | None:
        """The builtin type `name` reads, unless the setup or the candidate rebinds it."""
        if name in self.bound or name in (self.candidate, self.entry):
            return None
        return _TYPES.get(name)

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
            value = _fold(node, names.budget)
        except _TooLarge as e:  # nor computed at judge time: the test process computes it
            raise Unsupported(str(e)) from None
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
        # identity is exact only against a singleton: the test process's constants are the
        # compiler's (equal constants merged, strings interned), not this process's values
        operands = [node.left, *node.comparators]
        for k, op in enumerate(node.ops):
            if isinstance(op, (ast.Is, ast.IsNot)) and not (
                _singleton(operands[k], names) or _singleton(operands[k + 1], names)
            ):
                raise Unsupported("identity of values that are not singletons")
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
    if isinstance(node, ast.Name) and names.type_named(node.id) is not None:
        kind = names.type_named(node.id)
        return lambda results: kind
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        build = {ast.List: list, ast.Tuple: tuple, ast.Set: _set}[type(node)]
        if any(isinstance(e, ast.Starred) for e in node.elts):
            raise Unsupported("starred element")
        items = [_expr(e, names, calls) for e in node.elts]
        return lambda results: build([item(results) for item in items])
    raise Unsupported(f"{type(node).__name__} in an assert")


def _singleton(node: ast.expr, names: _Names) -> bool:
    """None, True, False, ... or a builtin type: one object in every process."""
    if isinstance(node, ast.Constant):
        return any(node.value is s for s in (None, True, False, ...))
    return isinstance(node, ast.Name) and names.type_named(node.id) is not None


def _set(items: list) -> set:
    return set(_hashed(items))


_MAX_SAME_HASH = 64


def _hashed(items: list) -> list:
    """`items`, unless more than _MAX_SAME_HASH distinct ones share a hash: a set or dict of
    many distinct keys with one hash (ints k * (2**61 - 1), which any program can return)
    takes time quadratic in their number to build, which the sandbox bounds and this process
    would not (Unsupported: a test process builds it). Unhashable items raise TypeError, as
    building would."""
    groups: dict[int, list] = {}
    for x in items:
        same = groups.setdefault(hash(x), [])
        if not any(x is y or x == y for y in same):
            same.append(x)
            if len(same) > _MAX_SAME_HASH:
                raise Unsupported("many distinct keys with one hash")
    return items


_FOLD_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_MAX_FOLDED_ITEMS = 100_000  # per test, over all its folds (see _folded)
_MAX_FOLDED_BITS = 4096


def _fold(node: ast.expr, budget: list[int] | None = None) -> Any:
    """The value of a literal, with constant arithmetic folded (`3 * 19`, `'ab' + 'c'`,
    `1 ** 0`), as Python computes it; ValueError for anything else, and _TooLarge (a
    ValueError) for folds that could run long or build huge values (test data can be hostile
    too). `budget` is what repetition and concatenation may still build, shared by a test's
    folds (a fresh one without it)."""
    return _folded(node, [_MAX_FOLDED_ITEMS] if budget is None else budget)[0]


def _folded(node: ast.expr, budget: list[int]) -> tuple[Any, int]:
    """(value, size): the items and characters a walk of the value meets, a part that
    repetition shares counted once per reference (`[[0] * 1000] * 1000` is a million, in 8 KB):
    what encoding, sending, comparing or printing it costs. Repetition and concatenation spend
    their result's size from `budget`; literals cost what their source does."""
    if isinstance(node, ast.Constant):
        v = node.value
        return v, 1 + len(v) if isinstance(v, (str, bytes)) else 1
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        if any(isinstance(e, ast.Starred) for e in node.elts):
            raise ValueError("starred element")
        parts = [_folded(e, budget) for e in node.elts]
        items = [v for v, _ in parts]
        if isinstance(node, ast.Set):
            _hashed(items)
        build = {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)]
        return build(items), 1 + sum(n for _, n in parts)
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise ValueError("dict unpacking")
        pairs = [
            (_folded(k, budget), _folded(v, budget))
            for k, v in zip(node.keys, node.values, strict=True)
        ]  # type: ignore[arg-type]
        _hashed([k for (k, _), _ in pairs])
        return {k: v for (k, _), (v, _) in pairs}, 1 + sum(a + b for (_, a), (_, b) in pairs)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        value, size = _folded(node.operand, budget)
        return _UNARY[type(node.op)](value), size
    if isinstance(node, ast.BinOp) and isinstance(node.op, _FOLD_OPS):
        (a, size_a), (b, size_b) = _folded(node.left, budget), _folded(node.right, budget)
        size = 1
        if isinstance(node.op, ast.Pow):
            if not (_is_number(a) and _is_number(b)):
                raise ValueError("power of non-numbers")
            if isinstance(b, int) and (abs(b) > 64 or _bits(a) * abs(b) > _MAX_FOLDED_BITS):
                raise _TooLarge("power too large to fold")
            return a**b, size
        if isinstance(node.op, ast.Mult) and isinstance(a, _SEQUENCES) != isinstance(b, _SEQUENCES):
            n, each = (b, size_a) if isinstance(a, _SEQUENCES) else (a, size_b)
            if isinstance(n, int):  # else Python raises TypeError
                size = _spend(budget, 1 + (each - 1) * max(n, 0))
        elif isinstance(node.op, ast.Add) and isinstance(a, _SEQUENCES):
            size = _spend(budget, size_a + size_b - 1)
        if isinstance(node.op, ast.Mod) and isinstance(a, (str, bytes)):
            raise ValueError("string formatting")
        if isinstance(node.op, ast.Mult) and _bits(a) + _bits(b) > 4 * _MAX_FOLDED_BITS:
            raise _TooLarge("product too large to fold")
        return _ARITH[type(node.op)](a, b), size
    raise ValueError(f"{type(node).__name__} is not a literal")


def _spend(budget: list[int], size: int) -> int:
    if size > budget[0]:
        raise _TooLarge("folding builds too much")
    budget[0] -= size
    return size


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
        args = [_fold(a, names.budget) for a in node.args]
        request = [target, _enc(args)]
        if node.keywords:
            request.append(_enc({k.arg: _fold(k.value, names.budget) for k in node.keywords}))
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
            value = _fold(digits, names.budget)
            if type(value) is not int or abs(value) >= 400:
                raise Unsupported("round to many digits")
    fn = _PURE[name]
    args = [_expr(a, names, calls) for a in node.args]
    kwargs = {k.arg: _fold(k.value, names.budget) for k in node.keywords}
    if name in ("int", "float", "str"):
        return lambda results: _convert(fn, [a(results) for a in args], kwargs)
    if name in ("set", "frozenset", "dict"):
        return lambda results: _collect(fn, [a(results) for a in args])
    return lambda results: fn(*(a(results) for a in args), **kwargs)


def _collect(fn: Callable, args: list) -> Any:
    """set(), frozenset() or dict() of results, refusing many distinct keys of one hash."""
    if len(args) == 1:
        arg = args[0]
        if fn is dict and not isinstance(arg, dict):
            _hashed([k for k, _ in arg])  # a non-pair raises, as dict() would
        else:
            _hashed(list(arg))
    return fn(*args)


_MAX_DIGITS = 4300  # CPython's default int/str conversion limit


def _convert(fn: Callable, args: list, kwargs: dict) -> Any:
    """int(), float() or str() of results, refusing the sizes where conversion is quadratic
    (the default digit limit stops them in the test process; this process may have lifted it)."""
    for a in args:
        if (type(a) is str and len(a) > _MAX_DIGITS) or (
            type(a) is int and a.bit_length() > _MAX_DIGITS * 10 // 3
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
        raise _NoResult("no result")
    kind, value = got
    if kind != "ok":
        raise _CallFailed(value)
    return value


def decode_results(records: list[dict], n_calls: int) -> tuple[list, str]:
    """Per call ("ok", fresh decoded value) or ("err", message) or None, from the channel's
    records (the first record for an index counts); and the candidate's load error, if any.
    Raises Unsupported for a set or dict this process must not build (see _hashed)."""
    results: list = [None] * n_calls
    for rec in records:
        if "load_error" in rec:
            return [None] * n_calls, str(rec["load_error"])
        i = rec.get("i")
        if type(i) is not int or not 0 <= i < n_calls or results[i] is not None:
            continue
        if "ok" in rec:
            try:
                results[i] = ("ok", decode_value(rec["ok"]))
            except (ValueError, TypeError, KeyError, RecursionError) as e:
                results[i] = ("err", f"bad result: {e}")
        else:
            results[i] = ("err", str(rec.get("err"))[:300])
    return results, ""


def decode_value(x: Any, d: int = 0) -> Any:
    """The codec's `_dec`, except that sets and dicts are built only once `_hashed` allows
    their keys (`_dec` would build them first)."""
    if d > 200:
        raise ValueError("value nested too deeply")
    t = type(x)
    if t is list:
        return [decode_value(v, d + 1) for v in x]
    if t is dict and len(x) == 1:
        ((tag, v),) = x.items()
        if tag in ("s", "fs") and type(v) is list:
            items = _hashed([decode_value(i, d + 1) for i in v])
            return set(items) if tag == "s" else frozenset(items)
        if tag == "d" and type(v) is list:
            pairs = [(decode_value(k, d + 1), decode_value(w, d + 1)) for k, w in v]
            _hashed([k for k, _ in pairs])
            return dict(pairs)
        if tag == "t" and type(v) is list:
            return tuple(decode_value(i, d + 1) for i in v)
    return _dec(x, d)  # scalars, and what is no encoded value (the codec's own error)
