"""`GET /v1/stats` over HTTP: the simulator's outcomes counted, tenants kept apart."""

from __future__ import annotations

from tests.acceptance.test_native_flow import wait_final
from tests.support.databases import DbTarget
from tests.support.server import ServerProcess, create_key, create_org, create_profile


def test_stats_count_the_outcomes_of_a_send(
    server: ServerProcess, org: dict[str, str], db_target: DbTarget
) -> None:
    numbers = ["+14155551234", "+14155552222", "+14155550001", "+14155550002", "+14155550003"]
    profile = create_profile(db_target, org["id"], "Support")
    profile_key = create_key(db_target, org["id"], profile_id=profile["id"])
    other = create_org(db_target, "Other")
    with server.client(org["api_key"]) as client, server.client(profile_key["api_key"]) as mine:
        sent = client.post("/v1/messages", json={"to": numbers, "text": "Hello"}).json()
        wait_final(client, [m["id"] for m in sent["messages"]])
        sent = mine.post("/v1/messages", json={"to": ["+14155553333"], "text": "Hi"}).json()
        wait_final(mine, [m["id"] for m in sent["messages"]])

        report = client.get("/v1/stats", params={"group_by": "status"}).json()
        totals = report["totals"]
        assert totals["messages"] == 6
        assert totals["statuses"] == {"delivered": 3, "expired": 1, "failed": 1, "rejected": 1}
        assert totals["delivery_rate"] == 0.5
        assert totals["delivery_time_ms"]["median"] is not None
        assert totals["segments"] == 6
        assert totals["cost"]["amount_micros"] > 0
        assert {d["group"]: d["messages"] for d in report["data"]} == {
            "delivered": 3,
            "expired": 1,
            "failed": 1,
            "rejected": 1,
        }
        by_profile = client.get("/v1/stats", params={"group_by": "profile"}).json()
        assert {d["group"]: d["messages"] for d in by_profile["data"]} == {
            org["id"]: 5,
            profile["id"]: 1,
        }
        assert mine.get("/v1/stats").json()["totals"]["statuses"] == {"delivered": 1}
        daily = client.get("/v1/stats", params={"interval": "day", "group_by": "country"}).json()
        assert [d["group"] for d in daily["data"]] == ["US"]
    with server.client(other["api_key"]) as theirs:
        assert theirs.get("/v1/stats").json()["totals"]["messages"] == 0


def test_stats_refuse_bad_parameters(server: ServerProcess, org: dict[str, str]) -> None:
    with server.client(org["api_key"]) as client:
        for params in (
            {"interval": "week"},
            {"group_by": "colour"},
            {"from": "yesterday"},
            {"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
            {"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
        ):
            response = client.get("/v1/stats", params=params)
            assert response.status_code == 422, (params, response.text)
            assert response.json()["error"]["code"] == "validation_failed"
        assert client.get("/v1/stats", headers={"authorization": ""}).status_code == 401
