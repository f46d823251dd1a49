"""``/v3/webhooks``: sent.dm webhooks as endpoints of the platform's webhook engine.

sent.dm fields map onto an engine endpoint of dialect ``sentdm``: ``endpoint_url`` ->
url, ``display_name`` -> description, ``is_active`` -> enabled, ``retry_count`` -> one
attempt plus that many retries, ``signing_secret`` -> the endpoint's ``whsec_`` secret.
``event_types`` and ``event_filters`` are kept as given (in the endpoint's attributes) and
subscribe the endpoint to ``message`` or to the filtered ``message.<status>`` events; only
the ``message`` family exists here.  ``timeout_seconds`` accepts sent.dm's 5 to 120 and is
applied up to the engine's longest timeout.  A rotated secret is invalid at once.
"""

from __future__ import annotations

from typing import Any

import orjson

from signalpost.accounts.schemas import Scope
from signalpost.api.kit import Param, Reply
from signalpost.api.sentdm.base import PAGE, PAGE_SIZE, Page, SentDm, path_uuid, v3_routes
from signalpost.api.sentdm.envelope import call_of, respond
from signalpost.api.sentdm.errors import BadEnumValue, MissingField, OutOfRange
from signalpost.api.sentdm.mutation import Operation
from signalpost.api.sentdm.schemas import (
    Envelope,
    EventTypesOut,
    SandboxIn,
    SecretOut,
    TestOut,
    WebhookEventsOut,
    WebhookIn,
    WebhookListOut,
    WebhookOut,
    WebhookTestIn,
    WebhookToggleIn,
)
from signalpost.api.sentdm.webhook_format import FAMILY, SENTDM
from signalpost.api.sentdm.wire import timestamp
from signalpost.http import Request, Response
from signalpost.storage import Connection
from signalpost.webhooks import service as webhooks
from signalpost.webhooks.exceptions import EndpointNotFound
from signalpost.webhooks.schemas import UNSET, Delivery, Endpoint, EndpointPatch, EndpointSpec

__all__ = ["routes"]

MAX_LISTED = 1000
_SUB_TYPES = [
    ("queued", "Queued", "The message is waiting to be dispatched"),
    ("scheduled", "Scheduled", "The message is held until its scheduled time"),
    ("routed", "Routed", "A carrier route was chosen"),
    ("sent", "Sent", "The message was handed to the carrier"),
    ("delivered", "Delivered", "The carrier confirmed delivery"),
    ("read", "Read", "The recipient read the message (WhatsApp and RCS)"),
    ("failed", "Failed", "The message could not be delivered; see reason_code"),
    ("blocked", "Blocked", "An account precondition stopped the message"),
    ("filtered", "Filtered", "Consent or compliance policy stopped the message"),
    ("cancelled", "Cancelled", "A scheduled message was called off"),
]
_SUFFIXES = {name for name, _, _ in _SUB_TYPES}


routes = v3_routes()
WEBHOOK_ID = Param("the webhook's id", {"type": "string", "format": "uuid"})
WEBHOOK = Reply("the webhook", Envelope[WebhookOut])
_EVENT_TYPES = {
    "name": FAMILY,
    "display_name": "Message",
    "description": "Status changes of outbound messages",
    "event_type": FAMILY,
    "is_active": True,
    "sub_types": [
        {
            "name": f"{FAMILY}.{name}",
            "display_name": title,
            "description": text,
            "event_type": f"{FAMILY}.{name}",
            "is_active": True,
            "sub_types": None,
        }
        for name, title, text in _SUB_TYPES
    ],
}


async def _mutate(
    d: SentDm, request: Request, scope: Scope, operation: Operation, sandbox: bool
) -> Response:
    response = await d.mutate(request, scope, operation, sandbox=sandbox)
    d.ctx.webhooks.changed(scope.tenant_id)
    return response


@routes.get(
    "/webhooks/event-types",
    query={"page": PAGE, "page_size": PAGE_SIZE},
    responses={200: Reply("the event families", Envelope[EventTypesOut])},
)
async def event_types(
    d: SentDm, request: Request, scope: Scope, body: None, conn: None
) -> Response:
    """The event families and their sub-types."""
    data = {"event_types": [_EVENT_TYPES], "pagination": Page(request).meta(1)}
    return respond(call_of(request), data)


@routes.get(
    "/webhooks",
    tx="read",
    query={
        "page": PAGE,
        "page_size": PAGE_SIZE,
        "search": Param("part of the display name or URL"),
        "is_active": Param("only active (true) or inactive (false) ones", {"type": "boolean"}),
    },
    responses={200: Reply("a page of webhooks", Envelope[WebhookListOut])},
)
async def list_webhooks(
    d: SentDm, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """The tenant's sent.dm webhooks, oldest first."""
    page = Page(request)
    items = await webhooks.list_endpoints(conn, scope, dialect=SENTDM, limit=MAX_LISTED)
    items = _filtered(items, request)
    data = {
        "webhooks": [_webhook(e) for e in page.slice(items)],
        "pagination": page.meta(len(items)),
    }
    return respond(call_of(request), data)


@routes.post(
    "/webhooks",
    body=WebhookIn,
    responses={201: Reply("the webhook created, with its secret", Envelope[WebhookOut])},
)
async def create_webhook(
    d: SentDm, request: Request, scope: Scope, body: WebhookIn, conn: None
) -> Response:
    """Create a webhook; the answer carries its signing secret."""
    spec = _spec(body)
    engine = d.ctx.webhooks
    await engine.check_url(spec.url)

    async def operation(conn: Connection) -> tuple[int, object]:
        return 201, _webhook(await webhooks.create_endpoint(conn, engine, scope, spec))

    return await _mutate(d, request, scope, operation, body.sandbox)


@routes.get("/webhooks/{id}", tx="read", path_params={"id": WEBHOOK_ID}, responses={200: WEBHOOK})
async def get_webhook(
    d: SentDm, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """A webhook."""
    endpoint = await _own(conn, scope, path_uuid(request, "id", "webhook"))
    return respond(call_of(request), _webhook(endpoint))


@routes.put(
    "/webhooks/{id}",
    body=WebhookIn,
    empty_body=True,
    path_params={"id": WEBHOOK_ID},
    responses={200: WEBHOOK},
)
async def update_webhook(
    d: SentDm, request: Request, scope: Scope, body: WebhookIn, conn: None
) -> Response:
    """Replace a webhook's settings (fields left out keep their value)."""
    webhook_id = path_uuid(request, "id", "webhook")
    engine = d.ctx.webhooks
    if body.endpoint_url is not None:
        await engine.check_url(body.endpoint_url)

    async def operation(conn: Connection) -> tuple[int, object]:
        patch = _patch(body, await _own(conn, scope, webhook_id))
        return 200, _webhook(await webhooks.update_endpoint(conn, engine, scope, webhook_id, patch))

    return await _mutate(d, request, scope, operation, body.sandbox)


@routes.delete(
    "/webhooks/{id}",
    body=SandboxIn,
    empty_body=True,
    path_params={"id": WEBHOOK_ID},
    responses={204: "deleted"},
)
async def delete_webhook(
    d: SentDm, request: Request, scope: Scope, body: SandboxIn, conn: None
) -> Response:
    """Delete a webhook with its delivery log."""
    webhook_id = path_uuid(request, "id", "webhook")

    async def operation(conn: Connection) -> tuple[int, object]:
        await _own(conn, scope, webhook_id)
        await webhooks.delete_endpoint(conn, d.ctx.webhooks, scope, webhook_id)
        return 204, None

    return await _mutate(d, request, scope, operation, body.sandbox)


@routes.patch(
    "/webhooks/{id}/toggle-status",
    body=WebhookToggleIn,
    empty_body=True,
    path_params={"id": WEBHOOK_ID},
    responses={200: WEBHOOK},
)
async def toggle_webhook(
    d: SentDm, request: Request, scope: Scope, body: WebhookToggleIn, conn: None
) -> Response:
    """Turn a webhook on or off (on again also clears its failure record)."""
    webhook_id = path_uuid(request, "id", "webhook")
    if body.is_active is None:
        raise MissingField(details={"is_active": ["is required"]})
    patch = EndpointPatch(enabled=body.is_active)

    async def operation(conn: Connection) -> tuple[int, object]:
        await _own(conn, scope, webhook_id)
        engine = d.ctx.webhooks
        return 200, _webhook(await webhooks.update_endpoint(conn, engine, scope, webhook_id, patch))

    return await _mutate(d, request, scope, operation, body.sandbox)


@routes.post(
    "/webhooks/{id}/rotate-secret",
    limit=("standard", "sensitive"),
    body=SandboxIn,
    empty_body=True,
    path_params={"id": WEBHOOK_ID},
    responses={200: Reply("the new signing secret", Envelope[SecretOut])},
)
async def rotate_secret(
    d: SentDm, request: Request, scope: Scope, body: SandboxIn, conn: None
) -> Response:
    """A new signing secret; the old one stops signing at once."""
    webhook_id = path_uuid(request, "id", "webhook")

    async def operation(conn: Connection) -> tuple[int, object]:
        await _own(conn, scope, webhook_id)
        engine = d.ctx.webhooks
        endpoint = await webhooks.rotate_secret(conn, engine, scope, webhook_id, grace=False)
        return 200, {"signing_secret": endpoint.secret}

    return await _mutate(d, request, scope, operation, body.sandbox)


@routes.post(
    "/webhooks/{id}/test",
    limit=("standard", "webhook_test"),
    body=WebhookTestIn,
    empty_body=True,
    path_params={"id": WEBHOOK_ID},
    responses={200: Reply("whether the receiver took the test event", Envelope[TestOut])},
)
async def test_webhook(
    d: SentDm, request: Request, scope: Scope, body: WebhookTestIn, conn: None
) -> Response:
    """Send a signed test event now and report whether the receiver took it."""
    webhook_id = path_uuid(request, "id", "webhook")
    if body.event_type not in (None, FAMILY):
        raise BadEnumValue(details={"event_type": [f"only {FAMILY!r} events exist"]})
    async with d.ctx.db.reader() as reader:
        await _own(reader, scope, webhook_id)
    if body.sandbox:
        data = {"success": True, "message": "Sandbox: no test event was sent"}
        return respond(call_of(request), data)
    delivery, _attempts = await d.ctx.webhooks.send_test(scope, webhook_id)
    ok = delivery.status == "delivered"
    text = "Test event delivered" if ok else f"Test event failed: {_failure(delivery)}"
    return respond(call_of(request), {"success": ok, "message": text})


@routes.get(
    "/webhooks/{id}/events",
    tx="read",
    path_params={"id": WEBHOOK_ID},
    query={"page": PAGE, "page_size": PAGE_SIZE, "search": Param("part of the event type")},
    responses={200: Reply("a page of the delivery log", Envelope[WebhookEventsOut])},
)
async def list_events(
    d: SentDm, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """A webhook's delivery log, newest first."""
    webhook_id = path_uuid(request, "id", "webhook")
    page = Page(request)
    await _own(conn, scope, webhook_id)
    rows = await webhooks.list_deliveries(
        conn, scope, webhook_id, limit=min(MAX_LISTED, page.offset + page.size + 1)
    )
    search = (request.query("search") or "").strip().lower()
    rows = [r for r in rows if not search or search in r.event_type.lower()]
    data = {
        "events": [_delivery(r) for r in page.slice(rows)],
        "pagination": page.meta(len(rows)),
    }
    return respond(call_of(request), data)


async def _own(conn: Connection, scope: Scope, webhook_id: str) -> Endpoint:
    """A sent.dm webhook of the caller's tenant; other dialects' endpoints are not shown."""
    endpoint = await webhooks.get_endpoint(conn, scope, webhook_id)
    if endpoint.dialect != SENTDM:
        raise EndpointNotFound()
    return endpoint


def _families(raw: list[str] | None) -> list[str]:
    families = list(dict.fromkeys(raw or [FAMILY]))
    if any(f != FAMILY for f in families):
        raise BadEnumValue(details={"event_types": [f"only {FAMILY!r} events exist"]})
    return families


def _subscription(families: list[str], filters: dict[str, list[str]] | None) -> tuple[str, ...]:
    wanted = (filters or {}).get(FAMILY)
    if not wanted:
        return tuple(families)
    bad = [w for w in wanted if w.lower() not in _SUFFIXES]
    if bad:
        raise BadEnumValue(details={"event_filters.message": [f"unknown: {', '.join(bad)}"]})
    return tuple(f"{FAMILY}.{w.lower()}" for w in dict.fromkeys(wanted))


def _limits(body: WebhookIn) -> tuple[int | None, int | None]:
    retry, timeout = body.retry_count, body.timeout_seconds
    if retry is not None and not 1 <= retry <= 5:
        raise OutOfRange(details={"retry_count": ["must be between 1 and 5"]})
    if timeout is not None and not 5 <= timeout <= 120:
        raise OutOfRange(details={"timeout_seconds": ["must be between 5 and 120"]})
    return retry, timeout


def _attributes(families: list[str], body: WebhookIn, retry: int, timeout: int) -> dict[str, Any]:
    return {
        "event_types": families,
        "event_filters": body.event_filters,
        "retry_count": retry,
        "timeout_seconds": timeout,
    }


def _spec(body: WebhookIn) -> EndpointSpec:
    if not body.endpoint_url:
        raise MissingField(details={"endpoint_url": ["is required"]})
    families = _families(body.event_types)
    retry, timeout = _limits(body)
    retry, timeout = retry or 3, timeout or 30
    return EndpointSpec(
        url=body.endpoint_url,
        dialect=SENTDM,
        event_types=_subscription(families, body.event_filters),
        description=body.display_name,
        attributes=_attributes(families, body, retry, timeout),
        max_attempts=retry + 1,
        timeout_seconds=min(timeout, 30),
    )


def _patch(body: WebhookIn, current: Endpoint) -> EndpointPatch:
    attributes = dict(current.attributes)
    families = _families(body.event_types) if body.event_types is not None else None
    families = families or list(attributes.get("event_types") or [FAMILY])
    filters = (
        body.event_filters if body.event_filters is not None else attributes.get("event_filters")
    )
    retry, timeout = _limits(body)
    retry = retry or int(attributes.get("retry_count") or 3)
    timeout = timeout or int(attributes.get("timeout_seconds") or 30)
    merged = body.model_copy(update={"event_filters": filters})
    return EndpointPatch(
        url=body.endpoint_url if body.endpoint_url is not None else UNSET,
        event_types=_subscription(families, filters),
        description=body.display_name if body.display_name is not None else UNSET,
        attributes=_attributes(families, merged, retry, timeout),
        max_attempts=retry + 1,
        timeout_seconds=min(timeout, 30),
    )


def _filtered(items: list[Endpoint], request: Request) -> list[Endpoint]:
    search = (request.query("search") or "").strip().lower()
    active = (request.query("is_active") or "").strip().lower()
    out = []
    for e in items:
        if search and search not in (e.description or "").lower() and search not in e.url.lower():
            continue
        if active in ("true", "false") and e.enabled != (active == "true"):
            continue
        out.append(e)
    return out


def _time(us: int | None) -> str | None:
    return None if us is None else timestamp(us)


def _webhook(e: Endpoint) -> dict[str, Any]:
    attributes = e.attributes
    return {
        "id": e.id,
        "customer_id": e.tenant_id,
        "display_name": e.description,
        "endpoint_url": e.url,
        "event_types": list(attributes.get("event_types") or [FAMILY]),
        "event_filters": attributes.get("event_filters"),
        "is_active": e.enabled,
        "signing_secret": e.secret,
        "retry_count": int(attributes.get("retry_count") or max(1, (e.max_attempts or 4) - 1)),
        "timeout_seconds": int(attributes.get("timeout_seconds") or e.timeout_seconds or 30),
        "consecutive_failures": e.failed_events,  # failed events, as the disable rule counts
        "last_delivery_attempt_at": _time(e.last_attempt_at),
        "last_successful_delivery_at": _time(e.last_success_at),
        "created_at": timestamp(e.created_at),
        "updated_at": timestamp(e.updated_at),
    }


def _delivery_status(d: Delivery) -> str:
    if d.status in ("pending", "paused"):
        return "RETRYING" if d.attempts else "PENDING"
    return d.status.upper()


def _delivery(d: Delivery) -> dict[str, Any]:
    try:
        data = orjson.loads(d.payload) if d.payload else None
    except orjson.JSONDecodeError:
        data = None
    return {
        "id": d.id,
        "event_type": d.event_type,
        "delivery_status": _delivery_status(d),
        "delivery_attempts": d.attempts,
        "http_status_code": d.last_status_code,
        "response_body": None,
        "error_message": d.last_error,
        "event_data": data,
        "created_at": timestamp(d.created_at),
        "processing_started_at": None,
        "processing_completed_at": _time(d.finished_at),
    }


def _failure(d: Delivery) -> str:
    if d.last_status_code:
        return f"the endpoint answered HTTP {d.last_status_code}"
    return d.last_error or "no answer"
