"""SMPP throughput: submit_sm/s through ``SmppCarrier`` and receipts/s back, to the simulator.

The SMSC simulator runs in its own process (``signalpost smsc-sim``); this process runs the
carrier with its books in a fresh database (SQLite unless a PostgreSQL URL is given).
Phase 1 submits ``messages`` messages in batches of 500 from two concurrent submitters
(like two dispatch loops) while the simulator holds every receipt back; phase 2 releases
them and measures how fast the carrier stores, matches, reports and acknowledges them.
The receipt sink counts (the platform's own apply step is measured by the end-to-end
benchmark).  ``python -m bench.smpp [MESSAGES] [--pg URL]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import orjson

from signalpost.carriers.base import Inbound, Receipt, Submission, SubmitOutcome
from signalpost.carriers.smpp import SmppCarrier
from signalpost.carriers.smpp.config import ConnectionConfig
from signalpost.storage import open_database
from signalpost.storage.migrate import upgrade

__all__ = ["bench_smpp"]

BATCH = 500
SUBMITTERS = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start_simulator(port: int, control: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "signalpost.cli", "smsc-sim", "--port", str(port)),
            *("--control-port", str(control), "--receipt-delay-ms", "3600000"),
        ],
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.readline()  # {"smsc": port, "control": port} once listening
    return process


async def _control(port: int, command: dict[str, object]) -> dict[str, object]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(orjson.dumps(command) + b"\n")
    answer: dict[str, object] = orjson.loads(await reader.readline())
    writer.close()
    return answer


def _submissions(count: int) -> list[Submission]:
    expires = (time.time_ns() // 1000) + 3600 * 1_000_000
    return [
        Submission(
            f"a{i}",
            f"m{i}",
            f"+1415{i:07d}"[:12],
            "Signalpost",
            f"Bench message {i}",
            "sms",
            "GSM-7",
            1,
            expires,
        )
        for i in range(count)
        if not f"{i:07d}".endswith(("0004", "0005"))
    ]


async def _submit_all(carrier: SmppCarrier, subs: Sequence[Submission]) -> int:
    batches = [subs[i : i + BATCH] for i in range(0, len(subs), BATCH)]
    queue: asyncio.Queue[Sequence[Submission]] = asyncio.Queue()
    for b in batches:
        queue.put_nowait(b)
    accepted = 0

    async def submitter() -> None:
        nonlocal accepted
        while not queue.empty():
            results = await carrier.submit(queue.get_nowait())
            accepted += sum(r.outcome == SubmitOutcome.ACCEPTED for r in results)

    await asyncio.gather(*(submitter() for _ in range(SUBMITTERS)))
    return accepted


async def bench_smpp(
    messages: int = 20_000, *, pg_url: str | None = None, window: int = 256
) -> dict[str, float]:
    """Run both phases; returns submit_sm/s, receipts/s and the counts behind them."""
    port, control = _free_port(), _free_port()
    simulator = _start_simulator(port, control)
    workdir = Path(tempfile.mkdtemp(prefix="bench-smpp-"))
    url = pg_url or f"sqlite:///{workdir / 'bench.db'}"
    schema = f"bench_smpp_{os.getpid()}" if pg_url else None
    upgrade(url, schema)
    db = open_database(url, schema=schema, pool_size=4)
    await db.connect()
    received: list[float] = []
    done = asyncio.Event()
    subs = _submissions(messages)

    class Sink:
        async def apply_receipts(self, _carrier: str, receipts: Sequence[Receipt]) -> None:
            received.extend(time.perf_counter() for _ in receipts)
            if len(received) >= len(subs):
                done.set()

        async def apply_inbound(self, _carrier: str, _messages: Sequence[Inbound]) -> None:
            pass

    config = ConnectionConfig(
        name="bench",
        host="127.0.0.1",
        port=port,
        system_id="bench",
        password="bench",
        window=window,
    )
    carrier = SmppCarrier(config, db)
    try:
        await carrier.start(Sink())
        await _submit_all(carrier, subs[:100])  # warm up: bind, compile statements
        started = time.perf_counter()
        accepted = await _submit_all(carrier, subs[100:])
        submit_seconds = time.perf_counter() - started
        if accepted < len(subs) - 100:
            raise RuntimeError(f"only {accepted} of {len(subs) - 100} submits were accepted")
        released_at = time.perf_counter()
        await _control(control, {"cmd": "release"})
        await asyncio.wait_for(done.wait(), 300)
        receipt_seconds = received[-1] - released_at
    finally:
        await carrier.stop()
        await db.close()
        simulator.terminate()
        simulator.wait(10)
    return {
        "messages": float(len(subs) - 100),
        "accepted": float(accepted),
        "submit_sm_per_s": (len(subs) - 100) / submit_seconds,
        "receipts": float(len(received)),
        "receipts_per_s": len(subs) / receipt_seconds,
        "database": 0.0 if pg_url is None else 1.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("messages", type=int, nargs="?", default=20_000)
    parser.add_argument("--pg", help="PostgreSQL URL for the carrier's books")
    args = parser.parse_args()
    figures = asyncio.run(bench_smpp(args.messages, pg_url=args.pg))
    sys.stdout.write(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
