"""What the SMSC simulator does with a submit (pure): outcomes, scripts, receipt texts.

Outcomes follow the platform simulator (by the destination's last four digits, see
:func:`signalpost.carriers.simulator.outcome_for`): 0001 UNDELIV err 001, 0002 REJECTD
err 002, 0003 EXPIRED err 003, 0004 the first two submit_sm answered ``ESME_RSYSERR``
then delivered, 0005 accepted and never a receipt, anything else DELIVRD.

Message ids (``message_ids``): ``random`` (a per-run salt and a hexadecimal counter,
unlike any other run's), or the bare counter 1, 2, 3… in ``decimal`` or ``hex`` as many
SMSCs number messages.  Receipt texts may write the id in the other base
(``receipt_text_ids``), as some SMSCs do.

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
from signalpost.smpp import receipts

__all__ = [
    "ID_STYLES",
    "STATES",
    "TEXT_ID_STYLES",
    "Script",
    "message_id",
    "part_outcome",
    "receipt_text",
    "text_id",
]

STATES: dict[Status, str] = {
    Status.DELIVERED: "DELIVRD",
    Status.EXPIRED: "EXPIRED",
    Status.FAILED: "UNDELIV",
    Status.REJECTED: "REJECTD",
}
ORDERS = ("given", "reverse", "random")
ID_STYLES = ("random", "decimal", "hex")
TEXT_ID_STYLES = ("same", "decimal", "hex")


def message_id(number: int, style: str, salt: str) -> str:
    """The id ``submit_sm_resp`` gives the ``number``-th accepted message."""
    if style == "decimal":
        return str(number)
    if style == "hex":
        return format(number, "x")
    return f"{salt}{number:x}"


def text_id(message_id: str, style: str) -> str:
    """``message_id`` as a receipt text writes it: ``decimal`` reads it as hexadecimal,
    ``hex`` as decimal (so pair them with the other ``message_ids`` style)."""
    if style == "decimal":
        return str(int(message_id, 16))
    if style == "hex":
        return format(int(message_id), "x")
    return message_id


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


def receipt_text(receipt_id: str, state: Status, error: str, text: str) -> str:
    """The Appendix B receipt text (dates with seconds, as many SMSCs send them)."""
    sample = text[:20] if text.isascii() else "".join(c if c.isascii() else "?" for c in text[:20])
    sample = sample.replace(chr(0), " ")
    return receipts.receipt_text(receipt_id, STATES[state], error, _smpp_date(), sample)
