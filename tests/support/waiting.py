"""Waiting for a condition instead of sleeping: poll until it holds or a deadline passes.

Deadlines are generous on purpose (a loaded machine may be ten times slower than an idle
one); a test that passes waits only as long as the condition takes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["eventually"]

T = TypeVar("T")


def eventually(
    check: Callable[[], T | None], *, timeout: float = 60.0, interval: float = 0.05, what: str
) -> T:
    """Call ``check`` until it returns something truthy, and return that; fail after
    ``timeout`` seconds saying ``what`` did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)
