"""Which carrier a message leaves through."""

from __future__ import annotations

from collections.abc import Iterable

from signalpost.carriers.base import Carrier, ReceiptSink

__all__ = ["CarrierRegistry"]


class CarrierRegistry:
    """Named carriers and the routing rule: the longest matching destination prefix wins,
    otherwise the default carrier.  A route may list fallbacks: the first carrier of the
    route that is ``available`` takes the message (the first one if none is), and it may
    be limited to some channels.  Messages sent with a test key always leave through the
    test carrier (the simulator), whatever the routes say."""

    def __init__(
        self, carriers: Iterable[Carrier], *, default: str, test: str = "simulator"
    ) -> None:
        self.carriers = {c.name: c for c in carriers}
        if default not in self.carriers:
            raise ValueError(f"unknown default carrier {default!r}")
        self.default = default
        self.test = test if test in self.carriers else default
        # (prefix, carrier names in order of preference, channels or None), longest first
        self.prefixes: list[tuple[str, tuple[str, ...], frozenset[str] | None]] = []

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
        only = frozenset(channels) if channels is not None else None
        self.prefixes.append((prefix, names, only))
        self.prefixes.sort(key=lambda p: -len(p[0]))

    def route(self, to: str, channel: str, *, test: bool = False) -> Carrier:
        if test:
            return self.carriers[self.test]
        for prefix, names, only in self.prefixes:
            if to.startswith(prefix) and (only is None or channel in only):
                candidates = [self.carriers[n] for n in names]
                return next((c for c in candidates if c.available), candidates[0])
        return self.carriers[self.default]

    async def start(self, sink: ReceiptSink) -> None:
        for carrier in self.carriers.values():
            await carrier.start(sink)

    async def stop(self) -> None:
        for carrier in self.carriers.values():
            await carrier.stop()
