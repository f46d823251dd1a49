"""Routes of the console: the kit checks the session, each route calls services and renders
a template."""

from __future__ import annotations

import base64
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import orjson

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.api.console.pages import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Pages,
    form,
    html,
    redirect,
    render_error,
)
from signalpost.api.kit import Caller, Dialect, Routes
from signalpost.console import overview
from signalpost.console import repository as views
from signalpost.console_users import service as users
from signalpost.console_users.exceptions import AccountLocked, InvalidCredentials
from signalpost.domain.lifecycle import FINAL
from signalpost.errors import AppError
from signalpost.http import Request, Response
from signalpost.http.static import StaticFiles
from signalpost.messages import service as messages
from signalpost.messages.schemas import Message, MessageFilter
from signalpost.storage import Connection
from signalpost.timeutil import now_us, parse_iso
from signalpost.webhooks import service as webhooks
from signalpost.webhooks.schemas import EndpointPatch

if TYPE_CHECKING:
    from signalpost.context import Context

__all__ = ["CONSOLE"]

PAGE = 50
_TENANT = "console.tenant"


class _Tenant:
    """The signed-in user's organization, its profiles, and the one being looked at."""

    def __init__(self, session: users.ConsoleSession, profiles: list[Any], chosen: str | None):
        self.session = session
        self.profiles = profiles
        ids = {p.id for p in profiles}
        self.profile_id = chosen if chosen in ids else None
        self.scope = Scope(session.organization_id, self.profile_id)

    def values(self) -> dict[str, Any]:
        return {"session": self.session, "profiles": self.profiles, "profile_id": self.profile_id}


def _cursor(m: Message) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([m.created_at, m.id])).decode()


def _uncursor(raw: str | None) -> tuple[int, str] | None:
    if not raw:
        return None
    try:
        created, mid = orjson.loads(base64.urlsafe_b64decode(raw))
        return int(created), str(mid)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        return None


def _date(raw: str | None, *, end: bool = False) -> int | None:
    if not raw:
        return None
    try:
        value = parse_iso(raw if "T" in raw else raw + "T00:00:00")
    except ValueError:
        return None
    return value + 86_400_000_000 if end and "T" not in raw else value


class Console:
    """The console of a process: its cookies, its files, and the context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.pages = Pages(ctx.db, ctx.settings.console_secret_key)
        self.static = StaticFiles(files("signalpost.console") / "static")
        self.currency = ctx.rates.currency

    async def checked(self, request: Request) -> tuple[_Tenant, dict[str, str]]:
        """The tenant of a form post whose CSRF token matches its session."""
        t = tenant(request)
        values = await form(request)
        self.pages.check_csrf(t.session, values)
        return _Tenant(t.session, t.profiles, values.get("profile") or None), values


async def _signed_in(c: Console, request: Request) -> Caller:
    """The session of the cookie (or the sign-in page), with its organization's profiles."""
    session = await c.pages.session(request)
    async with c.ctx.db.reader() as conn:
        profiles = await accounts.list_profiles(conn, session.organization_id)
    t = _Tenant(session, profiles, request.query("profile"))
    request.state[_TENANT] = t
    return Caller(session.organization_id, scope=t.scope)


def tenant(request: Request) -> _Tenant:
    t: _Tenant = request.state[_TENANT]
    return t


def back(t: _Tenant, path: str, **extra: str) -> Response:
    params = {**({"profile": t.profile_id} if t.profile_id else {}), **extra}
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return redirect(f"/console{path}" + (f"?{query}" if query else ""))


routes = Routes[Console]("/console", documented=False)


@routes.get("/static/{name}", auth=False)
async def asset(c: Console, request: Request, scope: None, body: None, conn: None) -> Response:
    """The console's stylesheet and script."""
    return c.static.response(request, request.path_params["name"])


# ----------------------------------------------------------------- sign-in


@routes.get("/login", auth=False)
async def login_page(c: Console, request: Request, scope: None, body: None, conn: None) -> Response:
    """The sign-in form."""
    token = users.new_login_token()
    response = html("login.html", csrf_token=token, error=None, session=None)
    response.headers.append(c.pages.cookie(request, LOGIN_COOKIE, token, 3600))
    return response


@routes.post("/login", auth=False)
async def login(c: Console, request: Request, scope: None, body: None, conn: None) -> Response:
    """Sign in; repeated failures lock the account for a while."""
    values = await form(request)
    expected = c.pages.read_cookie(request, LOGIN_COOKIE)
    if not expected or values.get("csrf_token") != expected:
        return html("login.html", 403, csrf_token=expected or "", session=None,
                    error="The form has expired; please try again.")  # fmt: skip
    failure: AppError | None = None
    async with c.ctx.db.transaction() as tx:
        try:  # a failure is recorded (for the lockout) before the error is shown
            token, _session = await users.sign_in(
                tx, values.get("email", ""), values.get("password", "")
            )
        except (InvalidCredentials, AccountLocked) as exc:
            failure = exc
    if failure is not None:
        return html("login.html", failure.status, csrf_token=expected, error=failure.message,
                    session=None)  # fmt: skip
    response = redirect("/console")
    response.headers.append(c.pages.cookie(request, SESSION_COOKIE, token, users.SESSION_SECONDS))
    response.headers.append(c.pages.cookie(request, LOGIN_COOKIE, "", 0))
    return response


@routes.post("/logout")
async def logout(c: Console, request: Request, scope: Scope, body: None, conn: None) -> Response:
    """Sign out: the session ends on the server, the cookie is cleared."""
    t, _ = await c.checked(request)
    async with c.ctx.db.transaction() as tx:
        await users.end_session(tx, t.session)
    response = redirect("/console/login")
    response.headers.append(c.pages.cookie(request, SESSION_COOKIE, "", 0))
    return response


# ----------------------------------------------------------------- overview


async def _overview(c: Console, request: Request, conn: Connection, template: str) -> Response:
    t = tenant(request)
    period = request.query("period") or "24h"
    data = await overview.build(conn, t.scope, period, c.currency, now_us())
    return html(template, page="overview", data=data, periods=overview.PERIODS, **t.values())


@routes.get("", tx="read")
async def overview_page(
    c: Console, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Delivery rate, volume by outcome, breakdowns and cost over a period."""
    return await _overview(c, request, conn, "overview.html")


@routes.get("/fragments/overview", tx="read")
async def overview_fragment(
    c: Console, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """The overview's figures and charts, for live refresh."""
    return await _overview(c, request, conn, "overview_body.html")


# ----------------------------------------------------------------- messages


@routes.get("/messages", tx="read")
async def messages_page(
    c: Console, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Search messages; newest first, in keyset pages."""
    q = {k: (request.query(k) or "").strip() for k in
         ("to", "status", "batch", "key", "channel", "from", "until", "before")}  # fmt: skip
    flt = MessageFilter(
        statuses=(q["status"],) if q["status"] else (),
        channel=q["channel"] or None,
        to_number=q["to"] or None,
        batch_id=q["batch"] or None,
        created_from=_date(q["from"]),
        created_to=_date(q["until"], end=True),
    )
    if q["key"]:
        found = await messages.find_by_keys(conn, scope, [q["key"]])
        rows = [m for m in found if _matches(m, flt)]
    else:
        rows = await messages.list_messages(
            conn, scope, flt, limit=PAGE + 1, before=_uncursor(q["before"])
        )
    more = _cursor(rows[PAGE - 1]) if len(rows) > PAGE else None
    return html("messages.html", page="messages", rows=rows[:PAGE], q=q, more=more,
                **tenant(request).values())  # fmt: skip


async def _message(request: Request, scope: Scope, conn: Connection, template: str) -> Response:
    message_id = messages.parse_message_id(request.path_params["id"])
    message = await messages.get_message(conn, scope, message_id)
    attempts = await views.attempts_for_message(conn, message.id)
    hooks = await views.webhook_events_for_message(conn, scope.tenant_id, message.id)
    final = message.status in FINAL and not (
        message.status == "delivered" and message.channel != "sms"
    )
    return html(template, page="messages", m=message, attempts=attempts, hooks=hooks,
                final=final, **tenant(request).values())  # fmt: skip


@routes.get("/messages/{id}", tx="read")
async def message_page(
    c: Console, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """A message: its timeline, carrier attempts and webhook deliveries."""
    return await _message(request, scope, conn, "message.html")


@routes.get("/messages/{id}/timeline", tx="read")
async def message_fragment(
    c: Console, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """A message's live parts, for refresh."""
    return await _message(request, scope, conn, "message_body.html")


# ----------------------------------------------------------------- webhooks


@routes.get("/webhooks", tx="read")
async def webhooks_page(
    c: Console, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Endpoints with their health and recent attempts."""
    endpoints = await webhooks.list_endpoints(conn, scope, limit=100)
    recent = {
        e.id: await webhooks.list_attempts(conn, scope, endpoint_id=e.id, limit=8)
        for e in endpoints
    }
    return html("webhooks.html", page="webhooks", endpoints=endpoints, recent=recent,
                secret=None, **tenant(request).values())  # fmt: skip


@routes.post("/webhooks/deliveries/{id}/retry")
async def retry(c: Console, request: Request, scope: Scope, body: None, conn: None) -> Response:
    """Deliver an event again now."""
    t, values = await c.checked(request)
    async with c.ctx.db.transaction() as tx:
        delivery = await webhooks.retry_delivery(
            tx, c.ctx.webhooks, t.scope, request.path_params["id"]
        )
    target = values.get("back") or ""
    if target.startswith("/console/") and "//" not in target:
        return redirect(target)
    return back(t, "/webhooks", retried=delivery.id)


@routes.post("/webhooks/{id}/{action}")
async def endpoint_action(
    c: Console, request: Request, scope: Scope, body: None, conn: None
) -> Response:
    """Enable, disable or rotate the secret of an endpoint."""
    t, _ = await c.checked(request)
    action = request.path_params["action"]
    endpoint_id = request.path_params["id"]
    engine = c.ctx.webhooks
    async with c.ctx.db.transaction() as tx:
        if action in ("enable", "disable"):
            patch = EndpointPatch(enabled=action == "enable")
            await webhooks.update_endpoint(tx, engine, t.scope, endpoint_id, patch)
        elif action == "rotate":
            rotated = await webhooks.rotate_secret(tx, engine, t.scope, endpoint_id)
        else:
            raise AppError("Unknown action")
    if action != "rotate":
        return back(t, "/webhooks")
    async with c.ctx.db.reader() as reader:
        endpoints = await webhooks.list_endpoints(reader, t.scope, limit=100)
    return html("webhooks.html", page="webhooks", endpoints=endpoints, recent={},
                secret=(rotated.id, rotated.secret), **t.values())  # fmt: skip


# ----------------------------------------------------------------- carriers


@routes.get("/carriers", tx="read")
async def carriers_page(
    c: Console, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Carriers of this process, their connections, and the dispatch queue."""
    t = tenant(request)
    depth = await views.queue_depth(conn, t.session.organization_id)
    carriers = [_carrier(carrier) for carrier in c.ctx.carriers.carriers.values()]
    return html("carriers.html", page="carriers", carriers=carriers, depth=depth,
                default=c.ctx.carriers.default, **t.values())  # fmt: skip


# ----------------------------------------------------------------- API keys


async def _keys(conn: Connection, t: _Tenant, created: str | None = None) -> Response:
    keys = await accounts.list_keys(conn, t.session.organization_id)
    names = {p.id: p.name for p in t.profiles}
    return html("keys.html", page="keys", keys=keys, names=names, created=created,
                **t.values())  # fmt: skip


@routes.get("/keys", tx="read")
async def keys_page(
    c: Console, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """The organization's API keys."""
    return await _keys(conn, tenant(request))


@routes.post("/keys")
async def create_key(
    c: Console, request: Request, scope: Scope, body: None, conn: None
) -> Response:
    """Create a key; it is shown once."""
    t, values = await c.checked(request)
    async with c.ctx.db.transaction() as tx:
        key = await accounts.create_api_key(
            tx, t.session.organization_id, t.profile_id, name=values.get("name") or None
        )
        return await _keys(tx, t, created=key.api_key)


@routes.post("/keys/{id}/revoke")
async def revoke_key(
    c: Console, request: Request, scope: Scope, body: None, conn: None
) -> Response:
    """Revoke a key: the API refuses it from now on."""
    t, _ = await c.checked(request)
    async with c.ctx.db.transaction() as tx:
        await accounts.revoke_key(tx, t.session.organization_id, request.path_params["id"])
    c.ctx.auth.forget()  # this process stops accepting it at once
    return back(t, "/keys")


CONSOLE = Dialect[Console](
    name="console",
    state=Console,
    routes=(routes,),
    render_error=render_error,
    authenticate=_signed_in,
)


def _matches(m: Message, flt: MessageFilter) -> bool:
    return (
        (not flt.statuses or m.status in flt.statuses)
        and (flt.channel is None or m.channel == flt.channel)
        and (flt.to_number is None or m.to_number == flt.to_number)
        and (flt.batch_id is None or m.batch_id == flt.batch_id)
    )


def _carrier(carrier: Any) -> dict[str, Any]:
    kind = type(carrier).__name__.removesuffix("Carrier").lower() or "carrier"
    links = []
    for link in getattr(carrier, "links", ()):
        session = getattr(link, "session", None)
        bound = getattr(getattr(link, "_bound", None), "is_set", lambda: False)()
        links.append(
            {
                "label": getattr(link, "label", "?"),
                "command": str(getattr(link, "command", "")).rsplit(".", 1)[-1].lower(),
                "state": "bound" if bound else "reconnecting",
                "connects": getattr(link, "connects", 0),
                "in_flight": len(getattr(session, "pending", ()) or ()) if session else 0,
                "window": getattr(getattr(link, "config", None), "window", None),
            }
        )
    pacer = getattr(carrier, "pacer", None)
    return {
        "name": carrier.name,
        "kind": kind,
        "available": carrier.available,
        "links": links,
        "throttled": getattr(pacer, "throttled_total", None),
        "rate": round(1 / pacer.interval) if pacer is not None and pacer.interval else None,
    }
