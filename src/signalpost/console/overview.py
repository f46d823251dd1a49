"""The overview's figures and charts, from the statistics service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from signalpost.accounts.schemas import Scope
from signalpost.console.charts import breakdown, rate_line, stacked_bars
from signalpost.domain.pricing import format_price
from signalpost.stats import service as stats
from signalpost.stats.histogram import quantile_ms
from signalpost.stats.rollup import DAY_US, HOUR_US
from signalpost.stats.schemas import Summary
from signalpost.storage import Connection
from signalpost.timeutil import iso

__all__ = ["PERIODS", "Overview", "build"]

PERIODS = {"24h": (24 * HOUR_US, "hour"), "7d": (7 * DAY_US, "day"), "30d": (30 * DAY_US, "day")}
_GROUPS = {
    "delivered": ("delivered", "read"),
    "in flight": ("accepted", "scheduled", "queued", "processed", "routed", "sent"),
    "undelivered": ("failed", "expired", "rejected"),
    "other": ("blocked", "filtered", "cancelled"),
}


@dataclass
class Overview:
    period: str
    totals: dict[str, Any]
    volume: Markup
    rate: Markup
    breakdowns: dict[str, Markup]


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1000:.1f} s" if value < 120_000 else f"{value / 60_000:.1f} min"


def _figures(summary: Summary, currency: str) -> dict[str, Any]:
    rate = summary.delivery_rate
    return {
        "messages": summary.messages,
        "delivered": summary.delivered,
        "undelivered": summary.undelivered,
        "rate": "—" if rate is None else f"{rate:.1%}",
        "median": _ms(quantile_ms(summary.latency, 0.5)),
        "p95": _ms(quantile_ms(summary.latency, 0.95)),
        "segments": summary.segments,
        "cost": f"{format_price(summary.cost_micros)} {currency}",
        "statuses": dict(sorted(summary.statuses.items(), key=lambda kv: -kv[1])),
    }


def _label(start: int, interval: str) -> str:
    text = iso(start) or ""
    return text[11:16] if interval == "hour" else text[5:10]


async def build(conn: Connection, scope: Scope, period: str, currency: str, now: int) -> Overview:
    length, interval = PERIODS.get(period, PERIODS["24h"])
    step = HOUR_US if interval == "hour" else DAY_US
    query = stats.make_query(now - length + step, now, interval, "status", now)
    report = await stats.report(conn, scope, query)
    starts = list(range(query.start, query.end, step))
    index = {start: i for i, start in enumerate(starts)}
    series = {name: [0] * len(starts) for name in _GROUPS}
    per_period = [Summary() for _ in starts]
    for start, status, summary in report.periods:
        i = index[start]
        name = next((g for g, members in _GROUPS.items() if status in members), "other")
        series[name][i] += summary.messages
        target = per_period[i]
        target.statuses[status or ""] = summary.messages
    labels = [_label(s, interval) for s in starts]
    breakdowns = {}
    for group in ("channel", "country", "carrier"):
        grouped = await stats.report(conn, scope, stats.make_query(
            query.start, query.end, interval, group, now
        ))  # fmt: skip
        sums: dict[str, Summary] = {}
        for _, value, summary in grouped.periods:
            into = sums.setdefault(value or "", Summary())
            into.messages += summary.messages
            for status, count in summary.statuses.items():
                into.statuses[status] = into.statuses.get(status, 0) + count
        items = sorted(sums.items(), key=lambda kv: -kv[1].messages)
        breakdowns[group] = breakdown(
            [(name, s.messages, s.delivery_rate) for name, s in items], title=f"By {group}"
        )
    return Overview(
        period=period if period in PERIODS else "24h",
        totals=_figures(report.totals, currency),
        volume=stacked_bars(labels, series, title="Messages by outcome"),
        rate=rate_line(labels, [p.delivery_rate for p in per_period], title="Delivery rate"),
        breakdowns=breakdowns,
    )
