"""The fast constructor builds the same frozen objects as the dataclass __init__."""

from __future__ import annotations

import dataclasses
import pickle

import pytest
from r1reward.rewards.core import ItemResult
from r1reward.rewards.functions import Scored
from r1reward.verifiers._frozen import fast_constructor
from r1reward.verifiers.math.verdict import MathVerdict
from r1reward.verifiers.think import FormatVerdict


@dataclasses.dataclass(frozen=True, slots=True)
class Sample:
    a: int
    b: str = "b"
    c: list = dataclasses.field(default_factory=list)


make_sample = fast_constructor(Sample, "make_sample", __name__)


def test_same_object_as_the_dataclass_init():
    for args in [(1,), (1, "x"), (1, "x", [2])]:
        built = make_sample(*args)
        assert type(built) is Sample
        assert built == Sample(*args)
        assert dataclasses.asdict(built) == dataclasses.asdict(Sample(*args))
    assert make_sample(a=3, c=[1]) == Sample(3, c=[1])


def test_default_factories_give_a_fresh_value_per_object():
    first, second = make_sample(1), make_sample(1)
    assert first.c == [] and first.c is not second.c


def test_built_objects_stay_frozen():
    built = make_sample(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.a = 2  # type: ignore[misc]


def test_built_objects_pickle_and_the_constructor_pickles_by_reference():
    built = make_sample(1, "x", [3])
    assert pickle.loads(pickle.dumps(built)) == built
    assert pickle.loads(pickle.dumps(make_sample)) is make_sample


def test_refuses_classes_it_cannot_build_faithfully():
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class PostInit:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclasses.dataclass(frozen=True, slots=True)
    class KeywordOnly:
        a: int = 0
        b: int = dataclasses.field(default=1, kw_only=True)

    for cls in (NoSlots, PostInit, KeywordOnly):
        with pytest.raises(TypeError):
            fast_constructor(cls, "x", __name__)


def test_a_field_named_like_the_generated_local_is_kept():
    @dataclasses.dataclass(frozen=True, slots=True)
    class Odd:
        _obj: int
        _obj_: str

    built = fast_constructor(Odd, "x", __name__)(1, "a")
    assert built == Odd(1, "a") and built._obj == 1


@pytest.mark.parametrize(
    "value",
    [
        ItemResult("ok", 1.5),
        ItemResult("error", None, "boom"),
        MathVerdict(True, "equivalent", "1", "1", "string"),
        Scored(None, {"reason": "x"}),
        FormatVerdict(True, (), "r", "a", 1.0, "tags"),
    ],
)
def test_result_objects_round_trip_through_pickle(value):
    back = pickle.loads(pickle.dumps(value))
    assert back == value and type(back) is type(value)
