"""Issue acceptance over HTTP: a real server process, the simulator, both databases."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.databases import DbTarget
from tests.support.server import ServerProcess, create_org, create_profile

FINAL = {"delivered", "read", "failed", "expired", "rejected", "blocked", "filtered", "cancelled"}


def wait_final(
    client: httpx.Client, ids: list[str], timeout: float = 60.0, read: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Poll until every message is final (and those in ``read`` have been read)."""
    deadline = time.monotonic() + timeout
    found: dict[str, Any] = {}
    while time.monotonic() < deadline:
        for message_id in ids:
            if message_id in found:
                continue
            body = client.get(f"/v1/messages/{message_id}").json()
            read_pending = message_id in read and body["status"] == "delivered"
            if body["status"] in FINAL and not read_pending:
                found[message_id] = body
        if len(found) == len(ids):
            return found
        time.sleep(0.1)
    raise AssertionError(f"not final in time: {set(ids) - set(found)}")


def test_simulator_outcomes_end_to_end(server: ServerProcess, org: dict[str, str]) -> None:
    numbers = ["+14155551234", "+14155550001", "+14155550002", "+14155550003"]
    expected = ["delivered", "failed", "rejected", "expired"]
    with server.client(org["api_key"]) as client:
        response = client.post(
            "/v1/messages", json={"to": numbers, "text": "Hello from Signalpost"}
        )
        assert response.status_code == 202, response.text
        sent = response.json()
        assert len(sent["messages"]) == 4
        ids = [m["id"] for m in sent["messages"]]
        final = wait_final(client, ids)
        for message_id, number, outcome in zip(ids, numbers, expected, strict=True):
            body = final[message_id]
            assert body["to"] == number
            assert body["status"] == outcome
            assert len(body["events"]) >= 3
            statuses = [e["status"] for e in body["events"]]
            assert statuses[0] == "accepted"
            assert statuses[-1] == outcome
            if outcome != "delivered":
                assert body["reason_code"]
                assert body["events"][-1]["reason_code"] == body["reason_code"]
            activities = client.get(f"/v1/messages/{message_id}/activities").json()["activities"]
            assert [a["status"] for a in activities] == list(reversed(statuses))


def test_whatsapp_is_read_and_transient_errors_retry(
    server: ServerProcess, org: dict[str, str]
) -> None:
    with server.client(org["api_key"]) as client:
        response = client.post(
            "/v1/messages",
            json={
                "to": ["+14155551234", "+14155550004"],
                "text": "hi",
                "channels": ["sms", "whatsapp"],
            },
        )
        assert response.status_code == 202
        messages = response.json()["messages"]
        assert len(messages) == 4
        read = frozenset(
            m["id"] for m in messages if m["channel"] == "whatsapp" and m["to"].endswith("1234")
        )
        final = wait_final(client, [m["id"] for m in messages], read=read)
        by_key = {(m["to"], m["channel"]): final[m["id"]] for m in messages}
        assert by_key[("+14155551234", "whatsapp")]["status"] == "read"
        assert by_key[("+14155551234", "sms")]["status"] == "delivered"
        flaky = by_key[("+14155550004", "sms")]
        assert flaky["status"] == "delivered"
        assert flaky["attempts"] == 3
        assert [e["status"] for e in flaky["events"]].count("queued") == 3


def test_tenancy_and_auth(server: ServerProcess, org: dict[str, str], db_target: DbTarget) -> None:
    other = create_org(db_target, "Other")
    with server.client(org["api_key"]) as client:
        message_id = client.post("/v1/messages", json={"to": ["+14155551234"], "text": "x"}).json()[
            "messages"
        ][0]["id"]
    with server.client(other["api_key"]) as intruder:
        for path in (f"/v1/messages/{message_id}", f"/v1/messages/{message_id}/activities"):
            response = intruder.get(path)
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "message_not_found"
        assert intruder.post(f"/v1/messages/{message_id}/cancel").status_code == 404
        assert intruder.get("/v1/messages").json()["data"] == []
        assert intruder.get("/v1/activities").json()["data"] == []
        # naming a profile of another organization is refused
        profile = create_profile(db_target, org["id"], "Child")
        response = intruder.get("/v1/messages", headers={"x-profile-id": profile["id"]})
        assert response.status_code == 403
    with server.client() as anonymous:
        response = anonymous.get(f"/v1/messages/{message_id}")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "missing_api_key"
    with server.client("sp_not-a-real-key") as bad:
        assert bad.get(f"/v1/messages/{message_id}").status_code == 401


def test_bad_input_gets_details_and_stores_nothing(
    server: ServerProcess, org: dict[str, str]
) -> None:
    with server.client(org["api_key"]) as client:
        cases: list[tuple[dict[str, Any], str]] = [
            ({"to": ["+14155551234", "not-a-number"], "text": "hi"}, "to[1]"),
            ({"to": ["+14155551234"], "text": ""}, "text"),
            ({"to": [], "text": "hi"}, "to"),
            ({"to": ["+14155551234"], "text": "hi", "channels": ["pigeon"]}, "channels"),
            ({"to": ["+14155551234"], "template": {"name": "nope"}}, "template"),
        ]
        for body, field in cases:
            response = client.post("/v1/messages", json=body)
            assert response.status_code == 422, response.text
            error = response.json()["error"]
            assert field in error["details"], error
        assert client.post("/v1/messages", content=b"{not json").status_code == 400
        assert client.get("/v1/messages/not-a-uuid").status_code == 400
        assert client.get("/v1/messages").json()["data"] == []
        assert client.get("/v1/activities").json()["data"] == []


def test_templates_idempotency_and_cancel(server: ServerProcess, org: dict[str, str]) -> None:
    with server.client(org["api_key"]) as client:
        created = client.post(
            "/v1/templates", json={"name": "welcome", "body": "Hi {{name}}, code {{code}}"}
        )
        assert created.status_code == 201, created.text
        assert created.json()["variables"] == ["name", "code"]
        missing = client.post(
            "/v1/messages",
            json={
                "to": ["+14155551234"],
                "template": {"name": "welcome", "parameters": {"name": "Ann"}},
            },
        )
        assert missing.status_code == 422
        assert "template.parameters" in missing.json()["error"]["details"]
        body = {
            "to": ["+14155551234"],
            "template": {"name": "welcome", "parameters": {"name": "Ann", "code": 42}},
        }
        headers = {"Idempotency-Key": "order-1"}
        first = client.post("/v1/messages", json=body, headers=headers)
        again = client.post("/v1/messages", json=body, headers=headers)
        assert first.status_code == again.status_code == 202
        assert first.json() == again.json()
        assert again.headers["idempotent-replayed"] == "true"
        different = client.post(
            "/v1/messages", json={**body, "to": ["+14155550001"]}, headers=headers
        )
        assert different.status_code == 422
        message_id = first.json()["messages"][0]["id"]
        assert client.get(f"/v1/messages/{message_id}").json()["text"] == "Hi Ann, code 42"
        assert len(client.get("/v1/messages").json()["data"]) == 1

        in_a_month = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        later = client.post(
            "/v1/messages",
            json={"to": ["+14155551234"], "text": "later", "scheduled_at": in_a_month},
        ).json()["messages"][0]
        assert later["status"] == "scheduled"
        cancelled = client.post(f"/v1/messages/{later['id']}/cancel")
        assert cancelled.status_code == 200
        assert cancelled.json()["status"] == "cancelled"
        assert cancelled.json()["reason_code"] == "SCHEDULE_001"
        assert client.post(f"/v1/messages/{later['id']}/cancel").status_code == 409


def test_listing_filters_and_pagination(server: ServerProcess, org: dict[str, str]) -> None:
    with server.client(org["api_key"]) as client:
        numbers = [f"+1415555{1000 + i}" for i in range(7)] + ["+14155550001"]
        ids = [
            m["id"]
            for m in client.post("/v1/messages", json={"to": numbers, "text": "x"}).json()[
                "messages"
            ]
        ]
        wait_final(client, ids)
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
            page = client.get("/v1/messages", params=params).json()
            seen += [m["id"] for m in page["data"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert sorted(seen) == sorted(ids)
        assert len(seen) == len(set(seen))
        failed = client.get("/v1/messages", params={"status": "failed"}).json()["data"]
        assert [m["to"] for m in failed] == ["+14155550001"]
        acts = client.get("/v1/activities", params={"status": "delivered", "limit": "100"}).json()[
            "data"
        ]
        assert len(acts) == 7
        assert all(a["status"] == "delivered" for a in acts)
        one = client.get("/v1/activities", params={"to": "+14155550001"}).json()["data"]
        assert {a["message_id"] for a in one} == {ids[-1]}
        assert one[0]["id"] > one[-1]["id"]  # newest first
