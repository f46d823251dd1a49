"""The outbox: webhook events written in the same transaction as the state change.

:class:`Outbox` is a :class:`~signalpost.messages.transitions.Recorder` observer.  For each
applied lifecycle step it finds the tenant's endpoints, asks each endpoint's format
which event types the step produces and which of them the endpoint subscribed to, and
inserts one event row per (endpoint, event type), due at once; a disabled endpoint's
events are written paused, delivered once it is enabled again (or not written at all if
its format keeps no events while disabled).  Because it runs inside the
caller's transaction, a crash either keeps the step and its events or neither.
:meth:`Outbox.consent_changed` does the same for consent changes (a number opted out or
back in), as an observer of the consent recorder: the change's tenant's endpoints whose
format names such events get one each.

It runs on the send and dispatch hot paths for every message, so the endpoints of each
tenant are cached in-process (:class:`EndpointCache`, ``ttl`` seconds, negative answers
included): a tenant without endpoints costs one dictionary read per batch.  Changes made in
this process invalidate the cache at once; other processes see them within ``ttl``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any

import orjson

from signalpost.consent.schemas import ConsentChange
from signalpost.messages.transitions import Applied
from signalpost.request_ids import current_request_id
from signalpost.storage import Connection, Row
from signalpost.timeutil import new_id, now_us
from signalpost.webhooks import formats
from signalpost.webhooks import repository as repo
from signalpost.webhooks.formats import (
    ConsentEventContext,
    EndpointInfo,
    EventContext,
    WebhookFormat,
)
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


_MESSAGE = attrgetter("message")
_TENANT = attrgetter("tenant_id")


class Outbox:
    """The recorder observer that turns applied steps into webhook event rows."""

    def __init__(self, cache: EndpointCache, wake: Callable[[], None] | None = None) -> None:
        self.cache = cache
        self.wake = wake

    async def __call__(self, conn: Connection, applied: Sequence[Applied]) -> None:
        tenants = set(map(_TENANT, map(_MESSAGE, applied)))  # a send's steps: one tenant
        endpoints = await self.cache.for_tenants(conn, tenants)
        if not any(endpoints.values()):
            return
        now = now_us()
        rows: list[dict[str, Any]] = []
        for step in applied:
            targets = endpoints.get(step.message.tenant_id)
            if targets:
                rows.extend(_events_for(step, targets, now))
        await self._write(conn, rows)

    async def consent_changed(self, conn: Connection, changes: Sequence[ConsentChange]) -> None:
        """The consent recorder's observer: an event per change and subscribed endpoint."""
        tenants = {c.recipient.tenant_id for c in changes}
        endpoints = await self.cache.for_tenants(conn, tenants)
        if not any(endpoints.values()):
            return
        now = now_us()
        rows: list[dict[str, Any]] = []
        for change in changes:
            for endpoint, fmt in _formats(endpoints.get(change.recipient.tenant_id, ())):
                for event_type in _safe_consent_types(fmt, change):
                    if fmt.matches(endpoint.event_types, event_type):
                        rows.append(_consent_row(fmt, endpoint, event_type, change, now))
        await self._write(conn, rows)

    async def _write(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        if rows:
            await repo.insert_events(conn, rows)
            if self.wake is not None:
                self.wake()


def _formats(targets: Sequence[EndpointRef]) -> Iterable[tuple[EndpointRef, WebhookFormat]]:
    """Each endpoint that takes events now or keeps them while disabled, with its format."""
    for endpoint in targets:
        try:
            fmt = formats.get(endpoint.dialect)
        except formats.UnknownDialect:
            log.error("no webhook format for dialect %r in this process", endpoint.dialect)
            continue
        if endpoint.enabled or fmt.keeps_events_while_disabled:
            yield endpoint, fmt


def _safe_consent_types(fmt: WebhookFormat, change: ConsentChange) -> list[str]:
    try:
        return list(fmt.consent_event_types(change))
    except Exception:
        log.exception(
            "webhook format %s failed to name the events of a consent change", fmt.dialect
        )
        return []


def _consent_row(
    fmt: WebhookFormat, endpoint: EndpointRef, event_type: str, change: ConsentChange, now: int
) -> dict[str, Any]:
    row = _new_row(endpoint, event_type, None, current_request_id(), now)
    context = ConsentEventContext(
        event_type, change, row["id"], change.recipient.updated_at, EndpointInfo.of(endpoint)
    )
    _build(row, lambda: fmt.build_consent(context), fmt, now)
    return row


def _events_for(
    step: Applied, targets: Sequence[EndpointRef], now: int
) -> Iterable[dict[str, Any]]:
    types_by_dialect: dict[str, list[str]] = {}
    for endpoint, fmt in _formats(targets):
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
    message = step.message
    row = _new_row(endpoint, event_type, message.id, message.request_id, now)
    context = EventContext(
        event_type, step, row["id"], step.activity.created_at, EndpointInfo.of(endpoint)
    )
    _build(row, lambda: fmt.build(context), fmt, now)
    return row


def _new_row(
    endpoint: EndpointRef, event_type: str, message_id: str | None, request_id: str | None, now: int
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "endpoint_id": endpoint.id,
        "tenant_id": endpoint.tenant_id,
        "event_type": event_type,
        "message_id": message_id,
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
        "request_id": request_id,
    }


def _build(row: dict[str, Any], build: Callable[[], bytes], fmt: WebhookFormat, now: int) -> None:
    """Put the payload in the row; a format that fails to build it leaves the event failed."""
    try:
        row["payload"] = build().decode()
    except Exception as exc:
        # A format bug must not roll back the state change; the event is kept, visibly failed.
        log.exception("webhook format %s failed to build %s", fmt.dialect, row["event_type"])
        row.update(status=DeliveryStatus.FAILED.value, due_at=None, finished_at=now)
        row["last_error"] = f"payload could not be built: {type(exc).__name__}: {exc}"[:500]
