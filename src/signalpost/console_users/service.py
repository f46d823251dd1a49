"""Console users: creation with a one-time password, sign-in with lockout, sessions.

Passwords are hashed with Argon2id (memory-hard).  A session is a random token: the
browser holds it in a signed, HttpOnly, SameSite cookie; the database holds only its
SHA-256, with the session's CSRF token and expiry, so signing out ends it everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from signalpost.accounts import service as accounts
from signalpost.console_users import repository as repo
from signalpost.console_users.exceptions import (
    AccountLocked,
    EmailTaken,
    InvalidCredentials,
    SessionInvalid,
)
from signalpost.errors import ValidationFailed
from signalpost.storage import Connection, UniqueViolation
from signalpost.timeutil import new_id, now_us

__all__ = [
    "LOCK_AFTER",
    "LOCK_SECONDS",
    "ConsoleSession",
    "NewUser",
    "check_csrf",
    "create_user",
    "end_session",
    "get_session",
    "new_login_token",
    "sign_in",
]

LOCK_AFTER = 5  # failed sign-ins in a row
LOCK_SECONDS = 15 * 60
SESSION_SECONDS = 12 * 3600
_HASHER = PasswordHasher()  # Argon2id, the library's current recommended parameters


@cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown: every sign-in costs one verification."""
    return _HASHER.hash("an unknown user still costs one verification")


@dataclass(frozen=True, slots=True)
class NewUser:
    id: str
    organization_id: str
    email: str
    password: str  # shown once


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    id: str  # the hash of the token
    user_id: str
    organization_id: str
    email: str
    csrf_token: str


def _normal(email: str) -> str:
    return email.strip().lower()


def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_user(conn: Connection, organization_id: str, email: str) -> NewUser:
    """A user of the organization with a generated one-time password."""
    await accounts.get_organization(conn, organization_id)  # 404 for an unknown one
    email = _normal(email)
    if "@" not in email or len(email) > 320:
        raise ValidationFailed(details={"email": ["must be an email address"]})
    password = secrets.token_urlsafe(12)
    user_id = new_id()
    try:
        await repo.insert_user(
            conn,
            {
                "id": user_id,
                "organization_id": organization_id,
                "email": email,
                "password_hash": _HASHER.hash(password),
                "failed_logins": 0,
                "locked_until": None,
                "created_at": now_us(),
                "last_login_at": None,
            },
        )
    except UniqueViolation as exc:
        raise EmailTaken() from exc
    return NewUser(user_id, organization_id, email, password)


async def sign_in(conn: Connection, email: str, password: str) -> tuple[str, ConsoleSession]:
    """A new session token (for the cookie) and the session; failures count to a lockout."""
    now = now_us()
    row = await repo.get_user_by_email(conn, _normal(email))
    if row is None:
        _verify(_dummy_hash(), password)  # the same cost whether or not the user exists
        raise InvalidCredentials()
    if row["locked_until"] is not None and row["locked_until"] > now:
        raise AccountLocked()
    if not _verify(row["password_hash"], password):
        failed = row["failed_logins"] + 1
        locked = now + LOCK_SECONDS * 1_000_000 if failed >= LOCK_AFTER else None
        await repo.record_failure(conn, row["id"], 0 if locked else failed, locked)
        raise AccountLocked() if locked else InvalidCredentials()
    await repo.record_success(conn, row["id"], now)
    token = secrets.token_urlsafe(32)
    session = ConsoleSession(
        _session_id(token), row["id"], row["organization_id"], row["email"], secrets.token_hex(32)
    )
    await repo.insert_session(
        conn,
        {
            "id": session.id,
            "user_id": session.user_id,
            "organization_id": session.organization_id,
            "csrf_token": session.csrf_token,
            "created_at": now,
            "expires_at": now + SESSION_SECONDS * 1_000_000,
        },
    )
    return token, session


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


async def get_session(conn: Connection, token: str | None) -> ConsoleSession:
    if not token:
        raise SessionInvalid()
    row = await repo.get_session(conn, _session_id(token), now_us())
    if row is None:
        raise SessionInvalid()
    return ConsoleSession(
        row["id"], row["user_id"], row["organization_id"], row["email"], row["csrf_token"]
    )


async def end_session(conn: Connection, session: ConsoleSession) -> None:
    await repo.delete_session(conn, session.id)


def new_login_token() -> str:
    """A token tying the sign-in form to the browser that loaded it."""
    return secrets.token_hex(32)


def check_csrf(session: ConsoleSession, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(session.csrf_token, presented or "")
