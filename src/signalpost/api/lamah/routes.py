"""Routes of the Lamah dialect: sends, message details and project details."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.api.common import bearer_token
from signalpost.api.lamah import wire
from signalpost.api.lamah.errors import LamahError, render_error
from signalpost.api.lamah.requests import (
    MAX_MESSAGE,
    MAX_RECEIVERS,
    Common,
    json_object,
    parse_common,
    parse_number,
    parse_params,
    raise_if,
    required_text,
)
from signalpost.api.ratelimit import Decision, RateLimiter
from signalpost.contact_groups import service as contact_groups
from signalpost.contact_groups.exceptions import GroupNotFound
from signalpost.domain.placeholders import variables_of
from signalpost.errors import RateLimited
from signalpost.http import Request, Response, Router, json_response
from signalpost.messages import service as messages
from signalpost.messages.schemas import Message, RecipientSpec, SendResult, SendSpec, TemplateRef
from signalpost.templates import service as templates

if TYPE_CHECKING:
    from signalpost.context import Context

__all__ = ["build_router"]


def _send_spec(
    common: Common,
    numbers: list[str],
    *,
    send_type: str,
    group_id: str | None = None,
    text: str | None = None,
    template: TemplateRef | None = None,
    parameters: dict[str, str] | None = None,
) -> SendSpec:
    return SendSpec(
        recipients=tuple(RecipientSpec(to=n) for n in numbers),
        text=text,
        template=template,
        parameters=parameters or {},
        sender=common.sender,
        metadata={
            "send_type": send_type,
            "payment_type": common.payment_type,
            "contact_group_id": group_id,
        },
        dialect="lamah",
    )


def _sent_body(result: SendResult, *, details: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": result.batch_id,
        "cost": sum(m.segments for m in result.messages),
    }
    if details:
        sent = sum(1 for m in result.messages if m.status not in ("blocked", "filtered"))
        body["details"] = {"sent": sent, "total": len(result.messages)}
    return body


def _receiver(message: Message) -> dict[str, Any]:
    return {
        "number": wire.number(message.to_number),
        "sent_at": wire.timestamp(message.sent_at),
        "delivered_at": wire.timestamp(message.delivered_at),
        "status": wire.receiver_status(message.status),
        "delivery_report": None,
        "created_at": wire.timestamp(message.created_at),
        "updated_at": wire.timestamp(message.updated_at),
    }


def _details(batch: list[Message]) -> list[dict[str, Any]]:
    first = batch[0]
    meta = orjson.loads(first.metadata) if first.metadata else {}
    return [
        {
            "short_message": first.body,
            "message_type": "sms",
            "send_type": meta.get("send_type", "multiple" if len(batch) > 1 else "single"),
            "contact_group_id": meta.get("contact_group_id"),
            "message_consumption": first.segments,
            "receiver": [_receiver(m) for m in batch],
        }
    ]


def build_router(ctx: Context) -> Router:
    router = Router("/api", tag="lamah", render_error=render_error)
    db = ctx.db
    limiter = RateLimiter(
        "lamah",
        {"sms": ctx.settings.lamah_sms_rate_limit, "other": ctx.settings.lamah_rate_limit},
        ctx.rate_counter,
    )

    async def caller(request: Request, kind: str) -> tuple[Scope, Decision]:
        principal = await ctx.auth.principal(bearer_token(request))
        decision = await limiter.hit(kind, principal.key_id)
        if not decision.allowed:
            raise RateLimited(retry_after=decision.retry_after)
        return await ctx.auth.scope(principal), decision

    def answer(body: Any, decision: Decision) -> Response:
        return json_response(body, 200, decision.headers())

    async def send(scope: Scope, spec: SendSpec) -> SendResult:
        async with db.transaction() as conn:
            return await messages.send(conn, ctx.send_policy, scope, spec)

    @router.post("/sms/messages", responses={200: '{"message_id", "cost"}'})
    async def send_single(request: Request) -> Response:
        """Send a message to one receiver."""
        scope, decision = await caller(request, "sms")
        data = await json_object(request)
        errors: dict[str, list[str]] = {}
        text = required_text(data, "message", errors, max_length=MAX_MESSAGE)
        common = parse_common(data, errors)
        if data.get("receiver") in (None, ""):
            errors["receiver"] = ["The receiver field is required."]
        raise_if(errors)
        number = parse_number(data["receiver"])
        result = await send(scope, _send_spec(common, [number], send_type="single", text=text))
        return answer(_sent_body(result, details=False), decision)

    @router.post("/sms/messages/bulk", responses={200: '{"message_id", "cost", "details"}'})
    async def send_bulk(request: Request) -> Response:
        """Send one text to up to 1000 receivers (duplicates removed)."""
        scope, decision = await caller(request, "sms")
        data = await json_object(request)
        errors: dict[str, list[str]] = {}
        text = required_text(data, "message", errors, max_length=MAX_MESSAGE)
        common = parse_common(data, errors)
        receivers = data.get("receivers")
        if not isinstance(receivers, list) or not receivers:
            errors["receivers"] = ["The receivers field is required."]
        elif len(receivers) > MAX_RECEIVERS:
            errors["receivers"] = [
                f"The receivers field must not have more than {MAX_RECEIVERS} items."
            ]
        raise_if(errors)
        assert isinstance(receivers, list)
        numbers = list(dict.fromkeys(parse_number(r) for r in receivers))
        result = await send(scope, _send_spec(common, numbers, send_type="multiple", text=text))
        return answer(_sent_body(result, details=True), decision)

    @router.post("/sms/messages/template", responses={200: '{"message_id", "cost"}'})
    async def send_template(request: Request) -> Response:
        """Send a stored template to one receiver; every placeholder needs a parameter."""
        scope, decision = await caller(request, "sms")
        data = await json_object(request)
        errors: dict[str, list[str]] = {}
        name = required_text(data, "template_id", errors, max_length=200)
        common = parse_common(data, errors)
        if data.get("receiver") in (None, ""):
            errors["receiver"] = ["The receiver field is required."]
        params = parse_params(data.get("params", []), errors)
        raise_if(errors)
        number = parse_number(data["receiver"])
        async with db.reader() as conn:
            template = await templates.find(conn, scope, template_id=name, name=name)
        if template is None:
            raise LamahError("Template not found")
        missing = [v for v in variables_of(template.body) if v not in params]
        if missing:
            raise LamahError(f"Missing parameter: {missing[0]}")
        spec = _send_spec(
            common,
            [number],
            send_type="single",
            template=TemplateRef(id=template.id),
            parameters=params,
        )
        return answer(_sent_body(await send(scope, spec), details=False), decision)

    @router.post("/sms/messages/contacts", responses={200: '{"message_id", "cost", "details"}'})
    async def send_group(request: Request) -> Response:
        """Send one text to every contact of a contact group of the project."""
        scope, decision = await caller(request, "sms")
        data = await json_object(request)
        errors: dict[str, list[str]] = {}
        text = required_text(data, "message", errors, max_length=MAX_MESSAGE)
        common = parse_common(data, errors)
        group_id = required_text(data, "contact_group_id", errors, max_length=64)
        raise_if(errors)
        async with db.reader() as conn:
            try:
                group = await contact_groups.get_group(conn, scope, group_id)
            except GroupNotFound as exc:
                raise LamahError("Contact group not found") from exc
        if not group.members:
            raise LamahError("The contact group has no contacts.")
        spec = _send_spec(
            common, list(group.members), send_type="multiple", group_id=group.id, text=text
        )
        return answer(_sent_body(await send(scope, spec), details=True), decision)

    @router.get("/sms/messages/{message_id}", responses={200: "[message with receivers]"})
    async def details(request: Request) -> Response:
        """Details and per-receiver status of a send (by the message_id it returned)."""
        scope, decision = await caller(request, "other")
        async with db.reader() as conn:
            batch = await messages.get_batch(conn, scope, request.path_params["message_id"])
        return answer(_details(batch), decision)

    @router.get("/project/details", responses={200: "the project of the token"})
    async def project(request: Request) -> Response:
        """The project (tenant) the token belongs to."""
        scope, decision = await caller(request, "other")
        async with db.reader() as conn:
            org = await accounts.get_organization(conn, scope.organization_id)
            profile = (
                await accounts.get_profile(conn, scope.organization_id, scope.profile_id)
                if scope.profile_id
                else None
            )
        body: dict[str, Any] = {
            "project_name": profile.name if profile else org.name,
            "description": None,
            "company": org.name,
            "status": "active",
            "type": "production",
            "subscription": [],
        }
        return answer(body, decision)

    return router
