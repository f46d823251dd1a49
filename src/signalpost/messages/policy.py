"""What a send may ask for, and what it needs from the deployment: prices, limits and
defaults."""

from __future__ import annotations

from signalpost.domain import pricing
from signalpost.domain.senders import SenderRules
from signalpost.messages.transitions import Recorder

__all__ = [
    "MAX_METADATA_BYTES",
    "MAX_SCHEDULE_AHEAD_US",
    "MAX_TEXT",
    "MAX_VALIDITY_SECONDS",
    "MIN_VALIDITY_SECONDS",
    "SCHEDULE_GRACE_US",
    "SLICE",
    "SendPolicy",
]


MAX_TEXT = 4096
MAX_VALIDITY_SECONDS = 7 * 24 * 3600
MIN_VALIDITY_SECONDS = 60
MAX_METADATA_BYTES = 4096
# A scheduled time may lie up to a minute in the past (clock skew: sent at once) and up to
# 30 days ahead, the furthest any dialect schedules (sent.dm's window).
SCHEDULE_GRACE_US = 60 * 1_000_000
MAX_SCHEDULE_AHEAD_US = 30 * 86_400 * 1_000_000
SLICE = 250
"""Recipients a send prepares at a time before it lets other requests run (a few ms)."""


class SendPolicy:
    """What a send needs from the deployment: prices, limits and defaults."""

    def __init__(
        self,
        *,
        rates: pricing.RateCard,
        default_validity_seconds: int,
        max_recipients: int,
        recorder: Recorder,
        sender_rules: SenderRules | None = None,
        channels: frozenset[str] | None = None,
    ) -> None:
        self.rates = rates
        self.sender_rules = sender_rules  # None: senders are not checked per country
        self.channels = channels  # the channels some carrier carries; None: all of them
        self.default_validity_seconds = default_validity_seconds
        self.max_recipients = max_recipients
        self.recorder = recorder
