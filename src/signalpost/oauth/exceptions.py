"""Errors of the OAuth domain."""

from __future__ import annotations

from signalpost.errors import Unauthorized

__all__ = ["AccountNotAllowed", "InvalidClient", "InvalidToken", "MissingToken"]


class InvalidClient(Unauthorized):
    """Invalid client ID or secret."""

    code = "invalid_client"


class AccountNotAllowed(Unauthorized):
    """This client may not act for that account."""

    code = "invalid_account"


class MissingToken(Unauthorized):
    """An access token is required."""

    code = "missing_token"


class InvalidToken(Unauthorized):
    """The access token is invalid or expired."""

    code = "invalid_token"
