"""Keywords in inbound messages act on consent and are answered, as the networks require.

:class:`KeywordResponder` observes every recorded step.  For each inbound message
(``received``) whose whole text is a keyword of its tenant (the defaults of
:mod:`signalpost.domain.keywords` plus the tenant's own words) it opts the sender out or
back in and, unless the tenant turned auto-replies off, answers from the number the message
was sent to.  It runs in the transaction that stores the inbound message, so an opt-out is
never lost and a send that follows it already sees it.  Inbound messages arrive through
:func:`signalpost.messages.inbound.receive`, whatever carried them (SMPP, an HTTP provider,
a dialect's inbound route), so every path is covered.

A profile's settings override its organization's; a tenant without settings uses the
defaults.  The answers are ordinary messages with their own lifecycle; they are sent to
opted-out numbers too (the confirmation of an opt-out, and HELP answers, are owed to them).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

import orjson

from signalpost.accounts.schemas import Scope
from signalpost.compliance import repository as repo
from signalpost.compliance.exceptions import InvalidComplianceSettings
from signalpost.compliance.schemas import ComplianceSettings
from signalpost.consent import service as consent
from signalpost.consent.schemas import ConsentStatus
from signalpost.domain.keywords import DEFAULT_KEYWORDS, KeywordAction, KeywordConflict, classify
from signalpost.domain.lifecycle import Status
from signalpost.errors import AppError
from signalpost.messages.schemas import RecipientSpec, SendSpec
from signalpost.messages.service import MAX_TEXT, SendPolicy, send
from signalpost.messages.transitions import Applied
from signalpost.storage import Connection, Row
from signalpost.timeutil import now_us

__all__ = ["KeywordResponder", "settings_for", "update_settings"]

log = logging.getLogger("signalpost.compliance")

MAX_WORDS = 50

_CONSENT = {
    KeywordAction.OPT_OUT: ConsentStatus.OPTED_OUT,
    KeywordAction.OPT_IN: ConsentStatus.ACTIVE,
}


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
        if text is not None and not 1 <= len(text) <= MAX_TEXT:
            errors[name] = [f"must be 1 to {MAX_TEXT} characters"]
        if text is not None and "\x00" in text:
            errors[name] = ["must not contain NUL characters"]
    for name in ("opt_out_words", "opt_in_words", "help_words"):
        words = getattr(settings, name)
        if len(words) > MAX_WORDS or any(not 1 <= len(w) <= 64 for w in words):
            errors[name] = [f"at most {MAX_WORDS} words of 1 to 64 characters"]
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
            "updated_at": now_us(),
        },
    )
    return stored


def _scope_of(message: dict[str, object]) -> Scope:
    organization_id = str(message["organization_id"])
    tenant_id = str(message["tenant_id"])
    return Scope(organization_id, None if tenant_id == organization_id else tenant_id)


class KeywordResponder:
    """A recorder observer that acts on keywords in inbound messages (see the module)."""

    def __init__(self, policy: SendPolicy) -> None:
        self.policy = policy

    async def __call__(self, conn: Connection, applied: Sequence[Applied]) -> None:
        for step in applied:
            if step.activity["status"] == Status.RECEIVED.value:
                await self._inbound(conn, step.message)

    async def _inbound(self, conn: Connection, message: dict[str, object]) -> None:
        body = str(message["body"] or "")
        if len(body) > 64:  # no keyword is that long: spare the settings lookup
            return
        scope = _scope_of(message)
        settings = await settings_for(conn, scope)
        action = classify(body, settings.keywords)
        if action is None:
            return
        handset = str(message["from_number"])
        status = _CONSENT.get(action)
        if status is not None:
            try:
                await consent.set_status_of_numbers(conn, scope, [handset], status)
            except AppError:  # not a phone number: nobody to opt out
                log.warning("keyword %s from %r: not a phone number", action.value, handset)
                return
        log.info("keyword %s from %s for tenant %s", action.value, handset, scope.tenant_id)
        reply = settings.reply_to(action)
        if reply is None:
            return
        spec = SendSpec(
            recipients=(RecipientSpec(to=handset),),
            channels=(str(message["channel"]),),
            text=reply,
            sender=str(message["to_number"]),
            consent_exempt=True,
        )
        try:
            await send(conn, self.policy, scope, spec)
        except AppError as exc:  # validated before anything is written: nothing to undo
            log.warning("no %s reply to %s: %s", action.value, handset, exc.message)
