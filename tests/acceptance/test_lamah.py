"""Lamah SMS over HTTP: single, bulk and template sends, message details, errors."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx

from tests.support.databases import DbTarget
from tests.support.server import ServerProcess, cli, create_org, create_profile

ISO_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
FINAL = {"delivered", "failed", "expired", "rejected"}


def lamah(server: ServerProcess, token: str | None) -> httpx.Client:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=server.url, headers=headers, timeout=30.0)


def wait_details(client: httpx.Client, message_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll until every receiver has a final status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"/api/sms/messages/{message_id}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert isinstance(body, list)
        assert len(body) == 1
        if all(r["status"] in FINAL for r in body[0]["receiver"]):
            item: dict[str, Any] = body[0]
            return item
        time.sleep(0.1)
    raise AssertionError("receivers not final in time")


def test_single_send_and_details(server: ServerProcess, org: dict[str, str]) -> None:
    with lamah(server, org["api_key"]) as client:
        response = client.post(
            "/api/sms/messages",
            json={
                "message": "Your appointment is confirmed for Tuesday at 4:30 PM.",
                "sender": "MyBusiness",
                "payment_type": "wallet",
                "receiver": "00218912345678",
            },
        )
        assert response.status_code == 200, response.text
        sent = response.json()
        assert set(sent) == {"message_id", "cost"}
        assert sent["cost"] == 1
        assert UUID.match(sent["message_id"])
        assert int(response.headers["x-ratelimit-limit"]) == 100
        item = wait_details(client, sent["message_id"])
        assert item["short_message"] == "Your appointment is confirmed for Tuesday at 4:30 PM."
        assert item["message_type"] == "sms"
        assert item["send_type"] == "single"
        assert item["contact_group_id"] is None
        assert item["message_consumption"] == 1
        assert set(item) == {
            "short_message",
            "message_type",
            "send_type",
            "contact_group_id",
            "message_consumption",
            "receiver",
        }
        (receiver,) = item["receiver"]
        assert receiver["number"] == "00218912345678"
        assert receiver["status"] == "delivered"
        assert receiver["delivery_report"] is None
        for field in ("sent_at", "delivered_at", "created_at", "updated_at"):
            assert ISO_SECONDS.match(receiver[field]), receiver
        assert receiver["created_at"] <= receiver["sent_at"] <= receiver["delivered_at"]


def test_bulk_with_duplicate_and_failure(server: ServerProcess, org: dict[str, str]) -> None:
    text = "x" * 200
    with lamah(server, org["api_key"]) as client:
        response = client.post(
            "/api/sms/messages/bulk",
            json={
                "message": text,
                "sender": "MyShop",
                "payment_type": "subscription",
                "receivers": ["00218912345678", "+218912345678", "00218912340001"],
            },
        )
        assert response.status_code == 200, response.text
        sent = response.json()
        assert sent["cost"] == 4
        assert sent["details"] == {"sent": 2, "total": 2}
        item = wait_details(client, sent["message_id"])
        assert item["send_type"] == "multiple"
        assert item["message_consumption"] == 2
        assert item["short_message"] == text
        by_number = {r["number"]: r for r in item["receiver"]}
        assert set(by_number) == {"00218912345678", "00218912340001"}
        assert by_number["00218912345678"]["status"] == "delivered"
        failed = by_number["00218912340001"]
        assert failed["status"] == "failed"
        assert failed["delivered_at"] is None


def test_errors_have_lamah_bodies(
    server: ServerProcess, org: dict[str, str], db_target: DbTarget
) -> None:
    other = create_org(db_target, "Other")
    with lamah(server, org["api_key"]) as client:
        message_id = client.post(
            "/api/sms/messages",
            json={
                "message": "hi",
                "sender": "Acme",
                "payment_type": "wallet",
                "receiver": "+218912345678",
            },
        ).json()["message_id"]
        unknown = client.get("/api/sms/messages/a3a7b9a2-9d3f-4a7e-9b4e-13b1e9b1f2aa")
        assert unknown.status_code == 404
        assert unknown.json() == {"message": "Message not found"}
        assert client.get("/api/sms/messages/msg_123456789").json() == {
            "message": "Message not found"
        }
        invalid = client.post(
            "/api/sms/messages",
            json={"message": "hi", "sender": "Acme", "payment_type": "wallet", "receiver": "12"},
        )
        assert invalid.status_code == 400
        assert invalid.json() == {"message": "Invalid phone number"}
        bulk_invalid = client.post(
            "/api/sms/messages/bulk",
            json={
                "message": "hi",
                "sender": "Acme",
                "payment_type": "wallet",
                "receivers": ["+218912345678", "nope"],
            },
        )
        assert bulk_invalid.status_code == 400
        too_many = client.post(
            "/api/sms/messages/bulk",
            json={
                "message": "hi",
                "sender": "Acme",
                "payment_type": "wallet",
                "receivers": [f"+2189123{i:05d}" for i in range(1001)],
            },
        )
        assert too_many.status_code == 422
        assert too_many.json()["errors"]["receivers"] == [
            "The receivers field must not have more than 1000 items."
        ]
        fields = client.post(
            "/api/sms/messages",
            json={
                "message": "hi",
                "sender": "Far-too-long-sender",
                "payment_type": "cash",
                "receiver": "+218912345678",
            },
        )
        assert fields.status_code == 422
        body = fields.json()
        assert body["message"] == (
            "The sender field must not be greater than 11 characters. (and 1 more error)"
        )
        assert body["errors"]["payment_type"] == ["The selected payment type is invalid."]
    with lamah(server, other["api_key"]) as intruder:
        response = intruder.get(f"/api/sms/messages/{message_id}")
        assert response.status_code == 403
        assert response.json() == {"message": "Message does not belong to your project"}
    for token in (None, "not-a-token"):
        # no Accept header at all: still JSON, never a redirect
        response = httpx.get(
            f"{server.url}/api/sms/messages/{message_id}",
            headers={"Authorization": f"Bearer {token}"} if token else {},
            follow_redirects=False,
        )
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/json")
        assert response.json() == {"message": "Unauthenticated."}


def test_template_send_and_project_details(
    server: ServerProcess, org: dict[str, str], db_target: DbTarget
) -> None:
    with server.client(org["api_key"]) as native:
        created = native.post(
            "/v1/templates",
            json={"name": "property_viewing", "body": "Dear {{name}}, viewing on {{date}}"},
        )
        assert created.status_code == 201, created.text
    with lamah(server, org["api_key"]) as client:
        body: dict[str, Any] = {
            "template_id": "property_viewing",
            "sender": "RealEstate",
            "payment_type": "wallet",
            "receiver": "00218912345678",
            "params": [{"name": "Ahmed Mohamed"}, {"date": "2024-01-15"}],
        }
        response = client.post("/api/sms/messages/template", json=body)
        assert response.status_code == 200, response.text
        assert response.json()["cost"] == 1
        item = wait_details(client, response.json()["message_id"])
        assert item["short_message"] == "Dear Ahmed Mohamed, viewing on 2024-01-15"
        assert item["send_type"] == "single"
        missing = client.post(
            "/api/sms/messages/template", json={**body, "params": [{"name": "A"}]}
        )
        assert missing.status_code == 400
        assert missing.json() == {"message": "Missing parameter: date"}
        unknown = client.post("/api/sms/messages/template", json={**body, "template_id": "nope"})
        assert unknown.json() == {"message": "Template not found"}
        group = cli(
            db_target,
            "contact-group",
            "create",
            "--org",
            org["id"],
            "--number",
            "00218912345678",
            "--number",
            "+218912345678",
            "--number",
            "+218912340003",
            "Customers",
        )
        assert group["members"] == ["+218912345678", "+218912340003"]
        grouped = client.post(
            "/api/sms/messages/contacts",
            json={
                "message": "Your monthly statement is ready.",
                "sender": "MyBank",
                "payment_type": "wallet",
                "contact_group_id": group["id"],
            },
        )
        assert grouped.status_code == 200, grouped.text
        assert grouped.json()["cost"] == 2
        assert grouped.json()["details"] == {"sent": 2, "total": 2}
        item = wait_details(client, grouped.json()["message_id"])
        assert item["send_type"] == "multiple"
        assert item["contact_group_id"] == group["id"]
        assert sorted(r["status"] for r in item["receiver"]) == ["delivered", "expired"]
        for unknown_group in (group["id"][:-1] + "0", "0198faa2-8ddd-72c7-afce-32d980bd60fe", "x"):
            if unknown_group == group["id"]:
                continue
            missing_group = client.post(
                "/api/sms/messages/contacts",
                json={
                    "message": "x",
                    "sender": "MyBank",
                    "payment_type": "wallet",
                    "contact_group_id": unknown_group,
                },
            )
            assert missing_group.status_code == 400
            assert missing_group.json() == {"message": "Contact group not found"}
        project = client.get("/api/project/details")
        assert project.status_code == 200
        assert project.json()["project_name"] == "Acme"
        assert project.json()["status"] == "active"
    profile = create_profile(db_target, org["id"], "RealEstate SMS")
    with lamah(server, profile["api_key"]) as child:
        details = child.get("/api/project/details").json()
        assert details["project_name"] == "RealEstate SMS"
        assert details["company"] == "Acme"
