"""The dialects this server speaks: one line each.  The API server mounts their routes and
every process (API server or worker) registers their webhook formats from this list."""

from __future__ import annotations

from typing import Any

from signalpost.api import lamah, mailersend
from signalpost.api.kit import Dialect

__all__ = ["DIALECTS"]

DIALECTS: tuple[Dialect[Any], ...] = (lamah.DIALECT, mailersend.DIALECT)
