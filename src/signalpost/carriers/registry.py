"""Which carrier a message leaves through, and which channels can leave at all."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from signalpost.carriers.base import Carrier, CarrierEvents
from signalpost.carriers.breaker import CircuitBreaker, CircuitState
from signalpost.domain.routing import weighted_order

__all__ = ["CarrierRegistry", "RouteEntry"]


@dataclass(frozen=True, slots=True)
class RouteEntry:
    """A route: its destination prefix, carriers, their weights (None: in order of
    preference) and the channels it carries."""

    prefix: str
    names: tuple[str, ...]
    channels: frozenset[str]
    weights: tuple[int, ...] | None = None

    def order(self, key: str | None) -> list[str]:
        """The carriers in the order a message (``key``: its id) is offered to them."""
        if self.weights is None:
            return list(self.names)
        return weighted_order(list(zip(self.names, self.weights, strict=True)), key)


class CarrierRegistry:
    """Named carriers and the routing rule.

    The longest destination prefix whose route carries the message's channel wins, else the
    default carrier if it carries the channel, else there is no route: a channel is only
    ever handed to a carrier that carries it.  A route lists its carriers in order of
    preference, or with weights (:mod:`signalpost.domain.routing`: each message gets its
    own order of the carriers, fixed by its id, so that traffic splits in proportion to the
    weights among the carriers that can take it).  The first carrier in the message's order
    that is ``available`` and whose circuit lets traffic through takes the message (the
    first one if none does), preferring any other to the one the message last failed on
    (``avoid``).  A route carries the channels it is limited to, and only those its
    carriers carry.  Messages sent with a test key always leave through the test carrier
    (the simulator, registered without any route when another carrier is configured),
    whatever the routes say.

    A carrier ``served_elsewhere`` (other processes hold all its binds) counts as available
    here: the dispatcher hands its messages to those processes rather than failing them
    over to the next carrier of the route.
    """

    def __init__(
        self,
        carriers: Iterable[Carrier],
        *,
        default: str | None,
        test: str = "simulator",
        breakers: dict[str, CircuitBreaker] | None = None,
    ) -> None:
        self.carriers = {c.name: c for c in carriers}
        self.breakers = {name: CircuitBreaker() for name in self.carriers}
        self.breakers.update(breakers or {})
        if default is not None and default not in self.carriers:
            raise ValueError(f"unknown default carrier {default!r}")
        self.default = default
        self.test = test if test in self.carriers else default
        self.routes: list[RouteEntry] = []  # longest prefix first

    def add_route(
        self,
        prefix: str,
        carrier: str,
        *,
        fallbacks: Iterable[str] = (),
        channels: Iterable[str] | None = None,
        weights: Sequence[int] | None = None,
    ) -> None:
        """A route to ``carrier`` then ``fallbacks`` in order, or, with ``weights`` (one
        per carrier, >= 0, 0 for standby), split among them in proportion."""
        names = (carrier, *fallbacks)
        for name in names:
            if name not in self.carriers:
                raise ValueError(f"unknown carrier {name!r}")
        if weights is not None:
            if len(weights) != len(names) or min(weights) < 0 or sum(weights) <= 0:
                raise ValueError("a weight >= 0 per carrier, at least one of them > 0")
            if len(set(names)) != len(names):
                raise ValueError("a weighted route names each carrier once")
        carried = frozenset.intersection(*(self.carriers[n].channels for n in names))
        only = carried if channels is None else carried & frozenset(channels)
        entry = RouteEntry(prefix, names, only, None if weights is None else tuple(weights))
        self.routes.append(entry)
        self.routes.sort(key=lambda r: -len(r.prefix))

    def _route_for(self, to: str, channel: str) -> RouteEntry | None:
        for entry in self.routes:
            if to.startswith(entry.prefix) and channel in entry.channels:
                return entry
        return None

    def route(
        self,
        to: str,
        channel: str,
        *,
        test: bool = False,
        avoid: str | None = None,
        key: str | None = None,
    ) -> Carrier | None:
        """The carrier for a message (``key``: its id, which fixes its order on a weighted
        route), or None when no configured carrier carries it."""
        if test and self.test is not None:
            return self.carriers[self.test]
        entry = self._route_for(to, channel)
        if entry is not None:
            return self._pick(entry.order(key), avoid)
        if self.default is not None and channel in self.carriers[self.default].channels:
            return self.carriers[self.default]
        return None

    def _pick(self, order: list[str], avoid: str | None) -> Carrier:
        ordered = order if avoid is None else sorted(order, key=lambda n: n == avoid)
        for name in ordered:
            carrier = self.carriers[name]
            if carrier.routable and self.breakers[name].allows():
                return carrier
        return self.carriers[order[0]]

    def alternative(self, to: str, channel: str, failed: str, key: str | None = None) -> str | None:
        """Another carrier of the message's route that could take it now, if any (the next
        in the message's order, ``key`` being its id)."""
        entry = self._route_for(to, channel)
        if entry is None:
            return None
        for name in entry.order(key):
            open_circuit = self.breakers[name].state == CircuitState.OPEN
            if name != failed and not open_circuit and self.carriers[name].routable:
                return name
        return None

    def record(self, carrier: str, *, ok: bool) -> None:
        """Tell a carrier's circuit breaker how a submit went."""
        breaker = self.breakers[carrier]
        if ok:
            breaker.success()
        else:
            breaker.failure()

    @property
    def served_elsewhere(self) -> list[str]:
        """The carriers this process leaves to other processes (see the class)."""
        return sorted(name for name, c in self.carriers.items() if c.served_elsewhere)

    @property
    def channels(self) -> frozenset[str]:
        """Every channel some route (or the default carrier) carries."""
        carried = {c for entry in self.routes for c in entry.channels}
        if self.default is not None:
            carried |= self.carriers[self.default].channels
        return frozenset(carried)

    async def start(self, sink: CarrierEvents) -> None:
        for carrier in self.carriers.values():
            await carrier.start(sink)

    async def stop(self) -> None:
        for carrier in self.carriers.values():
            await carrier.stop()
