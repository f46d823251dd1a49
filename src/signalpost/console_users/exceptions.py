"""Errors of console sign-in."""

from __future__ import annotations

from signalpost.errors import AppError

__all__ = ["AccountLocked", "EmailTaken", "InvalidCredentials", "SessionInvalid"]


class InvalidCredentials(AppError):
    """Wrong email or password."""

    status = 401
    code = "invalid_credentials"


class AccountLocked(AppError):
    """Too many failed sign-ins: try again later."""

    status = 429
    code = "account_locked"


class SessionInvalid(AppError):
    """Not signed in, or the session has ended."""

    status = 401
    code = "session_invalid"


class EmailTaken(AppError):
    """A console user with this email already exists."""

    status = 409
    code = "email_taken"
