"""The one suppression list over HTTP: native API, CSV, profiles, and the dialects' views."""

from __future__ import annotations

import csv
import io

import httpx

from tests.support.databases import DbTarget
from tests.support.server import ServerProcess, create_profile

A, B, C = "+14155552001", "+14155552002", "+14155552003"


def test_suppression_list(server: ServerProcess, org: dict[str, str], db_target: DbTarget) -> None:
    with server.client(org["api_key"]) as client:
        added = client.post("/v1/suppressions", json={"phone_numbers": [A], "reason": "asked"})
        assert added.status_code == 201, added.text
        entry = added.json()["data"][0]
        assert (entry["phone_number"], entry["reason"], entry["source"]) == (A, "asked", "api")
        bad = client.post("/v1/suppressions", json={"phone_numbers": ["12"]})
        assert bad.status_code == 422, bad.text
        assert "phone_numbers.0" in bad.json()["error"]["details"]

        sent = client.post("/v1/messages", json={"to": [A, B], "text": "Hi"}).json()["messages"]
        assert [m["status"] for m in sent] == ["filtered", "queued"]
        assert client.get(f"/v1/messages/{sent[0]['id']}").json()["reason_code"] == "CONSENT_001"

        # the organization's list covers its profiles
        profile = create_profile(db_target, org["id"], "Shop")
        headers = {"x-profile-id": profile["id"]}
        from_profile = client.post("/v1/messages", json={"to": [A], "text": "Hi"}, headers=headers)
        assert from_profile.json()["messages"][0]["status"] == "filtered"
        # ... and only the organization can take a number off its own list
        kept = client.delete(f"/v1/suppressions/{A}", headers=headers)
        assert kept.status_code == 409, kept.text
        assert kept.json()["error"]["code"] == "suppressed_by_organization"
        again = client.post("/v1/messages", json={"to": [A], "text": "Hi"}, headers=headers)
        assert again.json()["messages"][0]["status"] == "filtered"
        own = client.post("/v1/suppressions", json={"phone_numbers": [B]}, headers=headers)
        assert own.status_code == 201, own.text
        org_send = client.post("/v1/messages", json={"to": [B], "text": "Hi"}).json()
        assert org_send["messages"][0]["status"] == "queued"  # a profile's entry is its own

        imported = client.post(
            "/v1/suppressions.csv",
            content=f"phone_number,reason\n{C},bounced twice\nnot-a-number,x\n".encode(),
            headers={"content-type": "text/csv"},
        )
        assert imported.status_code == 200, imported.text
        summary = imported.json()
        assert summary["imported"] == 1
        assert [(r["row"], r["value"]) for r in summary["refused"]] == [(3, "not-a-number")]

        exported = client.get("/v1/suppressions.csv")
        assert exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert {(r["phone_number"], r["source"]) for r in rows} == {(A, "api"), (C, "import")}

        page = client.get("/v1/suppressions", params={"limit": 1}).json()
        assert len(page["data"]) == 1
        rest = client.get("/v1/suppressions", params={"cursor": page["next_cursor"]}).json()
        assert {e["phone_number"] for e in page["data"] + rest["data"]} == {A, C}
        assert client.get("/v1/suppressions", params={"cursor": "x"}).status_code == 422

        with httpx.Client(base_url=server.url, headers={"x-api-key": org["api_key"]}) as sentdm:
            made = sentdm.post("/v3/contacts", json={"phone_number": C})
            assert made.status_code in (200, 201), made.text
            contacts = sentdm.get("/v3/contacts", params={"phone": C}).json()["data"]["contacts"]
            assert [c["opt_out"] for c in contacts] == [True]
        listed = client.get("/v1/sms-recipients", params={"status": "opt_out"}).json()["data"]
        assert {r["number"] for r in listed} >= {A, C}

        assert client.delete(f"/v1/suppressions/{A}").status_code == 204
        assert client.delete(f"/v1/suppressions/{A}").status_code == 404
        again = client.post("/v1/messages", json={"to": [A], "text": "Hi"}).json()
        assert again["messages"][0]["status"] == "queued"


def test_a_suppression_file_with_carriage_returns_alone_between_rows(
    server: ServerProcess, org: dict[str, str]
) -> None:
    with server.client(org["api_key"]) as client:
        imported = client.post(
            "/v1/suppressions.csv",
            content=b"+14155550141,bounced\r+14155550142\rnot-a-number",
            headers={"content-type": "text/csv"},
        )
        assert imported.status_code == 200, imported.text
        summary = imported.json()
        assert summary["imported"] == 2
        assert [(r["row"], r["value"]) for r in summary["refused"]] == [(3, "not-a-number")]
