"""MailerSend's SMS vocabulary: statuses, error types and how the canonical lifecycle maps.

Per ``status-mapping.md``: ``accepted`` shows as ``processed`` (the first activity row);
``scheduled``, ``queued``, ``processed`` and ``routed`` as ``queued``; ``read`` as
``delivered``; every final failure (failed, expired, rejected, blocked, filtered, cancelled)
as ``failed`` with an ``error_type`` naming which, and the reason as ``error_description``.
"""

from __future__ import annotations

from collections.abc import Callable

from signalpost.domain.lifecycle import Status, describe

__all__ = [
    "ACTIVITY_STATUSES",
    "EVENTS",
    "STATUSES",
    "canonical_activity_statuses",
    "error_description",
    "error_type",
    "event_name",
    "passes",
    "status",
    "subscribed",
]

STATUSES: tuple[str, ...] = ("processed", "queued", "sent", "delivered", "failed")
EVENTS: tuple[str, ...] = ("sms.sent", "sms.delivered", "sms.failed")
_QUALIFIER = "#"

_STATUS: dict[str, str] = {
    Status.ACCEPTED: "processed",
    Status.SCHEDULED: "queued",
    Status.QUEUED: "queued",
    Status.PROCESSED: "queued",
    Status.ROUTED: "queued",
    Status.SENT: "sent",
    Status.DELIVERED: "delivered",
    Status.READ: "delivered",
}

_ERROR_TYPES: dict[str, str] = {
    Status.FAILED: "undeliverable",
    Status.EXPIRED: "expired",
    Status.REJECTED: "rejected",
    Status.BLOCKED: "blocked",
    Status.FILTERED: "opted_out",
    Status.CANCELLED: "cancelled",
}

# The canonical steps listed as activity rows, by the MailerSend status they show as.
# ``processed`` and ``routed`` steps would repeat ``queued`` and are left out of listings.
_ACTIVITY_STEPS: dict[str, tuple[str, ...]] = {
    "processed": (Status.ACCEPTED,),
    "queued": (Status.SCHEDULED, Status.QUEUED),
    "sent": (Status.SENT,),
    "delivered": (Status.DELIVERED,),
    "failed": tuple(_ERROR_TYPES),
}

ACTIVITY_STATUSES: tuple[str, ...] = tuple(s for steps in _ACTIVITY_STEPS.values() for s in steps)
"""Every canonical status that appears as a MailerSend activity row."""


def status(canonical: str) -> str:
    """The MailerSend status of a canonical status."""
    return _STATUS.get(canonical, "failed")


def error_type(canonical: str) -> str | None:
    """``error_type`` of a message in this canonical status (None unless it failed)."""
    return _ERROR_TYPES.get(canonical)


def error_description(canonical: str, reason: str | None) -> str | None:
    """``error_description``: the recorded reason, else the lifecycle's own description."""
    if canonical not in _ERROR_TYPES:
        return None
    return reason or describe(Status(canonical))


def canonical_activity_statuses(wanted: tuple[str, ...]) -> tuple[str, ...]:
    """The canonical activity statuses behind MailerSend statuses (all listed ones if none)."""
    if not wanted:
        return ACTIVITY_STATUSES
    return tuple(dict.fromkeys(s for w in wanted for s in _ACTIVITY_STEPS[w]))


def subscribed(event: str, telephone_number: str) -> str:
    """A webhook's stored subscription: the event qualified by its number (``sms.sent#+1...``)."""
    return f"{event}{_QUALIFIER}{telephone_number}"


def event_name(qualified: str) -> str:
    """The wire name of a stored subscription or event type (``sms.delivered``)."""
    return qualified.split(_QUALIFIER, 1)[0]


_COMPARERS: dict[str, Callable[[str, str], bool]] = {
    "equal": str.__eq__,
    "contains": str.__contains__,
    "starts-with": str.startswith,
    "ends-with": str.endswith,
}


def passes(comparer: str, value: str, text: str) -> bool:
    """Whether an inbound text passes a route's filter (case-insensitive, trimmed);
    ``not-`` comparers negate the one they name."""
    negate = comparer.startswith("not-")
    test = _COMPARERS[comparer.removeprefix("not-")]
    return test(text.strip().casefold(), value.strip().casefold()) != negate
