"""The rows a send stores: a message per recipient and channel, its first two activities
and its outbox entry; opted-out recipients' messages filtered at once."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import orjson

from signalpost.accounts.schemas import Scope
from signalpost.domain import encoding, pricing
from signalpost.domain.lifecycle import ReasonCode, Status, describe
from signalpost.domain.phone import PhoneNumber
from signalpost.messages.policy import SLICE, SendPolicy
from signalpost.messages.schemas import CreatedMessage, SendSpec
from signalpost.messages.transitions import Applied
from signalpost.request_ids import current_request_id
from signalpost.storage import outbox
from signalpost.templates.schemas import Template
from signalpost.timeutil import new_id

__all__ = ["OPTED_OUT_REASON", "Rows", "build_all", "creation_steps", "filter_opted_out"]


OPTED_OUT_REASON = "The recipient has opted out of messages"


Rows = list[dict[str, Any]]


async def build_all(
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


def filter_opted_out(
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


def creation_steps(rows: Sequence[dict[str, Any]], acts: Sequence[dict[str, Any]]) -> list[Applied]:
    """The creation steps, for observers (two activities per message, in order)."""
    out: list[Applied] = []
    for i, row in enumerate(rows):
        out.append(Applied(row, Status.ACCEPTED, acts[2 * i], 1))
        out.append(Applied(row, Status.ACCEPTED, acts[2 * i + 1], 2))
    return out
