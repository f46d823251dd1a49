"""SMS webhooks and inbound routes: ``/v1/sms-webhooks`` and ``/v1/sms-inbounds``.

Both are endpoints of the platform's webhook engine (dialect ``mailersend``): the engine
stores them, writes their events in the transaction of each state change, delivers, signs,
retries and records every attempt.  A webhook belongs to one sending number; its
attributes hold that number and whether it is a ``webhook`` or an ``inbound`` route.
"""

from __future__ import annotations

from collections.abc import Sequence

from signalpost.accounts.schemas import Scope
from signalpost.api.kit import Reply
from signalpost.api.mailersend import ids, presenters, schemas, wire
from signalpost.api.mailersend.base import MailerSendApi, routes
from signalpost.api.mailersend.errors import Invalid
from signalpost.api.mailersend.events import DIALECT
from signalpost.api.mailersend.pagination import PAGE_QUERY, page_of, paginated
from signalpost.api.mailersend.routes_sms import INVALID_QUERY
from signalpost.api.mailersend.schemas import WebhookIn, WebhookPatch
from signalpost.api.mailersend.validation import Errors
from signalpost.http import Request, Response, json_response
from signalpost.numbers import service as numbers
from signalpost.numbers.exceptions import NumberNotFound
from signalpost.numbers.schemas import SenderNumber
from signalpost.storage import Connection
from signalpost.webhooks import service as webhooks
from signalpost.webhooks.exceptions import EndpointNotFound
from signalpost.webhooks.schemas import UNSET, Endpoint, EndpointPatch, EndpointSpec

__all__ = ["number_of", "of_number", "owned", "senders"]

MAX_ENDPOINTS = 1000  # endpoints of one kind a tenant may list through this dialect
WEBHOOK_ID = {"sms_webhook_id": ids.id_param("the webhook's id")}


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


@routes.get(
    "/sms-webhooks",
    tx="read",
    query={"sms_number_id": ids.id_param("the number's id", required=True), **PAGE_QUERY},
    responses={200: schemas.WebhookListOut, 422: INVALID_QUERY},
)
async def list_sms_webhooks(
    api: MailerSendApi, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """The webhooks of one of the account's numbers, oldest first."""
    errors: Errors = {}
    page = page_of(request, errors)
    if errors:
        raise Invalid(errors)
    number = await number_of(conn, scope, request.query("sms_number_id"))
    found = await of_number(conn, scope, "webhook", number)
    chunk = found[page.offset : page.offset + page.limit]
    items = [_present(e, {number.id: number}) for e in chunk]
    more = len(found) > page.offset + page.limit
    return json_response(paginated(request, api.url(request), page, items, has_more=more))


@routes.get(
    "/sms-webhooks/{sms_webhook_id}",
    tx="read",
    path_params=WEBHOOK_ID,
    responses={200: schemas.WebhookOut},
)
async def get_sms_webhook(
    api: MailerSendApi, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """One SMS webhook."""
    endpoint = await owned(conn, scope, request.path_params["sms_webhook_id"], "webhook")
    by_id = await senders(conn, scope, [endpoint])
    return json_response({"data": _present(endpoint, by_id)})


@routes.post(
    "/sms-webhooks",
    body=WebhookIn,
    responses={201: Reply("the webhook created", schemas.WebhookOut)},
)
async def create_sms_webhook(
    api: MailerSendApi, request: Request, scope: Scope, body: WebhookIn, conn: None
) -> Response:
    """Subscribe a URL to ``sms.sent``, ``sms.delivered`` or ``sms.failed`` of a number."""
    await api.engine.check_url(body.url)  # before the transaction: it resolves the host
    async with api.db.transaction() as writer:
        number = await number_of(writer, scope, body.sms_number_id)
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
        endpoint = await webhooks.create_endpoint(writer, api.engine, scope, spec)
    api.engine.changed(scope.tenant_id)  # once committed
    return json_response({"data": _present(endpoint, {number.id: number})}, 201)


@routes.put(
    "/sms-webhooks/{sms_webhook_id}",
    body=WebhookPatch,
    path_params=WEBHOOK_ID,
    responses={200: Reply("the webhook changed", schemas.WebhookOut)},
)
async def update_sms_webhook(
    api: MailerSendApi, request: Request, scope: Scope, body: WebhookPatch, conn: None
) -> Response:
    """Change a webhook's URL, name, events or whether it is enabled."""
    if body.url is not None:
        await api.engine.check_url(body.url)
    async with api.db.transaction() as writer:
        current = await owned(writer, scope, request.path_params["sms_webhook_id"], "webhook")
        by_id = await senders(writer, scope, [current])
        phone = str(current.attributes.get("telephone_number", ""))
        patch = EndpointPatch(
            url=body.url if body.url is not None else UNSET,
            description=body.name if body.name is not None else UNSET,
            enabled=body.enabled if body.enabled is not None else UNSET,
            event_types=_events(body.events, phone) if body.events is not None else UNSET,
        )
        endpoint = await webhooks.update_endpoint(writer, api.engine, scope, current.id, patch)
    api.engine.changed(scope.tenant_id)
    return json_response({"data": _present(endpoint, by_id)})


@routes.delete("/sms-webhooks/{sms_webhook_id}", path_params=WEBHOOK_ID, responses={204: "deleted"})
async def delete_sms_webhook(
    api: MailerSendApi, request: Request, scope: Scope, body: None, conn: None
) -> Response:
    """Remove a webhook with its delivery log."""
    async with api.db.transaction() as writer:
        endpoint = await owned(writer, scope, request.path_params["sms_webhook_id"], "webhook")
        await webhooks.delete_endpoint(writer, api.engine, scope, endpoint.id)
    api.engine.changed(scope.tenant_id)
    return Response(b"", 204)
