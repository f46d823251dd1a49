"""What every MailerSend route shares: the bearer token, per-account rate limits, URLs.

Limits count per tenant in two groups, as MailerSend's do: ``general`` for every endpoint
and ``activity`` for ``GET /v1/sms-activity`` (``SIGNALPOST_MAILERSEND_RATE_LIMIT`` and
``SIGNALPOST_MAILERSEND_ACTIVITY_RATE_LIMIT``).  Every answer carries ``X-RateLimit-Limit``
and ``X-RateLimit-Remaining``; a 429 adds ``Retry-After``.  Limits are checked before any
work, so a send the SDK retries after a 429 was never stored.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from signalpost.accounts.schemas import Scope
from signalpost.api.common import bearer_token
from signalpost.api.mailersend.errors import TooManyAttempts, render_error
from signalpost.api.ratelimit import Decision, RateLimiter
from signalpost.http import Request, Response, Router
from signalpost.http.router import Handler

if TYPE_CHECKING:
    from signalpost.context import Context

__all__ = ["MailerSendApi"]

_DECISION = "mailersend.ratelimit"


class MailerSendApi:
    """The dialect's router, rate limiter and the helpers its routes use."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.db = ctx.db
        # MailerSend's resources are /v1/sms*; the rest of /v1 is the native API's.
        self.router = Router("/v1", tag="mailersend", render_error=render_error, owns=("/v1/sms",))
        self.limits = RateLimiter(
            "mailersend",
            {
                "general": ctx.settings.mailersend_rate_limit,
                "activity": ctx.settings.mailersend_activity_rate_limit,
            },
            ctx.rate_counter,
        )

    async def scope(self, request: Request, group: str = "general") -> Scope:
        """The tenant of the bearer token, counted against the group's rate limit."""
        principal = await self.ctx.auth.principal(bearer_token(request))
        scope = await self.ctx.auth.scope(principal)
        decision = await self.limits.hit(group, scope.tenant_id)
        request.state[_DECISION] = decision
        if not decision.allowed:
            raise TooManyAttempts(decision)
        return scope

    def url(self, request: Request) -> str:
        """The absolute URL of the request's path (for pagination links)."""
        base = self.ctx.settings.public_url
        if base is None:
            host = request.header("host") or f"{self.ctx.settings.host}:{self.ctx.settings.port}"
            base = f"{request.scope.get('scheme', 'http')}://{host}"
        return base.rstrip("/") + request.path

    def route(self, method: str, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        """Register a handler whose answers carry the caller's rate-limit headers."""

        def register(handler: Handler) -> Handler:
            @functools.wraps(handler)
            async def with_headers(request: Request) -> Response:
                response = await handler(request)
                decision: Decision | None = request.state.get(_DECISION)
                if decision is not None:
                    response.headers.extend(decision.headers(reset=False))
                return response

            return self.router.route(method, path, **kw)(with_headers)

        return register
