"""``GET /v1/stats``: delivery statistics of the calling tenant, per period and group."""

from __future__ import annotations

from typing import Any

from signalpost.accounts.schemas import Scope
from signalpost.api.kit import Param, Routes
from signalpost.api.native import answers
from signalpost.api.native.base import Native
from signalpost.api.native.params import STATS_FROM, STATS_TO
from signalpost.http import Request, Response, json_response
from signalpost.stats import service as stats
from signalpost.stats.histogram import quantile_ms
from signalpost.stats.schemas import GROUP_BY, INTERVALS, StatsReport, Summary
from signalpost.storage import Connection
from signalpost.timeutil import iso, now_us

__all__ = ["present_report", "present_summary", "routes"]


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


routes = Routes[Native]("/v1", owns=())


@routes.get(
    "/stats",
    tx="read",
    query={
        "from": STATS_FROM,
        "to": STATS_TO,
        "interval": Param(
            "periods of an hour or a day, in UTC",
            {"type": "string", "enum": list(INTERVALS), "default": "hour"},
        ),
        "group_by": Param("one line per group", {"type": "string", "enum": list(GROUP_BY)}),
    },
    responses={200: answers.StatsOut, 422: "invalid period, interval or group"},
)
async def get_stats(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Delivery statistics: counts per status, delivery rate, delivery time, cost.

    Messages count in the period they were accepted, where they are now: a late
    receipt moves its message from sent to delivered.  An organization key covers its
    profiles too (`group_by=profile` separates them; `X-Profile-Id` picks one).
    """
    query = stats.make_query(
        STATS_FROM.read(request),
        STATS_TO.read(request),
        request.query("interval"),
        request.query("group_by") or None,
        now_us(),
    )
    report = await stats.report(conn, scope, query)
    return json_response(present_report(report, api.ctx.rates.currency))
