"""The carrier interface: submit a batch, get one answer per message, report later what
comes back (receipts, inbound messages) to the platform's :class:`CarrierEvents`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from signalpost.domain.lifecycle import Status

__all__ = [
    "NO_RESPONSE",
    "Carrier",
    "CarrierEvents",
    "Inbound",
    "InboundOwner",
    "Receipt",
    "ReceiptHandler",
    "Submission",
    "SubmitOutcome",
    "SubmitResult",
    "read_owners",
]

NO_RESPONSE = "NO_RESPONSE"
"""``error_code`` of a TRANSIENT answer when the request may have reached the carrier (the
connection broke after it was sent): the message is asked of the same carrier again (an
``idempotent`` one answers as the first time), never failed over, lest it go out twice."""


@dataclass(frozen=True, slots=True)
class Submission:
    """One message handed to a carrier. ``attempt_id`` is unique per attempt.

    A carrier that is ``idempotent`` treats a second submit with the same ``attempt_id`` as
    the first one, returning the same answer without sending again.
    """

    attempt_id: str
    message_id: str
    to: str
    sender: str | None
    body: str
    channel: str
    encoding: str
    segments: int
    expires_at: int


class SubmitOutcome(StrEnum):
    ACCEPTED = "accepted"  # the carrier took it and gave its own message id
    TRANSIENT = "transient"  # try again later (throttled, queue full, connection down)
    PERMANENT = "permanent"  # the carrier will never take it; ``status`` says how it ends


@dataclass(frozen=True, slots=True)
class SubmitResult:
    attempt_id: str
    outcome: SubmitOutcome
    carrier_message_id: str | None = None
    status: Status | None = None  # for PERMANENT: FAILED or REJECTED
    reason_code: str | None = None
    reason: str | None = None
    error_code: str | None = None  # the carrier's own code, stored verbatim


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery report: the carrier's id for the message and what became of it."""

    carrier_message_id: str
    status: Status
    occurred_at: int
    reason_code: str | None = None
    reason: str | None = None
    error_code: str | None = None


@dataclass(frozen=True, slots=True)
class InboundOwner:
    """The tenant that owns mobile-originated messages (an organization or its profile)."""

    organization_id: str
    profile_id: str | None = None

    @property
    def tenant_id(self) -> str:
        return self.profile_id or self.organization_id


def read_owners(
    raw: Mapping[str, Any], where: str, error: type[ValueError]
) -> tuple[InboundOwner | None, dict[str, InboundOwner]]:
    """A carrier configuration's ``inbound`` owner and its ``inbound_numbers`` (an owner
    per number of ours), as SMPP connections and HTTP providers both write them."""

    def owner(value: Any, at: str) -> InboundOwner:
        if not isinstance(value, Mapping) or not isinstance(value.get("organization_id"), str):
            raise error(f"{at}: needs an organization_id (and optionally a profile_id)")
        profile = value.get("profile_id")
        if profile is not None and not isinstance(profile, str):
            raise error(f"{at}.profile_id must be a string")
        return InboundOwner(value["organization_id"], profile)

    default = owner(raw["inbound"], f"{where}.inbound") if "inbound" in raw else None
    numbers = raw.get("inbound_numbers", {})
    if not isinstance(numbers, Mapping):
        raise error(f"{where}.inbound_numbers must be a table")
    per_number = {str(k): owner(v, f"{where}.inbound_numbers.{k}") for k, v in numbers.items()}
    return default, per_number


@dataclass(frozen=True, slots=True)
class Inbound:
    """A message a carrier received for the platform (mobile-originated), whole (a long
    one reassembled), with the owner the carrier's configuration names for its number."""

    organization_id: str
    tenant_id: str  # the organization's id, or the id of one of its profiles
    source: str  # the sender: E.164 with + for international numbers
    destination: str  # the platform's number it was sent to
    text: str
    received_at: int
    channel: str = "sms"
    protocol: str = "smpp"  # what carried it: smpp, or the HTTP provider's kind
    carrier_message_id: str | None = None  # the carrier's id for it: a repeat is stored once


ReceiptHandler = Callable[[str, Sequence[Receipt]], Awaitable[None]]
"""Called with ``(carrier name, receipts)``; returns once they are durably applied."""


class CarrierEvents(Protocol):
    """Where a carrier reports what comes back from its peer, given in :meth:`Carrier.start`.

    Each call returns once what it was given is durably applied.  Carriers acknowledge a
    receipt or an inbound message to their peer only after the call returns (and answer
    with a temporary error when it raises), so a crash leads to it being delivered again,
    never lost: receipts are applied idempotently, an inbound message may be stored twice.
    """

    async def apply_receipts(self, carrier: str, receipts: Sequence[Receipt]) -> None:
        """Apply delivery reports to the messages they concern."""
        ...

    async def apply_inbound(self, carrier: str, messages: Sequence[Inbound]) -> None:
        """Store mobile-originated messages as ``received``."""
        ...


class Carrier(ABC):
    """A route out of the platform."""

    name: str = "carrier"
    idempotent: bool = False
    channels: frozenset[str] = frozenset({"sms"})  # the channels this carrier can carry

    async def start(self, sink: CarrierEvents) -> None:
        """Connect and begin reporting receipts and inbound messages to ``sink``."""
        del sink

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Disconnect gracefully."""

    @property
    def available(self) -> bool:
        """Whether the carrier can take submits now (routes fail over when it cannot)."""
        return True

    @property
    def served_elsewhere(self) -> bool:
        """Whether other processes hold all of the carrier (every bind slot of an SMPP
        connection), so this process does not send over it: its messages are handed to
        those processes through the queue instead."""
        return False

    @property
    def routable(self) -> bool:
        """Whether a route may give it messages now: it can send them, or the processes
        that hold it will."""
        return self.available or self.served_elsewhere

    @abstractmethod
    async def submit(self, batch: Sequence[Submission]) -> list[SubmitResult]:
        """Submit messages; one result per submission, in the same order."""
