"""What every native route shares: the dialect's state, its callers, its path parameters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from signalpost.accounts.schemas import Scope
from signalpost.api.common import bearer_token
from signalpost.api.kit import Caller, Param
from signalpost.api.views import ViewCache
from signalpost.errors import Forbidden
from signalpost.http import Request

if TYPE_CHECKING:
    from signalpost.context import Context

__all__ = [
    "CALLER",
    "ID",
    "UUID",
    "Native",
    "authenticate",
    "caller_kept",
    "key_manager",
    "organization_key",
    "own_tenant",
    "resolve_scope",
]

CALLER = "native.caller"  # request.state key of the caller, for routes that show it
UUID = {"type": "string", "format": "uuid"}
ID = {"id": Param("the id the API handed out", UUID)}


class Native:
    """The dialect's state in a process: the context and the views of status lookups."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.views = ViewCache()  # status lookups of unchanged messages


async def authenticate(api: Native, request: Request) -> Caller:
    """An API key in ``Authorization: Bearer``; without ``X-Profile-Id`` its own tenant
    is the scope at once."""
    principal = await api.ctx.auth.principal(bearer_token(request))
    home = None if request.header("x-profile-id") else principal.home
    return Caller(principal.key_id, principal, home)


async def resolve_scope(api: Native, request: Request, caller: Caller) -> Scope:
    """The key's tenant, or the profile ``X-Profile-Id`` names (organization keys only)."""
    assert caller.principal is not None
    return await api.ctx.auth.scope(caller.principal, request.header("x-profile-id"))


async def caller_kept(api: Native, request: Request) -> Caller:
    """:func:`authenticate`, the caller kept in ``request.state`` for the handler."""
    caller = await authenticate(api, request)
    request.state[CALLER] = caller
    return caller


async def own_tenant(api: Native, request: Request) -> Caller:
    """An API key acting for its own tenant whatever ``X-Profile-Id`` says (its profiles
    and its keys belong to the key's organization or profile, not to a named profile)."""
    principal = await api.ctx.auth.principal(bearer_token(request))
    return Caller(principal.key_id, principal, principal.home)


async def key_manager(api: Native, request: Request) -> Caller:
    """:func:`own_tenant` for a key that may manage API keys: any but a test key."""
    caller = await own_tenant(api, request)
    assert caller.principal is not None
    if caller.principal.test:
        raise Forbidden("Test keys cannot manage API keys")
    return caller


async def organization_key(api: Native, request: Request) -> Caller:
    """:func:`own_tenant` for an organization's key (a profile's may not)."""
    caller = await own_tenant(api, request)
    assert caller.principal is not None
    if not caller.principal.is_organization_key:
        raise Forbidden("Only organization keys may create profiles")
    return caller
