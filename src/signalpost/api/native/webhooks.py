"""Native webhook routes: endpoints, test sends, the delivery log, retries and a live tail.

Secrets are shown when an endpoint is created and when its secret is rotated, never in
reads.  Every route answers in the native error envelope.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from signalpost.accounts.schemas import Scope
from signalpost.api.common import bearer_token, parse_body
from signalpost.api.native.params import (
    ACTIVITY_LIMIT,
    AFTER_ATTEMPT,
    BEFORE_ATTEMPT,
    LIMIT,
    OFFSET,
    cursor_int,
)
from signalpost.errors import ValidationFailed
from signalpost.http import Request, Response, Router, json_response
from signalpost.timeutil import iso
from signalpost.webhooks import formats
from signalpost.webhooks import service as webhooks
from signalpost.webhooks.schemas import (
    UNSET,
    Attempt,
    Delivery,
    Endpoint,
    EndpointPatch,
    EndpointSpec,
)

if TYPE_CHECKING:
    from signalpost.context import Context

__all__ = ["WebhookIn", "WebhookPatch", "add_webhook_routes"]


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


def add_webhook_routes(router: Router, ctx: Context) -> None:
    """Add the ``/webhooks`` routes to the native router."""
    db = ctx.db
    engine = ctx.webhooks

    async def scope(request: Request) -> Scope:
        principal = await ctx.auth.principal(bearer_token(request))
        return await ctx.auth.scope(principal, request.header("x-profile-id"))

    @router.post("/webhooks", body=WebhookIn, responses={201: "created, with its secret"})
    async def create_webhook(request: Request) -> Response:
        """Create a webhook endpoint (the signing secret is shown only now)."""
        sc = await scope(request)
        body = await parse_body(request, WebhookIn)
        await engine.check_url(body.url)
        spec = EndpointSpec(
            url=body.url,
            dialect="native",
            event_types=tuple(body.event_types),
            description=body.description,
            enabled=body.enabled,
        )
        async with db.transaction() as conn:
            endpoint = await webhooks.create_endpoint(conn, engine, sc, spec)
        engine.changed(sc.tenant_id)
        return json_response(present_endpoint(endpoint, secret=True), 201)

    @router.get("/webhooks", query={"limit": LIMIT, "offset": OFFSET})
    async def list_webhooks(request: Request) -> Response:
        """The tenant's webhook endpoints, oldest first."""
        sc = await scope(request)
        limit = LIMIT.value(request)
        offset = OFFSET.value(request)
        async with db.reader() as conn:
            items = await webhooks.list_endpoints(conn, sc, limit=limit, offset=offset)
        return json_response({"data": [present_endpoint(e) for e in items]})

    @router.get("/webhooks/event-types")
    async def event_types(request: Request) -> Response:
        """The event types native webhooks can send."""
        await scope(request)
        catalog = formats.get("native").catalog
        return json_response({"data": [*catalog, "webhook.test"]})

    @router.get("/webhooks/{id}")
    async def get_webhook(request: Request) -> Response:
        """A webhook endpoint, with why it was disabled if it was."""
        sc = await scope(request)
        async with db.reader() as conn:
            endpoint = await webhooks.get_endpoint(conn, sc, request.path_params["id"])
        return json_response(present_endpoint(endpoint))

    @router.patch("/webhooks/{id}", body=WebhookPatch)
    async def update_webhook(request: Request) -> Response:
        """Change a webhook endpoint; ``enabled: true`` re-enables a disabled one."""
        sc = await scope(request)
        body = await parse_body(request, WebhookPatch)
        patch = _patch(body)
        if isinstance(patch.url, str):
            await engine.check_url(patch.url)
        async with db.transaction() as conn:
            endpoint = await webhooks.update_endpoint(
                conn, engine, sc, request.path_params["id"], patch
            )
        engine.changed(sc.tenant_id)
        return json_response(present_endpoint(endpoint))

    @router.delete("/webhooks/{id}", responses={204: "deleted"})
    async def delete_webhook(request: Request) -> Response:
        """Delete a webhook endpoint with its delivery log."""
        sc = await scope(request)
        async with db.transaction() as conn:
            await webhooks.delete_endpoint(conn, engine, sc, request.path_params["id"])
        engine.changed(sc.tenant_id)
        return Response(b"", 204)

    @router.post("/webhooks/{id}/rotate-secret")
    async def rotate_secret(request: Request) -> Response:
        """A new signing secret; the old one keeps signing alongside it for a grace period."""
        sc = await scope(request)
        async with db.transaction() as conn:
            endpoint = await webhooks.rotate_secret(conn, engine, sc, request.path_params["id"])
        out = present_endpoint(endpoint, secret=True)
        out["previous_secret_expires_at"] = iso(endpoint.previous_secret_expires_at)
        return json_response(out)

    @router.post("/webhooks/{id}/test", responses={200: "the test delivery and its attempt"})
    async def test_webhook(request: Request) -> Response:
        """Send a signed ``webhook.test`` event now and show the receiver's answer."""
        sc = await scope(request)
        delivery, attempts = await engine.send_test(sc, request.path_params["id"])
        out = present_delivery(delivery, attempts)
        return json_response({"success": delivery.status == "delivered", "delivery": out})

    @router.get(
        "/webhooks/{id}/deliveries",
        query={
            "status": "pending, delivered or failed",
            "limit": LIMIT,
            "cursor": "next_cursor from the previous page",
        },
    )
    async def list_deliveries(request: Request) -> Response:
        """An endpoint's deliveries (one per event), newest first."""
        sc = await scope(request)
        limit = LIMIT.value(request)
        before = _decode_cursor(request.query("cursor"))
        async with db.reader() as conn:
            rows = await webhooks.list_deliveries(
                conn,
                sc,
                request.path_params["id"],
                status=request.query("status") or None,
                before=before,
                limit=limit + 1,
            )
        page = rows[:limit]
        following = _encode_cursor(page[-1]) if len(rows) > limit else None
        return json_response(
            {"data": [present_delivery(d) for d in page], "next_cursor": following}
        )

    @router.get("/webhooks/deliveries/{id}")
    async def get_delivery(request: Request) -> Response:
        """One delivery with its payload and every attempt."""
        sc = await scope(request)
        async with db.reader() as conn:
            delivery, attempts = await webhooks.get_delivery(conn, sc, request.path_params["id"])
        return json_response(present_delivery(delivery, attempts, payload=True))

    @router.post("/webhooks/deliveries/{id}/retry", responses={202: "queued for delivery"})
    async def retry_delivery(request: Request) -> Response:
        """Deliver an event again (its id, and so its de-duplication key, stays the same)."""
        sc = await scope(request)
        async with db.transaction() as conn:
            delivery = await webhooks.retry_delivery(conn, engine, sc, request.path_params["id"])
        return json_response(present_delivery(delivery), 202)

    @router.get(
        "/webhooks/attempts",
        query={
            "webhook_id": "only this endpoint's attempts",
            "after": AFTER_ATTEMPT,
            "before": BEFORE_ATTEMPT,
            "limit": ACTIVITY_LIMIT,
        },
    )
    async def list_attempts(request: Request) -> Response:
        """Delivery attempts across endpoints, newest first (or a live tail with ``after``)."""
        sc = await scope(request)
        limit = ACTIVITY_LIMIT.value(request)
        async with db.reader() as conn:
            rows = await webhooks.list_attempts(
                conn,
                sc,
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
