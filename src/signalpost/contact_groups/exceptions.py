"""Errors of contact groups."""

from __future__ import annotations

from signalpost.errors import Conflict, NotFound

__all__ = ["GroupExists", "GroupNotFound"]


class GroupNotFound(NotFound):
    """Contact group not found."""

    code = "contact_group_not_found"


class GroupExists(Conflict):
    """A contact group with this name already exists."""

    code = "contact_group_exists"
