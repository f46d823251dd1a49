"""Errors of compliance settings."""

from __future__ import annotations

from signalpost.errors import ValidationFailed

__all__ = ["InvalidComplianceSettings"]


class InvalidComplianceSettings(ValidationFailed):
    """The compliance settings are not valid."""
