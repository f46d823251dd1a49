"""Sends, send status and the not-sent feed: ``/messaging/v1/sms/messages``."""

from __future__ import annotations

from typing import Any

import orjson

from signalpost.accounts.schemas import Scope
from signalpost.activities import service as activities
from signalpost.activities.schemas import Activity, ActivityFilter
from signalpost.api.kit import Param, Reply
from signalpost.api.sfmc import schemas, wire
from signalpost.api.sfmc.base import SfmcState, sms
from signalpost.api.sfmc.body import json_body, optional_object, optional_str, required_str
from signalpost.api.sfmc.errors import SfmcError, missing_field
from signalpost.api.sfmc.sending import (
    MAX_KEY_LENGTH,
    MAX_RECIPIENTS,
    SendRequest,
    parse_recipient,
    send,
)
from signalpost.http import Request, Response, json_response
from signalpost.http.params import INT64_MAX, IntParam
from signalpost.messages import service as messages
from signalpost.messages.schemas import Message
from signalpost.storage import Connection

__all__ = ["present_status"]

_NOT_FOUND = "MCMS_UTM_Runtime_ObjectNotFound: messageKey not found"


def _metadata(message: Message) -> dict[str, Any]:
    if not message.metadata:
        return {}
    data = orjson.loads(message.metadata)
    return data if isinstance(data, dict) else {}


def present_status(message: Message) -> dict[str, Any]:
    """The send-status body of a message (queued: no compositeId and no info)."""
    status = wire.send_status(message.status, message.reason_code, message.sent_at is not None)
    category = f"TransactionalSendEvents.{status.category}"
    at = message.sent_at if status.category == "SMSSent" and message.sent_at else message.updated_at
    body: dict[str, Any] = {
        "requestId": wire.request_id(),
        "eventCategoryType": category,
        "timestamp": wire.cst_timestamp(at),
    }
    if status.category == "SMSQueued":
        return body
    body["compositeId"] = wire.composite_id(message.id, message.tenant_id, message.batch_id)
    info: dict[str, Any] = {"messageKey": message.message_key}
    contact = _metadata(message).get("contactKey")
    if contact is not None:
        info["contactKey"] = contact
    info["to"] = wire.phone_digits(message.to_number)
    if status.status_code is not None:
        info["statusCode"] = status.status_code
        info["statusMessage"] = status.status_message
    body["info"] = info
    return body


def _send_body(data: dict[str, Any]) -> tuple[str, dict[str, Any], str | None]:
    definition_key = required_str(data, "definitionKey", max_length=200)
    attributes = optional_object(data, "attributes")
    content = optional_object(data, "content")
    override = optional_str(content, "message", max_length=4096) if content else None
    optional_object(data, "subscriptions")
    return definition_key, attributes, override


def _accepted(outcome_responses: list[dict[str, Any]], failed: int) -> Response:
    body: dict[str, Any] = {"requestId": wire.request_id(), "errorcode": 0}
    if failed:
        body["errorcode"] = 109001
        body["message"] = (
            f"MCMS_UTM_ResponsesHasErrors: {failed} subscribers failed to queue"
            f" out of {len(outcome_responses)}"
        )
    body["responses"] = outcome_responses
    return json_response(body, 202)


ACCEPTED = Reply("accepted (errorcode 109001 with the recipients that failed)", schemas.AcceptedOut)
KEY = Param("the message's key (at most 100 characters)", {"type": "string", "maxLength": 100})
PAGE_SIZE = IntParam("$pageSize", 1, 500, 50, "events per page", fold_case=True)
LAST_EVENT = IntParam(
    "lastEventId", 0, INT64_MAX, 0, "start after this event (the previous lastEventID)", True
)


@sms.post(
    "/messages/{messageKey}",
    raw_body=schemas.SendOneIn,
    path_params={"messageKey": KEY},
    responses={202: ACCEPTED},
)
async def send_one(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: None
) -> Response:
    """Send to one recipient with the path's messageKey."""
    key = request.path_params["messageKey"]
    if len(key) > MAX_KEY_LENGTH:
        raise SfmcError("MCMS_UTM_Validation_InvalidValue_messageKey", errorcode=10005)
    data = await json_body(request)
    definition_key, attributes, override = _send_body(data)
    if not isinstance(data.get("recipient"), dict):
        raise missing_field("recipient")
    recipients = [parse_recipient(data["recipient"], key)]
    order = SendRequest(definition_key, recipients, attributes, override)
    outcome = await send(state.ctx, scope, order)
    return _accepted(outcome.responses, outcome.failed)


@sms.post("/messages", raw_body=schemas.SendManyIn, responses={202: ACCEPTED})
async def send_many(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: None
) -> Response:
    """Send to many recipients; each gets its own messageKey (generated when omitted)."""
    data = await json_body(request)
    definition_key, attributes, override = _send_body(data)
    raw = data.get("recipients")
    if not isinstance(raw, list) or not raw:
        raise missing_field("recipients")
    if len(raw) > MAX_RECIPIENTS:
        raise SfmcError(
            f"MCMS_UTM_Validation_InvalidValue_recipients: at most {MAX_RECIPIENTS} per request",
            errorcode=10005,
        )
    recipients = [parse_recipient(item, None) for item in raw]
    order = SendRequest(definition_key, recipients, attributes, override)
    outcome = await send(state.ctx, scope, order)
    return _accepted(outcome.responses, outcome.failed)


@sms.get(
    "/messages/{messageKey}",
    limit="status",
    tx="read",
    path_params={"messageKey": KEY},
    responses={200: Reply("SMSQueued, SMSSent or SMSNotSent", schemas.StatusOut)},
)
async def status(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """The send status of one messageKey (rate-limited: use ENS for volume)."""
    found = await messages.find_by_keys(conn, scope, [request.path_params["messageKey"]])
    if not found:
        raise SfmcError(_NOT_FOUND, errorcode=30003, status=404)
    return json_response(present_status(found[0]))


@sms.get(
    "/messages",
    tx="read",
    query={
        "type": Param("notSent (the only type)", {"type": "string", "enum": ["notSent"]}, True),
        "$pageSize": PAGE_SIZE,
        "lastEventId": LAST_EVENT,
    },
    responses={200: schemas.NotSentOut, 400: "type is not notSent, or a bad page parameter"},
)
async def not_sent(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Messages that were not sent, oldest first, with an event cursor."""
    if request.query("type") != "notSent":
        raise SfmcError("MCMS_UTM_Validation_InvalidValue_type: use type=notSent", errorcode=10005)
    size, after = PAGE_SIZE.value(request), LAST_EVENT.value(request)
    flt = ActivityFilter(statuses=wire.NOT_SENT_STATUSES)
    rows = await activities.search(conn, scope, flt, limit=size, after_id=after)
    ids = list({r.activity.message_id for r in rows})
    by_id = {m.id: m for m in await messages.get_many(conn, scope, ids)}
    events: list[dict[str, Any]] = []
    for row in rows:
        message = by_id.get(row.activity.message_id)
        if message is None or message.dialect != "sfmc":
            continue
        if message.sent_at is not None and message.sent_at <= row.activity.created_at:
            continue  # an outcome after hand-off: the route shows it as sent
        events.append(_not_sent_event(row.activity, message))
    last = rows[-1].activity.id if rows else after
    return json_response({"lastEventID": last, "messages": events, "count": len(events)})


def _not_sent_event(activity: Activity, message: Message) -> dict[str, Any]:
    code, text = wire.not_sent_code(activity.status, activity.reason_code)
    meta = _metadata(message)
    info = {"messageKey": message.message_key}
    if meta.get("contactKey") is not None:
        info["contactKey"] = meta["contactKey"]
    return {
        "statusCode": code,
        "statusMessage": text,
        "eventCategoryType": "TransactionalSendEvents.SMSNotSent",
        "timestamp": wire.cst_timestamp(activity.created_at),
        "definitionKey": meta.get("definitionKey"),
        "eventID": activity.id,
        "info": info,
    }
