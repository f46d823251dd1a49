"""Value types of data retention."""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["FIELDS", "RetentionPolicy"]


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Days each kind of record is kept (``None``: inherited; 0: kept forever)."""

    messages_days: int | None = None
    """Messages, with their activities and submit attempts."""
    activities_days: int | None = None
    """A message's activities (its events), when they should go before the message."""
    idempotency_days: int | None = None
    """Idempotency records (they also expire after ``SIGNALPOST_IDEMPOTENCY_TTL_SECONDS``)."""
    redact_days: int | None = None
    """After this, a message's text is replaced by ``[redacted]`` (the record is kept)."""

    def over(self, base: RetentionPolicy) -> RetentionPolicy:
        """This policy's values, and ``base``'s where this one has none."""
        return RetentionPolicy(
            *(
                getattr(self, f.name)
                if getattr(self, f.name) is not None
                else getattr(base, f.name)
                for f in fields(self)
            )
        )


FIELDS = tuple(f.name for f in fields(RetentionPolicy))
