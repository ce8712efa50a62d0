"""Reward functions with TRL's contract: `f(completions, prompts=None, **columns) -> list`.

Values are floats, or None.

`None` means not applicable (no or empty reference, code tests in no known format, no tests,
too little text to judge). A math reference the parser cannot read is compared as text (a
text answer such as `O(\\log n)`), so it scores 0.0 or 1.0. An item the core could not score
(its job raised, or its worker died) scores `error_value`, None by default in every reward that
runs jobs, with `reason: "error"` in its details and counted in the engine's `errors`: our
failure, not the completion's, so it is neither rewarded nor punished (a weighted sum and TRL's
sum over reward functions skip it).
Each reward is a picklable object with a stable `__name__` (TRL logs `rewards/<name>/mean`), and
each scores its whole batch through the batched core (`Engine`), never a loop of its own.
`details(...)` returns the values with what was seen, for logs and the command line.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import regex
from r1reward.verifiers._frozen import fast_constructor

from .core import OK, TIMEOUT, Engine, concurrently, default_engine, gc_paused
from .inputs import (
    REFERENCE_ALIASES,
    assistant_message,
    column,
    completion_text,
    dataset_tests,
    first_present,
    full_text,
    missing,
    reward_model_ground_truth,
)

KIND_COLUMNS = ("data_source", "task", "ability")
TEST_COLUMNS = ("tests", "test_cases", "verification_info", "input_output")


@dataclass(frozen=True, slots=True)
class Scored:
    """One completion's reward and what the reward saw (for diagnostics)."""

    value: float | None
    info: dict = field(default_factory=dict)


_scored = fast_constructor(Scored, "_scored", __name__)  # per item and component: kept cheap


ENTRY_POINTS = ("__call__", "details")


def _scoring_batch(method: Callable) -> Callable:
    """A reward entry point that scores its batch with the garbage collector paused."""
    if getattr(method, "_scores_batch", False):
        return method

    @functools.wraps(method)
    def entry(*args: Any, **kw: Any) -> Any:
        with gc_paused():
            return method(*args, **kw)

    entry._scores_batch = True  # type: ignore[attr-defined]
    return entry


class Reward:
    """Base: subclasses implement `details`; calling the reward returns the values.

    Every class's own `__call__` and `details` (a user's subclass too) are entry points that
    score a batch with the garbage collector paused (see `core.gc_paused`)."""

    name = "reward"

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        for name in ENTRY_POINTS:
            if name in cls.__dict__:
                setattr(cls, name, _scoring_batch(cls.__dict__[name]))

    def __init__(self, *, name: str | None = None, engine: Engine | None = None) -> None:
        self.__name__ = name or self.name
        self._engine = engine

    @property
    def engine(self) -> Engine:
        return self._engine or default_engine()

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_engine"] = None  # engines hold processes; a copy uses its process's default
        return state

    def __copy__(self) -> Reward:
        return self._copied(lambda state: state, {})

    def __deepcopy__(self, memo: dict) -> Reward:
        return self._copied(lambda state: copy.deepcopy(state, memo), memo)

    def _copied(self, copy_state: Callable[[Any], Any], memo: dict) -> Reward:
        """A copy in this process shares the engine (a pickled copy, in another process, uses
        that process's default engine instead). Made as pickling makes it, so a subclass's
        `__getstate__` / `__setstate__` (dropping a lock, a model handle) are honoured."""
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        state = copy_state(self.__getstate__())
        setstate = getattr(clone, "__setstate__", None)
        if setstate is not None:
            setstate(state)
        else:
            clone.__dict__.update(state)
        if self.__dict__.get("_engine") is not None and clone.__dict__.get("_engine") is None:
            clone._engine = self._engine
        return clone

    @_scoring_batch
    def __call__(
        self, completions: Sequence[Any], prompts: Sequence[Any] | None = None, **columns: Any
    ) -> list[float | None]:
        return [s.value for s in self.details(completions, prompts, **columns)]

    def details(
        self, completions: Sequence[Any], prompts: Sequence[Any] | None = None, **columns: Any
    ) -> list[Scored]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.__name__!r})"


# ---- accuracy ----------------------------------------------------------------------------------


def looks_like_tests(reference: Any) -> bool:
    """Code references: stdin/stdout pairs, APPS inputs/outputs, fn_name calls, assert tests."""
    if isinstance(reference, str):
        s = reference.lstrip()
        if not s.startswith(("{", "[")):
            return False
        try:
            reference = json.loads(s)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
            return False
    if isinstance(reference, Mapping):
        keys = set(reference)
        return bool(keys & {"inputs", "test_cases", "test", "test_list", "fn_name", "input_output"})
    if isinstance(reference, list) and reference:
        return all(isinstance(t, Mapping) and {"input", "output"} <= set(t) for t in reference)
    return False


# Program languages the sandbox runs, by the names datasets use (open-r1's verification_info)
_CODE_LANGUAGES = {
    **dict.fromkeys(("python", "python3", "py"), "python"),
    **dict.fromkeys(("cpp", "c++", "cxx"), "cpp"),
}


def _code_of(reference: Any) -> tuple[Any, str]:
    """(tests, program language) of a code reference; ValueError when not runnable here."""
    if isinstance(reference, str):
        reference = json.loads(reference)
    language = "python"
    if isinstance(reference, Mapping) and reference.get("language") is not None:
        name = str(reference["language"]).strip().lower()
        if name not in _CODE_LANGUAGES:
            raise ValueError(f"no sandbox runner for language {name!r}")
        language = _CODE_LANGUAGES[name]
    return _tests_of(reference), language


def _tests_of(reference: Any) -> Any:
    if isinstance(reference, str):
        reference = json.loads(reference)
    if isinstance(reference, Mapping) and "test_cases" in reference and len(reference) <= 2:
        return reference["test_cases"]  # open-r1 verification_info: language and test_cases
    if isinstance(reference, Mapping) and "input_output" in reference:
        inner = reference["input_output"]
        return json.loads(inner) if isinstance(inner, str) else inner
    return reference


def _kind(reference: Any, declared: Any) -> str | None:
    if declared is None and type(reference) is str:  # the common case, in a few string tests
        s = reference.lstrip()
        if not s:
            return None
        return "math" if s[0] not in "{[" or not looks_like_tests(s) else "code"
    if reference is None or (isinstance(reference, str) and not reference.strip()):
        return None
    if isinstance(declared, str) and any(
        k in declared.lower()
        for k in ("code", "apps", "taco", "livecodebench", "humaneval", "mbpp")
    ):
        return "code"
    if looks_like_tests(reference):
        return "code"
    return "math" if math_references(reference) else None


def math_references(reference: Any) -> list[str] | None:
    """The acceptable answers a math reference names: a string or a number is one; a flat list
    (or array) of them is a set of alternatives, any of which is right (verl ships some ground
    truths that way). Anything else (nested lists, mappings, booleans, missing values) is no
    reference: its text form would read as some other answer (`[[2, 3]]` as an interval)."""
    if hasattr(reference, "tolist") and not isinstance(reference, (str, bytes)):
        reference = reference.tolist()  # numpy or torch: plain values (a 0-d array is one)
    if isinstance(reference, str):
        return [reference] if reference.strip() else None
    if _is_number(reference):
        return _number_text([reference])
    if isinstance(reference, (bytes, Mapping)) or not hasattr(reference, "__iter__"):
        return None
    golds = []
    for item in reference:
        if (isinstance(item, str) and item.strip()) or _is_number(item):
            golds.append(item)
        else:
            return None
    golds = _number_text(golds)
    return list(dict.fromkeys(golds)) if golds else None


def _number_text(values: list) -> list[str] | None:
    """The text of each reference value; None when a number has too many digits to print (the
    interpreter's limit, 4300 digits): no answer is that long (math answers stop at 1000)."""
    try:
        return [v if isinstance(v, str) else str(v) for v in values]
    except ValueError:
        return None


def _is_number(x: Any) -> bool:
    """A real number that is not a missing cell (NaN) and not a boolean."""
    return isinstance(x, numbers.Number) and not isinstance(x, (bool, complex)) and not missing(x)


class Accuracy(Reward):
    """1.0 when the final answer is right: math by `verifiers.math`, code by all tests passing.

    Dispatch follows the reference's shape, or a `data_source`/`task` column naming a code set.
    `extraction="marked"` credits only a math answer the completion marks as final (a box, an
    `<answer>` tag, GSM8K's `####`), as R1 required; the default also reads answer phrases and,
    as a last resort, the last number of the text (see `verifiers.math.extract`).
    A timed-out check scores `timeout_value` (default 0.0), is flagged in `details` and is
    counted in the engine's `timeouts`. `timeout` bounds each math check. A code item is bounded
    by the sandbox instead: each test's run by `code_limits` (a sandbox `Limits`; its defaults
    when None: 5 s of CPU, 10 s of wall time), the item by `code_max_total_s` (tests not started
    by then are not run), and for C++ one compile under the sandbox's `compile_limits`. A program
    that runs out of its limits fails that test, as a judge's time-limit verdict does: it is a
    wrong answer, not a timed-out check.
    """

    name = "accuracy"
    # defaults for a reward pickled before these options existed (its state lacks them)
    error_value: float | None = None
    code_limits: Any = None
    code_max_total_s: float = 60.0
    extraction: str = "flexible"

    def __init__(
        self,
        *,
        reference_columns: Sequence[str] = REFERENCE_ALIASES,
        timeout: float = 1.0,
        timeout_value: float | None = 0.0,
        code_credit: str = "binary",
        only_code: bool = False,
        code_limits: Any = None,
        code_max_total_s: float = 60.0,
        error_value: float | None = None,
        extraction: str = "flexible",
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.error_value = error_value
        from r1reward.verifiers.math.extract import EXTRACTIONS

        if extraction not in EXTRACTIONS:
            raise ValueError(f"extraction must be one of {EXTRACTIONS}, not {extraction!r}")
        self.extraction = extraction
        if code_credit not in ("binary", "partial"):
            raise ValueError("code_credit must be 'binary' or 'partial'")
        if code_limits is not None:
            from r1reward.sandbox.limits import Limits

            if not isinstance(code_limits, Limits):
                raise ValueError(f"code_limits must be a sandbox Limits, not {code_limits!r}")
        if not _is_number(code_max_total_s) or not 0 < code_max_total_s <= 86_400:
            raise ValueError(
                f"code_max_total_s must be in (0, 86400] seconds: {code_max_total_s!r}"
            )
        self.code_limits = code_limits
        self.code_max_total_s = float(code_max_total_s)
        self.only_code = only_code
        self.reference_columns = tuple(reference_columns)
        self.timeout = timeout
        self.timeout_value = timeout_value
        self.code_credit = code_credit

    def details(self, completions, prompts=None, **columns) -> list[Scored]:
        n = len(completions)
        refs = first_present(columns, self.reference_columns, n)
        # rows without a reference column: verl's `reward_model`, then a code dataset's own test
        # columns (MBPP, APPS: `dataset_tests`); `is`, not `in`: a reference may be an array,
        # whose == is elementwise
        for fallback in (reward_model_ground_truth, dataset_tests):
            if not any(r is None for r in refs):
                break
            for i, found in enumerate(fallback(columns, n) or ()):
                if refs[i] is None:
                    refs[i] = found
        declared = first_present(columns, KIND_COLUMNS, n)  # per row, as the references
        kinds = [_kind(r, d) for r, d in zip(refs, declared, strict=True)]
        if self.only_code:
            kinds = [k if k == "code" else None for k in kinds]
        out: list[Scored] = [Scored(None, {"reason": "no_reference"})] * n
        math_idx = [i for i, k in enumerate(kinds) if k == "math"]
        code_idx = [i for i, k in enumerate(kinds) if k == "code"]
        if math_idx and code_idx:  # code waits on the sandbox while math keeps the pool busy
            concurrently(
                lambda: self._score_code(completions, refs, code_idx, out),
                lambda: self._score_math(completions, refs, math_idx, out),
            )
        else:
            self._score_math(completions, refs, math_idx, out)
            self._score_code(completions, refs, code_idx, out)
        return out

    def _score_math(self, completions, refs, idx: list[int], out: list[Scored]) -> None:
        if not idx:
            return
        from r1reward.verifiers.math import verified_part

        # only the part verify reads crosses to the worker (same verdict, a fraction of the bytes)
        # the default extraction is left out: the same payloads as before it was an option
        option = () if self.extraction == "flexible" else (self.extraction,)
        if all(type(refs[i]) is str for i in idx):  # the usual batch: one answer per reference
            payloads = [
                (refs[i], verified_part(completion_text(completions[i])), *option) for i in idx
            ]
            results = self.engine.run("math", payloads, timeout=self.timeout)
            for i, r in zip(idx, results, strict=True):
                out[i] = self._math_scored(r)
            return
        owners, payloads = [], []
        for i in idx:
            part = verified_part(completion_text(completions[i]))
            for gold in math_references(refs[i]) or ():
                owners.append(i)
                payloads.append((gold, part, *option))
        results = self.engine.run("math", payloads, timeout=self.timeout)
        best: dict[int, Scored] = {}
        for i, r in zip(owners, results, strict=True):  # alternatives: the best verdict counts
            scored = self._math_scored(r)
            if i not in best or _rank(scored) > _rank(best[i]):
                best[i] = scored
        for i, scored in best.items():
            out[i] = scored

    def _score_code(self, completions, refs, idx: list[int], out: list[Scored]) -> None:
        from .code_jobs import code_payload

        valid = []
        for i in idx:
            # tests in no known format (or nested past the JSON parser's depth): not applicable
            with contextlib.suppress(ValueError, RecursionError):
                tests, language = _code_of(refs[i])
                text = completion_text(completions[i])
                stop = self.code_credit == "binary"
                payload = code_payload(
                    text, tests, language, stop, self.code_limits, self.code_max_total_s
                )
                valid.append((i, payload))
        if not valid:
            return
        results = self.engine.run("code", [p for _, p in valid], timeout=self.timeout)
        for (i, _), r in zip(valid, results, strict=True):
            out[i] = self._code_scored(r)

    def _math_scored(self, r) -> Scored:
        if r.status == OK:
            v = r.value
            reason = v.reason
            if reason == "no_reference":
                return _scored(None, {"reason": reason})
            info = {"reason": reason, "extracted": v.pred, "reference": v.gold}
            info["method"] = v.method
            return _scored(1.0 if v.equivalent else 0.0, info)
        # a timeout: the check's own bound ran out (the job says so), or the watchdog's
        if r.status == TIMEOUT:
            return _scored(self.timeout_value, {"reason": "timeout", "timed_out": True})
        return _scored(self.error_value, {"reason": "error", "detail": r.detail})

    def _code_scored(self, r) -> Scored:
        if r.status != OK:
            return Scored(
                self.timeout_value if r.status == TIMEOUT else self.error_value,
                {"reason": r.status, "detail": r.detail},
            )
        v = r.value
        if not v.total:
            return Scored(None, {"reason": "no_tests", "detail": v.error})
        value = v.fraction if self.code_credit == "partial" else float(v.passed == v.total)
        info: dict[str, Any] = {
            "reason": "passed" if v.passed == v.total else "failed",
            "passed": v.passed,
            "total": v.total,
        }
        # why: the first failing test's status (wrong_answer, runtime_error, timeout,
        # memory_limit, compile_error, not_run: no code found, ...) and its detail
        failed = next((o for o in v.outcomes if not o.passed), None)
        if failed is not None:
            info["failure"] = failed.status
            if failed.detail:
                info["failure_detail"] = failed.detail[-300:]
        elif v.error:  # the tests could not be run at all
            info["failure"] = v.error[:300]
        return Scored(value, info)


def _rank(s: Scored) -> tuple[bool, float]:
    """Order of verdicts among a reference's alternatives: right > wrong > not applicable."""
    return (s.value is not None, s.value or 0.0)


class CodePassRate(Accuracy):
    """Fraction of tests passed (partial credit) for code references; None for others."""

    name = "code_pass_rate"
    code_credit_default = "partial"

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("reference_columns", (*TEST_COLUMNS, *REFERENCE_ALIASES))
        kw["code_credit"] = self.code_credit_default
        super().__init__(only_code=True, **kw)


class CodePass(CodePassRate):
    """1.0 when every test passes, else 0.0; None for non-code references."""

    name = "code_pass"
    code_credit_default = "binary"


# ---- format ------------------------------------------------------------------------------------


class ThinkFormat(Reward):
    """1.0 when the reasoning sits in exactly one think block (or a reasoning field) and an answer
    follows; see `verifiers.think.check_format` for the rules. Pre-filled `<think>` is detected
    automatically unless `prefilled_think` is set."""

    name = "think_format"
    error_value: float | None = None  # for a reward pickled before the option existed

    def __init__(
        self, *, graded: bool = False, error_value: float | None = None, **options: Any
    ) -> None:
        engine = options.pop("engine", None)
        name = options.pop("name", None)
        super().__init__(name=name or ("tag_count" if graded else self.name), engine=engine)
        self.error_value = error_value
        options.setdefault("prefilled_think", "auto")
        # tag pairs from a YAML or Hydra config arrive as lists: payloads need them hashable
        options = {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}
        _check_format_options(options)
        self.graded = graded
        self.options = tuple(sorted(options.items()))
        self._prompt_decides = options["prefilled_think"] == "auto"

    def _options_for(self, prompts, i: int) -> tuple:
        """With `prefilled_think="auto"`, a plain-text prompt decides; otherwise the completion."""
        if not self._prompt_decides or prompts is None or i >= len(prompts):
            return self.options
        prefilled = _prefilled_by_prompt(prompts[i])
        if prefilled is None:
            return self.options
        return tuple(sorted({**dict(self.options), "prefilled_think": prefilled}.items()))

    def details(self, completions, prompts=None, **columns) -> list[Scored]:
        if prompts is None or not self._prompt_decides:
            options = self.options
            payloads = [(_hashable_completion(c), options) for c in completions]
        else:
            payloads = [
                (_hashable_completion(c), self._options_for(prompts, i))
                for i, c in enumerate(completions)
            ]
        out = []
        append = out.append
        graded = self.graded
        for r in self.engine.run("format", payloads):
            if r.status != OK:
                append(_scored(self.error_value, {"reason": r.status, "detail": r.detail}))
                continue
            v = r.value
            value = v.score if graded else (1.0 if v.ok else 0.0)
            append(_scored(value, {"problems": list(v.problems)}))
        return out


class TagCount(ThinkFormat):
    """Graded format reward (partial credit per correct tag), not foolable by repeated tags."""

    name = "tag_count"

    def __init__(self, **options: Any) -> None:
        super().__init__(graded=True, **options)


def _check_format_options(options: dict[str, Any]) -> None:
    """Bad options fail when the reward is built, not as a 0.0 for every item of every batch."""
    from r1reward.verifiers.think import check_format

    try:
        check_format("<think>a</think>b", **options)
    except TypeError as e:  # an unknown option
        raise ValueError(f"think format options: {e}") from None


def _prefilled_by_prompt(prompt: Any) -> bool | None:
    """A plain-text prompt that ends with `<think>` pre-fills it; message prompts cannot tell."""
    if isinstance(prompt, str):
        return prompt.rstrip().endswith("<think>")
    return None


def _hashable_completion(c: Any) -> Any:
    """A completion as a hashable payload: text as is, a message frozen into sorted pairs."""
    return c if isinstance(c, str) else tuple(sorted(assistant_message(c).items()))


# ---- language ----------------------------------------------------------------------------------


LANGUAGE_SCOPES = ("completion", "cot")


class LanguageConsistency(Reward):
    """Share of target-language words (R1's language reward), or None when there is too little
    text. The target comes from `target` or a `target_lang` column.

    `scope="completion"` (default) judges everything the completion wrote: the chain of thought
    and the answer after it (reasoning field and content, tags taken out), counted together
    but masked apart, so a fence opened in the thinking cannot mask the answer. `scope="cot"` judges
    the chain of thought alone, as the R1 paper words it; then a policy can keep its thinking
    to one word and reason, in any language, after `</think>` for full credit."""

    name = "language_consistency"
    error_value: float | None = None  # for a reward pickled before the option existed

    def __init__(
        self,
        target: str | None = None,
        *,
        target_column: str = "target_lang",
        backend: str = "fasttext",
        scope: str = "completion",
        error_value: float | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.error_value = error_value
        from r1reward.verifiers.language import language_share

        # an unknown backend or target language fails here, not as None for every item
        language_share("", target or "en", backend=backend)
        if scope not in LANGUAGE_SCOPES:
            raise ValueError(f"scope must be one of {LANGUAGE_SCOPES}, not {scope!r}")
        self.target = target
        self.target_column = target_column
        self.backend = backend
        self.scope = scope

    def details(self, completions, prompts=None, **columns) -> list[Scored]:
        n = len(completions)
        targets = [self.target] * n if self.target else column(columns, (self.target_column,), n)
        payloads, where = [], []
        for i, (c, target) in enumerate(zip(completions, targets, strict=True)):
            if isinstance(target, str) and target.strip():  # the worker finds what to judge
                payloads.append((_hashable_completion(c), str(target), self.backend, self.scope))
                where.append(i)
        out = [Scored(None, {"reason": "no_target"})] * n
        results = self.engine.run("language", payloads)
        for i, payload, r in zip(where, payloads, results, strict=True):
            out[i] = (
                _scored(r.value, {"target": payload[1]})
                if r.status == OK
                else _scored(self.error_value, {"reason": r.status, "detail": r.detail})
            )
        return out


# ---- length and shape --------------------------------------------------------------------------


LENGTH_UNITS = ("chars", "tokens")


def _length_unit(unit: Any) -> str:
    """A length unit, checked when the reward is built (not as an error on every batch)."""
    if unit not in LENGTH_UNITS:
        raise ValueError(f"unit must be one of {LENGTH_UNITS}, not {unit!r}")
    return unit


def _lengths(
    completions, columns: Mapping[str, Any], unit: str, tokenizer: Callable[[str], Sequence] | None
) -> list[int]:
    if unit == "chars":
        return [len(full_text(c)) for c in completions]
    ids = columns.get("completion_ids")
    if ids is not None:
        if len(ids) != len(completions):
            raise ValueError(f"{len(completions)} completions but {len(ids)} completion_ids")
        return [len(x) for x in ids]
    if tokenizer is None:
        raise ValueError("unit='tokens' needs TRL's completion_ids column or a tokenizer")
    return [len(tokenizer(full_text(c))) for c in completions]


class CosineLength(Reward):
    """Cosine length scaling of correctness from Demystifying Long CoT (arXiv 2502.03373, Sec. 4;
    open-r1's `get_cosine_scaled_reward`), not Kimi 1.5 (whose length penalty is linear in the
    group's min and max lengths): with p = min(1, length / max_len),
    `lo + (hi - lo) * (1 + cos(p * pi)) / 2`, where (hi, lo) = (max_value_correct,
    min_value_correct) for a right answer and (min_value_wrong, max_value_wrong) for a wrong one:
    short right answers earn most, short wrong answers are punished most.

    Deliberate differences from open-r1: progress is clamped, so past max_len the value stays at
    its end point (open-r1's cosine turns back up: a right answer of 2 * max_len earns the top
    value again); no or unparseable reference gives None (open-r1 scores it 1.0); the length is
    of everything generated, reasoning field included (open-r1: the message content). The
    paper's exceed-length reward for a truncated generation is not part of this: add
    `SoftOverlong` for it. Characters by default, as open-r1; the paper counts tokens
    (`unit="tokens"`)."""

    name = "cosine_length"

    def __init__(
        self,
        *,
        max_len: int = 1000,
        min_value_wrong: float = -1.0,
        max_value_wrong: float = -0.5,
        min_value_correct: float = 0.5,
        max_value_correct: float = 1.0,
        unit: str = "chars",
        tokenizer: Callable[[str], Sequence] | None = None,
        accuracy: Accuracy | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        if max_len <= 0:
            raise ValueError("max_len must be positive")
        self.max_len, self.unit, self.tokenizer = max_len, _length_unit(unit), tokenizer
        self.wrong = (min_value_wrong, max_value_wrong)
        self.correct = (min_value_correct, max_value_correct)
        self.accuracy = accuracy or Accuracy(engine=kw.get("engine"))

    def details(self, completions, prompts=None, **columns) -> list[Scored]:
        acc = self.accuracy.details(completions, prompts, **columns)
        lengths = _lengths(completions, columns, self.unit, self.tokenizer)
        out = []
        for a, length in zip(acc, lengths, strict=True):
            if a.value is None:
                out.append(Scored(None, a.info))
                continue
            progress = min(1.0, max(0.0, length / self.max_len))
            cosine = math.cos(progress * math.pi)
            lo, hi = self.correct if a.value >= 1.0 else (self.wrong[1], self.wrong[0])
            # accuracy's verdict stays in view: a timed-out check scores as wrong (its
            # timeout_value 0.0; set it to None for None here) and must not pass unflagged
            info = {**a.info, "accuracy": a.value, "length": length}
            out.append(Scored(lo + 0.5 * (hi - lo) * (1.0 + cosine), info))
        return out


class SoftOverlong(Reward):
    """DAPO soft overlong punishment (arXiv 2503.14476, Eq. 13; TRL's and open-r1's
    `get_soft_overlong_punishment`): 0 up to max_len - cache_len, then
    (max_len - cache_len - length) / cache_len down to -1 at max_len, and -1 beyond.

    `cache_len=0` is a hard limit (0 up to max_len, -1 beyond), as TRL allows. verl's DAPO
    manager scales the ramp by `overlong_buffer.penalty_factor` (weight this reward instead) and
    does not clamp at -1, since its responses never exceed max_len."""

    name = "soft_overlong"

    def __init__(
        self,
        *,
        max_len: int = 4096,
        cache_len: int = 512,
        unit: str = "tokens",
        tokenizer: Callable[[str], Sequence] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        if not 0 <= cache_len <= max_len or max_len <= 0:
            raise ValueError("need max_len > 0 and 0 <= cache_len <= max_len")
        self.max_len, self.cache_len, self.unit, self.tokenizer = (
            max_len,
            cache_len,
            _length_unit(unit),
            tokenizer,
        )

    def details(self, completions, prompts=None, **columns) -> list[Scored]:
        out = []
        for length in _lengths(completions, columns, self.unit, self.tokenizer):
            expected = self.max_len - self.cache_len
            if length <= expected:
                value = 0.0
            elif length <= self.max_len:
                value = (expected - length) / self.cache_len
            else:
                value = -1.0
            out.append(Scored(value, {"length": length}))
        return out


# Scripts written without spaces between words: each character is a token of its own (as
# sacrebleu's zh tokenizer does), so a Chinese or Japanese loop is penalised like an English one.
_UNSPACED = r"\p{Han}\p{Hiragana}\p{Katakana}"
_HAS_UNSPACED = regex.compile(f"[{_UNSPACED}]")
_UNSPACED_SPLIT = regex.compile(f"[{_UNSPACED}]|[^{_UNSPACED}]+")


def _ngram_tokens(text: str) -> list[str]:
    """The tokens repetition is counted on: lower-cased whitespace-separated words, as in the
    reference (`text.lower().split()`), with Han, Hiragana and Katakana characters one per token."""
    words = text.lower().split()
    if not _HAS_UNSPACED.search(text):
        return words
    out: list[str] = []
    for word in words:
        if _HAS_UNSPACED.search(word):
            out.extend(_UNSPACED_SPLIT.findall(word))
        else:
            out.append(word)
    return out


class RepetitionPenalty(Reward):
    """Demystifying Long CoT's n-gram repetition penalty (arXiv 2502.03373, App. C.2; open-r1's
    `get_repetition_penalty_reward`): `max_penalty * (1 - distinct n-grams / all n-grams)`, in
    [max_penalty, 0]; 0.0 when there are fewer than `ngram_size` tokens (nothing can repeat).

    Tokens are the reference's: lower-cased, split on whitespace, punctuation kept with its word
    (`a + b` and `a - b` are different n-grams). One deliberate difference: text in scripts
    written without spaces (Chinese, Japanese) has a token per character, where the reference
    sees a whole sentence as one word and never penalises a Chinese loop. Character n-grams repeat
    more in natural text than word n-grams (a Chinese CoT about 0.09 at n=3, its English
    translation 0.02); a larger `ngram_size` evens this out for CJK-heavy training."""

    name = "repetition_penalty"

    def __init__(self, *, ngram_size: int = 3, max_penalty: float = -1.0, **kw: Any) -> None:
        super().__init__(**kw)
        if not isinstance(ngram_size, numbers.Integral) or isinstance(ngram_size, bool):
            raise ValueError(f"ngram_size must be a whole number, not {ngram_size!r}")
        if not _is_number(max_penalty) or max_penalty > 0 or ngram_size < 1:
            raise ValueError("max_penalty must be a number <= 0 and ngram_size >= 1")
        ngram_size = int(ngram_size)
        self.ngram_size, self.max_penalty = ngram_size, max_penalty

    def details(self, completions, prompts=None, **columns) -> list[Scored]:
        out = []
        n = self.ngram_size
        for c in completions:
            words = _ngram_tokens(full_text(c))
            grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
            if not grams:
                out.append(Scored(0.0, {"ngrams": 0}))
                continue
            repeated = 1 - len(set(grams)) / len(grams)
            out.append(
                Scored(
                    repeated * self.max_penalty,
                    {"ngrams": len(grams), "repeated": round(repeated, 4)},
                )
            )
        return out


# open-r1's markers: "Step n:", a numbered line ("1."), a "-" or "*" bullet, and transition
# words. Its docstring says numbered lists "at start of line", but `re.findall` without
# MULTILINE anchors `^` at the start of the text only: here it is every line, the first one too
# (open-r1's bullets need a newline before them, so a list that opens the reasoning lost its
# first item). A numbered item is not a decimal ("3.5 cm" starts no step) and a bullet is "- " or
# "* " (a line starting "-3", a "---" rule or "**Final Answer**" is no bullet, and
# "**Step 1:**" is one step, not two).
_STEP = regex.compile(r"(?m)Step \d+:|^\d+\.(?!\d)|^[-*](?=[ \t])|First,|Second,|Next,|Finally,")


class ReasoningSteps(Reward):
    """open-r1's step reward: min(1, steps / target_steps) (3 by default), counting 'Step n:',
    numbered lines, '- '/'* ' bullets and 'First,'/'Second,'/'Next,'/'Finally,' in the reasoning
    (the think block or reasoning field when there is one, else the completion). Deliberate
    differences from open-r1's regex: every numbered line counts (its `^` matched the start of
    the text only), and decimals, negative numbers, rules and bold text are not steps."""

    name = "reasoning_steps"

    def __init__(self, *, target_steps: int = 3, **kw: Any) -> None:
        super().__init__(**kw)
        if target_steps < 1:  # min(1, steps / 0) would fail on every batch, not here
            raise ValueError("target_steps must be >= 1")
        self.target_steps = target_steps

    def details(self, completions, prompts=None, **columns) -> list[Scored]:
        from r1reward.verifiers.think import extract_cot

        out = []
        for c in completions:
            text = extract_cot(
                c if isinstance(c, str) else assistant_message(c)
            ) or completion_text(c)
            steps = len(_STEP.findall(text))
            out.append(Scored(min(1.0, steps / self.target_steps), {"steps": steps}))
        return out
