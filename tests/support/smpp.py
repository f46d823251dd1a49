"""Helpers for SMPP tests: an in-process SMSC simulator on a free port, fast connection
settings, submissions and carrier events that record what the platform would apply."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from signalpost.carriers.base import Inbound, Receipt, Submission
from signalpost.carriers.smpp.config import ConnectionConfig
from signalpost.smsc_sim import SimulatorSettings, SmscSimulator

__all__ = ["RecordingSink", "connection", "running_smsc", "submission", "wait_until"]


@asynccontextmanager
async def running_smsc(**settings: Any) -> AsyncIterator[SmscSimulator]:
    options: dict[str, Any] = {"port": 0, "receipt_delay_ms": 20, "down_seconds": 0.1}
    sim = SmscSimulator(SimulatorSettings(**{**options, **settings}))
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


def connection(sim: SmscSimulator, name: str = "smsc-a", **overrides: Any) -> ConnectionConfig:
    values: dict[str, Any] = {
        "name": name,
        "host": "127.0.0.1",
        "port": sim.port,
        "system_id": "signalpost",
        "password": "secret",
        "window": 64,
        "reconnect_min_seconds": 0.02,
        "reconnect_max_seconds": 0.2,
        "throttle_pause_seconds": 0.01,
        "throttle_pause_max_seconds": 0.1,
        "bind_wait_seconds": 1.0,
        "response_timeout": 5.0,
    }
    values.update(overrides)
    return ConnectionConfig(**values)


def submission(
    to: str, body: str = "Hello from Signalpost", *, key: str | None = None
) -> Submission:
    message_id = key or f"m-{to}-{time.monotonic_ns()}"
    return Submission(
        attempt_id=f"a-{time.monotonic_ns()}",
        message_id=message_id,
        to=to,
        sender="Signalpost",
        body=body,
        channel="sms",
        encoding="GSM-7",
        segments=1,
        expires_at=time.time_ns() // 1000 + 3600 * 1_000_000,
    )


class RecordingSink:
    """Carrier events that record every call, optionally failing the first ``fail`` calls
    with receipts and the first ``fail_inbound`` calls with inbound messages."""

    def __init__(self, fail: int = 0, *, fail_inbound: int = 0) -> None:
        self.receipts: list[tuple[str, Receipt]] = []
        self.inbound: list[tuple[str, Inbound]] = []
        self.fail = fail
        self.fail_inbound = fail_inbound

    async def apply_receipts(self, carrier: str, receipts: Sequence[Receipt]) -> None:
        if self.fail:
            self.fail -= 1
            raise RuntimeError("the platform is briefly unavailable")
        self.receipts.extend((carrier, r) for r in receipts)

    async def apply_inbound(self, carrier: str, messages: Sequence[Inbound]) -> None:
        if self.fail_inbound:
            self.fail_inbound -= 1
            raise RuntimeError("the platform is briefly unavailable")
        self.inbound.extend((carrier, m) for m in messages)

    def by_id(self) -> dict[str, list[Receipt]]:
        found: dict[str, list[Receipt]] = {}
        for _, receipt in self.receipts:
            found.setdefault(receipt.carrier_message_id, []).append(receipt)
        return found


async def wait_until(check: Callable[[], bool], timeout: float = 60.0) -> None:
    """Until ``check()`` holds; the deadline is generous, a passing test never waits it out."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
