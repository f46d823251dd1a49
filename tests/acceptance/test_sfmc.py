"""SFMC transactional SMS over HTTP: tokens, definitions, sends, send status, not-sent feed."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.support.databases import DbTarget
from tests.support.server import (
    ServerProcess,
    cli,
    create_oauth_client,
    create_org,
    create_profile,
    running_server,
)

CST_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,7}$")
DOCS = "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"


def token_for(
    server: ServerProcess, db_target: DbTarget, org_id: str, **fields: str
) -> dict[str, Any]:
    client = create_oauth_client(db_target, org_id)
    body = {
        "grant_type": "client_credentials",
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
        **fields,
    }
    response = httpx.post(server.url + "/v2/token", json=body, timeout=10)
    assert response.status_code == 200, response.text
    token: dict[str, Any] = response.json()
    return token


def rest_client(token: dict[str, Any]) -> httpx.Client:
    """A client the way SFMC integrations build one: from the token's rest_instance_url."""
    return httpx.Client(
        base_url=token["rest_instance_url"],
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=30.0,
    )


def create_definition(client: httpx.Client, key: str, **extra: Any) -> dict[str, Any]:
    body = {
        "definitionKey": key,
        "name": f"name-{key}",
        "description": "Using new SMS Transactional API",
        "content": {"message": "%%FirstName%%, your code is %%password%%"},
        "subscriptions": {"shortCode": "8201221", "countryCode": "US", "keyword": "PASSWORD"},
        **extra,
    }
    response = client.post("messaging/v1/sms/definitions", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def wait_for(check: Callable[[], dict[str, Any] | None], timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def status_of(client: httpx.Client, key: str) -> dict[str, Any]:
    response = client.get(f"messaging/v1/sms/messages/{key}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_token_definition_send_queued_then_sent(
    server: ServerProcess, org: dict[str, str], db_target: DbTarget
) -> None:
    token = token_for(server, db_target, org["id"])
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 1080
    assert token["rest_instance_url"] == server.url + "/"
    assert token["soap_instance_url"] == server.url + "/"
    assert "sms_send" in token["scope"].split()
    with rest_client(token) as client:
        definition = create_definition(client, "account-reset", status="Inactive")
        assert definition["status"] == "Inactive"
        assert definition["content"] == {"message": "%%FirstName%%, your code is %%password%%"}
        assert definition["subscriptions"]["shortCode"] == "8201221"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", definition["createdDate"])

        body = {
            "definitionKey": "account-reset",
            "recipient": {
                "contactKey": "Astro25",
                "to": "14155551234",
                "attributes": {"FirstName": "Astro", "password": "1234567890ab"},
            },
        }
        response = client.post("messaging/v1/sms/messages/bcX0qaEp0USGciEnUJTW0w", json=body)
        assert response.status_code == 202, response.text
        accepted = response.json()
        assert accepted["errorcode"] == 0
        assert accepted["responses"] == [{"messageKey": "bcX0qaEp0USGciEnUJTW0w"}]
        assert "message" not in accepted

        # the definition is inactive: the message stays queued (no compositeId, no info)
        time.sleep(0.5)
        queued = status_of(client, "bcX0qaEp0USGciEnUJTW0w")
        assert set(queued) == {"requestId", "eventCategoryType", "timestamp"}
        assert queued["eventCategoryType"] == "TransactionalSendEvents.SMSQueued"
        assert CST_TIME.match(queued["timestamp"])
        depth = client.get("messaging/v1/sms/definitions/account-reset/queue").json()
        assert depth["count"] == 1
        assert depth["ageSeconds"] >= 0

        patched = client.patch(
            "messaging/v1/sms/definitions/account-reset", json={"status": "Active"}
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["status"] == "Active"

        def sent() -> dict[str, Any] | None:
            body = status_of(client, "bcX0qaEp0USGciEnUJTW0w")
            return body if body["eventCategoryType"].endswith("SMSSent") else None

        status = wait_for(sent)
        assert set(status) == {"requestId", "eventCategoryType", "timestamp", "compositeId", "info"}
        assert status["info"]["messageKey"] == "bcX0qaEp0USGciEnUJTW0w"
        assert status["info"]["contactKey"] == "Astro25"
        assert status["info"]["to"] == "14155551234"
        assert "statusCode" not in status["info"]
        assert len(status["compositeId"].split(".")) == 5
        assert client.get("messaging/v1/sms/definitions/account-reset/queue").json()["count"] == 0
    with server.client(org["api_key"]) as native:
        messages = native.get("/v1/messages").json()["data"]
        assert [m["text"] for m in messages] == ["Astro, your code is 1234567890ab"]
        assert messages[0]["from"] == "8201221"


def test_batch_partial_failure_and_reused_keys(
    server: ServerProcess, org: dict[str, str], db_target: DbTarget
) -> None:
    token = token_for(server, db_target, org["id"])
    with rest_client(token) as client:
        create_definition(client, "otp")
        body = {
            "definitionKey": "otp",
            "attributes": {"password": "42"},
            "recipients": [
                {
                    "contactKey": "a",
                    "to": "+14155551234",
                    "messageKey": "key-a",
                    "attributes": {"FirstName": "A"},
                },
                {"contactKey": "b", "messageKey": "key-b", "attributes": {"FirstName": "B"}},
                {"contactKey": "c", "to": "14155550123", "attributes": {"FirstName": "C"}},
            ],
        }
        response = client.post("messaging/v1/sms/messages/", json=body)
        assert response.status_code == 202, response.text
        batch = response.json()
        assert batch["errorcode"] == 109001
        assert batch["message"] == (
            "MCMS_UTM_ResponsesHasErrors: 1 subscribers failed to queue out of 3"
        )
        first, missing, generated = batch["responses"]
        assert first == {"messageKey": "key-a"}
        assert missing == {
            "messageKey": "key-b",
            "errorcode": 109106,
            "message": "MCMS_UTM_Validation_MissingRequiredField_to: Invalid subscriber",
        }
        assert set(generated) == {"messageKey"}
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", generated["messageKey"])

        # sending key-a again (single and batch) sends nothing new
        again = client.post(
            "messaging/v1/sms/messages/key-a",
            json={
                "definitionKey": "otp",
                "recipient": {
                    "to": "14155551234",
                    "attributes": {"FirstName": "A", "password": "1"},
                },
            },
        )
        assert again.status_code == 202, again.text
        entry = again.json()["responses"][0]
        assert entry["messageKey"] == "key-a"
        assert entry["errorcode"] == 30004
        repeat = client.post("messaging/v1/sms/messages", json=body).json()
        assert [r.get("errorcode") for r in repeat["responses"]] == [30004, 109106, None]
        # the batch's requests differ from a bad one: an unknown definition is a 400
        unknown = client.post("messaging/v1/sms/messages", json={**body, "definitionKey": "nope"})
        assert unknown.status_code == 400
        assert unknown.json()["errorcode"] == 10005
        no_recipients = client.post("messaging/v1/sms/messages", json={"definitionKey": "otp"})
        assert no_recipients.status_code == 400
        assert no_recipients.json() == {
            "message": "MCMS_UTM_Validation_MissingRequiredField_recipients",
            "errorcode": 10002,
            "documentation": "",
        }
    with server.client(org["api_key"]) as native:
        texts = sorted(m["text"] for m in native.get("/v1/messages").json()["data"])
        # key-a once, the generated key twice (the repeat generated a fresh one)
        assert texts == ["A, your code is 42", "C, your code is 42", "C, your code is 42"]


def test_auth_errors_and_profiles(
    server: ServerProcess, org: dict[str, str], db_target: DbTarget
) -> None:
    bad = httpx.post(
        server.url + "/v2/token",
        json={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"},
    )
    assert bad.status_code == 401
    assert bad.json() == {
        "error": "invalid_client",
        "error_description": (
            "Invalid client ID. Use the client ID in Marketing Cloud Installed Packages."
        ),
        "error_uri": "https://developer.salesforce.com/docs",
    }
    grant = httpx.post(server.url + "/v2/token", json={"client_id": "x", "client_secret": "y"})
    assert grant.status_code == 400
    assert grant.json()["error"] == "unsupported_grant_type"

    client = cli(db_target, "oauth-client", "create", "--org", org["id"])
    assert set(client) >= {"client_id", "client_secret"}
    form = httpx.post(
        server.url + "/v2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "scope": "sms_read",
        },
    )
    assert form.status_code == 200, form.text
    assert form.json()["scope"] == "sms_read"
    wrong_secret = httpx.post(
        server.url + "/v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"] + "x",
        },
    )
    assert wrong_secret.status_code == 401

    for headers in ({"Authorization": "Bearer not-a-token"}, {}):
        response = httpx.get(server.url + "/messaging/v1/sms/messages/abc", headers=headers)
        assert response.status_code == 401
        assert response.json() == {
            "documentation": DOCS,
            "errorcode": 0,
            "message": "Not Authorized",
        }

    # account_id selects a child profile; its data is not the organization's
    profile = create_profile(db_target, org["id"], "Child")
    child = token_for(server, db_target, org["id"], account_id=profile["id"])
    parent = token_for(server, db_target, org["id"])
    with rest_client(child) as child_client, rest_client(parent) as parent_client:
        create_definition(child_client, "child-only")
        assert child_client.get("messaging/v1/sms/definitions/child-only").status_code == 200
        missing = parent_client.get("messaging/v1/sms/definitions/child-only")
        assert missing.status_code == 404
        assert missing.json()["errorcode"] == 30003
        assert parent_client.get("messaging/v1/sms/messages/unknown").status_code == 404
    other = create_org(db_target, "Other")
    foreign = httpx.post(
        server.url + "/v2/token",
        json={
            "grant_type": "client_credentials",
            "account_id": profile["id"],
            **{
                k: create_oauth_client(db_target, other["id"])[k]
                for k in ("client_id", "client_secret")
            },
        },
    )
    assert foreign.status_code == 401
    assert foreign.json()["error"] == "invalid_client"


def test_definitions_crud_queue_and_not_sent_feed(
    server: ServerProcess, org: dict[str, str], db_target: DbTarget
) -> None:
    token = token_for(server, db_target, org["id"])
    with rest_client(token) as client:
        create_definition(client, "d1")
        create_definition(client, "d2", status="Inactive")
        assert (
            client.post(
                "messaging/v1/sms/definitions",
                json={
                    "definitionKey": "d1",
                    "name": "other",
                    "content": {"message": "x"},
                    "subscriptions": {"shortCode": "1", "keyword": "K"},
                },
            ).status_code
            == 409
        )
        missing = client.post("messaging/v1/sms/definitions", json={"definitionKey": "d3"})
        assert missing.status_code == 400
        assert missing.json()["errorcode"] == 10002

        listed = client.get("messaging/v1/sms/definitions", params={"$filter": "status eq active"})
        assert listed.status_code == 200
        page = listed.json()
        assert [d["definitionKey"] for d in page["definitions"]] == ["d1"]
        assert page["count"] == 1
        assert page["page"] == 1
        assert page["pageSize"] == 50
        assert set(page["definitions"][0]) == {
            "definitionKey",
            "status",
            "name",
            "createdDate",
            "modifiedDate",
        }
        everything = client.get("messaging/v1/sms/definitions", params={"$pageSize": "1"}).json()
        assert everything["count"] == 2
        assert len(everything["definitions"]) == 1

        # clearing the queue needs an inactive definition
        refused = client.delete("messaging/v1/sms/definitions/d1/queue")
        assert refused.status_code == 400
        assert refused.json()["errorcode"] == 30001
        send = {
            "definitionKey": "d2",
            "recipient": {
                "contactKey": "z",
                "to": "14155551234",
                "attributes": {"FirstName": "Z", "password": "9"},
            },
        }
        assert client.post("messaging/v1/sms/messages/held-1", json=send).status_code == 202
        cleared = client.delete("messaging/v1/sms/definitions/d2/queue")
        assert cleared.status_code == 200
        assert cleared.json()["message"] == "Queued"
        status = status_of(client, "held-1")
        assert status["eventCategoryType"] == "TransactionalSendEvents.SMSNotSent"
        assert status["info"]["statusCode"] == 37
        assert status["info"]["statusMessage"] == "QueuedTransactionDeleted"
        assert status["info"]["contactKey"] == "z"

        feed = client.get("messaging/v1/sms/messages/", params={"type": "notSent"}).json()
        assert feed["count"] == 1
        event = feed["messages"][0]
        assert event["statusCode"] == 37
        assert event["definitionKey"] == "d2"
        assert event["eventCategoryType"] == "TransactionalSendEvents.SMSNotSent"
        assert event["info"] == {"messageKey": "held-1", "contactKey": "z"}
        assert feed["lastEventID"] == event["eventID"]
        after = client.get(
            "messaging/v1/sms/messages",
            params={"type": "notSent", "lastEventId": feed["lastEventID"]},
        ).json()
        assert after == {"lastEventID": feed["lastEventID"], "messages": [], "count": 0}
        assert client.get("messaging/v1/sms/messages", params={"type": "x"}).status_code == 400

        deleted = client.delete("messaging/v1/sms/definitions/d1")
        assert deleted.status_code == 200
        assert deleted.json()["deletedDefinitionKey"] == "d1"
        assert client.get("messaging/v1/sms/definitions/d1").status_code == 404
        archived = client.get(
            "messaging/v1/sms/definitions", params={"$filter": "status eq deleted"}
        ).json()
        assert [d["status"] for d in archived["definitions"]] == ["Deleted"]
        create_definition(client, "d1")  # the key can be used again


def test_status_lookups_are_rate_limited(
    org: dict[str, str], db_target: DbTarget, tmp_path: Path
) -> None:
    env = {"SIGNALPOST_SFMC_STATUS_RATE_LIMIT": "3/minute"}
    with running_server(db_target, tmp_path, extra_env=env) as server:
        token = token_for(server, db_target, org["id"])
        with rest_client(token) as client:
            codes = [client.get("messaging/v1/sms/messages/nope").status_code for _ in range(4)]
            assert codes == [404, 404, 404, 429]
            limited = client.get("messaging/v1/sms/messages/nope")
            assert limited.status_code == 429
            body = limited.json()
            assert body["errorcode"] == 50100
            assert body["message"] == "Rate limit exceeded"
            assert int(limited.headers["retry-after"]) == body["retryAfter"] >= 1
