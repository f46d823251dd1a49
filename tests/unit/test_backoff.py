"""The one retry backoff formula (domain/backoff.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from signalpost.dispatch.service import DispatchPolicy
from signalpost.dispatch.service import backoff_seconds as dispatch_backoff
from signalpost.domain.backoff import backoff_delay
from signalpost.webhooks.recording import backoff_seconds as webhook_backoff
from signalpost.webhooks.schemas import DeliveryPolicy


@given(
    failures=st.integers(min_value=-5, max_value=10**6),
    base=st.floats(min_value=0.001, max_value=100),
    ceiling=st.floats(min_value=0.001, max_value=86_400),
)
def test_the_delay_grows_to_its_ceiling_with_jitter(
    failures: int, base: float, ceiling: float
) -> None:
    plain = min(ceiling, base * 2.0 ** min(max(0, failures - 1), 62))
    assert backoff_delay(failures, base, ceiling, draw=lambda low, high: high) == plain
    assert backoff_delay(failures, base, ceiling, draw=lambda low, high: low) == plain * 0.5
    assert plain * 0.5 <= backoff_delay(failures, base, ceiling) <= plain


def _top(low: float, high: float) -> float:
    return high


def test_any_number_of_failures_gives_at_most_the_ceiling() -> None:
    top = _top
    assert backoff_delay(1, 5, 3600, draw=top) == 5
    assert backoff_delay(3, 5, 3600, draw=top) == 20
    assert backoff_delay(10_000, 5, 3600, draw=top) == 3600


def test_dispatch_and_webhooks_share_it_and_survive_long_failure_runs() -> None:
    # The dispatch copy of the formula had no cap on its exponent: 2.0 ** 1100 overflowed.
    assert dispatch_backoff(DispatchPolicy(), 1100) <= DispatchPolicy().retry_max_seconds
    assert webhook_backoff(DeliveryPolicy(), 1100) <= DeliveryPolicy().retry_max_seconds
