"""Errors of contacts."""

from __future__ import annotations

from signalpost.errors import AppError, Conflict, NotFound

__all__ = ["AllRecipientsOptedOut", "ContactExists", "ContactNotFound"]


class ContactNotFound(NotFound):
    """Contact not found."""

    code = "contact_not_found"


class ContactExists(Conflict):
    """A contact with this phone number already exists."""

    code = "contact_exists"


class AllRecipientsOptedOut(AppError):
    """All recipients have opted out of messages."""

    status = 422
    code = "all_recipients_opted_out"
