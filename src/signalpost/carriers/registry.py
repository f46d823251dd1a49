"""Which carrier a message leaves through, and which channels can leave at all."""

from __future__ import annotations

from collections.abc import Iterable

from signalpost.carriers.base import Carrier, ReceiptSink
from signalpost.carriers.breaker import CircuitBreaker, CircuitState

__all__ = ["CarrierRegistry"]


class CarrierRegistry:
    """Named carriers and the routing rule.

    The longest destination prefix whose route carries the message's channel wins, else the
    default carrier if it carries the channel, else there is no route: a channel is only
    ever handed to a carrier that carries it.  A route may list fallbacks: the first
    carrier of the route that is ``available`` and whose circuit lets traffic through
    takes the message (the first one if none does), preferring any other to the one a
    message last failed on (``avoid``).  A route carries the channels it is limited to,
    and only those its carriers carry.  Messages sent with a test key always leave through
    the test carrier (the simulator, registered without any route when another carrier is
    configured), whatever the routes say.

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
        # (prefix, carrier names in order of preference, channels), longest first
        self.prefixes: list[tuple[str, tuple[str, ...], frozenset[str]]] = []

    def add_route(
        self,
        prefix: str,
        carrier: str,
        *,
        fallbacks: Iterable[str] = (),
        channels: Iterable[str] | None = None,
    ) -> None:
        names = (carrier, *fallbacks)
        for name in names:
            if name not in self.carriers:
                raise ValueError(f"unknown carrier {name!r}")
        carried = frozenset.intersection(*(self.carriers[n].channels for n in names))
        only = carried if channels is None else carried & frozenset(channels)
        self.prefixes.append((prefix, names, only))
        self.prefixes.sort(key=lambda p: -len(p[0]))

    def route(
        self, to: str, channel: str, *, test: bool = False, avoid: str | None = None
    ) -> Carrier | None:
        """The carrier for a message, or None when no configured carrier carries it."""
        if test and self.test is not None:
            return self.carriers[self.test]
        for prefix, names, only in self.prefixes:
            if to.startswith(prefix) and channel in only:
                return self._pick(names, avoid)
        if self.default is not None and channel in self.carriers[self.default].channels:
            return self.carriers[self.default]
        return None

    def _pick(self, names: tuple[str, ...], avoid: str | None) -> Carrier:
        ordered = names if avoid is None else sorted(names, key=lambda n: n == avoid)
        for name in ordered:
            carrier = self.carriers[name]
            usable = carrier.available or carrier.served_elsewhere
            if usable and self.breakers[name].allows():
                return carrier
        return self.carriers[names[0]]

    def alternative(self, to: str, channel: str, failed: str) -> str | None:
        """Another carrier of the message's route that could take it now, if any."""
        for prefix, names, only in self.prefixes:
            if to.startswith(prefix) and channel in only:
                for name in names:
                    breaker = self.breakers[name]
                    carrier = self.carriers[name]
                    up = carrier.available or carrier.served_elsewhere
                    usable = breaker.state != CircuitState.OPEN and up
                    if name != failed and usable:
                        return name
                return None
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
        carried = {c for _, _, only in self.prefixes for c in only}
        if self.default is not None:
            carried |= self.carriers[self.default].channels
        return frozenset(carried)

    async def start(self, sink: ReceiptSink) -> None:
        for carrier in self.carriers.values():
            await carrier.start(sink)

    async def stop(self) -> None:
        for carrier in self.carriers.values():
            await carrier.stop()
