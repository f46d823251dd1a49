"""The per-carrier circuit breaker and how routes use it."""

from __future__ import annotations

from collections.abc import Sequence

from signalpost.carriers.base import Carrier, Submission, SubmitResult
from signalpost.carriers.breaker import CircuitBreaker, CircuitState
from signalpost.carriers.registry import CarrierRegistry


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Named(Carrier):
    def __init__(self, name: str) -> None:
        self.name = name

    async def submit(self, batch: Sequence[Submission]) -> list[SubmitResult]:
        raise NotImplementedError


def test_opens_after_consecutive_failures_and_probes_once_before_closing() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, open_seconds=10, clock=clock)
    breaker.failure()
    breaker.failure()
    breaker.success()  # not consecutive: starts again
    breaker.failure()
    breaker.failure()
    assert breaker.allows()
    breaker.failure()
    assert breaker.state == CircuitState.OPEN
    assert not breaker.allows()
    clock.now += 10
    assert breaker.state.value == "half_open"
    assert breaker.allows()  # the probe
    assert not breaker.allows()  # only one at a time
    breaker.success()
    assert breaker.state.value == "closed"
    assert breaker.allows()


def test_a_failed_probe_opens_the_circuit_again() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, open_seconds=5, clock=clock)
    breaker.failure()
    clock.now += 5
    assert breaker.allows()
    breaker.failure()
    assert breaker.state == CircuitState.OPEN
    clock.now += 4.9
    assert not breaker.allows()


def test_a_probe_without_an_answer_lets_another_through_later() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, open_seconds=5, clock=clock)
    breaker.failure()
    clock.now += 5
    assert breaker.allows()
    clock.now += 5
    assert breaker.allows()


def _registry(clock: Clock) -> CarrierRegistry:
    breakers = {n: CircuitBreaker(threshold=2, open_seconds=5, clock=clock) for n in "ab"}
    registry = CarrierRegistry([Named("a"), Named("b")], default=None, breakers=breakers)
    registry.add_route("+1", "a", fallbacks=["b"])
    return registry


def test_routes_skip_a_carrier_whose_circuit_is_open_and_return_after_a_probe() -> None:
    clock = Clock()
    registry = _registry(clock)
    assert registry.route("+14155550100", "sms").name == "a"  # type: ignore[union-attr]
    registry.record("a", ok=False)
    registry.record("a", ok=False)
    assert registry.route("+14155550100", "sms").name == "b"  # type: ignore[union-attr]
    assert registry.alternative("+14155550100", "sms", "b") is None
    clock.now += 5
    assert registry.route("+14155550100", "sms").name == "a"  # type: ignore[union-attr]
    assert registry.route("+14155550100", "sms").name == "b"  # type: ignore[union-attr]
    registry.record("a", ok=True)
    assert registry.route("+14155550100", "sms").name == "a"  # type: ignore[union-attr]


def test_a_message_prefers_another_carrier_than_the_one_it_failed_on() -> None:
    registry = _registry(Clock())
    chosen = registry.route("+14155550100", "sms", avoid="a")
    assert chosen is not None
    assert chosen.name == "b"
    assert registry.alternative("+14155550100", "sms", "a") == "b"
    only_a = CarrierRegistry([Named("a")], default=None)
    only_a.add_route("", "a")
    chosen = only_a.route("+14155550100", "sms", avoid="a")
    assert chosen is not None
    assert chosen.name == "a"
