"""Errors of consent."""

from __future__ import annotations

from signalpost.errors import NotFound

__all__ = ["RecipientNotFound"]


class RecipientNotFound(NotFound):
    """Recipient not found."""

    code = "recipient_not_found"
