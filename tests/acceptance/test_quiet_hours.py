"""Quiet hours over HTTP: a marketing message waits, scheduled, until the recipient's window
opens and is then sent; a transactional one goes at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.acceptance.test_compliance_smpp import _final
from tests.support.server import ServerProcess

TO = "+14155551234"  # Los Angeles


def _clock(t: datetime) -> str:
    """A time of day as the API writes it back: seconds only when there are some."""
    return f"{t:%H:%M}" if t.second == 0 else f"{t:%H:%M:%S}"


def test_marketing_waits_for_the_window(server: ServerProcess, org: dict[str, str]) -> None:
    local = datetime.now(UTC).astimezone(ZoneInfo("America/Los_Angeles"))
    start, end = local - timedelta(minutes=1), local + timedelta(seconds=10)
    window = f"{_clock(start)}-{_clock(end)}"
    with server.client(org["api_key"]) as client:
        put = client.put("/v1/compliance", json={"quiet_hours": {"US": window}})
        assert put.status_code == 200, put.text
        assert put.json()["quiet_hours"] == {"US": window}
        bad = client.put("/v1/compliance", json={"quiet_hours": {"US": "late-early"}})
        assert bad.status_code == 422, bad.text
        assert "quiet_hours.US" in bad.json()["error"]["details"]

        send = client.post(
            "/v1/messages", json={"to": [TO], "text": "Sale", "category": "marketing"}
        )
        assert send.status_code == 202, send.text
        held = send.json()["messages"][0]
        assert held["status"] == "scheduled"
        now = client.post(
            "/v1/messages", json={"to": [TO], "text": "Code 1234", "category": "transactional"}
        ).json()["messages"][0]
        assert now["status"] == "queued"
        assert _final(client, now["id"])["status"] == "delivered"

        body = _final(client, held["id"])
        assert body["status"] == "delivered"
        statuses = [e["status"] for e in body["events"]]
        assert statuses[:3] == ["accepted", "scheduled", "queued"]
        reason = body["events"][1]["description"]
        assert f"quiet hours ({window} local time)" in reason
        wrong = client.post("/v1/messages", json={"to": [TO], "text": "x", "category": "promo"})
        assert wrong.status_code == 422, wrong.text
        assert "category" in wrong.json()["error"]["details"]
