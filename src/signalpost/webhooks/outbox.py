"""The outbox: webhook events written in the same transaction as the state change.

:class:`Outbox` is a :class:`~signalpost.messages.transitions.Recorder` observer.  For each
applied lifecycle step it finds the tenant's endpoints, asks each endpoint's format
which event types the step produces and which of them the endpoint subscribed to, and
inserts one event row per (endpoint, event type), due at once; a disabled endpoint's
events are written paused, delivered once it is enabled again (or not written at all if
its format keeps no events while disabled).  Because it runs inside the
caller's transaction, a crash either keeps the step and its events or neither.

It runs on the send and dispatch hot paths for every message, so the endpoints of each
tenant are cached in-process (:class:`EndpointCache`, ``ttl`` seconds, negative answers
included): a tenant without endpoints costs one dictionary read per batch.  Changes made in
this process invalidate the cache at once; other processes see them within ``ttl``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson

from signalpost.messages.transitions import Applied
from signalpost.storage import Connection, Row
from signalpost.timeutil import new_id, now_us
from signalpost.webhooks import formats
from signalpost.webhooks import repository as repo
from signalpost.webhooks.formats import EndpointInfo, EventContext, WebhookFormat
from signalpost.webhooks.schemas import DeliveryStatus, EndpointRef

__all__ = ["EndpointCache", "Outbox"]

log = logging.getLogger("signalpost.webhooks")

_MAX_ENTRIES = 100_000


def _ref(row: Row) -> EndpointRef:
    return EndpointRef(
        id=row["id"],
        tenant_id=row["tenant_id"],
        organization_id=row["organization_id"],
        dialect=row["dialect"],
        url=row["url"],
        event_types=tuple(orjson.loads(row["event_types"])),
        attributes=orjson.loads(row["attributes"]) if row["attributes"] else {},
        enabled=bool(row["enabled"]),
    )


class EndpointCache:
    """Endpoints per tenant (enabled or not), each answer kept for ``ttl`` seconds."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, tuple[EndpointRef, ...]]] = {}
        self._epoch = 0  # bumped by invalidate(): a load begun before it is not kept

    async def for_tenants(
        self, conn: Connection, tenant_ids: Iterable[str]
    ) -> dict[str, tuple[EndpointRef, ...]]:
        now = time.monotonic()
        found: dict[str, tuple[EndpointRef, ...]] = {}
        missing: list[str] = []
        for tenant in tenant_ids:
            hit = self._entries.get(tenant)
            if hit is not None and hit[0] > now:
                found[tenant] = hit[1]
            else:
                missing.append(tenant)
        if missing:
            found.update(await self._load(conn, missing))
        return found

    async def _load(
        self, conn: Connection, tenants: list[str]
    ) -> dict[str, tuple[EndpointRef, ...]]:
        epoch = self._epoch
        loaded: dict[str, list[EndpointRef]] = {t: [] for t in tenants}
        for row in await repo.for_tenants(conn, tenants):
            loaded[row["tenant_id"]].append(_ref(row))
        result = {t: tuple(refs) for t, refs in loaded.items()}
        if epoch == self._epoch:
            if len(self._entries) > _MAX_ENTRIES:
                self._entries.clear()
            expires = time.monotonic() + self.ttl
            for tenant, refs in result.items():
                self._entries[tenant] = (expires, refs)
        return result

    def invalidate(self, tenant_id: str | None = None) -> None:
        """Forget one tenant (or every tenant) after its endpoints changed."""
        self._epoch += 1
        if tenant_id is None:
            self._entries.clear()
        else:
            self._entries.pop(tenant_id, None)


class Outbox:
    """The recorder observer that turns applied steps into webhook event rows."""

    def __init__(self, cache: EndpointCache, wake: Callable[[], None] | None = None) -> None:
        self.cache = cache
        self.wake = wake

    async def __call__(self, conn: Connection, applied: Sequence[Applied]) -> None:
        tenants = {a.message["tenant_id"] for a in applied}
        endpoints = await self.cache.for_tenants(conn, tenants)
        if not any(endpoints.values()):
            return
        now = now_us()
        rows: list[dict[str, Any]] = []
        for step in applied:
            targets = endpoints.get(step.message["tenant_id"])
            if targets:
                rows.extend(_events_for(step, targets, now))
        if rows:
            await repo.insert_events(conn, rows)
            if self.wake is not None:
                self.wake()


def _events_for(
    step: Applied, targets: Sequence[EndpointRef], now: int
) -> Iterable[dict[str, Any]]:
    types_by_dialect: dict[str, list[str]] = {}
    for endpoint in targets:
        try:
            fmt = formats.get(endpoint.dialect)
        except formats.UnknownDialect:
            log.error("no webhook format for dialect %r in this process", endpoint.dialect)
            continue
        if not endpoint.enabled and not fmt.keeps_events_while_disabled:
            continue
        types = types_by_dialect.get(endpoint.dialect)
        if types is None:
            types = types_by_dialect[endpoint.dialect] = _safe_types(fmt, step)
        for event_type in types:
            if fmt.matches(endpoint.event_types, event_type) and fmt.accepts(endpoint, step):
                yield _event_row(fmt, endpoint, event_type, step, now)


def _safe_types(fmt: WebhookFormat, step: Applied) -> list[str]:
    try:
        return list(fmt.event_types(step))
    except Exception:
        log.exception("webhook format %s failed to name the events of a step", fmt.dialect)
        return []


def _event_row(
    fmt: WebhookFormat, endpoint: EndpointRef, event_type: str, step: Applied, now: int
) -> dict[str, Any]:
    event_id = new_id()
    row: dict[str, Any] = {
        "id": event_id,
        "endpoint_id": endpoint.id,
        "tenant_id": endpoint.tenant_id,
        "event_type": event_type,
        "message_id": step.message.get("id"),
        "payload": "",
        # A disabled endpoint's events wait, paused, until it is enabled again.
        "status": (DeliveryStatus.PENDING if endpoint.enabled else DeliveryStatus.PAUSED).value,
        "attempts": 0,
        "due_at": now if endpoint.enabled else None,
        "leased_by": None,
        "created_at": now,
        "finished_at": None,
        "last_status_code": None,
        "last_error": None,
        "request_id": step.message.get("request_id"),
    }
    context = EventContext(
        event_type, step, event_id, step.activity["created_at"], EndpointInfo.of(endpoint)
    )
    try:
        row["payload"] = fmt.build(context).decode()
    except Exception as exc:
        # A format bug must not roll back the state change; the event is kept, visibly failed.
        log.exception("webhook format %s failed to build %s", fmt.dialect, event_type)
        row.update(status=DeliveryStatus.FAILED.value, due_at=None, finished_at=now)
        row["last_error"] = f"payload could not be built: {type(exc).__name__}: {exc}"[:500]
    return row
