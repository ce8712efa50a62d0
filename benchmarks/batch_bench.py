"""Batch core benchmark: 10,000 mixed R1-style rollouts scored through the core with 1 and 2
workers, against a sequential per-item loop over the same verifiers on the same inputs.

Rollouts are built from the shared Qwen2.5-Math chains of thought (reasoning in <think>, the boxed
answer after it), made unique per item, answer sentence included, so deduplication cannot flatter
the core; a share of them
target Chinese (scored 0 by the language reward), and a few are small Python programs with
stdin/stdout tests, run in the sandbox.

    python benchmarks/batch_bench.py [--items 10000] [--code-items 100] [--workload-ceiling]
"""

from __future__ import annotations

import os
import sys

# These rollouts reuse 800 chains of thought, so the language-ID segment cache would answer
# nearly every segment (on fresh CoTs about half): measured cold by default, so the per-item
# work is what training sees; --lid-cache measures with it. Read by every process at import.
if "--lid-cache" not in sys.argv:
    os.environ["R1REWARD_LID_CACHE"] = "0"

import argparse
import json
import multiprocessing
import statistics
import time
from pathlib import Path

from r1reward.rewards import Engine
from r1reward.rewards.compose import Weighted
from r1reward.rewards.functions import Accuracy, LanguageConsistency, ThinkFormat
from r1reward.verifiers.math import verify
from r1reward.verifiers.math.extract import find_boxes

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "math" / "qwen25_math_cot_800.jsonl"
RESULTS = ROOT / "benchmarks" / "results" / "batch.md"
NOOP_JOB = "batch_bench:noop"
ROTATION = ["loop", 1, 2]  # the scorers' turns in the first pass


def noop(payload: tuple, timeout: float) -> None:
    return None


SPIN_STEPS = 4_000_000  # ~0.3-0.4 s of pure interpreter work on this machine


def spin(steps: int = SPIN_STEPS) -> int:
    """CPU-bound work with no I/O, no shared data and no coordination: the ideal parallel load."""
    x = 0
    for i in range(steps):
        x += i * i % 7
    return x


def machine_ceiling() -> float:
    """What this host gives two processes over one on ideal work: wall time of `spin` in one
    process, then in two forked processes at once, as 2 * t1 / t2 (2.0 on two idle, independent
    cores; less where the two virtual CPUs share a physical core or the host is contended)."""
    fork = multiprocessing.get_context("fork")
    start = time.perf_counter()
    spin()
    one = time.perf_counter() - start
    pair = [fork.Process(target=spin) for _ in range(2)]
    start = time.perf_counter()
    for proc in pair:
        proc.start()
    for proc in pair:
        proc.join()
    return 2 * one / (time.perf_counter() - start)


def _half_loop(rollouts, warm, barrier, results) -> None:
    """One half of the loop's work in a forked process with its own sandbox, timed from a
    barrier that starts both halves together."""
    from r1reward.sandbox import Sandbox

    with Sandbox(workers=1) as sandbox:
        sequential(*warm, sandbox)
        barrier.wait()
        results.put(sequential(*rollouts, sandbox))


def workload_ceiling(rollouts, warm, loop_seconds: float) -> float:
    """The best a 2-process scorer could do on these rollouts: the loop's own work (the same
    verifiers, no pool, no pickling, no trainer process) split in two halves of equal mix, run
    at once in two processes; `loop_seconds` (the loop on all of it) over the slower half. Below
    2.0 by what two busy processes cost each other on this host (shared caches and memory
    bandwidth, SMT siblings), which `spin` does not feel."""
    fork = multiprocessing.get_context("fork")
    n = len(rollouts[0])
    halves = [[i for i in range(n) if (i // 10) % 2 == h] for h in (0, 1)]  # zh every 10th item
    barrier, results = fork.Barrier(2), fork.Queue()
    procs = [
        fork.Process(
            target=_half_loop,
            args=([[col[i] for i in idx] for col in rollouts], warm, barrier, results),
        )
        for idx in halves
    ]
    for proc in procs:
        proc.start()
    slower = max(results.get() for _ in procs)
    for proc in procs:
        proc.join()
    return loop_seconds / slower


def build(n_items: int, n_code: int, seed_offset: int = 0) -> tuple[list[str], list, list[str]]:
    rows = [json.loads(line) for line in SHARED.open(encoding="utf-8")]
    completions, references, targets = [], [], []
    for i in range(n_items - n_code):
        row = rows[i % len(rows)]
        boxes = find_boxes(row["completion"])
        answer = boxes[-1][2] if boxes else "?"
        completions.append(
            f"<think>{row['completion']}\n(attempt {i + seed_offset})</think>\n"
            f"Attempt {i + seed_offset}: the final answer is $\\boxed{{{answer}}}$."
        )
        references.append(row["gold"])
        targets.append("zh" if i % 10 == 0 else "en")
    for i in range(n_code):
        k = i + seed_offset
        program = f"import sys\nn = int(sys.stdin.read())\nprint(n * {k % 7 + 2})\n"
        completions.append(
            f"<think>Multiply the input by {k % 7 + 2}.</think>\n```python\n{program}```"
        )
        references.append(
            {
                "inputs": [f"{k}\n", "3\n"],
                "outputs": [f"{k * (k % 7 + 2)}\n", f"{3 * (k % 7 + 2)}\n"],
            }
        )
        targets.append("en")
    return completions, references, targets


def sequential(completions, references, targets, sandbox) -> float:
    """What a user writes without the core: one loop, one item at a time, each verifier inline.
    It computes what the core's reward computes (`sequential.last_values`, held equal to the
    core's in every pass), so both sides do the same work: accuracy (math, or every test passing),
    the think format, and the target-language share of the chain of thought, summed."""
    from r1reward.verifiers.code import run_tests
    from r1reward.verifiers.language import target_language_share
    from r1reward.verifiers.think import check_format, extract_cot

    values = []
    start = time.perf_counter()
    for c, ref, target in zip(completions, references, targets, strict=True):
        if isinstance(ref, dict):
            verdict = run_tests(c, ref, sandbox=sandbox)
            correct = verdict.passed == verdict.total
        else:
            correct = verify(ref, c).equivalent
        well_formed = check_format(c, prefilled_think="auto")
        total = (1.0 if correct else 0.0) + (1.0 if well_formed else 0.0)
        cot = extract_cot(c)
        share = target_language_share(cot, target) if cot is not None else None
        values.append(total if share is None else total + share)
    seconds = time.perf_counter() - start
    sequential.last_values = values
    return seconds


def make_core(workers: int, warm) -> tuple[Engine, Weighted]:
    engine = Engine(workers=workers)
    parts = {Accuracy(engine=engine): 1.0, ThinkFormat(engine=engine): 1.0}
    # the language reward judges the chain of thought, as R1 defines it and as the loop does
    language = LanguageConsistency(engine=engine, scope="cot")
    reward = Weighted({**parts, language: 1.0}, name="r1")
    reward(warm[0], solution=warm[1], target_lang=warm[2])  # start workers, load models
    return engine, reward


def core_overhead(engine: Engine, n: int, repeat: int) -> float:
    """Seconds per item to push a 2 KB item through the engine (`Engine.run`) and its pool and
    back with a job that does nothing: dedup, pickling, the pipe, ordering and the batch's stats,
    i.e. the core's own cost."""
    best = float("inf")
    for k in range(repeat):
        payloads = [(f"{'x' * 2000}{k}-{i}",) for i in range(n)]
        start = time.perf_counter()
        engine.run(NOOP_JOB, payloads, timeout=1.0)
        best = min(best, time.perf_counter() - start)
    return best / n


def run_core(reward, completions, references, targets) -> float:
    """Wall seconds; `run_core.last_cpu` is the CPU time the calling (trainer) process spent."""
    start, cpu = time.perf_counter(), time.process_time()
    run_core.last_values = reward(completions, solution=references, target_lang=targets)
    run_core.last_cpu = time.process_time() - cpu
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--code-items", type=int, default=100)
    parser.add_argument(
        "--repeat", type=int, default=9, help="timed passes, each scorer once per pass"
    )
    parser.add_argument(
        "--workload-ceiling",
        action="store_true",
        help="also run the loop's work split over two processes in each pass (about 1.3 s more"
        " per pass): the speed-up ideal parallel scoring of these rollouts gets on this host",
    )
    parser.add_argument(
        "--lid-cache",
        action="store_true",
        help="keep the language-ID segment cache on (these rollouts repeat their CoTs)",
    )
    args = parser.parse_args()
    if not SHARED.exists():
        print(f"needs {SHARED}", file=sys.stderr)
        return 2
    warm = build(200, 4, seed_offset=10**6)
    warm_pass = build(args.items, args.code_items, seed_offset=10**8)
    passes = [build(args.items, args.code_items, seed_offset=k * 10**7) for k in range(args.repeat)]
    n = len(passes[0][0])

    from r1reward.sandbox import Sandbox

    times: dict[str, list[float]] = {"loop": [], "core1": [], "core2": []}
    ceiling: list[float] = []  # the host's own 2-process speed-up, measured in each pass
    work_ceiling: list[float] = []  # the loop's own work in 2 processes (--workload-ceiling)
    trainer_cpu: dict[int, list[float]] = {1: [], 2: []}
    with Sandbox(workers=1) as sandbox:
        sequential(*warm, sandbox)  # imports and model loads, so the loop is measured warm too
        cores = {w: make_core(w, warm) for w in (1, 2)}
        noop = {w: core_overhead(engine, args.items, 3) for w, (engine, _) in cores.items()}
        # an untimed full pass fills every side's answer caches, as in training; then the three
        # scorers take turns on each fresh pass, so a slow spell of this shared VM hits all three
        sequential(*warm_pass, sandbox)
        for _, reward in cores.values():
            run_core(reward, *warm_pass)
        before = {w: engine.total_stats for w, (engine, _) in cores.items()}
        for k in range(args.repeat):
            # the order rotates from pass to pass: a slow spell of the VM does not always fall
            # on the same scorer's turn
            values = {}
            ceiling.append(machine_ceiling())
            for scorer in ROTATION[k % 3 :] + ROTATION[: k % 3]:
                if scorer == "loop":
                    times["loop"].append(sequential(*passes[k], sandbox))
                    values["loop"] = sequential.last_values
                    continue
                times[f"core{scorer}"].append(run_core(cores[scorer][1], *passes[k]))
                trainer_cpu[scorer].append(run_core.last_cpu)
                values[scorer] = run_core.last_values
            assert values[1] == values[2], "1 and 2 workers disagree"
            assert values[1] == values["loop"], "the core and the loop disagree: unequal work"
            if args.workload_ceiling:
                work_ceiling.append(workload_ceiling(passes[k], warm, times["loop"][-1]))
        stats = {w: engine.total_stats for w, (engine, _) in cores.items()}
        for engine, _ in cores.values():
            engine.close()
    timeouts = sum(stats[w].timeouts - before[w].timeouts for w in cores)
    errors = sum(stats[w].errors - before[w].errors for w in cores)

    t_seq, t1, t2 = (min(times[k]) for k in ("loop", "core1", "core2"))
    speedups = [a / b for a, b in zip(times["loop"], times["core2"], strict=True)]
    per_pass = sorted(speedups)
    of_ceiling = sorted(s / c for s, c in zip(speedups, ceiling, strict=True))
    lines = [
        f"# Batch core: {n} mixed rollouts (math, format, language; {args.code_items} code)",
        "",
        f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}.",
        f"Command: `python benchmarks/batch_bench.py` ({args.repeat} passes of fresh rollouts; in"
        " each pass the loop, the core with 1 worker and the core with 2 take turns on the same"
        " rollouts, in an order that rotates from pass to pass; answer caches warm on every side,"
        " as in training)",
        "",
        "Language-ID segment cache: "
        + (
            "on (`--lid-cache`; these rollouts reuse 800 CoTs, so it answers nearly every segment)"
            if args.lid_cache
            else "off (these rollouts reuse 800 CoTs: it would answer nearly every segment, about"
            " half on fresh CoTs; `--lid-cache` keeps it)"
        ),
        "",
        "| scorer | seconds (best pass) | items/s | speed-up vs loop |",
        "|---|---:|---:|---:|",
        f"| sequential per-item loop | {t_seq:.2f} | {n / t_seq:,.0f} | 1.00x |",
        f"| core, 1 worker | {t1:.2f} | {n / t1:,.0f} | {t_seq / t1:.2f}x |",
        f"| core, 2 workers | {t2:.2f} | {n / t2:,.0f} | {t_seq / t2:.2f}x |",
        "",
        f"- speed-up with 2 workers vs the loop, pass by pass (same rollouts, back to back):"
        f" median {statistics.median(per_pass):.2f}x, range {per_pass[0]:.2f}x-{per_pass[-1]:.2f}x"
        " (target >= 1.8x)",
        f"- this host's own ceiling, pass by pass (`spin`, pure CPU work with no coordination, in 1"
        f" process vs 2 at once): median {statistics.median(ceiling):.2f}x, range"
        f" {min(ceiling):.2f}x-{max(ceiling):.2f}x; the core's speed-up as a share of the same"
        f" pass's ceiling: median {statistics.median(of_ceiling):.0%}, range"
        f" {of_ceiling[0]:.0%}-{of_ceiling[-1]:.0%}",
        *(
            [
                f"- the loop's own work split over two processes at once (`--workload-ceiling`:"
                f" no pool, no trainer process), pass by pass: median"
                f" {statistics.median(work_ceiling):.2f}x, range {min(work_ceiling):.2f}x-"
                f"{max(work_ceiling):.2f}x; the core's speed-up as a share of it: median"
                f" {statistics.median(s / c for s, c in zip(speedups, work_ceiling)):.0%}"  # noqa: B905
            ]
            if work_ceiling
            else []
        ),
        f"- core overhead per item (a no-op job through `Engine.run` and the pool: dedup, pickling,"
        " pipe, order, stats):"
        f" {noop[1] * 1e6:.1f} us with 1 worker, {noop[2] * 1e6:.1f} us with 2 (target <= 50 us)",
        "- CPU time of the calling (trainer) process per rollout, median of the passes:"
        f" {statistics.median(trainer_cpu[1]) / n * 1e6:.1f} us with 1 worker,"
        f" {statistics.median(trainer_cpu[2]) / n * 1e6:.1f} us with 2 (the rest runs in the"
        " workers and the sandbox)",
        f"- wall-clock difference, core with 1 worker vs the loop (best passes):"
        f" {(t1 - t_seq) / n * 1e6:+.1f} us per item",
        f"- timeouts in the timed passes: {timeouts}; errors: {errors}",
        f"- mean reward: {statistics.fmean(v for v in values[2] if v is not None):.3f}",
        "- passes (s): "
        + "; ".join(f"{k} " + ", ".join(f"{t:.2f}" for t in v) for k, v in times.items()),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
