"""Native API key routes: list, create, revoke and rotate the caller's organization's keys.

An organization key manages every key of its organization (its profiles' included); a
profile key only its own profile's.  Test keys manage nothing.  Secrets are shown once,
when a key is made (created or rotated); listings show the prefix that identifies a key.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import ApiKey, ApiKeyCreated, Scope
from signalpost.api.kit import Param, Reply, Routes
from signalpost.api.native import answers
from signalpost.api.native.base import UUID, Native, key_manager
from signalpost.errors import Forbidden
from signalpost.http import Request, Response, json_response
from signalpost.storage import Connection
from signalpost.timeutil import iso, now_us

__all__ = ["KeyIn", "RotateIn", "present", "present_created", "routes"]


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


routes = Routes[Native]("/v1", owns=())
KEY_ID = {"id": Param("the API key's id", UUID)}


@routes.get("/keys", auth=key_manager, tx="read", responses={200: answers.KeyList})
async def list_keys(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """The API keys this key may manage (never their secrets)."""
    keys = await accounts.list_keys(conn, scope.organization_id, scope.profile_id)
    now = now_us()
    return json_response({"data": [present(k, now) for k in keys]})


@routes.post(
    "/keys",
    auth=key_manager,
    tx="write",
    body=KeyIn,
    empty_body=True,
    responses={
        201: Reply("created, with its secret", answers.KeyCreated),
        403: "a test key, or a profile key naming another profile",
        404: "no such profile in the organization",
    },
)
async def create_key(
    api: Native, request: Request, scope: Scope, body: KeyIn, conn: Connection
) -> Response:
    """Create an API key (its secret is shown only now)."""
    if scope.profile_id and body.profile_id not in (None, scope.profile_id):
        raise Forbidden("A profile key may only create keys for its own profile")
    profile_id = scope.profile_id or body.profile_id
    key = await accounts.create_key(
        conn, scope.organization_id, profile_id, body.name, kind=body.kind
    )
    return json_response(present_created(key), 201)


@routes.delete(
    "/keys/{id}",
    auth=key_manager,
    path_params=KEY_ID,
    responses={200: Reply("revoked", answers.KeyOut)},
)
async def revoke_key(
    api: Native, request: Request, scope: Scope, body: None, conn: None
) -> Response:
    """Revoke an API key: it is refused from now on, by every process within seconds."""
    async with api.ctx.db.transaction() as writer:
        key = await accounts.revoke_key(
            writer, scope.organization_id, request.path_params["id"], scope.profile_id
        )
    api.ctx.auth.forget()
    return json_response(present(key, now_us()))


@routes.post(
    "/keys/{id}/rotate",
    auth=key_manager,
    body=RotateIn,
    empty_body=True,
    path_params=KEY_ID,
    responses={201: Reply("the new key", answers.KeyCreated)},
)
async def rotate_key(
    api: Native, request: Request, scope: Scope, body: RotateIn, conn: None
) -> Response:
    """A new secret; the old one keeps working for ``grace_seconds``."""
    async with api.ctx.db.transaction() as writer:
        key = await accounts.rotate_key(
            writer,
            scope.organization_id,
            request.path_params["id"],
            grace_seconds=body.grace_seconds,
            profile_id=scope.profile_id,
        )
    api.ctx.auth.forget()
    return json_response(present_created(key), 201)
