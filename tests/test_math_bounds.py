"""Time bounds, pathological input, threads and worker processes."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest
from r1reward.verifiers.math import verify

PATHOLOGICAL = [
    ("1", r"\boxed{5^{5^{5^{5^5}}}}"),
    (r"5^{5^{5^{5^5}}}", r"\boxed{5^{5^{5^{3125}}}}"),
    ("1", r"\boxed{(10^{10^{10}})!}"),
    (r"(10^{10^{10}})!", r"\boxed{(10^{10^{10}})! + 1}"),
    ("1", r"\boxed{" + "{" * 100_000 + "1" + "}" * 100_000 + "}"),
    ("1", "{" * 100_000),
    ("1", "(" * 100_000),
    ("1", r"\boxed{" + "(" * 500 + "1" + ")" * 500 + "}"),
    ("1", r"\frac{1}{" * 5_000),
    ("1", "x" * 1_000_000 + r" \boxed{2}"),
    ("1", "$" * 1_000_000),
    ("1", r"\boxed" * 100_000),
    ("x", r"\boxed{" + "+".join(["x"] * 5_000) + "}"),
    ("1", r"\boxed{9^{9^{9^{9^{9}}}}}"),
    ("1", r"\boxed{\sqrt{2}^{10^{9}}}"),
    ("1", r"\boxed{100!!!}"),
    ("", ""),
    ("1", ""),
    ("", "1"),
]


@pytest.mark.parametrize(("gold", "pred"), PATHOLOGICAL, ids=range(len(PATHOLOGICAL)))
def test_pathological_input_returns_in_time(gold, pred):
    start = time.perf_counter()
    v = verify(gold, pred, timeout=1.0)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.5, f"took {elapsed:.2f}s"
    assert not v
    assert v.reason in (
        "timeout",
        "unparseable",
        "too_large",
        "no_answer",
        "no_reference",
        "differs",
    )


def test_tiny_timeout_gives_timeout_reason():
    v = verify(r"\frac{\sqrt{3}}{2}", r"\boxed{\frac{1}{2}\sqrt{3}}", timeout=0.0)
    assert not v and v.reason == "timeout"


def test_bad_types_do_not_raise():
    v = verify(None, 3)  # type: ignore[arg-type]
    assert not v and v.reason == "unparseable"


PAIRS = [
    (r"\frac{1}{2}", r"\boxed{0.5}"), (r"\sqrt8", r"\boxed{2\sqrt2}"), ("(x+1)^2", r"\boxed{x^2+2x+1}"),
    (r"\{1,2\}", r"\boxed{2,1}"), (r"7\pi", r"\boxed{7}"), ("10{,}000", "Answer: 10000"),
    (r"\frac{1}{2004!}", r"\boxed{\frac{1}{2006!}}"), ("x > 2", r"\boxed{(2, \infty)}"),
] * 25  # fmt: skip


def _verify_pair(pair):
    v = verify(*pair)
    return bool(v), v.reason, v.method


def test_threads_give_the_serial_results():
    serial = [_verify_pair(p) for p in PAIRS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(_verify_pair, PAIRS))
    assert threaded == serial
    assert any(r[0] for r in serial) and not all(r[0] for r in serial)


def test_process_pool_gives_the_serial_results():
    serial = [_verify_pair(p) for p in PAIRS[:16]]
    with ProcessPoolExecutor(max_workers=2) as pool:
        in_workers = list(pool.map(_verify_pair, PAIRS[:16]))
    assert in_workers == serial


def test_import_is_light():
    import subprocess
    import sys

    code = "import sys, r1reward.verifiers.math; print('sympy' in sys.modules, 'mpmath' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
