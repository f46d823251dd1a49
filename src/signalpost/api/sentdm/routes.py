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
    auth_errors={
        400: "x-profile-id is not a UUID (VALIDATION_003)",
        401: "no API key (AUTH_001), or not a valid one (AUTH_002)",
        403: "x-profile-id names a profile the key may not act for (AUTH_004)",
        404: "x-profile-id names no profile of the organization (RESOURCE_004)",
    },
    body_errors={400: "malformed or invalid body (VALIDATION_001 to VALIDATION_007)"},
    path_errors={400: "the id is not a UUID (VALIDATION_001)", 404: "not found"},
    webhook_formats=(FORMAT,),
)
