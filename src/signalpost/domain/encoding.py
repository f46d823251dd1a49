"""GSM 03.38 / UCS-2 detection, segment counting and splitting for SMS bodies.

A message is sent as GSM-7 when every character is in the GSM 03.38 default
alphabet or its extension table, and as UCS-2 otherwise. Extension characters
cost two septets (escape + code); characters outside the Basic Multilingual
Plane cost two UTF-16 code units (a surrogate pair).

Limits: a single-part message holds 160 septets (GSM-7) or 70 units (UCS-2);
each part of a concatenated message holds 153 or 67, the rest of the 140 bytes
being taken by the user data header. A two-unit character is never split
across two parts (handsets would show garbage), so parts are filled greedily
and the segment count is not always ``ceil(units / per_part)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "Encoding",
    "SegmentInfo",
    "analyze",
    "decode_gsm7",
    "encode_gsm7",
    "is_gsm7",
    "split",
]

_ESCAPE = 0x1B

# GSM 03.38 default alphabet, indexed by septet value. 0x1B is the escape to the
# extension table and is not a character of its own (here a placeholder "\x1b").
_GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

# GSM 03.38 extension table: character -> code following the escape septet.
_GSM_EXTENSION: dict[str, int] = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}

_BASIC_CODES: dict[str, int] = {ch: code for code, ch in enumerate(_GSM_BASIC) if code != _ESCAPE}
_EXTENSION_CHARS: dict[int, str] = {code: ch for ch, code in _GSM_EXTENSION.items()}
_GSM_CHARS = frozenset(_BASIC_CODES) | frozenset(_GSM_EXTENSION)

_BMP_MAX = 0xFFFF


class Encoding(StrEnum):
    """Data coding used on the air interface."""

    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True, slots=True)
class _Limits:
    single: int
    multi: int


_LIMITS: dict[Encoding, _Limits] = {
    Encoding.GSM7: _Limits(single=160, multi=153),
    Encoding.UCS2: _Limits(single=70, multi=67),
}


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """How a text is carried as SMS.

    ``units`` counts septets for GSM-7 and UTF-16 code units for UCS-2.
    ``per_segment`` is the capacity of one part (160/153 or 70/67) and
    ``remaining`` the free units left in the last part. Empty text has
    ``segments == 0`` and the whole single-part capacity remaining.
    """

    encoding: Encoding
    segments: int
    units: int
    per_segment: int
    remaining: int


@dataclass(frozen=True, slots=True)
class _Part:
    start: int
    end: int
    units: int


def is_gsm7(text: str) -> bool:
    """Return True if ``text`` is representable in the GSM 03.38 alphabet."""
    return _GSM_CHARS.issuperset(text)


def _encoding_of(text: str) -> Encoding:
    return Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2


def _unit_cost(ch: str, encoding: Encoding) -> int:
    if encoding is Encoding.GSM7:
        return 2 if ch in _GSM_EXTENSION else 1
    return 2 if ord(ch) > _BMP_MAX else 1


def _units(text: str, encoding: Encoding) -> int:
    """Return the total septets (GSM-7) or UTF-16 code units (UCS-2) of ``text``."""
    if encoding is Encoding.GSM7:
        return len(text) + sum(text.count(ch) for ch in _GSM_EXTENSION)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _pack(text: str, encoding: Encoding) -> list[_Part]:
    """Fill parts greedily, never splitting a two-unit character."""
    total = _units(text, encoding)
    limits = _LIMITS[encoding]
    if total == 0:
        return []
    if total <= limits.single:
        return [_Part(0, len(text), total)]
    if total == len(text):
        return _pack_uniform(len(text), limits.multi)
    return _pack_weighted([_unit_cost(ch, encoding) for ch in text], limits.multi)


def _pack_uniform(length: int, size: int) -> list[_Part]:
    """Split ``length`` one-unit characters into parts of ``size``."""
    return [
        _Part(start, min(start + size, length), min(size, length - start))
        for start in range(0, length, size)
    ]


def _pack_weighted(costs: list[int], size: int) -> list[_Part]:
    """Greedily fill parts of ``size`` units from per-character ``costs``."""
    parts: list[_Part] = []
    start = used = 0
    for index, cost in enumerate(costs):
        if used + cost > size:
            parts.append(_Part(start, index, used))
            start, used = index, 0
        used += cost
    parts.append(_Part(start, len(costs), used))
    return parts


def analyze(text: str) -> SegmentInfo:
    """Return the encoding, segment count and unit usage of ``text``.

    Empty text yields ``segments == 0``; callers are expected to reject empty
    bodies before sending.
    """
    encoding = _encoding_of(text)
    parts = _pack(text, encoding)
    limits = _LIMITS[encoding]
    per_segment = limits.multi if len(parts) > 1 else limits.single
    last_units = parts[-1].units if parts else 0
    return SegmentInfo(
        encoding=encoding,
        segments=len(parts),
        units=sum(part.units for part in parts),
        per_segment=per_segment,
        remaining=per_segment - last_units,
    )


def split(text: str) -> list[str]:
    """Return the texts of the parts ``text`` is sent as (empty list if empty)."""
    return [text[part.start : part.end] for part in _pack(text, _encoding_of(text))]


def encode_gsm7(text: str) -> bytes:
    """Encode ``text`` as unpacked GSM-7 septets, one per byte.

    Extension characters become the escape septet 0x1B followed by their code.
    Raises ValueError if a character is not in the GSM 03.38 alphabet.
    """
    out = bytearray()
    for index, ch in enumerate(text):
        code = _BASIC_CODES.get(ch)
        if code is not None:
            out.append(code)
        elif ch in _GSM_EXTENSION:
            out += bytes((_ESCAPE, _GSM_EXTENSION[ch]))
        else:
            raise ValueError(f"character {ch!r} at index {index} is not in the GSM-7 alphabet")
    return bytes(out)


def _decode_escaped(code: int | None) -> str:
    """Decode the septet after an escape, as 3GPP TS 23.038 prescribes.

    An unknown extension code is shown as the default-alphabet character; a
    trailing or doubled escape is shown as a space.
    """
    if code is None or code == _ESCAPE:
        return " "
    return _EXTENSION_CHARS.get(code, _GSM_BASIC[code])


def decode_gsm7(data: bytes) -> str:
    """Decode unpacked GSM-7 septets (one per byte) back to text.

    Raises ValueError if a byte is above 0x7F.
    """
    if any(byte > 0x7F for byte in data):
        raise ValueError("GSM-7 septets must be in the range 0x00-0x7F")
    chars: list[str] = []
    index = 0
    while index < len(data):
        byte = data[index]
        if byte == _ESCAPE:
            following = data[index + 1] if index + 1 < len(data) else None
            chars.append(_decode_escaped(following))
            index += 2
        else:
            chars.append(_GSM_BASIC[byte])
            index += 1
    return "".join(chars)
