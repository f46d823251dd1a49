"""SMPP acceptance: a real server (SIGNALPOST_CARRIER=smpp) and a real ``signalpost
smsc-sim`` process over TCP on loopback, on both databases."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from signalpost.storage import Query, open_database
from signalpost.storage.tables import activities, messages, smpp_messages
from tests.support.databases import DbTarget
from tests.support.processes import spawn, stop
from tests.support.server import ServerProcess, free_port, running_server

pytestmark = pytest.mark.slow

SPECIAL = ["0001", "0002", "0003", "0004", "0005"]
EXPECTED = {
    "0001": ("failed", "DELIVERY_001"),
    "0002": ("rejected", "DELIVERY_003"),
    "0003": ("expired", "DELIVERY_002"),
    "0004": ("delivered", None),
    "0005": ("sent", None),  # accepted, no receipt ever: it expires with its validity
}


@contextmanager
def smsc_process(tmp: Path, *args: str) -> Iterator[tuple[int, int]]:
    port, control = free_port(), free_port()
    command = [sys.executable, "-m", "signalpost.cli", "smsc-sim", "--port", str(port)]
    command += ["--control-port", str(control), *args]
    process = spawn(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        assert ready == {"smsc": port, "control": control}
        yield port, control
    finally:
        stop(process)


def control(port: int, command: dict[str, Any]) -> dict[str, Any]:
    async def ask() -> dict[str, Any]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(json.dumps(command).encode() + b"\n")
        answer: dict[str, Any] = json.loads(await reader.readline())
        writer.close()
        return answer

    return asyncio.run(ask())


def smpp_env(tmp: Path, port: int, org_id: str) -> dict[str, str]:
    config = tmp / "smpp.toml"
    config.write_text(
        f"""
[[connections]]
name = "smsc"
host = "127.0.0.1"
port = {port}
system_id = "signalpost"
password = "secret"
window = 256
reconnect_min_seconds = 0.05
reconnect_max_seconds = 0.5
throttle_pause_seconds = 0.01
throttle_pause_max_seconds = 0.2
throttle_retries = 50
inbound = {{ organization_id = "{org_id}" }}
"""
    )
    return {
        "SIGNALPOST_CARRIER": "smpp",
        "SIGNALPOST_SMPP_CONFIG": str(config),
        "SIGNALPOST_MAX_SUBMIT_ATTEMPTS": "30",
    }


def numbers(count: int) -> list[str]:
    """Unique valid numbers; one in ten ends in a special suffix."""
    found = []
    for i in range(count):
        exchange = 201 + i // 50
        slot = i % 50
        line = SPECIAL[slot // 10] if slot % 10 == 0 else f"{1000 + slot}"
        found.append(f"+1415{exchange}{line}")
    return found


def suffix_of(number: str) -> str:
    return number[-4:] if number[-4:] in SPECIAL else "other"


async def _rows(db: DbTarget, ids: list[str]) -> list[Any]:
    database = open_database(db.url, schema=db.schema, pool_size=2)
    await database.connect()
    try:
        async with database.reader() as conn:
            stmt = select(
                messages.c.id,
                messages.c.to_number,
                messages.c.status,
                messages.c.reason_code,
                messages.c.carrier_message_id,
            )
            rows = await conn.fetch(Query(stmt))
    finally:
        await database.close()
    wanted = set(ids)
    return [r for r in rows if r["id"] in wanted]


async def _counts(db: DbTarget, stmt: Any) -> list[Any]:
    database = open_database(db.url, schema=db.schema, pool_size=2)
    await database.connect()
    try:
        async with database.reader() as conn:
            return list(await conn.fetch(Query(stmt)))
    finally:
        await database.close()


def wait_settled(db: DbTarget, ids: list[str], timeout: float) -> list[Any]:
    """Until every message is in its expected state (0005 stays sent)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = asyncio.run(_rows(db, ids))
        pending = [
            r for r in rows if r["status"] != EXPECTED.get(r["to_number"][-4:], ("delivered",))[0]
        ]
        if not pending and len(rows) == len(ids):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{len(pending)} not settled, e.g. {[dict(r) for r in pending[:3]]}"
            )
        time.sleep(0.5)


def check_each_message(db: DbTarget, rows: list[Any]) -> None:
    """Right state and reason, receipt matched by carrier id, one final activity each."""
    for row in rows:
        status, reason = EXPECTED.get(row["to_number"][-4:], ("delivered", None))
        assert (row["status"], row["reason_code"]) == (status, reason), dict(row)
        assert row["carrier_message_id"], dict(row)
    per_status = select(activities.c.message_id, activities.c.status, func.count()).group_by(
        activities.c.message_id, activities.c.status
    )
    counts = asyncio.run(_counts(db, per_status))
    retry_steps = ("queued", "processed", "routed")  # repeated by transient refusals (0004)
    assert [tuple(r) for r in counts if r[2] != 1 and r[1] not in retry_steps] == []
    books = asyncio.run(
        _counts(db, select(smpp_messages.c.message_id, smpp_messages.c.id, smpp_messages.c.outcome))
    )
    by_message = {r[0]: (r[1], r[2]) for r in books}
    for row in rows:
        group_id, outcome = by_message[row["id"]]
        assert group_id == row["carrier_message_id"]
        expected = None if row["status"] == "sent" else row["status"]
        assert outcome == expected


def send(server: ServerProcess, api_key: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=120.0) as client:
        response = client.post("/v1/messages", json=payload)
        assert response.status_code == 202, response.text
        created: list[dict[str, Any]] = response.json()["messages"]
        return created


def test_ten_thousand_messages_end_in_the_right_state(
    db_target: DbTarget, tmp_path: Path, org: dict[str, str]
) -> None:
    with (
        smsc_process(tmp_path, "--receipt-delay-ms", "200") as (port, ctl),
        running_server(
            db_target, tmp_path, extra_env=smpp_env(tmp_path, port, org["id"])
        ) as server,
    ):
        to = numbers(10_000)
        started = time.monotonic()
        created = send(server, org["api_key"], {"to": to, "text": "Your code is 123456"})
        assert len(created) == 10_000
        rows = wait_settled(db_target, [m["id"] for m in created], 90)
        elapsed = time.monotonic() - started
        sys.stderr.write(f"10,000 messages settled in {elapsed:.1f}s\n")
        check_each_message(db_target, rows)
        tally = Counter(suffix_of(r["to_number"]) for r in rows)
        assert tally["0004"] == tally["0001"] == 200
        stats = control(ctl, {"cmd": "stats"})
        assert stats["destinations_accepted_twice"] == 0
        assert stats["accepted"] == 10_000
        assert stats["ESME_RSYSERR"] == 400  # two transient refusals per 0004 number
    assert elapsed < 90


def test_drops_and_throttling_lose_and_duplicate_nothing(
    db_target: DbTarget, tmp_path: Path, org: dict[str, str]
) -> None:
    sim_args = ("--drop-every", "400", "--throttle-rate", "1500", "--receipt-delay-ms", "100")
    with (
        smsc_process(tmp_path, *sim_args) as (port, ctl),
        running_server(
            db_target, tmp_path, extra_env=smpp_env(tmp_path, port, org["id"])
        ) as server,
    ):
        to = numbers(3000)
        created = send(server, org["api_key"], {"to": to, "text": "Drop test"})
        rows = wait_settled(db_target, [m["id"] for m in created], 90)
        check_each_message(db_target, rows)
        stats = control(ctl, {"cmd": "stats"})
        assert stats["drops"] >= 5
        assert stats["ESME_RTHROTTLED"] > 0
        assert stats["destinations_accepted_twice"] == 0
        assert stats["accepted"] == 3000


def test_long_ucs2_message_with_a_failed_part(
    db_target: DbTarget, tmp_path: Path, org: dict[str, str]
) -> None:
    body = "Ваш заказ № 7 готов к выдаче в пункте самовывоза до пятницы. " * 3  # 3 parts
    with (
        smsc_process(tmp_path, "--receipt-delay-ms", "50") as (port, ctl),
        running_server(
            db_target, tmp_path, extra_env=smpp_env(tmp_path, port, org["id"])
        ) as server,
    ):
        script = {
            "cmd": "script",
            "parts": ["delivered", "failed", "delivered"],
            "order": "reverse",
        }
        assert control(ctl, {**script, "destination": "+14155550100"})["ok"]
        assert control(ctl, {**script, "destination": "+14155550200", "parts": ["delivered"] * 3})[
            "ok"
        ]
        [failed, delivered] = send(
            server, org["api_key"], {"to": ["+14155550100", "+14155550200"], "text": body}
        )
        assert failed["segments"] == 3
        with server.client(org["api_key"]) as client:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                a = client.get(f"/v1/messages/{failed['id']}").json()
                b = client.get(f"/v1/messages/{delivered['id']}").json()
                if a["status"] == "failed" and b["status"] == "delivered":
                    break
                time.sleep(0.2)
            assert (a["status"], a["reason_code"]) == ("failed", "DELIVERY_001")
            assert b["status"] == "delivered"
            statuses = [e["status"] for e in a["events"]]
            assert statuses.count("sent") == 1
            assert statuses.count("failed") == 1
        assert control(ctl, {"cmd": "stats"})["accepted"] == 6
