"""``{{variable}}`` placeholders in message text and stored templates: found and filled in.

Variable names match ``[A-Za-z_][A-Za-z0-9_.-]*`` and may be padded with
whitespace inside the braces (``{{ name }}``). Anything else between double
braces is left untouched as literal text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["MissingVariables", "render", "variables_of"]

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}\}")


class MissingVariables(ValueError):
    """Raised by :func:`render` when parameters lack some template variables."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"missing template variables: {', '.join(missing)}")
        self.missing = missing


def variables_of(body: str) -> list[str]:
    """Return the variable names used in ``body``, unique, in order of first use."""
    return list(dict.fromkeys(match.group(1) for match in _VARIABLE.finditer(body)))


def render(body: str, parameters: Mapping[str, object]) -> str:
    """Substitute every ``{{name}}`` in ``body`` with ``str(parameters[name])``.

    Extra parameters are ignored. Raises :class:`MissingVariables` naming every
    variable that has no parameter. Substituted values are not re-scanned, so a
    value containing ``{{x}}`` is inserted literally.
    """
    missing = [name for name in variables_of(body) if name not in parameters]
    if missing:
        raise MissingVariables(missing)
    return _VARIABLE.sub(lambda match: str(parameters[match.group(1)]), body)
