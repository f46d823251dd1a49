"""``POST /v1/sms`` checks and the core send it becomes.

Checked as MailerSend checks: ``from`` must be an active (non-paused) number registered to
the account, ``to`` holds 1 to 50 E.164 numbers in the US or Canada, ``text`` at most 2048
characters, and each ``personalization`` entry names one of the recipients.  ``{{ var }}``
placeholders are filled from the recipient's ``data``; a placeholder without a value for a
recipient becomes empty text, as MailerSend's personalization renders undefined variables.
Recipients who opted out are accepted and end ``failed`` with ``error_type: opted_out``:
MailerSend does not refuse the request for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from signalpost.api.mailersend.errors import Invalid
from signalpost.api.mailersend.schemas import SmsIn
from signalpost.api.mailersend.validation import Errors
from signalpost.domain.phone import InvalidPhoneNumber, parse_phone
from signalpost.domain.placeholders import render, variables_of
from signalpost.messages.schemas import RecipientSpec, SendSpec
from signalpost.numbers.schemas import SenderNumber

__all__ = ["DESTINATIONS", "check_sender", "checked", "send_spec"]

DESTINATIONS = frozenset({"US", "CA"})


def _e164(raw: str) -> str | None:
    try:
        return parse_phone(raw).e164
    except InvalidPhoneNumber:
        return None


def sender_of(body: SmsIn, errors: Errors) -> str | None:
    """The E.164 form of ``from``; a malformed one is added to ``errors``."""
    e164 = _e164(body.from_) if body.from_.startswith("+") else None
    if e164 is None:
        errors["from"] = ["The from must be a valid phone number in E164 format."]
    return e164


def recipients_of(body: SmsIn, errors: Errors) -> list[str]:
    """``to`` in E.164, in order; malformed or non-US/CA numbers are added to ``errors``."""
    numbers: list[str] = []
    for index, raw in enumerate(body.to):
        phone = None
        if raw.startswith("+"):
            try:
                phone = parse_phone(raw)
            except InvalidPhoneNumber:
                phone = None
        if phone is None:
            errors[f"to.{index}"] = [f"The to.{index} must be a valid phone number in E164 format."]
        elif phone.region_code not in DESTINATIONS:
            errors[f"to.{index}"] = [f"The to.{index} must be a phone number in the US or Canada."]
        else:
            numbers.append(phone.e164)
    return numbers


def personal_data(body: SmsIn, numbers: list[str], errors: Errors) -> dict[str, Mapping[str, Any]]:
    """``personalization`` by recipient number; entries for non-recipients go to ``errors``."""
    data: dict[str, Mapping[str, Any]] = {}
    for index, entry in enumerate(body.personalization or []):
        e164 = _e164(entry.phone_number)
        if e164 is None or e164 not in numbers:
            key = f"personalization.{index}.phone_number"
            errors[key] = [f"The {key.replace('_', ' ')} must be one of the to numbers."]
        else:
            data[e164] = entry.data
    if not body.text.strip():
        errors["text"] = ["The text field is required."]
    return data


def check_sender(number: SenderNumber | None) -> None:
    """Refuse a ``from`` that is not the account's number, or is paused."""
    if number is None:
        raise Invalid({"from": ["The selected from is invalid."]})
    if number.paused:
        raise Invalid({"from": ["The from number is paused."]})


def _personalised(text: str, data: Mapping[str, Any] | None) -> str:
    values = {name: (data or {}).get(name, "") for name in variables_of(text)}
    return render(text, values)


def send_spec(
    body: SmsIn, sender: str, numbers: list[str], data: dict[str, Mapping[str, Any]], batch: str
) -> SendSpec:
    """The core send of a checked request: one SMS per distinct recipient."""
    placeholders = bool(variables_of(body.text))
    recipients = tuple(
        RecipientSpec(n, text=_personalised(body.text, data.get(n)) if placeholders else None)
        for n in dict.fromkeys(numbers)
    )
    return SendSpec(
        recipients=recipients,
        text=body.text,
        sender=sender,
        dialect="mailersend",
        batch_id=batch,
    )


def checked(body: SmsIn) -> tuple[str, list[str], dict[str, Mapping[str, Any]]]:
    """Sender, recipients and personalization of a request, or :class:`Invalid` with all
    problems at once."""
    errors: Errors = {}
    sender = sender_of(body, errors)
    numbers = recipients_of(body, errors)
    data = personal_data(body, numbers, errors)
    if errors or sender is None:
        raise Invalid(errors)
    return sender, numbers, data
