"""Carriers: where messages leave the platform. A small base class and its implementations."""

from signalpost.carriers.base import (
    Carrier,
    Receipt,
    ReceiptSink,
    Submission,
    SubmitOutcome,
    SubmitResult,
)

__all__ = ["Carrier", "Receipt", "ReceiptSink", "Submission", "SubmitOutcome", "SubmitResult"]
