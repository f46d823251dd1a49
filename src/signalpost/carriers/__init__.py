"""Carriers: where messages leave the platform. A small base class and its implementations."""

from signalpost.carriers.base import (
    Carrier,
    CarrierEvents,
    Inbound,
    Receipt,
    Submission,
    SubmitOutcome,
    SubmitResult,
)

__all__ = [
    "Carrier",
    "CarrierEvents",
    "Inbound",
    "Receipt",
    "Submission",
    "SubmitOutcome",
    "SubmitResult",
]
