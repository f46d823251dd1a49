"""The ``signalpost`` command: run processes, administer tenants, send and watch messages.

Administrative commands (``org``, ``profile``, ``key``, ``migrate``) talk to the database
named by ``SIGNALPOST_DATABASE_URL``; message commands (``send``, ``status``,
``activities``) talk to a running server over HTTP with an API key, like any client.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
import orjson

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.config import Settings
from signalpost.contact_groups import service as contact_groups
from signalpost.numbers import service as numbers
from signalpost.oauth import service as oauth
from signalpost.storage import open_database
from signalpost.storage.migrate import upgrade

__all__ = ["main"]


def _print(data: Any) -> None:
    sys.stdout.write(orjson.dumps(data).decode() + "\n")
    sys.stdout.flush()


async def _with_db(settings: Settings, work: Callable[[Any], Awaitable[Any]]) -> Any:
    db = open_database(settings.database_url, schema=settings.database_schema, pool_size=2)
    await db.connect()
    try:
        async with db.transaction() as conn:
            return await work(conn)
    finally:
        await db.close()


def _admin(settings: Settings, work: Callable[[Any], Awaitable[Any]]) -> Any:
    upgrade(settings.database_url, settings.database_schema)
    return asyncio.run(_with_db(settings, work))


def cmd_org_create(settings: Settings, args: argparse.Namespace) -> int:
    async def work(conn: Any) -> dict[str, Any]:
        org = await accounts.create_organization(conn, args.name)
        key = await accounts.create_api_key(conn, org.id, name="default")
        return {"id": org.id, "name": org.name, "api_key": key.api_key, "key_id": key.id}

    _print(_admin(settings, work))
    return 0


def cmd_profile_create(settings: Settings, args: argparse.Namespace) -> int:
    async def work(conn: Any) -> dict[str, Any]:
        profile = await accounts.create_profile(conn, args.org, args.name)
        key = await accounts.create_api_key(conn, args.org, profile.id, name="default")
        return {
            "id": profile.id,
            "organization_id": profile.organization_id,
            "name": profile.name,
            "api_key": key.api_key,
            "key_id": key.id,
        }

    _print(_admin(settings, work))
    return 0


def cmd_key_create(settings: Settings, args: argparse.Namespace) -> int:
    async def work(conn: Any) -> dict[str, Any]:
        key = await accounts.create_api_key(conn, args.org, args.profile, name=args.name)
        return {
            "id": key.id,
            "organization_id": key.organization_id,
            "profile_id": key.profile_id,
            "api_key": key.api_key,
        }

    _print(_admin(settings, work))
    return 0


def cmd_number_add(settings: Settings, args: argparse.Namespace) -> int:
    async def work(conn: Any) -> dict[str, Any]:
        await accounts.get_organization(conn, args.org)
        if args.profile:
            await accounts.get_profile(conn, args.org, args.profile)
        scope = Scope(args.org, args.profile)
        number = await numbers.register(conn, scope, args.number, label=args.label, pool=args.pool)
        return {
            "id": number.id,
            "organization_id": number.organization_id,
            "tenant_id": number.tenant_id,
            "phone_number": number.phone_number,
            "label": number.label,
            "paused": number.paused,
            "pool": args.pool,
        }

    _print(_admin(settings, work))
    return 0


def cmd_oauth_client_create(settings: Settings, args: argparse.Namespace) -> int:
    async def work(conn: Any) -> dict[str, Any]:
        client = await oauth.create_client(conn, args.org, args.profile, name=args.name)
        return {
            "id": client.id,
            "organization_id": client.organization_id,
            "profile_id": client.profile_id,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
        }

    _print(_admin(settings, work))
    return 0


def cmd_contact_group_create(settings: Settings, args: argparse.Namespace) -> int:
    async def work(conn: Any) -> dict[str, Any]:
        if args.profile:
            await accounts.get_profile(conn, args.org, args.profile)
        else:
            await accounts.get_organization(conn, args.org)
        scope = Scope(args.org, args.profile)
        group = await contact_groups.create_group(conn, scope, args.name, args.number or [])
        return {"id": group.id, "name": group.name, "members": list(group.members)}

    _print(_admin(settings, work))
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    del args
    upgrade(settings.database_url, settings.database_schema)
    _print({"migrated": True, "database": settings.database_url.split("://", 1)[0]})
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from signalpost.server import run_server

    updates = {
        k: v
        for k, v in (("host", args.host), ("port", args.port), ("workers", args.workers))
        if v is not None
    }
    run_server(
        settings.model_copy(update=updates),
        migrate=not args.no_migrate,
        with_workers=not args.no_workers,
    )
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from signalpost.server import run_worker

    if args.workers is not None:
        settings = settings.model_copy(update={"workers": args.workers})
    run_worker(settings)
    return 0


def cmd_smsc_sim(settings: Settings, args: argparse.Namespace) -> int:
    from signalpost.smsc.runner import run
    from signalpost.smsc.server import SimulatorSettings

    del settings
    run(
        SimulatorSettings(
            host=args.host,
            port=args.port,
            system_id=args.system_id,
            password=args.password,
            receipt_delay_ms=args.receipt_delay_ms,
            receipt_tlvs=not args.no_receipt_tlvs,
            throttle_rate=args.throttle_rate,
            drop_every=args.drop_every,
            early_receipts=args.early_receipts,
            duplicate_receipts=args.duplicate_receipts,
        ),
        args.control_port,
    )
    return 0


# ------------------------------------------------------------------ HTTP client commands


def _client(settings: Settings, args: argparse.Namespace) -> httpx.Client:
    key = args.api_key or os.environ.get("SIGNALPOST_API_KEY")
    if not key:
        raise SystemExit("an API key is needed: --api-key or SIGNALPOST_API_KEY")
    return httpx.Client(
        base_url=args.url or settings.base_url,
        headers={"Authorization": f"Bearer {key}"},
        timeout=30.0,
    )


def _show(response: httpx.Response) -> int:
    sys.stdout.write(response.text.rstrip() + "\n")
    return 0 if response.is_success else 1


def cmd_send(settings: Settings, args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"to": args.to, "channels": args.channel or ["sms"]}
    if args.template:
        body["template"] = {
            "name": args.template,
            "parameters": dict(p.split("=", 1) for p in args.param or []),
        }
    else:
        body["text"] = args.text
    if args.sender:
        body["from"] = args.sender
    with _client(settings, args) as client:
        return _show(client.post("/v1/messages", json=body))


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    with _client(settings, args) as client:
        return _show(client.get(f"/v1/messages/{args.id}"))


def cmd_activities(settings: Settings, args: argparse.Namespace) -> int:
    params: dict[str, str] = {}
    if args.message:
        params["message_id"] = args.message
    if args.status:
        params["status"] = args.status
    with _client(settings, args) as client:
        response = client.get("/v1/activities", params={**params, "limit": str(args.limit)})
        if not response.is_success:
            return _show(response)
        rows = list(reversed(response.json()["data"]))
        for row in rows:
            _print(row)
        if not args.follow:
            return 0
        return _follow(client, params, {r["id"] for r in rows}, args.interval)


def cmd_webhook_deliveries(settings: Settings, args: argparse.Namespace) -> int:
    """Webhook delivery attempts (status code, latency, error), oldest first; ``--follow``
    keeps polling the API for new ones, like ``activities --follow``."""
    params = {"webhook_id": args.webhook} if args.webhook else {}
    path = "/v1/webhooks/attempts"
    with _client(settings, args) as client:
        response = client.get(path, params={**params, "limit": str(args.limit)})
        if not response.is_success:
            return _show(response)
        rows = list(reversed(response.json()["data"]))
        for row in rows:
            _print(row)
        if not args.follow:
            return 0
        return _follow(client, params, {r["id"] for r in rows}, args.interval, path=path)


def _follow(
    client: httpx.Client,
    params: dict[str, str],
    printed: set[int],
    interval: float,
    *,
    path: str = "/v1/activities",
) -> int:
    """Tail activities: poll for ids above the newest seen, re-reading a window below it so
    rows committed late by a concurrent writer (with a lower id) are still shown once."""
    window = 500
    try:
        while True:
            last = max(printed, default=0)
            query = {**params, "after": str(max(0, last - window)), "limit": "1000"}
            response = client.get(path, params=query)
            if not response.is_success:
                sys.stderr.write(f"{response.status_code} {response.text}\n")
            else:
                for row in response.json()["data"]:
                    if row["id"] not in printed:
                        printed.add(row["id"])
                        _print(row)
                floor = max(printed, default=0) - window
                printed.difference_update({i for i in printed if i < floor})
            time.sleep(interval)
    except KeyboardInterrupt:
        return 0


# ------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="signalpost", description="Signalpost SMS platform")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the API server with workers")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, help="dispatch loops in this process")
    p.add_argument("--no-migrate", action="store_true")
    p.add_argument("--no-workers", action="store_true", help="API only")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run workers only")
    p.add_argument("--workers", type=int)
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("smsc-sim", help="run the SMSC simulator (an SMPP 3.4 server)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=2775)
    p.add_argument("--control-port", type=int, help="JSON-lines control port (drop, throttle…)")
    p.add_argument("--system-id", help="accept only this system_id (default: any)")
    p.add_argument("--password", help="accept only this password (default: any)")
    p.add_argument("--receipt-delay-ms", type=int, default=300)
    p.add_argument("--throttle-rate", type=float, default=0.0, help="submit_sm/s per session")
    p.add_argument(
        "--drop-every", type=int, default=0, help="drop sessions every N accepted submit_sm"
    )
    p.add_argument("--early-receipts", action="store_true", help="receipt before submit_sm_resp")
    p.add_argument("--duplicate-receipts", action="store_true")
    p.add_argument("--no-receipt-tlvs", action="store_true", help="receipt text only")
    p.set_defaults(func=cmd_smsc_sim)

    p = sub.add_parser("migrate", help="bring the database schema up to date")
    p.set_defaults(func=cmd_migrate)

    org = sub.add_parser("org", help="organizations").add_subparsers(dest="action", required=True)
    p = org.add_parser("create", help="create an organization and its first API key")
    p.add_argument("name")
    p.set_defaults(func=cmd_org_create)

    prof = sub.add_parser("profile", help="child profiles").add_subparsers(
        dest="action", required=True
    )
    p = prof.add_parser("create", help="create a profile and its first API key")
    p.add_argument("--org", required=True)
    p.add_argument("name")
    p.set_defaults(func=cmd_profile_create)

    key = sub.add_parser("key", help="API keys").add_subparsers(dest="action", required=True)
    p = key.add_parser("create", help="create an API key")
    p.add_argument("--org", required=True)
    p.add_argument("--profile")
    p.add_argument("--name")
    p.set_defaults(func=cmd_key_create)

    num = sub.add_parser("number", help="sender numbers").add_subparsers(
        dest="action", required=True
    )
    p = num.add_parser("add", help="register a phone number a tenant sends from")
    p.add_argument("--org", required=True)
    p.add_argument("--profile", help="register it for this profile of the organization")
    p.add_argument("--label")
    p.add_argument("number", help="E.164, e.g. +14155550100")
    p.add_argument(
        "--pool", action="store_true", help="sends without a sender may pick this number"
    )
    p.set_defaults(func=cmd_number_add)

    oauth_client = sub.add_parser("oauth-client", help="OAuth clients (client credentials)")
    oauth_actions = oauth_client.add_subparsers(dest="action", required=True)
    p = oauth_actions.add_parser("create", help="create a client; prints its id and secret")
    p.add_argument("--org", required=True)
    p.add_argument("--profile")
    p.add_argument("--name")
    p.set_defaults(func=cmd_oauth_client_create)

    group_cmd = sub.add_parser("contact-group", help="contact groups (Lamah group sends)")
    group_actions = group_cmd.add_subparsers(dest="action", required=True)
    p = group_actions.add_parser("create", help="create a group of phone numbers")
    p.add_argument("--org", required=True)
    p.add_argument("--profile")
    p.add_argument("--number", action="append", help="a member's number (repeat)")
    p.add_argument("name")
    p.set_defaults(func=cmd_contact_group_create)

    def client_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--url", help="server URL (default from SIGNALPOST_HOST/PORT)")
        p.add_argument("--api-key", help="API key (default SIGNALPOST_API_KEY)")

    p = sub.add_parser("send", help="send a message")
    p.add_argument("--to", action="append", required=True)
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--text")
    group.add_argument("--template", help="template name")
    p.add_argument("--param", action="append", help="template parameter NAME=VALUE")
    p.add_argument("--channel", action="append")
    p.add_argument("--from", dest="sender")
    client_args(p)
    p.set_defaults(func=cmd_send)

    p = sub.add_parser("status", help="show a message")
    p.add_argument("id")
    client_args(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("activities", help="list activities; --follow tails them live")
    p.add_argument("--follow", "-f", action="store_true")
    p.add_argument("--message")
    p.add_argument("--status")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--interval", type=float, default=1.0)
    client_args(p)
    p.set_defaults(func=cmd_activities)

    hooks = sub.add_parser("webhooks", help="webhooks").add_subparsers(dest="action", required=True)
    p = hooks.add_parser("deliveries", help="list delivery attempts; --follow shows them live")
    p.add_argument("--follow", "-f", action="store_true")
    p.add_argument("--webhook", help="only this webhook endpoint's attempts")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--interval", type=float, default=1.0)
    client_args(p)
    p.set_defaults(func=cmd_webhook_deliveries)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    result: int = args.func(settings, args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
