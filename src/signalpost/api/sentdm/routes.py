"""The ``/v3`` router: every v3 route, rendered in the v3 envelope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from signalpost.api.sentdm import (
    routes_account,
    routes_contacts,
    routes_messages,
    routes_templates,
    routes_webhooks,
)
from signalpost.api.sentdm.base import SentDm
from signalpost.api.sentdm.errors import render_error
from signalpost.http import Router

if TYPE_CHECKING:
    from signalpost.context import Context

__all__ = ["build_router"]


def build_router(ctx: Context) -> Router:
    router = Router("/v3", tag="sent.dm v3", render_error=render_error)
    dialect = SentDm(ctx)
    modules = (routes_messages, routes_templates, routes_contacts, routes_account, routes_webhooks)
    for module in modules:
        module.register(router, dialect)
    return router
