"""The checks a send passes before anything is stored: its shape, its recipients' numbers,
its channels' carriers and the destination countries' sender rules."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import orjson

from signalpost.accounts.schemas import Scope
from signalpost.domain.phone import InvalidPhoneNumber, PhoneNumber, parse_phone
from signalpost.domain.senders import check_sender
from signalpost.messages.policy import (
    MAX_METADATA_BYTES,
    MAX_SCHEDULE_AHEAD_US,
    MAX_TEXT,
    MAX_VALIDITY_SECONDS,
    MIN_VALIDITY_SECONDS,
    SCHEDULE_GRACE_US,
    SLICE,
    SendPolicy,
)
from signalpost.messages.schemas import CHANNELS, SendSpec
from signalpost.numbers import service as numbers
from signalpost.storage import Connection

__all__ = ["parse_recipients", "sender_rule_errors", "unroutable", "validate_shape"]


def validate_shape(spec: SendSpec, policy: SendPolicy, now: int) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not spec.recipients:
        errors["to"] = ["at least one recipient is required"]
    elif len(spec.recipients) > policy.max_recipients:
        errors["to"] = [f"at most {policy.max_recipients} recipients per request"]
    if not spec.channels:
        errors["channels"] = ["at least one channel is required"]
    bad = [c for c in spec.channels if c not in CHANNELS]
    if bad:
        errors["channels"] = [
            f"unknown channel {c!r}; use one of {', '.join(CHANNELS)}" for c in bad
        ]
    if spec.template is None:
        if spec.text is None or not spec.text.strip():
            errors["text"] = ["text or template is required and must not be empty"]
        elif len(spec.text) > MAX_TEXT:
            errors["text"] = [f"at most {MAX_TEXT} characters"]
    elif spec.text is not None:
        errors["text"] = ["give either text or template, not both"]
    if spec.validity_seconds is not None and not (
        MIN_VALIDITY_SECONDS <= spec.validity_seconds <= MAX_VALIDITY_SECONDS
    ):
        errors["validity_period"] = [
            f"must be between {MIN_VALIDITY_SECONDS} and {MAX_VALIDITY_SECONDS} seconds"
        ]
    if spec.scheduled_at is not None and spec.scheduled_at < now - SCHEDULE_GRACE_US:
        errors["scheduled_at"] = ["must not be more than a minute in the past"]
    elif spec.scheduled_at is not None and spec.scheduled_at > now + MAX_SCHEDULE_AHEAD_US:
        errors["scheduled_at"] = ["must be at most 30 days ahead"]
    if spec.metadata is not None and len(orjson.dumps(spec.metadata)) > MAX_METADATA_BYTES:
        errors["metadata"] = [f"at most {MAX_METADATA_BYTES} bytes as JSON"]
    for index, recipient in enumerate(spec.recipients):
        if recipient.metadata and len(orjson.dumps(recipient.metadata)) > MAX_METADATA_BYTES:
            errors[f"to[{index}].metadata"] = [f"at most {MAX_METADATA_BYTES} bytes as JSON"]
    for index, recipient in enumerate(spec.recipients):
        if recipient.text is not None and not 0 < len(recipient.text.strip()) <= MAX_TEXT:
            errors[f"to[{index}].text"] = [f"must not be empty and at most {MAX_TEXT} characters"]
    keys = [r.message_key for r in spec.recipients if r.message_key]
    if len(keys) != len(set(keys)):
        errors["message_key"] = ["message keys must be unique within a request"]
    return errors


async def parse_recipients(
    spec: SendSpec,
) -> tuple[list[tuple[int, PhoneNumber]], dict[str, list[str]]]:
    parsed: list[tuple[int, PhoneNumber]] = []
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for index, recipient in enumerate(spec.recipients):
        if index and not index % SLICE:
            await asyncio.sleep(0)  # let other requests through a large send
        try:
            phone = parse_phone(recipient.to)
        except InvalidPhoneNumber as exc:
            errors[f"to[{index}]"] = [str(exc)]
            continue
        if spec.dedupe_recipients and phone.e164 in seen:
            continue
        seen.add(phone.e164)
        parsed.append((index, phone))
    return parsed, errors


def unroutable(scope: Scope, spec: SendSpec, policy: SendPolicy) -> dict[str, list[str]]:
    """Channels no configured carrier carries: refused here, before anything is stored."""
    if policy.channels is None or scope.test:  # test keys send through the simulator
        return {}
    missing = [c for c in spec.channels if c in CHANNELS and c not in policy.channels]
    if not missing:
        return {}
    carried = ", ".join(sorted(policy.channels)) or "none"
    return {
        "channels": [
            f"no configured carrier carries {c} messages (carried: {carried})" for c in missing
        ]
    }


async def sender_rule_errors(
    conn: Connection,
    policy: SendPolicy,
    scope: Scope,
    spec: SendSpec,
    parsed: Sequence[tuple[int, PhoneNumber]],
) -> dict[str, list[str]]:
    """The destination countries' sender rules that ``spec.sender`` breaks, each named.

    Registration is looked up (one query) only when a destination country requires it: a
    sender counts as registered when it is one of the tenant's numbers.
    """
    rules, sender = policy.sender_rules, spec.sender
    if rules is None or sender is None or spec.consent_exempt:
        return {}
    registered: tuple[str, ...] | None = None
    problems: list[str] = []
    for region in dict.fromkeys(phone.region_code for _, phone in parsed):
        if registered is None and rules.rule_for(region).registration_required:
            found = await numbers.find_by_phone(conn, scope, sender)
            registered = (sender,) if found is not None else ()
        violation = check_sender(rules, sender, region, registered=registered or ())
        if violation is not None:
            problems.append(f"{violation.message} (rule {violation.code})")
    return {"from": problems} if problems else {}
