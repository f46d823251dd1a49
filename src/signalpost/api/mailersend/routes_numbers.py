"""The account's numbers and recipients: ``/v1/sms-numbers`` and ``/v1/sms-recipients``.

Numbers are registered with ``signalpost number add`` (MailerSend sells them; this API only
lists, pauses and removes them).  Recipients are the numbers the account has sent to; one
set to ``opt_out`` is not sent to again: later sends to it end ``failed`` with
``error_type: opted_out``.
"""

from __future__ import annotations

from signalpost.accounts.schemas import Scope
from signalpost.api.mailersend import ids, presenters
from signalpost.api.mailersend.base import MailerSendApi
from signalpost.api.mailersend.errors import Invalid
from signalpost.api.mailersend.pagination import PAGE_QUERY, page_of, paginated
from signalpost.api.mailersend.routes_sms import sent_from
from signalpost.api.mailersend.schemas import NumberPatch, RecipientPatch
from signalpost.api.mailersend.validation import Errors, boolean, parse_body
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

__all__ = ["install"]

MAX_RECIPIENT_SMS = 100  # SMS shown with one recipient, newest first
_STATUSES = {"active": ConsentStatus.ACTIVE, "opt_out": ConsentStatus.OPTED_OUT}


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


def install(api: MailerSendApi) -> None:
    """Add the number and recipient routes to the dialect's router."""
    db = api.db

    @api.route("GET", "/sms-numbers", query={"paused": "true or false", **PAGE_QUERY})
    async def list_sms_numbers(request: Request) -> Response:
        """The account's sending numbers, newest first."""
        scope = await api.scope(request)
        errors: Errors = {}
        page = page_of(request, errors)
        paused = boolean(request, "paused", errors)
        if errors:
            raise Invalid(errors)
        async with db.reader() as conn:
            found = await numbers.list_numbers(
                conn, scope, NumberFilter(paused=paused), limit=page.limit + 1, offset=page.offset
            )
        items = [presenters.number(n) for n in found[: page.limit]]
        body = paginated(request, api.url(request), page, items, has_more=len(found) > page.limit)
        return json_response(body)

    @api.route("GET", "/sms-numbers/{sms_number_id}")
    async def get_sms_number(request: Request) -> Response:
        """One sending number."""
        scope = await api.scope(request)
        async with db.reader() as conn:
            number = await _number(conn, scope, request)
        return json_response({"data": presenters.number(number)})

    @api.route("PUT", "/sms-numbers/{sms_number_id}", body=NumberPatch)
    async def update_sms_number(request: Request) -> Response:
        """Pause or resume a number; a paused number cannot send."""
        scope = await api.scope(request)
        body = await parse_body(request, NumberPatch)
        async with db.transaction() as conn:
            number = await numbers.update(conn, scope, _number_id(request), paused=body.paused)
        return json_response({"data": presenters.number(number)})

    @api.route("DELETE", "/sms-numbers/{sms_number_id}", responses={204: "deleted"})
    async def delete_sms_number(request: Request) -> Response:
        """Remove a number from the account."""
        scope = await api.scope(request)
        async with db.transaction() as conn:
            await numbers.delete(conn, scope, _number_id(request))
        return Response(b"", 204)

    @api.route(
        "GET",
        "/sms-recipients",
        query={"status": "active or opt_out", "sms_number_id": "", **PAGE_QUERY},
    )
    async def list_sms_recipients(request: Request) -> Response:
        """The numbers the account has sent to, with their opt-out status, newest first."""
        scope = await api.scope(request)
        errors: Errors = {}
        page = page_of(request, errors)
        status = _STATUSES.get(request.query("status") or "")  # other values: no filter
        async with db.reader() as conn:
            sender = await sent_from(conn, scope, request.query("sms_number_id"), errors)
            if errors:
                raise Invalid(errors)
            flt = RecipientFilter(status=status, sent_from=sender)
            found = await consent.list_recipients(
                conn, scope, flt, limit=page.limit + 1, offset=page.offset
            )
        items = [presenters.recipient(r) for r in found[: page.limit]]
        body = paginated(request, api.url(request), page, items, has_more=len(found) > page.limit)
        return json_response(body)

    @api.route("GET", "/sms-recipients/{sms_recipient_id}")
    async def get_sms_recipient(request: Request) -> Response:
        """One recipient with the SMS sent to it, newest first."""
        scope = await api.scope(request)
        async with db.reader() as conn:
            found = await consent.get(conn, scope, _recipient_id(request))
            flt = MessageFilter(to_number=found.phone_number, channel="sms")
            sent = await messages.list_messages(conn, scope, flt, limit=MAX_RECIPIENT_SMS)
        data = {**presenters.recipient(found), "sms": [presenters.sms(m) for m in sent]}
        return json_response({"data": data})

    @api.route("PUT", "/sms-recipients/{sms_recipient_id}", body=RecipientPatch)
    async def update_sms_recipient(request: Request) -> Response:
        """Opt a recipient out (``opt_out``) or back in (``active``)."""
        scope = await api.scope(request)
        body = await parse_body(request, RecipientPatch)
        async with db.transaction() as conn:
            changed = await consent.set_status(
                conn,
                scope,
                _recipient_id(request),
                _STATUSES[body.status],
                recorder=api.ctx.consent,
            )
        return json_response({"data": presenters.recipient(changed)})
