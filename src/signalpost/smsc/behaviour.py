"""What the SMSC simulator does with a submit (pure): outcomes, scripts, receipt texts.

Outcomes follow the platform simulator (by the destination's last four digits, see
:func:`signalpost.carriers.simulator.outcome_for`): 0001 UNDELIV err 001, 0002 REJECTD
err 002, 0003 EXPIRED err 003, 0004 the first two submit_sm answered ``ESME_RSYSERR``
then delivered, 0005 accepted and never a receipt, anything else DELIVRD.

A :class:`Script` overrides them for one destination: a state per part of a long message
(``None``: no receipt), the order the part receipts go out in, or a ``command_status`` to
answer every submit with.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from signalpost.carriers.simulator.outcomes import outcome_for
from signalpost.domain.lifecycle import Status

__all__ = ["STATES", "Script", "part_outcome", "receipt_text"]

STATES: dict[Status, tuple[str, int]] = {
    Status.DELIVERED: ("DELIVRD", 2),
    Status.EXPIRED: ("EXPIRED", 3),
    Status.FAILED: ("UNDELIV", 5),
    Status.REJECTED: ("REJECTD", 8),
}
ORDERS = ("given", "reverse", "random")


@dataclass(frozen=True, slots=True)
class Script:
    """Scripted behaviour for one destination number."""

    parts: tuple[Status | None, ...] = ()
    order: str = "given"
    submit_status: int = 0
    error_code: str = "001"

    def __post_init__(self) -> None:
        if self.order not in ORDERS:
            raise ValueError(f"order must be one of {', '.join(ORDERS)}")


def part_outcome(
    destination: str, part_no: int, script: Script | None
) -> tuple[Status | None, str]:
    """The final state of one part (None: no receipt) and its ``err`` code."""
    if script is not None and script.parts:
        index = min(part_no, len(script.parts)) - 1
        state = script.parts[index]
        return state, ("000" if state == Status.DELIVERED else script.error_code)
    outcome = outcome_for("+" + destination.lstrip("+"), "sms")
    return outcome.final, outcome.error_code or "000"


_date_cache: tuple[int, str] = (0, "")


def _smpp_date() -> str:
    """Now as ``YYMMDDhhmmss`` (UTC), formatted once per second."""
    global _date_cache
    second = int(time.time())
    if _date_cache[0] != second:
        _date_cache = (second, datetime.fromtimestamp(second, UTC).strftime("%y%m%d%H%M%S"))
    return _date_cache[1]


def receipt_text(message_id: str, state: Status, error: str, text: str) -> str:
    """The Appendix B receipt text (dates with seconds, as many SMSCs send them)."""
    stat, _ = STATES[state]
    delivered = "001" if state == Status.DELIVERED else "000"
    sample = text[:20] if text.isascii() else "".join(c if c.isascii() else "?" for c in text[:20])
    date = _smpp_date()
    return (
        f"id:{message_id} sub:001 dlvrd:{delivered} submit date:{date} done date:{date} "
        f"stat:{stat} err:{error} text:{sample.replace(chr(0), ' ')}"
    )
