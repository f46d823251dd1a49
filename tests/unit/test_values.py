"""Frozen value types with a quick ``__init__`` behave as the dataclass made them."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import dataclass, field

import pytest

from signalpost.values import quick_init


@quick_init
@dataclass(frozen=True, slots=True)
class Point:
    x: int
    y: int = 0
    label: str | None = None


def test_construction_defaults_and_keywords_are_the_dataclass_s() -> None:
    assert Point(1) == Point(1, 0, None) == Point(x=1, label=None)
    assert Point(1, 2, "a") == Point(label="a", y=2, x=1)
    assert repr(Point(1, label="a")) == "Point(x=1, y=0, label='a')"
    assert hash(Point(1, 2)) == hash(Point(1, 2))
    assert dataclasses.replace(Point(1, 2), y=5) == Point(1, 5)
    assert pickle.loads(pickle.dumps(Point(3, 4, "b"))) == Point(3, 4, "b")
    assert not hasattr(Point(1), "__dict__")  # slots kept


def test_copies_are_equal_values_of_the_class() -> None:
    point = Point(1, 2, "a")
    for twin in (copy.copy(point), copy.deepcopy(point)):
        assert twin == point
        assert type(twin) is Point


def test_value_types_are_final() -> None:
    with pytest.raises(TypeError, match="may not be subclassed"):

        class Point3(Point):
            pass


def test_instances_stay_frozen() -> None:
    point = Point(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 2  # type: ignore[misc]


def test_wrong_arguments_fail_as_they_did() -> None:
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, z=3)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, 2, "a", 4)  # type: ignore[call-arg]


def test_only_plain_frozen_slotted_dataclasses_are_taken() -> None:
    @dataclass(frozen=True)
    class NoSlots:
        x: int

    @dataclass(slots=True)
    class NotFrozen:
        x: int

    @dataclass(frozen=True, slots=True)
    class Factory:
        items: list[int] = field(default_factory=list)

    for cls in (NoSlots, NotFrozen, Factory):
        with pytest.raises(TypeError):
            quick_init(cls)
