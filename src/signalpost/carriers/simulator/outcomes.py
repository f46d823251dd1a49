"""The simulator's documented outcomes (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from signalpost.domain.lifecycle import ReasonCode, Status

__all__ = ["TRANSIENT_SUBMITS", "Outcome", "outcome_for"]

TRANSIENT_SUBMITS = 2  # for numbers ending in 0004


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the simulated network does with a message it accepted."""

    final: Status | None  # None: no receipt ever
    reason_code: str | None = None
    reason: str | None = None
    error_code: str | None = None
    transient_submits: int = 0
    read_after_delivery: bool = False


_BY_SUFFIX: dict[str, Outcome] = {
    "0001": Outcome(Status.FAILED, ReasonCode.UNDELIVERABLE.value, "Subscriber unreachable", "001"),
    "0002": Outcome(Status.REJECTED, ReasonCode.REJECTED.value, "Rejected by the network", "002"),
    "0003": Outcome(Status.EXPIRED, ReasonCode.EXPIRED.value, "Validity period expired", "003"),
    "0004": Outcome(Status.DELIVERED, transient_submits=TRANSIENT_SUBMITS),
    "0005": Outcome(None),
}


def outcome_for(destination: str, channel: str) -> Outcome:
    found = _BY_SUFFIX.get(destination[-4:])
    if found is not None:
        return found
    return Outcome(Status.DELIVERED, read_after_delivery=channel in ("whatsapp", "rcs"))
