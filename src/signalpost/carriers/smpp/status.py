"""What SMPP answers mean for a message (pure): submit verdicts, receipts, multipart rule.

Submit answers (``command_status``) follow section 4 of the status mapping: throttling
(``ESME_RTHROTTLED``, ``ESME_RMSGQFUL``) slows the connection down and retries; other
transient errors hand the message back to the dispatcher; permanent errors end it as
``failed`` or ``rejected`` with a reason code.

Delivery receipts follow sections 2.1 and 3: the ``message_state`` and
``receipted_message_id`` TLVs are preferred over the receipt text
``id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…``.

**The multipart rule.**  A message sent as several parts is decided from its parts'
receipts, in whatever order they arrive:

* it is ``failed``, ``expired`` or ``rejected`` as soon as any part is: it takes that part's
  state, reason and error code (when several failures are learnt at once, the lowest part
  number's);
* it is ``delivered`` when every part is delivered, at the time of the last one;
* otherwise it stays ``sent`` (a part without a receipt leaves the message to expire when
  its validity runs out).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from signalpost.domain.lifecycle import ReasonCode, Status
from signalpost.smpp.pdu import CommandStatus, status_name
from signalpost.smpp.receipts import done_date, read_receipt

__all__ = [
    "Decision",
    "PartReceipt",
    "PartState",
    "ReceiptIds",
    "Verdict",
    "VerdictKind",
    "classify",
    "decide",
    "parse_receipt",
    "part_key",
    "text_key",
]

CS = CommandStatus


class VerdictKind(StrEnum):
    OK = "ok"
    THROTTLE = "throttle"  # slow the connection down and send again
    TRANSIENT = "transient"  # give the message back to the dispatcher for a later retry
    PERMANENT = "permanent"  # the message ends with ``status``


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: VerdictKind
    error_code: str
    status: Status | None = None
    reason_code: str | None = None
    reason: str | None = None


_THROTTLE = frozenset({CS.ESME_RTHROTTLED, CS.ESME_RMSGQFUL})
_TRANSIENT = frozenset(
    {
        CS.ESME_RSYSERR,
        CS.ESME_RX_T_APPN,
        CS.ESME_RINVBNDSTS,
        CS.ESME_RBINDFAIL,
        CS.ESME_RINVPASWD,
        CS.ESME_RINVSYSID,
        CS.ESME_RINVSYSTYP,
        CS.ESME_RINVCMDLEN,
    }
)
_INVALID_DESTINATION = frozenset({CS.ESME_RINVDSTADR, CS.ESME_RINVDSTTON, CS.ESME_RINVDSTNPI})
_REJECTED_SOURCE = frozenset({CS.ESME_RINVSRCADR, CS.ESME_RINVSRCTON, CS.ESME_RINVSRCNPI})


def classify(command_status: int) -> Verdict:
    """How to treat a submit_sm_resp with this ``command_status``."""
    name = status_name(command_status)
    if command_status == CS.ESME_ROK:
        return Verdict(VerdictKind.OK, name)
    if command_status in _THROTTLE:
        return Verdict(VerdictKind.THROTTLE, name)
    if command_status in _TRANSIENT or 0x400 <= command_status <= 0x4FF:
        return Verdict(VerdictKind.TRANSIENT, name)
    if command_status in _INVALID_DESTINATION:
        return _permanent(name, Status.REJECTED, ReasonCode.INVALID_DESTINATION, "Invalid number")
    if command_status in _REJECTED_SOURCE:
        return _permanent(name, Status.REJECTED, ReasonCode.REJECTED, "Sender not accepted")
    if command_status == CS.ESME_RX_R_APPN:
        return _permanent(name, Status.REJECTED, ReasonCode.REJECTED, "Rejected by the carrier")
    if command_status == CS.ESME_RINVMSGLEN:
        return _permanent(name, Status.FAILED, ReasonCode.TOO_LONG, "Message length not accepted")
    return _permanent(name, Status.FAILED, ReasonCode.SUBMIT_REFUSED, "Carrier refused the message")


def _permanent(name: str, status: Status, code: ReasonCode, reason: str) -> Verdict:
    return Verdict(VerdictKind.PERMANENT, name, status, code.value, f"{reason} ({name})")


# ----------------------------------------------------------------------------- receipts


class ReceiptIds(StrEnum):
    """How the id in a receipt's text relates to the id in ``submit_sm_resp`` (per connection).

    ``same``: the very same string.  ``hex-to-dec``: ``submit_sm_resp`` gives a hexadecimal
    id and the receipt text writes it in decimal; ``dec-to-hex`` the reverse.  The
    ``receipted_message_id`` TLV carries the ``submit_sm_resp`` id unchanged (SMPP 3.4
    section 5.3.2.12) and is never converted.
    """

    SAME = "same"
    HEX_TO_DEC = "hex-to-dec"
    DEC_TO_HEX = "dec-to-hex"


_DIGITS = re.compile(r"[0-9]{1,65}")
_HEX_DIGITS = re.compile(r"[0-9a-fA-F]{1,65}")


def _as_number(value: str, pattern: re.Pattern[str], base: int) -> str:
    """``value`` read in ``base``, written in decimal; ``value`` itself when it is not such
    a number (a non-digit key never equals a decimal one, so nothing is mixed up)."""
    if pattern.fullmatch(value) is None:
        return value
    return str(int(value, base))


def part_key(submitted_id: str, ids: ReceiptIds) -> str:
    """The key a part is found by, from the id its ``submit_sm_resp`` carried."""
    if ids is ReceiptIds.HEX_TO_DEC:
        return _as_number(submitted_id, _HEX_DIGITS, 16)
    if ids is ReceiptIds.DEC_TO_HEX:
        return _as_number(submitted_id, _DIGITS, 10)
    return submitted_id


def text_key(receipt_id: str, ids: ReceiptIds) -> str:
    """The key a receipt looks for, from the id written in its text."""
    if ids is ReceiptIds.HEX_TO_DEC:
        return _as_number(receipt_id, _DIGITS, 10)
    if ids is ReceiptIds.DEC_TO_HEX:
        return _as_number(receipt_id, _HEX_DIGITS, 16)
    return receipt_id


@dataclass(frozen=True, slots=True)
class PartReceipt:
    """A delivery receipt for one submitted part. ``status`` None: intermediate."""

    smsc_message_id: str
    stat: str
    status: Status | None
    occurred_at: int
    reason_code: str | None = None
    reason: str | None = None
    error_code: str | None = None


_STAT_OUTCOMES: dict[str, tuple[Status, ReasonCode | None, str]] = {
    "DELIVRD": (Status.DELIVERED, None, "Delivered"),
    "EXPIRED": (Status.EXPIRED, ReasonCode.EXPIRED, "Validity period expired"),
    "DELETED": (Status.FAILED, ReasonCode.DELETED, "Deleted by the carrier"),
    "UNDELIV": (Status.FAILED, ReasonCode.UNDELIVERABLE, "Undeliverable"),
    "UNKNOWN": (Status.FAILED, ReasonCode.UNKNOWN_FINAL, "Final state unknown"),
    "REJECTD": (Status.REJECTED, ReasonCode.REJECTED, "Rejected by the network"),
    "SKIPPED": (Status.FAILED, ReasonCode.UNDELIVERABLE, "Skipped by the carrier"),
}


def parse_receipt(
    text: str, tlvs: Mapping[int, bytes], now: int, ids: ReceiptIds = ReceiptIds.SAME
) -> PartReceipt | None:
    """A receipt from a deliver_sm's text and TLVs; None when it names no message id.

    Its ``smsc_message_id`` is the key of the part it is for (:func:`part_key`).
    """
    fields = read_receipt(text, tlvs)
    if fields.tlv_id:
        smsc_id = part_key(fields.tlv_id, ids)
    else:
        smsc_id = text_key(fields.text_id, ids)
    if not smsc_id:
        return None
    stat, error = fields.stat, fields.error
    at = done_date(fields.done_date) or now
    outcome = _STAT_OUTCOMES.get(stat)
    if stat == "ACCEPTD" and fields.delivered:
        outcome = _STAT_OUTCOMES["DELIVRD"]
    if outcome is None:  # ENROUTE, ACCEPTD without dlvrd:001, SCHEDLD: not final
        return PartReceipt(smsc_id, stat, None, at, error_code=error)
    status, code, reason = outcome
    if code is None:
        return PartReceipt(smsc_id, stat, status, at, error_code=error)
    detail = f"{reason} ({stat}, err {error})" if error else f"{reason} ({stat})"
    return PartReceipt(smsc_id, stat, status, at, code.value, detail, error)


# ----------------------------------------------------------------------------- multipart


@dataclass(frozen=True, slots=True)
class PartState:
    """What is known of one accepted part."""

    number: int
    status: Status  # SENT until a final receipt
    at: int = 0
    reason_code: str | None = None
    reason: str | None = None
    error_code: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """A message's outcome decided from its parts."""

    status: Status
    at: int
    reason_code: str | None = None
    reason: str | None = None
    error_code: str | None = None


def decide(parts: Sequence[PartState], total: int) -> Decision | None:
    """Apply the multipart rule (module docstring) to the accepted parts of a message."""
    failing = [p for p in parts if p.status not in (Status.SENT, Status.DELIVERED)]
    if failing:
        first = min(failing, key=lambda p: p.number)
        return Decision(first.status, first.at, first.reason_code, first.reason, first.error_code)
    delivered = {p.number for p in parts if p.status == Status.DELIVERED}
    if len(delivered) == total and total > 0:
        return Decision(Status.DELIVERED, max(p.at for p in parts))
    return None
