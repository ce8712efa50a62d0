"""The `r1reward` command line: score, filter and verify JSONL rollouts, or serve rewards.

    r1reward score IN.jsonl [-o OUT.jsonl] [--reward NAME=WEIGHT]... [--preset r1-zero|r1]
    r1reward filter IN.jsonl -o OUT.jsonl [--max-per-group N] [--drop-code-blocks] ...
    r1reward verify GOLD PRED
    r1reward serve [--host 127.0.0.1] [--port 8000] [--reward ... | --preset ...]

`IN` may be `-` (stdin); without `-o`, output goes to stdout. Output files are written to a
temporary file and renamed into place, so an interrupted run never leaves a partial file.

Input fields (the first alias with a non-null value wins; a boolean is never a ground truth):
    completion    completion, response, output, generation
                  (lists: completions, generations, responses -> one rollout each, one group;
                  none of them: a `messages` chat ending in an assistant message is the
                  completion, the messages before it the prompt)
    ground_truth  ground_truth, answer, solution, label, gold, reward_model.ground_truth,
                  verification_info, test_cases   (math answers, or code tests: a list of
                  {"input", "output"} pairs, open-r1 verification_info, or APPS
                  {"inputs", "outputs"[, "fn_name"]})
    prompt        prompt, question, problem, input, messages
    group_id      group_id, uid, prompt_id  (default: rows with the same prompt form a group)
    optional      id, data_source, target_lang

Exit codes:
    0    success; `verify`: the answers are equivalent
    1    `verify`: the answers are not equivalent
    2    usage error: bad arguments, unknown reward, preset or option
    3    input error: unreadable input, malformed JSON line (see --skip-invalid), missing field
    4    output or runtime error: cannot write an output file, cannot bind the server's port
    130  interrupted (Ctrl-C); 143 terminated (SIGTERM). No partial output file is left.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

from . import registry
from .cli_io import (
    GROUND_TRUTH,
    AtomicOutput,
    InputError,
    OutputError,
    ReadStats,
    Rollout,
    count_lines,
    read_rollouts,
)
from .cli_summary import Collector, render, render_filter, summarize

EXIT_OK, EXIT_DIFFERS, EXIT_USAGE, EXIT_INPUT, EXIT_RUNTIME = 0, 1, 2, 3, 4
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143
# Rollouts scored per batch: the progress bar moves once per batch, so batches are sized to take
# about BATCH_SECONDS (code items with many tests take seconds each), between FIRST_BATCH and
# CHUNK rollouts (large batches keep the pool's per-batch costs small).
CHUNK = 256
FIRST_BATCH = 16
BATCH_SECONDS = 0.5
_DIAGNOSTIC_KEYS = ("extracted", "reference", "reason", "method", "detail", "passed", "total")


class UsageError(Exception):
    pass


class Terminated(BaseException):
    """SIGTERM, raised in the main thread like KeyboardInterrupt."""


# ---- the scoring engine ------------------------------------------------------------------------


class _NoSandbox:
    """Stands in for a sandbox that cannot run programs here: every code item then scores
    None, with this reason in its diagnostics (the rewards catch the error per item)."""

    def __init__(self, why: str) -> None:
        self.why = why

    def run(self, *args: Any, **kw: Any):
        raise RuntimeError(f"sandbox unavailable: {self.why}")

    run_raw = run

    def close(self) -> None:
        pass


def _sandbox_factory(workers: int, enabled: bool):
    def make():
        if not enabled:
            return _NoSandbox("disabled by --no-sandbox")
        try:
            from r1reward.sandbox import Sandbox

            sandbox = Sandbox(workers=max(1, workers))
        except Exception as e:
            return _NoSandbox(f"{type(e).__name__}: {e}")
        probe = sandbox.run("print(1)")
        if probe.status != "ok" or probe.stdout.strip() != "1":
            sandbox.close()
            return _NoSandbox(f"probe run ended with {probe.status}: {probe.detail}".strip())
        return sandbox

    return make


def _engine(args):
    from .core import Engine, default_workers, set_default_engine

    workers = default_workers() if args.workers is None else args.workers
    if workers < 0:
        raise UsageError("--workers must be >= 0")
    engine = Engine(
        workers, sandbox_factory=_sandbox_factory(workers, not getattr(args, "no_sandbox", False))
    )
    set_default_engine(engine)
    return engine


def _reward(args):
    try:
        if not args.reward and not args.preset:
            return registry.preset("r1-zero")
        return registry.weighted_from(args.reward or [], args.preset)
    except registry.SpecError as e:
        raise UsageError(str(e)) from None


def _reads_target_column(reward) -> bool:
    """Whether a language reward takes its target from each row's `target_lang`."""
    from .functions import LanguageConsistency

    return any(isinstance(r, LanguageConsistency) and not r.target for r, _ in reward.components)


def _needs_reference(reward) -> bool:
    from .functions import Accuracy, CosineLength

    return any(isinstance(r, (Accuracy, CosineLength)) for r, _ in reward.components)


# ---- batches -----------------------------------------------------------------------------------


def _batches(
    rollouts: Iterator[Rollout],
    *,
    first: int = FIRST_BATCH,
    smallest: int = 1,
    largest: int = CHUNK,
    seconds: float = BATCH_SECONDS,
    clock=time.monotonic,
) -> Iterator[list[Rollout]]:
    """Batches sized by how long the caller took to score the last one (the time until it asks
    for the next): at most twice as large after a fast batch, down to `smallest` (the workers,
    so none idles) after a slow one, so the progress bar of a code-heavy file moves about every
    `seconds`."""
    batch: list[Rollout] = []
    size = first
    for r in rollouts:
        batch.append(r)
        if len(batch) >= size:
            start = clock()
            yield batch
            took = clock() - start
            batch = []
            wanted = size * seconds / took if took > 0 else largest
            size = max(smallest, 1, min(largest, 2 * size, int(wanted)))
    if batch:
        yield batch


def _columns(batch: Sequence[Rollout]) -> dict[str, list]:
    return {
        "ground_truth": [r.ground_truth for r in batch],
        "data_source": [r.data_source for r in batch],
        "target_lang": [r.target_lang for r in batch],
    }


def _accuracy_of(reward):
    """The `accuracy` component of a weighted reward, if it has one."""
    from .functions import Accuracy

    for r, _ in reward.components:
        if isinstance(r, Accuracy) and r.__name__ == "accuracy":
            return r
    return None


def _timed_out(info: dict) -> bool:
    return bool(info.get("timed_out")) or info.get("reason") == "timeout"


def _score_batch(reward, extra_accuracy, batch: list[Rollout]):
    """(weighted Scored, accuracy Scored) per rollout. When the batch fails as a whole (a bug,
    not an item: the rewards report item failures themselves), its rollouts are scored one by
    one, and only those that still fail get None rewards with the error in their diagnostics."""
    try:
        return _score(reward, extra_accuracy, batch)
    except Exception as e:
        if len(batch) == 1:
            return _failed(reward, batch, f"{type(e).__name__}: {e}")
        print(
            f"r1reward: a batch failed ({type(e).__name__}: {e}); scoring it one by one",
            file=sys.stderr,
        )
    scored, acc = [], []
    for rollout in batch:
        s, a = _score_batch(reward, extra_accuracy, [rollout])
        scored += s
        acc += a
    return scored, acc


def _score(reward, extra_accuracy, batch: list[Rollout]):
    from .functions import Scored

    completions = [r.completion for r in batch]
    prompts = [r.prompt for r in batch]
    columns = _columns(batch)
    scored = reward.details(completions, prompts, **columns)
    if extra_accuracy is not None:
        acc = extra_accuracy.details(completions, prompts, **columns)
    else:
        acc = [Scored(s.info["components"]["accuracy"], s.info["info"]["accuracy"]) for s in scored]
    return scored, acc


def _failed(reward, batch: list[Rollout], why: str):
    from .functions import Scored

    names = [r.__name__ for r, _ in reward.components]
    failed = {"reason": "error", "detail": why}
    scored = [
        Scored(None, {"components": dict.fromkeys(names), "info": {n: failed for n in names}})
        for _ in batch
    ]
    return scored, [Scored(None, failed) for _ in batch]


def _diagnostics(total_info: dict, acc_info: dict) -> dict:
    diag = {k: acc_info[k] for k in _DIAGNOSTIC_KEYS if acc_info.get(k) is not None}
    by_reward = total_info.get("info", {})
    timed = sorted(n for n, info in by_reward.items() if _timed_out(info))
    if _timed_out(acc_info) and "accuracy" not in timed:
        timed.append("accuracy")
    diag["timed_out"] = bool(timed)
    if timed:
        diag["timed_out_rewards"] = timed
    diag["rewards"] = {n: info for n, info in by_reward.items() if info}
    return diag


def _progress(total: int | None, disabled: bool, unit: str = "rollout"):
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit=unit,
        file=sys.stderr,
        delay=0.5,
        dynamic_ncols=True,
        disable=True if disabled else None,  # None: only on a terminal
    )


# ---- commands ----------------------------------------------------------------------------------


def cmd_score(args) -> int:
    reward = _reward(args)
    accuracy = _accuracy_of(reward)
    extra_accuracy = None
    if accuracy is None:
        from .functions import Accuracy

        extra_accuracy = Accuracy()  # for accuracy, pass@k and maj@k; not in the sum
    names = [r.__name__ for r, _ in reward.components]
    collector = Collector(names, {r.__name__: w for r, w in reward.components})
    stats = ReadStats()
    engine = _engine(args)
    summary_out = None
    out = None
    start = time.perf_counter()
    try:
        summary_out = _summary_output(args)
        from .cli_io import open_input

        stream = open_input(args.input)
        out = AtomicOutput(args.output)
        total_lines = count_lines(args.input)
        rollouts = read_rollouts(
            stream,
            stats,
            skip_invalid=args.skip_invalid,
            need_ground_truth=False,
            check_target=_reads_target_column(reward),
        )
        no_truth = 0  # rollouts without a ground truth: their accuracy is null
        with _progress(total_lines, args.no_progress, unit="line") as bar:
            seen_line = 0
            for batch in _batches(rollouts, smallest=engine.workers):
                scored, acc = _score_batch(reward, extra_accuracy, batch)
                for r, s, a in zip(batch, scored, acc, strict=True):
                    no_truth += not r.has_ground_truth
                    components = s.info["components"]
                    diag = _diagnostics(s.info, a.info)
                    diag["correct"] = a.value  # what accuracy, pass@k and `summarise` count
                    row = dict(r.row)
                    row["rewards"] = components
                    row["reward"] = s.value
                    row["diagnostics"] = diag
                    out.write_row(row)
                    collector.add(
                        components,
                        s.value,
                        r.group,
                        a.value,
                        a.info.get("extracted"),
                        diag["timed_out"],
                        r.data_source,
                    )
                out.stream.flush()
                bar.update(stats.lines - seen_line)
                seen_line = stats.lines
            bar.update(stats.lines - seen_line)
        stats.report_skipped("score")
        if not collector.totals and not stats.invalid:
            print("r1reward score: the input has no rollouts", file=sys.stderr)
        if no_truth:
            print(
                f"r1reward score: {no_truth} of {len(collector.totals)} rollouts have no ground"
                f" truth, so no accuracy (fields tried: {', '.join(GROUND_TRUTH)})",
                file=sys.stderr,
            )
        out.commit()
    except BaseException:
        if out is not None:
            out.abort()
        if summary_out is not None:
            summary_out.abort()
        raise
    finally:
        engine.close()
    summary = summarize(collector, seconds=time.perf_counter() - start, invalid=stats.invalid)
    _emit_summary(args, render(summary), summary, summary_out, out.is_file)
    return EXIT_OK


def cmd_summarise(args) -> int:
    """The summary of an already scored file (what `score` writes), without scoring again."""
    from .cli_io import open_input

    collector: Collector | None = None
    stats = ReadStats()
    # opened first: a bad path fails before the input is read
    summary_out = AtomicOutput(args.summary_json) if args.summary_json else None
    try:
        stream = open_input(args.input)
        for r in read_rollouts(
            stream, stats, skip_invalid=args.skip_invalid, need_ground_truth=False
        ):
            try:
                components, total, diag = _scored_row(r)
            except InputError as e:
                if not args.skip_invalid:
                    raise
                stats.skip(r.line, str(e))
                continue
            if collector is None:  # the first row names the components
                collector = Collector(list(components), dict.fromkeys(components))
            correct = diag["correct"] if "correct" in diag else components.get("accuracy")
            collector.add(
                components,
                total,
                r.group,
                correct,
                diag.get("extracted"),
                bool(diag.get("timed_out")),
                r.data_source,
            )
    except BaseException:
        if summary_out is not None:
            summary_out.abort()
        raise
    stats.report_skipped("summarise")
    if collector is None:
        print("r1reward summarise: the input has no scored rollouts", file=sys.stderr)
        collector = Collector([], {})
    summary = summarize(collector, seconds=None, invalid=stats.invalid)
    _emit_summary(args, render(summary), summary, summary_out, rows_to_file=True)
    return EXIT_OK


def _scored_row(r: Rollout) -> tuple[dict, float | None, dict]:
    """(rewards by name, weighted reward, diagnostics) of a row `score` wrote."""
    row = r.row
    components, total = row.get("rewards"), row.get("reward")
    if not isinstance(components, dict) or "reward" not in row:
        raise InputError(
            f"line {r.line}: not a scored row (no `rewards` and `reward`); "
            "score the file with `r1reward score` first"
        )
    for name, value in (*components.items(), ("reward", total)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise InputError(f"line {r.line}: reward {name!r} is {value!r}, not a number or null")
    diag = row.get("diagnostics")
    return components, total, diag if isinstance(diag, dict) else {}


def _summary_output(args) -> AtomicOutput | None:
    """The --summary-json file, opened before any work so that a bad path fails at once."""
    if not args.summary_json:
        return None
    if args.summary_json == "-" and args.output in (None, "-"):
        raise UsageError("--summary-json - would mix the summary into the rows on stdout")
    return AtomicOutput(args.summary_json)


def _emit_summary(
    args, text: str, data: dict, summary_out: AtomicOutput | None, rows_to_file: bool
) -> None:
    """The table goes to stdout unless the rows or the JSON summary take it."""
    stdout_taken = not rows_to_file or args.summary_json == "-"
    print(text, file=sys.stderr if stdout_taken else sys.stdout, flush=True)
    if summary_out is not None:
        try:
            summary_out.stream.write(json.dumps(data, indent=2) + "\n")
            summary_out.commit()
        except BaseException:
            summary_out.abort()
            raise


def _check_filter_args(args) -> None:
    if not 0 <= args.language_threshold <= 1:
        raise UsageError("--language-threshold must be between 0 and 1 (0 disables the check)")
    if args.max_paragraph is not None and args.max_paragraph < 1:
        raise UsageError("--max-paragraph must be at least 1")
    if args.max_per_group is not None and args.max_per_group < 1:
        raise UsageError("--max-per-group must be at least 1")
    if args.language_threshold > 0:
        from r1reward.verifiers.language import is_mixed_language

        try:
            is_mixed_language("", args.target_lang)
        except ValueError as e:
            raise UsageError(f"--target-lang: {e}") from None


def cmd_filter(args) -> int:
    from .functions import Accuracy

    _check_filter_args(args)
    accuracy = Accuracy()
    reasons = dict.fromkeys(
        ("invalid_line", "no_reference", "incorrect", "bad_format", "mixed_language",
         "long_paragraph", "code_block", "over_group_cap"),
        0,
    )  # fmt: skip
    kept_per_group: dict[Any, int] = {}
    stats = ReadStats()
    engine = _engine(args)
    summary_out = None
    out = None
    kept = total = 0
    start = time.perf_counter()
    try:
        summary_out = _summary_output(args)
        from .cli_io import open_input

        stream = open_input(args.input)
        out = AtomicOutput(args.output)
        rollouts = read_rollouts(
            stream,
            stats,
            skip_invalid=args.skip_invalid,
            need_ground_truth=True,
            check_target=args.language_threshold > 0,
        )
        with _progress(count_lines(args.input), args.no_progress, unit="line") as bar:
            seen_line = 0
            for batch in _batches(rollouts, smallest=engine.workers):
                _, acc = _score_batch(_Only(accuracy), None, batch)
                for r, a in zip(batch, acc, strict=True):
                    total += 1
                    reason = _rejection(r, a, args)
                    cap = args.max_per_group
                    if reason is None and cap is not None and kept_per_group.get(r.group, 0) >= cap:
                        reason = "over_group_cap"
                    if reason is not None:
                        reasons[reason] += 1
                        continue
                    kept_per_group[r.group] = kept_per_group.get(r.group, 0) + 1
                    kept += 1
                    out.write_row(r.row)
                bar.update(stats.lines - seen_line)
                seen_line = stats.lines
        out.commit()
    except BaseException:
        if out is not None:
            out.abort()
        if summary_out is not None:
            summary_out.abort()
        raise
    finally:
        engine.close()
    stats.report_skipped("filter")
    reasons["invalid_line"] = stats.invalid
    seconds = time.perf_counter() - start
    data = {"rollouts": total, "kept": kept, "dropped": reasons, "seconds": round(seconds, 3)}
    _emit_summary(
        args, render_filter(reasons, kept, total, seconds), data, summary_out, out.is_file
    )
    return EXIT_OK


class _Only:
    """One reward shaped like a Weighted with a single `accuracy` component."""

    def __init__(self, reward) -> None:
        self.reward = reward
        self.components = ((reward, 1.0),)

    def details(self, completions, prompts=None, **columns):
        from .functions import Scored

        return [
            Scored(s.value, {"components": {"accuracy": s.value}, "info": {"accuracy": s.info}})
            for s in self.reward.details(completions, prompts, **columns)
        ]


def _rejection(r: Rollout, acc, args) -> str | None:
    """Why a rollout is dropped (the first reason that applies), or None to keep it."""
    from r1reward.verifiers.language import has_code_block, is_mixed_language, longest_paragraph
    from r1reward.verifiers.think import check_format

    from .inputs import assistant_message, completion_text

    if acc.value is None:
        return "no_reference"
    if acc.value < 1.0:
        return "incorrect"
    # the chain of thought as the format reward reads it (the final message, parts joined)
    completion = r.completion if isinstance(r.completion, str) else assistant_message(r.completion)
    verdict = check_format(completion, prefilled_think="auto")
    if not verdict and not args.keep_malformed:
        return "bad_format"  # no clean chain of thought: missing, cut off, empty or repeated
    cot = verdict.reasoning
    if cot is None:
        cot = completion_text(r.completion)
    if args.language_threshold > 0:
        target = args.target_lang if r.target_lang is None else r.target_lang
        try:
            mixed = is_mixed_language(cot, target, threshold=args.language_threshold)
        except ValueError as e:
            raise InputError(f"line {r.line}: {e}") from None
        if mixed:
            return "mixed_language"
    if args.max_paragraph is not None and longest_paragraph(cot) > args.max_paragraph:
        return "long_paragraph"
    if args.drop_code_blocks and has_code_block(cot):
        return "code_block"
    return None


def cmd_verify(args) -> int:
    from r1reward.verifiers.math import verify

    pred = sys.stdin.read() if args.pred == "-" else args.pred
    gold = sys.stdin.read() if args.gold == "-" and args.pred != "-" else args.gold
    v = verify(gold, pred, timeout=args.timeout, extraction=args.extraction)
    if args.json:
        print(json.dumps({
            "equivalent": v.equivalent, "reason": v.reason, "gold": v.gold, "pred": v.pred,
            "method": v.method, "detail": v.detail,
        }, ensure_ascii=False))  # fmt: skip
    else:
        verdict = "EQUIVALENT" if v.equivalent else "NOT EQUIVALENT"
        rows = [
            ("reference", _show(v.gold), "extracted from GOLD"),
            ("answer", _show(v.pred), "extracted from PRED"),
            ("method", v.method or "-", "the tier that decided"),
            ("reason", v.reason, ""),
        ]
        if v.detail:
            rows.append(("detail", v.detail, ""))
        print(verdict)
        width = max(len(value) for _, value, _ in rows[:3])
        for label, value, note in rows:
            line = f"  {label:<10} {value:<{width}}" + (f"   ({note})" if note else "")
            print(line.rstrip())
    return EXIT_OK if v.equivalent else EXIT_DIFFERS


def _show(text: str | None) -> str:
    return "(none found)" if text is None else text


def cmd_serve(args) -> int:
    from .cli_serve import serve

    reward = _reward(args)
    engine = _engine(args)
    try:
        return serve(reward, args.host, args.port, threads=args.threads)
    finally:
        engine.close()


# ---- argument parsing --------------------------------------------------------------------------


class _Formatter(argparse.RawDescriptionHelpFormatter):
    pass


def _exit_codes() -> str:
    doc = __doc__ or ""
    return doc[doc.index("Exit codes:") :].rstrip()


def _reward_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--reward",
        action="append",
        metavar="NAME[:OPT][=W]",
        help="a reward and its weight; repeat the flag for each reward "
        "(e.g. --reward accuracy=1 --reward format=0.5 --reward language:en=0.1)",
    )
    p.add_argument("--preset", metavar="NAME", help="r1-zero (default) or r1 (r1:LANG)")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="scoring processes (default: the CPUs this process may use; 0 scores in this process)",
    )
    p.add_argument(
        "--no-sandbox",
        action="store_true",
        help="do not run code: code items score null with a diagnostic",
    )


def _io_args(p: argparse.ArgumentParser, output_required: bool) -> None:
    p.add_argument("input", metavar="IN.jsonl", help="rollouts, one JSON object a line; - = stdin")
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT.jsonl",
        required=output_required,
        help="output file (written atomically); - : stdout"
        + ("" if output_required else " (also when absent)"),
    )
    p.add_argument(
        "--skip-invalid",
        action="store_true",
        help="skip malformed lines and lines missing a field, and count them",
    )
    p.add_argument("--summary-json", metavar="PATH", help="also write the summary as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("r1reward")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="r1reward",
        description="Score, filter and verify JSONL rollouts with rule-based rewards.",
        epilog=_exit_codes(),
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"r1reward {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    score = sub.add_parser(
        "score", help="score rollouts: rewards per line and a summary table",
        description="Score rollouts. Each output line is the input line plus `rewards`, "
        "`reward` (the weighted sum) and `diagnostics`.\n\n" + registry.describe(),
        epilog=_exit_codes(), formatter_class=_Formatter,
    )  # fmt: skip
    _io_args(score, output_required=False)
    _reward_args(score)
    _common(score)
    score.set_defaults(func=cmd_score)

    filt = sub.add_parser(
        "filter", help="rejection sampling: keep correct rollouts with a clean chain of thought",
        description="Keep correct rollouts only; drop those whose think format is malformed "
        "(as the format reward reads it: a missing, cut-off, empty or repeated think block), "
        "whose chain of thought mixes languages, has an over-long paragraph or (optionally) a "
        "code block; optionally keep at most N per group. Reports how many were dropped, per "
        "reason.",
        epilog=_exit_codes(), formatter_class=_Formatter,
    )  # fmt: skip
    _io_args(filt, output_required=True)
    filt.add_argument(
        "--language-threshold",
        type=float,
        default=0.95,
        metavar="T",
        help="drop when less than T of the CoT is in the target language "
        "(default 0.95; 0 disables)",
    )
    filt.add_argument(
        "--target-lang",
        default="en",
        metavar="LANG",
        help="target language when a row has no target_lang (default en)",
    )
    filt.add_argument(
        "--max-paragraph",
        type=int,
        default=None,
        metavar="CHARS",
        help="drop when a CoT paragraph is longer than CHARS characters",
    )
    filt.add_argument(
        "--keep-malformed",
        action="store_true",
        help="keep correct rollouts whose think format is malformed (their whole completion "
        "is then judged as the chain of thought)",
    )
    filt.add_argument(
        "--drop-code-blocks",
        action="store_true",
        help="drop when the CoT contains a fenced code block",
    )
    filt.add_argument(
        "--max-per-group",
        type=int,
        default=None,
        metavar="N",
        help="keep at most N rollouts per group (the first N that pass)",
    )
    _common(filt)
    filt.set_defaults(func=cmd_filter)

    summ = sub.add_parser(
        "summarise", aliases=["summarize"],
        help="summary tables of a scored file (accuracy, pass@k, maj@k, per source)",
        description="Read rows written by `score` and print their summary (the same tables as "
        "`score`), without scoring again: rewards are read from each row's `rewards` and "
        "`reward`, correctness from `diagnostics.correct` (else the `accuracy` reward).",
        epilog=_exit_codes(), formatter_class=_Formatter,
    )  # fmt: skip
    summ.add_argument("input", metavar="SCORED.jsonl", help="rows written by `score`; - = stdin")
    summ.add_argument(
        "--skip-invalid",
        action="store_true",
        help="skip malformed or unscored lines, and count them",
    )
    summ.add_argument("--summary-json", metavar="PATH", help="also write the summary as JSON")
    summ.set_defaults(func=cmd_summarise)

    ver = sub.add_parser(
        "verify", help="is PRED's final answer equivalent to GOLD? (exit 0 yes, 1 no)",
        description="Print one math verdict with its explanation. Exit 0 when equivalent, 1 when "
        "not. PRED (or GOLD) may be - to read it from stdin.",
        epilog=_exit_codes(), formatter_class=_Formatter,
    )  # fmt: skip
    ver.add_argument("gold", metavar="GOLD", help="the reference (answer or solution text)")
    ver.add_argument("pred", metavar="PRED", help="the completion (or just its answer)")
    ver.add_argument("--timeout", type=float, default=1.0, help="seconds (default 1)")
    from r1reward.verifiers.math.extract import EXTRACTIONS

    ver.add_argument(
        "--extraction", choices=EXTRACTIONS, default="flexible",
        help="marked: only a boxed, <answer>-tagged or #### answer counts (default flexible)",
    )  # fmt: skip
    ver.add_argument("--json", action="store_true", help="print the verdict as JSON")
    ver.set_defaults(func=cmd_verify)

    srv = sub.add_parser(
        "serve", help="HTTP reward server for OpenRLHF's --remote_rm_url",
        description="POST {\"query\": [...], \"prompts\": [...], \"labels\": [...]} to / or "
        "/get_reward; the answer is {\"rewards\", \"scores\", \"extra_logs\"}. GET /health "
        "for a liveness check. Needs the [serve] extra (waitress).",
        epilog=_exit_codes(), formatter_class=_Formatter,
    )  # fmt: skip
    srv.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    srv.add_argument("--port", type=int, default=8000, help="port (default 8000; 0: any free)")
    srv.add_argument("--threads", type=int, default=4, help="connection threads (default 4)")
    _reward_args(srv)
    _common(srv)
    srv.set_defaults(func=cmd_serve)
    return parser


def _on_sigterm(signum, frame):
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = None
    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return args.func(args)
    except UsageError as e:
        print(f"r1reward {args.command}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except InputError as e:
        name = "<stdin>" if getattr(args, "input", "-") == "-" else getattr(args, "input", "")
        print(f"r1reward {args.command}: {name}: {e}", file=sys.stderr)
        return EXIT_INPUT
    except OutputError as e:
        print(f"r1reward {args.command}: {e}", file=sys.stderr)
        return EXIT_RUNTIME
    except (KeyboardInterrupt, Terminated) as e:
        what = "interrupted" if isinstance(e, KeyboardInterrupt) else "terminated"
        if getattr(args, "output", None) not in (None, "-"):
            what += f"; {args.output} was not written"
        print(f"r1reward {args.command}: {what}", file=sys.stderr)
        return EXIT_INTERRUPTED if isinstance(e, KeyboardInterrupt) else EXIT_TERMINATED
    except BrokenPipeError:
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as e:
        print(f"r1reward {args.command}: {e}", file=sys.stderr)
        return EXIT_RUNTIME
    finally:
        if previous is not None:
            with contextlib.suppress(ValueError):
                signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
