"""SMS webhooks and inbound routes: ``/v1/sms-webhooks`` and ``/v1/sms-inbounds``.

Both are endpoints of the platform's webhook engine (dialect ``mailersend``): the engine
stores them, writes their events in the transaction of each state change, delivers, signs,
retries and records every attempt.  A webhook belongs to one sending number; its
attributes hold that number and whether it is a ``webhook`` or an ``inbound`` route.
"""

from __future__ import annotations

from collections.abc import Sequence

from signalpost.accounts.schemas import Scope
from signalpost.api.mailersend import ids, presenters, wire
from signalpost.api.mailersend.base import MailerSendApi
from signalpost.api.mailersend.errors import Invalid
from signalpost.api.mailersend.events import DIALECT
from signalpost.api.mailersend.pagination import PAGE_QUERY, page_of, paginated
from signalpost.api.mailersend.schemas import WebhookIn, WebhookPatch
from signalpost.api.mailersend.validation import Errors, parse_body
from signalpost.http import Request, Response, json_response
from signalpost.numbers import service as numbers
from signalpost.numbers.exceptions import NumberNotFound
from signalpost.numbers.schemas import SenderNumber
from signalpost.storage import Connection
from signalpost.webhooks import service as webhooks
from signalpost.webhooks.exceptions import EndpointNotFound
from signalpost.webhooks.schemas import UNSET, Endpoint, EndpointPatch, EndpointSpec

__all__ = ["install", "number_of", "owned"]

MAX_ENDPOINTS = 1000  # endpoints of one kind a tenant may list through this dialect


async def number_of(conn: Connection, scope: Scope, raw: str | None) -> SenderNumber:
    """The number an ``sms_number_id`` names; 422 when it is missing or not the account's."""
    if not raw:
        raise Invalid({"sms_number_id": ["The sms number id field is required."]})
    number_id = ids.uuid_of(raw)
    try:
        if number_id is None:
            raise NumberNotFound()
        return await numbers.get(conn, scope, number_id)
    except NumberNotFound:
        raise Invalid({"sms_number_id": ["The selected sms number id is invalid."]}) from None


async def owned(conn: Connection, scope: Scope, raw: str, kind: str) -> Endpoint:
    """An endpoint of this dialect and kind; 404 for any other."""
    endpoint = await webhooks.get_endpoint(conn, scope, raw)
    if endpoint.dialect != DIALECT or endpoint.attributes.get("kind") != kind:
        raise EndpointNotFound()
    return endpoint


async def of_number(
    conn: Connection, scope: Scope, kind: str, number: SenderNumber | None
) -> list[Endpoint]:
    """The tenant's endpoints of one kind (of one number when given), oldest first."""
    found = await webhooks.list_endpoints(conn, scope, dialect=DIALECT, limit=MAX_ENDPOINTS)
    return [
        e
        for e in found
        if e.attributes.get("kind") == kind
        and (number is None or e.attributes.get("sms_number_id") == number.id)
    ]


async def senders(
    conn: Connection, scope: Scope, endpoints: Sequence[Endpoint]
) -> dict[str, SenderNumber]:
    """The numbers the endpoints belong to, by id (removed numbers are left out)."""
    found: dict[str, SenderNumber] = {}
    for number_id in {str(e.attributes.get("sms_number_id")) for e in endpoints}:
        try:
            found[number_id] = await numbers.get(conn, scope, number_id)
        except NumberNotFound:
            continue
    return found


def _present(endpoint: Endpoint, by_id: dict[str, SenderNumber]) -> dict[str, object]:
    return presenters.webhook(endpoint, by_id.get(str(endpoint.attributes.get("sms_number_id"))))


def _events(names: Sequence[str], telephone_number: str) -> tuple[str, ...]:
    return tuple(wire.subscribed(n, telephone_number) for n in dict.fromkeys(names))


def install(api: MailerSendApi) -> None:
    """Add the SMS webhook routes to the dialect's router."""
    db = api.db
    engine = api.ctx.webhooks

    @api.route("GET", "/sms-webhooks", query={"sms_number_id": "required", **PAGE_QUERY})
    async def list_sms_webhooks(request: Request) -> Response:
        """The webhooks of one of the account's numbers, oldest first."""
        scope = await api.scope(request)
        errors: Errors = {}
        page = page_of(request, errors)
        if errors:
            raise Invalid(errors)
        async with db.reader() as conn:
            number = await number_of(conn, scope, request.query("sms_number_id"))
            found = await of_number(conn, scope, "webhook", number)
        chunk = found[page.offset : page.offset + page.limit]
        items = [_present(e, {number.id: number}) for e in chunk]
        more = len(found) > page.offset + page.limit
        return json_response(paginated(request, api.url(request), page, items, has_more=more))

    @api.route("GET", "/sms-webhooks/{sms_webhook_id}")
    async def get_sms_webhook(request: Request) -> Response:
        """One SMS webhook."""
        scope = await api.scope(request)
        async with db.reader() as conn:
            endpoint = await owned(conn, scope, request.path_params["sms_webhook_id"], "webhook")
            by_id = await senders(conn, scope, [endpoint])
        return json_response({"data": _present(endpoint, by_id)})

    @api.route("POST", "/sms-webhooks", body=WebhookIn, responses={201: "created"})
    async def create_sms_webhook(request: Request) -> Response:
        """Subscribe a URL to ``sms.sent``, ``sms.delivered`` or ``sms.failed`` of a number."""
        scope = await api.scope(request)
        body = await parse_body(request, WebhookIn)
        await engine.check_url(body.url)
        async with db.transaction() as conn:
            number = await number_of(conn, scope, body.sms_number_id)
            spec = EndpointSpec(
                url=body.url,
                dialect=DIALECT,
                event_types=_events(body.events, number.phone_number),
                description=body.name,
                enabled=body.enabled,
                attributes={
                    "kind": "webhook",
                    "sms_number_id": number.id,
                    "telephone_number": number.phone_number,
                },
            )
            endpoint = await webhooks.create_endpoint(conn, engine, scope, spec)
        engine.changed(scope.tenant_id)
        return json_response({"data": _present(endpoint, {number.id: number})}, 201)

    @api.route("PUT", "/sms-webhooks/{sms_webhook_id}", body=WebhookPatch)
    async def update_sms_webhook(request: Request) -> Response:
        """Change a webhook's URL, name, events or whether it is enabled."""
        scope = await api.scope(request)
        body = await parse_body(request, WebhookPatch)
        if body.url is not None:
            await engine.check_url(body.url)
        async with db.transaction() as conn:
            current = await owned(conn, scope, request.path_params["sms_webhook_id"], "webhook")
            by_id = await senders(conn, scope, [current])
            phone = str(current.attributes.get("telephone_number", ""))
            patch = EndpointPatch(
                url=body.url if body.url is not None else UNSET,
                description=body.name if body.name is not None else UNSET,
                enabled=body.enabled if body.enabled is not None else UNSET,
                event_types=_events(body.events, phone) if body.events is not None else UNSET,
            )
            endpoint = await webhooks.update_endpoint(conn, engine, scope, current.id, patch)
        engine.changed(scope.tenant_id)
        return json_response({"data": _present(endpoint, by_id)})

    @api.route("DELETE", "/sms-webhooks/{sms_webhook_id}", responses={204: "deleted"})
    async def delete_sms_webhook(request: Request) -> Response:
        """Remove a webhook with its delivery log."""
        scope = await api.scope(request)
        async with db.transaction() as conn:
            endpoint = await owned(conn, scope, request.path_params["sms_webhook_id"], "webhook")
            await webhooks.delete_endpoint(conn, engine, scope, endpoint.id)
        engine.changed(scope.tenant_id)
        return Response(b"", 204)
