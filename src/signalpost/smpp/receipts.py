"""Delivery receipts on the wire (SMPP 3.4 Appendix B and section 5.3.2): read and written.

A receipt is a ``deliver_sm`` whose text reads
``id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…`` and which may carry
the ``receipted_message_id``, ``message_state`` and ``network_error_code`` TLVs.  The TLVs
win over the text when both are there.  What a state means for a message is not decided
here (the carrier's ``status`` module does that).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from smpp34 import Tlv

__all__ = [
    "MESSAGE_STATES",
    "TLV_MESSAGE_STATE",
    "TLV_NETWORK_ERROR_CODE",
    "TLV_RECEIPTED_MESSAGE_ID",
    "ReceiptFields",
    "done_date",
    "read_receipt",
    "receipt_text",
    "receipt_tlvs",
]

TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_STATE = 0x0427
TLV_NETWORK_ERROR_CODE = 0x0423
MESSAGE_STATES = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}
"""``message_state`` values and the ``stat`` a receipt text writes for each."""
_STATE_NUMBERS = {name: number for number, name in MESSAGE_STATES.items()}
_FIELD = re.compile(r"(?i)\b(id|sub|dlvrd|submit date|done date|stat|err)\s*:\s*(\S*)")
_TEXT = re.compile(r"(?i)\btext\s*:")
_GSM_NETWORK = 3  # network_type of network_error_code


@dataclass(frozen=True, slots=True)
class ReceiptFields:
    """What a receipt says, TLVs first; ``""``/None where it says nothing."""

    tlv_id: str  # receipted_message_id: the submit_sm_resp id itself
    text_id: str  # the id: field of the text
    stat: str  # DELIVRD, UNDELIV… (upper case)
    delivered: bool  # dlvrd: counts the one message as delivered
    error: str | None  # err: of the text, else the network_error_code
    done_date: str | None  # YYMMDDhhmm[ss] as written


def read_receipt(text: str, tlvs: Mapping[int, bytes]) -> ReceiptFields:
    fields = {
        m.group(1).lower(): m.group(2) for m in _FIELD.finditer(_TEXT.split(text, maxsplit=1)[0])
    }
    raw_id = tlvs.get(TLV_RECEIPTED_MESSAGE_ID)
    state = tlvs.get(TLV_MESSAGE_STATE)
    stat = MESSAGE_STATES.get(state[0], "") if state else ""
    return ReceiptFields(
        raw_id.rstrip(b"\0").decode("latin-1") if raw_id else "",
        fields.get("id", ""),
        stat or fields.get("stat", "").upper(),
        fields.get("dlvrd", "").lstrip("0") == "1",
        fields.get("err") or _network_error(tlvs.get(TLV_NETWORK_ERROR_CODE)),
        fields.get("done date"),
    )


def done_date(value: str | None) -> int | None:
    """``YYMMDDhhmm[ss]`` (UTC) in microseconds; None when absent or invalid."""
    if not value or not value.isdigit() or len(value) not in (10, 12):
        return None
    n = [int(value[i : i + 2]) for i in range(0, len(value), 2)]
    try:
        at = datetime(2000 + n[0], n[1], n[2], n[3], n[4], n[5] if len(n) > 5 else 0, tzinfo=UTC)
    except ValueError:
        return None
    return int(at.timestamp()) * 1_000_000


def _network_error(value: bytes | None) -> str | None:
    if value is None or len(value) != 3:
        return None
    return f"{int.from_bytes(value[1:], 'big'):03d}"


def receipt_text(receipt_id: str, stat: str, error: str, date: str, sample: str) -> str:
    """The Appendix B text of a final receipt for one message (``date``: ``YYMMDDhhmm[ss]``,
    ``sample``: the start of the message, ASCII)."""
    delivered = "001" if stat == "DELIVRD" else "000"
    return (
        f"id:{receipt_id} sub:001 dlvrd:{delivered} submit date:{date} done date:{date} "
        f"stat:{stat} err:{error} text:{sample[:20]}"
    )


def receipt_tlvs(message_id: str, stat: str, error: str) -> list[Tlv]:
    """``receipted_message_id``, ``message_state`` and a GSM ``network_error_code``."""
    return [
        Tlv(TLV_RECEIPTED_MESSAGE_ID, message_id.encode("latin-1") + b"\0"),
        Tlv(TLV_MESSAGE_STATE, bytes((_STATE_NUMBERS[stat],))),
        Tlv(TLV_NETWORK_ERROR_CODE, bytes((_GSM_NETWORK,)) + int(error).to_bytes(2, "big")),
    ]
