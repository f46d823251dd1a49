"""Errors of templates."""

from __future__ import annotations

from signalpost.errors import Conflict, NotFound

__all__ = ["TemplateNameTaken", "TemplateNotFound"]


class TemplateNotFound(NotFound):
    """Template not found."""

    code = "template_not_found"


class TemplateNameTaken(Conflict):
    """A template with this name already exists."""

    code = "template_name_taken"
