"""What a statistics query asks for and what it answers."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["GROUP_BY", "INTERVALS", "StatsQuery", "StatsReport", "Summary"]

INTERVALS = ("hour", "day")
GROUP_BY = ("status", "channel", "country", "carrier", "profile")


@dataclass(frozen=True, slots=True)
class StatsQuery:
    start: int  # microseconds, aligned down to the hour
    end: int  # exclusive, aligned up to the hour
    interval: str = "hour"
    group_by: str | None = None


@dataclass(slots=True)
class Summary:
    """Totals of a set of messages, counted where each one is now."""

    messages: int = 0
    segments: int = 0
    cost_micros: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    latency: list[int] = field(default_factory=list)  # histogram bucket counts

    @property
    def delivered(self) -> int:
        return self.statuses.get("delivered", 0) + self.statuses.get("read", 0)

    @property
    def undelivered(self) -> int:
        return sum(self.statuses.get(s, 0) for s in ("failed", "expired", "rejected"))

    @property
    def delivery_rate(self) -> float | None:
        """Delivered among messages whose delivery has an outcome; ``None`` before any."""
        settled = self.delivered + self.undelivered
        return self.delivered / settled if settled else None


@dataclass(frozen=True, slots=True)
class StatsReport:
    query: StatsQuery
    totals: Summary
    periods: list[tuple[int, str | None, Summary]]  # (period start, group, summary)
