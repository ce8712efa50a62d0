"""`Limits`: the documented defaults, that a run enforces them, and what validation rejects."""

from __future__ import annotations

import dataclasses
import errno
import math
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from r1reward.sandbox import STATUSES, Execution, Limits, Sandbox

README = Path(__file__).resolve().parent.parent / "README.md"


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    return text[start : text.find("\n## ", start + 1)]


SANDBOX_DOCS = _section(README.read_text(encoding="utf-8"), "## Sandbox and code tests")


def _documented_defaults() -> dict[str, float | int]:
    """The `Limits` table of the README: `| `name` | `default` ...` rows (`16 << 20` too)."""
    out: dict[str, float | int] = {}
    for name, value in re.findall(r"^\| `(\w+)` \| `([\d. <]+)`", SANDBOX_DOCS, re.M):
        base, _, shift = value.partition("<<")
        out[name] = (
            int(base) << int(shift) if shift else float(value) if "." in value else int(value)
        )
    return out


# What users read: the tests below hold the code to it (the README drifting from the code, or the
# code from the README, fails here).
DOCUMENTED = _documented_defaults()
MIB = 1 << 20


@pytest.fixture(scope="module")
def sb():
    with Sandbox(workers=1) as box:  # no limits given: Limits() with its defaults
        yield box


# ---- the documented shape -----------------------------------------------------------------------
def test_limits_fields_and_defaults_are_the_documented_ones():
    assert [f.name for f in dataclasses.fields(Limits)] == list(DOCUMENTED)
    assert dataclasses.asdict(Limits()) == DOCUMENTED


def test_sandbox_without_limits_uses_the_defaults(sb):
    assert sb.limits == Limits()


def test_execution_fields_and_statuses_are_the_documented_ones():
    execution = _section(SANDBOX_DOCS, "`Execution` (frozen)")[:2000]
    for f in dataclasses.fields(Execution):
        assert f"`{f.name}`" in execution, f.name
    listed = re.findall(r"^- `(\w+)`:", execution, re.M) + re.findall(r"; `(\w+)`: any", execution)
    assert sorted(listed) == sorted(STATUSES)


def test_execution_of_a_plain_run(sb):
    ex = sb.run("print(input()[::-1])", stdin="abc")
    assert (ex.status, ex.ok, ex.exit_code, ex.stdout, ex.stderr, ex.detail) == (
        "ok",
        True,
        0,
        "cba\n",
        "",
        "",
    )
    assert 0.0 < ex.wall_s < 5.0 and 0.0 <= ex.cpu_s < 5.0
    assert 1.0 < ex.memory_mb < 256.0  # peak resident size in MiB (KiB would be thousands)


def test_exit_codes_and_signals(sb):
    ex = sb.run("raise SystemExit(3)")
    assert (ex.status, ex.ok, ex.exit_code, ex.detail) == ("runtime_error", False, 3, "")
    ex = sb.run("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    assert (ex.status, ex.exit_code, ex.detail) == ("runtime_error", -9, "killed by signal 9")
    ex = sb.run("def f(:\n")
    assert ex.status == "compile_error" and "SyntaxError" in ex.stderr


# ---- each default is enforced (the cheap ones; cpu_s and wall_s would take 5-10 s) -------------
WRITE_STDOUT = "import sys\nsys.stdout.write('x' * int(input()))"


def test_output_bytes_default_is_enforced(sb):
    cap = DOCUMENTED["output_bytes"]
    ex = sb.run(WRITE_STDOUT, stdin=str(cap))
    assert ex.status == "ok" and len(ex.stdout) == cap
    ex = sb.run(WRITE_STDOUT, stdin=str(cap + 1))
    assert ex.status == "output_limit" and str(cap) in ex.detail
    assert len(ex.stdout) <= cap


def test_memory_mb_default_is_enforced(sb):
    cap = DOCUMENTED["memory_mb"]
    ex = sb.run(f"b = bytearray({cap * 3 // 4} << 20)\nb[::4096] = b'x' * len(b[::4096])")
    assert ex.status == "ok", ex
    ex = sb.run(f"b = bytearray({cap + 8} << 20)")
    assert ex.status == "memory_limit", ex


def test_open_files_default_is_enforced(sb):
    ex = sb.run(
        "import os\nlast = 0\ntry:\n    while True: last = os.dup(0)\n"
        "except OSError as e:\n    print(e.errno, last)"
    )
    assert ex.stdout.split() == [str(errno.EMFILE), str(DOCUMENTED["open_files"] - 1)]


WRITE_FILE = (
    "n = int(input())\ntry:\n    with open('f', 'wb') as f: f.write(b'x' * n)\n"
    "    print('wrote', n)\nexcept OSError as e:\n    print('errno', e.errno)"
)


def test_file_bytes_default_is_enforced(sb):
    cap = DOCUMENTED["file_bytes"]
    assert sb.run(WRITE_FILE, stdin=str(cap)).stdout.split() == ["wrote", str(cap)]
    assert sb.run(WRITE_FILE, stdin=str(cap + 1)).stdout.split() == ["errno", str(errno.EFBIG)]


def test_processes_default_is_enforced(sb):
    ex = sb.run(
        "import threading\nev = threading.Event()\nn = 0\ntry:\n"
        "    while n < 500:\n        threading.Thread(target=ev.wait, daemon=True).start()\n"
        "        n += 1\nexcept RuntimeError:\n    pass\nev.set()\nprint(n)"
    )
    started = int(ex.stdout)
    # processes + threads of the run, the harness allowed a few more
    cap = DOCUMENTED["processes"]
    assert cap - 8 <= started <= cap + 4, started


# ---- validation -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(DOCUMENTED))
@pytest.mark.parametrize("bad", [0, 0.0, -1, -0.5, "5", None, True, False, [1]])
def test_invalid_values_are_rejected(name, bad):
    with pytest.raises(ValueError, match=rf"Limits\.{name} must be a positive number"):
        Limits(**{name: bad})


@pytest.mark.parametrize("mb", [1, 31, 31.0])
def test_memory_below_32_mb_is_rejected(mb):
    with pytest.raises(ValueError, match="memory_mb below 32"):
        Limits(memory_mb=mb)


def test_valid_values_are_kept():
    lim = Limits(cpu_s=0.5, wall_s=1, memory_mb=32, output_bytes=1, processes=1, open_files=1)
    assert (lim.cpu_s, lim.wall_s, lim.memory_mb, lim.output_bytes) == (0.5, 1, 32, 1)
    assert lim.to_wire() == dataclasses.asdict(lim)


def test_limits_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Limits().cpu_s = 1.0  # type: ignore[misc]


@pytest.mark.parametrize("name", ["cpu_s", "wall_s", "memory_mb", "processes"])
@pytest.mark.parametrize("bad", [math.nan, math.inf, 1e20])
def test_nan_infinite_and_huge_values_are_rejected(name, bad):
    """They passed before and broke later: a NaN or huge wall time raised out of `run` and lost
    its worker, so the next run on a one-worker pool waited forever."""
    with pytest.raises(ValueError, match=rf"Limits\.{name} must be"):
        Limits(**{name: bad})


@pytest.mark.parametrize("name", ["memory_mb", "output_bytes", "processes", "open_files"])
def test_counts_must_be_whole_numbers(name):
    """A fraction was truncated (`output_bytes=0.5` capped output at 0) or refused by the
    kernel at every run (`processes=4.5` as pids.max)."""
    with pytest.raises(ValueError, match="whole number"):
        Limits(**{name: 64.5})
    whole = Limits(**{name: 64.0})
    assert getattr(whole, name) == 64 and type(getattr(whole, name)) is int


@pytest.mark.parametrize(
    "value, kept",
    [(Fraction(512, 1), 512), (Decimal("512"), 512), (512.0, 512), (Decimal("2.5"), 2.5)],
)
def test_numbers_of_any_kind_mean_their_value(value, kept):
    """Config files and array code pass 512.0, Fraction or Decimal: a whole value is the count,
    and a time keeps its fraction; what reaches the workers is a plain int or float."""
    name = "cpu_s" if kept == 2.5 else "memory_mb"
    got = getattr(Limits(**{name: value}), name)
    assert got == kept and type(got) is type(kept)


def test_values_the_kernel_refuses_are_refused_when_made():
    """They passed before and made every run a sandbox_error: pids.max past the kernel's
    pid_max, RLIMIT_NOFILE past the hard limit the runs inherit."""
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY:
        assert Limits(open_files=hard).open_files == hard
        with pytest.raises(ValueError, match="open_files must be at most"):
            Limits(open_files=hard + 1)
    with pytest.raises(ValueError, match="processes must be at most"):
        Limits(processes=(1 << 22) - 5)
    with pytest.raises(ValueError, match="memory_mb must be at most"):
        Limits(memory_mb=Fraction(10**400, 1))


@pytest.mark.parametrize("text", ["Infinity", "-Infinity", "NaN", "sNaN", "1e1000000", "2.5"])
def test_decimals_no_count_can_use_are_refused_with_a_value_error(text):
    """Decimal's own errors (Overflow, InvalidOperation) and a slow int() of a huge exponent
    were what such values met before."""
    with pytest.raises(ValueError, match=r"Limits\.memory_mb must be"):
        Limits(memory_mb=Decimal(text))
