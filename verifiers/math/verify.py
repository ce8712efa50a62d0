"""`verify(gold, pred)`: the math accuracy check, in tiers from cheap to expensive.

1. extraction (reference and completion), multiple-choice letters
2. string equality after normalisation
3. parse both (the reference's parse is cached) and compare: exact numbers, then structures,
   then numeric identity testing for irrational and symbolic answers (see `compare`)
Every call returns within `timeout` seconds from any thread or process: the work is bounded
and checks a cooperative deadline; nothing here uses signals.
"""

from __future__ import annotations

import numbers
from functools import lru_cache
from typing import get_args

import regex

from .._timebound import Deadline, DeadlineExceeded
from . import verdict as V
from .compare import compare
from .extract import (
    EXTRACTIONS,
    BoxMode,
    Extraction,
    answer_region,
    extract_answer,
    extract_choice,
    extract_reference,
    reference_choice,
)
from .normalize import normalize
from .parse import ParseError, parse
from .verdict import MathVerdict

DEFAULT_TIMEOUT = 1.0
_SPACE = regex.compile(r" (?![\d.])|(?<![\d.]) ")  # spaces that do not separate two numbers
_BLANK = regex.compile(r"(?:\\[A-Za-z]+\s*\{\s*\}|[{}\s])*")  # empty groups, no content
_DECIMAL_POINT = regex.compile(r"-?\d+\.\d+")
_DECIMAL_COMMA_PAIR = regex.compile(r"(-?\d+),(\d+)")  # `2,74`: no space, no thousands group
MAX_COMPLETION_CHARS = 2_000_000
MAX_ANSWER_CHARS = 1_000
_BOX_MODES = get_args(BoxMode)
_NOT_FOUND = {
    "flexible": "no %s found in the completion",
    "marked": "no %s marked as final (a box, an <answer> tag, ####)",
}


@lru_cache(maxsize=16384)
def _parsed(answer: str):
    """(ast, None) or (None, error); cached because references repeat across samples."""
    try:
        return parse(answer), None
    except ParseError as e:
        return None, str(e)
    except RecursionError:
        return None, "nested too deeply"


def clear_caches() -> None:
    """Forget cached normalisations and parses (for fair benchmarks and memory hygiene)."""
    normalize.cache_clear()
    _parsed.cache_clear()


def verified_part(completion: str) -> str:
    """The part of a completion that `verify` reads (after `</think>` when there is an answer
    there), so a caller can ship only that to a worker: `verify(gold, verified_part(c))` gives
    the same verdict as `verify(gold, c)`. Oversized completions stay whole, so the size guard
    still sees them."""
    if not isinstance(completion, str) or len(completion) > MAX_COMPLETION_CHARS:
        return completion
    return answer_region(completion)


def verify(
    gold: str,
    pred: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    boxed: BoxMode = "last",
    extraction: Extraction = "flexible",
) -> MathVerdict:
    """Is the final answer of completion `pred` equivalent to reference `gold`?

    `boxed` chooses which `\\boxed{}` of the completion is the answer: the last (default), the
    first, or all of them as a list. `extraction="marked"` reads only an answer the completion
    marks as final (a box, an `<answer>` tag, GSM8K's `####`), never one found in its prose; see
    `extract`. A number is a reference too (datasets store `72`, `0.5`).
    Never raises on bad input: the verdict says what happened; a bad option raises ValueError.
    """
    if boxed not in _BOX_MODES:
        raise ValueError(f"boxed must be one of {_BOX_MODES}, not {boxed!r}")
    if extraction not in EXTRACTIONS:
        raise ValueError(f"extraction must be one of {EXTRACTIONS}, not {extraction!r}")
    dl = Deadline(timeout)
    try:
        return _verify(gold, pred, dl, boxed, extraction)
    except DeadlineExceeded:
        return MathVerdict(False, V.TIMEOUT, detail=f"no decision within {timeout:g}s")
    except RecursionError:
        return MathVerdict(False, V.UNPARSEABLE, detail="nested too deeply")
    except Exception as e:  # last line of defence: a trainer must never see an exception
        return MathVerdict(False, V.UNPARSEABLE, detail=f"internal error: {type(e).__name__}: {e}")


def _real_number(x) -> bool:
    """int, float, Fraction, Decimal and numpy's numbers; not a bool, not a complex number."""
    if isinstance(x, bool) or not isinstance(x, numbers.Number):
        return False
    return isinstance(x, numbers.Real) or not isinstance(x, numbers.Complex)  # Decimal: neither


def _verify(gold, pred, dl: Deadline, boxed: BoxMode, extraction: Extraction) -> MathVerdict:
    if _real_number(gold):
        try:
            gold = str(gold)
        except ValueError:  # an int past the interpreter's 4300-digit printing limit
            return MathVerdict(False, V.TOO_LARGE, detail="reference over the size limit")
        if gold.lstrip("+-").lower() in ("nan", "snan", "inf", "infinity"):
            return MathVerdict(False, V.NO_REFERENCE, detail=f"the reference is {gold}")
    if not isinstance(gold, str) or not isinstance(pred, str):
        return MathVerdict(False, V.UNPARSEABLE, detail="reference and completion must be strings")
    if len(pred) > MAX_COMPLETION_CHARS or len(gold) > MAX_COMPLETION_CHARS:
        return MathVerdict(False, V.TOO_LARGE, detail="input over the size limit")
    gold_answer = extract_reference(gold)
    if gold_answer is None:
        return MathVerdict(False, V.NO_REFERENCE, detail="the reference has no answer")
    choice = reference_choice(gold_answer)
    if choice is not None:
        picked = extract_choice(pred, extraction=extraction)
        if picked is None:
            return MathVerdict(
                False,
                V.NO_ANSWER,
                gold=choice,
                method="choice",
                detail=_NOT_FOUND[extraction] % "choice letter",
            )
        same = picked == choice
        return MathVerdict(same, V.EQUIVALENT if same else V.DIFFERS, choice, picked, "choice")
    dl.check()
    pred_answer = extract_answer(pred, boxed=boxed, extraction=extraction)
    if pred_answer is None:
        return MathVerdict(
            False, V.NO_ANSWER, gold=gold_answer, detail=_NOT_FOUND[extraction] % "answer"
        )
    if len(pred_answer) > MAX_ANSWER_CHARS or len(gold_answer) > MAX_ANSWER_CHARS:
        return MathVerdict(
            False, V.TOO_LARGE, gold_answer, pred_answer, detail="answer over 1000 characters"
        )
    g_norm, p_norm = normalize(gold_answer), normalize(pred_answer)
    # `\\boxed{}`, `\\text{}`, `$$`: an empty reference matches nothing, not even an empty answer
    if _BLANK.fullmatch(g_norm):
        return MathVerdict(False, V.NO_REFERENCE, gold_answer, detail="the reference is empty")
    if _BLANK.fullmatch(p_norm):
        return MathVerdict(False, V.NO_ANSWER, gold_answer, pred_answer, detail="empty answer")
    if g_norm == p_norm or _SPACE.sub("", g_norm) == _SPACE.sub("", p_norm):
        return MathVerdict(True, V.EQUIVALENT, gold_answer, pred_answer, "string")
    dl.check()
    g_ast, g_err = _parsed(g_norm)
    if g_ast is None:
        same = g_norm.casefold() == p_norm.casefold()
        reason = V.EQUIVALENT if same else V.DIFFERS
        return MathVerdict(
            same,
            reason,
            gold_answer,
            pred_answer,
            "string",
            "" if same else f"reference unparseable: {g_err}",
        )
    p_ast, p_err = _parsed(p_norm)
    if p_ast is None:
        return MathVerdict(False, V.UNPARSEABLE, gold_answer, pred_answer, None, p_err or "")
    outcome = compare(g_ast, p_ast, dl)
    if not outcome.equal and g_ast[0] in ("list", "set"):
        # `0,1` and `2024,2025` read as decimal commas; against a list of values they are lists
        p_list = normalize(pred_answer, decimal_comma=False)
        p_ast2 = _parsed(p_list)[0] if p_list != p_norm else None
        if p_ast2 is not None:
            outcome = compare(g_ast, p_ast2, dl)
    elif not outcome.equal and _DECIMAL_POINT.fullmatch(g_norm):
        # `2,74` against a decimal reference is the decimal 2.74 (a decimal comma `normalize`
        # leaves alone: with 1-3 digits before the comma it could be a pair); a pair of numbers
        # could not match a single one anyway
        m = _DECIMAL_COMMA_PAIR.fullmatch(p_norm)
        p_ast2 = _parsed(f"{m[1]}.{m[2]}")[0] if m else None
        if p_ast2 is not None:
            outcome = compare(g_ast, p_ast2, dl)
    if outcome.equal:
        return MathVerdict(
            True, V.EQUIVALENT, gold_answer, pred_answer, outcome.method, outcome.detail
        )
    reason = V.UNPARSEABLE if outcome.inconclusive else V.DIFFERS
    return MathVerdict(False, reason, gold_answer, pred_answer, outcome.method, outcome.detail)
