"""Retry backoff, one formula for every retry of the platform.

``delay(n) = min(ceiling, base * 2^(n-1)) * U(low, 1)`` after the ``n``-th failure in a row
(1-based): exponential growth up to a ceiling, with jitter so that retries of many failures
at once spread out.  The exponent is capped, so any number of failures gives the ceiling.
"""

from __future__ import annotations

import random
from collections.abc import Callable

__all__ = ["backoff_delay"]

_MAX_EXPONENT = 62


def backoff_delay(
    failures: int,
    base: float,
    ceiling: float,
    *,
    low: float = 0.5,
    draw: Callable[[float, float], float] = random.uniform,
) -> float:
    """Seconds to wait after ``failures`` failures in a row (values below 1 count as 1)."""
    exponent = float(2 ** min(max(0, failures - 1), _MAX_EXPONENT))
    return float(min(ceiling, base * exponent) * draw(low, 1.0))
