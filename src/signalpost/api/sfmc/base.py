"""The dialect's long-lived state, its callers and its routers' declarations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from signalpost.api.common import bearer_token
from signalpost.api.kit import Caller, Routes
from signalpost.api.ratelimit import Decision, RateLimiter
from signalpost.http import Request
from signalpost.oauth.service import TokenAuthenticator

if TYPE_CHECKING:
    from signalpost.context import Context

__all__ = ["SfmcState", "authenticate", "no_limit_headers", "sms"]


class SfmcState:
    """The process context, the bearer-token resolver and the rate limiter of the dialect."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.tokens = TokenAuthenticator(ctx.db, ttl=ctx.settings.api_key_cache_seconds)
        self.limits = RateLimiter(
            "sfmc", {"status": ctx.settings.sfmc_status_rate_limit}, ctx.rate_counter
        )

    @property
    def rest_url(self) -> str:
        """This server's SFMC REST root (``rest_instance_url``)."""
        return self.ctx.settings.base_url.rstrip("/") + "/"


async def authenticate(state: SfmcState, request: Request) -> Caller:
    """The tenant of the request's bearer token (limits count per tenant); 401 Not
    Authorized otherwise."""
    scope = await state.tokens.scope(bearer_token(request))
    return Caller(scope.tenant_id, scope=scope)


def no_limit_headers(decision: Decision) -> list[tuple[bytes, bytes]]:
    """Marketing Cloud sends no X-RateLimit-* headers (a 429 says retryAfter)."""
    del decision
    return []


# The REST host's send definitions and sends (both modules declare on it).
sms = Routes[SfmcState]("/messaging/v1/sms", owns=("/messaging/",))
