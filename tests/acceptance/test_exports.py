"""Exports over HTTP and from the command line: every row once, across keyset pages."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import orjson

from tests.support.databases import DbTarget
from tests.support.server import ServerProcess, _env, create_org

COUNT = 2_300  # three pages of messages, five of activities


def _send_scheduled(server: ServerProcess, api_key: str) -> list[str]:
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    numbers = [f"+1415555{2000 + i:04d}" for i in range(COUNT)]
    ids: list[str] = []
    with server.client(api_key) as client:
        for start in range(0, COUNT, 1000):
            body = {"to": numbers[start : start + 1000], "text": "=1+1, \"hi\"\nthere",
                    "scheduled_at": later}  # fmt: skip
            response = client.post("/v1/messages", json=body)
            assert response.status_code == 202, response.text
            ids += [m["id"] for m in response.json()["messages"]]
    return ids


def test_exports_stream_every_row_once(
    server: ServerProcess, org: dict[str, str], db_target: DbTarget
) -> None:
    ids = _send_scheduled(server, org["api_key"])
    other = create_org(db_target, "Other")
    with server.client(org["api_key"]) as client:
        response = client.get("/v1/messages/export")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert "content-length" not in response.headers  # streamed, not built in memory
        assert "attachment" in response.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert sorted(r["id"] for r in rows) == sorted(ids)
        assert rows[0]["text"] == '\'=1+1, "hi"\nthere'  # no formula runs in a spreadsheet
        assert {r["status"] for r in rows} == {"scheduled"}
        assert [r["created_at"] for r in rows] == sorted(
            (r["created_at"] for r in rows), reverse=True
        )

        lines = client.get("/v1/activities/export", params={"format": "ndjson"}).text.splitlines()
        activities = [orjson.loads(line) for line in lines]
        assert len(activities) == 2 * COUNT
        assert len({a["id"] for a in activities}) == 2 * COUNT
        assert {a["message_id"] for a in activities} == set(ids)

        only = client.get(
            "/v1/activities/export", params={"status": "accepted", "format": "ndjson"}
        )
        assert len(only.text.splitlines()) == COUNT
        one = client.get("/v1/messages/export", params={"to": "+14155552005"})
        assert len(list(csv.DictReader(io.StringIO(one.text)))) == 1
        bad = client.get("/v1/messages/export", params={"format": "xlsx"})
        assert bad.status_code == 422
    with server.client(other["api_key"]) as theirs:
        assert theirs.get("/v1/messages/export").text.strip() == ",".join(
            next(csv.reader(io.StringIO(response.text)))
        )


def test_export_command_writes_csv_and_shows_progress(
    server: ServerProcess, org: dict[str, str], db_target: DbTarget
) -> None:
    ids = _send_scheduled(server, org["api_key"])
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    until = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    done = subprocess.run(
        [sys.executable, "-m", "signalpost.cli", "export", "messages", "--from", since,
         "--to", until, "--url", server.url, "--api-key", org["api_key"]],
        env=_env(db_target),
        capture_output=True,
        check=True,
        timeout=120,
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(done.stdout.decode())))
    assert sorted(r["id"] for r in rows) == sorted(ids)
    progress = done.stderr.decode()
    assert "100%" in progress
    assert "rows" in progress
