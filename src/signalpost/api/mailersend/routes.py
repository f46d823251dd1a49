"""The MailerSend SMS dialect: ``POST /v1/sms`` and the SMS messages, activity, numbers,
recipients, webhooks and inbound routes, every one under ``/v1/`` (declared in the
``routes_*`` modules)."""

from __future__ import annotations

from signalpost.api.kit import Dialect

# Importing these modules declares their routes on ``routes``.
from signalpost.api.mailersend import (  # noqa: F401
    routes_inbounds,
    routes_numbers,
    routes_sms,
    routes_webhooks,
)
from signalpost.api.mailersend.base import (
    GENERAL,
    MailerSendApi,
    authenticate,
    limit_headers,
    routes,
)
from signalpost.api.mailersend.errors import TooManyAttempts, render_error
from signalpost.api.mailersend.events import FORMAT
from signalpost.api.mailersend.schemas import ErrorOut
from signalpost.api.mailersend.validation import parse_body

__all__ = ["DIALECT"]

DIALECT = Dialect[MailerSendApi](
    name="mailersend",
    state=MailerSendApi,
    routes=(routes,),
    render_error=render_error,
    authenticate=authenticate,
    limiter=lambda api: api.limits,
    default_limits=GENERAL,
    refuse=TooManyAttempts,
    limit_headers=limit_headers,
    parse_body=parse_body,
    error_model=ErrorOut,
    auth_errors=(401,),
    body_errors=(400, 422),
    path_errors=(404,),
    webhook_formats=(FORMAT,),
)
