"""Inputs a red-team pass of the reward layer found to raise inside a trainer, or to score
wrongly without an error (2026-11-24). Each asserts the well-defined outcome."""

from __future__ import annotations

import json
import os

import pytest
from r1reward.rewards import Accuracy, CosineLength, Engine, SoftOverlong
from r1reward.rewards.adapters import compute_score
from r1reward.rewards.code_jobs import code_payload
from r1reward.rewards.compose import Weighted
from r1reward.rewards.core import default_engine, set_default_engine

np = pytest.importorskip("numpy")
INLINE = Engine(workers=0)


@pytest.mark.parametrize("reference", ["[" * 100_000, '{"a":' * 50_000])
def test_a_reference_nested_past_the_json_parser_is_a_score(reference):
    """json.loads raised RecursionError, which escaped Accuracy, r1_zero and verl's adapter (and
    made `serve` answer 500 for the whole batch)."""
    assert Accuracy(engine=INLINE)([r"\boxed{2}"], solution=[reference]) in ([0.0], [None])
    assert compute_score("math", r"\boxed{2}", reference)["score"] in (0.0, None)


def test_arrays_in_code_tests_travel_as_lists():
    """A parquet row read by pandas holds numpy arrays: they became their repr, so a right
    program failed most tests."""
    as_lists = code_payload("p", {"inputs": ["1\n", "2\n"], "outputs": ["2\n", "3\n"]})
    arrays = {"inputs": np.array(["1\n", "2\n"]), "outputs": np.array(["2\n", "3\n"])}
    assert code_payload("p", arrays) == as_lists
    assert json.loads(code_payload("p", {"fn_name": "f", "inputs": [np.int64(3)]})[1]) == {
        "fn_name": "f",
        "inputs": [3],
    }


def test_code_tests_with_keys_of_mixed_types_do_not_raise():
    assert json.loads(code_payload("p", {1: "a", "b": 2})[1]) == {"1": "a", "b": 2}


def test_array_references_are_their_values():
    acc = Accuracy(engine=INLINE)
    assert acc([r"\boxed{2}", r"\boxed{3}"], solution=np.array([2, 3])) == [1.0, 1.0]
    assert acc([r"\boxed{2}"], solution=[np.array(2)]) == [1.0]  # 0-d: one value
    assert acc([r"\boxed{2}"], solution=[np.array([2, 5])]) == [1.0]  # alternatives


def test_a_reference_too_long_to_print_is_no_reference():
    """str() of an int past 4300 digits raises ValueError."""
    assert Accuracy(engine=INLINE)([r"\boxed{2}"], solution=[10**5000]) == [None]


@pytest.mark.parametrize("reward", [SoftOverlong, CosineLength])
def test_completion_ids_must_match_the_completions(reward):
    """SoftOverlong returned 2 values for 3 completions."""
    with pytest.raises(ValueError, match="3 completions but 2 completion_ids"):
        reward(unit="tokens")(["a", "b", "c"], completion_ids=[[1], [2]], solution=["1"] * 3)


@pytest.mark.parametrize("weight", [float("nan"), float("inf"), None, "1", True])
def test_weights_are_checked_when_the_reward_is_built(weight):
    with pytest.raises(ValueError, match="finite number"):
        Weighted([(Accuracy(engine=INLINE), weight)])
    assert Weighted([(Accuracy(engine=INLINE), np.float32(0.5))])([r"\boxed{2}"], solution=["2"])


def test_the_chosen_default_engine_survives_a_fork():
    """After set_default_engine, a forked child (a DataLoader worker) got a fresh Engine() and
    lost every setting (workers=0, executor, sandbox factory)."""
    mine = Engine(workers=0)
    before = default_engine()
    try:
        set_default_engine(mine)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through the pipe
            try:
                os.write(w, b"same" if default_engine() is mine else b"other")
            finally:
                os._exit(0)
        os.close(w)
        answer = os.read(r, 16)
        os.close(r)
        os.waitpid(pid, 0)
        assert answer == b"same"
    finally:
        set_default_engine(before)


def test_numpy_numbers_are_math_references():
    from r1reward.verifiers.math import verify

    assert verify(np.int64(72), r"\boxed{72}") and verify(np.float32(0.5), r"\boxed{\frac12}")
    assert not verify(np.int64(72), r"\boxed{71}")
