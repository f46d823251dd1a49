"""What passes through the SMSC simulator: accepted submit_sm and deliver_sm to send."""

from __future__ import annotations

from dataclasses import dataclass, field

from signalpost.smpp import Tlv

__all__ = ["Delivery", "Submitted"]


@dataclass(frozen=True, slots=True)
class Submitted:
    """An accepted submit_sm, as recorded with ``SimulatorSettings.record``."""

    message_id: str
    source: str
    destination: str
    short_message: bytes
    data_coding: int
    esm_class: int
    registered_delivery: int


@dataclass(slots=True)
class Delivery:
    """A deliver_sm waiting to be delivered and acknowledged."""

    id: int
    system_id: str
    source: str
    destination: str
    short_message: bytes
    esm_class: int
    data_coding: int = 0
    tlvs: list[Tlv] = field(default_factory=list)
