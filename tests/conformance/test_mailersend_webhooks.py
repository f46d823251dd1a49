"""MailerSend SMS webhooks through the official SDK: CRUD, signed deliveries, per-number routing.

A real receiver on this machine gets the deliveries; every one is checked against the
``Signature`` header as a MailerSend customer's receiver checks it (hex HMAC-SHA256 of the
raw body with the webhook's signing secret).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from mailersend import MailerSendClient
from mailersend.exceptions import BadRequestError, ResourceNotFoundError
from mailersend.models.sms_webhooks import (
    SmsWebhook,
    SmsWebhookCreateRequest,
    SmsWebhookDeleteRequest,
    SmsWebhookEvent,
    SmsWebhookGetRequest,
    SmsWebhooksListQueryParams,
    SmsWebhooksListRequest,
    SmsWebhookUpdateRequest,
)

from tests.support.databases import DbTarget
from tests.support.mailersend import (
    DELIVERED,
    OBJECT_ID,
    SENDER,
    UNDELIVERABLE,
    send,
    wait_final,
)
from tests.support.server import (
    ServerProcess,
    add_number,
    create_org,
    release_numbers,
)
from tests.support.webhook_receiver import Received, Receiver, running_receiver

HOOKS = {
    "SIGNALPOST_ALLOW_PRIVATE_WEBHOOKS": "true",
    "SIGNALPOST_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
    "SIGNALPOST_WEBHOOK_ENDPOINT_CACHE_SECONDS": "0",
}


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return HOOKS


@pytest.fixture
def hook_server(server: ServerProcess) -> ServerProcess:
    """The module's server, which may call webhook receivers on this machine."""
    return server


@pytest.fixture(autouse=True)
def _numbers_released(db_target: DbTarget) -> Iterator[None]:
    """Tests share the module's server and database, and each registers the same numbers."""
    yield
    release_numbers(db_target)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def wait_for(receiver: Receiver, path: str, count: int, timeout: float = 60.0) -> list[Received]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = receiver.requests(path)
        if len(got) >= count:
            return got
        time.sleep(0.1)
    raise AssertionError(f"{path}: {len(receiver.requests(path))} of {count} deliveries")


def verified(delivery: Received, secret: str) -> dict[str, Any]:
    """The payload of a delivery whose ``Signature`` checks out."""
    expected = hmac.new(secret.encode(), delivery.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, delivery.headers["signature"])
    payload: dict[str, Any] = orjson.loads(delivery.body)
    return payload


def test_webhook_receives_signed_events_of_its_number(
    hook_server: ServerProcess, receiver: Receiver, db_target: DbTarget
) -> None:
    org = create_org(db_target)
    number = add_number(db_target, org["id"], SENDER)
    other = add_number(db_target, org["id"], "+14155550200")
    with MailerSendClient(api_key=org["api_key"], base_url=f"{hook_server.url}/v1") as client:
        created = client.sms_webhooks.create_sms_webhook(
            SmsWebhookCreateRequest(
                url=receiver.url("/ms"),
                name="Delivery receipts",
                events=[SmsWebhookEvent.SMS_DELIVERED],
                sms_number_id=number["id"],
            )
        )
        assert created.status_code == 201
        hook = SmsWebhook.model_validate(created.data["data"])
        assert hook.events == ["sms.delivered"]
        assert hook.enabled is True
        assert hook.signing_secret
        assert created.data["data"]["sms_number"]["telephone_number"] == SENDER
        listed = client.sms_webhooks.list_sms_webhooks(
            SmsWebhooksListRequest(
                query_params=SmsWebhooksListQueryParams(sms_number_id=number["id"])
            )
        ).data
        assert [w["id"] for w in listed["data"]] == [hook.id]
        assert listed["meta"]["to"] == 1

        send(client, [DELIVERED], sender=other["phone_number"])  # another number: not routed
        message_id = send(client, [DELIVERED, UNDELIVERABLE])
        wait_final(client, message_id)
        [delivery] = wait_for(receiver, "/ms", 1)
        payload = verified(delivery, hook.signing_secret)
        assert payload["type"] == "sms.delivered"
        assert payload["sms_webhook_id"] == hook.id
        assert payload["sms_number_id"] == hook.sms_number_id
        assert payload["url"] == receiver.url("/ms")
        data = payload["data"]
        assert (data["from"], data["to"], data["status"]) == (SENDER, DELIVERED, "delivered")
        assert data["sms_message_id"] == message_id
        assert OBJECT_ID.match(data["sms"]["id"])
        assert data["sms"]["status"] == "delivered"
        assert data["sms"]["recipient"]["number"] == DELIVERED
        assert data["sms"]["recipient"]["status"] == "active"

        changed = client.sms_webhooks.update_sms_webhook(
            SmsWebhookUpdateRequest(
                sms_webhook_id=hook.id,
                events=[SmsWebhookEvent.SMS_FAILED],
                name="Failures",
            )
        ).data["data"]
        assert (changed["events"], changed["name"]) == (["sms.failed"], "Failures")
        wait_final(client, send(client, [UNDELIVERABLE]))
        failure = verified(wait_for(receiver, "/ms", 2)[1], hook.signing_secret)
        assert failure["type"] == "sms.failed"
        assert failure["data"]["sms"]["error_type"] == "undeliverable"
        assert failure["data"]["sms"]["error_description"]

        deleted = client.sms_webhooks.delete_sms_webhook(
            SmsWebhookDeleteRequest(sms_webhook_id=hook.id)
        )
        assert deleted.status_code == 204
        with pytest.raises(ResourceNotFoundError):
            client.sms_webhooks.get_sms_webhook(SmsWebhookGetRequest(sms_webhook_id=hook.id))


def test_webhook_needs_an_own_number_and_hides_from_other_tenants(
    hook_server: ServerProcess, receiver: Receiver, db_target: DbTarget
) -> None:
    org = create_org(db_target)
    number = add_number(db_target, org["id"], SENDER)
    stranger = create_org(db_target, "Other")
    request = SmsWebhookCreateRequest(
        url=receiver.url("/ms"),
        name="Receipts",
        events=[SmsWebhookEvent.SMS_SENT],
        sms_number_id=number["id"],
    )
    base = f"{hook_server.url}/v1"
    with (
        MailerSendClient(api_key=org["api_key"], base_url=base) as owner,
        MailerSendClient(api_key=stranger["api_key"], base_url=base) as other,
    ):
        with pytest.raises(BadRequestError) as refused:
            other.sms_webhooks.create_sms_webhook(request)
        assert refused.value.response.json()["errors"] == {
            "sms_number_id": ["The selected sms number id is invalid."]
        }
        hook = owner.sms_webhooks.create_sms_webhook(request).data["data"]
        with pytest.raises(ResourceNotFoundError):
            other.sms_webhooks.get_sms_webhook(SmsWebhookGetRequest(sms_webhook_id=hook["id"]))
        with pytest.raises(ResourceNotFoundError):
            other.sms_webhooks.delete_sms_webhook(
                SmsWebhookDeleteRequest(sms_webhook_id=hook["id"])
            )
        assert (
            owner.sms_webhooks.get_sms_webhook(
                SmsWebhookGetRequest(sms_webhook_id=hook["id"])
            ).data["data"]["id"]
            == hook["id"]
        )
