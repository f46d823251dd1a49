"""What every MailerSend route shares: the bearer token, per-account rate limits, URLs.

Limits count per tenant in two groups, as MailerSend's do: ``general`` for every endpoint
and ``activity`` for ``GET /v1/sms-activity`` (``SIGNALPOST_MAILERSEND_RATE_LIMIT`` and
``SIGNALPOST_MAILERSEND_ACTIVITY_RATE_LIMIT``); an activity listing counts in its own group
only.  Every answer carries ``X-RateLimit-Limit`` and ``X-RateLimit-Remaining``; a 429 adds
``Retry-After``.  Limits are checked before any work, so a send the SDK retries after a 429
was never stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from signalpost.api.common import bearer_token
from signalpost.api.kit import Caller, Routes
from signalpost.api.ratelimit import Decision, RateLimiter
from signalpost.http import Request

if TYPE_CHECKING:
    from signalpost.context import Context

__all__ = ["GENERAL", "MailerSendApi", "authenticate", "limit_headers", "routes"]

GENERAL = ("general",)


class MailerSendApi:
    """The dialect's state in a process: its rate limiter and the helpers its routes use."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self.engine = ctx.webhooks
        self.limits = RateLimiter(
            "mailersend",
            {
                "general": ctx.settings.mailersend_rate_limit,
                "activity": ctx.settings.mailersend_activity_rate_limit,
            },
            ctx.rate_counter,
        )

    def url(self, request: Request) -> str:
        """The absolute URL of the request's path (for pagination links)."""
        base = self.ctx.settings.public_url
        if base is None:
            host = request.header("host") or f"{self.ctx.settings.host}:{self.ctx.settings.port}"
            base = f"{request.scope.get('scheme', 'http')}://{host}"
        return base.rstrip("/") + request.path


async def authenticate(api: MailerSendApi, request: Request) -> Caller:
    """The tenant of the bearer token: limits count per tenant."""
    principal = await api.ctx.auth.principal(bearer_token(request))
    scope = await api.ctx.auth.scope(principal)
    return Caller(scope.tenant_id, principal, scope)


def limit_headers(decision: Decision) -> list[tuple[bytes, bytes]]:
    """``X-RateLimit-Limit`` and ``X-RateLimit-Remaining`` (MailerSend sends no reset)."""
    return decision.headers(reset=False)


# MailerSend's resources are /v1/sms*; the rest of /v1 is the native API's.
routes = Routes[MailerSendApi]("/v1", owns=("/v1/sms",))
