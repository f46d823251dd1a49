"""Accepting a send: checked, rendered, held for quiet hours or given a sender from the
number pool, and stored with its first steps in the caller's transaction."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from signalpost.accounts.schemas import Scope
from signalpost.activities import repository as activities_repo
from signalpost.compliance import service as compliance
from signalpost.compliance.schemas import CATEGORIES
from signalpost.consent import service as consent
from signalpost.domain.phone import PhoneNumber
from signalpost.domain.placeholders import MissingVariables, render
from signalpost.domain.quiet_hours import next_open, zones_for
from signalpost.domain.senders import pick_sender
from signalpost.errors import ValidationFailed
from signalpost.messages import repository as repo
from signalpost.messages.exceptions import MessageKeyTaken, TemplateNotFound
from signalpost.messages.policy import SLICE, SendPolicy
from signalpost.messages.schemas import SendResult, SendSpec
from signalpost.messages.send_checks import (
    parse_recipients,
    sender_rule_errors,
    unroutable,
    validate_shape,
)
from signalpost.messages.send_rows import build_all
from signalpost.numbers import service as numbers
from signalpost.storage import Connection, UniqueViolation, outbox
from signalpost.templates import service as templates
from signalpost.templates.schemas import Template
from signalpost.timeutil import from_datetime, iso, new_id, now_us, to_datetime

log = logging.getLogger("signalpost.messages")

__all__ = ["send"]


async def _resolve_template(conn: Connection, scope: Scope, spec: SendSpec) -> Template | None:
    if spec.template is None:
        return None
    if not spec.template.id and not spec.template.name:
        raise ValidationFailed(details={"template": ["id or name is required"]})
    found = await templates.find(conn, scope, template_id=spec.template.id, name=spec.template.name)
    if found is None:
        raise TemplateNotFound(details={"template": ["no such template"]})
    return found


def _render(
    template: Template | None,
    spec: SendSpec,
    variables: Mapping[str, Any] | None,
    own_text: str | None = None,
) -> str:
    if own_text is not None:
        return own_text
    if template is None:
        assert spec.text is not None
        return spec.text
    params = {**spec.parameters, **(variables or {})}
    return render(template.body, params)


async def send(
    conn: Connection, policy: SendPolicy, scope: Scope, spec: SendSpec, *, now: int | None = None
) -> SendResult:
    """Validate a send and store one message per (recipient, channel) with its first steps.

    Everything is validated before anything is written: a bad recipient or a missing
    template variable fails the whole request and stores nothing.
    """
    now = now or now_us()
    errors = validate_shape(spec, policy, now)
    errors.update(unroutable(scope, spec, policy))
    if spec.category is not None and spec.category not in CATEGORIES:
        errors["category"] = [f"must be one of {', '.join(CATEGORIES)}"]
    parsed, phone_errors = await parse_recipients(spec)
    errors.update(phone_errors)
    if errors:
        raise ValidationFailed(details=errors)
    sender_errors = await sender_rule_errors(conn, policy, scope, spec, parsed)
    if sender_errors:
        raise ValidationFailed("The sender may not send to these recipients", details=sender_errors)
    template = await _resolve_template(conn, scope, spec)
    bodies: list[str] = []
    missing: set[str] = set()
    for count, (index, _phone) in enumerate(parsed):
        if count and not count % SLICE:
            await asyncio.sleep(0)
        try:
            recipient = spec.recipients[index]
            bodies.append(_render(template, spec, recipient.variables, recipient.text))
        except MissingVariables as exc:
            missing.update(exc.missing)
    if missing:
        raise ValidationFailed(
            "Template parameters are missing",
            details={"template.parameters": [f"missing variable: {n}" for n in sorted(missing)]},
        )
    category = spec.category or _category_of(template)
    holds = await _quiet_hours(conn, scope, category, spec, parsed, now)
    senders = await _pool_senders(conn, scope, spec, parsed)
    opted_out = (
        set()
        if spec.consent_exempt
        else await consent.opted_out_among(conn, scope, [p.e164 for _, p in parsed])
    )
    built = await build_all(
        policy, scope, spec, parsed, bodies, template, now, holds, senders, opted_out
    )
    created = built.created
    try:
        await repo.insert_many(conn, built.messages)
    except UniqueViolation as exc:
        keys = [r.message_key for r in spec.recipients if r.message_key]
        raise MessageKeyTaken(keys) from exc
    steps = built.steps
    await activities_repo.insert_many(conn, steps)
    await outbox.enqueue(conn, built.queue)  # the outbox, in the same transaction
    per_slice = 2 * SLICE * len(spec.channels)  # two steps per message
    for start in range(0, len(steps), per_slice):
        if start:
            await asyncio.sleep(0)
        await policy.recorder.notify(conn, steps[start : start + per_slice])
    batch_id = steps[0].message.batch_id if steps else new_id()
    log.info("accepted %d messages in batch %s", len(created), batch_id)
    if log.isEnabledFor(logging.DEBUG):
        for c in created:
            log.debug("message %s accepted: %s", c.id, c.status, extra={"message_id": c.id})
    return SendResult(batch_id, created)


async def _pool_senders(
    conn: Connection, scope: Scope, spec: SendSpec, parsed: Sequence[tuple[int, PhoneNumber]]
) -> dict[int, str]:
    """Senders picked from the tenant's number pool for a send that names none: the same
    number for the same recipient every time, of the recipient's country where possible."""
    if spec.sender is not None or not parsed:
        return {}
    pool = await numbers.pool(conn, scope)
    if not pool:
        return {}
    picks: dict[int, str] = {}
    for index, phone in parsed:
        chosen = pick_sender(pool, phone.e164, phone.region_code)
        if chosen is not None:
            picks[index] = chosen
    return picks


def _category_of(template: Template | None) -> str | None:
    """A marketing template makes a marketing message (WhatsApp's template categories)."""
    if template is not None and template.category.upper() == "MARKETING":
        return "marketing"
    return None


async def _quiet_hours(
    conn: Connection,
    scope: Scope,
    category: str | None,
    spec: SendSpec,
    parsed: Sequence[tuple[int, PhoneNumber]],
    now: int,
) -> dict[int, tuple[int, str]]:
    """Recipients whose quiet hours hold this send: index -> (when it may go, why it waits).

    Only categories the tenant subjects to quiet hours are looked at (none by default, so
    a send without a category costs nothing here).
    """
    if category is None or category == "transactional":
        return {}
    settings = await compliance.settings_for(conn, scope)
    base = max(now, spec.scheduled_at or now)
    at = to_datetime(base)
    holds: dict[int, tuple[int, str]] = {}
    for index, phone in parsed:
        window = settings.quiet_hours_for(category, phone.region_code)
        if window is None:
            continue
        opens = next_open(at, zones_for(phone.e164), window)
        if opens > at:
            until = from_datetime(opens)
            holds[index] = (
                until,
                f"Held for the recipient's quiet hours ({window} local time) until {iso(until)}",
            )
    return holds
