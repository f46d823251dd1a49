"""Keywords in inbound messages act on consent and are answered, as the networks require.

:class:`KeywordResponder` observes every recorded step.  For each inbound message
(``received``) whose whole text is a keyword of its tenant (the defaults of
:mod:`signalpost.domain.keywords` plus the tenant's own words, as
:func:`~signalpost.messages.inbound.receive` classified it) it opts the sender out or
back in (told to the consent recorder, so ``recipient.opted_out`` names the message)
and, unless the tenant turned auto-replies off, answers from the number the message was
sent to.  It runs in the transaction that stores the inbound message, so an opt-out is
never lost and a send that follows it already sees it.  Inbound messages arrive through
:func:`signalpost.messages.inbound.receive`, whatever carried them (SMPP, an HTTP provider,
a dialect's inbound route), so every path is covered.

The answers are ordinary messages with their own lifecycle; they are sent to opted-out
numbers too (the confirmation of an opt-out, and HELP answers, are owed to them).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from signalpost.accounts.schemas import Scope
from signalpost.compliance import service as compliance
from signalpost.consent import service as consent
from signalpost.consent.schemas import ConsentStatus, SuppressionSource
from signalpost.domain.keywords import KeywordAction
from signalpost.domain.lifecycle import Status
from signalpost.errors import AppError
from signalpost.messages.policy import SendPolicy
from signalpost.messages.schemas import Message, RecipientSpec, SendSpec
from signalpost.messages.sending import send
from signalpost.messages.transitions import Applied
from signalpost.storage import Connection

__all__ = ["KeywordResponder"]

log = logging.getLogger("signalpost.compliance")

_CONSENT = {
    KeywordAction.OPT_OUT: ConsentStatus.OPTED_OUT,
    KeywordAction.OPT_IN: ConsentStatus.ACTIVE,
}


def _scope_of(message: Message) -> Scope:
    organization_id, tenant_id = message.organization_id, message.tenant_id
    return Scope(organization_id, None if tenant_id == organization_id else tenant_id)


class KeywordResponder:
    """A recorder observer that acts on keywords in inbound messages (see the module)."""

    def __init__(self, policy: SendPolicy, consent_recorder: consent.ConsentRecorder) -> None:
        self.policy = policy
        self.consent = consent_recorder

    async def __call__(self, conn: Connection, applied: Sequence[Applied]) -> None:
        for step in applied:  # a keyword is only ever found on a received message
            if step.keyword is not None and step.activity.status == Status.RECEIVED.value:
                await self._inbound(conn, step.message, step.keyword)

    async def _inbound(self, conn: Connection, message: Message, action: KeywordAction) -> None:
        body = message.body or ""
        scope = _scope_of(message)
        settings = await compliance.settings_for(conn, scope)
        handset = str(message.from_number)
        status = _CONSENT.get(action)
        if status is not None:
            try:
                await consent.set_status_of_numbers(
                    conn,
                    scope,
                    [handset],
                    status,
                    recorder=self.consent,
                    reason=f"{body.strip()[:32]!r} received from the recipient",
                    source=SuppressionSource.KEYWORD,
                    keyword=body.strip()[:64],
                    message_id=message.id,
                )
            except AppError:  # not a phone number: nobody to opt out
                log.warning("keyword %s from %r: not a phone number", action.value, handset)
                return
        log.info("keyword %s from %s for tenant %s", action.value, handset, scope.tenant_id)
        reply = settings.reply_to(action)
        if reply is None:
            return
        spec = SendSpec(
            recipients=(RecipientSpec(to=handset),),
            channels=(message.channel,),
            text=reply,
            sender=message.to_number,
            consent_exempt=True,
        )
        try:
            await send(conn, self.policy, scope, spec)
        except AppError as exc:  # validated before anything is written: nothing to undo
            log.warning("no %s reply to %s: %s", action.value, handset, exc.message)
