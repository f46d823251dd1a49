"""``signalpost user create --org ORG_ID EMAIL``: a console user with a one-time password."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import orjson

from signalpost.console_users import service as users
from signalpost.storage import open_database

__all__ = ["register"]


def cmd_user_create(settings: Any, args: argparse.Namespace) -> int:
    async def work() -> dict[str, str]:
        db = open_database(settings.database_url, schema=settings.database_schema)
        await db.connect()
        try:
            async with db.transaction() as conn:
                user = await users.create_user(conn, args.org, args.email)
        finally:
            await db.close()
        return {
            "id": user.id,
            "organization_id": user.organization_id,
            "email": user.email,
            "password": user.password,
        }

    print(orjson.dumps(asyncio.run(work())).decode())
    return 0


def register(sub: Any) -> None:
    """Add ``user`` to the command line."""
    users_cmd = sub.add_parser("user", help="console users").add_subparsers(
        dest="action", required=True
    )
    p = users_cmd.add_parser("create", help="create a console user; prints a one-time password")
    p.add_argument("--org", required=True)
    p.add_argument("email")
    p.set_defaults(func=cmd_user_create)
