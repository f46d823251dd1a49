"""``/v3/contacts``: recipients, their default channel and their opt-out."""

from __future__ import annotations

from signalpost.accounts.schemas import Scope
from signalpost.api.kit import Param, Reply
from signalpost.api.sentdm import presenters
from signalpost.api.sentdm.base import PAGE, PAGE_SIZE, Page, SentDm, path_uuid, v3_routes
from signalpost.api.sentdm.envelope import call_of, respond
from signalpost.api.sentdm.errors import BadEnumValue, BadPhoneNumber, MissingField
from signalpost.api.sentdm.schemas import (
    ContactIn,
    ContactListOut,
    ContactOut,
    ContactPatch,
    Envelope,
    SandboxIn,
)
from signalpost.contacts import service as contacts
from signalpost.contacts.schemas import ContactFilter
from signalpost.domain.phone import InvalidPhoneNumber, parse_phone
from signalpost.http import Request, Response
from signalpost.messages.schemas import CHANNELS
from signalpost.storage import Connection

__all__ = ["routes"]


routes = v3_routes()
CONTACT_ID = Param("the contact's id", {"type": "string", "format": "uuid"})
CONTACT = Reply("the contact", Envelope[ContactOut])


@routes.get(
    "/contacts",
    tx="read",
    query={
        "page": PAGE,
        "page_size": PAGE_SIZE,
        "search": Param("digits the number contains"),
        "channel": Param(
            "sms or whatsapp (every contact is reachable on both); any case",
            {"type": "string", "enum": list(CHANNELS)},
        ),
        "phone": Param("exact number, E.164", {"type": "string", "pattern": r"^\+[0-9]+$"}),
    },
    responses={200: Reply("a page of contacts", Envelope[ContactListOut])},
)
async def list_contacts(
    d: SentDm, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """The tenant's contacts, newest first."""
    page = Page(request)
    flt = _filter(request)
    items, total = await contacts.list_contacts(
        conn, scope, flt, limit=page.size, offset=page.offset
    )
    data = {"contacts": [presenters.contact(c) for c in items], "pagination": page.meta(total)}
    return respond(call_of(request), data)


@routes.post(
    "/contacts",
    body=ContactIn,
    responses={
        201: Reply("the contact added", Envelope[ContactOut]),
        409: "a contact has this number already (RESOURCE_007)",
    },
)
async def create_contact(
    d: SentDm, request: Request, scope: Scope, body: ContactIn, conn: None
) -> Response:
    """Add a contact by phone number."""
    if not body.phone_number:
        raise MissingField(details={"phone_number": ["is required"]})
    number = _e164(body.phone_number, "phone_number")

    async def operation(conn: Connection) -> tuple[int, object]:
        return 201, presenters.contact(await contacts.create(conn, scope, number))

    return await d.mutate(request, scope, operation, sandbox=body.sandbox)


@routes.get("/contacts/{id}", tx="read", path_params={"id": CONTACT_ID}, responses={200: CONTACT})
async def get_contact(
    d: SentDm, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """A contact."""
    contact = await contacts.get(conn, scope, path_uuid(request, "id", "contact"))
    return respond(call_of(request), presenters.contact(contact))


@routes.patch(
    "/contacts/{id}",
    body=ContactPatch,
    empty_body=True,
    path_params={"id": CONTACT_ID},
    responses={200: CONTACT},
)
async def update_contact(
    d: SentDm, request: Request, scope: Scope, body: ContactPatch, conn: None
) -> Response:
    """Change a contact's default channel or opt-out."""
    contact_id = path_uuid(request, "id", "contact")
    if body.default_channel is not None and body.default_channel not in CHANNELS:
        raise BadEnumValue(details={"default_channel": [f"must be one of {', '.join(CHANNELS)}"]})

    async def operation(conn: Connection) -> tuple[int, object]:
        contact = await contacts.update(
            conn,
            scope,
            contact_id,
            default_channel=body.default_channel,
            opt_out=body.opt_out,
            consent_recorder=d.ctx.consent,
        )
        return 200, presenters.contact(contact)

    return await d.mutate(request, scope, operation, sandbox=body.sandbox)


@routes.delete(
    "/contacts/{id}",
    body=SandboxIn,
    empty_body=True,
    path_params={"id": CONTACT_ID},
    responses={204: "deleted"},
)
async def delete_contact(
    d: SentDm, request: Request, scope: Scope, body: SandboxIn, conn: None
) -> Response:
    """Delete a contact (deprecated upstream in favour of opting it out)."""
    contact_id = path_uuid(request, "id", "contact")

    async def operation(conn: Connection) -> tuple[int, object]:
        await contacts.delete(conn, scope, contact_id)
        return 204, None

    return await d.mutate(request, scope, operation, sandbox=body.sandbox)


def _e164(raw: str, field: str) -> str:
    try:
        if not raw.startswith("+"):
            raise InvalidPhoneNumber(raw, "not in E.164 format (+<country code><number>)")
        return parse_phone(raw).e164
    except InvalidPhoneNumber as exc:
        raise BadPhoneNumber(details={field: [str(exc)]}) from exc


def _filter(request: Request) -> ContactFilter:
    channel = request.query("channel")
    if channel and channel.lower() not in CHANNELS:
        raise BadEnumValue(details={"channel": [f"must be one of {', '.join(CHANNELS)}"]})
    phone = request.query("phone")
    digits = "".join(ch for ch in (request.query("search") or "") if ch.isdigit())
    return ContactFilter(phone=_e164(phone, "phone") if phone else None, search=digits or None)
