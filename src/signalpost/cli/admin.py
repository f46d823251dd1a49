"""Administrative commands, on the database named by ``SIGNALPOST_DATABASE_URL``:
organizations, profiles, API keys, sender numbers, OAuth clients, contact groups,
retention and migrations."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from signalpost.accounts import service as accounts
from signalpost.accounts.schemas import Scope
from signalpost.cli.database import describe, prepare, run_in_transaction, with_database
from signalpost.cli.output import CliError, emit
from signalpost.config import Settings
from signalpost.contact_groups import service as contact_groups
from signalpost.numbers import service as numbers
from signalpost.oauth import service as oauth
from signalpost.retention import service as retention
from signalpost.retention.schemas import FIELDS, RetentionPolicy
from signalpost.storage import Connection, Database
from signalpost.timeutil import iso, now_us

__all__ = ["register"]


def cmd_org_create(settings: Settings, args: argparse.Namespace) -> int:
    async def work(conn: Connection) -> dict[str, Any]:
        org = await accounts.create_organization(conn, args.name)
        key = await accounts.create_key(conn, org.id, name="default")
        return {"id": org.id, "name": org.name, "api_key": key.api_key, "key_id": key.id}

    emit(run_in_transaction(settings, work), as_json=args.json)
    return 0


def cmd_org_list(settings: Settings, args: argparse.Namespace) -> int:
    async def work(conn: Connection) -> list[dict[str, Any]]:
        orgs = await accounts.list_organizations(conn)
        return [{"id": o.id, "name": o.name, "created_at": iso(o.created_at)} for o in orgs]

    emit(run_in_transaction(settings, work), as_json=args.json)
    return 0


def cmd_profile_create(settings: Settings, args: argparse.Namespace) -> int:
    async def work(conn: Connection) -> dict[str, Any]:
        profile = await accounts.create_profile(conn, args.org, args.name)
        key = await accounts.create_key(conn, args.org, profile.id, name="default")
        return {
            "id": profile.id,
            "organization_id": profile.organization_id,
            "name": profile.name,
            "api_key": key.api_key,
            "key_id": key.id,
        }

    emit(run_in_transaction(settings, work), as_json=args.json)
    return 0


def cmd_profile_list(settings: Settings, args: argparse.Namespace) -> int:
    async def work(conn: Connection) -> list[dict[str, Any]]:
        await accounts.get_organization(conn, args.org)
        profiles = await accounts.list_profiles(conn, args.org)
        return [{"id": p.id, "name": p.name, "created_at": iso(p.created_at)} for p in profiles]

    emit(run_in_transaction(settings, work), as_json=args.json)
    return 0


# The key commands print keys as the native API shows them.  Its presenters are imported
# where they are used: importing the native API loads every route of it, most of the
# start-up time of a command that needs none of them (``org list``, ``smsc-sim``, ``send``).


def cmd_key_create(settings: Settings, args: argparse.Namespace) -> int:
    from signalpost.api.native.keys import present_created

    async def work(conn: Connection) -> dict[str, Any]:
        key = await accounts.create_key(conn, args.org, args.profile, args.name, kind=args.kind)
        return present_created(key)

    emit(run_in_transaction(settings, work), as_json=args.json)
    return 0


def cmd_key_list(settings: Settings, args: argparse.Namespace) -> int:
    from signalpost.api.native.keys import present as present_key

    async def work(conn: Connection) -> list[dict[str, Any]]:
        await accounts.get_organization(conn, args.org)
        keys = await accounts.list_keys(conn, args.org, args.profile)
        now = now_us()
        return [present_key(k, now) for k in keys]

    emit(run_in_transaction(settings, work), as_json=args.json)
    return 0


def cmd_key_revoke(settings: Settings, args: argparse.Namespace) -> int:
    from signalpost.api.native.keys import present as present_key

    async def work(conn: Connection) -> dict[str, Any]:
        return present_key(await accounts.revoke_key(conn, args.org, args.id), now_us())

    emit(run_in_transaction(settings, work), as_json=args.json)
    return 0


def cmd_key_rotate(settings: Settings, args: argparse.Namespace) -> int:
    from signalpost.api.native.keys import present_created

    async def work(conn: Connection) -> dict[str, Any]:
        key = await accounts.rotate_key(conn, args.org, args.id, grace_seconds=args.grace)
        return present_created(key)

    emit(run_in_transaction(settings, work), as_json=args.json)
    return 0


def cmd_number_add(settings: Settings, args: argparse.Namespace) -> int:
    async def work(conn: Connection) -> dict[str, Any]:
        await accounts.get_organization(conn, args.org)
        if args.profile:
            await accounts.get_profile(conn, args.org, args.profile)
        number = await numbers.register(
            conn, Scope(args.org, args.profile), args.number, label=args.label, pool=args.pool
        )
        return {
            "id": number.id,
            "organization_id": number.organization_id,
            "tenant_id": number.tenant_id,
            "phone_number": number.phone_number,
            "label": number.label,
            "paused": number.paused,
            "pool": args.pool,
        }

    emit(run_in_transaction(settings, work), as_json=args.json)
    return 0


def cmd_oauth_client_create(settings: Settings, args: argparse.Namespace) -> int:
    async def work(conn: Connection) -> dict[str, Any]:
        client = await oauth.create_client(conn, args.org, args.profile, name=args.name)
        return {
            "id": client.id,
            "organization_id": client.organization_id,
            "profile_id": client.profile_id,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
        }

    emit(run_in_transaction(settings, work), as_json=args.json)
    return 0


def cmd_contact_group_create(settings: Settings, args: argparse.Namespace) -> int:
    async def work(conn: Connection) -> dict[str, Any]:
        if args.profile:
            await accounts.get_profile(conn, args.org, args.profile)
        else:
            await accounts.get_organization(conn, args.org)
        scope = Scope(args.org, args.profile)
        group = await contact_groups.create_group(conn, scope, args.name, args.number or [])
        return {"id": group.id, "name": group.name, "members": list(group.members)}

    emit(run_in_transaction(settings, work), as_json=args.json)
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    prepare(settings, create=True)
    emit({"migrated": True, "database": describe(settings)}, as_json=args.json)
    return 0


def _retention_defaults(settings: Settings) -> RetentionPolicy:
    return RetentionPolicy(
        settings.retention_messages_days,
        settings.retention_activities_days,
        settings.retention_idempotency_days,
        settings.retention_redact_days,
    )


def cmd_retention_show(settings: Settings, args: argparse.Namespace) -> int:
    async def work(conn: Connection) -> dict[str, Any]:
        if args.profile:
            await accounts.get_profile(conn, args.org, args.profile)
        else:
            await accounts.get_organization(conn, args.org)
        own = await retention.get_policy(conn, args.profile or args.org)
        defaults = _retention_defaults(settings)
        effective = await retention.effective_policy(conn, args.org, args.profile, defaults)
        return {
            "tenant_id": args.profile or args.org,
            "own": asdict(own),
            "effective": asdict(effective),
            "defaults": asdict(defaults),
        }

    emit(run_in_transaction(settings, work), as_json=args.json)
    return 0


def _days(name: str, value: str) -> int | None:
    if value == "inherit":
        return None
    try:
        return int(value)
    except ValueError:
        raise CliError(f"--{name.replace('_', '-')}: a number of days or 'inherit'") from None


def cmd_retention_set(settings: Settings, args: argparse.Namespace) -> int:
    changes = {
        name: _days(name, value) for name in FIELDS if (value := getattr(args, name)) is not None
    }
    if not changes:
        raise CliError(
            "nothing to set: give --messages-days, --activities-days, --idempotency-days "
            "or --redact-days"
        )

    async def work(conn: Connection) -> dict[str, Any]:
        policy = await retention.set_policy(conn, args.org, args.profile, changes)
        return {"tenant_id": args.profile or args.org, "own": asdict(policy)}

    emit(run_in_transaction(settings, work), as_json=args.json)
    return 0


def cmd_retention_purge(settings: Settings, args: argparse.Namespace) -> int:
    async def work(db: Database) -> dict[str, Any]:
        defaults = _retention_defaults(settings)
        purger = retention.Purger(db, defaults, batch_size=settings.retention_batch_size)
        return asdict(await purger.run())

    emit(with_database(settings, work), as_json=args.json)
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the administrative commands to the top-level subparsers."""

    def group(name: str, help_text: str) -> Any:
        return sub.add_parser(name, help=help_text).add_subparsers(dest="action", required=True)

    p = sub.add_parser("migrate", parents=[common], help="create or update the database schema")
    p.set_defaults(func=cmd_migrate)

    org = group("org", "organizations")
    p = org.add_parser("create", parents=[common], help="an organization and its first key")
    p.add_argument("name")
    p.set_defaults(func=cmd_org_create)
    p = org.add_parser("list", parents=[common], help="every organization")
    p.set_defaults(func=cmd_org_list)

    prof = group("profile", "child profiles")
    p = prof.add_parser("create", parents=[common], help="a profile and its first API key")
    p.add_argument("--org", required=True)
    p.add_argument("name")
    p.set_defaults(func=cmd_profile_create)
    p = prof.add_parser("list", parents=[common], help="an organization's profiles")
    p.add_argument("--org", required=True)
    p.set_defaults(func=cmd_profile_list)

    _register_keys(group("key", "API keys"), common)
    _register_retention(group("retention", "how long data is kept"), common)

    num = group("number", "sender numbers")
    p = num.add_parser("add", parents=[common], help="register a number a tenant sends from")
    p.add_argument("--org", required=True)
    p.add_argument("--profile", help="register it for this profile of the organization")
    p.add_argument("--label")
    p.add_argument("number", help="E.164, e.g. +14155550100")
    p.add_argument(
        "--pool", action="store_true", help="sends without a sender may pick this number"
    )
    p.set_defaults(func=cmd_number_add)

    clients = group("oauth-client", "OAuth clients (client credentials)")
    p = clients.add_parser("create", parents=[common], help="a client; prints id and secret")
    p.add_argument("--org", required=True)
    p.add_argument("--profile")
    p.add_argument("--name")
    p.set_defaults(func=cmd_oauth_client_create)

    groups = group("contact-group", "contact groups (Lamah group sends)")
    p = groups.add_parser("create", parents=[common], help="a group of phone numbers")
    p.add_argument("--org", required=True)
    p.add_argument("--profile")
    p.add_argument("--number", action="append", help="a member's number (repeat)")
    p.add_argument("name")
    p.set_defaults(func=cmd_contact_group_create)


def _register_keys(key: Any, common: argparse.ArgumentParser) -> None:
    p = key.add_parser("create", parents=[common], help="create an API key")
    p.add_argument("--org", required=True)
    p.add_argument("--profile")
    p.add_argument("--name")
    p.add_argument("--kind", choices=("live", "test"), default="live")
    p.set_defaults(func=cmd_key_create)
    p = key.add_parser("list", parents=[common], help="an organization's keys (no secrets)")
    p.add_argument("--org", required=True)
    p.add_argument("--profile", help="only this profile's keys")
    p.set_defaults(func=cmd_key_list)
    p = key.add_parser("revoke", parents=[common], help="revoke an API key now")
    p.add_argument("--org", required=True)
    p.add_argument("id")
    p.set_defaults(func=cmd_key_revoke)
    p = key.add_parser(
        "rotate", parents=[common], help="a new secret; the old one works --grace seconds"
    )
    p.add_argument("--org", required=True)
    p.add_argument("--grace", type=int, default=0, help="seconds the old secret keeps working")
    p.add_argument("id")
    p.set_defaults(func=cmd_key_rotate)


def _register_retention(keep: Any, common: argparse.ArgumentParser) -> None:
    p = keep.add_parser("show", parents=[common], help="own, default and effective retention")
    p.add_argument("--org", required=True)
    p.add_argument("--profile")
    p.set_defaults(func=cmd_retention_show)
    p = keep.add_parser("set", parents=[common], help="retention days (0: forever or never)")
    p.add_argument("--org", required=True)
    p.add_argument("--profile", help="override for this profile of the organization")
    for name in FIELDS:
        flag = "--" + name.replace("_", "-")
        p.add_argument(flag, dest=name, metavar="DAYS|inherit")
    p.set_defaults(func=cmd_retention_set)
    p = keep.add_parser("purge", parents=[common], help="delete and redact what is past it now")
    p.set_defaults(func=cmd_retention_purge)
