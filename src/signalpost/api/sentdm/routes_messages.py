"""``/v3/messages``: send, status, activities, cancel and resend."""

from __future__ import annotations

import orjson

from signalpost.accounts.schemas import Scope
from signalpost.api.common import parse_body
from signalpost.api.sentdm import presenters
from signalpost.api.sentdm.base import SentDm
from signalpost.api.sentdm.envelope import Call, respond, respond_json
from signalpost.api.sentdm.errors import NotModifiable
from signalpost.api.sentdm.mutation import run_mutation
from signalpost.api.sentdm.schemas import SandboxIn, SendIn
from signalpost.api.sentdm.sending import SendPlan, fan_out, plan_send
from signalpost.contacts import service as contacts
from signalpost.domain.lifecycle import FINAL, Status
from signalpost.http import Request, Response, Router
from signalpost.messages import service as messages
from signalpost.messages.schemas import CreatedMessage, Message, RecipientSpec, SendSpec
from signalpost.storage import Connection
from signalpost.templates import service as templates
from signalpost.templates.exceptions import TemplateNotFound
from signalpost.templates.schemas import Template

__all__ = ["register"]

_NEVER_RESENT = frozenset({Status.FILTERED.value, Status.CANCELLED.value})


def register(router: Router, d: SentDm) -> None:
    """Add the message routes to ``router``."""
    db = d.ctx.db
    ttl = d.ctx.settings.idempotency_ttl_seconds

    @router.post("/messages", body=SendIn, responses={202: "accepted: a message per pair"})
    async def send(request: Request) -> Response:
        """Send a message to one or more recipients on one or more channels."""
        call = await d.call(request)
        body = await parse_body(request, SendIn)
        plan = plan_send(body, call.now)

        async def operation(conn: Connection) -> tuple[int, object]:
            return 202, await _send(d, conn, call, plan)

        return await run_mutation(
            db, request, call, operation, sandbox=body.sandbox, ttl_seconds=ttl
        )

    @router.get("/messages/{id}")
    async def get_message(request: Request) -> Response:
        """A message's status and details, with its events oldest first."""
        call = await d.call(request)
        message_id = messages.parse_message_id(request.path_params["id"])
        async with db.reader() as conn:
            data = await messages.message_view(
                conn, call.tenant, message_id, d.views, _render_message
            )
        return respond_json(call, data)

    @router.get("/messages/{id}/activities")
    async def message_activities(request: Request) -> Response:
        """A message's activity log, newest first."""
        call = await d.call(request)
        message_id = messages.parse_message_id(request.path_params["id"])
        async with db.reader() as conn:
            message = await messages.get_message(conn, call.tenant, message_id)
        return respond(call, presenters.activities(message))

    @router.post("/messages/{id}/cancel", body=SandboxIn)
    async def cancel(request: Request) -> Response:
        """Call off a scheduled message that has not been released yet."""
        call = await d.call(request)
        message_id = messages.parse_message_id(request.path_params["id"])
        body = await parse_body(request, SandboxIn, empty_ok=True)

        async def operation(conn: Connection) -> tuple[int, object]:
            current = await messages.get_message(conn, call.tenant, message_id, with_events=False)
            if current.status != Status.SCHEDULED.value:
                raise NotModifiable(
                    "Only a scheduled message that is not released yet can be cancelled"
                )
            message = await messages.cancel(conn, d.ctx.recorder, call.tenant, message_id)
            return 200, presenters.message(message, await _category(conn, call.tenant, message))

        return await run_mutation(
            db, request, call, operation, sandbox=body.sandbox, ttl_seconds=ttl
        )

    @router.post("/messages/{id}/resend", body=SandboxIn, responses={202: "accepted"})
    async def resend(request: Request) -> Response:
        """Send a finished message again as a new message (never FILTERED or CANCELLED ones)."""
        call = await d.call(request)
        message_id = messages.parse_message_id(request.path_params["id"])
        body = await parse_body(request, SandboxIn, empty_ok=True)

        async def operation(conn: Connection) -> tuple[int, object]:
            old = await messages.get_message(conn, call.tenant, message_id, with_events=False)
            return 202, await _resend(d, conn, call, old)

        return await run_mutation(
            db, request, call, operation, sandbox=body.sandbox, ttl_seconds=ttl
        )


async def _send(d: SentDm, conn: Connection, call: Call, plan: SendPlan) -> object:
    scope = call.tenant
    preferences = await contacts.record_recipients(conn, scope, plan.numbers)
    template = await _template(conn, call, plan)
    groups, pairs = fan_out(plan, preferences.default_channels)
    created: list[CreatedMessage] = []
    for group in groups:
        spec = group.spec(plan, template.id if template else None)
        result = await messages.send(conn, d.ctx.send_policy, scope, spec, now=call.now)
        created.extend(result.messages)
    return presenters.send_result(
        pairs, created, auto=not plan.channels, template=template, scheduled_at=plan.scheduled_at
    )


async def _template(conn: Connection, call: Call, plan: SendPlan) -> Template | None:
    if plan.template is None:
        return None
    ref = plan.template
    found = await templates.find(
        conn, call.tenant, template_id=ref.id, name=None if ref.id else ref.name
    )
    if found is None:
        raise TemplateNotFound()
    return found


async def _resend(d: SentDm, conn: Connection, call: Call, old: Message) -> object:
    if old.status in _NEVER_RESENT or Status(old.status) not in FINAL:
        raise NotModifiable(
            "Only a finished message can be resent; FILTERED and CANCELLED messages never can"
        )
    await contacts.record_recipients(conn, call.tenant, [old.to_number])
    spec = SendSpec(
        recipients=(RecipientSpec(old.to_number),),
        channels=(old.channel,),
        text=old.body,
        sender=old.from_number,
        dialect="sentdm",
    )
    result = await messages.send(conn, d.ctx.send_policy, call.tenant, spec, now=call.now)
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
