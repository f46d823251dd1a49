"""``/v3/me`` and ``/v3/profiles``: who the key is, and the organization's child profiles.

Signalpost serves every channel through its configured carrier and keeps no per-account
sender number, so ``channels`` shows each channel configured and no ``phone_number``.
"""

from __future__ import annotations

from typing import Any

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Organization, Profile, Scope
from signalpost.api.kit import Param, Reply
from signalpost.api.sentdm.base import PAGE, PAGE_SIZE, Page, SentDm, path_uuid, v3_routes
from signalpost.api.sentdm.envelope import call_of, respond
from signalpost.api.sentdm.errors import CustomerNotFound
from signalpost.api.sentdm.schemas import AccountOut, Envelope, ProfileListOut, ProfileOut
from signalpost.api.sentdm.wire import timestamp
from signalpost.http import Request, Response
from signalpost.storage import Connection

__all__ = ["routes"]

PROFILE_PAGE_SIZE = PAGE_SIZE.with_default(100)

_CHANNELS = {
    "sms": {"configured": True},
    "whatsapp": {"configured": True},
    "rcs": {"configured": True},
}


routes = v3_routes()
PROFILE_ID = Param("the profile's id", {"type": "string", "format": "uuid"})


@routes.get(
    "/me",
    tx="read",
    responses={200: Reply("the organization or profile acting", Envelope[AccountOut])},
)
async def me(d: SentDm, request: Request, scope: Scope, body: None, conn: Connection) -> Response:
    """The account behind the key, or the profile named in x-profile-id."""
    org = await accounts.get_organization(conn, scope.organization_id)
    if scope.profile_id is not None:
        profile = await accounts.get_profile(conn, org.id, scope.profile_id)
        return respond(call_of(request), _me_profile(profile))
    profiles = await accounts.list_profiles(conn, org.id)
    return respond(call_of(request), _me_organization(org, profiles))


@routes.get(
    "/profiles",
    tx="read",
    query={"page": PAGE, "page_size": PROFILE_PAGE_SIZE},
    responses={200: Reply("a page of profiles", Envelope[ProfileListOut])},
)
async def list_profiles(
    d: SentDm, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """The organization's child profiles (a profile key sees only its own)."""
    items = await accounts.list_profiles(conn, scope.organization_id)
    if scope.profile_id is not None:
        items = [p for p in items if p.id == scope.profile_id]
    page = Page(request, size=PROFILE_PAGE_SIZE)
    data = {"profiles": [_profile_detail(p) for p in items], "pagination": page.meta(len(items))}
    return respond(call_of(request), data)


@routes.get(
    "/profiles/{profile_id}",
    tx="read",
    path_params={"profile_id": PROFILE_ID},
    responses={200: Reply("the profile", Envelope[ProfileOut])},
)
async def get_profile(
    d: SentDm, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """One child profile of the organization."""
    profile_id = path_uuid(request, "profile_id", "profile")
    if scope.profile_id is not None and profile_id != scope.profile_id:
        raise CustomerNotFound()
    profile = await accounts.get_profile(conn, scope.organization_id, profile_id)
    return respond(call_of(request), _profile_detail(profile))


def _account(id_: str, type_: str, name: str, created_at: int) -> dict[str, Any]:
    return {
        "id": id_,
        "type": type_,
        "name": name,
        "email": None,
        "description": None,
        "icon": None,
        "created_at": timestamp(created_at),
        "organization_id": None,
        "short_name": None,
        "status": None,
        "settings": None,
        "sending_phone_number": None,
        "sending_phone_number_profile_id": None,
        "enable_template_auto_creation_for_sp": False,
        "channels": _CHANNELS,
        "profiles": [],
    }


def _me_organization(org: Organization, profiles: list[Profile]) -> dict[str, Any]:
    out = _account(org.id, "organization", org.name, org.created_at)
    out["profiles"] = [
        {
            "id": p.id,
            "name": p.name,
            "short_name": None,
            "description": None,
            "icon": None,
            "role": "admin",
            "status": "approved",
            "created_at": timestamp(p.created_at),
            "settings": None,
        }
        for p in profiles
    ]
    return out


def _me_profile(profile: Profile) -> dict[str, Any]:
    out = _account(profile.id, "profile", profile.name, profile.created_at)
    out["organization_id"] = profile.organization_id
    out["status"] = "approved"
    return out


def _profile_detail(p: Profile) -> dict[str, Any]:
    created = timestamp(p.created_at)
    return {
        "id": p.id,
        "name": p.name,
        "short_name": None,
        "description": None,
        "icon": None,
        "email": None,
        "status": "approved",
        "organization_id": p.organization_id,
        "sending_phone_number": None,
        "sending_phone_number_profile_id": None,
        "created_at": created,
        "updated_at": created,
        "allow_contact_sharing": False,
        "allow_template_sharing": False,
        "inherit_contacts": False,
        "inherit_templates": False,
        "inherit_tcr_brand": False,
        "inherit_tcr_campaign": False,
        "billing_model": None,
    }
