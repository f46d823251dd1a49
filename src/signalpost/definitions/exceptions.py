"""Errors of the send definitions domain."""

from __future__ import annotations

from signalpost.errors import BadRequest, Conflict, NotFound

__all__ = ["DefinitionExists", "DefinitionNotFound", "InvalidDefinitionOperation"]


class DefinitionNotFound(NotFound):
    """Definition key doesn't exist."""

    code = "definition_not_found"


class DefinitionExists(Conflict):
    """A definition with this key or name already exists."""

    code = "definition_exists"


class InvalidDefinitionOperation(BadRequest):
    """The definition is not in a state that allows this operation."""

    code = "invalid_definition_operation"
