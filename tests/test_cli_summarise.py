"""`r1reward summarise`: the summary of an already scored file, without scoring again."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "rollouts.jsonl"
CLI = [sys.executable, "-m", "r1reward.rewards.cli"]
TIMING = ("seconds", "rollouts_per_second")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def untimed(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in TIMING}


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """The sample scored twice: the default preset, and a reward set without accuracy."""
    out = {}
    for label, extra in (("preset", []), ("format-only", ["--reward", "format"])):
        d = tmp_path_factory.mktemp(label)
        rows, summary = d / "scored.jsonl", d / "summary.json"
        proc = run(
            "score", str(SAMPLE), "-o", str(rows), "--summary-json", str(summary),
            "--no-progress", *extra,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        out[label] = rows, json.loads(summary.read_text())
    return out


@pytest.mark.parametrize("label", ["preset", "format-only"])
def test_summarise_reproduces_the_summary_of_score(scored, tmp_path, label):
    rows, from_score = scored[label]
    target = tmp_path / "again.json"
    proc = run("summarise", str(rows), "--summary-json", str(target))
    assert proc.returncode == 0, proc.stderr
    again = json.loads(target.read_text())
    # weights are not in the rows; everything else must agree
    for r in from_score["rewards"].values():
        r["weight"] = None
    assert untimed(again) == untimed(from_score)
    assert "pass@1" in proc.stdout and "accuracy" in proc.stdout
    # nothing was scored: no rate, and no column of blank weights
    assert again["seconds"] is None and again["rollouts_per_second"] is None
    head, _, header = proc.stdout.splitlines()[:3]
    assert "rollouts/s" not in head and header.split() == ["reward", "mean", "std", "None"]


def test_summarise_counts_what_the_rows_say(tmp_path):
    """pass@k from rows written by hand, against Chen et al.'s formula."""
    groups = {"a": [1.0, 0.0, 0.0, 1.0], "b": [0.0, 0.0, 0.0], "c": [1.0, None]}
    path = tmp_path / "rows.jsonl"
    with path.open("w") as f:
        for g, values in groups.items():
            for v in values:
                row = {"prompt_id": g, "completion": "x", "rewards": {"accuracy": v}, "reward": v}
                f.write(json.dumps(row) + "\n")
    proc = run("summarise", str(path), "--summary-json", "-")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)  # the table went to stderr

    def pass_at(n, c, k):
        return 1.0 if n - c < k else 1 - math.comb(n - c, k) / math.comb(n, k)

    judged = {g: [int(v) for v in vs if v is not None] for g, vs in groups.items()}
    for k in (1, 2):
        per = [pass_at(len(v), sum(v), k) for v in judged.values() if len(v) >= k]
        assert summary["pass_at_k"][f"pass@{k}"]["value"] == pytest.approx(sum(per) / len(per))
    assert summary["accuracy"]["judged"] == 8 and summary["accuracy"]["correct"] == 3
    assert "pass@1" in proc.stderr


def test_unscored_rows_are_an_input_error_or_skipped(scored, tmp_path):
    proc = run("summarise", str(SAMPLE))
    assert proc.returncode == 3 and "r1reward score" in proc.stderr
    rows, from_score = scored["preset"]
    mixed = tmp_path / "mixed.jsonl"
    bad = '{"completion": "x", "rewards": {"accuracy": "yes"}, "reward": 1}\n'
    mixed.write_text(SAMPLE.read_text().splitlines()[0] + "\n" + bad + rows.read_text())
    proc = run("summarise", str(mixed), "--skip-invalid", "--summary-json", "-")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["invalid_lines"] == 2 and summary["rollouts"] == from_score["rollouts"]
    assert "line 1: not a scored row" in proc.stderr and "line 2: reward 'accuracy'" in proc.stderr
    proc = run("summarise", str(mixed))
    assert proc.returncode == 3 and "line 1" in proc.stderr


def test_zero_variance_among_groups_of_two_or_more_scored_samples(tmp_path):
    """A group whose second sample has no reward is a group of one: it cannot vary."""
    groups = {"a": [1.0, None], "b": [1.0, 1.0], "c": [1.0, 0.0]}
    path = tmp_path / "rows.jsonl"
    with path.open("w") as f:
        for g, values in groups.items():
            for v in values:
                f.write(json.dumps({"prompt_id": g, "completion": "x", "rewards": {}, "reward": v}))
                f.write("\n")
    proc = run("summarise", str(path), "--summary-json", "-")
    assert proc.returncode == 0, proc.stderr
    scored = {g: [v for v in vs if v is not None] for g, vs in groups.items()}
    multi = [vs for vs in scored.values() if len(vs) > 1]
    expected = sum(max(vs) == min(vs) for vs in multi) / len(multi)
    z = json.loads(proc.stdout)["zero_variance_groups"]
    assert z["multi_sample_fraction"] == pytest.approx(expected)


def test_a_skipped_line_of_several_rollouts_is_one_skipped_line(tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"completions": ["a", "b", "c"], "answer": "1"}\n')
    proc = run("summarise", str(rows), "--skip-invalid", "--summary-json", "-")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["invalid_lines"] == 1
    assert proc.stderr.count("line 1:") == 1
