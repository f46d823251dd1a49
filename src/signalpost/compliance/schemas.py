"""A tenant's compliance settings: extra keywords and the auto-replies to keywords."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from signalpost.domain.keywords import DEFAULT_KEYWORDS, KeywordAction, Keywords
from signalpost.domain.quiet_hours import QuietHours

__all__ = ["CATEGORIES", "DEFAULT_REPLIES", "ComplianceSettings"]

CATEGORIES: tuple[str, ...] = ("transactional", "marketing")
"""What a message is for: only some categories respect quiet hours (marketing by default)."""

DEFAULT_REPLIES: dict[KeywordAction, str] = {
    KeywordAction.OPT_OUT: (
        "You have been unsubscribed and will receive no more messages. Reply START to resubscribe."
    ),
    KeywordAction.OPT_IN: "You have been resubscribed. Reply STOP to unsubscribe, HELP for help.",
    KeywordAction.HELP: "Reply STOP to unsubscribe. Msg&data rates may apply.",
}


@dataclass(frozen=True, slots=True)
class ComplianceSettings:
    """What a tenant (organization or profile) answers to keywords.

    Replies that are None use :data:`DEFAULT_REPLIES`; ``auto_reply`` off sends none.
    """

    tenant_id: str
    auto_reply: bool = True
    opt_out_reply: str | None = None
    opt_in_reply: str | None = None
    help_reply: str | None = None
    opt_out_words: tuple[str, ...] = ()
    opt_in_words: tuple[str, ...] = ()
    help_words: tuple[str, ...] = ()
    # local times when messages of ``quiet_categories`` wait: per destination country, "*" for all
    quiet_hours: Mapping[str, QuietHours] = field(default_factory=dict)
    quiet_categories: tuple[str, ...] = ("marketing",)
    keywords: Keywords = field(default=DEFAULT_KEYWORDS, compare=False, repr=False)

    def quiet_hours_for(self, category: str | None, region: str | None) -> QuietHours | None:
        """The window a message of ``category`` to a number of ``region`` must respect."""
        if category is None or category not in self.quiet_categories:
            return None
        return self.quiet_hours.get(region or "*") or self.quiet_hours.get("*")

    def reply_to(self, action: KeywordAction) -> str | None:
        if not self.auto_reply:
            return None
        own = {
            KeywordAction.OPT_OUT: self.opt_out_reply,
            KeywordAction.OPT_IN: self.opt_in_reply,
            KeywordAction.HELP: self.help_reply,
        }[action]
        return own if own is not None else DEFAULT_REPLIES[action]
