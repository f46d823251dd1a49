"""Build a deployment's carriers from settings: the simulator, or SMPP connections."""

from __future__ import annotations

from signalpost.carriers.base import Carrier
from signalpost.carriers.breaker import CircuitBreaker
from signalpost.carriers.http import HttpCarrier, ProviderConfig, SentDmCarrier
from signalpost.carriers.http.mailersend import MailerSendCarrier
from signalpost.carriers.registry import CarrierRegistry
from signalpost.carriers.simulator import SimulatorCarrier
from signalpost.carriers.smpp.carrier import SmppCarrier
from signalpost.carriers.smpp.config import ConfigError, SmppConfig, load_config
from signalpost.config import Settings
from signalpost.egress import AddressGuard, EgressClient, Resolver, system_resolver
from signalpost.storage import Database

__all__ = ["build_registry", "smpp_registry"]


def smpp_registry(
    config: SmppConfig,
    db: Database,
    simulator: SimulatorCarrier,
    *,
    simulated_channels: frozenset[str] = frozenset(),
) -> CarrierRegistry:
    """SMS leaves over the configured routes; no other channel leaves at all, except those
    the operator sends to the simulator on purpose (``simulated_channels``).  The simulator
    is registered in any case, for test keys."""
    carriers: list[Carrier] = [SmppCarrier(c, db) for c in config.connections]
    carriers += [http_carrier(p, db) for p in config.providers]
    breakers = {
        p.name: CircuitBreaker(threshold=p.failure_threshold, open_seconds=p.open_seconds)
        for p in config.providers
    }
    registry = CarrierRegistry([simulator, *carriers], default=None, breakers=breakers)
    for route in config.routes:
        first, *rest = route.connections
        registry.add_route(
            route.prefix, first, fallbacks=rest, channels=route.channels, weights=route.weights
        )
    if simulated_channels:
        registry.add_route("", simulator.name, channels=simulated_channels)
    return registry


def http_carrier(
    config: ProviderConfig, db: Database, *, resolver: Resolver = system_resolver
) -> HttpCarrier:
    """The carrier for an HTTP provider of the carriers file.

    It sends through a guarded :class:`EgressClient` of its own (the provider's
    ``allow_private`` decides whether non-public addresses may be reached; its connections
    are bounded by the provider's ``concurrency``), closed when the carrier stops.
    ``resolver`` is a seam for tests.
    """
    guard = AddressGuard(allow_private=config.allow_private, resolver=resolver)
    client = EgressClient(guard, connections=config.concurrency)
    if config.kind == "sentdm":
        return SentDmCarrier(config, db, client)
    return MailerSendCarrier(config, db, client)


def build_registry(settings: Settings, db: Database) -> CarrierRegistry:
    """``SIGNALPOST_CARRIER=simulator`` (default) or ``smpp`` with ``SIGNALPOST_SMPP_CONFIG``."""
    simulator = SimulatorCarrier(db, latency_ms=settings.simulator_latency_ms)
    if settings.carrier == "simulator":
        return CarrierRegistry([simulator], default=simulator.name)
    if settings.carrier != "smpp":
        raise ConfigError(f"unknown carrier {settings.carrier!r}: use simulator or smpp")
    if settings.smpp_config is None:
        raise ConfigError("SIGNALPOST_CARRIER=smpp needs SIGNALPOST_SMPP_CONFIG")
    return smpp_registry(
        load_config(settings.smpp_config),
        db,
        simulator,
        simulated_channels=frozenset(settings.simulator_channels),
    )
