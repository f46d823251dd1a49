"""Routes of the Lamah dialect: sends, message details and project details."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.api.common import bearer_token
from signalpost.api.kit import Caller, Dialect, Param, Reply, Routes
from signalpost.api.lamah import schemas, wire
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
from signalpost.api.laravel import LARAVEL_10
from signalpost.api.ratelimit import Decision, RateLimiter
from signalpost.contact_groups import service as contact_groups
from signalpost.contact_groups.exceptions import GroupNotFound
from signalpost.domain.placeholders import variables_of
from signalpost.errors import RateLimited
from signalpost.http import Request, Response, json_response
from signalpost.messages import service as messages
from signalpost.messages.schemas import Message, RecipientSpec, SendResult, SendSpec, TemplateRef
from signalpost.storage import Connection
from signalpost.templates import service as templates

if TYPE_CHECKING:
    from signalpost.context import Context

__all__ = ["DIALECT"]


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


class Lamah:
    """The dialect's state in a process: the context and the rate limiter."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.limits = RateLimiter(
            "lamah",
            {"sms": ctx.settings.lamah_sms_rate_limit, "other": ctx.settings.lamah_rate_limit},
            ctx.rate_counter,
        )

    async def send(self, scope: Scope, spec: SendSpec) -> SendResult:
        async with self.ctx.db.transaction() as conn:
            return await messages.send(conn, self.ctx.send_policy, scope, spec)


async def _caller(api: Lamah, request: Request) -> Caller:
    """A project token is an API key; limits count per key."""
    principal = await api.ctx.auth.principal(bearer_token(request))
    return Caller(principal.key_id, principal)


async def _scope(api: Lamah, request: Request, caller: Caller) -> Scope:
    del request
    assert caller.principal is not None
    return await api.ctx.auth.scope(caller.principal)


def _refuse(decision: Decision) -> Exception:
    return RateLimited(retry_after=decision.retry_after)


routes = Routes[Lamah]("/api")
SENT = Reply("accepted: the send's message_id and cost", schemas.SentOut)
SENT_TO_MANY = Reply("accepted, with how many receivers were sent to", schemas.SentManyOut)
REFUSED = Reply("the send was refused (see message)", schemas.ErrorOut)


@routes.post(
    "/sms/messages",
    limit="sms",
    raw_body=schemas.SingleIn,
    responses={200: SENT, 400: REFUSED, 422: "invalid fields"},
)
async def send_single(
    api: Lamah, request: Request, scope: Scope, body: None, conn: None
) -> Response:
    """Send a message to one receiver."""
    data = await json_object(request)
    errors: dict[str, list[str]] = {}
    text = required_text(data, "message", errors, max_length=MAX_MESSAGE)
    common = parse_common(data, errors)
    if data.get("receiver") in (None, ""):
        errors["receiver"] = [LARAVEL_10.of("required", "receiver")]
    raise_if(errors)
    number = parse_number(data["receiver"])
    result = await api.send(scope, _send_spec(common, [number], send_type="single", text=text))
    return json_response(_sent_body(result, details=False))


@routes.post(
    "/sms/messages/bulk",
    limit="sms",
    raw_body=schemas.BulkIn,
    responses={200: SENT_TO_MANY, 400: REFUSED, 422: "invalid fields"},
)
async def send_bulk(api: Lamah, request: Request, scope: Scope, body: None, conn: None) -> Response:
    """Send one text to up to 1000 receivers (duplicates removed)."""
    data = await json_object(request)
    errors: dict[str, list[str]] = {}
    text = required_text(data, "message", errors, max_length=MAX_MESSAGE)
    common = parse_common(data, errors)
    receivers = data.get("receivers")
    if not isinstance(receivers, list) or not receivers:
        errors["receivers"] = [LARAVEL_10.of("required", "receivers")]
    elif len(receivers) > MAX_RECEIVERS:
        errors["receivers"] = [LARAVEL_10.of("max_items", "receivers", max=MAX_RECEIVERS)]
    raise_if(errors)
    assert isinstance(receivers, list)
    numbers = list(dict.fromkeys(parse_number(r) for r in receivers))
    result = await api.send(scope, _send_spec(common, numbers, send_type="multiple", text=text))
    return json_response(_sent_body(result, details=True))


@routes.post(
    "/sms/messages/template",
    limit="sms",
    raw_body=schemas.TemplateIn,
    responses={200: SENT, 400: REFUSED, 422: "invalid fields"},
)
async def send_template(
    api: Lamah, request: Request, scope: Scope, body: None, conn: None
) -> Response:
    """Send a stored template to one receiver; every placeholder needs a parameter."""
    data = await json_object(request)
    errors: dict[str, list[str]] = {}
    name = required_text(data, "template_id", errors, max_length=200)
    common = parse_common(data, errors)
    if data.get("receiver") in (None, ""):
        errors["receiver"] = [LARAVEL_10.of("required", "receiver")]
    params = parse_params(data.get("params", []), errors)
    raise_if(errors)
    number = parse_number(data["receiver"])
    async with api.ctx.db.reader() as reader:
        template = await templates.find(reader, scope, template_id=name, name=name)
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
    return json_response(_sent_body(await api.send(scope, spec), details=False))


@routes.post(
    "/sms/messages/contacts",
    limit="sms",
    raw_body=schemas.GroupIn,
    responses={200: SENT_TO_MANY, 400: REFUSED, 422: "invalid fields"},
)
async def send_group(
    api: Lamah, request: Request, scope: Scope, body: None, conn: None
) -> Response:
    """Send one text to every contact of a contact group of the project."""
    data = await json_object(request)
    errors: dict[str, list[str]] = {}
    text = required_text(data, "message", errors, max_length=MAX_MESSAGE)
    common = parse_common(data, errors)
    group_id = required_text(data, "contact_group_id", errors, max_length=64)
    raise_if(errors)
    async with api.ctx.db.reader() as reader:
        try:
            group = await contact_groups.get_group(reader, scope, group_id)
        except GroupNotFound as exc:
            raise LamahError("Contact group not found") from exc
    if not group.members:
        raise LamahError("The contact group has no contacts.")
    spec = _send_spec(
        common, list(group.members), send_type="multiple", group_id=group.id, text=text
    )
    return json_response(_sent_body(await api.send(scope, spec), details=True))


@routes.get(
    "/sms/messages/{message_id}",
    tx="read",
    path_params={"message_id": Param("the message_id a send returned")},
    responses={
        200: Reply("the send and each receiver's status", schemas.DetailsOut),
        403: "not the project's",
    },
)
async def details(
    api: Lamah, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Details and per-receiver status of a send (by the message_id it returned)."""
    batch = await messages.get_batch(conn, scope, request.path_params["message_id"])
    return json_response(_details(batch))


@routes.get(
    "/project/details",
    tx="read",
    responses={200: Reply("the project of the token", schemas.ProjectOut)},
)
async def project(
    api: Lamah, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """The project (tenant) the token belongs to."""
    org = await accounts.get_organization(conn, scope.organization_id)
    profile = (
        await accounts.get_profile(conn, scope.organization_id, scope.profile_id)
        if scope.profile_id
        else None
    )
    return json_response(
        {
            "project_name": profile.name if profile else org.name,
            "description": None,
            "company": org.name,
            "status": "active",
            "type": "production",
            "subscription": [],
        }
    )


DIALECT = Dialect[Lamah](
    name="lamah",
    state=Lamah,
    routes=(routes,),
    render_error=render_error,
    authenticate=_caller,
    resolve_scope=_scope,
    limiter=lambda api: api.limits,
    default_limits=("other",),
    refuse=_refuse,
    error_model=schemas.ErrorOut,
    body_errors=(400, 422),
)
