"""Native webhook routes: endpoints, test sends, the delivery log, retries and a live tail.

Secrets are shown when an endpoint is created and when its secret is rotated, never in
reads.  Every route answers in the native error envelope.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from signalpost.accounts.schemas import Scope
from signalpost.api.kit import Param, Reply, Routes
from signalpost.api.native import answers
from signalpost.api.native.base import UUID, Native
from signalpost.api.native.params import (
    ACTIVITY_LIMIT,
    AFTER_ATTEMPT,
    BEFORE_ATTEMPT,
    CURSOR,
    LIMIT,
    OFFSET,
    cursor_int,
)
from signalpost.errors import ValidationFailed
from signalpost.http import Request, Response, json_response
from signalpost.storage import Connection
from signalpost.timeutil import iso
from signalpost.webhooks import formats
from signalpost.webhooks import service as webhooks
from signalpost.webhooks.schemas import (
    UNSET,
    Attempt,
    Delivery,
    DeliveryStatus,
    Endpoint,
    EndpointPatch,
    EndpointSpec,
)

__all__ = ["WebhookIn", "WebhookPatch", "routes"]


class WebhookIn(BaseModel):
    """A new webhook endpoint."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=2048, description="https URL that receives the events")
    event_types: list[str] = Field(
        default_factory=list,
        description="event types to send (e.g. message.delivered, message.received, "
        "recipient.opted_out; or a family: message, recipient); empty for every event "
        "(GET /v1/webhooks/event-types lists them)",
    )
    description: str | None = Field(None, max_length=500)
    enabled: bool = True


class WebhookPatch(BaseModel):
    """Changes to a webhook endpoint; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(None, max_length=2048)
    event_types: list[str] | None = None
    description: str | None = Field(None, max_length=500)
    enabled: bool | None = Field(None, description="true also clears an automatic disable")


routes = Routes[Native]("/v1", owns=())
WEBHOOK_ID = {"id": Param("the webhook endpoint's id", UUID)}
DELIVERY_ID = {"id": Param("the delivery's id", UUID)}
DELIVERY_STATUS = Param(
    "only deliveries in this state", {"type": "string", "enum": [s.value for s in DeliveryStatus]}
)


@routes.post(
    "/webhooks",
    body=WebhookIn,
    responses={201: Reply("created, with its secret", answers.WebhookCreated)},
)
async def create_webhook(
    api: Native, request: Request, scope: Scope, body: WebhookIn, conn: None
) -> Response:
    """Create a webhook endpoint (the signing secret is shown only now)."""
    engine = api.ctx.webhooks
    await engine.check_url(body.url)
    spec = EndpointSpec(
        url=body.url,
        dialect="native",
        event_types=tuple(body.event_types),
        description=body.description,
        enabled=body.enabled,
    )
    async with api.ctx.db.transaction() as writer:
        endpoint = await webhooks.create_endpoint(writer, engine, scope, spec)
    engine.changed(scope.tenant_id)
    return json_response(present_endpoint(endpoint, secret=True), 201)


@routes.get(
    "/webhooks",
    tx="read",
    query={"limit": LIMIT, "offset": OFFSET},
    responses={200: answers.WebhookList, 422: "invalid limit or offset"},
)
async def list_webhooks(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """The tenant's webhook endpoints, oldest first."""
    limit = LIMIT.value(request)
    offset = OFFSET.value(request)
    items = await webhooks.list_endpoints(conn, scope, limit=limit, offset=offset)
    return json_response({"data": [present_endpoint(e) for e in items]})


@routes.get("/webhooks/event-types", responses={200: answers.EventTypes})
async def event_types(
    api: Native, request: Request, scope: Scope, body: None, conn: None
) -> Response:
    """The event types native webhooks can send."""
    catalog = formats.get("native").catalog
    return json_response({"data": [*catalog, "webhook.test"]})


@routes.get(
    "/webhooks/{id}", tx="read", path_params=WEBHOOK_ID, responses={200: answers.WebhookOut}
)
async def get_webhook(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """A webhook endpoint, with why it was disabled if it was."""
    endpoint = await webhooks.get_endpoint(conn, scope, request.path_params["id"])
    return json_response(present_endpoint(endpoint))


@routes.patch(
    "/webhooks/{id}",
    body=WebhookPatch,
    path_params=WEBHOOK_ID,
    responses={200: Reply("changed", answers.WebhookOut)},
)
async def update_webhook(
    api: Native, request: Request, scope: Scope, body: WebhookPatch, conn: None
) -> Response:
    """Change a webhook endpoint; ``enabled: true`` re-enables a disabled one."""
    engine = api.ctx.webhooks
    patch = _patch(body)
    if isinstance(patch.url, str):
        await engine.check_url(patch.url)
    async with api.ctx.db.transaction() as writer:
        endpoint = await webhooks.update_endpoint(
            writer, engine, scope, request.path_params["id"], patch
        )
    engine.changed(scope.tenant_id)
    return json_response(present_endpoint(endpoint))


@routes.delete("/webhooks/{id}", path_params=WEBHOOK_ID, responses={204: "deleted"})
async def delete_webhook(
    api: Native, request: Request, scope: Scope, body: None, conn: None
) -> Response:
    """Delete a webhook endpoint with its delivery log."""
    engine = api.ctx.webhooks
    async with api.ctx.db.transaction() as writer:
        await webhooks.delete_endpoint(writer, engine, scope, request.path_params["id"])
    engine.changed(scope.tenant_id)
    return Response(b"", 204)


@routes.post(
    "/webhooks/{id}/rotate-secret",
    tx="write",
    path_params=WEBHOOK_ID,
    responses={200: Reply("the new secret", answers.WebhookRotated)},
)
async def rotate_secret(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """A new signing secret; the old one keeps signing alongside it for a grace period."""
    endpoint = await webhooks.rotate_secret(
        conn, api.ctx.webhooks, scope, request.path_params["id"]
    )
    out = present_endpoint(endpoint, secret=True)
    out["previous_secret_expires_at"] = iso(endpoint.previous_secret_expires_at)
    return json_response(out)


@routes.post(
    "/webhooks/{id}/test",
    path_params=WEBHOOK_ID,
    responses={200: Reply("the test delivery and its attempt", answers.WebhookTested)},
)
async def test_webhook(
    api: Native, request: Request, scope: Scope, body: None, conn: None
) -> Response:
    """Send a signed ``webhook.test`` event now and show the receiver's answer."""
    delivery, attempts = await api.ctx.webhooks.send_test(scope, request.path_params["id"])
    out = present_delivery(delivery, attempts)
    return json_response({"success": delivery.status == "delivered", "delivery": out})


@routes.get(
    "/webhooks/{id}/deliveries",
    tx="read",
    path_params=WEBHOOK_ID,
    query={"status": DELIVERY_STATUS, "limit": LIMIT, "cursor": CURSOR},
    responses={200: answers.DeliveryPage, 422: "invalid status or cursor"},
)
async def list_deliveries(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """An endpoint's deliveries (one per event), newest first."""
    limit = LIMIT.value(request)
    rows = await webhooks.list_deliveries(
        conn,
        scope,
        request.path_params["id"],
        status=request.query("status") or None,
        before=_decode_cursor(request.query("cursor")),
        limit=limit + 1,
    )
    page = rows[:limit]
    following = _encode_cursor(page[-1]) if len(rows) > limit else None
    return json_response({"data": [present_delivery(d) for d in page], "next_cursor": following})


@routes.get(
    "/webhooks/deliveries/{id}",
    tx="read",
    path_params=DELIVERY_ID,
    responses={200: answers.DeliveryDetail},
)
async def get_delivery(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """One delivery with its payload and every attempt."""
    delivery, attempts = await webhooks.get_delivery(conn, scope, request.path_params["id"])
    return json_response(present_delivery(delivery, attempts, payload=True))


@routes.post(
    "/webhooks/deliveries/{id}/retry",
    tx="write",
    path_params=DELIVERY_ID,
    responses={
        202: Reply("queued for delivery", answers.DeliveryOut),
        409: "delivered already, being delivered now, or its endpoint is disabled",
    },
)
async def retry_delivery(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Deliver an event again (its id, and so its de-duplication key, stays the same)."""
    delivery = await webhooks.retry_delivery(
        conn, api.ctx.webhooks, scope, request.path_params["id"]
    )
    return json_response(present_delivery(delivery), 202)


@routes.get(
    "/webhooks/attempts",
    tx="read",
    query={
        "webhook_id": Param("only this endpoint's attempts", UUID),
        "after": AFTER_ATTEMPT,
        "before": BEFORE_ATTEMPT,
        "limit": ACTIVITY_LIMIT,
    },
    responses={200: answers.AttemptList, 422: "invalid limit, after or before"},
)
async def list_attempts(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Delivery attempts across endpoints, newest first (or a live tail with ``after``)."""
    limit = ACTIVITY_LIMIT.value(request)
    rows = await webhooks.list_attempts(
        conn,
        scope,
        endpoint_id=request.query("webhook_id") or None,
        after=AFTER_ATTEMPT.read(request),
        before=BEFORE_ATTEMPT.read(request),
        limit=limit,
    )
    return json_response({"data": [present_attempt(a) for a in rows]})


def _patch(body: WebhookPatch) -> EndpointPatch:
    given = body.model_fields_set
    for name in ("url", "event_types", "enabled"):
        if name in given and getattr(body, name) is None:
            raise ValidationFailed(details={name: ["must not be null"]})
    return EndpointPatch(
        url=body.url if "url" in given and body.url is not None else UNSET,
        event_types=tuple(body.event_types) if body.event_types is not None else UNSET,
        description=body.description if "description" in given else UNSET,
        enabled=body.enabled if body.enabled is not None else UNSET,
    )


def _encode_cursor(d: Delivery) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([d.created_at, d.id])).decode().rstrip("=")


def _decode_cursor(raw: str | None) -> tuple[int, str] | None:
    if not raw:
        return None
    try:
        value = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        created_at, delivery_id = value
        if isinstance(delivery_id, str):
            return cursor_int(created_at), delivery_id
    except (ValueError, TypeError, orjson.JSONDecodeError):
        pass
    raise ValidationFailed(details={"cursor": ["invalid cursor"]})


# --------------------------------------------------------------------------- presenters


def present_endpoint(e: Endpoint, *, secret: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": e.id,
        "url": e.url,
        "dialect": e.dialect,
        "event_types": list(e.event_types),
        "description": e.description,
        "enabled": e.enabled,
        "disabled_reason": e.disabled_reason,
        "disabled_at": iso(e.disabled_at),
        "consecutive_failures": e.consecutive_failures,
        "failing_since": iso(e.failing_since),
        "last_attempt_at": iso(e.last_attempt_at),
        "last_success_at": iso(e.last_success_at),
        "created_at": iso(e.created_at),
        "updated_at": iso(e.updated_at),
    }
    if secret:
        out["secret"] = e.secret
    return out


def present_delivery(
    d: Delivery, attempts: list[Attempt] | None = None, *, payload: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": d.id,
        "webhook_id": d.endpoint_id,
        "event_type": d.event_type,
        "message_id": d.message_id,
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": iso(d.next_attempt_at),
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "created_at": iso(d.created_at),
        "finished_at": iso(d.finished_at),
    }
    if payload:
        out["payload"] = _json_or_text(d.payload)
    if attempts is not None:
        out["attempt_log"] = [present_attempt(a) for a in attempts]
    return out


def present_attempt(a: Attempt) -> dict[str, Any]:
    return {
        "id": a.id,
        "delivery_id": a.event_id,
        "webhook_id": a.endpoint_id,
        "event_type": a.event_type,
        "attempt": a.attempt_no,
        "ok": a.ok,
        "status_code": a.status_code,
        "latency_ms": a.latency_ms,
        "response_body": a.response_body,
        "error": a.error,
        "created_at": iso(a.created_at),
    }


def _json_or_text(payload: str) -> Any:
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return payload
