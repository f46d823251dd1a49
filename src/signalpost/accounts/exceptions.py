"""Errors of the accounts domain."""

from __future__ import annotations

from signalpost.errors import Forbidden, NotFound, Unauthorized

__all__ = [
    "ApiKeyNotFound",
    "InvalidApiKey",
    "MissingApiKey",
    "OrganizationNotFound",
    "ProfileNotAllowed",
    "ProfileNotFound",
]


class MissingApiKey(Unauthorized):
    """An API key is required."""

    code = "missing_api_key"


class InvalidApiKey(Unauthorized):
    """The API key is invalid or revoked."""

    code = "invalid_api_key"


class ProfileNotAllowed(Forbidden):
    """This key may not act for that profile."""

    code = "profile_not_allowed"


class OrganizationNotFound(NotFound):
    """The organization does not exist."""

    code = "organization_not_found"


class ProfileNotFound(NotFound):
    """The profile does not exist."""

    code = "profile_not_found"


class ApiKeyNotFound(NotFound):
    """The API key does not exist."""

    code = "api_key_not_found"
