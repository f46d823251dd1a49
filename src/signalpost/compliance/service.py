"""A tenant's compliance settings: its extra keywords and its answers to them.

A profile's settings override its organization's; a tenant without settings uses the
defaults.  :mod:`signalpost.messages.keywords` acts on inbound keywords with them.
"""

from __future__ import annotations

import re
from dataclasses import replace

import orjson

from signalpost.accounts.schemas import Scope
from signalpost.compliance import repository as repo
from signalpost.compliance.exceptions import InvalidComplianceSettings
from signalpost.compliance.schemas import CATEGORIES, ComplianceSettings
from signalpost.domain.keywords import DEFAULT_KEYWORDS, KeywordConflict
from signalpost.domain.quiet_hours import QuietHours
from signalpost.storage import Connection, Row
from signalpost.timeutil import now_us

__all__ = ["MAX_REPLY", "settings_for", "update_settings"]

MAX_WORDS = 50
MAX_REPLY = 4096
_REGION = re.compile(r"[A-Z]{2}")


def _words(raw: str) -> tuple[str, ...]:
    return tuple(orjson.loads(raw))


def _settings(row: Row) -> ComplianceSettings:
    plain = ComplianceSettings(
        tenant_id=row["tenant_id"],
        auto_reply=bool(row["auto_reply"]),
        opt_out_reply=row["opt_out_reply"],
        opt_in_reply=row["opt_in_reply"],
        help_reply=row["help_reply"],
        opt_out_words=_words(row["opt_out_words"]),
        opt_in_words=_words(row["opt_in_words"]),
        help_words=_words(row["help_words"]),
        quiet_hours={
            region: QuietHours.parse(text)
            for region, text in orjson.loads(row["quiet_hours"]).items()
        },
        quiet_categories=_words(row["quiet_categories"]),
    )
    return _with_keywords(plain)


def _with_keywords(settings: ComplianceSettings) -> ComplianceSettings:
    keywords = DEFAULT_KEYWORDS.extended(
        opt_out=settings.opt_out_words, opt_in=settings.opt_in_words, help=settings.help_words
    )
    return replace(settings, keywords=keywords)


async def settings_for(conn: Connection, scope: Scope) -> ComplianceSettings:
    """The tenant's settings: its own, else its organization's, else the defaults."""
    rows = {
        r["tenant_id"]: r
        for r in await repo.get_many(conn, [scope.tenant_id, scope.organization_id])
    }
    row = rows.get(scope.tenant_id) or rows.get(scope.organization_id)
    if row is None:
        return ComplianceSettings(tenant_id=scope.tenant_id)
    return _settings(row)


def _check(settings: ComplianceSettings) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name in ("opt_out_reply", "opt_in_reply", "help_reply"):
        text = getattr(settings, name)
        if text is not None and not 1 <= len(text) <= MAX_REPLY:
            errors[name] = [f"must be 1 to {MAX_REPLY} characters"]
        if text is not None and "\x00" in text:
            errors[name] = ["must not contain NUL characters"]
    for name in ("opt_out_words", "opt_in_words", "help_words"):
        words = getattr(settings, name)
        if len(words) > MAX_WORDS or any(not 1 <= len(w) <= 64 for w in words):
            errors[name] = [f"at most {MAX_WORDS} words of 1 to 64 characters"]
    bad_regions = [r for r in settings.quiet_hours if r != "*" and not _REGION.fullmatch(r)]
    if bad_regions:
        errors["quiet_hours"] = [
            f"{r!r} is not a country code (two capital letters) or '*'" for r in bad_regions
        ]
    unknown = [c for c in settings.quiet_categories if c not in CATEGORIES]
    if unknown:
        errors["quiet_categories"] = [f"unknown category {c!r}" for c in unknown]
    return errors


async def update_settings(
    conn: Connection, scope: Scope, settings: ComplianceSettings
) -> ComplianceSettings:
    """Store a tenant's settings (all fields, as given); raises on invalid ones."""
    errors = _check(settings)
    if errors:
        raise InvalidComplianceSettings(details=errors)
    try:
        stored = _with_keywords(settings)
    except KeywordConflict as exc:
        raise InvalidComplianceSettings(details={"keywords": [str(exc)]}) from exc
    await repo.upsert(
        conn,
        {
            "tenant_id": scope.tenant_id,
            "organization_id": scope.organization_id,
            "auto_reply": settings.auto_reply,
            "opt_out_reply": settings.opt_out_reply,
            "opt_in_reply": settings.opt_in_reply,
            "help_reply": settings.help_reply,
            "opt_out_words": orjson.dumps(list(settings.opt_out_words)).decode(),
            "opt_in_words": orjson.dumps(list(settings.opt_in_words)).decode(),
            "help_words": orjson.dumps(list(settings.help_words)).decode(),
            "quiet_hours": orjson.dumps(
                {region: str(window) for region, window in settings.quiet_hours.items()}
            ).decode(),
            "quiet_categories": orjson.dumps(list(settings.quiet_categories)).decode(),
            "updated_at": now_us(),
        },
    )
    return stored
