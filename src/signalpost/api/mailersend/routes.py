"""The MailerSend SMS dialect's router: every route under ``/v1/``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from signalpost.api.mailersend import routes_inbounds, routes_numbers, routes_sms, routes_webhooks
from signalpost.api.mailersend.base import MailerSendApi
from signalpost.http import Router

if TYPE_CHECKING:
    from signalpost.context import Context

__all__ = ["build_router"]


def build_router(ctx: Context) -> Router:
    """Routes of ``POST /v1/sms`` and the SMS messages, activity, numbers, recipients,
    webhooks and inbound routes."""
    api = MailerSendApi(ctx)
    routes_sms.install(api)
    routes_numbers.install(api)
    routes_webhooks.install(api)
    routes_inbounds.install(api)
    return api.router
