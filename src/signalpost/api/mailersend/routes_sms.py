"""Sending and reading SMS: ``/v1/sms``, ``/v1/sms-messages`` and ``/v1/sms-activity``."""

from __future__ import annotations

import time

from signalpost.accounts.schemas import Scope
from signalpost.activities import service as activities
from signalpost.activities.schemas import ActivityFilter
from signalpost.api.kit import Param
from signalpost.api.mailersend import ids, presenters, schemas, sending, wire
from signalpost.api.mailersend.base import MailerSendApi, routes
from signalpost.api.mailersend.errors import Invalid
from signalpost.api.mailersend.pagination import LIMIT, PAGE, PAGE_QUERY, page_of, paginated
from signalpost.api.mailersend.schemas import SmsIn
from signalpost.api.mailersend.validation import Errors, integer
from signalpost.consent import service as consent
from signalpost.errors import NotFound
from signalpost.http import Request, Response, json_response
from signalpost.http.params import MAX_UNIX_SECONDS, IntParam
from signalpost.http.router import QueryParam
from signalpost.messages import service as messages
from signalpost.messages.schemas import Message, MessageFilter
from signalpost.numbers import service as numbers
from signalpost.numbers.exceptions import NumberNotFound
from signalpost.storage import Connection

__all__ = ["INVALID_QUERY", "sent_from"]

MAX_ACTIVITY_ROWS = 1000  # activity rows shown inside one send, newest first

DATE_FROM = IntParam("date_from", 0, MAX_UNIX_SECONDS, None, "Unix seconds (UTC), before date_to")
DATE_TO = IntParam(
    "date_to", 0, MAX_UNIX_SECONDS, None, "Unix seconds (UTC), after date_from, not in the future"
)
STATUS_FILTER = Param(
    "any of the statuses (repeat the parameter)",
    {"type": "array", "items": {"type": "string", "enum": list(wire.STATUSES)}},
)
_ACTIVITY_QUERY: dict[str, str | QueryParam | Param] = {
    "sms_number_id": ids.id_param("only activity of SMS sent from this number"),
    "date_from": DATE_FROM,
    "date_to": DATE_TO,
    "status[]": STATUS_FILTER,
    "page": PAGE,
    "limit": LIMIT,
}
INVALID_QUERY = "invalid query parameters"


def _ordered(batch: list[Message]) -> list[Message]:
    """A send's SMS in a stable order: by recipient number."""
    return sorted(batch, key=lambda m: (m.to_number, m.id))


async def sent_from(conn: Connection, scope: Scope, raw: str | None, errors: Errors) -> str | None:
    """The E.164 number an ``sms_number_id`` filter names; unknown ids go to ``errors``."""
    if raw is None or raw == "":
        return None
    number_id = ids.uuid_of(raw)
    try:
        if number_id is None:
            raise NumberNotFound()
        return (await numbers.get(conn, scope, number_id)).phone_number
    except NumberNotFound:
        errors["sms_number_id"] = ["The selected sms number id is invalid."]
        return None


def _statuses(request: Request, errors: Errors) -> tuple[str, ...]:
    wanted = request.query_all("status[]")
    for index, value in enumerate(wanted):
        if value not in wire.STATUSES:
            errors[f"status.{index}"] = [f"The selected status.{index} is invalid."]
    return tuple(dict.fromkeys(wanted))


def _dates(request: Request, errors: Errors) -> tuple[int | None, int | None]:
    """``date_from`` and ``date_to`` as microseconds: from inclusive, to through its second."""
    start = integer(request, DATE_FROM, errors)
    end = integer(request, DATE_TO, errors)
    if start is not None and end is not None and start >= end:
        errors.setdefault("date_from", []).append("The date from must be a date before date to.")
        errors.setdefault("date_to", []).append("The date to must be a date after date from.")
    if end is not None and end > int(time.time()):
        errors.setdefault("date_to", []).append(
            "The date to must be a date before or equal to now."
        )
    return (
        start * 1_000_000 if start is not None else None,
        (end + 1) * 1_000_000 if end is not None else None,
    )


@routes.post(
    "/sms",
    body=SmsIn,
    responses={202: "accepted: the send's id is in the X-SMS-Message-Id header"},
)
async def send(
    api: MailerSendApi, request: Request, scope: Scope, body: SmsIn, conn: None
) -> Response:
    """Send an SMS to up to 50 recipients from one of the account's numbers."""
    sender, recipients, data = sending.checked(body)  # before any transaction is opened
    oid, batch = ids.new_send_id()
    spec = sending.send_spec(body, sender, recipients, data, batch)
    async with api.db.transaction() as writer:
        sending.check_sender(await numbers.find_by_phone(writer, scope, sender))
        await messages.send(writer, api.ctx.send_policy, scope, spec)
        await consent.remember(writer, scope, recipients)
    return Response(b"", 202, [(b"x-sms-message-id", oid.encode())])


@routes.get(
    "/sms-messages",
    tx="read",
    query=PAGE_QUERY,
    responses={200: schemas.SmsMessageListOut, 422: INVALID_QUERY},
)
async def list_sms_messages(
    api: MailerSendApi, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """The account's sends, newest first."""
    errors: Errors = {}
    page = page_of(request, errors)
    if errors:
        raise Invalid(errors)
    batches = await messages.list_batches(
        conn, scope, channel="sms", limit=page.limit + 1, offset=page.offset
    )
    items = [presenters.summary(_ordered(b)) for b in batches[: page.limit]]
    listing = paginated(request, api.url(request), page, items, has_more=len(batches) > page.limit)
    return json_response(listing)


@routes.get(
    "/sms-messages/{sms_message_id}",
    tx="read",
    path_params={"sms_message_id": Param("the send's sms_message_id", ids.SEND_ID)},
    responses={200: schemas.SmsMessageOut},
)
async def get_sms_message(
    api: MailerSendApi, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """One send with every recipient's SMS and its activity, newest first."""
    batch_id = ids.batch_of(request.path_params["sms_message_id"])
    if batch_id is None:
        raise NotFound()
    flt = MessageFilter(batch_id=batch_id, channel="sms")
    steps = ActivityFilter(batch_id=batch_id, statuses=wire.ACTIVITY_STATUSES, channel="sms")
    limit = api.ctx.settings.max_recipients_per_request
    batch = await messages.list_messages(conn, scope, flt, limit=limit)
    if not batch:
        raise NotFound()
    rows = await activities.search(conn, scope, steps, limit=MAX_ACTIVITY_ROWS)
    return json_response({"data": presenters.message(_ordered(batch), rows)})


@routes.get(
    "/sms-activity",
    limit="activity",  # its own group only, not general
    tx="read",
    query=_ACTIVITY_QUERY,
    responses={200: schemas.ActivityListOut, 422: INVALID_QUERY},
)
async def list_sms_activity(
    api: MailerSendApi, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Every status change of every SMS, newest first, with filters."""
    errors: Errors = {}
    page = page_of(request, errors)
    wanted = _statuses(request, errors)
    created_from, created_to = _dates(request, errors)
    sender = await sent_from(conn, scope, request.query("sms_number_id"), errors)
    if errors:
        raise Invalid(errors)
    flt = ActivityFilter(
        statuses=wire.canonical_activity_statuses(wanted),
        channel="sms",
        from_number=sender,
        created_from=created_from,
        created_to=created_to,
    )
    rows = await activities.search(conn, scope, flt, limit=page.limit + 1, offset=page.offset)
    items = [presenters.activity(r) for r in rows[: page.limit]]
    listing = paginated(request, api.url(request), page, items, has_more=len(rows) > page.limit)
    return json_response(listing)
