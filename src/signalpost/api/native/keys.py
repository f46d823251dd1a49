"""Native API key routes: list, create, revoke and rotate the caller's organization's keys.

An organization key manages every key of its organization (its profiles' included); a
profile key only its own profile's.  Test keys manage nothing.  Secrets are shown once,
when a key is made (created or rotated); listings show the prefix that identifies a key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import ApiKey, ApiKeyCreated, Principal
from signalpost.api.common import bearer_token, parse_body
from signalpost.errors import Forbidden
from signalpost.http import Request, Response, Router, json_response
from signalpost.timeutil import iso, now_us

if TYPE_CHECKING:
    from signalpost.context import Context

__all__ = ["KeyIn", "RotateIn", "add_key_routes"]


class KeyIn(BaseModel):
    """A new API key."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=200)
    kind: Literal["live", "test"] = Field(
        "live", description="test keys send only to the simulator, whatever carrier is set"
    )
    profile_id: str | None = Field(
        None, max_length=36, description="a profile of the organization (organization keys)"
    )


class RotateIn(BaseModel):
    """How long the old secret keeps working beside the new one."""

    model_config = ConfigDict(extra="forbid")
    grace_seconds: int = Field(
        0, ge=0, le=accounts.MAX_GRACE_SECONDS, description="0: the old secret stops now"
    )


def present(key: ApiKey, now: int) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "kind": key.kind,
        "organization_id": key.organization_id,
        "profile_id": key.profile_id,
        "state": key.state(now),
        "created_at": iso(key.created_at),
        "revoked_at": iso(key.revoked_at),
        "expires_at": iso(key.expires_at),
        "replaced_by": key.replaced_by,
        "last_used_at": iso(key.last_used_at),
    }


def present_created(key: ApiKeyCreated) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "kind": key.kind,
        "organization_id": key.organization_id,
        "profile_id": key.profile_id,
        "api_key": key.api_key,
    }


def add_key_routes(router: Router, ctx: Context) -> None:
    """Add the ``/keys`` routes to the native router."""
    db = ctx.db

    async def manager(request: Request) -> Principal:
        principal = await ctx.auth.principal(bearer_token(request))
        if principal.test:
            raise Forbidden("Test keys cannot manage API keys")
        return principal

    @router.get("/keys")
    async def list_keys(request: Request) -> Response:
        """The API keys this key may manage (never their secrets)."""
        who = await manager(request)
        async with db.reader() as conn:
            keys = await accounts.list_keys(conn, who.organization_id, who.profile_id)
        now = now_us()
        return json_response({"data": [present(k, now) for k in keys]})

    @router.post("/keys", body=KeyIn, responses={201: "created, with its secret"})
    async def create_key(request: Request) -> Response:
        """Create an API key (its secret is shown only now)."""
        who = await manager(request)
        body = await parse_body(request, KeyIn, empty_ok=True)
        profile_id = who.profile_id or body.profile_id
        if who.profile_id and body.profile_id not in (None, who.profile_id):
            raise Forbidden("A profile key may only create keys for its own profile")
        async with db.transaction() as conn:
            key = await accounts.create_key(
                conn, who.organization_id, profile_id, body.name, kind=body.kind
            )
        return json_response(present_created(key), 201)

    @router.delete("/keys/{id}")
    async def revoke_key(request: Request) -> Response:
        """Revoke an API key: it is refused from now on, by every process within seconds."""
        who = await manager(request)
        async with db.transaction() as conn:
            key = await accounts.revoke_key(
                conn, who.organization_id, request.path_params["id"], who.profile_id
            )
        ctx.auth.forget()
        return json_response(present(key, now_us()))

    @router.post("/keys/{id}/rotate", body=RotateIn, responses={201: "the new key"})
    async def rotate_key(request: Request) -> Response:
        """A new secret; the old one keeps working for ``grace_seconds``."""
        who = await manager(request)
        body = await parse_body(request, RotateIn, empty_ok=True)
        async with db.transaction() as conn:
            key = await accounts.rotate_key(
                conn,
                who.organization_id,
                request.path_params["id"],
                grace_seconds=body.grace_seconds,
                profile_id=who.profile_id,
            )
        ctx.auth.forget()
        return json_response(present_created(key), 201)
