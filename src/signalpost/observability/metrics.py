"""Prometheus metrics of a process, served at ``/metrics``.

Counters and histograms are counted where things happen (a status change, a carrier
submit, a receipt, a webhook attempt, an HTTP request) with the label children looked up
once and kept, so a request pays a dictionary read and two increments.  Gauges that the
database knows (queue depth, webhook backlog) are read when Prometheus scrapes, never on
a hot path.  With ``PROMETHEUS_MULTIPROC_DIR`` set (several processes behind one port),
counters and histograms are shared through that directory, as prometheus-client does it.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import (
    REGISTRY,
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

__all__ = [
    "CONTENT_TYPE",
    "HTTP_REQUESTS",
    "HTTP_SECONDS",
    "MESSAGES",
    "RECEIPTS",
    "SUBMITS",
    "SUBMIT_SECONDS",
    "WEBHOOK_DELIVERIES",
    "HttpMetrics",
    "ScrapeCollector",
    "count_receipts",
    "count_status_changes",
    "count_webhook_outcomes",
    "observe_submits",
    "render",
]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# No *_created series: they double the output and few dashboards use them.
disable_created_metrics()  # type: ignore[no-untyped-call]

MESSAGES = Counter(
    "signalpost_messages",
    "Messages entering a status, by status, channel and carrier",
    ["status", "channel", "carrier"],
)
SUBMITS = Counter(
    "signalpost_submits", "Carrier submit answers by carrier and outcome", ["carrier", "outcome"]
)
SUBMIT_SECONDS = Histogram(
    "signalpost_submit_seconds",
    "Time a carrier takes to answer one submit batch",
    ["carrier"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RECEIPTS = Counter(
    "signalpost_receipts",
    "Delivery receipts by carrier and outcome (orphan: for a message not yet known)",
    ["carrier", "outcome"],
)
WEBHOOK_DELIVERIES = Counter(
    "signalpost_webhook_deliveries",
    "Webhook delivery attempts by outcome (delivered, failed, abandoned)",
    ["outcome"],
)
HTTP_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)
HTTP_REQUESTS = Counter(
    "signalpost_http_requests",
    "HTTP requests by route template, dialect and status code",
    ["route", "dialect", "status"],
    registry=None,  # exposed by HttpMetrics (these two objects serve multiprocess mode)
)
HTTP_SECONDS = Histogram(
    "signalpost_http_request_seconds",
    "HTTP request latency by route template and dialect",
    ["route", "dialect"],
    buckets=HTTP_BUCKETS,
    registry=None,
)


_BUCKET_LABELS: list[str] = [
    floatToGoString(b)  # type: ignore[no-untyped-call]
    for b in (*HTTP_BUCKETS, float("inf"))
]


class _RouteStats:
    __slots__ = ("buckets", "by_status", "dialect", "sum")

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.by_status: dict[int, int] = {}
        self.sum = 0.0
        self.buckets = [0] * (len(HTTP_BUCKETS) + 1)


class HttpMetrics(Collector):
    """Requests by route template, dialect and status, and their latency.

    Counted in plain integers (a request pays a dictionary read and three additions, where
    a prometheus-client counter and histogram cost several microseconds of locking) and
    turned into a counter and a histogram when scraped.  In multiprocess mode the shared
    prometheus-client objects are used instead, so every process's requests are counted.
    """

    def __init__(self) -> None:
        self._stats: dict[str, _RouteStats] = {}
        self._shared: dict[tuple[str, str, int], tuple[Any, Any]] | None = (
            {} if os.environ.get("PROMETHEUS_MULTIPROC_DIR") else None
        )

    def observe(self, route: str, dialect: str, status: int, seconds: float) -> None:
        if self._shared is not None:
            self._observe_shared(route, dialect, status, seconds)
            return
        stats = self._stats.get(route)
        if stats is None:
            stats = self._stats[route] = _RouteStats(dialect)
        by_status = stats.by_status
        by_status[status] = by_status.get(status, 0) + 1
        stats.sum += seconds
        stats.buckets[bisect_left(HTTP_BUCKETS, seconds)] += 1

    def _observe_shared(self, route: str, dialect: str, status: int, seconds: float) -> None:
        assert self._shared is not None
        key = (route, dialect, status)
        pair = self._shared.get(key)
        if pair is None:
            pair = (
                HTTP_REQUESTS.labels(route, dialect, str(status)),
                HTTP_SECONDS.labels(route, dialect),
            )
            self._shared[key] = pair
        pair[0].inc()
        pair[1].observe(seconds)

    def collect(self) -> Iterator[Metric]:
        if self._shared is not None:
            return
        requests = CounterMetricFamily(
            "signalpost_http_requests",
            "HTTP requests by route template, dialect and status code",
            labels=["route", "dialect", "status"],
        )
        latency = HistogramMetricFamily(
            "signalpost_http_request_seconds",
            "HTTP request latency by route template and dialect",
            labels=["route", "dialect"],
        )
        for route, stats in list(self._stats.items()):
            for status, count in list(stats.by_status.items()):
                requests.add_metric([route, stats.dialect, str(status)], count)
            cumulative, buckets = 0, []
            for bound, count in zip(_BUCKET_LABELS, stats.buckets, strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            latency.add_metric([route, stats.dialect], buckets, stats.sum)
        yield requests
        yield latency


def count_status_changes(changes: Iterable[tuple[str, str, str | None]]) -> None:
    """Count ``(status, channel, carrier)`` steps, one increment per distinct triple."""
    for (status, channel, carrier), n in Tally(changes).items():
        MESSAGES.labels(status, channel, carrier or "").inc(n)


def observe_submits(carrier: str, seconds: float, answers: Iterable[Any]) -> None:
    """One carrier submit call: its latency, and each answer's outcome."""
    SUBMIT_SECONDS.labels(carrier).observe(seconds)
    for outcome, n in Tally(a.outcome.value for a in answers).items():
        SUBMITS.labels(carrier, outcome).inc(n)


def count_receipts(carrier: str, outcomes: Iterable[str]) -> None:
    for outcome, n in Tally(outcomes).items():
        RECEIPTS.labels(carrier, outcome).inc(n)


def count_webhook_outcomes(outcomes: Iterable[str]) -> None:
    for outcome, n in Tally(outcomes).items():
        WEBHOOK_DELIVERIES.labels(outcome).inc(n)


Sample = tuple[str, str, Sequence[str], Sequence[tuple[Sequence[str], float]]]
"""A gauge read at scrape time: name, help, label names, ``[(label values, value)]``."""


class ScrapeCollector(Collector):
    """Gauges computed when scraped: from the database (read beforehand, asynchronously,
    by the ``/metrics`` handler) and from the process's own objects (SMPP sessions)."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.sources: list[Callable[[], list[Sample]]] = []

    def collect(self) -> Iterator[Metric]:
        samples = list(self.samples)
        for source in self.sources:
            samples.extend(source())
        for name, doc, labels, values in samples:
            family = GaugeMetricFamily(name, doc, labels=list(labels))
            for label_values, value in values:
                family.add_metric(list(label_values), value)
            yield family


def render(*collectors: Collector) -> bytes:
    """The exposition text: this process's metrics (or every process's, in multiprocess
    mode) and the given collectors' (HTTP requests, scrape-time gauges)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        shared = CollectorRegistry(auto_describe=False)
        multiprocess.MultiProcessCollector(shared)  # type: ignore[no-untyped-call]
        body = generate_latest(shared)
    else:
        body = generate_latest(REGISTRY)
    own = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        own.register(collector)
    return body + generate_latest(own)
