"""Accept sends (fan-out per recipient and channel), read, list and cancel messages."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import orjson

from signalpost.accounts.schemas import Scope
from signalpost.activities import repository as activities_repo
from signalpost.compliance import service as compliance
from signalpost.compliance.schemas import CATEGORIES
from signalpost.consent import service as consent
from signalpost.domain import encoding, pricing
from signalpost.domain.lifecycle import ReasonCode, Status, describe
from signalpost.domain.phone import InvalidPhoneNumber, PhoneNumber, parse_phone
from signalpost.domain.quiet_hours import next_open, zones_for
from signalpost.domain.senders import SenderRules, check_sender, pick_sender
from signalpost.domain.templates import MissingVariables, render
from signalpost.errors import ValidationFailed
from signalpost.messages import repository as repo
from signalpost.messages.exceptions import (
    InvalidMessageId,
    MessageKeyTaken,
    MessageNotFound,
    MessageNotOwned,
    NotCancellable,
    TemplateNotFound,
)
from signalpost.messages.schemas import (
    CHANNELS,
    CreatedMessage,
    Message,
    MessageFilter,
    SendResult,
    SendSpec,
)
from signalpost.messages.transitions import Applied, Change, Recorder
from signalpost.numbers import service as numbers
from signalpost.observability.context import current_request_id
from signalpost.storage import Connection, UniqueViolation, outbox
from signalpost.templates import service as templates
from signalpost.templates.schemas import Template
from signalpost.timeutil import from_datetime, iso, new_id, now_us, to_datetime

log = logging.getLogger("signalpost.messages")

__all__ = [
    "Render",
    "SendPolicy",
    "ViewCache",
    "cancel",
    "find_by_keys",
    "get_batch",
    "get_many",
    "get_message",
    "list_batches",
    "list_messages",
    "message_view",
    "parse_message_id",
    "send",
]

MAX_TEXT = 4096
MAX_VALIDITY_SECONDS = 7 * 24 * 3600
MIN_VALIDITY_SECONDS = 60
MAX_METADATA_BYTES = 4096
# A scheduled time may lie up to a minute in the past (clock skew: sent at once) and up to
# 30 days ahead, the furthest any dialect schedules (sent.dm's window).
SCHEDULE_GRACE_US = 60 * 1_000_000
MAX_SCHEDULE_AHEAD_US = 30 * 86_400 * 1_000_000
SLICE = 250
"""Recipients a send prepares at a time before it lets other requests run (a few ms)."""
OPTED_OUT_REASON = "The recipient has opted out of messages"


class SendPolicy:
    """What a send needs from the deployment: prices, limits and defaults."""

    def __init__(
        self,
        *,
        rates: pricing.RateCard,
        default_validity_seconds: int,
        max_recipients: int,
        recorder: Recorder,
        sender_rules: SenderRules | None = None,
        channels: frozenset[str] | None = None,
    ) -> None:
        self.rates = rates
        self.sender_rules = sender_rules  # None: senders are not checked per country
        self.channels = channels  # the channels some carrier carries; None: all of them
        self.default_validity_seconds = default_validity_seconds
        self.max_recipients = max_recipients
        self.recorder = recorder


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def parse_message_id(raw: str) -> str:
    """A canonical UUID string, or :class:`InvalidMessageId`."""
    if _CANONICAL_UUID.fullmatch(raw):  # the form every id is handed out in
        return raw
    try:
        return str(uuid.UUID(raw))
    except ValueError as exc:
        raise InvalidMessageId() from exc


# ----------------------------------------------------------------------------- send


def _validate_shape(spec: SendSpec, policy: SendPolicy, now: int) -> dict[str, list[str]]:
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


async def _parse_recipients(
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
    errors = _validate_shape(spec, policy, now)
    errors.update(_unroutable(scope, spec, policy))
    if spec.category is not None and spec.category not in CATEGORIES:
        errors["category"] = [f"must be one of {', '.join(CATEGORIES)}"]
    parsed, phone_errors = await _parse_recipients(spec)
    errors.update(phone_errors)
    if errors:
        raise ValidationFailed(details=errors)
    sender_errors = await _sender_errors(conn, policy, scope, spec, parsed)
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
    rows, activity_rows, queue_rows, created = await _build_all(
        policy, scope, spec, parsed, bodies, template, now, holds, senders
    )
    opted_out = (
        set()
        if spec.consent_exempt
        else await consent.opted_out_among(conn, scope, [p.e164 for _, p in parsed])
    )
    queue_rows, created = _filter_opted_out(rows, activity_rows, queue_rows, created, opted_out)
    try:
        await repo.insert_many(conn, rows)
    except UniqueViolation as exc:
        keys = [r.message_key for r in spec.recipients if r.message_key]
        raise MessageKeyTaken(keys) from exc
    await activities_repo.insert_many(conn, activity_rows)
    await outbox.enqueue(conn, queue_rows)  # the outbox, in the same transaction
    per_slice = SLICE * len(spec.channels)
    for start in range(0, len(rows), per_slice):
        if start:
            await asyncio.sleep(0)
        part = rows[start : start + per_slice]
        steps = activity_rows[2 * start : 2 * (start + per_slice)]
        await policy.recorder.notify(conn, _applied(part, steps))
    batch_id = str(rows[0]["batch_id"]) if rows else new_id()
    log.info("accepted %d messages in batch %s", len(created), batch_id)
    if log.isEnabledFor(logging.DEBUG):
        for c in created:
            log.debug("message %s accepted: %s", c.id, c.status, extra={"message_id": c.id})
    return SendResult(batch_id, created)


Rows = list[dict[str, Any]]


async def _build_all(
    policy: SendPolicy,
    scope: Scope,
    spec: SendSpec,
    parsed: Sequence[tuple[int, PhoneNumber]],
    bodies: Sequence[str],
    template: Template | None,
    now: int,
    holds: Mapping[int, tuple[int, str]] | None = None,
    senders: Mapping[int, str] | None = None,
) -> tuple[Rows, Rows, Rows, list[CreatedMessage]]:
    """Every row of a send, built :data:`SLICE` recipients at a time with the event loop
    free in between."""
    batch_id = spec.batch_id or new_id()
    rows: Rows = []
    acts: Rows = []
    queue: Rows = []
    created: list[CreatedMessage] = []
    for start in range(0, len(parsed), SLICE):
        if start:
            await asyncio.sleep(0)
        end = start + SLICE
        part = _build_rows(
            policy,
            scope,
            spec,
            parsed[start:end],
            bodies[start:end],
            template,
            now,
            batch_id,
            holds,
            senders,
        )
        rows += part[0]
        acts += part[1]
        queue += part[2]
        created += part[3]
    return rows, acts, queue, created


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


def _unroutable(scope: Scope, spec: SendSpec, policy: SendPolicy) -> dict[str, list[str]]:
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


async def _sender_errors(
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


def _build_rows(
    policy: SendPolicy,
    scope: Scope,
    spec: SendSpec,
    parsed: Sequence[tuple[int, PhoneNumber]],
    bodies: Sequence[str],
    template: Template | None,
    now: int,
    batch_id: str,
    holds: Mapping[int, tuple[int, str]] | None = None,
    senders: Mapping[int, str] | None = None,
) -> tuple[Rows, Rows, Rows, list[CreatedMessage]]:
    scheduled = spec.scheduled_at if spec.scheduled_at and spec.scheduled_at > now else None
    start = scheduled or now
    validity = spec.validity_seconds or policy.default_validity_seconds
    expires_at = start + validity * 1_000_000
    request_id = current_request_id()
    second = Status.SCHEDULED if scheduled else Status.QUEUED
    metadata = orjson.dumps(spec.metadata).decode() if spec.metadata else None
    segment_cache: dict[str, tuple[int, str]] = {}
    # The same for every message of the send: looked up once, not per message.
    org_id, tenant_id, test = scope.organization_id, scope.tenant_id, scope.test
    template_id, template_name = (template.id, template.name) if template else (None, None)
    rates, currency, dialect, held = policy.rates, policy.rates.currency, spec.dialect, spec.held
    channels, single = spec.channels, len(spec.channels) == 1
    accepted = Status.ACCEPTED.value
    said = {(st, c): describe(st, c) for st in (Status.ACCEPTED, second) for c in channels}
    rows: list[dict[str, Any]] = []
    acts: list[dict[str, Any]] = []
    queue: list[dict[str, Any]] = []
    created: list[CreatedMessage] = []
    for (index, phone), body in zip(parsed, bodies, strict=True):
        info = segment_cache.get(body)
        if info is None:
            analyzed = encoding.analyze(body)
            info = segment_cache[body] = (analyzed.segments, analyzed.encoding.value)
        segments, encoded = info
        recipient = spec.recipients[index]
        key, own = recipient.message_key, recipient.metadata
        row_metadata = orjson.dumps({**(spec.metadata or {}), **own}).decode() if own else metadata
        hold = holds.get(index) if holds else None
        sender = senders.get(index, spec.sender) if senders else spec.sender
        to, region = phone.e164, phone.region_code
        r_scheduled: int | None
        if hold is not None:  # this recipient's quiet hours: it waits, scheduled
            r_scheduled, r_second = hold[0], Status.SCHEDULED
            r_expires = r_scheduled + validity * 1_000_000
        else:
            r_scheduled, r_second, r_expires = scheduled, second, expires_at
        status = r_second.value
        due_at = outbox.HELD_DUE_AT if held else (r_scheduled or start)
        for channel in channels:
            message_id = new_id()
            price = pricing.price(rates, region, channel, segments)
            rows.append(
                {
                    "id": message_id,
                    "organization_id": org_id,
                    "tenant_id": tenant_id,
                    "batch_id": batch_id,
                    "message_key": key if single else _channel_key(key, channel),
                    "channel": channel,
                    "to_number": to,
                    "from_number": sender,
                    "region_code": region,
                    "body": body,
                    "template_id": template_id,
                    "template_name": template_name,
                    "encoding": encoded,
                    "segments": segments,
                    "price_micros": price,
                    "currency": currency,
                    "status": status,
                    "reason_code": None,
                    "reason": None,
                    "carrier": None,
                    "carrier_message_id": None,
                    "dialect": dialect,
                    "metadata": row_metadata,
                    "scheduled_at": r_scheduled,
                    "expires_at": r_expires,
                    "created_at": now,
                    "updated_at": now,
                    "sent_at": None,
                    "delivered_at": None,
                    "attempts": 0,
                    "revision": 2,  # its two creation steps
                    "test": test,
                    "request_id": request_id,
                }
            )
            for step, step_text, price_of in (
                (accepted, said[Status.ACCEPTED, channel], None),
                (status, hold[1] if hold else said[r_second, channel], price),
            ):
                acts.append(
                    {
                        "message_id": message_id,
                        "tenant_id": tenant_id,
                        "status": step,
                        "description": step_text,
                        "reason_code": None,
                        "reason": None,
                        "error_code": None,
                        "price_micros": price_of,
                        "created_at": now,
                        "channel": channel,
                        "from_number": sender,
                    }
                )
            queue.append(
                {
                    "message_id": message_id,
                    "due_at": due_at,
                    "attempts": 0,
                    "leased_by": None,
                    "hold_key": spec.hold_key,
                }
            )
            created.append(
                CreatedMessage(
                    message_id,
                    to,
                    channel,
                    status,
                    key,
                    segments,
                    encoded,
                    price,
                    currency,
                    body,
                    now,
                )
            )
    return rows, acts, queue, created


def _filter_opted_out(
    rows: Sequence[dict[str, Any]],
    acts: Sequence[dict[str, Any]],
    queue: list[dict[str, Any]],
    created: list[CreatedMessage],
    opted_out: set[str],
) -> tuple[list[dict[str, Any]], list[CreatedMessage]]:
    """Messages to opted-out numbers go ``accepted -> filtered`` at once: stored, never queued.

    Rewrites the second step of each such message (two activities per message, in order) and
    returns the queue rows and created messages that remain.
    """
    if not opted_out:
        return queue, created
    stopped: set[str] = set()
    for index, row in enumerate(rows):
        if row["to_number"] not in opted_out:
            continue
        stopped.add(row["id"])
        reason = {"reason_code": ReasonCode.OPTED_OUT.value, "reason": OPTED_OUT_REASON}
        row.update(status=Status.FILTERED.value, price_micros=0, **reason)
        acts[2 * index + 1].update(
            status=Status.FILTERED.value,
            description=describe(Status.FILTERED, row["channel"]),
            price_micros=None,
            **reason,
        )
    remaining = [q for q in queue if q["message_id"] not in stopped]
    final = [
        replace(c, status=Status.FILTERED.value, price_micros=0) if c.id in stopped else c
        for c in created
    ]
    return remaining, final


def _channel_key(key: str | None, channel: str) -> str | None:
    return f"{key}:{channel}" if key else None


def _applied(rows: Sequence[dict[str, Any]], acts: Sequence[dict[str, Any]]) -> list[Applied]:
    """The creation steps, for observers (two activities per message, in order)."""
    out: list[Applied] = []
    for i, row in enumerate(rows):
        out.append(Applied(row, Status.ACCEPTED, acts[2 * i], 1))
        out.append(Applied(row, Status.ACCEPTED, acts[2 * i + 1], 2))
    return out


# ----------------------------------------------------------------------------- read


async def get_message(
    conn: Connection, scope: Scope, message_id: str, *, with_events: bool = True
) -> Message:
    """A message of this tenant with its activities (oldest first); 404 otherwise."""
    if with_events:
        found = await repo.get_with_events(conn, scope.tenant_id, message_id)
        if found is None:
            raise MessageNotFound()
        return found
    row = await repo.get(conn, scope.tenant_id, message_id)
    if row is None:
        raise MessageNotFound()
    return repo.to_message(row)


class ViewCache:
    """Rendered views of messages (response bodies), reused while a message is unchanged.

    Status lookups are polled: clients ask for the same message again and again until it
    reaches a final state.  Every lookup still reads the message's version (its revision,
    which every update of its row bumps, and the id of its newest activity: one indexed,
    tenant-checked statement); only when it is exactly the version a cached view was
    rendered from is that view reused.  Bounded: the oldest entry goes when a new one
    would exceed ``size``.
    """

    __slots__ = ("_entries", "_size")

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._entries: dict[str, tuple[tuple[Any, ...], bytes]] = {}

    def get(self, message_id: str, version: tuple[Any, ...]) -> bytes | None:
        hit = self._entries.get(message_id)
        return hit[1] if hit is not None and hit[0] == version else None

    def put(self, message_id: str, version: tuple[Any, ...], body: bytes) -> None:
        entries = self._entries
        entries.pop(message_id, None)
        if len(entries) >= self._size:
            del entries[next(iter(entries))]
        entries[message_id] = (version, body)

    def __len__(self) -> int:
        return len(self._entries)


Render = Callable[[Connection, Scope, Message], Awaitable[tuple[bytes, bool]]]
"""A message's view as bytes, and whether it may be cached (it depends only on the message);
given the lookup's connection and tenant for whatever else the view shows."""


async def message_view(
    conn: Connection, scope: Scope, message_id: str, cache: ViewCache, render: Render
) -> bytes:
    """The rendered view of a tenant's message, from ``cache`` while it is unchanged."""
    version = await repo.get_version(conn, scope.tenant_id, message_id)
    if version is None:
        raise MessageNotFound()
    body = cache.get(message_id, version)
    if body is not None:
        return body
    message = await get_message(conn, scope, message_id)
    body, cacheable = await render(conn, scope, message)
    if cacheable:
        cache.put(message_id, repo.version_of(message), body)
    return body


async def list_messages(
    conn: Connection,
    scope: Scope,
    flt: MessageFilter,
    *,
    limit: int,
    before: tuple[int, str] | None = None,
) -> list[Message]:
    return await repo.search(conn, scope.tenant_id, flt, limit=limit, before=before)


async def list_batches(
    conn: Connection, scope: Scope, *, channel: str, limit: int, offset: int = 0
) -> list[list[Message]]:
    """One page of send requests on a channel (newest first), each with its messages."""
    batch_ids = await repo.batch_page(conn, scope.tenant_id, channel, limit=limit, offset=offset)
    if not batch_ids:
        return []
    grouped: dict[str, list[Message]] = {b: [] for b in batch_ids}
    for row in await repo.in_batches(conn, scope.tenant_id, channel, batch_ids):
        grouped[row["batch_id"]].append(repo.to_message(row))
    return list(grouped.values())


async def find_by_keys(conn: Connection, scope: Scope, keys: Sequence[str]) -> list[Message]:
    return [repo.to_message(r) for r in await repo.find_by_keys(conn, scope.tenant_id, keys)]


async def get_many(conn: Connection, scope: Scope, message_ids: Sequence[str]) -> list[Message]:
    """This tenant's messages among ``message_ids`` (unknown ids are left out)."""
    if not message_ids:
        return []
    return [repo.to_message(r) for r in await repo.get_many(conn, scope.tenant_id, message_ids)]


async def get_batch(conn: Connection, scope: Scope, batch_id: str) -> list[Message]:
    """The messages one send request created, oldest first.

    404 when no message has this batch id; 403 (:class:`MessageNotOwned`) when the batch
    belongs to another tenant, for dialects whose contract tells the two apart.
    """
    rows = await repo.by_batch(conn, batch_id)
    if not rows:
        raise MessageNotFound()
    if rows[0]["tenant_id"] != scope.tenant_id:
        raise MessageNotOwned()
    return [repo.to_message(r) for r in rows]


# ----------------------------------------------------------------------------- cancel


async def cancel(conn: Connection, recorder: Recorder, scope: Scope, message_id: str) -> Message:
    """Call off a scheduled or queued message before it is handed to a carrier."""
    message = await get_message(conn, scope, message_id, with_events=False)
    if message.status not in (Status.SCHEDULED, Status.QUEUED, Status.ACCEPTED):
        raise NotCancellable()
    change = Change(
        message_id,
        Status.CANCELLED,
        now_us(),
        reason_code=ReasonCode.CANCELLED_BY_CALLER.value,
        reason="Cancelled by the caller",
    )
    applied = await recorder.apply(conn, [change], strict=False)
    if not applied:  # a dispatcher took it in the meantime
        raise NotCancellable()
    await outbox.remove(conn, [message_id])
    return await get_message(conn, scope, message_id)
