"""Metrics exposition: HTTP counts turned into a counter and histogram; multiprocess mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from signalpost.observability.metrics import HttpMetrics, render

COUNT = """
from signalpost.observability.metrics import HttpMetrics, count_status_changes
HttpMetrics().observe("/v1/messages/{id}", "native", 200, 0.002)
count_status_changes([("sent", "sms", "simulator")])
"""
RENDER = """
import sys
from signalpost.observability.metrics import HttpMetrics, render
sys.stdout.write(render(HttpMetrics()).decode())
"""


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_http_requests_are_exposed_as_a_counter_and_a_histogram() -> None:
    metrics = HttpMetrics()
    for seconds in (0.0004, 0.003, 0.003, 20.0):
        metrics.observe("/v1/messages/{id}", "native", 200, seconds)
    metrics.observe("/v1/messages/{id}", "native", 404, 0.001)
    samples = _samples(render(metrics).decode())
    route = (("dialect", "native"), ("route", "/v1/messages/{id}"))
    assert (
        samples[("signalpost_http_requests_total", (*route[:1], route[1], ("status", "200")))] == 4
    )
    assert samples[("signalpost_http_request_seconds_count", route)] == 5
    le = dict(route)
    bucket = "signalpost_http_request_seconds_bucket"
    assert samples[(bucket, tuple(sorted({**le, "le": "0.0005"}.items())))] == 1
    assert samples[(bucket, tuple(sorted({**le, "le": "0.005"}.items())))] == 4
    assert samples[(bucket, tuple(sorted({**le, "le": "+Inf"}.items())))] == 5


def test_multiprocess_mode_adds_up_every_process(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", COUNT], env=env, check=True, timeout=60)
    out = subprocess.run(
        [sys.executable, "-c", RENDER], env=env, check=True, timeout=60, capture_output=True
    ).stdout.decode()
    samples = _samples(out)
    labels = (("dialect", "native"), ("route", "/v1/messages/{id}"), ("status", "200"))
    assert samples[("signalpost_http_requests_total", labels)] == 2
    sent = (("carrier", "simulator"), ("channel", "sms"), ("status", "sent"))
    assert samples[("signalpost_messages_total", sent)] == 2
