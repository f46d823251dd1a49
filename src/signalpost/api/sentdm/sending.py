"""``POST /v3/messages`` translated: validation with sent.dm's codes, then the fan-out.

A send names recipients and channels; every (recipient, channel) pair becomes a message.
``channel: ["sent"]`` (the default) auto-detects: the contact's default channel when it
has one, SMS otherwise.  ``channels`` lists sender numbers per channel; for each
recipient the first listed number of the recipient's own region wins, else the first.
Pairs that share a sender and the same recipients go to the core in one call.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from signalpost.api.sentdm.errors import (
    BadEnumValue,
    BadPhoneNumber,
    BadUuid,
    ChannelUnavailable,
    MissingField,
    OutOfRange,
    SentDmError,
)
from signalpost.api.sentdm.schemas import SenderEntry, SendIn, TemplateRefIn
from signalpost.domain.phone import InvalidPhoneNumber, PhoneNumber, parse_phone
from signalpost.messages.schemas import CHANNELS, RecipientSpec, SendSpec, TemplateRef
from signalpost.timeutil import from_datetime

__all__ = ["AUTO", "Group", "SendPlan", "fan_out", "plan_send"]

AUTO = "sent"
MMS = "mms"
SENDER_KEYS = (*CHANNELS, MMS)
MIN_AHEAD_US = 60 * 1_000_000
MAX_AHEAD_US = 30 * 86_400 * 1_000_000


@dataclass(frozen=True, slots=True)
class SendPlan:
    """A validated send, before it meets the database."""

    recipients: tuple[PhoneNumber, ...]
    channels: tuple[str, ...]  # empty: auto-detect
    senders: Mapping[str, tuple[str, ...]]
    text: str | None
    template: TemplateRefIn | None
    parameters: Mapping[str, str]
    scheduled_at: int | None

    @property
    def numbers(self) -> list[str]:
        return [p.e164 for p in self.recipients]


@dataclass(frozen=True, slots=True)
class Group:
    """Recipients that share a sender, sent on the same channels in one core call."""

    sender: str | None
    numbers: tuple[str, ...]
    channels: tuple[str, ...]

    def spec(self, plan: SendPlan, template_id: str | None) -> SendSpec:
        return SendSpec(
            recipients=tuple(RecipientSpec(n) for n in self.numbers),
            channels=self.channels,
            text=plan.text if template_id is None else None,
            template=TemplateRef(id=template_id) if template_id else None,
            parameters=plan.parameters,
            sender=self.sender,
            scheduled_at=plan.scheduled_at,
            dialect="sentdm",
        )


def plan_send(body: SendIn, now: int) -> SendPlan:
    """Validate a send body; raises the first failing rule's sent.dm error."""
    return SendPlan(
        recipients=_recipients(body.to),
        channels=_channels(body.channel, body.media_urls),
        senders=_senders(body.channels),
        text=body.text,
        template=_template(body),
        parameters=_parameters(body.template),
        scheduled_at=_scheduled(body.scheduled_at, now),
    )


def _recipients(to: Sequence[str] | None) -> tuple[PhoneNumber, ...]:
    if not to:
        raise MissingField(details={"to": ["at least one recipient is required"]})
    parsed: dict[str, PhoneNumber] = {}
    errors: dict[str, list[str]] = {}
    for index, raw in enumerate(to):
        phone = _e164(raw, f"to[{index}]", errors)
        if phone is not None:
            parsed.setdefault(phone.e164, phone)
    if errors:
        raise BadPhoneNumber(details=errors)
    return tuple(parsed.values())


def _e164(raw: str, field: str, errors: dict[str, list[str]]) -> PhoneNumber | None:
    if not raw.startswith("+"):
        errors[field] = [f"{raw!r} is not in E.164 format (+<country code><number>)"]
        return None
    try:
        return parse_phone(raw)
    except InvalidPhoneNumber as exc:
        errors[field] = [str(exc)]
        return None


def _channels(channel: Sequence[str] | None, media: Sequence[str] | None) -> tuple[str, ...]:
    wanted = list(dict.fromkeys(channel or [AUTO]))
    allowed = (*CHANNELS, MMS, AUTO)
    bad = [c for c in wanted if c not in allowed]
    if bad:
        raise BadEnumValue(
            details={
                "channel": [f"unknown channel {c!r}; use one of {', '.join(allowed)}" for c in bad]
            }
        )
    if AUTO in wanted and len(wanted) > 1:
        raise BadEnumValue(details={"channel": ["'sent' (auto-detect) cannot be combined"]})
    if MMS in wanted:
        if not media:
            raise MissingField(details={"media_urls": ["an MMS send needs at least one media URL"]})
        raise ChannelUnavailable("MMS is not available on this server")
    return () if wanted == [AUTO] else tuple(wanted)


def _senders(channels: Mapping[str, Sequence[SenderEntry]] | None) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    errors: dict[str, list[str]] = {}
    for key, entries in (channels or {}).items():
        if key not in SENDER_KEYS:
            raise BadEnumValue(
                details={"channels": [f"{key!r} is not a channel; use {', '.join(SENDER_KEYS)}"]}
            )
        numbers: list[str] = []
        for i, entry in enumerate(entries):
            for j, raw in enumerate(entry.from_ or []):
                phone = _e164(raw, f"channels.{key}[{i}].from[{j}]", errors)
                if phone is not None:
                    numbers.append(phone.e164)
        out[key] = tuple(dict.fromkeys(numbers))
    if errors:
        raise BadPhoneNumber(details=errors)
    return out


def _template(body: SendIn) -> TemplateRefIn | None:
    ref = body.template
    if ref is None and body.text is None:
        raise SentDmError(
            "Provide either template or text",
            details={
                "template": ["template or text is required"],
                "text": ["template or text is required"],
            },
        )
    if ref is None:
        return None
    if body.text is not None:
        raise SentDmError(
            "Provide either template or text, not both",
            details={"template": ["give template or text"], "text": ["give template or text"]},
        )
    if ref.id and ref.name:
        raise SentDmError(details={"template": ["id and name are mutually exclusive"]})
    if not ref.id and not ref.name:
        raise MissingField(details={"template": ["id or name is required"]})
    if ref.id:
        try:
            uuid.UUID(ref.id)
        except ValueError as exc:
            raise BadUuid(details={"template.id": ["must be a UUID"]}) from exc
    return ref


def _parameters(ref: TemplateRefIn | None) -> dict[str, str]:
    if ref is None or not ref.parameters:
        return {}
    return {k: _text(v) for k, v in ref.parameters.items() if v is not None}


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _scheduled(raw: str | None, now: int) -> int | None:
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise SentDmError(details={"scheduled_at": ["must be an ISO 8601 timestamp"]}) from exc
    if value.tzinfo is None:
        raise SentDmError(details={"scheduled_at": ["must carry an explicit UTC offset"]})
    at = from_datetime(value)
    if not now + MIN_AHEAD_US <= at <= now + MAX_AHEAD_US:
        raise OutOfRange(details={"scheduled_at": ["must be between 1 minute and 30 days ahead"]})
    return at


def fan_out(
    plan: SendPlan, default_channels: Mapping[str, str]
) -> tuple[list[Group], list[tuple[str, str]]]:
    """The core calls to make and every (number, channel) pair in request order."""
    by_channel: dict[tuple[str | None, str], list[str]] = {}
    pairs: list[tuple[str, str]] = []
    for phone in plan.recipients:
        for channel in plan.channels or (default_channels.get(phone.e164, "sms"),):
            sender = _pick_sender(plan.senders.get(channel, ()), phone)
            by_channel.setdefault((sender, channel), []).append(phone.e164)
            pairs.append((phone.e164, channel))
    merged: dict[tuple[str | None, tuple[str, ...]], list[str]] = {}
    for (sender, channel), numbers in by_channel.items():
        merged.setdefault((sender, tuple(numbers)), []).append(channel)
    groups = [Group(s, numbers, tuple(chans)) for (s, numbers), chans in merged.items()]
    return groups, pairs


def _pick_sender(numbers: Sequence[str], recipient: PhoneNumber) -> str | None:
    if not numbers:
        return None
    for number in numbers:
        if parse_phone(number).region_code == recipient.region_code:
            return number
    return numbers[0]
