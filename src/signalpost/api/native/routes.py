"""Routes of the native API: messages, activities, templates and the account; the dialect.

Each route parses what the kit did not, calls services, and presents.
"""

from __future__ import annotations

import orjson

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Profile, Scope
from signalpost.activities import service as activities
from signalpost.api import views
from signalpost.api.kit import Caller, Dialect, Param, Reply, Routes
from signalpost.api.native import (
    answers,
    compliance,
    exports,
    keys,
    presenters,
    stats,
    suppressions,
    webhooks,
)
from signalpost.api.native.base import (
    CALLER,
    ID,
    UUID,
    Native,
    authenticate,
    caller_kept,
    organization_key,
    own_tenant,
    resolve_scope,
)
from signalpost.api.native.errors import render_error
from signalpost.api.native.params import (
    ACTIVITY_FILTERS,
    ACTIVITY_LIMIT,
    AFTER_ACTIVITY,
    CURSOR,
    LIMIT,
    MESSAGE_FILTERS,
    OFFSET,
    activity_filter,
    cursor_int,
    decode_cursor,
    encode_cursor,
    message_filter,
)
from signalpost.api.native.schemas import ProfileIn, SendIn, TemplateIn, TemplatePatch
from signalpost.errors import ValidationFailed
from signalpost.http import Request, Response, json_response
from signalpost.idempotency import service as idempotency
from signalpost.messages import service as messages
from signalpost.messages.schemas import (
    Message,
    RecipientSpec,
    SendSpec,
    TemplateRef,
)
from signalpost.storage import Connection
from signalpost.templates import service as templates
from signalpost.timeutil import from_datetime, iso
from signalpost.webhooks.formats import NativeFormat

__all__ = ["DIALECT"]

JSON = [(b"content-type", b"application/json")]
MESSAGE_ID = {"id": Param("the message's id", UUID)}
NOT_A_MESSAGE_ID = "not a message id"

routes = Routes[Native]("/v1")  # the first: unknown paths answer in the native envelope


async def _render_message(conn: Connection, scope: Scope, message: Message) -> tuple[bytes, bool]:
    del conn, scope  # the native view depends on the message alone
    return orjson.dumps(presenters.message(message)), True


@routes.post(
    "/messages",
    body=SendIn,
    responses={
        202: Reply("accepted: one message per (recipient, channel)", answers.SendAccepted),
        409: "a message_key already used",
    },
)
async def send(api: Native, request: Request, scope: Scope, body: SendIn, conn: None) -> Response:
    """Send a message to one or many recipients."""
    ctx = api.ctx
    spec = _send_spec(body)
    key = request.header("idempotency-key")
    if key is not None and not 0 < len(key) <= idempotency.MAX_KEY_LENGTH:
        raise ValidationFailed(details={"Idempotency-Key": ["must be 1 to 255 characters"]})

    async def operation(conn: Connection) -> tuple[int, str]:
        result = await messages.send(conn, ctx.send_policy, scope, spec)
        payload = {
            "batch_id": result.batch_id,
            "messages": [presenters.created(c) for c in result.messages],
        }
        return 202, orjson.dumps(payload).decode()

    outcome = await idempotency.run_once(
        ctx.db,
        tenant_id=scope.tenant_id,
        key=key,
        request_fingerprint=idempotency.fingerprint("native-send", await request.body()),
        ttl_seconds=ctx.settings.idempotency_ttl_seconds,
        operation=operation,
    )
    headers = list(JSON)
    if key:
        headers.append((b"idempotent-replayed", b"true" if outcome.replayed else b"false"))
    return Response(outcome.body.encode(), outcome.status, headers)


@routes.get(
    "/messages/{id}",
    tx="read",
    path_params=MESSAGE_ID,
    responses={200: answers.MessageOut, 400: NOT_A_MESSAGE_ID},
)
async def get_message(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """A message's status, details and events (oldest first)."""
    message_id = messages.parse_message_id(request.path_params["id"])
    view = await views.message_view(conn, scope, message_id, api.views, _render_message)
    return Response(view, 200, JSON)


@routes.get(
    "/messages/{id}/activities",
    tx="read",
    path_params=MESSAGE_ID,
    responses={200: answers.MessageActivitiesOut, 400: NOT_A_MESSAGE_ID},
)
async def message_activities(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """A message's activities, newest first."""
    message_id = messages.parse_message_id(request.path_params["id"])
    message = await messages.get_message(conn, scope, message_id)
    items = [presenters.event(a) for a in reversed(message.events)]
    return json_response({"message_id": message.id, "activities": items})


@routes.post(
    "/messages/{id}/cancel",
    tx="write",
    path_params=MESSAGE_ID,
    responses={
        200: Reply("cancelled", answers.MessageOut),
        400: NOT_A_MESSAGE_ID,
        409: "no longer scheduled or queued",
    },
)
async def cancel(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Cancel a scheduled or queued message."""
    message_id = messages.parse_message_id(request.path_params["id"])
    message = await messages.cancel(conn, api.ctx.recorder, scope, message_id)
    return json_response(presenters.message(message))


@routes.get(
    "/messages",
    tx="read",
    query={**MESSAGE_FILTERS, "limit": LIMIT, "cursor": CURSOR},
    responses={200: answers.MessagePage, 422: "invalid filter or cursor"},
)
async def list_messages(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """List messages, newest first, with keyset pagination."""
    limit = LIMIT.value(request)
    flt = message_filter(request)
    cursor = decode_cursor(request.query("cursor"))
    before = (cursor_int(cursor[0]), str(cursor[-1])) if cursor else None
    rows = await messages.list_messages(conn, scope, flt, limit=limit + 1, before=before)
    page = rows[:limit]
    following = encode_cursor([page[-1].created_at, page[-1].id]) if len(rows) > limit else None
    data = [presenters.message(m, events=False) for m in page]
    return json_response({"data": data, "next_cursor": following})


@routes.get(
    "/activities",
    tx="read",
    query={
        **ACTIVITY_FILTERS,
        "limit": ACTIVITY_LIMIT,
        "cursor": Param("next_cursor from the previous page (older activities)"),
        "after": AFTER_ACTIVITY,
    },
    responses={200: answers.ActivityPage, 422: "invalid filter or cursor"},
)
async def list_activities(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """List activities across messages, newest first (or a live tail with ``after``)."""
    limit = ACTIVITY_LIMIT.value(request)
    flt = activity_filter(request)
    after = AFTER_ACTIVITY.read(request)
    before = await _activity_position(conn, scope, decode_cursor(request.query("cursor")))
    rows = await activities.search(conn, scope, flt, limit=limit + 1, before=before, after_id=after)
    page = rows[:limit]
    next_cursor = (
        encode_cursor([page[-1].activity.created_at, page[-1].activity.id])
        if len(rows) > limit and after is None
        else None
    )
    data = [presenters.activity(r) for r in page]
    return json_response({"data": data, "next_cursor": next_cursor})


# --------------------------------------------------------------------------- templates


@routes.post(
    "/templates",
    tx="write",
    body=TemplateIn,
    responses={201: Reply("created", answers.TemplateOut), 409: "the name is taken"},
)
async def create_template(
    api: Native, request: Request, scope: Scope, body: TemplateIn, conn: Connection
) -> Response:
    """Create a template."""
    t = await templates.create(
        conn,
        scope,
        name=body.name,
        body=body.body,
        category=body.category,
        channels=tuple(body.channels),
    )
    return json_response(presenters.template(t), 201)


@routes.get(
    "/templates",
    tx="read",
    query={"limit": LIMIT, "offset": OFFSET},
    responses={200: answers.TemplateList, 422: "invalid limit or offset"},
)
async def list_templates(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """List templates."""
    limit = LIMIT.value(request)
    offset = OFFSET.value(request)
    items = await templates.list_templates(conn, scope, limit=limit, offset=offset)
    return json_response({"data": [presenters.template(t) for t in items]})


@routes.get("/templates/{id}", tx="read", path_params=ID, responses={200: answers.TemplateOut})
async def get_template(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """A template."""
    t = await templates.get(conn, scope, request.path_params["id"])
    return json_response(presenters.template(t))


@routes.patch(
    "/templates/{id}",
    tx="write",
    body=TemplatePatch,
    path_params=ID,
    responses={200: Reply("changed", answers.TemplateOut), 409: "the name is taken"},
)
async def update_template(
    api: Native, request: Request, scope: Scope, body: TemplatePatch, conn: Connection
) -> Response:
    """Change a template."""
    t = await templates.update(
        conn,
        scope,
        request.path_params["id"],
        name=body.name,
        body=body.body,
        category=body.category,
        channels=tuple(body.channels) if body.channels is not None else None,
    )
    return json_response(presenters.template(t))


@routes.delete("/templates/{id}", tx="write", path_params=ID, responses={204: "deleted"})
async def delete_template(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Delete a template."""
    await templates.delete(conn, scope, request.path_params["id"])
    return Response(b"", 204)


# --------------------------------------------------------------------------- account


@routes.get("/me", auth=caller_kept, responses={200: answers.MeOut})
async def me(api: Native, request: Request, scope: Scope, body: None, conn: None) -> Response:
    """The calling key and the tenant it acts for."""
    caller: Caller = request.state[CALLER]
    return json_response(
        {
            "key_id": caller.key,
            "organization_id": scope.organization_id,
            "profile_id": scope.profile_id,
            "tenant_id": scope.tenant_id,
        }
    )


@routes.post(
    "/profiles",
    auth=organization_key,
    tx="write",
    body=ProfileIn,
    responses={201: Reply("created", answers.ProfileOut), 403: "not an organization key"},
)
async def create_profile(
    api: Native, request: Request, scope: Scope, body: ProfileIn, conn: Connection
) -> Response:
    """Create a child profile (organization keys only)."""
    profile = await accounts.create_profile(conn, scope.organization_id, body.name)
    return json_response(_profile(profile), 201)


@routes.get("/profiles", auth=own_tenant, tx="read", responses={200: answers.ProfileList})
async def list_profiles(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """The organization's child profiles (a profile key's own alone)."""
    items = await accounts.list_profiles(conn, scope.organization_id)
    if scope.profile_id is not None:
        items = [p for p in items if p.id == scope.profile_id]
    return json_response({"data": [_profile(p) for p in items]})


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


DIALECT = Dialect[Native](
    name="native",
    state=Native,
    routes=(
        routes,
        webhooks.routes,
        stats.routes,
        exports.routes,
        keys.routes,
        compliance.routes,
        suppressions.routes,
    ),
    render_error=render_error,
    authenticate=authenticate,
    resolve_scope=resolve_scope,
    error_model=answers.NativeError,
    auth_errors=(401, 403),
    webhook_formats=(NativeFormat(),),
)
