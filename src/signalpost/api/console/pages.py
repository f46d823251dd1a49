"""What every console page shares: templates, cookies, forms, CSRF and HTML errors."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qsl, quote

from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, PackageLoader, select_autoescape

from signalpost.console_users import service as users
from signalpost.console_users.exceptions import SessionInvalid
from signalpost.errors import AppError, Forbidden
from signalpost.http import Request, Response
from signalpost.storage import Database
from signalpost.timeutil import iso

__all__ = ["LOGIN_COOKIE", "SESSION_COOKIE", "Pages", "form", "html", "redirect", "render_error"]

SESSION_COOKIE = "sp_console"
LOGIN_COOKIE = "sp_console_login"
_SECURITY = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]


def _when(us: int | None) -> str:
    text = iso(us)
    return "—" if text is None else text[:19].replace("T", " ")


async def form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body; the last value of a repeated field."""
    raw = (await request.body()).decode("utf-8", "replace")
    return dict(parse_qsl(raw, keep_blank_values=True))


def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("signalpost.console", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["us"] = lambda v: f"{v:,}" if isinstance(v, int) else v
    return env


_TEMPLATES = _templates()


def html(template: str, status: int = 200, **values: Any) -> Response:
    body = _TEMPLATES.get_template(template).render(**values).encode()
    headers = [(b"content-type", b"text/html; charset=utf-8"), *_SECURITY]
    return Response(body, status, headers)


def redirect(location: str) -> Response:
    return Response(b"", 303, [(b"location", location.encode()), *_SECURITY])


def render_error(request: Request, exc: Exception) -> Response:
    """An expired session goes to the sign-in page; any other error is a page."""
    if isinstance(exc, SessionInvalid):
        return redirect("/console/login?next=" + quote(request.path))
    error = exc if isinstance(exc, AppError) else AppError()
    return html("error.html", error.status, error=error, session=None)


class Pages:
    """Renders templates and keeps the cookies of one console."""

    def __init__(self, db: Database, secret: str | None) -> None:
        self.db = db
        self.signer = URLSafeSerializer(secret or secrets.token_hex(32), salt="signalpost.console")

    def cookie(self, request: Request, name: str, value: str, max_age: int) -> tuple[bytes, bytes]:
        secure = "; Secure" if request.scope.get("scheme") == "https" else ""
        signed = self.signer.dumps(value) if value else ""
        text = (
            f"{name}={signed}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
        )
        return b"set-cookie", text.encode()

    def read_cookie(self, request: Request, name: str) -> str | None:
        for part in (request.header("cookie") or "").split(";"):
            key, _, value = part.strip().partition("=")
            if key == name and value:
                try:
                    loaded = self.signer.loads(value)
                except BadSignature:
                    return None
                return loaded if isinstance(loaded, str) else None
        return None

    async def session(self, request: Request) -> users.ConsoleSession:
        token = self.read_cookie(request, SESSION_COOKIE)
        async with self.db.reader() as conn:
            return await users.get_session(conn, token)

    @staticmethod
    def check_csrf(session: users.ConsoleSession, values: dict[str, str]) -> None:
        if not users.check_csrf(session, values.get("csrf_token")):
            raise Forbidden("The form has expired or did not come from this console")
