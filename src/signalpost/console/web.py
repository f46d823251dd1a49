"""Routes of the console: each checks the session, calls services, renders a template."""

from __future__ import annotations

import base64
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import orjson

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.console import overview
from signalpost.console import repository as views
from signalpost.console.http import LOGIN_COOKIE, SESSION_COOKIE, Pages, form
from signalpost.console_users import service as users
from signalpost.console_users.exceptions import AccountLocked, InvalidCredentials
from signalpost.domain.lifecycle import FINAL
from signalpost.errors import AppError
from signalpost.http import Request, Response, Router
from signalpost.http.static import StaticFiles
from signalpost.messages import service as messages
from signalpost.messages.schemas import Message, MessageFilter
from signalpost.timeutil import now_us, parse_iso
from signalpost.webhooks import service as webhooks
from signalpost.webhooks.schemas import EndpointPatch

if TYPE_CHECKING:
    from signalpost.context import Context

__all__ = ["build_router"]

PAGE = 50


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


def build_router(ctx: Context) -> Router:
    pages = Pages(ctx.db, ctx.settings.console_secret_key)
    router = Router("/console", tag="console", render_error=pages.render_error, documented=False)
    static = StaticFiles(files("signalpost.console") / "static")
    db = ctx.db
    currency = ctx.rates.currency

    async def tenant(request: Request) -> _Tenant:
        session = await pages.session(request)
        async with db.reader() as conn:
            profiles = await accounts.list_profiles(conn, session.organization_id)
        return _Tenant(session, profiles, request.query("profile"))

    async def checked(request: Request) -> tuple[_Tenant, dict[str, str]]:
        """The tenant of a form post whose CSRF token matches its session."""
        t = await tenant(request)
        values = await form(request)
        pages.check_csrf(t.session, values)
        t = _Tenant(t.session, t.profiles, values.get("profile") or None)
        return t, values

    def back(t: _Tenant, path: str, **extra: str) -> Response:
        params = {**({"profile": t.profile_id} if t.profile_id else {}), **extra}
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return pages.redirect(f"/console{path}" + (f"?{query}" if query else ""))

    @router.get("/static/{name}")
    async def asset(request: Request) -> Response:
        """The console's stylesheet and script."""
        return static.response(request, request.path_params["name"])

    # ------------------------------------------------------------- sign-in

    @router.get("/login")
    async def login_page(request: Request) -> Response:
        """The sign-in form."""
        token = users.new_login_token()
        response = pages.html("login.html", csrf_token=token, error=None, session=None)
        response.headers.append(pages.cookie(request, LOGIN_COOKIE, token, 3600))
        return response

    @router.post("/login")
    async def login(request: Request) -> Response:
        """Sign in; repeated failures lock the account for a while."""
        values = await form(request)
        expected = pages.read_cookie(request, LOGIN_COOKIE)
        if not expected or values.get("csrf_token") != expected:
            return pages.html("login.html", 403, csrf_token=expected or "", session=None,
                              error="The form has expired; please try again.")  # fmt: skip
        failure: AppError | None = None
        async with db.transaction() as conn:
            try:  # a failure is recorded (for the lockout) before the error is shown
                token, _session = await users.sign_in(
                    conn, values.get("email", ""), values.get("password", "")
                )
            except (InvalidCredentials, AccountLocked) as exc:
                failure = exc
        if failure is not None:
            return pages.html("login.html", failure.status, csrf_token=expected,
                              error=failure.message, session=None)  # fmt: skip
        response = pages.redirect("/console")
        response.headers.append(pages.cookie(request, SESSION_COOKIE, token, users.SESSION_SECONDS))
        response.headers.append(pages.cookie(request, LOGIN_COOKIE, "", 0))
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        """Sign out: the session ends on the server, the cookie is cleared."""
        t, _ = await checked(request)
        async with db.transaction() as conn:
            await users.end_session(conn, t.session)
        response = pages.redirect("/console/login")
        response.headers.append(pages.cookie(request, SESSION_COOKIE, "", 0))
        return response

    # ------------------------------------------------------------- overview

    async def _overview(request: Request, template: str) -> Response:
        t = await tenant(request)
        period = request.query("period") or "24h"
        async with db.reader() as conn:
            data = await overview.build(conn, t.scope, period, currency, now_us())
        return pages.html(template, page="overview", data=data, periods=overview.PERIODS,
                          **t.values())  # fmt: skip

    @router.get("")
    async def overview_page(request: Request) -> Response:
        """Delivery rate, volume by outcome, breakdowns and cost over a period."""
        return await _overview(request, "overview.html")

    @router.get("/fragments/overview")
    async def overview_fragment(request: Request) -> Response:
        """The overview's figures and charts, for live refresh."""
        return await _overview(request, "overview_body.html")

    # ------------------------------------------------------------- messages

    @router.get("/messages")
    async def messages_page(request: Request) -> Response:
        """Search messages; newest first, in keyset pages."""
        t = await tenant(request)
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
        async with db.reader() as conn:
            if q["key"]:
                found = await messages.find_by_keys(conn, t.scope, [q["key"]])
                rows = [m for m in found if _matches(m, flt)]
            else:
                rows = await messages.list_messages(
                    conn, t.scope, flt, limit=PAGE + 1, before=_uncursor(q["before"])
                )
        more = _cursor(rows[PAGE - 1]) if len(rows) > PAGE else None
        return pages.html("messages.html", page="messages", rows=rows[:PAGE], q=q, more=more,
                          **t.values())  # fmt: skip

    async def _message(request: Request, template: str) -> Response:
        t = await tenant(request)
        message_id = messages.parse_message_id(request.path_params["id"])
        async with db.reader() as conn:
            message = await messages.get_message(conn, t.scope, message_id)
            attempts = await views.attempts_for_message(conn, message.id)
            hooks = await views.webhook_events_for_message(conn, t.scope.tenant_id, message.id)
        final = message.status in FINAL and not (
            message.status == "delivered" and message.channel != "sms"
        )
        return pages.html(template, page="messages", m=message, attempts=attempts, hooks=hooks,
                          final=final, **t.values())  # fmt: skip

    @router.get("/messages/{id}")
    async def message_page(request: Request) -> Response:
        """A message: its timeline, carrier attempts and webhook deliveries."""
        return await _message(request, "message.html")

    @router.get("/messages/{id}/timeline")
    async def message_fragment(request: Request) -> Response:
        """A message's live parts, for refresh."""
        return await _message(request, "message_body.html")

    # ------------------------------------------------------------- webhooks

    @router.get("/webhooks")
    async def webhooks_page(request: Request) -> Response:
        """Endpoints with their health and recent attempts."""
        t = await tenant(request)
        async with db.reader() as conn:
            endpoints = await webhooks.list_endpoints(conn, t.scope, limit=100)
            recent = {
                e.id: await webhooks.list_attempts(conn, t.scope, endpoint_id=e.id, limit=8)
                for e in endpoints
            }
        return pages.html("webhooks.html", page="webhooks", endpoints=endpoints, recent=recent,
                          secret=None, **t.values())  # fmt: skip

    @router.post("/webhooks/deliveries/{id}/retry")
    async def retry(request: Request) -> Response:
        """Deliver an event again now."""
        t, values = await checked(request)
        async with db.transaction() as conn:
            delivery = await webhooks.retry_delivery(
                conn, ctx.webhooks, t.scope, request.path_params["id"]
            )
        target = values.get("back") or ""
        if target.startswith("/console/") and "//" not in target:
            return pages.redirect(target)
        return back(t, "/webhooks", retried=delivery.id)

    @router.post("/webhooks/{id}/{action}")
    async def endpoint_action(request: Request) -> Response:
        """Enable, disable or rotate the secret of an endpoint."""
        t, _ = await checked(request)
        action = request.path_params["action"]
        endpoint_id = request.path_params["id"]
        async with db.transaction() as conn:
            if action in ("enable", "disable"):
                patch = EndpointPatch(enabled=action == "enable")
                await webhooks.update_endpoint(conn, ctx.webhooks, t.scope, endpoint_id, patch)
            elif action == "rotate":
                rotated = await webhooks.rotate_secret(conn, ctx.webhooks, t.scope, endpoint_id)
            else:
                raise AppError("Unknown action")
        if action != "rotate":
            return back(t, "/webhooks")
        async with db.reader() as conn:
            endpoints = await webhooks.list_endpoints(conn, t.scope, limit=100)
        return pages.html("webhooks.html", page="webhooks", endpoints=endpoints, recent={},
                          secret=(rotated.id, rotated.secret), **t.values())  # fmt: skip

    # ------------------------------------------------------------- carriers

    @router.get("/carriers")
    async def carriers_page(request: Request) -> Response:
        """Carriers of this process, their connections, and the dispatch queue."""
        t = await tenant(request)
        async with db.reader() as conn:
            depth = await views.queue_depth(conn, t.session.organization_id)
        carriers = [_carrier(c) for c in ctx.carriers.carriers.values()]
        return pages.html("carriers.html", page="carriers", carriers=carriers, depth=depth,
                          default=ctx.carriers.default, **t.values())  # fmt: skip

    # ------------------------------------------------------------- API keys

    async def _keys(t: _Tenant, created: str | None = None) -> Response:
        async with db.reader() as conn:
            keys = await accounts.list_keys(conn, t.session.organization_id)
        names = {p.id: p.name for p in t.profiles}
        return pages.html("keys.html", page="keys", keys=keys, names=names, created=created,
                          **t.values())  # fmt: skip

    @router.get("/keys")
    async def keys_page(request: Request) -> Response:
        """The organization's API keys."""
        return await _keys(await tenant(request))

    @router.post("/keys")
    async def create_key(request: Request) -> Response:
        """Create a key; it is shown once."""
        t, values = await checked(request)
        async with db.transaction() as conn:
            key = await accounts.create_api_key(
                conn, t.session.organization_id, t.profile_id, name=values.get("name") or None
            )
        return await _keys(t, created=key.api_key)

    @router.post("/keys/{id}/revoke")
    async def revoke_key(request: Request) -> Response:
        """Revoke a key: the API refuses it from now on."""
        t, _ = await checked(request)
        async with db.transaction() as conn:
            await accounts.revoke_key(conn, t.session.organization_id, request.path_params["id"])
        ctx.auth.forget()  # this process stops accepting it at once
        return back(t, "/keys")

    return router


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
