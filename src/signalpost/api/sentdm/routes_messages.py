"""``/v3/messages``: send, status, activities, cancel and resend."""

from __future__ import annotations

import orjson

from signalpost.accounts.schemas import Scope
from signalpost.api import views
from signalpost.api.kit import Param, Reply
from signalpost.api.sentdm import presenters
from signalpost.api.sentdm.base import SentDm, v3_routes
from signalpost.api.sentdm.envelope import call_of, respond, respond_json
from signalpost.api.sentdm.errors import NotModifiable
from signalpost.api.sentdm.schemas import (
    ActivitiesOut,
    Envelope,
    MessageOut,
    SandboxIn,
    SendIn,
    SentOut,
)
from signalpost.api.sentdm.sending import SendPlan, fan_out, plan_send
from signalpost.contacts import service as contacts
from signalpost.domain.lifecycle import FINAL, Status
from signalpost.http import Request, Response
from signalpost.messages import service as messages
from signalpost.messages.schemas import Message, RecipientSpec, SendSpec
from signalpost.storage import Connection
from signalpost.templates import service as templates
from signalpost.templates.exceptions import TemplateNotFound
from signalpost.templates.schemas import Template

__all__ = ["routes"]

_NEVER_RESENT = frozenset({Status.FILTERED.value, Status.CANCELLED.value})


routes = v3_routes(owns=("/v3/",))  # unknown /v3 paths are answered in the envelope
MESSAGE_ID = Param("the message's id", {"type": "string", "format": "uuid"})
SENT = Reply("accepted: a message per recipient and channel", Envelope[SentOut])
MESSAGE = Reply("the message, with its status", Envelope[MessageOut])
NOT_MODIFIABLE = "the message is not in a state that allows it (BUSINESS_006)"


@routes.post(
    "/messages",
    body=SendIn,
    responses={
        202: SENT,
        404: "the template is not found (RESOURCE_002)",
        422: "every recipient opted out (BUSINESS_004), or the channel is unavailable",
    },
)
async def send(d: SentDm, request: Request, scope: Scope, body: SendIn, conn: None) -> Response:
    """Send a message to one or more recipients on one or more channels."""
    now = call_of(request).now
    plan = plan_send(body, now)

    async def operation(conn: Connection) -> tuple[int, object]:
        return 202, await _send(d, conn, scope, plan, now)

    return await d.mutate(request, scope, operation, sandbox=body.sandbox)


@routes.get("/messages/{id}", tx="read", path_params={"id": MESSAGE_ID}, responses={200: MESSAGE})
async def get_message(
    d: SentDm, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """A message's status and details, with its events oldest first."""
    message_id = messages.parse_message_id(request.path_params["id"])
    data = await views.message_view(conn, scope, message_id, d.views, _render_message)
    return respond_json(call_of(request), data)


@routes.get(
    "/messages/{id}/activities",
    tx="read",
    path_params={"id": MESSAGE_ID},
    responses={200: Reply("the message's activities", Envelope[ActivitiesOut])},
)
async def message_activities(
    d: SentDm, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """A message's activity log, newest first."""
    message_id = messages.parse_message_id(request.path_params["id"])
    message = await messages.get_message(conn, scope, message_id)
    return respond(call_of(request), presenters.activities(message))


@routes.post(
    "/messages/{id}/cancel",
    body=SandboxIn,
    empty_body=True,
    path_params={"id": MESSAGE_ID},
    responses={200: Reply("the cancelled message", Envelope[MessageOut]), 422: NOT_MODIFIABLE},
)
async def cancel(
    d: SentDm, request: Request, scope: Scope, body: SandboxIn, conn: None
) -> Response:
    """Call off a scheduled message that has not been released yet."""
    message_id = messages.parse_message_id(request.path_params["id"])

    async def operation(conn: Connection) -> tuple[int, object]:
        current = await messages.get_message(conn, scope, message_id, with_events=False)
        if current.status != Status.SCHEDULED.value:
            raise NotModifiable(
                "Only a scheduled message that is not released yet can be cancelled"
            )
        message = await messages.cancel(conn, d.ctx.recorder, scope, message_id)
        return 200, presenters.message(message, await _category(conn, scope, message))

    return await d.mutate(request, scope, operation, sandbox=body.sandbox)


@routes.post(
    "/messages/{id}/resend",
    body=SandboxIn,
    empty_body=True,
    path_params={"id": MESSAGE_ID},
    responses={202: SENT, 422: NOT_MODIFIABLE},
)
async def resend(
    d: SentDm, request: Request, scope: Scope, body: SandboxIn, conn: None
) -> Response:
    """Send a finished message again as a new message (never FILTERED or CANCELLED ones)."""
    message_id = messages.parse_message_id(request.path_params["id"])
    now = call_of(request).now

    async def operation(conn: Connection) -> tuple[int, object]:
        old = await messages.get_message(conn, scope, message_id, with_events=False)
        return 202, await _resend(d, conn, scope, old, now)

    return await d.mutate(request, scope, operation, sandbox=body.sandbox)


async def _send(d: SentDm, conn: Connection, scope: Scope, plan: SendPlan, now: int) -> object:
    preferences = await contacts.record_recipients(conn, scope, plan.numbers)
    template = await _template(conn, scope, plan)
    groups, pairs = fan_out(plan, preferences.default_channels)
    created: list[Message] = []
    for group in groups:
        spec = group.spec(plan, template.id if template else None)
        result = await messages.send(conn, d.ctx.send_policy, scope, spec, now=now)
        created.extend(result.messages)
    return presenters.send_result(
        pairs, created, auto=not plan.channels, template=template, scheduled_at=plan.scheduled_at
    )


async def _template(conn: Connection, scope: Scope, plan: SendPlan) -> Template | None:
    if plan.template is None:
        return None
    ref = plan.template
    found = await templates.find(conn, scope, template_id=ref.id, name=None if ref.id else ref.name)
    if found is None:
        raise TemplateNotFound()
    return found


async def _resend(d: SentDm, conn: Connection, scope: Scope, old: Message, now: int) -> object:
    if old.status in _NEVER_RESENT or Status(old.status) not in FINAL:
        raise NotModifiable(
            "Only a finished message can be resent; FILTERED and CANCELLED messages never can"
        )
    await contacts.record_recipients(conn, scope, [old.to_number])
    spec = SendSpec(
        recipients=(RecipientSpec(old.to_number),),
        channels=(old.channel,),
        text=old.body,
        sender=old.from_number,
        dialect="sentdm",
    )
    result = await messages.send(conn, d.ctx.send_policy, scope, spec, now=now)
    pairs = [(old.to_number, old.channel)]
    return presenters.send_result(
        pairs, result.messages, auto=False, template=None, scheduled_at=None
    )


async def _render_message(conn: Connection, scope: Scope, message: Message) -> tuple[bytes, bool]:
    """The message resource as JSON; a templated message's view is not kept, as its
    template's category can change without the message changing."""
    category = await _category(conn, scope, message) if message.template_id else None
    return orjson.dumps(presenters.message(message, category)), message.template_id is None


async def _category(conn: Connection, scope: Scope, message: Message) -> str | None:
    if not message.template_id:
        return None
    try:
        return (await templates.get(conn, scope, message.template_id)).category
    except TemplateNotFound:
        return None
