"""Math verifier benchmark: r1reward vs Math-Verify on the same (reference, completion) pairs.

Datasets (any subset, by name):
  * cot800  ../shared/data/math/qwen25_math_cot_800.jsonl   800 real Qwen2.5-Math chain-of-thought
            completions (fields gold, completion, label; labels from Qwen's math_equal, silver);
  * equiv100 ../shared/data/math/equivalence_cases.jsonl     100 labelled pairs from MARIO_EVAL and
            lighteval test suites (fields gold, pred, expected);
  * public  tests/data/math_public_cases.jsonl                held-out cases from public test suites
            and bug reports (fields gold, pred, expected, optional policy_expected).

For each tool and dataset, in one process, sequentially: pairs/s, p50/p99 per-pair latency,
agreement with the labels, the r1reward/Math-Verify pairs/s ratio, and every pair where r1reward
disagrees with its label (gold, extracted prediction, label, what each tool said).

Protocol: each tool is imported (import time reported, excluded), warmed by one untimed pass over
the dataset (the first call's cost is reported, excluded), then timed over --repeat passes with
time.perf_counter around each call. r1reward's caches (every functools cache in its modules) are
cleared before every pass so that a completion is never served from a cache filled by an earlier
pass (within a pass, repeated references hit the cache as they would in training). Math-Verify is
called as its README says: parse(gold), parse(pred), verify(gold_parsed, pred_parsed), default
extraction configs, from the main thread (it uses signal.alarm). A short bare answer (no math
delimiter, not prose) on either side is wrapped in $...$ for Math-Verify, since its LaTeX extractor
only reads LaTeX inside a math environment (on equiv100 this lifts its agreement from 44% to 59%).

Rows of category "timeout" (pathological inputs that hang some graders) are run for both tools in
a forked child with a hard wall limit (--hang-limit); a kill counts as a wrong "hang" verdict.

    pip install 'math-verify[antlr4_13_2]'   # benchmark-only peer; never imported by the library
    python benchmarks/math_bench.py [--datasets cot800 equiv100 public] [--repeat N] [--skip-peer]

Prints tables and writes them as markdown to benchmarks/results/math.md.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import io
import json
import logging
import multiprocessing as mp
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "math"
DATASETS = {
    "cot800": SHARED / "qwen25_math_cot_800.jsonl",
    "equiv100": SHARED / "equivalence_cases.jsonl",
    "public": ROOT / "tests" / "data" / "math_public_cases.jsonl",
}
# Targets printed next to the figures: (min ratio vs Math-Verify pairs/s, min agreement).
TARGETS = {"cot800": (20.0, 0.995), "equiv100": (5.0, 0.95)}
P99_TARGET_MS = 20.0
MATH_DELIMS = ("$", "\\(", "\\[", "\\boxed", "\\begin")
_WORD = re.compile(r"[A-Za-z]{3,}")  # words of prose (a LaTeX command's name does not count)

# --------------------------------------------------------------------------------------- tools

try:  # the verifier under test; guarded so the script runs (peer only) before it exists
    _t0 = time.perf_counter()
    from r1reward.verifiers.math import verify as r1_verify

    R1_IMPORT_S = time.perf_counter() - _t0
    R1_IMPORT_ERROR = ""

    def r1_clear_caches() -> None:
        """Empty every functools cache in the verifier's modules (parse, normalise, evaluate)."""
        for mod_name, mod in list(sys.modules.items()):
            if mod_name.startswith("r1reward.verifiers.math") and mod is not None:
                for obj in vars(mod).values():
                    if callable(getattr(obj, "cache_clear", None)):
                        obj.cache_clear()
except Exception as e:  # pragma: no cover - missing, or broken mid-edit: run the peer alone
    r1_verify = None
    R1_IMPORT_S = 0.0
    R1_IMPORT_ERROR = f"{type(e).__name__}: {e}"

    def r1_clear_caches() -> None:
        pass


def load_peer() -> tuple[Callable | None, Callable | None, float]:
    try:
        t0 = time.perf_counter()
        from math_verify import parse, verify

        return parse, verify, time.perf_counter() - t0
    except ImportError:
        return None, None, 0.0


@dataclass
class Row:
    gold: str
    pred: str
    label: bool
    category: str = ""
    policy: bool | None = None  # policy_expected, when the source's label is debatable
    source: str = ""


@dataclass
class Verdict:
    ok: bool
    said: str  # short account: reason/method, or "hang", or "error: ..."
    pred: str | None = None  # extracted prediction, when the tool reports it


@dataclass
class ToolRun:
    name: str
    verdicts: list[Verdict] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds, all timed passes pooled
    pass_times: list[float] = field(default_factory=list)  # seconds per timed pass
    first_call_s: float = 0.0
    hangs: int = 0

    @property
    def pairs_per_s(self) -> float:
        n = len(self.verdicts)
        return n / statistics.median(self.pass_times) if self.pass_times else 0.0

    def pairs_per_s_trimmed(self, limit: float = 1.0) -> float:
        """pairs/s over the pairs that took at most `limit` s (drops the peer's timeouts)."""
        kept = [x for x in self.latencies if x <= limit]
        return len(kept) / sum(kept) if kept else 0.0

    def pct(self, q: float) -> float:
        xs = sorted(self.latencies)
        if not xs:
            return 0.0
        return xs[min(len(xs) - 1, int(q * len(xs)))] * 1e3

    def agreement(self, labels: list[bool]) -> float:
        return sum(v.ok == lab for v, lab in zip(self.verdicts, labels, strict=True)) / len(labels)


def r1_call(gold: str, pred: str) -> Verdict:
    v = r1_verify(gold, pred)
    said = f"{'T' if v else 'F'} {v.reason}" + (f"/{v.method}" if v.method else "")
    return Verdict(bool(v), said, v.pred)


def marked_section(rows: list[Row], emit: Callable[..., None]) -> None:
    """What `extraction="marked"` changes on real completions: its agreement with the labels and
    every verdict that differs from the default extraction's."""
    changed = []
    agree = 0
    for i, row in enumerate(rows):
        flexible = r1_verify(row.gold, row.pred)
        marked = r1_verify(row.gold, row.pred, extraction="marked")
        agree += bool(marked) == row.label
        if bool(marked) != bool(flexible):
            said = f"{flexible.reason} -> {marked.reason}"
            changed.append([str(i), short(row.gold, 40), short(flexible.pred, 40), said])
    emit('## r1reward with extraction="marked": cot800\n')
    emit(
        f"Agreement with the labels: {agree} of {len(rows)} ({agree / len(rows):.1%}); "
        f"verdicts that differ from the default extraction's: {len(changed)}.\n"
    )
    if changed:
        text, md = fmt_table(["#", "gold", "default's pred", "default -> marked"], changed)
        emit(text, md)


def mv_text(s: str) -> str:
    """Wrap a bare short answer in $...$ for Math-Verify; leave prose and delimited text alone."""
    if any(d in s for d in MATH_DELIMS):
        return s
    words = [m for m in _WORD.finditer(s) if m.start() == 0 or s[m.start() - 1] != "\\"]
    return s if len(words) >= 2 or len(s) > 80 else f"${s}$"


def make_mv_call(parse: Callable, verify: Callable) -> Callable[[str, str], Verdict]:
    def call(gold: str, pred: str) -> Verdict:
        gp = parse(mv_text(gold))
        pp = parse(mv_text(pred))
        ok = bool(verify(gp, pp))
        shown = str(pp[-1]) if pp else None  # Math-Verify's string form of what it extracted
        return Verdict(ok, f"{'T' if ok else 'F'} {shown!r}"[:80], shown)

    return call


# --------------------------------------------------------------------------------------- data


def load(name: str) -> list[Row]:
    rows = []
    with open(DATASETS[name], encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            pred = r["completion"] if "completion" in r else r["pred"]
            label = r["label"] if "label" in r else r["expected"]
            rows.append(
                Row(
                    r["gold"],
                    pred,
                    bool(label),
                    r.get("category", ""),
                    r.get("policy_expected"),
                    r.get("source", ""),
                )
            )
    return rows


# --------------------------------------------------------------------------------------- runs


def _child(call, gold, pred, conn):  # runs in a forked child: may be killed
    with contextlib.redirect_stderr(io.StringIO()):
        t0 = time.perf_counter()
        try:
            v = call(gold, pred)
        except Exception as e:  # report, never raise
            v = Verdict(False, f"error: {type(e).__name__}")
        conn.send((v, time.perf_counter() - t0))


def guarded(call, row: Row, hang_limit: float) -> tuple[Verdict, float, bool]:
    """Run one pathological pair in a forked child; kill it after hang_limit seconds."""
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_child, args=(call, row.gold, row.pred, send))
    t0 = time.perf_counter()
    p.start()
    got = recv.poll(hang_limit)
    if got:
        v, dt = recv.recv()
        p.join()
        return v, dt, False
    p.kill()
    p.join()
    return Verdict(False, f"hang (killed after {hang_limit:g}s)"), time.perf_counter() - t0, True


def run_tool(
    name: str, call, rows: list[Row], repeat: int, hang_limit: float, clear: Callable[[], None]
) -> ToolRun:
    run = ToolRun(name)
    risky = [r.category == "timeout" for r in rows]
    # Warm-up: one untimed pass (the first call alone is timed and reported).
    first = True
    for row, bad in zip(rows, risky, strict=True):
        if bad:
            continue
        t0 = time.perf_counter()
        call(row.gold, row.pred)
        if first:
            run.first_call_s, first = time.perf_counter() - t0, False
    guarded_results = {i: None for i, b in enumerate(risky) if b}
    for i in guarded_results:  # pathological rows: once, in a child, not in the timed loop
        v, dt, hung = guarded(call, rows[i], hang_limit)
        guarded_results[i] = (v, dt)
        run.hangs += hung
    for k in range(repeat):
        clear()
        verdicts, lat = [], []
        for i, row in enumerate(rows):
            if risky[i]:
                v, dt = guarded_results[i]
            else:
                t0 = time.perf_counter()
                v = call(row.gold, row.pred)
                dt = time.perf_counter() - t0
            verdicts.append(v)
            lat.append(dt)
        run.pass_times.append(sum(lat))
        run.latencies.extend(lat)
        if k == 0:
            run.verdicts = verdicts
    return run


# --------------------------------------------------------------------------------------- report


def fmt_table(headers: list[str], body: list[list[str]]) -> tuple[str, str]:
    w = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(headers)]
    text = "  ".join(h.ljust(w[i]) for i, h in enumerate(headers)) + "\n"
    text += "  ".join("-" * x for x in w) + "\n"
    text += "".join("  ".join(c.ljust(w[i]) for i, c in enumerate(r)) + "\n" for r in body)
    md = "| " + " | ".join(headers) + " |\n|" + "|".join("---" for _ in headers) + "|\n"
    md += "".join("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |\n" for r in body)
    return text, md


def short(s: str | None, n: int = 70) -> str:
    if s is None:
        return "None"
    s = s.replace("\n", "\\n")
    return s if len(s) <= n else s[: n - 3] + "..."


def mark(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--datasets", nargs="+", default=["cot800", "equiv100", "public"], choices=list(DATASETS)
    )
    ap.add_argument("--repeat", type=int, default=3, help="timed passes per tool and dataset")
    ap.add_argument("--skip-peer", action="store_true", help="do not run Math-Verify")
    ap.add_argument(
        "--hang-limit",
        type=float,
        default=5.0,
        help="wall seconds before a pathological pair's child is killed",
    )
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "math.md")
    args = ap.parse_args(argv)

    logging.disable(logging.CRITICAL)  # Math-Verify logs every parse failure and timeout
    parse = mv_verify = None
    mv_import_s = 0.0
    if not args.skip_peer:
        parse, mv_verify, mv_import_s = load_peer()
    tools: list[tuple[str, Callable, Callable[[], None]]] = []
    if r1_verify is not None:
        tools.append(("r1reward", r1_call, r1_clear_caches))
    if parse is not None:
        tools.append(("math-verify", make_mv_call(parse, mv_verify), lambda: None))

    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    out_txt, out_md = [], []

    def emit(text: str, md: str | None = None) -> None:
        print(text)
        out_txt.append(text)
        out_md.append(text if md is None else md)

    cmd = "python benchmarks/math_bench.py " + " ".join(argv if argv is not None else sys.argv[1:])
    emit("# Math verifier benchmark\n")
    env = (
        f"`{cmd.strip()}`  \n{platform.python_implementation()} {platform.python_version()}"
        f" on {platform.machine()}, {os.cpu_count()} cores, single process, sequential.  \n"
        f"r1reward {version('r1reward')}"
        f"{'' if r1_verify else f' (not importable, skipped: {R1_IMPORT_ERROR})'}; "
        f"math-verify {version('math-verify')}"
        f"{' (skipped)' if args.skip_peer else '' if parse else ' (not installed: skipped)'}"
        f"; sympy {version('sympy')}.  \n"
        f"Import time excluded from the figures: r1reward {R1_IMPORT_S * 1e3:.0f} ms, "
        f"math-verify {mv_import_s * 1e3:.0f} ms. Each tool is warmed by one untimed pass; "
        f"figures are the warm steady state over {args.repeat} timed pass(es) "
        f"(pairs/s from the median pass, latency percentiles over all passes).\n"
    )
    emit(env)
    if not tools:
        emit("Nothing to run: neither r1reward's math verifier nor math-verify is importable.")
        return 1

    summary, details = [], []
    for name in args.datasets:
        if not DATASETS[name].exists():
            emit(f"dataset {name}: {DATASETS[name]} not found, skipped\n")
            continue
        rows = load(name)
        labels = [r.label for r in rows]
        policy = [r.policy if r.policy is not None else r.label for r in rows]
        runs = {
            t: run_tool(t, call, rows, args.repeat, args.hang_limit, clear)
            for t, call, clear in tools
        }
        r1, mv = runs.get("r1reward"), runs.get("math-verify")
        for t, run in runs.items():
            ratio = ""
            if t == "r1reward" and mv is not None:
                ratio = f"{run.pairs_per_s / mv.pairs_per_s:.1f}x"
            agree = run.agreement(labels)
            pol = run.agreement(policy) if any(r.policy is not None for r in rows) else None
            target = TARGETS.get(name)
            tgt = ""
            if t == "r1reward":
                bits = [f"p99<={P99_TARGET_MS:g}ms {mark(run.pct(0.99) <= P99_TARGET_MS)}"]
                if target:
                    if mv is not None:
                        ok = run.pairs_per_s >= target[0] * mv.pairs_per_s
                        bits.insert(0, f">={target[0]:g}x {mark(ok)}")
                    bits.append(f"agree>={target[1]:.1%} {mark(agree >= target[1])}")
                tgt = "; ".join(bits)
            summary.append(
                [
                    name,
                    t,
                    str(len(rows)),
                    f"{run.pairs_per_s:,.0f}",
                    f"{run.pairs_per_s_trimmed():,.0f}",
                    ratio,
                    f"{run.pct(0.50):.2f}",
                    f"{run.pct(0.99):.2f}",
                    f"{run.first_call_s * 1e3:.1f}",
                    f"{agree:.1%}",
                    "" if pol is None else f"{pol:.1%}",
                    str(run.hangs),
                    tgt,
                ]
            )
        if r1 is not None:
            dis = []
            for i, (row, v) in enumerate(zip(rows, r1.verdicts, strict=True)):
                if v.ok != row.label or (row.policy is not None and v.ok != row.policy):
                    mvs = mv.verdicts[i].said if mv is not None else "-"
                    pol_s = "" if row.policy is None else f" (policy {row.policy})"
                    dis.append(
                        [
                            str(i),
                            short(row.gold, 40),
                            short(v.pred, 40),
                            f"{row.label}{pol_s}",
                            v.said,
                            short(mvs, 40),
                            row.category or "-",
                        ]
                    )
            details.append((name, len(rows), dis))

    headers = [
        "dataset",
        "tool",
        "pairs",
        "pairs/s",
        "pairs/s (<=1s pairs)",
        "r1/MV",
        "p50 ms",
        "p99 ms",
        "first call ms",
        "agree (label)",
        "agree (policy)",
        "hangs",
        "targets (r1reward)",
    ]
    text, md = fmt_table(headers, summary)
    emit("## Summary\n")
    emit(text, md)
    emit(
        "Targets: >=20x Math-Verify pairs/s on cot800, >=5x on equiv100, p99 <= 20 ms, "
        ">=99.5% agreement on cot800, >=95% on equiv100. 'agree (policy)' uses policy_expected "
        "where a source's label is debatable under the strict R1 reward policy. "
        "'pairs/s (<=1s pairs)' leaves out the pairs that took over 1 s (the peer's timeouts).\n"
    )
    for name, n, dis in details:
        emit(f"## r1reward disagreements: {name} ({len(dis)} of {n})\n")
        if dis:
            text, md = fmt_table(
                [
                    "#",
                    "gold",
                    "r1reward pred",
                    "label",
                    "r1reward said",
                    "math-verify said",
                    "category",
                ],
                dis,
            )
            emit(text, md)
    if r1_verify is not None and "cot800" in args.datasets and DATASETS["cot800"].exists():
        marked_section(load("cot800"), emit)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(out_md), encoding="utf-8")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
