"""The dialects this server speaks: one line each.

The API server mounts their routes (:mod:`signalpost.api.app`), and every process that
records state changes or delivers webhooks, API server or worker, registers their webhook
formats from this list when it starts (:func:`install_webhook_formats`).
"""

from __future__ import annotations

from typing import Any

from signalpost.api import lamah, mailersend, native, sentdm, sfmc
from signalpost.api.kit import Dialect
from signalpost.webhooks import formats

__all__ = ["DIALECTS", "install_webhook_formats"]

DIALECTS: tuple[Dialect[Any], ...] = (
    native.DIALECT,
    sentdm.DIALECT,
    mailersend.DIALECT,
    lamah.DIALECT,
    sfmc.DIALECT,
)


def install_webhook_formats() -> None:
    """Register every dialect's webhook formats (the native one is built in)."""
    for dialect in DIALECTS:
        for fmt in dialect.webhook_formats:
            formats.register(fmt)
