"""sent.dm v3 conformance: the official ``sentdm`` SDK against a running Signalpost.

The SDK is used exactly as a sent.dm customer uses it; only ``base_url`` and the key
change.  Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import sent_dm

from tests.support.databases import DbTarget
from tests.support.server import ServerProcess, create_org, create_profile

FINAL = {"delivered", "read", "failed", "filtered", "blocked", "cancelled"}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+00:00$")
REQUEST_ID = re.compile(r"^req_[A-Za-z0-9]{10}$")


Sdk = Callable[..., sent_dm.Sent]


@pytest.fixture
def sdk() -> Iterator[Sdk]:
    """Makes official clients pointed at a server under test; closes them afterwards."""
    made: list[sent_dm.Sent] = []

    def make(server: ServerProcess, api_key: str, **kw: Any) -> sent_dm.Sent:
        client = sent_dm.Sent(api_key=api_key, base_url=server.url, **kw)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def wait_final(
    client: sent_dm.Sent,
    ids: list[str],
    timeout: float = 60.0,
    read: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Poll ``GET /v3/messages/{id}`` until every message is in a final state (and those
    in ``read`` have been read: a read receipt follows delivery)."""
    deadline = time.monotonic() + timeout
    done: dict[str, Any] = {}
    while time.monotonic() < deadline:
        for message_id in ids:
            if message_id not in done:
                data = client.messages.retrieve_status(message_id).data
                assert data is not None
                read_pending = message_id in read and data.status == "delivered"
                if data.status in FINAL and not read_pending:
                    done[message_id] = data
        if len(done) == len(ids):
            return done
        time.sleep(0.1)
    raise AssertionError(f"not final in time: {set(ids) - set(done)}")


def error_of(exc: pytest.ExceptionInfo[sent_dm.APIStatusError]) -> dict[str, Any]:
    """The ``error`` object of an SDK exception's parsed body."""
    body = exc.value.body
    assert isinstance(body, dict)
    assert body["success"] is False
    assert body["data"] is None
    error: dict[str, Any] = body["error"]
    return error


def native_count(server: ServerProcess, api_key: str) -> int:
    """How many messages the tenant has, counted through the native API."""
    with server.client(api_key) as client:
        return len(client.get("/v1/messages", params={"limit": 500}).json()["data"])


def test_send_two_numbers_on_two_channels_to_final_state(
    sdk: Sdk, server: ServerProcess, org: dict[str, str]
) -> None:
    client = sdk(server, org["api_key"])
    sent = client.messages.send(
        to=["+14155551234", "+14155550001"], channel=["sms", "whatsapp"], text="Hello"
    )
    assert sent.success is True
    assert sent.data is not None
    assert sent.data.status == "QUEUED"
    recipients = sent.data.recipients or []
    ids = [r.message_id for r in recipients if r.message_id]
    assert len(set(ids)) == 4
    assert [(r.to, r.channel) for r in recipients] == [
        ("+14155551234", "sms"),
        ("+14155551234", "whatsapp"),
        ("+14155550001", "sms"),
        ("+14155550001", "whatsapp"),
    ]
    whatsapp = frozenset(
        str(r.message_id)
        for r in recipients
        if r.channel == "whatsapp" and not str(r.to).endswith("0001")
    )
    final = wait_final(client, ids, read=whatsapp)
    for recipient in recipients:
        data = final[str(recipient.message_id)]
        assert data.phone == recipient.to
        number = str(recipient.to)
        assert data.phone_international == f"+1 {number[2:5]}-{number[5:8]}-{number[8:]}"
        assert data.region_code == "US"
        assert data.customer_id == org["id"]
        assert data.channel == recipient.channel
        assert data.message_body is not None
        assert data.message_body.content == "Hello"
        events = [e.status for e in data.events or []]
        assert events[0] == "accepted"
        assert events[-1] == data.status
        activities = client.messages.retrieve_activities(str(recipient.message_id)).data
        assert activities is not None
        assert activities.message_id == recipient.message_id
        entries = activities.activities or []
        assert [a.status for a in entries] == [s.upper() for s in reversed(events)]
        assert entries[-1].status == "ACCEPTED"
        assert entries[-1].price is None
        stamps = [a.timestamp for a in entries]
        assert stamps == sorted((t for t in stamps if t is not None), reverse=True)
        assert all(re.fullmatch(r"\d+\.\d{4}", a.price or "") for a in entries[:-1])
        if number.endswith("0001"):
            assert data.status == "failed"
            assert data.reason_code == "DELIVERY_001"
            assert data.reason
            assert entries[0].status == "FAILED"
            assert entries[0].reason_code == "DELIVERY_001"
        else:
            assert data.status == ("read" if recipient.channel == "whatsapp" else "delivered")
            assert data.reason_code is None
            assert entries[0].reason_code is None


def test_envelope_and_headers_of_a_status_lookup(
    sdk: Sdk, server: ServerProcess, org: dict[str, str]
) -> None:
    client = sdk(server, org["api_key"])
    sent = client.messages.send(to=["+14155551234"], text="Hi")
    message_id = str(((sent.data and sent.data.recipients) or [])[0].message_id)
    raw = client.messages.with_raw_response.retrieve_status(message_id)
    body = raw.http_response.json()
    assert set(body) == {"success", "data", "error", "meta"}
    assert body["success"] is True
    assert body["error"] is None
    assert REQUEST_ID.fullmatch(body["meta"]["request_id"])
    assert TIMESTAMP.fullmatch(body["meta"]["timestamp"])
    assert body["meta"]["version"] == "v3"
    assert TIMESTAMP.fullmatch(body["data"]["created_at"])
    assert "scheduled_at" not in body["data"]
    assert "reason_code" not in body["data"]
    assert body["data"]["message_body"] == {
        "header": None,
        "content": "Hi",
        "footer": None,
        "buttons": None,
    }
    headers = raw.headers
    assert headers["x-request-id"] == body["meta"]["request_id"]
    assert headers["x-api-version"] == "v3"
    assert int(headers["x-ratelimit-limit"]) == 200
    assert 0 <= int(headers["x-ratelimit-remaining"]) < 200
    assert int(headers["x-ratelimit-reset"]) >= int(time.time())


def test_malformed_and_unknown_ids(sdk: Sdk, server: ServerProcess, org: dict[str, str]) -> None:
    client = sdk(server, org["api_key"])
    for call in (client.messages.retrieve_status, client.messages.retrieve_activities):
        with pytest.raises(sent_dm.BadRequestError) as bad:
            call("not-a-uuid")
        assert error_of(bad)["code"] == "VALIDATION_001"
        assert error_of(bad)["message"] == "Invalid message ID format."
        with pytest.raises(sent_dm.NotFoundError) as missing:
            call("8ba7b830-9dad-11d1-80b4-00c04fd430c8")
        error = error_of(missing)
        assert error["code"] == "RESOURCE_003"
        assert error["doc_url"] == "https://docs.sent.dm/errors/RESOURCE_003"


def test_keys_and_profiles_never_reach_another_tenant(
    sdk: Sdk, server: ServerProcess, org: dict[str, str], db_target: DbTarget
) -> None:
    child = create_profile(db_target, org["id"], "Child")
    other = create_org(db_target, "Other")
    owner = sdk(server, org["api_key"])
    sent = owner.messages.send(to=["+14155551234"], text="for the child", x_profile_id=child["id"])
    message_id = str(((sent.data and sent.data.recipients) or [])[0].message_id)
    status = owner.messages.retrieve_status(message_id, x_profile_id=child["id"]).data
    assert status is not None
    assert status.customer_id == child["id"]
    child_view = sdk(server, child["api_key"]).messages.retrieve_status(message_id).data
    assert child_view is not None
    assert child_view.id == message_id
    with pytest.raises(sent_dm.NotFoundError) as own_org:
        owner.messages.retrieve_status(message_id)  # the organization itself is another tenant
    assert error_of(own_org)["code"] == "RESOURCE_003"

    intruder = sdk(server, other["api_key"])
    for profile_header in (None, child["id"]):
        extra: dict[str, Any] = {"x_profile_id": profile_header} if profile_header else {}
        for call in (intruder.messages.retrieve_status, intruder.messages.retrieve_activities):
            with pytest.raises(sent_dm.NotFoundError) as hidden:
                call(message_id, **extra)
            code = error_of(hidden)["code"]
            assert code == ("RESOURCE_004" if profile_header else "RESOURCE_003")
    with pytest.raises(sent_dm.NotFoundError):
        intruder.messages.send(to=["+14155551234"], text="x", x_profile_id=child["id"])
    sibling = create_profile(db_target, org["id"], "Sibling")
    with pytest.raises(sent_dm.PermissionDeniedError) as denied:
        sdk(server, child["api_key"]).messages.retrieve_status(
            message_id, x_profile_id=sibling["id"]
        )
    assert error_of(denied)["code"] == "AUTH_004"
    with pytest.raises(sent_dm.BadRequestError) as malformed:
        owner.messages.retrieve_status(message_id, x_profile_id="nope")
    assert error_of(malformed)["code"] == "VALIDATION_003"
    with pytest.raises(sent_dm.AuthenticationError) as unknown:
        sdk(server, "sp_unknown").messages.retrieve_status(message_id)
    assert error_of(unknown)["code"] == "AUTH_002"
    with httpx.Client(base_url=server.url) as anonymous:
        response = anonymous.get(f"/v3/messages/{message_id}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTH_001"


def test_idempotency_key_replays_and_sends_nothing_twice(
    sdk: Sdk, server: ServerProcess, org: dict[str, str]
) -> None:
    client = sdk(server, org["api_key"])
    numbers = ["+14155551234", "+14155550009"]
    first = client.messages.with_raw_response.send(to=numbers, text="Once", idempotency_key="k-1")
    again = client.messages.with_raw_response.send(
        to=numbers, text="Different payload", idempotency_key="k-1"
    )
    parsed = first.parse().data
    assert parsed is not None
    ids = [r.message_id for r in parsed.recipients or []]
    replay = again.parse().data
    assert replay is not None
    assert [r.message_id for r in replay.recipients or []] == ids
    assert len(ids) == 2
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    original = first.http_response.json()["meta"]["request_id"]
    assert again.headers["x-original-request-id"] == original
    assert again.headers["x-request-id"] != original
    assert native_count(server, org["api_key"]) == 2
    with pytest.raises(sent_dm.BadRequestError) as bad:
        client.messages.send(to=numbers, text="x", idempotency_key="not a valid key!")
    assert error_of(bad)["code"] == "VALIDATION_007"


class _LoseFirstResponse(httpx.BaseTransport):
    """Forwards every request, but reports a timeout for the first send's response."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.lost = 0

    def close(self) -> None:
        self.inner.close()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and not self.lost:
            response.read()
            self.lost += 1
            raise httpx.ReadTimeout("response lost", request=request)
        return response


def test_sdk_retries_never_duplicate_a_send(
    sdk: Sdk, server: ServerProcess, org: dict[str, str]
) -> None:
    transport = _LoseFirstResponse()
    with httpx.Client(transport=transport) as http:
        client = sdk(server, org["api_key"], http_client=http, max_retries=2)
        sent = client.messages.send(to=["+14155551234"], text="retry me", idempotency_key="r-1")
    assert transport.lost == 1  # the SDK retried the POST after the lost response
    assert sent.data is not None
    assert len(sent.data.recipients or []) == 1
    assert native_count(server, org["api_key"]) == 1


def test_rate_limited_requests_are_retried_by_the_sdk_without_duplicates(
    sdk: Sdk, db_target: DbTarget, tmp_path: Any, org: dict[str, str]
) -> None:
    from tests.support.server import running_server

    env = {"SIGNALPOST_SENTDM_RATE_LIMIT": "3/second"}
    with running_server(db_target, tmp_path, extra_env=env) as limited:
        no_retry = sdk(limited, org["api_key"], max_retries=0)
        patient = sdk(limited, org["api_key"], max_retries=5)
        ids: list[str] = []
        for n in range(6):
            sent = patient.messages.send(to=["+14155551234"], text=f"burst {n}")
            ids += [str(r.message_id) for r in (sent.data and sent.data.recipients) or []]
        assert len(set(ids)) == 6
        assert native_count(limited, org["api_key"]) == 6
        with pytest.raises(sent_dm.RateLimitError) as limited_error:
            _hammer(no_retry, ids[0], times=10)
        assert error_of(limited_error)["code"] == "BUSINESS_002"
        headers = limited_error.value.response.headers
        assert int(headers["retry-after"]) >= 1
        assert headers["x-ratelimit-remaining"] == "0"


def _hammer(client: sent_dm.Sent, message_id: str, *, times: int) -> None:
    for _ in range(times):
        client.messages.retrieve_status(message_id)


@pytest.fixture
def http(server: ServerProcess, org: dict[str, str]) -> Iterator[httpx.Client]:
    """Plain HTTP with the v3 key header, for the endpoints the SDK has no method for."""
    with httpx.Client(base_url=server.url, headers={"x-api-key": org["api_key"]}) as client:
        yield client


def test_schedule_cancel_and_resend(
    sdk: Sdk, http: httpx.Client, org: dict[str, str], server: ServerProcess
) -> None:
    later = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 300))
    sent = http.post(
        "/v3/messages", json={"to": ["+14155551234"], "text": "later", "scheduled_at": later}
    )
    assert sent.status_code == 202, sent.text
    data = sent.json()["data"]
    assert data["status"] == "QUEUED"
    assert data["scheduled_at"].startswith(later[:19])
    message_id = data["recipients"][0]["message_id"]
    status = http.get(f"/v3/messages/{message_id}").json()["data"]
    assert status["status"] == "scheduled"
    assert status["scheduled_at"].startswith(later[:19])
    cancelled = http.post(f"/v3/messages/{message_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["data"]["status"] == "cancelled"
    activities = http.get(f"/v3/messages/{message_id}/activities").json()["data"]["activities"]
    assert [a["status"] for a in activities] == ["CANCELLED", "SCHEDULED", "ACCEPTED"]
    assert "scheduled_at" in activities[0]
    assert "scheduled_at" not in activities[2]
    again = http.post(f"/v3/messages/{message_id}/cancel")
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "BUSINESS_006"
    refused = http.post(f"/v3/messages/{message_id}/resend")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "BUSINESS_006"

    failed_id = http.post("/v3/messages", json={"to": ["+14155550001"], "text": "x"}).json()[
        "data"
    ]["recipients"][0]["message_id"]
    wait_final(sdk(server, org["api_key"]), [failed_id])
    resent = http.post(f"/v3/messages/{failed_id}/resend")
    assert resent.status_code == 202, resent.text
    recipient = resent.json()["data"]["recipients"][0]
    assert recipient["message_id"] != failed_id
    assert recipient["to"] == "+14155550001"
    assert recipient["channel"] == "sms"
    assert recipient["body"] == "x"


def test_send_validation_uses_the_catalogue(http: httpx.Client) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"to": [], "text": "x"}, 400, "VALIDATION_004"),
        ({"to": ["4155551234"], "text": "x"}, 400, "VALIDATION_002"),
        ({"to": ["+14155551234"]}, 400, "VALIDATION_001"),
        ({"to": ["+14155551234"], "text": "x", "channel": ["fax"]}, 400, "VALIDATION_006"),
        (
            {"to": ["+14155551234"], "text": "x", "scheduled_at": "2030-01-01T00:00:00"},
            400,
            "VALIDATION_001",
        ),
        (
            {"to": ["+14155551234"], "text": "x", "scheduled_at": "2020-01-01T00:00:00Z"},
            400,
            "VALIDATION_005",
        ),
        ({"to": ["+14155551234"], "template": {"name": "nope"}}, 404, "RESOURCE_002"),
        (
            {
                "to": ["+14155551234"],
                "text": "x",
                "channels": {"sent": [{"from": ["+14155550100"]}]},
            },
            400,
            "VALIDATION_006",
        ),
    ]
    for body, status, code in cases:
        response = http.post("/v3/messages", json=body)
        assert response.status_code == status, (body, response.text)
        error = response.json()["error"]
        assert error["code"] == code, (body, error)
        assert response.json()["data"] is None
