"""``GET /v1/stats``: delivery statistics of the calling tenant, per period and group."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from signalpost.api.common import bearer_token
from signalpost.api.native.params import STATS_FROM, STATS_TO
from signalpost.http import Request, Response, Router, json_response
from signalpost.stats import service as stats
from signalpost.stats.histogram import quantile_ms
from signalpost.stats.schemas import StatsReport, Summary
from signalpost.timeutil import iso, now_us

if TYPE_CHECKING:
    from signalpost.context import Context

__all__ = ["add_stats_routes", "present_report", "present_summary"]


def present_summary(summary: Summary, currency: str) -> dict[str, Any]:
    rate = summary.delivery_rate
    median = quantile_ms(summary.latency, 0.5)
    p95 = quantile_ms(summary.latency, 0.95)
    return {
        "messages": summary.messages,
        "statuses": dict(sorted(summary.statuses.items())),
        "delivered": summary.delivered,
        "undelivered": summary.undelivered,
        "delivery_rate": None if rate is None else round(rate, 6),
        "delivery_time_ms": {
            "median": None if median is None else round(median),
            "p95": None if p95 is None else round(p95),
        },
        "segments": summary.segments,
        "cost": {"amount_micros": summary.cost_micros, "currency": currency},
    }


def present_report(report: StatsReport, currency: str) -> dict[str, Any]:
    query = report.query
    data = []
    for period, group, summary in report.periods:
        item: dict[str, Any] = {"period": iso(period)}
        if query.group_by:
            item["group"] = group
        item.update(present_summary(summary, currency))
        data.append(item)
    return {
        "from": iso(query.start),
        "to": iso(query.end),
        "interval": query.interval,
        "group_by": query.group_by,
        "totals": present_summary(report.totals, currency),
        "data": data,
    }


def add_stats_routes(router: Router, ctx: Context) -> None:
    """Add ``/stats`` to the native router."""

    @router.get(
        "/stats",
        query={
            "from": "ISO 8601 or Unix seconds; aligned down to the hour (day); default 24 h "
            "(30 days) before `to`",
            "to": "ISO 8601 or Unix seconds (exclusive); aligned up; default now",
            "interval": "hour (default) or day, in UTC",
            "group_by": "status, channel, country, carrier or profile",
        },
    )
    async def get_stats(request: Request) -> Response:
        """Delivery statistics: counts per status, delivery rate, delivery time, cost.

        Messages count in the period they were accepted, where they are now: a late
        receipt moves its message from sent to delivered.  An organization key covers its
        profiles too (`group_by=profile` separates them; `X-Profile-Id` picks one).
        """
        principal = await ctx.auth.principal(bearer_token(request))
        scope = await ctx.auth.scope(principal, request.header("x-profile-id"))
        query = stats.make_query(
            STATS_FROM.read(request),
            STATS_TO.read(request),
            request.query("interval"),
            request.query("group_by") or None,
            now_us(),
        )
        async with ctx.db.reader() as conn:
            report = await stats.report(conn, scope, query)
        return json_response(present_report(report, ctx.rates.currency))
