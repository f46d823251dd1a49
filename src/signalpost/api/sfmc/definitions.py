"""Send definitions on the wire: ``/messaging/v1/sms/definitions`` and its queue."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import Any, TypeVar

from signalpost.accounts.schemas import Scope
from signalpost.api.kit import Param, Reply
from signalpost.api.sfmc import schemas, wire
from signalpost.api.sfmc.base import SfmcState, sms
from signalpost.api.sfmc.body import (
    json_body,
    optional_bool,
    optional_object,
    optional_str,
    required_str,
)
from signalpost.api.sfmc.errors import SfmcError, missing_field
from signalpost.definitions import service as definitions
from signalpost.definitions.exceptions import DefinitionNotFound
from signalpost.definitions.schemas import (
    Definition,
    DefinitionFilter,
    DefinitionPatch,
    DefinitionSpec,
    DefinitionStatus,
)
from signalpost.http import Request, Response, json_response
from signalpost.http.params import MAX_PAGE, IntParam
from signalpost.storage import Connection
from signalpost.timeutil import now_us

__all__ = ["present"]

T = TypeVar("T")

_FILTER = re.compile(r"^\s*status\s+(eq|neq)\s+'?([A-Za-z]+)'?\s*$", re.IGNORECASE)
_ORDER = {
    "definitionkey": "key",
    "name": "name",
    "createddate": "created_at",
    "modifieddate": "updated_at",
    "status": "status",
}
_SUBSCRIPTION_FLAGS = ("autoAddSubscriber", "updateSubscriber")


def _status_in(value: str | None) -> DefinitionStatus | None:
    if value is None:
        return None
    try:
        status = DefinitionStatus(value.lower())
    except ValueError as exc:
        raise SfmcError(
            "MCMS_UTM_Validation_InvalidValue_status: use Active or Inactive", errorcode=10005
        ) from exc
    if status == DefinitionStatus.DELETED:
        raise SfmcError(
            "MCMS_UTM_Validation_InvalidValue_status: use Active or Inactive", errorcode=10005
        )
    return status


def present(definition: Definition, *, full: bool = True) -> dict[str, Any]:
    """A definition as the API shows it (the list shows the summary fields only)."""
    summary: dict[str, Any] = {
        "definitionKey": definition.key,
        "status": definition.status.value.capitalize(),
        "name": definition.name,
        "createdDate": wire.cst_date(definition.created_at),
        "modifiedDate": wire.cst_date(definition.updated_at),
    }
    if not full:
        return summary
    attrs = definition.attributes
    subscriptions: dict[str, Any] = {"shortCode": definition.sender}
    if attrs.get("countryCode"):
        subscriptions["countryCode"] = attrs["countryCode"]
    subscriptions["keyword"] = attrs.get("keyword")
    for flag in _SUBSCRIPTION_FLAGS:
        subscriptions[flag] = attrs.get(flag, True)
    return {
        "requestId": wire.request_id(),
        "definitionKey": definition.key,
        "definitionId": definition.id,
        "name": definition.name,
        "description": definition.description,
        **{k: summary[k] for k in ("status", "createdDate", "modifiedDate")},
        "content": {"message": definition.content},
        "subscriptions": subscriptions,
    }


def _subscription_attributes(subs: dict[str, Any]) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for name in ("countryCode", "keyword"):
        value = optional_str(subs, name, max_length=64)
        if value is not None:
            attributes[name] = value
    for flag in _SUBSCRIPTION_FLAGS:
        enabled = optional_bool(subs, flag)
        if enabled is not None:
            attributes[flag] = enabled
    return attributes


def _create_spec(data: dict[str, Any]) -> DefinitionSpec:
    key = required_str(data, "definitionKey", max_length=200)
    name = required_str(data, "name", max_length=200)
    content = optional_object(data, "content")
    message = required_str(content, "message", max_length=4096) if content else None
    if message is None:
        raise missing_field("content")
    subs = optional_object(data, "subscriptions")
    short_code = required_str(subs, "shortCode", max_length=32) if subs else None
    if short_code is None:
        raise missing_field("subscriptions")
    required_str(subs, "keyword", max_length=64)
    return DefinitionSpec(
        key=key,
        name=name,
        content=message,
        sender=short_code,
        description=optional_str(data, "description", max_length=2000),
        status=_status_in(optional_str(data, "status")) or DefinitionStatus.ACTIVE,
        attributes=_subscription_attributes(subs),
    )


def _patch(data: dict[str, Any]) -> DefinitionPatch:
    content = optional_object(data, "content")
    subs = optional_object(data, "subscriptions")
    return DefinitionPatch(
        name=optional_str(data, "name", max_length=200),
        content=optional_str(content, "message", max_length=4096),
        sender=optional_str(subs, "shortCode", max_length=32),
        description=optional_str(data, "description", max_length=2000),
        status=_status_in(optional_str(data, "status")),
        attributes=_subscription_attributes(subs) or None,
    )


PAGE = IntParam("$page", 1, MAX_PAGE, 1, "page number", fold_case=True)
PAGE_SIZE = IntParam("$pageSize", 1, 500, 50, "definitions per page", fold_case=True)


def _list_filter(request: Request) -> DefinitionFilter:
    raw_filter = next((v for k, v in request.query_list if k.lower() == "$filter"), None)
    status, exclude = None, False
    if raw_filter:
        match = _FILTER.match(raw_filter)
        if match is None:
            raise SfmcError(
                "MCMS_UTM_Validation_InvalidValue_$filter:"
                " use status eq|neq active|inactive|deleted",
                errorcode=10005,
            )
        exclude = match.group(1).lower() == "neq"
        try:
            status = DefinitionStatus(match.group(2).lower())
        except ValueError as exc:
            raise SfmcError(
                "MCMS_UTM_Validation_InvalidValue_$filter: unknown status", errorcode=10005
            ) from exc
    order = next((v for k, v in request.query_list if k.lower() == "$orderby"), "") or ""
    field, _, direction = order.strip().partition(" ")
    return DefinitionFilter(
        status=status,
        exclude=exclude,
        order_by=_ORDER.get(field.lower(), "created_at"),
        descending=direction.strip().lower() == "desc",
    )


KEY = {"definitionKey": Param("the definition's key", {"type": "string", "maxLength": 200})}
DEFINITION = Reply("the definition", schemas.DefinitionOut)


@sms.post(
    "/definitions",
    tx="write",
    raw_body=schemas.DefinitionIn,
    responses={201: DEFINITION, 409: "a definition with this key or name exists"},
)
async def create(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Create an SMS send definition."""
    created = await definitions.create(conn, scope, _create_spec(await json_body(request)))
    return json_response(present(created), 201)


@sms.get(
    "/definitions",
    tx="read",
    query={
        "$filter": Param(
            "status eq|neq active|inactive|deleted",
            {"type": "string", "examples": ["status eq active", "status neq deleted"]},
        ),
        "$page": PAGE,
        "$pageSize": PAGE_SIZE,
        "$orderBy": Param(
            "definitionKey, name, createdDate, modifiedDate or status, then asc or desc",
            {"type": "string", "examples": ["createdDate desc"]},
        ),
    },
    responses={200: schemas.DefinitionListOut, 400: "a bad $filter or page parameter"},
)
async def list_definitions(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """List SMS send definitions."""
    flt = _list_filter(request)
    page = PAGE.value(request)
    size = PAGE_SIZE.value(request)
    found = await definitions.list_definitions(conn, scope, flt, page=page, page_size=size)
    return json_response(
        {
            "requestId": wire.request_id(),
            "definitions": [present(d, full=False) for d in found.items],
            "count": found.total,
            "page": page,
            "pageSize": size,
        }
    )


@sms.get("/definitions/{definitionKey}", tx="read", path_params=KEY, responses={200: DEFINITION})
async def get_definition(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Get an SMS send definition."""
    return json_response(present(await _call(definitions.get(conn, scope, _key(request)))))


@sms.patch(
    "/definitions/{definitionKey}",
    tx="write",
    raw_body=schemas.DefinitionPatchIn,
    path_params=KEY,
    responses={200: DEFINITION, 409: "a definition with this name exists"},
)
async def update(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Change a definition; Inactive holds its messages, Active releases them."""
    patch = _patch(await json_body(request))
    return json_response(
        present(await _call(definitions.update(conn, scope, _key(request), patch)))
    )


@sms.delete(
    "/definitions/{definitionKey}",
    tx="write",
    path_params=KEY,
    responses={200: schemas.DeletedDefinitionOut},
)
async def delete(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Delete (archive) a definition; the key can be used again."""
    gone = await _call(definitions.archive(conn, state.ctx.recorder, scope, _key(request)))
    return json_response(
        {"message": "Success", "requestId": wire.request_id(), "deletedDefinitionKey": gone.key}
    )


@sms.get(
    "/definitions/{definitionKey}/queue",
    tx="read",
    path_params=KEY,
    responses={200: schemas.QueueOut},
)
async def queue(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """How many messages of the definition wait, and the age of the oldest."""
    depth = await _call(definitions.queue_depth(conn, scope, _key(request)))
    age = 0 if depth.oldest_created_at is None else (now_us() - depth.oldest_created_at)
    return json_response(
        {"requestId": wire.request_id(), "count": depth.count, "ageSeconds": age // 1_000_000}
    )


@sms.delete(
    "/definitions/{definitionKey}/queue",
    tx="write",
    path_params=KEY,
    responses={200: schemas.QueueClearedOut, 400: "the definition is active"},
)
async def clear_queue(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Delete the queued messages of an inactive definition."""
    await _call(definitions.clear_queue(conn, state.ctx.recorder, scope, _key(request)))
    return json_response({"requestId": wire.request_id(), "message": "Queued"})


def _key(request: Request) -> str:
    return request.path_params["definitionKey"]


async def _call(awaitable: Awaitable[T]) -> T:
    """Await a definitions call, turning an unknown key into SFMC's 404."""
    try:
        return await awaitable
    except DefinitionNotFound as exc:
        raise SfmcError(
            "MCMS_UTM_Runtime_ObjectNotFound: Definition key doesn't exist for this MID",
            errorcode=30003,
            status=404,
        ) from exc
