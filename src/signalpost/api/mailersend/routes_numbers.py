"""The account's numbers and recipients: ``/v1/sms-numbers`` and ``/v1/sms-recipients``.

Numbers are registered with ``signalpost number add`` (MailerSend sells them; this API only
lists, pauses and removes them).  Recipients are the numbers the account has sent to; one
set to ``opt_out`` is not sent to again: later sends to it end ``failed`` with
``error_type: opted_out``.
"""

from __future__ import annotations

from signalpost.accounts.schemas import Scope
from signalpost.api.kit import Param, Reply
from signalpost.api.mailersend import ids, presenters, schemas
from signalpost.api.mailersend.base import MailerSendApi, routes
from signalpost.api.mailersend.errors import Invalid
from signalpost.api.mailersend.pagination import PAGE_QUERY, page_of, paginated
from signalpost.api.mailersend.routes_sms import INVALID_QUERY, sent_from
from signalpost.api.mailersend.schemas import NumberPatch, RecipientPatch
from signalpost.api.mailersend.validation import Errors, boolean
from signalpost.consent import service as consent
from signalpost.consent.exceptions import RecipientNotFound
from signalpost.consent.schemas import ConsentStatus, RecipientFilter
from signalpost.http import Request, Response, json_response
from signalpost.messages import service as messages
from signalpost.messages.schemas import MessageFilter
from signalpost.numbers import service as numbers
from signalpost.numbers.exceptions import NumberNotFound
from signalpost.numbers.schemas import NumberFilter, SenderNumber
from signalpost.storage import Connection

__all__: list[str] = []

MAX_RECIPIENT_SMS = 100  # SMS shown with one recipient, newest first
_STATUSES = {"active": ConsentStatus.ACTIVE, "opt_out": ConsentStatus.OPTED_OUT}
NUMBER_ID = {"sms_number_id": ids.id_param("the number's id")}
RECIPIENT_ID = {"sms_recipient_id": ids.id_param("the recipient's id")}


def _number_id(request: Request) -> str:
    number_id = ids.uuid_of(request.path_params["sms_number_id"])
    if number_id is None:
        raise NumberNotFound()
    return number_id


def _recipient_id(request: Request) -> str:
    recipient_id = ids.uuid_of(request.path_params["sms_recipient_id"])
    if recipient_id is None:
        raise RecipientNotFound()
    return recipient_id


async def _number(conn: Connection, scope: Scope, request: Request) -> SenderNumber:
    return await numbers.get(conn, scope, _number_id(request))


@routes.get(
    "/sms-numbers",
    tx="read",
    query={
        "paused": Param("only paused (true, 1) or active (false, 0) numbers", {"type": "boolean"}),
        **PAGE_QUERY,
    },
    responses={200: schemas.NumberListOut, 422: INVALID_QUERY},
)
async def list_sms_numbers(
    api: MailerSendApi, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """The account's sending numbers, newest first."""
    errors: Errors = {}
    page = page_of(request, errors)
    paused = boolean(request, "paused", errors)
    if errors:
        raise Invalid(errors)
    found = await numbers.list_numbers(
        conn, scope, NumberFilter(paused=paused), limit=page.limit + 1, offset=page.offset
    )
    items = [presenters.number(n) for n in found[: page.limit]]
    listing = paginated(request, api.url(request), page, items, has_more=len(found) > page.limit)
    return json_response(listing)


@routes.get(
    "/sms-numbers/{sms_number_id}",
    tx="read",
    path_params=NUMBER_ID,
    responses={200: schemas.NumberOut},
)
async def get_sms_number(
    api: MailerSendApi, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """One sending number."""
    return json_response({"data": presenters.number(await _number(conn, scope, request))})


@routes.put(
    "/sms-numbers/{sms_number_id}",
    body=NumberPatch,
    tx="write",
    path_params=NUMBER_ID,
    responses={200: Reply("the number changed", schemas.NumberOut)},
)
async def update_sms_number(
    api: MailerSendApi, request: Request, scope: Scope, body: NumberPatch, conn: Connection
) -> Response:
    """Pause or resume a number; a paused number cannot send."""
    number = await numbers.update(conn, scope, _number_id(request), paused=body.paused)
    return json_response({"data": presenters.number(number)})


@routes.delete(
    "/sms-numbers/{sms_number_id}",
    tx="write",
    path_params=NUMBER_ID,
    responses={204: "deleted"},
)
async def delete_sms_number(
    api: MailerSendApi, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Remove a number from the account."""
    await numbers.delete(conn, scope, _number_id(request))
    return Response(b"", 204)


@routes.get(
    "/sms-recipients",
    tx="read",
    query={
        "status": Param(
            "only active or opted-out recipients (other values: no filter)",
            {"type": "string", "enum": list(_STATUSES)},
        ),
        "sms_number_id": ids.id_param("only recipients sent to from this number"),
        **PAGE_QUERY,
    },
    responses={200: schemas.RecipientListOut, 422: INVALID_QUERY},
)
async def list_sms_recipients(
    api: MailerSendApi, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """The numbers the account has sent to, with their opt-out status, newest first."""
    errors: Errors = {}
    page = page_of(request, errors)
    status = _STATUSES.get(request.query("status") or "")  # other values: no filter
    sender = await sent_from(conn, scope, request.query("sms_number_id"), errors)
    if errors:
        raise Invalid(errors)
    flt = RecipientFilter(status=status, sent_from=sender)
    found = await consent.list_recipients(
        conn, scope, flt, limit=page.limit + 1, offset=page.offset
    )
    items = [presenters.recipient(r) for r in found[: page.limit]]
    listing = paginated(request, api.url(request), page, items, has_more=len(found) > page.limit)
    return json_response(listing)


@routes.get(
    "/sms-recipients/{sms_recipient_id}",
    tx="read",
    path_params=RECIPIENT_ID,
    responses={200: schemas.RecipientWithSmsOut},
)
async def get_sms_recipient(
    api: MailerSendApi, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """One recipient with the SMS sent to it, newest first."""
    found = await consent.get(conn, scope, _recipient_id(request))
    flt = MessageFilter(to_number=found.phone_number, channel="sms")
    sent = await messages.list_messages(conn, scope, flt, limit=MAX_RECIPIENT_SMS)
    data = {**presenters.recipient(found), "sms": [presenters.sms(m) for m in sent]}
    return json_response({"data": data})


@routes.put(
    "/sms-recipients/{sms_recipient_id}",
    body=RecipientPatch,
    tx="write",
    path_params=RECIPIENT_ID,
    responses={200: Reply("the recipient changed", schemas.RecipientOut)},
)
async def update_sms_recipient(
    api: MailerSendApi, request: Request, scope: Scope, body: RecipientPatch, conn: Connection
) -> Response:
    """Opt a recipient out (``opt_out``) or back in (``active``)."""
    changed = await consent.set_status(
        conn, scope, _recipient_id(request), _STATUSES[body.status], recorder=api.ctx.consent
    )
    return json_response({"data": presenters.recipient(changed)})
