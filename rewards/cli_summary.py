"""Summaries for the command line: per-reward statistics, accuracy, pass@k, maj@k and the share
of zero-variance groups, as a readable table and as JSON."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .groups import group_stats


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one group (Chen et al. 2021): 1 - C(n-c, k) / C(n, k)."""
    if k > n:
        raise ValueError("k must be at most n")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def majority_correct(samples: Sequence[tuple[Any, bool]]) -> float | None:
    """maj@k for one group from (extracted answer, correct) pairs.

    Answers equivalent to the reference vote together; other answers vote by their extracted
    text; samples without an answer do not vote. 1 when the correct answer has the most votes,
    1/t when it ties with t-1 others (the expected value of a random tie-break), else 0; None
    when no sample has an answer."""
    votes: Counter = Counter()
    for answer, correct in samples:
        if correct:
            votes[("correct",)] += 1
        elif answer is not None:
            votes[("answer", answer)] += 1
    if not votes:
        return None
    top = max(votes.values())
    leaders = [a for a, n in votes.items() if n == top]
    return 1.0 / len(leaders) if ("correct",) in leaders else 0.0


NO_SOURCE = "(none)"


@dataclass
class Collector:
    """What the summary needs from each rollout, kept small (no texts)."""

    names: list[str]
    weights: dict[str, float]
    values: dict[str, list[float | None]] = field(default_factory=dict)
    totals: list[float | None] = field(default_factory=list)
    groups: list[Hashable] = field(default_factory=list)
    correct: list[float | None] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    timeouts: int = 0

    def add(
        self,
        components: dict[str, float | None],
        total: float | None,
        group: Hashable,
        correct: float | None,
        answer: Any,
        timed_out: bool,
        source: Any = None,
    ) -> None:
        for name in self.names:
            self.values.setdefault(name, []).append(components.get(name))
        self.totals.append(total)
        self.groups.append(group)
        self.correct.append(correct)
        self.answers.append(answer)
        self.sources.append(NO_SOURCE if source is None else str(source))
        self.timeouts += timed_out


def _mean_std(values: Sequence[float | None]) -> tuple[float | None, float | None, int]:
    present = [float(v) for v in values if v is not None]
    if not present:
        return None, None, len(values)
    mean = sum(present) / len(present)
    std = math.sqrt(sum((v - mean) ** 2 for v in present) / len(present))
    return mean, std, len(values) - len(present)


def summarize(c: Collector, *, seconds: float | None, invalid: int = 0) -> dict:
    """The summary as plain data (what `--summary-json` writes). `seconds` is the scoring time,
    None when nothing was scored (`summarise` reads scores: its reading rate means nothing)."""
    n = len(c.totals)
    rewards = {}
    for name in c.names:
        mean, std, none = _mean_std(c.values.get(name, []))
        rewards[name] = {"weight": c.weights[name], "mean": mean, "std": std, "none": none}
    mean, std, none = _mean_std(c.totals)
    rewards["reward"] = {"weight": None, "mean": mean, "std": std, "none": none}

    members: dict[Hashable, list[int]] = {}
    for i, g in enumerate(c.groups):
        members.setdefault(g, []).append(i)
    judged_groups = {g: [i for i in idx if c.correct[i] is not None] for g, idx in members.items()}
    judged_groups = {g: idx for g, idx in judged_groups.items() if idx}
    judged = [v for v in c.correct if v is not None]
    out: dict[str, Any] = {
        "rollouts": n,
        "groups": len(members),
        "invalid_lines": invalid,
        "seconds": None if seconds is None else round(seconds, 3),
        "rollouts_per_second": round(n / seconds, 2) if seconds else None,
        "timeouts": c.timeouts,
        "rewards": rewards,
        "accuracy": {
            "value": sum(v >= 1.0 for v in judged) / len(judged) if judged else None,
            "correct": sum(v >= 1.0 for v in judged),
            "judged": len(judged),
        },
    }
    sizes = [len(idx) for idx in judged_groups.values()]
    pass_k: dict[str, dict] = {}
    if sizes:
        biggest = max(sizes)
        ks = sorted({k for k in (1, 2, 4, 8, 16, 32, 64, 128, 256) if k <= biggest} | {biggest})
        for k in ks:
            per = []
            for idx in judged_groups.values():
                if len(idx) >= k:
                    right = sum(c.correct[i] >= 1.0 for i in idx)
                    per.append(pass_at_k(len(idx), right, k))
            pass_k[f"pass@{k}"] = {"value": sum(per) / len(per), "groups": len(per)}
    out["pass_at_k"] = pass_k
    maj: dict[str, dict] = {}
    by_size: dict[int, list[float]] = {}
    for idx in judged_groups.values():
        if len(idx) < 2 or all(c.answers[i] is None for i in idx):
            continue  # one sample, or nothing to vote on (code)
        m = majority_correct([(c.answers[i], c.correct[i] >= 1.0) for i in idx])
        if m is not None:
            by_size.setdefault(len(idx), []).append(m)
    for k in sorted(by_size):
        maj[f"maj@{k}"] = {"value": sum(by_size[k]) / len(by_size[k]), "groups": len(by_size[k])}
    out["maj_at_k"] = maj
    stats = group_stats(c.totals, c.groups)
    judged_n = len(stats.stds)
    out["zero_variance_groups"] = {
        "fraction": stats.zero_variance_fraction if judged_n else None,
        "groups": judged_n,
        "multi_sample_fraction": _multi_zero(stats, members, c.totals),
    }
    out["by_source"] = _by_source(c)
    return out


def _by_source(c: Collector) -> dict[str, dict]:
    """Per data_source: rollouts, groups, accuracy, pass@1 (each group's share of correct
    samples, averaged over groups) and the mean weighted reward. Empty with one source."""
    indices: dict[str, list[int]] = {}
    for i, source in enumerate(c.sources):
        indices.setdefault(source, []).append(i)
    if len(indices) < 2:
        return {}
    out = {}
    for source in sorted(indices):
        idx = indices[source]
        groups: dict[Hashable, list[float]] = {}
        for i in idx:
            groups.setdefault(c.groups[i], [])
            if c.correct[i] is not None:
                groups[c.groups[i]].append(c.correct[i] >= 1.0)
        judged = [v for g in groups.values() for v in g]
        shares = [sum(g) / len(g) for g in groups.values() if g]
        mean, _, none = _mean_std([c.totals[i] for i in idx])
        out[source] = {
            "rollouts": len(idx),
            "groups": len(groups),
            "accuracy": sum(judged) / len(judged) if judged else None,
            "correct": sum(judged),
            "judged": len(judged),
            "pass@1": sum(shares) / len(shares) if shares else None,
            "reward_mean": mean,
            "reward_none": none,
        }
    return out


def _multi_zero(stats, members: dict, totals: Sequence[float | None]) -> float | None:
    """Zero-variance share among groups of two or more scored samples (singletons never vary;
    a None total is no sample)."""
    multi = [
        g
        for g, idx in members.items()
        if sum(totals[i] is not None for i in idx) > 1 and g in stats.stds
    ]
    if not multi:
        return None
    return sum(stats.stds[g] <= 1e-6 for g in multi) / len(multi)


def _f(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(r: Sequence[str]) -> str:
        cells = [str(r[0]).ljust(widths[0])]
        cells += [str(v).rjust(w) for v, w in zip(r[1:], widths[1:], strict=True)]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def render(summary: dict) -> str:
    """The summary as text for people."""
    s = summary
    head = f"{s['rollouts']} rollouts in {s['groups']} groups"
    if s["seconds"] is not None:
        head += f", {s['seconds']:.2f} s ({_f(s['rollouts_per_second'], 1)} rollouts/s)"
    if s["invalid_lines"]:
        head += f"; {s['invalid_lines']} invalid lines skipped"
    if s["timeouts"]:
        head += f"; {s['timeouts']} rollouts with a timed-out check"
    # a scored file does not record the weights: no column of blanks for `summarise`
    weighted = any(r["weight"] is not None for r in s["rewards"].values())
    rows = []
    for name, r in s["rewards"].items():
        label = "reward (weighted sum)" if name == "reward" else name
        weight = [] if not weighted else ["" if r["weight"] is None else f"{r['weight']:g}"]
        rows.append([label, *weight, _f(r["mean"]), _f(r["std"]), str(r["none"])])
    header = ["reward", *(["weight"] if weighted else []), "mean", "std", "None"]
    parts = [head, "", table(rows, header)]
    acc = s["accuracy"]
    metrics = [["accuracy", _f(acc["value"]), f"{acc['correct']}/{acc['judged']} rollouts"]]
    for name, m in s["pass_at_k"].items():
        metrics.append([name, _f(m["value"]), f"{m['groups']} groups"])
    for name, m in s["maj_at_k"].items():
        metrics.append([name, _f(m["value"]), f"{m['groups']} groups"])
    z = s["zero_variance_groups"]
    metrics.append(["zero-variance groups", _f(z["fraction"]), f"{z['groups']} groups"])
    if z["multi_sample_fraction"] is not None:
        metrics.append(["  of groups with k>1", _f(z["multi_sample_fraction"]), ""])
    parts += ["", table(metrics, ["metric", "value", "over"])]
    if s.get("by_source"):
        rows = [
            [name, str(b["rollouts"]), str(b["groups"]), _f(b["accuracy"]),
             f"{b['correct']}/{b['judged']}", _f(b["pass@1"]), _f(b["reward_mean"])]
            for name, b in s["by_source"].items()
        ]  # fmt: skip
        header = ["data_source", "rollouts", "groups", "accuracy", "correct", "pass@1", "reward"]
        parts += ["", table(rows, header)]
    return "\n".join(parts)


def render_filter(counts: dict[str, int], kept: int, total: int, seconds: float) -> str:
    rows = [[reason, str(n)] for reason, n in counts.items()]
    rows.append(["kept", str(kept)])
    return f"{total} rollouts, kept {kept}, dropped {total - kept} ({seconds:.2f} s)\n\n" + table(
        rows, ["outcome", "rollouts"]
    )
