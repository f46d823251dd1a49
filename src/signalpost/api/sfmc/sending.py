"""Sends through a definition: per-recipient validation, message keys and responses.

Each recipient is checked on its own: one without a valid ``to``, with a key used twice in
the request, or with a missing ``%%attribute%%`` gets an error entry and the others are
still sent (202 with ``errorcode`` 109001).  A ``messageKey`` already used by this tenant
never sends again: its entry reports the duplicate and the first message keeps its status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from signalpost.accounts.schemas import Scope
from signalpost.api.sfmc import wire
from signalpost.api.sfmc.errors import SfmcError
from signalpost.definitions import service as definitions
from signalpost.definitions.exceptions import DefinitionNotFound
from signalpost.definitions.schemas import Definition, DefinitionStatus
from signalpost.domain.phone import InvalidPhoneNumber, parse_phone
from signalpost.messages import service as messages
from signalpost.messages.exceptions import MessageKeyTaken
from signalpost.messages.schemas import RecipientSpec, SendSpec

if TYPE_CHECKING:
    from signalpost.context import Context

__all__ = ["MAX_RECIPIENTS", "Outcome", "RecipientIn", "SendRequest", "parse_recipient", "send"]

MAX_RECIPIENTS = 500
MAX_KEY_LENGTH = 100
QUEUE_VALIDITY_SECONDS = 3 * 86400  # a held message waits up to three days
_MISSING_TO = "MCMS_UTM_Validation_MissingRequiredField_to: Invalid subscriber"


@dataclass(slots=True)
class RecipientIn:
    """One recipient as the request gave it, with its first problem if any."""

    message_key: str
    to: str | None = None
    contact_key: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    text: str | None = None  # the content with this recipient's attributes substituted
    error: tuple[int, str] | None = None


@dataclass(frozen=True, slots=True)
class SendRequest:
    definition_key: str
    recipients: list[RecipientIn]
    attributes: Mapping[str, Any]
    content: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """The ``responses`` array and how many recipients failed."""

    responses: list[dict[str, Any]]
    failed: int


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def parse_recipient(raw: Any, message_key: str | None) -> RecipientIn:
    """A recipient object; problems are kept on it rather than raised."""
    if not isinstance(raw, dict):
        return RecipientIn(message_key or wire.new_message_key(), error=(109106, _MISSING_TO))
    key = message_key if message_key is not None else _text(raw.get("messageKey"))
    recipient = RecipientIn(key or wire.new_message_key())
    attributes = raw.get("attributes")
    recipient.attributes = attributes if isinstance(attributes, dict) else {}
    recipient.contact_key = _text(raw.get("contactKey"))
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        recipient.error = (
            10005,
            "MCMS_UTM_Validation_InvalidValue_messageKey: 1 to 100 characters",
        )
        return recipient
    to = _text(raw.get("to"))
    if not to or not to.strip():
        recipient.error = (109106, _MISSING_TO)
        return recipient
    try:
        recipient.to = parse_phone(wire.to_e164(to)).e164
    except InvalidPhoneNumber:
        recipient.error = (109106, _MISSING_TO)
    return recipient


def _mark_duplicates(recipients: Sequence[RecipientIn]) -> None:
    seen: set[str] = set()
    for r in recipients:
        if r.error is None and r.message_key in seen:
            r.error = (10005, f"MCMS_UTM_Validation_DuplicateMessageKey: {r.message_key}")
        seen.add(r.message_key)


def _personalise(request: SendRequest, definition: Definition) -> None:
    template = request.content if request.content is not None else definition.content
    for r in request.recipients:
        if r.error is not None:
            continue
        text, missing = wire.render_attributes(template, {**request.attributes, **r.attributes})
        if missing:
            r.error = (
                10002,
                f"MCMS_UTM_Validation_MissingRequiredAttribute: {', '.join(sorted(set(missing)))}",
            )
        elif not text.strip():
            r.error = (10002, "MCMS_UTM_Validation_MissingRequiredField_content")
        else:
            r.text = text


def _spec(request: SendRequest, definition: Definition, ready: list[RecipientIn]) -> SendSpec:
    return SendSpec(
        recipients=tuple(
            RecipientSpec(
                to=r.to or "",
                message_key=r.message_key,
                text=r.text,
                metadata={"contactKey": r.contact_key} if r.contact_key else None,
            )
            for r in ready
        ),
        text=definition.content,
        sender=definition.sender,
        validity_seconds=QUEUE_VALIDITY_SECONDS,
        metadata={"definitionKey": definition.key, "definitionId": definition.id},
        dialect="sfmc",
        dedupe_recipients=False,
        hold_key=definition.hold_key,
        held=definition.status == DefinitionStatus.INACTIVE,
    )


async def _send_once(ctx: Context, scope: Scope, request: SendRequest) -> None:
    async with ctx.db.transaction() as conn:
        try:
            definition = await definitions.get_for_send(conn, scope, request.definition_key)
        except DefinitionNotFound as exc:
            raise SfmcError(
                "MCMS_UTM_Validation_InvalidDefinitionKey:"
                " Definition key doesn't exist for this MID",
                errorcode=10005,
            ) from exc
        keys = [r.message_key for r in request.recipients if r.error is None]
        used = {m.message_key for m in await messages.find_by_keys(conn, scope, keys)}
        for r in request.recipients:
            if r.error is None and r.message_key in used:
                r.error = (30004, f"MCMS_UTM_Validation_DuplicateMessageKey: {r.message_key}")
        _personalise(request, definition)
        ready = [r for r in request.recipients if r.error is None]
        if ready:
            await messages.send(conn, ctx.send_policy, scope, _spec(request, definition, ready))


async def send(ctx: Context, scope: Scope, request: SendRequest) -> Outcome:
    """Send to every valid recipient; one retry if a concurrent request took a key."""
    _mark_duplicates(request.recipients)
    try:
        await _send_once(ctx, scope, request)
    except MessageKeyTaken:
        await _send_once(ctx, scope, request)
    responses: list[dict[str, Any]] = []
    for r in request.recipients:
        entry: dict[str, Any] = {"messageKey": r.message_key}
        if r.error is not None:
            entry["errorcode"], entry["message"] = r.error
        responses.append(entry)
    return Outcome(responses, sum(1 for r in request.recipients if r.error is not None))
