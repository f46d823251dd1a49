"""Accepted-to-delivered latency as a fixed histogram: buckets add up across rows and hours.

Pure: the bounds, the bucket of a latency, and quantiles read back from bucket counts (linear
inside the bucket that holds the quantile, so an estimate is never further from the truth
than that bucket's width).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["BOUNDS_MS", "BUCKETS", "bucket_of", "quantile_ms"]

# Upper bounds (exclusive) in milliseconds; the last bucket is open-ended.
BOUNDS_MS: tuple[int, ...] = (
    250,
    500,
    1_000,
    2_000,
    3_000,
    5_000,
    10_000,
    20_000,
    30_000,
    60_000,
    120_000,
    300_000,
    600_000,
    1_800_000,
    3_600_000,
    10_800_000,
    21_600_000,
    43_200_000,
    86_400_000,
)
BUCKETS = len(BOUNDS_MS) + 1


def bucket_of(latency_us: int) -> int:
    """The bucket index of a latency in microseconds (negative clock skew counts as zero)."""
    ms = max(latency_us, 0) // 1000
    for index, bound in enumerate(BOUNDS_MS):
        if ms < bound:
            return index
    return len(BOUNDS_MS)


def quantile_ms(counts: Sequence[int], q: float) -> float | None:
    """The ``q`` quantile (0..1) of the histogram in milliseconds; ``None`` when empty."""
    total = sum(counts)
    if total <= 0:
        return None
    rank = q * total
    seen = 0
    for index, count in enumerate(counts):
        if count <= 0:
            continue
        if seen + count >= rank:
            low = BOUNDS_MS[index - 1] if index > 0 else 0
            if index >= len(BOUNDS_MS):
                return float(low)
            high = BOUNDS_MS[index]
            return low + (high - low) * max(rank - seen, 0) / count
        seen += count
    return float(BOUNDS_MS[-1])
