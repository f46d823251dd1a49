"""Inbound routes: ``/v1/sms-inbounds``.

A route forwards the SMS received on one of the account's numbers to ``forward_url``, signed
like a webhook (``Signature`` with the route's secret), optionally only those whose text
passes its ``filter``.  Routes are endpoints of the webhook engine of kind ``inbound``.
"""

from __future__ import annotations

from typing import Any

from signalpost.accounts.schemas import Scope
from signalpost.api.kit import Param, Reply
from signalpost.api.mailersend import ids, presenters, schemas, wire
from signalpost.api.mailersend.base import MailerSendApi, routes
from signalpost.api.mailersend.errors import Invalid
from signalpost.api.mailersend.events import DIALECT, INBOUND
from signalpost.api.mailersend.pagination import PAGE_QUERY, page_of, paginated
from signalpost.api.mailersend.routes_sms import INVALID_QUERY
from signalpost.api.mailersend.routes_webhooks import number_of, of_number, owned, senders
from signalpost.api.mailersend.schemas import InboundFilter, InboundIn, InboundPatch
from signalpost.api.mailersend.validation import Errors, boolean
from signalpost.http import Request, Response, json_response
from signalpost.numbers.schemas import SenderNumber
from signalpost.storage import Connection
from signalpost.timeutil import iso
from signalpost.webhooks import service as webhooks
from signalpost.webhooks.schemas import UNSET, Endpoint, EndpointPatch, EndpointSpec

__all__: list[str] = []

INBOUND_ID = {"sms_inbound_id": ids.id_param("the inbound route's id")}


def _attributes(number: SenderNumber, rule: InboundFilter | None) -> dict[str, Any]:
    return {
        "kind": "inbound",
        "sms_number_id": number.id,
        "telephone_number": number.phone_number,
        "filter": rule.model_dump() if rule is not None else None,
    }


def _present(route: Endpoint, by_id: dict[str, SenderNumber]) -> dict[str, Any]:
    number_id = str(route.attributes.get("sms_number_id"))
    number = by_id.get(number_id)
    return {
        "id": ids.short_id(route.id),
        "name": route.description,
        "sms_number_id": ids.short_id(number_id),
        "sms_number": presenters.number(number) if number is not None else None,
        "forward_url": route.url,
        "filter": route.attributes.get("filter"),
        "enabled": route.enabled,
        "secret": route.secret,
        "created_at": iso(route.created_at),
    }


@routes.get(
    "/sms-inbounds",
    tx="read",
    query={
        "sms_number_id": ids.id_param("only the routes of this number"),
        "enabled": Param(
            "only enabled (true, 1) or disabled (false, 0) routes", {"type": "boolean"}
        ),
        **PAGE_QUERY,
    },
    responses={200: schemas.InboundListOut, 422: INVALID_QUERY},
)
async def list_sms_inbounds(
    api: MailerSendApi, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """The account's inbound routes, oldest first."""
    errors: Errors = {}
    page = page_of(request, errors)
    enabled = boolean(request, "enabled", errors)
    if errors:
        raise Invalid(errors)
    raw = request.query("sms_number_id")
    number = await number_of(conn, scope, raw) if raw else None
    found = await of_number(conn, scope, "inbound", number)
    found = [r for r in found if enabled is None or r.enabled == enabled]
    chunk = found[page.offset : page.offset + page.limit]
    by_id = await senders(conn, scope, chunk)
    items = [_present(r, by_id) for r in chunk]
    more = len(found) > page.offset + page.limit
    return json_response(paginated(request, api.url(request), page, items, has_more=more))


@routes.get(
    "/sms-inbounds/{sms_inbound_id}",
    tx="read",
    path_params=INBOUND_ID,
    responses={200: schemas.InboundOut},
)
async def get_sms_inbound(
    api: MailerSendApi, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """One inbound route."""
    route = await owned(conn, scope, request.path_params["sms_inbound_id"], "inbound")
    by_id = await senders(conn, scope, [route])
    return json_response({"data": _present(route, by_id)})


@routes.post(
    "/sms-inbounds",
    body=InboundIn,
    responses={201: Reply("the inbound route created", schemas.InboundOut)},
)
async def create_sms_inbound(
    api: MailerSendApi, request: Request, scope: Scope, body: InboundIn, conn: None
) -> Response:
    """Forward the SMS received on a number to a URL."""
    await api.engine.check_url(body.forward_url)  # before the transaction: it resolves the host
    async with api.db.transaction() as writer:
        number = await number_of(writer, scope, body.sms_number_id)
        spec = EndpointSpec(
            url=body.forward_url,
            dialect=DIALECT,
            event_types=(wire.subscribed(INBOUND, number.phone_number),),
            description=body.name,
            enabled=body.enabled is not False,
            attributes=_attributes(number, body.filter),
        )
        route = await webhooks.create_endpoint(writer, api.engine, scope, spec)
    api.engine.changed(scope.tenant_id)  # once committed
    return json_response({"data": _present(route, {number.id: number})}, 201)


@routes.put(
    "/sms-inbounds/{sms_inbound_id}",
    body=InboundPatch,
    path_params=INBOUND_ID,
    responses={200: Reply("the inbound route changed", schemas.InboundOut)},
)
async def update_sms_inbound(
    api: MailerSendApi, request: Request, scope: Scope, body: InboundPatch, conn: None
) -> Response:
    """Change a route's number, name, URL, filter or whether it is enabled."""
    if body.forward_url is not None:
        await api.engine.check_url(body.forward_url)
    async with api.db.transaction() as writer:
        current = await owned(writer, scope, request.path_params["sms_inbound_id"], "inbound")
        by_id = await senders(writer, scope, [current])
        number = by_id.get(str(current.attributes.get("sms_number_id")))
        if body.sms_number_id is not None or number is None:
            number = await number_of(writer, scope, body.sms_number_id)
        stored = current.attributes.get("filter")
        rule = body.filter or (InboundFilter.model_validate(stored) if stored else None)
        patch = EndpointPatch(
            url=body.forward_url if body.forward_url is not None else UNSET,
            description=body.name if body.name is not None else UNSET,
            enabled=body.enabled if body.enabled is not None else UNSET,
            event_types=(wire.subscribed(INBOUND, number.phone_number),),
            attributes=_attributes(number, rule),
        )
        route = await webhooks.update_endpoint(writer, api.engine, scope, current.id, patch)
    api.engine.changed(scope.tenant_id)
    return json_response({"data": _present(route, {number.id: number})})


@routes.delete("/sms-inbounds/{sms_inbound_id}", path_params=INBOUND_ID, responses={204: "deleted"})
async def delete_sms_inbound(
    api: MailerSendApi, request: Request, scope: Scope, body: None, conn: None
) -> Response:
    """Remove an inbound route."""
    async with api.db.transaction() as writer:
        route = await owned(writer, scope, request.path_params["sms_inbound_id"], "inbound")
        await webhooks.delete_endpoint(writer, api.engine, scope, route.id)
    api.engine.changed(scope.tenant_id)
    return Response(b"", 204)
