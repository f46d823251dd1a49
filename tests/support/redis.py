"""The Redis of tests that count rate limits there (``SIGNALPOST_TEST_REDIS_URL``)."""

from __future__ import annotations

import os

import pytest

__all__ = ["REDIS_URL", "redis_required"]

REDIS_URL = os.environ.get("SIGNALPOST_TEST_REDIS_URL")


def redis_required() -> str:
    """The Redis URL; in CI a missing one fails loudly instead of skipping."""
    if REDIS_URL:
        return REDIS_URL
    if os.environ.get("CI"):
        pytest.fail("SIGNALPOST_TEST_REDIS_URL is not set: Redis tests must run in CI")
    pytest.skip("Redis tests need SIGNALPOST_TEST_REDIS_URL")
