"""The command line for people: version, one-line errors, the database it uses, and a
CSV send of 5,000 rows with its summary of accepted and refused rows."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import orjson
from sqlalchemy import func, select

from signalpost.storage import Query, open_database
from signalpost.storage.tables import messages
from tests.support.databases import DbTarget
from tests.support.server import ServerProcess, _env

NAMES = ["Ada", "Ben", "Cleo", "Dan", "Eve"]


def run(
    db: DbTarget, *args: str, cwd: Path | None = None, key: str = ""
) -> subprocess.CompletedProcess[str]:
    env = _env(db, {"SIGNALPOST_API_KEY": key} if key else None)
    return subprocess.run(
        [sys.executable, "-m", "signalpost.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
    )


def test_version_and_one_line_errors(db_target: DbTarget, tmp_path: Path) -> None:
    version = run(db_target, "--version")
    assert version.returncode == 0
    assert version.stdout.startswith("signalpost ")
    unknown = run(db_target, "profile", "list", "--org", "no-such-org")
    assert unknown.returncode == 1
    assert unknown.stderr.strip().splitlines()[-1] == (
        "signalpost: error: The organization does not exist. (organization_not_found)"
    )
    assert "Traceback" not in unknown.stderr
    down = run(db_target, "status", "x", "--url", "http://127.0.0.1:9", "--api-key", "sp_x")
    assert down.returncode == 1
    assert "cannot reach the server at http://127.0.0.1:9" in down.stderr
    assert "Traceback" not in down.stderr
    missing = run(
        db_target, "send", "--file", str(tmp_path / "nope.csv"), "--text", "x", "--api-key", "sp_x"
    )
    assert missing.returncode == 1
    assert "cannot read" in missing.stderr


def test_admin_commands_name_their_database_and_refuse_a_missing_one(tmp_path: Path) -> None:
    absent = DbTarget(f"sqlite:///{tmp_path / 'absent.db'}")
    result = run(absent, "org", "list")
    assert result.returncode == 1
    assert f"using SQLite {tmp_path / 'absent.db'}" in result.stderr
    assert "no database at" in result.stderr
    assert not (tmp_path / "absent.db").exists()
    relative = DbTarget("sqlite:///./signalpost.db")
    elsewhere = run(relative, "org", "list", cwd=tmp_path)
    assert f"no database at {tmp_path / 'signalpost.db'}" in elsewhere.stderr
    created = run(absent, "migrate")
    assert created.returncode == 0, created.stderr
    listed = run(absent, "org", "list")
    assert listed.returncode == 0
    assert orjson.loads(listed.stdout) == []


def _rows(count: int) -> tuple[list[dict[str, str]], dict[int, str]]:
    """CSV rows, and the reason each refused row (by file line) should get."""
    rows: list[dict[str, str]] = []
    refused: dict[int, str] = {}
    last_accepted = ""
    for i in range(count):
        line = i + 2
        to, name = f"+1415555{1000 + i}", NAMES[i % len(NAMES)]
        if i % 97 == 5:
            to = "555-01"
            refused[line] = "invalid phone number"
        elif i % 101 == 7:
            to = last_accepted
            refused[line] = "duplicate of line"
        elif i % 89 == 3:
            name = ""
            refused[line] = "missing template variables: name"
        else:
            last_accepted = to
        rows.append({"to": to, "name": name, "unused": "x"})
    return rows, refused


def test_a_csv_send_of_5000_rows(
    server: ServerProcess, org: dict[str, str], db_target: DbTarget, tmp_path: Path
) -> None:
    rows, expected = _rows(5000)
    path = tmp_path / "recipients.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["to", "name", "unused"])
        writer.writeheader()
        writer.writerows(rows)
    result = run(
        db_target,
        "send",
        "--file",
        str(path),
        "--text",
        "Hello {{name}}",
        "--url",
        server.url,
        key=org["api_key"],
    )
    assert result.returncode == 1, result.stderr  # some rows were refused
    summary = orjson.loads(result.stdout)
    assert summary["rows"] == 5000
    assert summary["refused"] == len(expected)
    assert summary["accepted"] == 5000 - len(expected)
    assert summary["requests"] <= 5 * 3  # batched: a few requests per distinct text
    got = {r["line"]: r["reason"] for r in summary["refusals"]}
    assert set(got) == set(expected)
    for line, reason in expected.items():
        assert got[line].startswith(reason), (line, got[line])
    assert _stored(db_target) == summary["accepted"]


def _stored(db: DbTarget) -> int:
    import asyncio

    async def count() -> int:
        database = open_database(db.url, schema=db.schema, pool_size=1)
        await database.connect()
        try:
            async with database.reader() as conn:
                return int(await conn.fetchval(Query(select(func.count()).select_from(messages))))
        finally:
            await database.close()

    return asyncio.run(count())


def _on_a_terminal(db: DbTarget, *args: str) -> str:
    """Run with stdout on a pseudo-terminal, as a person would."""
    import os
    import pty

    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "signalpost.cli", *args],
        env=_env(db),
        stdout=slave,
        stderr=subprocess.DEVNULL,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert process.wait(60) == 0
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_tables_on_a_terminal_and_json_on_request(db_target: DbTarget, org: dict[str, str]) -> None:
    shown = _on_a_terminal(db_target, "key", "list", "--org", org["id"])
    header, row = shown.strip().splitlines()[:2]
    assert header.split()[:3] == ["ID", "NAME", "PREFIX"]
    assert row.split()[:2] == [org["key_id"], "default"]
    as_json = _on_a_terminal(db_target, "key", "list", "--org", org["id"], "--json")
    assert orjson.loads(as_json)[0]["id"] == org["key_id"]
