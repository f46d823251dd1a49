"""Errors of idempotency keys."""

from __future__ import annotations

from signalpost.errors import ValidationFailed

__all__ = ["IdempotencyKeyReused"]


class IdempotencyKeyReused(ValidationFailed):
    """This Idempotency-Key was already used with a different request."""

    code = "idempotency_key_reused"
