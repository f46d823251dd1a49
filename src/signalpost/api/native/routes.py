"""Routes of the native API: each parses, calls services, and presents."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import orjson

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Profile, Scope
from signalpost.activities import service as activities
from signalpost.activities.schemas import ActivityFilter
from signalpost.api.common import bearer_token, int_param, parse_body
from signalpost.api.native import presenters
from signalpost.api.native.compliance import add_compliance_routes
from signalpost.api.native.errors import render_error
from signalpost.api.native.schemas import ProfileIn, SendIn, TemplateIn, TemplatePatch
from signalpost.api.native.suppressions import add_suppression_routes
from signalpost.api.native.webhooks import add_webhook_routes
from signalpost.errors import Forbidden, ValidationFailed
from signalpost.http import Request, Response, Router, json_response
from signalpost.idempotency import service as idempotency
from signalpost.messages import service as messages
from signalpost.messages.schemas import (
    Message,
    MessageFilter,
    RecipientSpec,
    SendSpec,
    TemplateRef,
)
from signalpost.templates import service as templates
from signalpost.timeutil import from_datetime, iso, parse_iso

if TYPE_CHECKING:
    from signalpost.context import Context
    from signalpost.storage import Connection

__all__ = ["build_router"]

JSON = [(b"content-type", b"application/json")]


async def _render_message(conn: Connection, scope: Scope, message: Message) -> tuple[bytes, bool]:
    del conn, scope  # the native view depends on the message alone
    return orjson.dumps(presenters.message(message)), True


def build_router(ctx: Context) -> Router:
    router = Router("/v1", tag="native", render_error=render_error)
    db = ctx.db
    views = messages.ViewCache()  # status lookups of unchanged messages

    async def scope(request: Request) -> Scope:
        principal = await ctx.auth.principal(bearer_token(request))
        return await ctx.auth.scope(principal, request.header("x-profile-id"))

    @router.post(
        "/messages",
        body=SendIn,
        responses={202: "accepted: one message per (recipient, channel)"},
    )
    async def send(request: Request) -> Response:
        """Send a message to one or many recipients."""
        sc = await scope(request)
        raw = await request.body()
        body = await parse_body(request, SendIn)
        spec = _send_spec(body)
        key = request.header("idempotency-key")
        if key is not None and not 0 < len(key) <= idempotency.MAX_KEY_LENGTH:
            raise ValidationFailed(details={"Idempotency-Key": ["must be 1 to 255 characters"]})

        async def operation(conn: object) -> tuple[int, str]:
            result = await messages.send(conn, ctx.send_policy, sc, spec)  # type: ignore[arg-type]
            payload = {
                "batch_id": result.batch_id,
                "messages": [presenters.created(c) for c in result.messages],
            }
            return 202, orjson.dumps(payload).decode()

        outcome = await idempotency.run_once(
            db,
            tenant_id=sc.tenant_id,
            key=key,
            request_fingerprint=idempotency.fingerprint("native-send", raw),
            ttl_seconds=ctx.settings.idempotency_ttl_seconds,
            operation=operation,
        )
        headers = list(JSON)
        if key:
            headers.append((b"idempotent-replayed", b"true" if outcome.replayed else b"false"))
        return Response(outcome.body.encode(), outcome.status, headers)

    @router.get("/messages/{id}")
    async def get_message(request: Request) -> Response:
        """A message's status, details and events (oldest first)."""
        sc = await scope(request)
        message_id = messages.parse_message_id(request.path_params["id"])
        async with db.reader() as conn:
            body = await messages.message_view(conn, sc, message_id, views, _render_message)
        return Response(body, 200, JSON)

    @router.get("/messages/{id}/activities")
    async def message_activities(request: Request) -> Response:
        """A message's activities, newest first."""
        sc = await scope(request)
        message_id = messages.parse_message_id(request.path_params["id"])
        async with db.reader() as conn:
            message = await messages.get_message(conn, sc, message_id)
        items = [presenters.event(a) for a in reversed(message.events)]
        return json_response({"message_id": message.id, "activities": items})

    @router.post("/messages/{id}/cancel")
    async def cancel(request: Request) -> Response:
        """Cancel a scheduled or queued message."""
        sc = await scope(request)
        message_id = messages.parse_message_id(request.path_params["id"])
        async with db.transaction() as conn:
            message = await messages.cancel(conn, ctx.recorder, sc, message_id)
        return json_response(presenters.message(message))

    @router.get(
        "/messages",
        query={
            "status": "filter by status (repeat or comma-separate)",
            "channel": "filter by channel",
            "to": "filter by recipient (E.164)",
            "from": "filter by sender",
            "batch_id": "filter by batch",
            "created_after": "ISO 8601 or Unix seconds (inclusive)",
            "created_before": "ISO 8601 or Unix seconds (exclusive)",
            "limit": "1-500, default 50",
            "cursor": "next_cursor from the previous page",
        },
    )
    async def list_messages(request: Request) -> Response:
        """List messages, newest first, with keyset pagination."""
        sc = await scope(request)
        limit = int_param(request, "limit", 50, minimum=1, maximum=500)
        flt = MessageFilter(
            statuses=_statuses(request),
            channel=request.query("channel"),
            to_number=request.query("to"),
            from_number=request.query("from"),
            batch_id=request.query("batch_id"),
            created_from=_time_param(request, "created_after"),
            created_to=_time_param(request, "created_before"),
        )
        cursor = _decode_cursor(request.query("cursor"))
        before = (_as_int(cursor[0]), str(cursor[-1])) if cursor else None
        async with db.reader() as conn:
            rows = await messages.list_messages(conn, sc, flt, limit=limit + 1, before=before)
        page = rows[:limit]
        following = (
            _encode_cursor([page[-1].created_at, page[-1].id]) if len(rows) > limit else None
        )
        data = [presenters.message(m, events=False) for m in page]
        return json_response({"data": data, "next_cursor": following})

    @router.get(
        "/activities",
        query={
            "status": "filter by status",
            "channel": "filter by channel",
            "to": "filter by recipient",
            "from": "filter by sender",
            "message_id": "filter by message",
            "created_after": "ISO 8601 or Unix seconds",
            "created_before": "ISO 8601 or Unix seconds",
            "limit": "1-1000, default 100",
            "cursor": "next_cursor from the previous page (older activities)",
            "after": "activity id: return newer activities, oldest first (live tail)",
        },
    )
    async def list_activities(request: Request) -> Response:
        """List activities across messages, newest first (or a live tail with ``after``)."""
        sc = await scope(request)
        limit = int_param(request, "limit", 100, minimum=1, maximum=1000)
        flt = ActivityFilter(
            statuses=_statuses(request),
            channel=request.query("channel"),
            to_number=request.query("to"),
            from_number=request.query("from"),
            message_id=request.query("message_id"),
            created_from=_time_param(request, "created_after"),
            created_to=_time_param(request, "created_before"),
        )
        after = request.query("after")
        page_cursor = _decode_cursor(request.query("cursor"))
        async with db.reader() as conn:
            rows = await activities.search(
                conn,
                sc,
                flt,
                limit=limit + 1,
                before_id=_as_int(page_cursor[0]) if page_cursor else None,
                after_id=_int_or_error(after, "after") if after else None,
            )
        page = rows[:limit]
        next_cursor = (
            _encode_cursor([page[-1].activity.id]) if len(rows) > limit and not after else None
        )
        data = [presenters.activity(r) for r in page]
        return json_response({"data": data, "next_cursor": next_cursor})

    # ---------------------------------------------------------------- templates

    @router.post("/templates", body=TemplateIn, responses={201: "created"})
    async def create_template(request: Request) -> Response:
        """Create a template."""
        sc = await scope(request)
        body = await parse_body(request, TemplateIn)
        async with db.transaction() as conn:
            t = await templates.create(
                conn,
                sc,
                name=body.name,
                body=body.body,
                category=body.category,
                channels=tuple(body.channels),
            )
        return json_response(presenters.template(t), 201)

    @router.get("/templates")
    async def list_templates(request: Request) -> Response:
        """List templates."""
        sc = await scope(request)
        limit = int_param(request, "limit", 50, minimum=1, maximum=500)
        offset = int_param(request, "offset", 0, minimum=0, maximum=1_000_000)
        async with db.reader() as conn:
            items = await templates.list_templates(conn, sc, limit=limit, offset=offset)
        return json_response({"data": [presenters.template(t) for t in items]})

    @router.get("/templates/{id}")
    async def get_template(request: Request) -> Response:
        """A template."""
        sc = await scope(request)
        async with db.reader() as conn:
            t = await templates.get(conn, sc, request.path_params["id"])
        return json_response(presenters.template(t))

    @router.patch("/templates/{id}", body=TemplatePatch)
    async def update_template(request: Request) -> Response:
        """Change a template."""
        sc = await scope(request)
        body = await parse_body(request, TemplatePatch)
        async with db.transaction() as conn:
            t = await templates.update(
                conn,
                sc,
                request.path_params["id"],
                name=body.name,
                body=body.body,
                category=body.category,
                channels=tuple(body.channels) if body.channels is not None else None,
            )
        return json_response(presenters.template(t))

    @router.delete("/templates/{id}", responses={204: "deleted"})
    async def delete_template(request: Request) -> Response:
        """Delete a template."""
        sc = await scope(request)
        async with db.transaction() as conn:
            await templates.delete(conn, sc, request.path_params["id"])
        return Response(b"", 204)

    # ---------------------------------------------------------------- account

    @router.get("/me")
    async def me(request: Request) -> Response:
        """The calling key and the tenant it acts for."""
        principal = await ctx.auth.principal(bearer_token(request))
        sc = await ctx.auth.scope(principal, request.header("x-profile-id"))
        return json_response(
            {
                "key_id": principal.key_id,
                "organization_id": sc.organization_id,
                "profile_id": sc.profile_id,
                "tenant_id": sc.tenant_id,
            }
        )

    @router.post("/profiles", body=ProfileIn, responses={201: "created"})
    async def create_profile(request: Request) -> Response:
        """Create a child profile (organization keys only)."""
        principal = await ctx.auth.principal(bearer_token(request))
        if not principal.is_organization_key:
            raise Forbidden("Only organization keys may create profiles")
        body = await parse_body(request, ProfileIn)
        async with db.transaction() as conn:
            profile = await accounts.create_profile(conn, principal.organization_id, body.name)
        return json_response(_profile(profile), 201)

    @router.get("/profiles")
    async def list_profiles(request: Request) -> Response:
        """The organization's child profiles."""
        principal = await ctx.auth.principal(bearer_token(request))
        async with db.reader() as conn:
            items = await accounts.list_profiles(conn, principal.organization_id)
        if not principal.is_organization_key:
            items = [p for p in items if p.id == principal.profile_id]
        return json_response({"data": [_profile(p) for p in items]})

    add_webhook_routes(router, ctx)
    add_compliance_routes(router, ctx)
    add_suppression_routes(router, ctx)
    return router


def _profile(p: Profile) -> dict[str, object]:
    return {
        "id": p.id,
        "organization_id": p.organization_id,
        "name": p.name,
        "created_at": iso(p.created_at),
    }


def _send_spec(body: SendIn) -> SendSpec:
    if body.message_key is not None and (len(body.to) != 1 or len(body.channels) != 1):
        raise ValidationFailed(
            details={"message_key": ["only for a send to one recipient on one channel"]}
        )
    template = None
    parameters: dict[str, object] = {}
    if body.template is not None:
        template = TemplateRef(id=body.template.id, name=body.template.name)
        parameters = dict(body.template.parameters)
    return SendSpec(
        recipients=tuple(RecipientSpec(to, message_key=body.message_key) for to in body.to),
        channels=tuple(body.channels),
        text=body.text,
        template=template,
        parameters=parameters,
        sender=body.sender,
        scheduled_at=from_datetime(body.scheduled_at) if body.scheduled_at else None,
        validity_seconds=body.validity_period,
        metadata=body.metadata,
        dialect="native",
        category=body.category,
    )


def _statuses(request: Request) -> tuple[str, ...]:
    values: list[str] = []
    for raw in request.query_all("status") + request.query_all("status[]"):
        values.extend(v.strip().lower() for v in raw.split(",") if v.strip())
    return tuple(values)


def _time_param(request: Request, name: str) -> int | None:
    raw = request.query(name)
    if not raw:
        return None
    try:
        if raw.replace(".", "", 1).isdigit():
            return int(float(raw) * 1_000_000)
        return parse_iso(raw)
    except ValueError as exc:
        raise ValidationFailed(details={name: ["must be ISO 8601 or Unix seconds"]}) from exc


def _int_or_error(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError as exc:
        raise ValidationFailed(details={name: ["must be an integer"]}) from exc


def _as_int(value: object) -> int:
    if isinstance(value, int):
        return value
    raise ValidationFailed(details={"cursor": ["invalid cursor"]})


def _encode_cursor(parts: list[object]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(parts)).decode().rstrip("=")


def _decode_cursor(raw: str | None) -> list[object] | None:
    if not raw:
        return None
    try:
        value = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise ValidationFailed(details={"cursor": ["invalid cursor"]}) from exc
    if not isinstance(value, list) or not value:
        raise ValidationFailed(details={"cursor": ["invalid cursor"]})
    return value
