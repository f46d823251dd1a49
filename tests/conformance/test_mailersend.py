"""MailerSend SMS conformance: the official ``mailersend`` SDK against a running Signalpost.

The SDK is used as a MailerSend customer uses it; only ``base_url`` and the token change.
Responses are also read back through the SDK's own models, so their shapes are the SDK's.
Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mailersend import MailerSendClient
from mailersend.exceptions import AuthenticationError, BadRequestError, ResourceNotFoundError
from mailersend.models.sms_activity import SmsActivity, SmsActivityListRequest, SmsMessage
from mailersend.models.sms_messages import SmsMessageGetRequest, SmsMessagesListRequest
from mailersend.models.sms_numbers import (
    SmsNumber,
    SmsNumberDeleteRequest,
    SmsNumberGetRequest,
    SmsNumbersListRequest,
    SmsNumberUpdateRequest,
)
from mailersend.models.sms_recipients import (
    SmsRecipient,
    SmsRecipientGetRequest,
    SmsRecipientsListQueryParams,
    SmsRecipientsListRequest,
    SmsRecipientStatus,
    SmsRecipientUpdateRequest,
)
from mailersend.models.sms_sending import SmsSendRequest

from tests.support.databases import DbTarget
from tests.support.mailersend import (
    DELIVERED,
    OBJECT_ID,
    SENDER,
    TIMESTAMP,
    UNDELIVERABLE,
    send,
    wait_final,
)
from tests.support.server import (
    ServerProcess,
    add_number,
    create_org,
    release_numbers,
    running_server,
)

Sdk = Callable[[str], MailerSendClient]


@pytest.fixture(autouse=True)
def _numbers_released(db_target: DbTarget) -> Iterator[None]:
    """Tests share the module's server and database, and each registers the same numbers."""
    yield
    release_numbers(db_target)


@pytest.fixture
def account(db_target: DbTarget) -> dict[str, str]:
    """An organization with its API key and one registered sending number."""
    org = create_org(db_target)
    number = add_number(db_target, org["id"], SENDER)
    return {**org, "number_id": number["id"]}


@pytest.fixture
def sdk(server: ServerProcess) -> Iterator[Sdk]:
    """Makes official clients pointed at the server under test; closes them afterwards."""
    made: list[MailerSendClient] = []

    def make(api_key: str) -> MailerSendClient:
        client = MailerSendClient(api_key=api_key, base_url=f"{server.url}/v1")
        made.append(client)
        return client

    yield make
    for client in made:
        client.session.close()


def error_body(exc: pytest.ExceptionInfo[Any]) -> dict[str, Any]:
    response = exc.value.response
    assert response is not None
    body: dict[str, Any] = response.json()
    return {"status": response.status_code, **body}


def test_send_to_two_recipients_one_delivered_one_failed(sdk: Sdk, account: dict[str, str]) -> None:
    client = sdk(account["api_key"])
    message_id = send(client, [DELIVERED, UNDELIVERABLE], text="Hello from Signalpost")
    data = wait_final(client, message_id)
    SmsMessage.model_validate(data)
    assert data["id"] == message_id
    assert data["from"] == SENDER
    assert sorted(data["to"]) == sorted([DELIVERED, UNDELIVERABLE])
    assert data["paused"] is False
    assert TIMESTAMP.match(data["created_at"])
    by_to = {s["to"]: s for s in data["sms"]}
    assert by_to[DELIVERED]["status"] == "delivered"
    assert by_to[DELIVERED]["error_type"] is None
    assert by_to[UNDELIVERABLE]["status"] == "failed"
    assert by_to[UNDELIVERABLE]["error_type"] == "undeliverable"
    assert by_to[UNDELIVERABLE]["error_description"]
    for item in data["sms"]:
        assert OBJECT_ID.match(item["id"])
        assert item["segment_count"] == 1
        assert item["text"] == "Hello from Signalpost"
    rows = data["sms_activity"]
    assert {r["sms_message_id"] for r in rows} == {message_id}
    assert {r["content"] for r in rows} == {"Hello from Signalpost"}
    statuses = {to: [r["status"] for r in rows if r["to"] == to] for to in by_to}
    assert statuses[DELIVERED] == ["delivered", "sent", "queued", "processed"]
    assert statuses[UNDELIVERABLE][0] == "failed"
    assert statuses[UNDELIVERABLE][-1] == "processed"
    listed = client.sms_messages.list_sms_messages(SmsMessagesListRequest()).data
    assert [m["id"] for m in listed["data"]] == [message_id]


def test_activity_filters_by_number_and_status_with_links_and_meta(
    sdk: Sdk, account: dict[str, str], db_target: DbTarget, server: ServerProcess
) -> None:
    client = sdk(account["api_key"])
    other = add_number(db_target, account["id"], "+14155550200")
    first = send(client, [DELIVERED, UNDELIVERABLE])
    second = send(client, [DELIVERED], sender=other["phone_number"])
    wait_final(client, first)
    wait_final(client, second)
    response = client.sms_activity.list(
        SmsActivityListRequest(sms_number_id=account["number_id"], status=["delivered"])
    )
    body = response.data
    assert set(body) == {"data", "links", "meta"}
    rows = [SmsActivity.model_validate(r) for r in body["data"]]
    assert len(rows) == 1
    assert (rows[0].from_, rows[0].to, rows[0].status) == (SENDER, DELIVERED, "delivered")
    assert rows[0].sms_message_id == first
    assert rows[0].content == "Hi"
    path = f"{server.url}/v1/sms-activity"
    assert body["meta"] == {"current_page": 1, "from": 1, "path": path, "per_page": 25, "to": 1}
    assert set(body["links"]) == {"first", "last", "prev", "next"}
    assert body["links"]["first"].startswith(path + "?")
    assert body["links"]["first"].endswith("page=1")
    assert (body["links"]["last"], body["links"]["prev"], body["links"]["next"]) == (None,) * 3
    failed = client.sms_activity.list(SmsActivityListRequest(status=["failed", "sent"])).data
    assert {(r["to"], r["status"]) for r in failed["data"]} == {
        (UNDELIVERABLE, "failed"),
        (UNDELIVERABLE, "sent"),
        (DELIVERED, "sent"),
    }
    everything = client.sms_activity.list(SmsActivityListRequest(limit=10)).data
    assert len(everything["data"]) == 10
    assert everything["meta"]["to"] == 10
    assert everything["links"]["next"] == f"{path}?limit=10&page=2"
    rest = client.sms_activity.list(SmsActivityListRequest(limit=10, page=2)).data
    assert len(rest["data"]) == 2  # 2 sends, 3 SMS, 4 rows each
    assert rest["meta"]["from"] == 11
    assert rest["links"]["prev"] == f"{path}?limit=10&page=1"
    assert rest["links"]["next"] is None


def test_activity_validation_errors(sdk: Sdk, account: dict[str, str]) -> None:
    client = sdk(account["api_key"])
    with pytest.raises(BadRequestError) as small:
        client.sms_activity.list(SmsActivityListRequest(limit=5))
    body = error_body(small)
    assert body["status"] == 422
    assert body["message"] == "The given data was invalid."
    assert body["errors"] == {"limit": ["The limit must be at least 10."]}
    with pytest.raises(BadRequestError) as dates:
        client.sms_activity.list(SmsActivityListRequest(date_from=1700000100, date_to=1700000000))
    body = error_body(dates)
    assert body["status"] == 422
    assert "date_from" in body["errors"]
    with pytest.raises(BadRequestError) as status:
        client.sms_activity.list(SmsActivityListRequest(status=["bounced"]))
    assert error_body(status)["errors"] == {"status.0": ["The selected status.0 is invalid."]}
    with pytest.raises(BadRequestError) as number:
        client.sms_activity.list(SmsActivityListRequest(sms_number_id="nope"))
    assert list(error_body(number)["errors"]) == ["sms_number_id"]


def test_send_from_an_unregistered_number_is_refused(sdk: Sdk, account: dict[str, str]) -> None:
    client = sdk(account["api_key"])
    with pytest.raises(BadRequestError) as refused:
        send(client, [DELIVERED], sender="+14155550199")
    body = error_body(refused)
    assert body == {
        "status": 422,
        "message": "The given data was invalid.",
        "errors": {"from": ["The selected from is invalid."]},
    }
    assert "from: The selected from is invalid." in str(refused.value)
    with pytest.raises(BadRequestError) as abroad:
        send(client, ["+442071838750"])
    assert list(error_body(abroad)["errors"]) == ["to.0"]
    listed = client.sms_messages.list_sms_messages(SmsMessagesListRequest()).data
    assert listed["data"] == []


def test_another_tenant_sees_nothing(
    sdk: Sdk, account: dict[str, str], db_target: DbTarget
) -> None:
    owner = sdk(account["api_key"])
    message_id = send(owner, [DELIVERED])
    wait_final(owner, message_id)
    stranger = sdk(create_org(db_target, "Other")["api_key"])
    with pytest.raises(ResourceNotFoundError) as hidden:
        stranger.sms_messages.get_sms_message(SmsMessageGetRequest(sms_message_id=message_id))
    assert error_body(hidden) == {"status": 404, "message": "Resource not found."}
    assert stranger.sms_messages.list_sms_messages(SmsMessagesListRequest()).data["data"] == []
    assert stranger.sms_activity.list(SmsActivityListRequest()).data["data"] == []
    assert stranger.sms_numbers.list(SmsNumbersListRequest()).data["data"] == []
    recipients = SmsRecipientsListRequest()
    assert stranger.sms_recipients.list_sms_recipients(recipients).data["data"] == []
    with pytest.raises(ResourceNotFoundError):
        stranger.sms_numbers.get(SmsNumberGetRequest(sms_number_id=account["number_id"]))
    with pytest.raises(BadRequestError) as foreign:
        send(stranger, [DELIVERED])  # the owner's number is not the stranger's
    assert error_body(foreign)["errors"] == {"from": ["The selected from is invalid."]}
    with pytest.raises(BadRequestError):
        stranger.sms_activity.list(SmsActivityListRequest(sms_number_id=account["number_id"]))


def test_opted_out_recipient_is_not_sent_to(sdk: Sdk, account: dict[str, str]) -> None:
    client = sdk(account["api_key"])
    wait_final(client, send(client, [DELIVERED]))
    listed = client.sms_recipients.list_sms_recipients(SmsRecipientsListRequest()).data
    recipient = SmsRecipient.model_validate(listed["data"][0])
    assert (recipient.number, recipient.status) == (DELIVERED, "active")
    changed = client.sms_recipients.update_sms_recipient(
        SmsRecipientUpdateRequest(sms_recipient_id=recipient.id, status=SmsRecipientStatus.OPT_OUT)
    ).data["data"]
    assert changed["status"] == "opt_out"
    blocked = wait_final(client, send(client, [DELIVERED, "+14155552222"]))
    by_to = {s["to"]: s for s in blocked["sms"]}
    assert by_to[DELIVERED]["status"] == "failed"
    assert by_to[DELIVERED]["error_type"] == "opted_out"
    assert by_to["+14155552222"]["status"] == "delivered"
    only = client.sms_recipients.list_sms_recipients(
        SmsRecipientsListRequest(
            query_params=SmsRecipientsListQueryParams(status=SmsRecipientStatus.OPT_OUT)
        )
    ).data["data"]
    assert [r["number"] for r in only] == [DELIVERED]
    detail = client.sms_recipients.get_sms_recipient(
        SmsRecipientGetRequest(sms_recipient_id=recipient.id)
    ).data["data"]
    assert [s["status"] for s in detail["sms"]] == ["failed", "delivered"]


def test_numbers_pause_and_delete(sdk: Sdk, account: dict[str, str]) -> None:
    client = sdk(account["api_key"])
    number_id = account["number_id"]
    listed = client.sms_numbers.list(SmsNumbersListRequest()).data["data"]
    numbers = [SmsNumber.model_validate(n) for n in listed]
    assert [(n.telephone_number, n.paused) for n in numbers] == [(SENDER, False)]
    paused = client.sms_numbers.update(SmsNumberUpdateRequest(sms_number_id=number_id, paused=True))
    assert paused.data["data"]["paused"] is True
    assert client.sms_numbers.list(SmsNumbersListRequest(paused=False)).data["data"] == []
    assert len(client.sms_numbers.list(SmsNumbersListRequest(paused=True)).data["data"]) == 1
    with pytest.raises(BadRequestError) as refused:
        send(client, [DELIVERED])
    assert error_body(refused)["errors"] == {"from": ["The from number is paused."]}
    deleted = client.sms_numbers.delete(SmsNumberDeleteRequest(sms_number_id=number_id))
    assert deleted.status_code == 204
    with pytest.raises(ResourceNotFoundError):
        client.sms_numbers.get(SmsNumberGetRequest(sms_number_id=number_id))


def test_personalization_per_recipient(sdk: Sdk, account: dict[str, str]) -> None:
    client = sdk(account["api_key"])
    request = SmsSendRequest(
        from_number=SENDER,
        to=[DELIVERED, "+14155552222"],
        text="Hey {{ name }}!",
        personalization=[{"phone_number": DELIVERED, "data": {"name": "Ann"}}],
    )
    message_id = client.sms_sending.send(request).headers["x-sms-message-id"]
    texts = {s["to"]: s["text"] for s in wait_final(client, message_id)["sms"]}
    assert texts == {DELIVERED: "Hey Ann!", "+14155552222": "Hey !"}


def test_bad_token_is_unauthenticated(sdk: Sdk) -> None:
    client = sdk("not-a-key")
    with pytest.raises(AuthenticationError) as denied:
        client.sms_numbers.list(SmsNumbersListRequest())
    assert error_body(denied) == {"status": 401, "message": "Unauthenticated."}


def test_rate_limit_answers_429_with_headers(
    db_target: DbTarget, tmp_path: Path, account: dict[str, str]
) -> None:
    limits = {"SIGNALPOST_MAILERSEND_ACTIVITY_RATE_LIMIT": "2/minute"}
    with (
        running_server(db_target, tmp_path, extra_env=limits) as server,
        httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {account['api_key']}"}
        ) as client,
    ):
        answers = [client.get("/v1/sms-activity") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[0].headers["x-ratelimit-limit"] == "2"
        assert answers[0].headers["x-ratelimit-remaining"] == "1"
        limited = answers[2]
        assert limited.json() == {"message": "Too Many Attempts."}
        assert limited.headers["x-ratelimit-limit"] == "2"
        assert limited.headers["x-ratelimit-remaining"] == "0"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert client.get("/v1/sms-numbers").status_code == 200  # the general group is apart
