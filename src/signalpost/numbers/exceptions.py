"""Errors of sender numbers."""

from __future__ import annotations

from signalpost.errors import Conflict, NotFound

__all__ = ["NumberNotFound", "NumberTaken"]


class NumberNotFound(NotFound):
    """Sender number not found."""

    code = "number_not_found"


class NumberTaken(Conflict):
    """This phone number is already registered."""

    code = "number_taken"
