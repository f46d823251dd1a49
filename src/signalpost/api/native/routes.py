"""Routes of the native API: each parses, calls services, and presents."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Profile, Scope
from signalpost.activities import service as activities
from signalpost.api.common import bearer_token, parse_body
from signalpost.api.native import presenters
from signalpost.api.native.compliance import add_compliance_routes
from signalpost.api.native.errors import render_error
from signalpost.api.native.exports import add_export_routes
from signalpost.api.native.keys import add_key_routes
from signalpost.api.native.params import (
    ACTIVITY_LIMIT,
    AFTER_ACTIVITY,
    CREATED_AFTER,
    CREATED_BEFORE,
    LIMIT,
    OFFSET,
    activity_filter,
    cursor_int,
    decode_cursor,
    encode_cursor,
    message_filter,
)
from signalpost.api.native.schemas import ProfileIn, SendIn, TemplateIn, TemplatePatch
from signalpost.api.native.stats import add_stats_routes
from signalpost.api.native.suppressions import add_suppression_routes
from signalpost.api.native.webhooks import add_webhook_routes
from signalpost.errors import Forbidden, ValidationFailed
from signalpost.http import Request, Response, Router, json_response
from signalpost.idempotency import service as idempotency
from signalpost.messages import service as messages
from signalpost.messages.schemas import (
    Message,
    RecipientSpec,
    SendSpec,
    TemplateRef,
)
from signalpost.templates import service as templates
from signalpost.timeutil import from_datetime, iso

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

        async def operation(conn: Connection) -> tuple[int, str]:
            result = await messages.send(conn, ctx.send_policy, sc, spec)
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
            "created_after": CREATED_AFTER,
            "created_before": CREATED_BEFORE,
            "limit": LIMIT,
            "cursor": "next_cursor from the previous page",
        },
    )
    async def list_messages(request: Request) -> Response:
        """List messages, newest first, with keyset pagination."""
        sc = await scope(request)
        limit = LIMIT.value(request)
        flt = message_filter(request)
        cursor = decode_cursor(request.query("cursor"))
        before = (cursor_int(cursor[0]), str(cursor[-1])) if cursor else None
        async with db.reader() as conn:
            rows = await messages.list_messages(conn, sc, flt, limit=limit + 1, before=before)
        page = rows[:limit]
        following = encode_cursor([page[-1].created_at, page[-1].id]) if len(rows) > limit else None
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
            "batch_id": "filter by batch",
            "created_after": CREATED_AFTER,
            "created_before": CREATED_BEFORE,
            "limit": ACTIVITY_LIMIT,
            "cursor": "next_cursor from the previous page (older activities)",
            "after": AFTER_ACTIVITY,
        },
    )
    async def list_activities(request: Request) -> Response:
        """List activities across messages, newest first (or a live tail with ``after``)."""
        sc = await scope(request)
        limit = ACTIVITY_LIMIT.value(request)
        flt = activity_filter(request)
        after = AFTER_ACTIVITY.read(request)
        page_cursor = decode_cursor(request.query("cursor"))
        async with db.reader() as conn:
            before = await _activity_position(conn, sc, page_cursor)
            rows = await activities.search(
                conn,
                sc,
                flt,
                limit=limit + 1,
                before=before,
                after_id=after,
            )
        page = rows[:limit]
        next_cursor = (
            encode_cursor([page[-1].activity.created_at, page[-1].activity.id])
            if len(rows) > limit and after is None
            else None
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

    @router.get("/templates", query={"limit": LIMIT, "offset": OFFSET})
    async def list_templates(request: Request) -> Response:
        """List templates."""
        sc = await scope(request)
        limit = LIMIT.value(request)
        offset = OFFSET.value(request)
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
    add_stats_routes(router, ctx)
    add_export_routes(router, ctx)
    add_key_routes(router, ctx)
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


async def _activity_position(
    conn: Connection, sc: Scope, cursor: list[object] | None
) -> tuple[int, int] | None:
    """The (created_at, id) a page of activities starts after; a cursor of an id alone
    (as earlier versions gave) is placed at that activity."""
    if cursor is None:
        return None
    if len(cursor) == 2:
        return (cursor_int(cursor[0]), cursor_int(cursor[1]))
    position = await activities.cursor_of(conn, sc, cursor_int(cursor[0]))
    if position is None:
        raise ValidationFailed(details={"cursor": ["invalid cursor"]})
    return position
