"""A circuit breaker per carrier: keeps traffic off a carrier that keeps failing.

Closed: submits flow; ``threshold`` consecutive failures open it.  Open: the carrier is
skipped by routes for ``open_seconds``.  Half-open: one probe goes through; its success
closes the circuit, its failure opens it again (a probe with no answer within
``open_seconds`` lets another one through).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

__all__ = ["CircuitBreaker", "CircuitState"]


class CircuitState(StrEnum):
    CLOSED = "closed"  # traffic flows
    OPEN = "open"  # failing: kept off until the wait is over
    HALF_OPEN = "half_open"  # one probe is allowed through


class CircuitBreaker:
    def __init__(
        self,
        *,
        threshold: int = 5,
        open_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.open_seconds = open_seconds
        self.clock = clock
        self.failures = 0
        self._opened_at: float | None = None
        self._probe_at: float | None = None

    @property
    def state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self.clock() - self._opened_at < self.open_seconds:
            return CircuitState.OPEN
        return CircuitState.HALF_OPEN

    def allows(self) -> bool:
        """Whether a submit may go to the carrier now (taking the probe when half-open)."""
        state = self.state
        if state == CircuitState.CLOSED:
            return True
        if state == CircuitState.OPEN:
            return False
        now = self.clock()
        if self._probe_at is not None and now - self._probe_at < self.open_seconds:
            return False
        self._probe_at = now
        return True

    def success(self) -> None:
        self.failures = 0
        self._opened_at = None
        self._probe_at = None

    def failure(self) -> None:
        self.failures += 1
        if self._opened_at is not None or self.failures >= self.threshold:
            self._opened_at = self.clock()
            self._probe_at = None
