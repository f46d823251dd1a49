"""The canonical message lifecycle: states, allowed transitions and reason codes.

Every dialect and carrier maps its own vocabulary onto :class:`Status`.  A state change is
planned here (pure) and applied by the messages repository in the same transaction as the
activity row that records it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CHANNELS",
    "FINAL",
    "IllegalTransition",
    "ReasonCode",
    "Status",
    "TransitionPlan",
    "can_transition",
    "describe",
    "plan_transition",
]


class Status(StrEnum):
    """Where a message is in its life. One comment per state."""

    ACCEPTED = "accepted"  # request validated, row created, id returned
    SCHEDULED = "scheduled"  # held until its scheduled time
    QUEUED = "queued"  # waiting for a dispatcher (also after a transient carrier error)
    PROCESSED = "processed"  # rendered, segmented, priced, checked; claimed by a dispatcher
    ROUTED = "routed"  # a carrier was chosen and a submit attempt recorded
    SENT = "sent"  # the carrier accepted the submit and gave its message id
    DELIVERED = "delivered"  # the carrier confirmed delivery to the handset
    READ = "read"  # the recipient read it (WhatsApp and RCS only, never SMS)
    FAILED = "failed"  # could not be delivered; reason_code says why
    EXPIRED = "expired"  # validity period ran out before delivery
    REJECTED = "rejected"  # refused by the carrier or network
    BLOCKED = "blocked"  # stopped by an account precondition before any attempt
    FILTERED = "filtered"  # stopped by consent or compliance policy
    CANCELLED = "cancelled"  # called off by the caller before hand-off
    RECEIVED = "received"  # an inbound (mobile-originated) message


FINAL: frozenset[Status] = frozenset(
    {
        Status.DELIVERED,
        Status.READ,
        Status.FAILED,
        Status.EXPIRED,
        Status.REJECTED,
        Status.BLOCKED,
        Status.FILTERED,
        Status.CANCELLED,
        Status.RECEIVED,
    }
)
"""States after which delivery can no longer change (``delivered`` may still become ``read``)."""

_TERMINAL = FINAL - {Status.DELIVERED}
_STOPS = frozenset({Status.FAILED, Status.EXPIRED, Status.BLOCKED, Status.FILTERED})

_ALLOWED: dict[Status, frozenset[Status]] = {
    Status.ACCEPTED: frozenset({Status.SCHEDULED, Status.QUEUED, Status.CANCELLED} | _STOPS),
    Status.SCHEDULED: frozenset({Status.SCHEDULED, Status.QUEUED, Status.CANCELLED} | _STOPS),
    Status.QUEUED: frozenset({Status.PROCESSED, Status.CANCELLED} | _STOPS),
    Status.PROCESSED: frozenset({Status.ROUTED, Status.QUEUED} | _STOPS),
    Status.ROUTED: frozenset({Status.SENT, Status.QUEUED, Status.REJECTED} | _STOPS),
    Status.SENT: frozenset(
        {Status.DELIVERED, Status.READ, Status.FAILED, Status.EXPIRED, Status.REJECTED}
    ),
    Status.DELIVERED: frozenset({Status.READ}),
}

# Receipts from a carrier may overtake our own record of the submit: a DLR for DELIVERED can
# arrive while the message is still ``routed``.  Carrier outcomes are therefore applied by
# rank from any pre-final state at or after ``routed``.
_CARRIER_OUTCOMES = frozenset(
    {Status.SENT, Status.DELIVERED, Status.READ, Status.FAILED, Status.EXPIRED, Status.REJECTED}
)
_RANK: dict[Status, int] = {
    Status.ACCEPTED: 0,
    Status.SCHEDULED: 1,
    Status.QUEUED: 2,
    Status.PROCESSED: 3,
    Status.ROUTED: 4,
    Status.SENT: 5,
    Status.DELIVERED: 6,
    Status.READ: 7,
}


class ReasonCode(StrEnum):
    """The platform's classification of an outcome (never a raw carrier code)."""

    UNDELIVERABLE = "DELIVERY_001"
    EXPIRED = "DELIVERY_002"
    REJECTED = "DELIVERY_003"
    DELETED = "DELIVERY_004"
    UNKNOWN_FINAL = "DELIVERY_005"
    INVALID_DESTINATION = "DELIVERY_006"
    CHANNEL_NOT_REGISTERED = "DELIVERY_007"
    SUBMIT_REFUSED = "DELIVERY_008"
    RETRIES_EXHAUSTED = "DELIVERY_009"
    TOO_LONG = "DELIVERY_010"
    NO_ROUTE = "DELIVERY_011"  # no configured carrier carries the channel to the destination
    INSUFFICIENT_BALANCE = "BUSINESS_003"
    SENDER_NOT_ACTIVE = "BUSINESS_029"
    OPTED_OUT = "CONSENT_001"
    SUPPRESSED = "CONSENT_002"
    CANCELLED_BY_CALLER = "SCHEDULE_001"


class IllegalTransition(ValueError):
    """The message cannot move from its current state to the requested one."""

    def __init__(self, current: Status, target: Status) -> None:
        super().__init__(f"a {current.value} message cannot become {target.value}")
        self.current = current
        self.target = target


@dataclass(frozen=True, slots=True)
class TransitionPlan:
    """What applying a target state to a message means.

    ``apply`` is false when the change is a no-op (a duplicate or late receipt); the caller
    then records nothing.  ``status`` is the state the message ends in.
    """

    apply: bool
    status: Status


def can_transition(current: Status, target: Status) -> bool:
    """Whether ``target`` is an allowed next state of ``current``."""
    return target in _ALLOWED.get(current, frozenset())


def plan_transition(
    current: Status, target: Status, *, from_carrier: bool = False
) -> TransitionPlan:
    """Decide how ``target`` applies to a message in ``current``.

    Requests from the platform itself must follow the transition table strictly and raise
    :class:`IllegalTransition` otherwise.  Outcomes reported by a carrier (``from_carrier``)
    are applied by rank: never backwards, never out of a terminal state, and a duplicate is a
    no-op rather than an error.
    """
    if can_transition(current, target):
        return TransitionPlan(True, target)
    if not from_carrier or target not in _CARRIER_OUTCOMES:
        raise IllegalTransition(current, target)
    if current in _TERMINAL or current == target:
        return TransitionPlan(False, current)
    if current == Status.DELIVERED:
        return TransitionPlan(False, current)  # only READ moves a delivered message
    if _RANK.get(current, 99) < _RANK[Status.ROUTED]:
        raise IllegalTransition(current, target)
    return TransitionPlan(True, target)


_DESCRIPTIONS: dict[Status, str] = {
    Status.ACCEPTED: "Message accepted for processing",
    Status.SCHEDULED: "Message scheduled for later sending",
    Status.QUEUED: "Message queued for sending",
    Status.PROCESSED: "Message processed and queued for sending",
    Status.ROUTED: "Message routed to a carrier",
    Status.SENT: "Message sent via {channel}",
    Status.DELIVERED: "Message delivered to recipient",
    Status.READ: "Message read by recipient",
    Status.FAILED: "Message could not be delivered",
    Status.EXPIRED: "Message expired before delivery",
    Status.REJECTED: "Message rejected by the network",
    Status.BLOCKED: "Message blocked before sending",
    Status.FILTERED: "Message filtered by policy",
    Status.CANCELLED: "Message cancelled",
    Status.RECEIVED: "Message received",
}

_CHANNEL_NAMES = {"sms": "SMS", "whatsapp": "WhatsApp", "rcs": "RCS"}
CHANNELS: tuple[str, ...] = tuple(_CHANNEL_NAMES)
"""Every channel a message travels on."""


def describe(status: Status, channel: str = "sms") -> str:
    """The default human description of an activity in ``status``."""
    text = _DESCRIPTIONS[status]
    if "{channel}" in text:
        return text.format(channel=_CHANNEL_NAMES.get(channel, channel))
    return text
