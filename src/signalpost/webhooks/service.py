"""Webhook endpoints, deliveries and attempts: the logic every dialect's routes call.

Functions take the caller's connection (the edge owns the transaction) and the process's
:class:`~signalpost.webhooks.engine.WebhookEngine` where they need its URL guard, policy or
endpoint cache.  URL checks here need no network (:meth:`UrlGuard.check_static`); an API
edge should also ``await engine.check_url(url)`` (DNS) before opening its transaction, so
a private host name is refused with a clear 422 rather than failing at every delivery.
After a change commits, the edge calls ``engine.changed(tenant_id)`` so this process's
outbox sees it at once (the service also invalidates, for callers that forget).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

import orjson

from signalpost.accounts.schemas import Scope
from signalpost.errors import ValidationFailed
from signalpost.storage import Connection, Row
from signalpost.timeutil import new_id, now_us
from signalpost.webhooks import formats
from signalpost.webhooks import repository as repo
from signalpost.webhooks.exceptions import (
    DeliveryAlreadyDelivered,
    DeliveryInFlight,
    DeliveryNotFound,
    EndpointDisabled,
    EndpointNotFound,
    UnknownEventType,
)
from signalpost.webhooks.recording import hold_events
from signalpost.webhooks.safety import UrlGuard
from signalpost.webhooks.schemas import (
    UNSET,
    Attempt,
    Delivery,
    DeliveryPolicy,
    DeliveryStatus,
    Endpoint,
    EndpointPatch,
    EndpointSpec,
)


class WebhookEngine(Protocol):
    """What the service needs of the process's engine
    (:class:`signalpost.webhooks.engine.WebhookEngine`), named here so that the service
    does not import the engine that imports it."""

    @property
    def guard(self) -> UrlGuard: ...
    @property
    def policy(self) -> DeliveryPolicy: ...
    def changed(self, tenant_id: str) -> None: ...
    def wake(self) -> None: ...


__all__ = [
    "WebhookEngine",
    "create_endpoint",
    "delete_endpoint",
    "get_delivery",
    "get_endpoint",
    "list_attempts",
    "list_deliveries",
    "list_endpoints",
    "retry_delivery",
    "rotate_secret",
    "update_endpoint",
]

MAX_DESCRIPTION = 500
MAX_ATTRIBUTES_BYTES = 8192
MAX_EVENT_TYPES = 100
MAX_ATTEMPTS_LIMIT = 100


# --------------------------------------------------------------------------- rows <-> values


def to_endpoint(row: Row) -> Endpoint:
    return Endpoint(
        id=row["id"],
        organization_id=row["organization_id"],
        tenant_id=row["tenant_id"],
        dialect=row["dialect"],
        url=row["url"],
        secret=row["secret"],
        event_types=tuple(orjson.loads(row["event_types"])),
        description=row["description"],
        attributes=orjson.loads(row["attributes"]) if row["attributes"] else {},
        enabled=bool(row["enabled"]),
        disabled_reason=row["disabled_reason"],
        disabled_at=row["disabled_at"],
        consecutive_failures=row["consecutive_failures"],
        failing_since=row["failing_since"],
        max_attempts=row["max_attempts"],
        timeout_seconds=row["timeout_seconds"],
        last_attempt_at=row["last_attempt_at"],
        last_success_at=row["last_success_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        previous_secret=row["previous_secret"],
        previous_secret_expires_at=row["previous_secret_expires_at"],
        failed_events=row["failed_events"],
    )


def _endpoint_row(e: Endpoint) -> dict[str, Any]:
    return {
        "id": e.id,
        "organization_id": e.organization_id,
        "tenant_id": e.tenant_id,
        "dialect": e.dialect,
        "url": e.url,
        "secret": e.secret,
        "previous_secret": e.previous_secret,
        "previous_secret_expires_at": e.previous_secret_expires_at,
        "event_types": orjson.dumps(list(e.event_types)).decode(),
        "description": e.description,
        "attributes": orjson.dumps(dict(e.attributes)).decode() if e.attributes else None,
        "enabled": e.enabled,
        "disabled_reason": e.disabled_reason,
        "disabled_at": e.disabled_at,
        "consecutive_failures": e.consecutive_failures,
        "failed_events": e.failed_events,
        "failing_since": e.failing_since,
        "max_attempts": e.max_attempts,
        "timeout_seconds": e.timeout_seconds,
        "last_attempt_at": e.last_attempt_at,
        "last_success_at": e.last_success_at,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    }


def to_delivery(row: Row) -> Delivery:
    pending = row["status"] == DeliveryStatus.PENDING.value
    return Delivery(
        id=row["id"],
        endpoint_id=row["endpoint_id"],
        tenant_id=row["tenant_id"],
        event_type=row["event_type"],
        message_id=row["message_id"],
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=row["due_at"] if pending else None,
        created_at=row["created_at"],
        finished_at=row["finished_at"],
        last_status_code=row["last_status_code"],
        last_error=row["last_error"],
        payload=row["payload"],
    )


def to_attempt(row: Row) -> Attempt:
    keys = row.keys()
    return Attempt(
        id=row["id"],
        event_id=row["event_id"],
        endpoint_id=row["endpoint_id"],
        attempt_no=row["attempt_no"],
        ok=bool(row["ok"]),
        status_code=row["status_code"],
        latency_ms=row["latency_ms"],
        response_body=row["response_body"],
        error=row["error"],
        created_at=row["created_at"],
        event_type=row["event_type"] if "event_type" in keys else None,
    )


def _canonical_id(raw: str) -> str | None:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


# --------------------------------------------------------------------------- validation


def _check_event_types(fmt: formats.WebhookFormat, names: Sequence[str]) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(n.strip() for n in names))
    if len(cleaned) > MAX_EVENT_TYPES:
        raise ValidationFailed(details={"event_types": [f"at most {MAX_EVENT_TYPES}"]})
    if any(not n for n in cleaned):
        raise ValidationFailed(details={"event_types": ["event types must not be empty"]})
    if not fmt.catalog:
        return cleaned
    unknown = [
        n
        for n in cleaned
        if n != "*" and n not in fmt.catalog and not any(c.startswith(n + ".") for c in fmt.catalog)
    ]
    if unknown:
        raise UnknownEventType(unknown, fmt.catalog)
    return cleaned


def _check_limits(
    engine: WebhookEngine,
    *,
    description: str | None,
    attributes: Any,
    max_attempts: int | None,
    timeout_seconds: int | None,
) -> None:
    errors: dict[str, list[str]] = {}
    if description is not None and len(description) > MAX_DESCRIPTION:
        errors["description"] = [f"at most {MAX_DESCRIPTION} characters"]
    if attributes and len(orjson.dumps(dict(attributes))) > MAX_ATTRIBUTES_BYTES:
        errors["attributes"] = [f"at most {MAX_ATTRIBUTES_BYTES} bytes as JSON"]
    if max_attempts is not None and not 1 <= max_attempts <= MAX_ATTEMPTS_LIMIT:
        errors["max_attempts"] = [f"must be between 1 and {MAX_ATTEMPTS_LIMIT}"]
    longest = int(engine.policy.max_timeout_seconds)
    if timeout_seconds is not None and not 1 <= timeout_seconds <= longest:
        errors["timeout_seconds"] = [f"must be between 1 and {longest} seconds"]
    if errors:
        raise ValidationFailed(details=errors)


def _format_of(dialect: str) -> formats.WebhookFormat:
    try:
        return formats.get(dialect)
    except formats.UnknownDialect:
        known = ", ".join(formats.dialects())
        raise ValidationFailed(
            details={"dialect": [f"unknown dialect; use one of {known}"]}
        ) from None


# --------------------------------------------------------------------------- endpoints


async def create_endpoint(
    conn: Connection, engine: WebhookEngine, scope: Scope, spec: EndpointSpec
) -> Endpoint:
    """Store a new endpoint for the tenant; its secret is generated unless given."""
    fmt = _format_of(spec.dialect)
    engine.guard.check_static(spec.url)
    _check_limits(
        engine,
        description=spec.description,
        attributes=spec.attributes,
        max_attempts=spec.max_attempts,
        timeout_seconds=spec.timeout_seconds,
    )
    now = now_us()
    endpoint = Endpoint(
        id=new_id(),
        organization_id=scope.organization_id,
        tenant_id=scope.tenant_id,
        dialect=spec.dialect,
        url=spec.url,
        secret=spec.secret or fmt.new_secret(),
        event_types=_check_event_types(fmt, spec.event_types),
        description=spec.description,
        attributes=dict(spec.attributes),
        enabled=spec.enabled,
        disabled_reason=None if spec.enabled else "Created disabled",
        disabled_at=None if spec.enabled else now,
        consecutive_failures=0,
        failing_since=None,
        max_attempts=spec.max_attempts,
        timeout_seconds=spec.timeout_seconds,
        last_attempt_at=None,
        last_success_at=None,
        created_at=now,
        updated_at=now,
    )
    await repo.insert_endpoint(conn, _endpoint_row(endpoint))
    engine.changed(scope.tenant_id)
    return endpoint


async def get_endpoint(conn: Connection, scope: Scope, endpoint_id: str) -> Endpoint:
    """An endpoint of this tenant, or 404."""
    canonical = _canonical_id(endpoint_id)
    row = await repo.get_endpoint(conn, scope.tenant_id, canonical) if canonical else None
    if row is None:
        raise EndpointNotFound()
    return to_endpoint(row)


async def list_endpoints(
    conn: Connection, scope: Scope, *, dialect: str | None = None, limit: int, offset: int = 0
) -> list[Endpoint]:
    """The tenant's endpoints, oldest first (optionally of one dialect)."""
    rows = await repo.list_endpoints(
        conn, scope.tenant_id, dialect=dialect, limit=limit, offset=offset
    )
    return [to_endpoint(r) for r in rows]


async def update_endpoint(
    conn: Connection, engine: WebhookEngine, scope: Scope, endpoint_id: str, patch: EndpointPatch
) -> Endpoint:
    """Change an endpoint.  Enabling it again clears its failure record and reason, and
    delivers the events kept while it was disabled (those inside the retry window)."""
    current = await get_endpoint(conn, scope, endpoint_id)
    fmt = _format_of(current.dialect)
    changes: dict[str, Any] = {"updated_at": now_us()}
    if patch.url is not UNSET:
        engine.guard.check_static(patch.url)
        changes["url"] = patch.url
    if patch.event_types is not UNSET:
        changes["event_types"] = _check_event_types(fmt, patch.event_types)
    for name in ("description", "attributes", "max_attempts", "timeout_seconds"):
        value = getattr(patch, name)
        if value is not UNSET:
            changes[name] = dict(value) if name == "attributes" and value else value
    if patch.enabled is not UNSET and patch.enabled != current.enabled:
        changes.update(_enabled_change(patch.enabled, changes["updated_at"]))
    updated = replace(current, **changes)
    _check_limits(
        engine,
        description=updated.description,
        attributes=updated.attributes,
        max_attempts=updated.max_attempts,
        timeout_seconds=updated.timeout_seconds,
    )
    await repo.update_endpoint(conn, scope.tenant_id, _endpoint_row(updated))
    if updated.enabled != current.enabled:
        await _enabled_changed(conn, engine, fmt, updated)
    engine.changed(scope.tenant_id)
    return updated


async def _enabled_changed(
    conn: Connection, engine: WebhookEngine, fmt: formats.WebhookFormat, endpoint: Endpoint
) -> None:
    """Disabled: the endpoint's waiting events pause.  Enabled again: its paused events
    still inside the retry window are due at once, older ones are given up."""
    now = endpoint.updated_at
    if not endpoint.enabled:
        await hold_events(conn, fmt, endpoint.id, now)
        return
    since = now - int(engine.policy.retry_window_seconds * 1_000_000)
    if await repo.resume_events(conn, endpoint.id, since=since, now=now):
        engine.wake()


def _enabled_change(enabled: bool, now: int) -> dict[str, Any]:
    if enabled:
        return {
            "enabled": True,
            "disabled_reason": None,
            "disabled_at": None,
            "consecutive_failures": 0,
            "failed_events": 0,
            "failing_since": None,
        }
    return {"enabled": False, "disabled_reason": "Disabled through the API", "disabled_at": now}


async def delete_endpoint(
    conn: Connection, engine: WebhookEngine, scope: Scope, endpoint_id: str
) -> None:
    """Remove an endpoint with its events and attempts."""
    canonical = _canonical_id(endpoint_id)
    if not canonical or not await repo.delete_endpoint(conn, scope.tenant_id, canonical):
        raise EndpointNotFound()
    engine.changed(scope.tenant_id)


async def rotate_secret(
    conn: Connection, engine: WebhookEngine, scope: Scope, endpoint_id: str, *, grace: bool = True
) -> Endpoint:
    """A new secret; with ``grace`` the old one still signs for ``secret_grace_seconds``."""
    current = await get_endpoint(conn, scope, endpoint_id)
    now = now_us()
    secret = _format_of(current.dialect).new_secret()
    keep = grace and engine.policy.secret_grace_seconds > 0
    expires = now + int(engine.policy.secret_grace_seconds * 1_000_000) if keep else None
    previous = current.secret if keep else None
    await repo.rotate_secret(
        conn,
        scope.tenant_id,
        current.id,
        secret=secret,
        previous=previous,
        previous_expires_at=expires,
        now=now,
    )
    return replace(
        current,
        secret=secret,
        previous_secret=previous,
        previous_secret_expires_at=expires,
        updated_at=now,
    )


def signing_secrets(endpoint: Endpoint | Row, now: int) -> tuple[str, ...]:
    """The secrets an attempt is signed with: the current one, and a rotated-out one still
    in its grace period."""
    if isinstance(endpoint, Endpoint):
        secret, previous = endpoint.secret, endpoint.previous_secret
        expires = endpoint.previous_secret_expires_at
    else:
        secret, previous = endpoint["secret"], endpoint["previous_secret"]
        expires = endpoint["previous_secret_expires_at"]
    if previous and expires and expires > now:
        return (secret, previous)
    return (secret,)


# --------------------------------------------------------------------------- deliveries


async def list_deliveries(
    conn: Connection,
    scope: Scope,
    endpoint_id: str,
    *,
    status: str | None = None,
    before: tuple[int, str] | None = None,
    limit: int,
) -> list[Delivery]:
    """An endpoint's deliveries, newest first."""
    endpoint = await get_endpoint(conn, scope, endpoint_id)
    if status is not None and status not in {s.value for s in DeliveryStatus}:
        known = ", ".join(s.value for s in DeliveryStatus)
        raise ValidationFailed(details={"status": [f"use one of {known}"]})
    rows = await repo.list_events(
        conn, scope.tenant_id, endpoint.id, status=status, before=before, limit=limit
    )
    return [to_delivery(r) for r in rows]


async def get_delivery(
    conn: Connection, scope: Scope, delivery_id: str
) -> tuple[Delivery, list[Attempt]]:
    """One delivery of this tenant with its attempts (oldest first), or 404."""
    canonical = _canonical_id(delivery_id)
    row = await repo.get_event(conn, scope.tenant_id, canonical) if canonical else None
    if row is None:
        raise DeliveryNotFound()
    attempts = [to_attempt(a) for a in await repo.attempts_for_event(conn, row["id"])]
    return to_delivery(row), attempts


async def retry_delivery(
    conn: Connection, engine: WebhookEngine, scope: Scope, delivery_id: str
) -> Delivery:
    """Make a failed or waiting delivery due now; its endpoint must be enabled.

    A delivered event is refused (:class:`DeliveryAlreadyDelivered`), and so is one being
    delivered right now (:class:`DeliveryInFlight`): a retry never starts a second request
    beside the one in flight, in this process or another.  A retried event gets one more
    attempt; if that fails it is retried with backoff only while it is still inside the
    retry window counted from its creation.
    """
    canonical = _canonical_id(delivery_id)
    row = await repo.get_event(conn, scope.tenant_id, canonical) if canonical else None
    if row is None:
        raise DeliveryNotFound()
    delivery = to_delivery(row)
    endpoint = await get_endpoint(conn, scope, delivery.endpoint_id)
    if not endpoint.enabled:
        raise EndpointDisabled()
    now = now_us()
    if not await repo.retry_event(conn, scope.tenant_id, delivery.id, now):
        current = await repo.get_event(conn, scope.tenant_id, delivery.id)
        if current is None:
            raise DeliveryNotFound()
        if current["status"] == DeliveryStatus.DELIVERED.value:
            raise DeliveryAlreadyDelivered()
        raise DeliveryInFlight()
    engine.wake()
    return replace(
        delivery,
        status=DeliveryStatus.PENDING.value,
        next_attempt_at=now,
        finished_at=None,
    )


async def list_attempts(
    conn: Connection,
    scope: Scope,
    *,
    endpoint_id: str | None = None,
    after: int | None = None,
    before: int | None = None,
    limit: int,
) -> list[Attempt]:
    """The tenant's attempts: oldest first after ``after`` (a live tail), else newest first."""
    rows = await repo.list_attempts(
        conn, scope.tenant_id, endpoint_id=endpoint_id, after=after, before=before, limit=limit
    )
    return [to_attempt(r) for r in rows]
