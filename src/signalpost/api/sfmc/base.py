"""The dialect's long-lived state and the helpers every route shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

from signalpost.accounts.schemas import Scope
from signalpost.api.common import bearer_token
from signalpost.api.ratelimit import RateLimiter
from signalpost.errors import RateLimited
from signalpost.http import Request
from signalpost.oauth.service import TokenAuthenticator

if TYPE_CHECKING:
    from signalpost.context import Context

__all__ = ["SfmcState"]


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

    async def scope(self, request: Request) -> Scope:
        """The tenant of the request's bearer token; 401 Not Authorized otherwise."""
        return await self.tokens.scope(bearer_token(request))

    async def count_status_lookup(self, scope: Scope) -> None:
        decision = await self.limits.hit("status", scope.tenant_id)
        if not decision.allowed:
            raise RateLimited("Rate limit exceeded", retry_after=decision.retry_after)
