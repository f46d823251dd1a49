"""Message text as SMPP short messages: data_coding, UDH concatenation, and back (pure).

Outbound, a body is sent as GSM-7 (``data_coding`` 0, the SMSC default alphabet, one
unpacked septet per octet) when every character is in GSM 03.38 and as UCS-2
(``data_coding`` 8, UTF-16BE) otherwise.  A body longer than one part is split exactly as
:func:`signalpost.domain.encoding.split` counts it (153 septets or 67 UCS-2 units per part)
and each part carries a user data header with an 8-bit concatenation reference
(``05 00 03 ref total seq``) and ``esm_class`` UDHI (0x40).
"""

from __future__ import annotations

from dataclasses import dataclass

from signalpost.domain import encoding

__all__ = [
    "DATA_CODING_GSM7",
    "DATA_CODING_UCS2",
    "ESM_UDHI",
    "Incoming",
    "Part",
    "decode_text",
    "read_short_message",
    "split_message",
]

DATA_CODING_GSM7 = 0x00
DATA_CODING_ASCII = 0x01
DATA_CODING_LATIN1 = 0x03
DATA_CODING_UCS2 = 0x08
ESM_UDHI = 0x40
_IEI_CONCAT_8 = 0x00
_IEI_CONCAT_16 = 0x08


@dataclass(frozen=True, slots=True)
class Part:
    """One submit_sm worth of a message."""

    number: int  # 1-based
    total: int
    short_message: bytes
    data_coding: int
    esm_class: int


def _encode(text: str, gsm: bool) -> bytes:
    if gsm:
        return encoding.encode_gsm7(text)
    return text.encode("utf-16-be", "surrogatepass")


def split_message(body: str, ref: int) -> list[Part]:
    """The parts ``body`` is sent as; ``ref`` (0-255) is the concatenation reference."""
    gsm = encoding.is_gsm7(body)
    coding = DATA_CODING_GSM7 if gsm else DATA_CODING_UCS2
    texts = encoding.split(body) or [""]
    total = len(texts)
    if total == 1:
        return [Part(1, 1, _encode(texts[0], gsm), coding, 0)]
    if total > 255:
        raise ValueError("a message cannot have more than 255 parts")
    return [
        Part(
            n,
            total,
            bytes((5, _IEI_CONCAT_8, 3, ref & 0xFF, total, n)) + _encode(text, gsm),
            coding,
            ESM_UDHI,
        )
        for n, text in enumerate(texts, start=1)
    ]


@dataclass(frozen=True, slots=True)
class Incoming:
    """A received short message: its text and, for a part of a long one, where it fits."""

    text: str
    ref: int | None = None
    total: int = 1
    number: int = 1


def decode_text(data: bytes, data_coding: int) -> str:
    """Text of a short message payload in ``data_coding`` (unknown codings as Latin-1)."""
    if data_coding == DATA_CODING_GSM7:
        try:
            return encoding.decode_gsm7(data)
        except ValueError:  # an SMSC whose default alphabet is not GSM 03.38
            return data.decode("latin-1")
    if data_coding == DATA_CODING_UCS2:
        return data.decode("utf-16-be", "replace")
    if data_coding == DATA_CODING_ASCII:
        return data.decode("ascii", "replace")
    return data.decode("latin-1")


def _concat_info(udh: bytes) -> tuple[int, int, int] | None:
    pos = 0
    while pos + 2 <= len(udh):
        iei, length = udh[pos], udh[pos + 1]
        value = udh[pos + 2 : pos + 2 + length]
        if iei == _IEI_CONCAT_8 and length == 3 and len(value) == 3:
            return value[0], value[1], value[2]
        if iei == _IEI_CONCAT_16 and length == 4 and len(value) == 4:
            return (value[0] << 8) | value[1], value[2], value[3]
        pos += 2 + length
    return None


def read_short_message(
    data: bytes, data_coding: int, esm_class: int, limit: int | None = None
) -> Incoming:
    """Split off the user data header (when UDHI is set) and decode the text (its first
    ``limit`` characters when given)."""
    udh = b""
    if esm_class & ESM_UDHI and data:
        udh = data[1 : 1 + data[0]]
        data = data[1 + data[0] :]
    if limit is not None:
        data = data[: limit * (2 if data_coding == DATA_CODING_UCS2 else 1)]
    text = decode_text(data, data_coding)
    if not udh:
        return Incoming(text)
    concat = _concat_info(udh)
    if concat is None or concat[1] < 1 or not 1 <= concat[2] <= concat[1]:
        return Incoming(text)
    ref, total, number = concat
    return Incoming(text, ref, total, number)
