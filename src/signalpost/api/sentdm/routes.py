"""The sent.dm v3 dialect as one value: every ``/v3`` route, rendered in the v3 envelope.

Every route counts the ``standard`` limit per API key (secret rotation and webhook tests
also a tighter one of their own), then resolves ``x-profile-id``.
"""

from __future__ import annotations

from signalpost.api.kit import Dialect
from signalpost.api.sentdm import (
    routes_account,
    routes_contacts,
    routes_messages,
    routes_templates,
    routes_webhooks,
)
from signalpost.api.sentdm.base import SentDm, authenticate, resolve_scope
from signalpost.api.sentdm.errors import render_error
from signalpost.api.sentdm.schemas import ErrorOut
from signalpost.api.sentdm.webhook_format import FORMAT

__all__ = ["DIALECT"]

DIALECT = Dialect[SentDm](
    name="sentdm",
    state=SentDm,
    routes=(
        routes_messages.routes,
        routes_templates.routes,
        routes_contacts.routes,
        routes_account.routes,
        routes_webhooks.routes,
    ),
    render_error=render_error,
    authenticate=authenticate,
    resolve_scope=resolve_scope,
    limiter=lambda d: d.limits,
    default_limits=("standard",),
    error_model=ErrorOut,
    auth_errors=(400, 401, 403, 404),  # x-profile-id: not a UUID, not allowed, not found
    body_errors=(400,),
    path_errors=(400, 404),  # an id that is not a UUID, or unknown
    webhook_formats=(FORMAT,),
)
