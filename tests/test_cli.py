"""The `r1reward` command line, driven through its real entry point in a subprocess."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "rollouts.jsonl"
CLI = [sys.executable, "-m", "r1reward.rewards.cli"]


def run(*args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args], input=stdin, capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


# ---- score -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> tuple[subprocess.CompletedProcess, list[dict], dict]:
    out = tmp_path_factory.mktemp("score") / "out.jsonl"
    summary = out.with_suffix(".summary.json")
    proc = run("score", str(SAMPLE), "-o", str(out), "--summary-json", str(summary))
    assert proc.returncode == 0, proc.stderr
    return proc, lines(out), json.loads(summary.read_text())


def test_score_sample_file(scored):
    proc, rows, summary = scored
    n_in = sum(1 for x in SAMPLE.read_text().splitlines() if x.strip())
    assert len(rows) > n_in  # the list field expanded
    assert summary["rollouts"] == len(rows)
    for row in rows:
        assert set(row["rewards"]) == {"accuracy", "think_format"}
        assert "reward" in row and "diagnostics" in row
        assert row["diagnostics"]["timed_out"] is False
    by_id = {r["id"]: r for r in rows if "sample_index" not in r}
    assert by_id["mul-0"]["rewards"]["accuracy"] == 1.0
    assert by_id["mul-0"]["diagnostics"]["extracted"] == "391"
    assert by_id["mul-3"]["rewards"]["accuracy"] == 0.0
    assert by_id["mul-3"]["diagnostics"]["reason"] == "differs"
    assert by_id["no-think"]["rewards"]["think_format"] == 0.0
    assert by_id["no-think"]["reward"] == 1.0
    # code, in both test schemas
    assert by_id["code-add-0"]["rewards"]["accuracy"] == 1.0
    assert by_id["code-add-1"]["rewards"]["accuracy"] == 0.0
    assert by_id["code-rev-0"]["rewards"]["accuracy"] == 1.0
    assert by_id["code-rev-3"]["diagnostics"]["reason"] == "failed"
    # the summary table, for people
    text = proc.stdout
    for needle in (
        "accuracy",
        "think_format",
        "pass@1",
        "pass@4",
        "maj@4",
        "zero-variance",
        "rollouts/s",
    ):
        assert needle in text, text


def test_summary_numbers(scored):
    _, rows, summary = scored
    correct = sum(r["rewards"]["accuracy"] == 1.0 for r in rows)
    assert summary["accuracy"]["correct"] == correct
    assert summary["accuracy"]["value"] == pytest.approx(correct / len(rows))
    # pass@1 is the mean over groups of each group's share of correct samples
    groups: dict = {}
    for r in rows:
        key = r.get("group_id") or r.get("uid") or r.get("prompt_id") or r.get("prompt")
        groups.setdefault(json.dumps(key), []).append(r["rewards"]["accuracy"] == 1.0)
    expected = sum(sum(g) / len(g) for g in groups.values()) / len(groups)
    assert summary["pass_at_k"]["pass@1"]["value"] == pytest.approx(expected)
    assert summary["groups"] == len(groups)
    assert summary["rewards"]["accuracy"]["none"] == 0
    assert 0 < summary["zero_variance_groups"]["fraction"] < 1


def test_score_stdin_to_stdout_with_aliases():
    rows = [
        {"question": "1+1?", "answer": "2", "response": "so \\boxed{2}"},
        {"problem": "2+2?", "solution": "\\boxed{4}", "output": "it is 5"},
        {"input": "3+3?", "label": "6", "generation": "6"},
        {"prompt": "x", "gold": "7", "completion": "7"},
        {
            "messages": [{"role": "user", "content": "8?"}],
            "reward_model": {"ground_truth": "8"},
            "completion": "8",
        },
        {"prompt": "q", "ground_truth": "9", "completions": ["9", "10", "\\boxed{9}"]},
        {"uid": "g", "prompt": "q", "ground_truth": "1", "generations": ["1", "2"]},
        {"prompt": "q", "ground_truth": "3", "responses": ["3"]},
    ]
    stdin = "".join(json.dumps(r) + "\n" for r in rows)
    proc = run("score", "-", "--reward", "accuracy=1", "--no-progress", stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [r["rewards"]["accuracy"] for r in out] == [1, 0, 1, 1, 1, 1, 0, 1, 1, 0, 1]
    assert [r["reward"] for r in out][:2] == [1.0, 0.0]
    expanded = out[5:8]
    assert {r["group_id"] for r in expanded} == {expanded[0]["group_id"]}
    assert [r["sample_index"] for r in expanded] == [0, 1, 2]
    assert all("completions" not in r for r in expanded)
    assert out[8]["uid"] == "g" and "group_id" not in out[8]
    assert "pass@" in proc.stderr  # the summary goes to stderr when stdout carries the data


def test_score_weights_and_options():
    row = {
        "prompt": "p",
        "ground_truth": "2",
        "target_lang": "en",
        "completion": "<think>We add one and one, which gives two.</think> \\boxed{2}",
    }
    proc = run(
        "score", "-", "--reward", "accuracy=2", "--reward", "format=0.5",
        "--reward", "language:en=0.1", "--reward", "repetition:2=0.3",
        "--reward", "reasoning_steps", "--reward", "cosine_length:100=1",
        "--reward", "soft_overlong:max_len=100,cache_len=10=-1", "--no-progress",
        stdin=json.dumps(row) + "\n",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    r = out["rewards"]
    assert set(r) == {
        "accuracy",
        "think_format",
        "language_consistency",
        "repetition_penalty",
        "reasoning_steps",
        "cosine_length",
        "soft_overlong",
    }
    assert r["accuracy"] == 1.0 and r["think_format"] == 1.0 and r["language_consistency"] == 1.0
    total = (
        2 * 1
        + 0.5 * 1
        + 0.1 * 1
        + 0.3 * r["repetition_penalty"]
        + r["reasoning_steps"]
        + r["cosine_length"]
        - r["soft_overlong"]
    )
    assert out["reward"] == pytest.approx(total)


def test_code_rewards_and_no_sandbox():
    tests = [{"input": "2\n", "output": "4\n"}, {"input": "5\n", "output": "10\n"}]
    rows = [
        {
            "prompt": "double",
            "test_cases": tests,
            "completion": "```python\nprint(2*int(input()))\n```",
        },
        {"prompt": "double", "test_cases": tests, "completion": "```python\nprint(4)\n```"},
        {"prompt": "math", "answer": "3", "completion": "\\boxed{3}"},
    ]
    stdin = "".join(json.dumps(r) + "\n" for r in rows)
    args = ["score", "-", "--reward", "code_pass_rate", "--reward", "code_pass", "--no-progress"]
    proc = run(*args, stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [o["rewards"]["code_pass_rate"] for o in out] == [1.0, 0.5, None]
    assert [o["rewards"]["code_pass"] for o in out] == [1.0, 0.0, None]
    assert out[2]["rewards"] == {"code_pass_rate": None, "code_pass": None}
    # without a usable sandbox, code items degrade to null with a diagnostic; math still scores
    proc = run("score", "-", "--reward", "accuracy", "--no-sandbox", "--no-progress", stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [o["rewards"]["accuracy"] for o in out] == [None, None, 1.0]
    assert "sandbox unavailable" in out[0]["diagnostics"]["detail"]


def test_presets_and_bad_reward_specs():
    row = (
        json.dumps(
            {
                "prompt": "p",
                "ground_truth": "1",
                "target_lang": "zh",
                "completion": "<think>一加零等于一。</think> \\boxed{1}",
            }
        )
        + "\n"
    )
    proc = run("score", "-", "--preset", "r1", "--no-progress", stdin=row)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["rewards"] == {
        "accuracy": 1.0,
        "think_format": 1.0,
        "language_consistency": 1.0,
    }
    for bad in (
        ["--reward", "nope=1"],
        ["--reward", "accuracy=x"],
        ["--preset", "r2"],
        ["--reward", "accuracy", "--preset", "r1"],
        ["--reward", "cosine_length:zz=1"],
        ["--reward", "accuracy=nan"],  # a weight that would make every total nan
        ["--reward", "format=inf"],
        ["--preset", "r1:xx"],  # an unknown target language: one line, not a traceback
        ["--preset", "r1:Chinese"],
    ):
        proc = run("score", "-", *bad, stdin=row)
        assert proc.returncode == 2, (bad, proc.stderr)
        assert "error" in proc.stderr and "Traceback" not in proc.stderr, (bad, proc.stderr)


# ---- bad input ---------------------------------------------------------------------------------


def test_malformed_line_is_an_error_naming_the_line(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"completion": "1", "answer": "1"}\n{not json\n{"completion": "2", "answer": "2"}\n'
    )
    out = tmp_path / "out.jsonl"
    proc = run("score", str(src), "-o", str(out))
    assert proc.returncode == 3
    assert "line 2" in proc.stderr and "invalid JSON" in proc.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [src]  # no temporary file left behind
    proc = run("score", str(src), "-o", str(out), "--skip-invalid")
    assert proc.returncode == 0, proc.stderr
    assert len(lines(out)) == 2
    assert "1 invalid lines skipped" in proc.stdout
    # which line was skipped, and why: a count alone leaves the user to search a large file
    assert "skipped 1 invalid line(s)" in proc.stderr
    assert "line 2: invalid JSON" in proc.stderr


def test_skipped_lines_are_listed_up_to_a_cap_then_counted(tmp_path):
    from r1reward.rewards.cli_io import SKIPPED_SHOWN

    bad = SKIPPED_SHOWN + 3
    src = tmp_path / "in.jsonl"
    src.write_text('{"completion": "1", "answer": "1"}\n' + "{oops\n" * bad)
    proc = run("filter", str(src), "-o", str(tmp_path / "f.jsonl"), "--skip-invalid")
    assert proc.returncode == 0, proc.stderr
    listed = [line for line in proc.stderr.splitlines() if "invalid JSON" in line]
    assert len(listed) == SKIPPED_SHOWN
    assert listed[0].strip().startswith("line 2:")
    assert f"skipped {bad} invalid line(s)" in proc.stderr and "... and 3 more" in proc.stderr


def test_version_is_the_installed_distribution_s():
    from importlib.metadata import version

    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.split() == ["r1reward", version("r1reward")]


class _Clock:
    """A clock the test moves: the time a batch takes to score."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _batch_sizes(n: int, seconds_per_rollout: float, **kw) -> list[int]:
    from r1reward.rewards.cli import _batches

    clock = _Clock()
    sizes = []
    for batch in _batches(iter(range(n)), clock=clock, **kw):
        sizes.append(len(batch))
        clock.now += seconds_per_rollout * len(batch)  # the caller scores the batch
    return sizes


def test_batches_grow_on_fast_rollouts_up_to_the_cap():
    from r1reward.rewards.cli import CHUNK, FIRST_BATCH

    sizes = _batch_sizes(3000, 1e-5)
    assert sum(sizes) == 3000
    assert sizes[0] == FIRST_BATCH and max(sizes) == CHUNK
    growing = sizes[: sizes.index(CHUNK) + 1]
    assert all(b == 2 * a for a, b in itertools.pairwise(growing))  # doubling, never a jump


def test_batches_shrink_on_slow_rollouts_so_progress_keeps_moving():
    """Code rollouts of 0.2 s each: every batch after the first takes about BATCH_SECONDS."""
    from r1reward.rewards.cli import BATCH_SECONDS, FIRST_BATCH

    sizes = _batch_sizes(200, 0.2)
    assert sum(sizes) == 200 and sizes[0] == FIRST_BATCH
    assert all(0.2 * s <= max(BATCH_SECONDS, 0.2) for s in sizes[1:-1])
    assert all(s >= 1 for s in sizes)
    # rollouts slower than the whole target come one by one, or one per worker
    assert set(_batch_sizes(40, 3.0)[1:]) == {1}
    assert set(_batch_sizes(40, 3.0, smallest=4)[1:]) == {4}


def test_missing_field_names_the_aliases(tmp_path):
    proc = run("score", "-", stdin='{"text": "hello", "answer": "1"}\n')
    assert proc.returncode == 3
    assert "line 1" in proc.stderr
    for alias in ("completion", "response", "output", "generation", "completions"):
        assert alias in proc.stderr
    proc = run("filter", "-", "-o", str(tmp_path / "f.jsonl"), stdin='{"completion": "1"}\n')
    assert proc.returncode == 3
    for alias in (
        "ground_truth",
        "answer",
        "solution",
        "label",
        "gold",
        "reward_model.ground_truth",
        "verification_info",
        "test_cases",
    ):
        assert alias in proc.stderr
    proc = run("score", "-", stdin="[1, 2]\n")
    assert proc.returncode == 3 and "JSON object" in proc.stderr
    proc = run("score", str(tmp_path / "absent.jsonl"))
    assert proc.returncode == 3 and "cannot read" in proc.stderr


def test_help_documents_the_exit_codes():
    proc = run("--help")
    assert proc.returncode == 0
    for code in ("0 ", "1 ", "2 ", "3 ", "4 ", "130"):
        assert code in proc.stdout
    assert run("score", "--help").stdout.count("Exit codes") == 1
    assert run().returncode == 2  # no command


# ---- filter ------------------------------------------------------------------------------------


def test_filter_rejection_sampling(tmp_path):
    out = tmp_path / "sft.jsonl"
    summary = tmp_path / "filter.json"
    proc = run("filter", str(SAMPLE), "-o", str(out), "--max-paragraph", "1000",
               "--drop-code-blocks", "--summary-json", str(summary))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    kept = {r["id"] for r in lines(out)}
    data = json.loads(summary.read_text())
    dropped = data["dropped"]
    assert dropped["incorrect"] > 0
    assert "mul-3" not in kept and "prime-0" not in kept  # wrong answers
    assert "zh-1" not in kept and "en-mixed" not in kept  # mixed-language chains of thought
    assert "cot-long" not in kept and "cot-code" not in kept
    assert {"mul-0", "zh-0", "fr-0", "code-add-0"} <= kept
    assert "no-think" not in kept  # right, but no chain of thought to learn from
    assert dropped["mixed_language"] == 2 and dropped["bad_format"] == 1
    assert dropped["long_paragraph"] == 1 and dropped["code_block"] == 1
    assert data["kept"] == len(lines(out))
    assert data["kept"] + sum(dropped.values()) == data["rollouts"]
    for reason in ("incorrect", "bad_format", "mixed_language", "long_paragraph", "code_block"):
        assert reason in proc.stdout
    assert "kept" in proc.stdout

    capped = tmp_path / "capped.jsonl"
    proc = run("filter", str(SAMPLE), "-o", str(capped), "--max-per-group", "1",
               "--language-threshold", "0")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    ids = [r["id"] for r in lines(capped)]
    assert "mul-0" in ids and "mul-1" not in ids and "zh-1" not in ids
    assert "over_group_cap" in proc.stdout


def test_filter_drops_correct_rollouts_without_a_clean_think_block(tmp_path):
    right = "so the answer is \\boxed{4}"
    rows = [
        {"id": "ok", "completion": f"<think>2 plus 2 is four.</think> {right}"},
        {"id": "none", "completion": right},
        {"id": "cut", "completion": f"<think>2 plus 2 is four. {right}"},
        {"id": "empty", "completion": f"<think>\n\n</think> {right}"},
        {"id": "twice", "completion": f"<think>a</think><think>b</think> {right}"},
        {"id": "prefilled", "completion": f"2 plus 2 is four.</think> {right}"},
        {  # content parts, as chat APIs send them: the format reward joins them
            "id": "parts",
            "completion": {
                "role": "assistant",
                "content": [{"type": "text", "text": f"<think>2 plus 2 is four.</think> {right}"}],
            },
        },
    ]
    src = "".join(json.dumps({**r, "answer": "4"}) + "\n" for r in rows)
    out = tmp_path / "kept.jsonl"
    proc = run("filter", "-", "-o", str(out), stdin=src)
    assert proc.returncode == 0, proc.stderr
    assert [r["id"] for r in lines(out)] == ["ok", "prefilled", "parts"]
    proc = run("filter", "-", "-o", str(out), "--keep-malformed", stdin=src)
    assert proc.returncode == 0, proc.stderr
    assert len(lines(out)) == len(rows)


@pytest.mark.parametrize(
    "row",
    [
        {"completion": 5},
        {"completion": True},
        {"completion": {"text": "\\boxed{5}"}},
        {"completion": ["a", "b"]},
        {"completions": [1, 2]},
        {"completions": []},
        {"completion": "\\boxed{5}", "target_lang": "Chinese"},
        {"completion": "\\boxed{5}", "target_lang": 5},
    ],
)
def test_a_field_of_the_wrong_kind_is_an_input_error(row):
    line = json.dumps({**row, "answer": "5"}) + "\n"
    # a target is checked where a reward reads it: the language reward, not the default preset
    if "target_lang" in row:
        assert run("score", "-", stdin=line).returncode == 0
        line_args = ("--preset", "r1")
    else:
        line_args = ()
    proc = run("score", "-", *line_args, stdin=line)
    assert proc.returncode == 3, (row, proc.stdout, proc.stderr)
    assert "line 1" in proc.stderr and "Traceback" not in proc.stderr
    good = '{"completion": "5", "answer": "5"}\n'
    proc = run("score", "-", *line_args, "--skip-invalid", stdin=line + good)
    assert proc.returncode == 0 and "1 invalid lines skipped" in proc.stderr + proc.stdout


def test_rollouts_without_a_ground_truth_are_scored_with_a_warning():
    rows = '{"completion": "\\\\boxed{4}", "reference": "4"}\n{"completion": "4", "answer": "4"}\n'
    proc = run("score", "-", stdin=rows)
    assert proc.returncode == 0, proc.stderr
    accuracy = [json.loads(x)["rewards"]["accuracy"] for x in proc.stdout.splitlines()]
    assert accuracy == [None, 1.0]
    assert "1 of 2 rollouts have no ground truth" in proc.stderr and "solution" in proc.stderr


def test_code_datasets_own_test_columns_are_ground_truths():
    add = "```python\ndef add(a, b):\n    return a + b\n```"
    rows = [
        {"completion": add, "test_list": ["assert add(1, 2) == 3"], "input_output": None},
        {"completion": add, "test_list": ["assert add(1, 2) == 4"]},
        {
            "completion": add,
            "test": "def check(f):\n    assert f(1, 2) == 3\n",
            "entry_point": "add",
        },
    ]
    proc = run("score", "-", stdin="".join(json.dumps(r) + "\n" for r in rows))
    assert proc.returncode == 0, proc.stderr
    accuracy = [json.loads(x)["rewards"]["accuracy"] for x in proc.stdout.splitlines()]
    assert accuracy == [1.0, 0.0, None]  # HumanEval needs its trusted prompt: a reference


def test_messages_and_known_targets_are_completions_and_targets():
    rows = [
        {"completion": {"role": "assistant", "content": "\\boxed{5}"}},
        {"completion": [{"role": "assistant", "content": "\\boxed{5}"}]},
        {"completion": "\\boxed{5}", "target_lang": "zh-CN"},
        {"completion": "\\boxed{5}", "target_lang": ""},
        {"completion": "\\boxed{5}", "target_lang": " "},
        # a conversation with a tool call (no content) and a tool result, then the answer
        {
            "completion": [
                {"role": "assistant", "tool_calls": [{"function": {"name": "calc"}}]},
                {"role": "tool", "content": "5"},
                {"role": "assistant", "content": "\\boxed{5}"},
            ]
        },
    ]
    src = "".join(json.dumps({**r, "answer": "5"}) + "\n" for r in rows)
    proc = run("score", "-", "--preset", "r1", stdin=src)
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(x)["rewards"]["accuracy"] for x in proc.stdout.splitlines()] == [1.0] * 6


# ---- verify ------------------------------------------------------------------------------------


def test_verify_exit_codes_and_explanation():
    proc = run("verify", "\\frac{1}{2}", "so the answer is $\\boxed{0.5}$")
    assert proc.returncode == 0
    assert "EQUIVALENT" in proc.stdout and "0.5" in proc.stdout and "method" in proc.stdout
    proc = run("verify", "3", "The answer is 4.")
    assert proc.returncode == 1
    assert "NOT EQUIVALENT" in proc.stdout and "differs" in proc.stdout
    proc = run("verify", "--json", "42", "-", stdin="long reasoning... \\boxed{42}")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["pred"] == "42"
    proc = run("verify", "7", "no answer here")
    assert proc.returncode == 1 and "no_answer" in proc.stdout


# ---- interruption ------------------------------------------------------------------------------


def _interrupt(tmp_path: Path, sig: int) -> tuple[int, str, Path]:
    """Start a score whose stdin stays open, wait until it has written a batch to its
    temporary file, then send `sig`."""
    import time

    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        [*CLI, "score", "-", "-o", str(out), "--workers", "1", "--reward", "accuracy"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stdin is not None
    for i in range(600):  # unique items (nothing dedupes), a few batches' worth
        proc.stdin.write(
            json.dumps(
                {
                    "ground_truth": f"\\frac{{{i}}}{{7}}",
                    "completion": f"so \\boxed{{\\frac{{{i}}}{{7}}}}",
                }
            )
            + "\n"
        )
    proc.stdin.flush()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # a partial temporary file exists
        if any(p.name.endswith(".tmp") and p.stat().st_size for p in tmp_path.iterdir()):
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("score never started writing")
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    return proc.returncode, err, out


def test_sigint_leaves_no_partial_output(tmp_path):
    import signal

    code, err, out = _interrupt(tmp_path, signal.SIGINT)
    assert code == 130, err
    assert "interrupted" in err and "was not written" in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # the temporary file is gone too


def test_sigterm_leaves_no_partial_output(tmp_path):
    import signal

    code, err, _ = _interrupt(tmp_path, signal.SIGTERM)
    assert code == 143, err
    assert list(tmp_path.iterdir()) == []


# ---- the installed script ----------------------------------------------------------------------


def test_console_script_if_installed():
    import shutil

    exe = shutil.which("r1reward")
    if exe is None or not os.access(exe, os.X_OK):
        pytest.skip("the r1reward script is not on PATH")
    proc = subprocess.run([exe, "verify", "2", "2"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
