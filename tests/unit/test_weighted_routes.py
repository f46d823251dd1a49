"""Weighted routes: traffic splits in proportion to the weights among the carriers that can
take it, each message's choice fixed by its id; failover follows the message's order."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signalpost.carriers.base import Carrier, Submission, SubmitResult
from signalpost.carriers.breaker import CircuitBreaker
from signalpost.carriers.registry import CarrierRegistry
from signalpost.carriers.simulator import SimulatorCarrier
from signalpost.carriers.smpp.config import ConfigError, parse_config
from signalpost.carriers.smpp.wiring import smpp_registry
from signalpost.domain.routing import weighted_order
from signalpost.storage import Database

TO = "+14155550100"
MESSAGES = 3000


class Named(Carrier):
    def __init__(self, name: str, *, available: bool = True) -> None:
        self.name = name
        self._available = available

    @property
    def available(self) -> bool:
        return self._available

    async def submit(self, batch: Sequence[Submission]) -> list[SubmitResult]:
        raise NotImplementedError


def _registry(
    weights: Sequence[int],
    *,
    opened: frozenset[int] = frozenset(),
    away: frozenset[int] = frozenset(),
) -> CarrierRegistry:
    """Carriers c0, c1... with ``weights``; those in ``opened`` have an open circuit, those in
    ``away`` are not available (a provider's Retry-After, say)."""
    names = [f"c{i}" for i in range(len(weights))]
    carriers = [Named(n, available=i not in away) for i, n in enumerate(names)]
    breakers = {n: CircuitBreaker(threshold=1, open_seconds=3600) for n in names}
    for i in opened:
        breakers[names[i]].failure()
    registry = CarrierRegistry(carriers, default=None, breakers=breakers)
    registry.add_route("+1", names[0], fallbacks=names[1:], weights=weights)
    return registry


def _split(registry: CarrierRegistry, seed: int) -> Counter[str]:
    picked: Counter[str] = Counter()
    for i in range(MESSAGES):
        carrier = registry.route(TO, "sms", key=f"{seed}-{i}")
        assert carrier is not None
        picked[carrier.name] += 1
    return picked


@st.composite
def routes(draw: st.DrawFn) -> tuple[list[int], frozenset[int], frozenset[int]]:
    weights = draw(st.lists(st.integers(1, 10), min_size=2, max_size=5))
    indices = range(len(weights))
    usable = draw(st.sets(st.sampled_from(indices), min_size=1))
    down = [i for i in indices if i not in usable]
    opened = draw(st.sets(st.sampled_from(down))) if down else set()
    return weights, frozenset(opened), frozenset(i for i in down if i not in opened)


@settings(max_examples=30, deadline=None)
@given(route=routes(), seed=st.integers(0, 2**32))
def test_the_split_follows_the_weights_among_usable_carriers(
    route: tuple[list[int], frozenset[int], frozenset[int]], seed: int
) -> None:
    weights, opened, away = route
    picked = _split(_registry(weights, opened=opened, away=away), seed)
    usable_total = sum(w for i, w in enumerate(weights) if i not in opened | away)
    for i, weight in enumerate(weights):
        name = f"c{i}"
        if i in opened or i in away:
            assert picked[name] == 0, f"{name} cannot take messages but got {picked[name]}"
            continue
        share = weight / usable_total
        expected = MESSAGES * share
        tolerance = 5 * math.sqrt(MESSAGES * share * (1 - share)) + 1  # five sigmas
        assert abs(picked[name] - expected) <= tolerance, (name, picked, weights)


@settings(max_examples=50, deadline=None)
@given(
    weights=st.lists(st.integers(0, 5), min_size=1, max_size=6).filter(lambda w: sum(w) > 0),
    key=st.text(max_size=40),
)
def test_a_message_meets_the_carriers_in_one_order_with_standbys_last(
    weights: list[int], key: str
) -> None:
    carriers = [(f"c{i}", w) for i, w in enumerate(weights)]
    order = weighted_order(carriers, key)
    assert order == weighted_order(carriers, key)  # the same for a retry
    assert sorted(order) == sorted(name for name, _ in carriers)
    standby = [name for name, w in carriers if w == 0]
    assert order[len(order) - len(standby) :] == standby


def test_a_standby_takes_messages_only_when_no_weighted_carrier_can() -> None:
    assert _split(_registry([1, 1, 0]), 7)["c2"] == 0
    assert _split(_registry([1, 1, 0], opened=frozenset({0, 1})), 7) == Counter({"c2": MESSAGES})


def test_failover_goes_to_another_carrier_in_the_message_order_never_back() -> None:
    registry = _registry([3, 2, 1])
    for i in range(200):
        key = f"m-{i}"
        first = registry.route(TO, "sms", key=key)
        assert first is not None
        other = registry.alternative(TO, "sms", first.name, key=key)
        assert other is not None
        assert other != first.name
        assert other == weighted_order([("c0", 3), ("c1", 2), ("c2", 1)], key)[1]
        moved = registry.route(TO, "sms", key=key, avoid=first.name)
        assert moved is not None
        assert moved.name == other  # where the activity said it would go
    lone = _registry([3, 2, 1], opened=frozenset({1, 2}))
    assert lone.alternative(TO, "sms", "c0", key="m-1") is None  # nowhere else to go


def test_the_old_priority_list_keeps_its_order() -> None:
    registry = CarrierRegistry([Named("a"), Named("b")], default=None)
    registry.add_route("+1", "a", fallbacks=["b"])
    assert {registry.route(TO, "sms", key=f"m-{i}").name for i in range(100)} == {"a"}  # type: ignore[union-attr]


_SMPP = {"host": "h", "port": 2775, "system_id": "s", "password": "p"}


def _document(connections: object) -> dict[str, object]:
    return {
        "connections": [{"name": "a", **_SMPP}, {"name": "b", **_SMPP}],
        "routes": [{"prefix": "+1", "connections": connections}],
    }


def test_the_carriers_file_gives_weights_as_tables() -> None:
    config = parse_config(_document([{"name": "a", "weight": 3}, {"name": "b", "weight": 1}]))
    assert (config.routes[0].connections, config.routes[0].weights) == (("a", "b"), (3, 1))
    plain = parse_config(_document(["b", "a"]))
    assert (plain.routes[0].connections, plain.routes[0].weights) == (("b", "a"), None)


@pytest.mark.parametrize(
    ("connections", "message"),
    [
        (["a", {"name": "b", "weight": 1}], "all names .* or all"),
        ([{"name": "a", "weight": -1}], "weight must be an integer >= 0"),
        ([{"name": "a", "weight": 1.5}], "weight must be an integer >= 0"),
        ([{"name": "a", "weight": True}], "weight must be an integer >= 0"),
        ([{"name": "a"}], "weight must be an integer >= 0"),
        ([{"weight": 1}], "needs a name"),
        ([{"name": "a", "weight": 0}, {"name": "b", "weight": 0}], "at least one weight"),
        ([{"name": "a", "weight": 1}, {"name": "a", "weight": 2}], "twice"),
        ([{"name": "a", "weight": 1, "priority": 2}], "unknown setting 'priority'"),
        ([{"name": "z", "weight": 1}], "unknown connection 'z'"),
    ],
)
def test_weighted_route_errors_say_what_is_wrong(connections: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(_document(connections))


def test_the_carriers_file_weights_reach_the_registry() -> None:
    config = parse_config(_document([{"name": "a", "weight": 1}, {"name": "b", "weight": 0}]))
    db = cast(Database, None)
    simulator = SimulatorCarrier(db)
    registry = smpp_registry(config, db, simulator)
    [entry] = [r for r in registry.routes if r.prefix == "+1"]
    assert (entry.names, entry.weights) == (("a", "b"), (1, 0))
    assert {registry.route(TO, "sms", key=f"m-{i}").name for i in range(50)} == {"a"}  # type: ignore[union-attr]
