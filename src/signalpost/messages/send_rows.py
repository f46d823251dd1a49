"""What a send stores: a message per recipient and channel, its first two steps and its
outbox entry; opted-out recipients' messages filtered at once."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

import orjson

from signalpost.accounts.schemas import Scope
from signalpost.activities.schemas import Activity
from signalpost.domain import encoding, pricing
from signalpost.domain.lifecycle import ReasonCode, Status, describe
from signalpost.domain.phone import PhoneNumber
from signalpost.messages.policy import SLICE, SendPolicy
from signalpost.messages.schemas import Message, SendSpec
from signalpost.messages.transitions import Applied
from signalpost.request_ids import current_request_id
from signalpost.storage import outbox
from signalpost.templates.schemas import Template
from signalpost.timeutil import new_id

__all__ = ["OPTED_OUT_REASON", "Built", "build_all"]


OPTED_OUT_REASON = "The recipient has opted out of messages"


@dataclass(slots=True)
class Built:
    """What a send stores: each message's two creation steps (which carry the message and
    its first two activities), the queue entries of those that go out, and the answer."""

    steps: list[Applied] = field(default_factory=list)  # two per message, in order
    queue: list[dict[str, Any]] = field(default_factory=list)
    created: list[Message] = field(default_factory=list)

    @property
    def messages(self) -> list[Message]:
        return [step.message for step in self.steps[::2]]


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
    opted_out: Set[str] = frozenset(),
) -> Built:
    """Every message of a send, built :data:`SLICE` recipients at a time with the event loop
    free in between.  Messages to ``opted_out`` numbers go ``accepted -> filtered`` at once:
    stored, never queued."""
    batch_id = spec.batch_id or new_id()
    built = Built()
    for start in range(0, len(parsed), SLICE):
        if start:
            await asyncio.sleep(0)
        end = start + SLICE
        _build(
            built,
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
            opted_out,
        )
    return built


def _build(
    built: Built,
    policy: SendPolicy,
    scope: Scope,
    spec: SendSpec,
    parsed: Sequence[tuple[int, PhoneNumber]],
    bodies: Sequence[str],
    template: Template | None,
    now: int,
    batch_id: str,
    holds: Mapping[int, tuple[int, str]] | None,
    senders: Mapping[int, str] | None,
    opted_out: Set[str],
) -> None:
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
    accepted, filtered = Status.ACCEPTED.value, Status.FILTERED.value
    said = {
        (st, c): describe(st, c)
        for st in (Status.ACCEPTED, second, Status.FILTERED)
        for c in channels
    }
    opted_out_code = ReasonCode.OPTED_OUT.value
    steps, queue, created = built.steps, built.queue, built.created
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
        stopped = to in opted_out
        status = filtered if stopped else r_second.value
        reason_code, reason = (opted_out_code, OPTED_OUT_REASON) if stopped else (None, None)
        due_at = outbox.HELD_DUE_AT if held else (r_scheduled or start)
        for channel in channels:
            message_id = new_id()
            price = 0 if stopped else pricing.price(rates, region, channel, segments)
            message = Message(
                message_id,
                org_id,
                tenant_id,
                batch_id,
                key if single else _channel_key(key, channel),
                channel,
                to,
                sender,
                region,
                body,
                template_id,
                template_name,
                encoded,
                segments,
                price,
                currency,
                status,
                reason_code,
                reason,
                None,  # carrier
                None,  # carrier_message_id
                dialect,
                row_metadata,
                r_scheduled,
                r_expires,
                now,  # created_at
                now,  # updated_at
                None,  # sent_at
                None,  # delivered_at
                0,  # attempts
                2,  # revision: its two creation steps
                test,
                request_id,
            )
            first = Activity(
                0,
                message_id,
                accepted,
                said[Status.ACCEPTED, channel],
                None,
                None,
                None,
                None,
                now,
            )
            if stopped:
                text, step_price = said[Status.FILTERED, channel], None
            else:
                text, step_price = hold[1] if hold else said[r_second, channel], price
            then = Activity(0, message_id, status, text, reason_code, reason, None, step_price, now)
            steps.append(Applied(message, Status.ACCEPTED, first, 1))
            steps.append(Applied(message, Status.ACCEPTED, then, 2))
            if not stopped:
                queue.append(
                    {
                        "message_id": message_id,
                        "due_at": due_at,
                        "attempts": 0,
                        "leased_by": None,
                        "hold_key": spec.hold_key,
                    }
                )
            created.append(message)


def _channel_key(key: str | None, channel: str) -> str | None:
    return f"{key}:{channel}" if key else None
