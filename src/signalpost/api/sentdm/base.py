"""What every v3 route shares: the dialect's state, authentication, profile scoping, paths,
pages."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from signalpost.accounts.exceptions import ProfileNotAllowed
from signalpost.accounts.schemas import Principal, Scope
from signalpost.api.kit import Caller, Routes
from signalpost.api.ratelimit import RateLimiter
from signalpost.api.sentdm.envelope import call_of
from signalpost.api.sentdm.errors import BadUuid, CustomerNotFound, InvalidPathId
from signalpost.api.sentdm.mutation import Operation, run_mutation
from signalpost.api.views import ViewCache
from signalpost.http import Request, Response
from signalpost.http.params import MAX_PAGE, IntParam

if TYPE_CHECKING:
    from signalpost.context import Context

__all__ = [
    "PAGE",
    "PAGE_SIZE",
    "Page",
    "SentDm",
    "authenticate",
    "path_uuid",
    "resolve_scope",
    "v3_routes",
]

MAX_PAGE_SIZE = 100


class SentDm:
    """The dialect's long-lived state: the process context and the rate limiter."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.views = ViewCache()  # status lookups of unchanged messages
        self.ttl = ctx.settings.idempotency_ttl_seconds
        settings = ctx.settings
        # The standard limit covers every endpoint; secret rotation and webhook tests also
        # count against a tighter limit of their own.
        self.limits = RateLimiter(
            "sentdm",
            {
                "standard": settings.sentdm_rate_limit,
                "sensitive": settings.sentdm_sensitive_rate_limit,
                "webhook_test": settings.sentdm_webhook_test_rate_limit,
            },
            ctx.rate_counter,
        )

    async def mutate(
        self, request: Request, scope: Scope, operation: Operation, *, sandbox: bool
    ) -> Response:
        """Run a mutation once per ``Idempotency-Key`` (or as a sandbox), in its own
        transaction, answered in the envelope."""
        return await run_mutation(
            self.ctx.db,
            request,
            call_of(request),
            scope,
            operation,
            sandbox=sandbox,
            ttl_seconds=self.ttl,
        )

    async def scope(self, principal: Principal, raw: str | None) -> Scope:
        """The tenant to act for.

        A profile or standalone key naming another profile gets 403 ``AUTH_004``; an
        organization key naming a profile that is not its own gets 404 ``RESOURCE_004``,
        whether or not that profile exists elsewhere.
        """
        if not raw:
            return principal.home
        try:
            profile_id = str(uuid.UUID(raw))
        except ValueError as exc:
            raise BadUuid(details={"x-profile-id": ["must be a UUID"]}) from exc
        try:
            return await self.ctx.auth.scope(principal, profile_id)
        except ProfileNotAllowed as exc:
            if principal.is_organization_key:
                raise CustomerNotFound() from exc
            raise


async def authenticate(d: SentDm, request: Request) -> Caller:
    """``x-api-key`` is the caller; limits count per key.  The call (request id and timing)
    starts here.  Without ``x-profile-id`` the key's own tenant is the scope."""
    call_of(request)
    principal = await d.ctx.auth.principal(request.header("x-api-key"))
    home = None if request.header("x-profile-id") else principal.home
    return Caller(principal.key_id, principal, home)


async def resolve_scope(d: SentDm, request: Request, caller: Caller) -> Scope:
    """The profile named in ``x-profile-id``, resolved once the call is counted."""
    assert caller.principal is not None
    return await d.scope(caller.principal, request.header("x-profile-id"))


def path_uuid(request: Request, name: str, what: str) -> str:
    """A path parameter that must be a UUID; 400 ``VALIDATION_001`` otherwise."""
    try:
        return str(uuid.UUID(request.path_params[name]))
    except ValueError as exc:
        raise InvalidPathId(f"Invalid {what} ID format.") from exc


PAGE = IntParam("page", 1, MAX_PAGE, 1, "page number")
PAGE_SIZE = IntParam("page_size", 1, MAX_PAGE_SIZE, 20, "items per page")


class Page:
    """Page-number pagination: ``page`` (1 to 1,000,000) and ``page_size`` (1 to 100,
    default 20); a value out of range is 400 ``VALIDATION_005``."""

    __slots__ = ("number", "size")

    def __init__(self, request: Request, *, size: IntParam = PAGE_SIZE) -> None:
        self.number = PAGE.value(request)
        self.size = size.value(request)

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def meta(self, total: int) -> dict[str, Any]:
        """The ``pagination`` object: ``has_more`` is false on the last page."""
        pages = (total + self.size - 1) // self.size
        return {
            "page": self.number,
            "page_size": self.size,
            "total_count": total,
            "total_pages": pages,
            "has_more": self.number < pages,
            "cursors": None,
        }

    def slice(self, items: list[Any]) -> list[Any]:
        return items[self.offset : self.offset + self.size]


def v3_routes(*, owns: tuple[str, ...] | None = ()) -> Routes[SentDm]:
    """A group of ``/v3`` routes, under the dialect's tag."""
    return Routes[SentDm]("/v3", tag="sent.dm v3", owns=owns)
