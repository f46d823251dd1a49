"""Sender IDs checked against the destination country's rules, in each dialect's own shape."""

from __future__ import annotations

import httpx

from tests.support.databases import DbTarget
from tests.support.server import ServerProcess, cli


def test_sender_rules_per_destination(
    server: ServerProcess, org: dict[str, str], db_target: DbTarget
) -> None:
    with server.client(org["api_key"]) as client:
        refused = client.post(
            "/v1/messages",
            json={"to": ["+14155551234"], "text": "Hi", "from": "ACMECORPORATION"},
        )
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert "sender_alphanumeric_not_allowed" in error["details"]["from"][0]
        assert "US" in error["details"]["from"][0]
        too_long = client.post(
            "/v1/messages", json={"to": ["+447911123456"], "text": "Hi", "from": "ACMECORPORATION"}
        )
        assert too_long.status_code == 422, too_long.text
        assert "sender_too_long" in too_long.json()["error"]["details"]["from"][0]
        fine = client.post(
            "/v1/messages", json={"to": ["+33612345678"], "text": "Hi", "from": "Acme"}
        )
        assert fine.status_code == 202, fine.text
        number = client.post(
            "/v1/messages", json={"to": ["+14155551234"], "text": "Hi", "from": "+14155550100"}
        )
        assert number.status_code == 202, number.text
        listed = client.get("/v1/messages", params={"to": "+14155551234"}).json()
        assert len(listed["data"]) == 1  # the refused send stored nothing

    # sent.dm senders are numbers; India requires them to be registered first
    payload = {
        "to": ["+919876543210"],
        "text": "Hi",
        "channels": {"sms": [{"from": ["+14155550100"]}]},
    }
    with httpx.Client(base_url=server.url, headers={"x-api-key": org["api_key"]}) as sentdm:
        answer = sentdm.post("/v3/messages", json=payload)
        assert 400 <= answer.status_code < 500, answer.text
        assert answer.json()["success"] is False
        assert answer.json()["error"]["code"].startswith("VALIDATION_")
        assert "sender_not_registered" in answer.text
        cli(db_target, "number", "add", "--org", org["id"], "+14155550100")
        again = sentdm.post("/v3/messages", json=payload)
        assert again.status_code in (200, 201, 202), again.text
