"""``POST /v2/token``: client credentials for an access token (JSON or form body)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson

from signalpost.api.kit import Reply, Routes
from signalpost.api.sfmc.base import SfmcState
from signalpost.api.sfmc.errors import OAuthError, render_oauth_error
from signalpost.api.sfmc.schemas import OAuthErrorOut, TokenIn, TokenOut
from signalpost.http import Request, Response, json_response
from signalpost.oauth import service as oauth
from signalpost.oauth.exceptions import AccountNotAllowed, InvalidClient
from signalpost.oauth.schemas import TokenGrant

__all__ = ["DEFAULT_SCOPE", "EXPIRES_IN", "TOKEN_LIFETIME", "auth"]

TOKEN_LIFETIME = 1200  # seconds a token works
EXPIRES_IN = 1080  # what the response says: two minutes early, as Marketing Cloud does
DEFAULT_SCOPE = " ".join(
    [
        "sms_read",
        "sms_write",
        "sms_send",
        *(
            f"event_notification_{kind}_{op}"
            for kind in ("callback", "subscription")
            for op in ("create", "read", "update", "delete")
        ),
    ]
)
_BAD_CLIENT = "Invalid client ID. Use the client ID in Marketing Cloud Installed Packages."


async def _fields(request: Request) -> dict[str, Any]:
    raw = await request.body()
    content_type = (request.header("content-type") or "").lower()
    if "application/x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    try:
        data = orjson.loads(raw) if raw.strip() else None
    except orjson.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise OAuthError("invalid_request", "The request body must be a JSON object or a form.")
    return data


def _grant(fields: dict[str, Any]) -> TokenGrant:
    grant_type = fields.get("grant_type")
    if grant_type != "client_credentials":
        raise OAuthError(
            "unsupported_grant_type",
            "Use grant_type client_credentials."
            if grant_type
            else "The grant_type parameter is required.",
        )
    client_id, secret = fields.get("client_id"), fields.get("client_secret")
    if not isinstance(client_id, str) or not client_id:
        raise OAuthError("invalid_request", "The client_id parameter is required.")
    if not isinstance(secret, str) or not secret:
        raise OAuthError("invalid_request", "The client_secret parameter is required.")
    account = fields.get("account_id")
    scope = fields.get("scope")
    return TokenGrant(
        client_id,
        secret,
        account_id=None if account in (None, "") else str(account),
        scope=scope if isinstance(scope, str) else None,
    )


auth = Routes[SfmcState]("/v2/token", render_error=render_oauth_error, error_model=OAuthErrorOut)


@auth.post(
    "",
    auth=False,
    raw_body=TokenIn,
    responses={200: Reply("an access token", TokenOut), 401: "invalid_client"},
)
async def token(
    state: SfmcState, request: Request, scope: None, body: None, conn: None
) -> Response:
    """Get an access token for client credentials (``account_id`` picks a profile)."""
    grant = _grant(await _fields(request))
    try:
        async with state.ctx.db.transaction() as tx:
            issued = await oauth.issue_token(tx, grant, lifetime_seconds=TOKEN_LIFETIME)
    except InvalidClient as exc:
        raise OAuthError("invalid_client", _BAD_CLIENT, status=401) from exc
    except AccountNotAllowed as exc:
        raise OAuthError(
            "invalid_client", f"Invalid account_id. {exc.message}.", status=401
        ) from exc
    scope_granted = DEFAULT_SCOPE if issued.granted_scope is None else issued.granted_scope
    return json_response(
        {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": EXPIRES_IN,
            "scope": scope_granted,
            "soap_instance_url": state.rest_url,
            "rest_instance_url": state.rest_url,
        }
    )
