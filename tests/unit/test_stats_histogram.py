"""Latency histogram: buckets and quantiles read back from them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from signalpost.stats.histogram import BOUNDS_MS, BUCKETS, bucket_of, quantile_ms


def test_buckets_follow_the_bounds() -> None:
    assert bucket_of(-5_000) == 0
    assert bucket_of(249_999) == 0
    assert bucket_of(250_000) == 1
    assert bucket_of(86_400_000_000) == BUCKETS - 1
    assert quantile_ms([0] * BUCKETS, 0.5) is None


@settings(deadline=None)  # a loaded machine must not fail it
@given(st.lists(st.integers(min_value=0, max_value=100_000_000_000), min_size=1, max_size=300))
def test_quantiles_fall_in_the_bucket_of_the_true_value(latencies_us: list[int]) -> None:
    counts = [0] * BUCKETS
    for value in latencies_us:
        counts[bucket_of(value)] += 1
    ordered = sorted(latencies_us)
    for q in (0.5, 0.95):
        estimate = quantile_ms(counts, q)
        assert estimate is not None
        true = ordered[max(0, -(-int(q * len(ordered) * 1000) // 1000) - 1)]
        index = bucket_of(true)
        low = BOUNDS_MS[index - 1] if index else 0
        high = BOUNDS_MS[index] if index < len(BOUNDS_MS) else low
        assert low <= estimate <= high
