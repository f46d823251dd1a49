"""Gauges read when Prometheus scrapes: the database's queues and the SMPP sessions."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from signalpost.carriers.base import Carrier
from signalpost.carriers.smpp.carrier import SmppCarrier
from signalpost.observability import repository as repo
from signalpost.observability.metrics import Sample
from signalpost.storage import Database
from signalpost.timeutil import now_us

__all__ = ["database_samples", "smpp_samples"]


async def database_samples(db: Database) -> list[Sample]:
    now = now_us()
    async with db.reader() as conn:
        queued, due, oldest_due = await repo.due_messages(conn, now)
        backlog = await repo.webhook_backlog(conn)
    oldest_age = max(0.0, (now - oldest_due) / 1e6) if oldest_due is not None else 0.0
    return [
        (
            "signalpost_dispatch_queue_messages",
            "Messages in the dispatch queue",
            (),
            [((), queued)],
        ),
        (
            "signalpost_dispatch_due_messages",
            "Messages due for a carrier now (not leased, not held, not scheduled later)",
            (),
            [((), due)],
        ),
        (
            "signalpost_dispatch_oldest_due_seconds",
            "How long the oldest due message has waited for a worker",
            (),
            [((), oldest_age)],
        ),
        (
            "signalpost_webhook_backlog_events",
            "Webhook events still to deliver, by endpoint",
            ("endpoint",),
            [((r[0],), r[1]) for r in backlog],
        ),
        (
            "signalpost_webhook_oldest_pending_seconds",
            "Age of the oldest webhook event still to deliver, by endpoint",
            ("endpoint",),
            [((r[0],), max(0.0, (now - r[2]) / 1e6)) for r in backlog],
        ),
    ]


def smpp_samples(carriers: Iterable[Carrier]) -> list[Sample]:
    """Per SMPP connection: bound sessions, window in use, binds, reconnects, throttles."""
    smpp = [c for c in carriers if isinstance(c, SmppCarrier)]
    if not smpp:
        return []
    label = ("connection",)

    def each(value: Callable[[SmppCarrier], float]) -> list[tuple[tuple[str, ...], float]]:
        return [((c.name,), value(c)) for c in smpp]

    return [
        ("signalpost_smpp_bound_sessions", "SMPP sessions bound now", label, each(_bound)),
        (
            "signalpost_smpp_window_in_use",
            "SMPP requests awaiting a response",
            label,
            each(_window),
        ),
        (
            "signalpost_smpp_binds_total",
            "SMPP binds since the process started",
            label,
            each(_binds),
        ),
        (
            "signalpost_smpp_reconnects_total",
            "SMPP binds after the first, per session",
            label,
            each(_rebinds),
        ),
        (
            "signalpost_smpp_throttled_total",
            "SMPP submits answered ESME_RTHROTTLED",
            label,
            each(_throttled),
        ),
    ]


def _bound(c: SmppCarrier) -> float:
    return sum(1 for link in c.links if link.session is not None and link.session.bound)


def _window(c: SmppCarrier) -> float:
    return sum(link.session.in_flight for link in c.links if link.session is not None)


def _binds(c: SmppCarrier) -> float:
    return sum(link.connects for link in c.links)


def _rebinds(c: SmppCarrier) -> float:
    return sum(max(0, link.connects - 1) for link in c.links)


def _throttled(c: SmppCarrier) -> float:
    return c.stats["throttled"]
