"""What a ``submit_sm`` says for one part of a message: addresses, validity, coding (pure)."""

from __future__ import annotations

from collections.abc import Callable

from signalpost.carriers.base import Submission
from signalpost.carriers.smpp.config import ConnectionConfig
from signalpost.smpp import Part, SubmitSm

__all__ = ["address_type", "relative_validity", "submit_sm_encoder"]


def address_type(addr: str) -> tuple[int, int]:
    """(TON, NPI): international numbers (1, 1), short codes (3, 0), names (5, 0)."""
    digits = addr.removeprefix("+")
    if not addr:
        return 0, 0
    if not digits.isdigit():
        return 5, 0
    if addr.startswith("+") or len(digits) > 8:
        return 1, 1
    return 3, 0


def relative_validity(seconds: int) -> str:
    """SMPP relative time ``YYMMDDhhmmss000R`` for ``seconds`` (at least one minute)."""
    seconds = max(60, min(seconds, 99 * 86400))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"0000{days:02d}{hours:02d}{minutes:02d}{secs:02d}000R"


def submit_sm_encoder(
    config: ConnectionConfig, sub: Submission, part: Part, now: int
) -> Callable[[int], bytes]:
    """``encode(sequence_number)``: the submit_sm of ``part`` of ``sub``."""
    c = config
    source = c.default_source if c.force_source or not sub.sender else sub.sender
    source = source or ""
    ton, npi = address_type(source)
    validity = relative_validity((sub.expires_at - now) // 1_000_000)

    def encode(sequence: int) -> bytes:
        return SubmitSm(
            source.removeprefix("+"),
            sub.to.removeprefix("+"),
            part.short_message,
            source_addr_ton=c.source_ton if c.source_ton is not None else ton,
            source_addr_npi=c.source_npi if c.source_npi is not None else npi,
            dest_addr_ton=1,
            dest_addr_npi=1,
            esm_class=part.esm_class,
            validity_period=validity,
            registered_delivery=c.registered_delivery,
            data_coding=part.data_coding,
            sequence_number=sequence,
        ).encode()

    return encode
