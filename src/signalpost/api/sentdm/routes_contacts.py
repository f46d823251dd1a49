"""``/v3/contacts``: recipients, their default channel and their opt-out."""

from __future__ import annotations

from signalpost.api.common import parse_body
from signalpost.api.sentdm import presenters
from signalpost.api.sentdm.base import PAGE, PAGE_SIZE, Page, SentDm, path_uuid
from signalpost.api.sentdm.envelope import respond
from signalpost.api.sentdm.errors import BadEnumValue, BadPhoneNumber, MissingField
from signalpost.api.sentdm.mutation import run_mutation
from signalpost.api.sentdm.schemas import ContactIn, ContactPatch, SandboxIn
from signalpost.contacts import service as contacts
from signalpost.contacts.schemas import ContactFilter
from signalpost.domain.phone import InvalidPhoneNumber, parse_phone
from signalpost.http import Request, Response, Router
from signalpost.messages.schemas import CHANNELS
from signalpost.storage import Connection

__all__ = ["register"]


def register(router: Router, d: SentDm) -> None:
    """Add the contact routes to ``router``."""
    db = d.ctx.db
    ttl = d.ctx.settings.idempotency_ttl_seconds

    @router.get(
        "/contacts",
        query={
            "page": PAGE,
            "page_size": PAGE_SIZE,
            "search": "digits the number contains",
            "channel": "sms or whatsapp (every contact is reachable on both)",
            "phone": "exact number, E.164",
        },
    )
    async def list_contacts(request: Request) -> Response:
        """The tenant's contacts, newest first."""
        call = await d.call(request)
        page = Page(request)
        flt = _filter(request)
        async with db.reader() as conn:
            items, total = await contacts.list_contacts(
                conn, call.tenant, flt, limit=page.size, offset=page.offset
            )
        data = {"contacts": [presenters.contact(c) for c in items], "pagination": page.meta(total)}
        return respond(call, data)

    @router.post("/contacts", body=ContactIn, responses={201: "created"})
    async def create_contact(request: Request) -> Response:
        """Add a contact by phone number."""
        call = await d.call(request)
        body = await parse_body(request, ContactIn)
        if not body.phone_number:
            raise MissingField(details={"phone_number": ["is required"]})
        number = _e164(body.phone_number, "phone_number")

        async def operation(conn: Connection) -> tuple[int, object]:
            return 201, presenters.contact(await contacts.create(conn, call.tenant, number))

        return await run_mutation(
            db, request, call, operation, sandbox=body.sandbox, ttl_seconds=ttl
        )

    @router.get("/contacts/{id}")
    async def get_contact(request: Request) -> Response:
        """A contact."""
        call = await d.call(request)
        contact_id = path_uuid(request, "id", "contact")
        async with db.reader() as conn:
            contact = await contacts.get(conn, call.tenant, contact_id)
        return respond(call, presenters.contact(contact))

    @router.patch("/contacts/{id}", body=ContactPatch)
    async def update_contact(request: Request) -> Response:
        """Change a contact's default channel or opt-out."""
        call = await d.call(request)
        contact_id = path_uuid(request, "id", "contact")
        body = await parse_body(request, ContactPatch, empty_ok=True)
        if body.default_channel is not None and body.default_channel not in CHANNELS:
            raise BadEnumValue(
                details={"default_channel": [f"must be one of {', '.join(CHANNELS)}"]}
            )

        async def operation(conn: Connection) -> tuple[int, object]:
            contact = await contacts.update(
                conn,
                call.tenant,
                contact_id,
                default_channel=body.default_channel,
                opt_out=body.opt_out,
                consent_recorder=d.ctx.consent,
            )
            return 200, presenters.contact(contact)

        return await run_mutation(
            db, request, call, operation, sandbox=body.sandbox, ttl_seconds=ttl
        )

    @router.delete("/contacts/{id}", body=SandboxIn, responses={204: "deleted"})
    async def delete_contact(request: Request) -> Response:
        """Delete a contact (deprecated upstream in favour of opting it out)."""
        call = await d.call(request)
        contact_id = path_uuid(request, "id", "contact")
        body = await parse_body(request, SandboxIn, empty_ok=True)

        async def operation(conn: Connection) -> tuple[int, object]:
            await contacts.delete(conn, call.tenant, contact_id)
            return 204, None

        return await run_mutation(
            db, request, call, operation, sandbox=body.sandbox, ttl_seconds=ttl
        )


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
