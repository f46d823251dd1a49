"""Bad input gets the dialect's 4xx, never a 5xx, on SQLite and PostgreSQL.

Every listing and lookup parameter of every dialect is found in the server's own OpenAPI
document (query parameters and path ids of every route), then fed integers far outside
64 bits, text holding U+0000, and odd text, against a real server.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.acceptance.dialect_shapes import dialect_of, is_error_shape
from tests.support.databases import DbTarget
from tests.support.server import ServerProcess, create_oauth_client

UNLIMITED = {
    f"SIGNALPOST_{name}": "1000000/second"
    for name in (
        "SENTDM_RATE_LIMIT",
        "SENTDM_SENSITIVE_RATE_LIMIT",
        "SENTDM_WEBHOOK_TEST_RATE_LIMIT",
        "SFMC_STATUS_RATE_LIMIT",
        "LAMAH_SMS_RATE_LIMIT",
        "LAMAH_RATE_LIMIT",
        "MAILERSEND_RATE_LIMIT",
        "MAILERSEND_ACTIVITY_RATE_LIMIT",
    )
}

FIXED_BAD = [
    str(2**63),
    str(2**64),
    str(-(2**63) - 1),
    "9" * 40,
    "1" * 5000,
    "1e400",
    "²",
    "0x10",
    "-1",
    "\x00",
    "1\x00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
]
_TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=24)
BAD_VALUES = st.one_of(
    st.sampled_from(FIXED_BAD),
    st.integers(min_value=2**62, max_value=2**80).map(str),
    st.integers(min_value=-(2**80), max_value=-(2**62)).map(str),
    st.integers().map(str),
    st.builds(lambda a, b: f"{a}\x00{b}", _TEXT, _TEXT),
    _TEXT,
)
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    query: tuple[str, ...]

    @property
    def path_params(self) -> list[str]:
        return [p[1:-1] for p in self.path.split("/") if p.startswith("{")]


@dataclass
class Harness:
    server: ServerProcess
    client: httpx.Client
    headers: dict[str, dict[str, str]]  # dialect -> credentials
    operations: list[Operation]

    def call(
        self, method: str, path: str, params: dict[str, str] | None = None, **kw: Any
    ) -> httpx.Response:
        dialect = dialect_of(path)
        if method in ("POST", "PUT", "PATCH") and "json" not in kw and "content" not in kw:
            kw["json"] = {}
        return self.client.request(
            method, path, params=params, headers=self.headers.get(dialect, {}), **kw
        )

    def check(self, response: httpx.Response) -> None:
        dialect = dialect_of(response.request.url.path)  # as sent: httpx folds "/.."
        assert response.status_code < 500 or response.status_code == 596, (
            response.request.method,
            str(response.request.url)[:300],
            response.status_code,
            response.text[:500],
        )
        if response.status_code >= 400:
            assert is_error_shape(dialect, response.status_code, response.json()), (
                dialect,
                str(response.request.url)[:300],
                response.status_code,
                response.text[:500],
            )


def _operations(document: dict[str, Any]) -> list[Operation]:
    found = []
    for path, methods in document["paths"].items():
        if path.startswith(("/healthz", "/openapi", "/docs")):
            continue
        for method, op in methods.items():
            query = tuple(p["name"] for p in op.get("parameters", []) if p["in"] == "query")
            found.append(Operation(method.upper(), path, query))
    return found


def _sfmc_token(server: ServerProcess, db_target: DbTarget, org_id: str) -> str:
    client = create_oauth_client(db_target, org_id)
    body = {
        "grant_type": "client_credentials",
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
    }
    response = httpx.post(server.url + "/v2/token", json=body, timeout=10)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return UNLIMITED


@pytest.fixture
def harness(server: ServerProcess, db_target: DbTarget, org: dict[str, str]) -> Iterator[Harness]:
    """The module's server (no rate limits) and a new organization with every credential."""
    key = org["api_key"]
    bearer = {"Authorization": f"Bearer {key}"}
    headers = {
        "native": bearer,
        "mailersend": bearer,
        "lamah": bearer,
        "sentdm": {"x-api-key": key},
        "sfmc": {"Authorization": f"Bearer {_sfmc_token(server, db_target, org['id'])}"},
    }
    with server.client() as client:
        document = client.get("/openapi.json").json()
        yield Harness(server, client, headers, _operations(document))


def _fill(path: str, value: str | None = None, target: str | None = None) -> str:
    """The path with every id filled: ``value`` for ``target``, a well-formed unknown id
    for the others."""
    parts = []
    for part in path.split("/"):
        if part.startswith("{"):
            name = part[1:-1]
            part = (
                quote(value, safe="")
                if name == target and value is not None
                else ("0190a0b4-7c8e-7000-8000-000000000000")
            )
        parts.append(part)
    return "/".join(parts)


def test_every_query_parameter_refuses_bad_values_in_the_dialects_shape(
    harness: Harness,
) -> None:
    listings = [(op, name) for op in harness.operations if op.method == "GET" for name in op.query]
    assert len(listings) >= 40, listings  # every dialect's listings were found
    for op, name in listings:
        path = _fill(op.path)
        for value in FIXED_BAD:
            harness.check(harness.call("GET", path, {name: value}))

    @FUZZ
    @given(target=st.sampled_from(listings), value=BAD_VALUES)
    def fuzz(target: tuple[Operation, str], value: str) -> None:
        op, name = target
        path = _fill(op.path)
        harness.check(harness.call("GET", path, {name: value}))

    fuzz()


def test_every_path_id_refuses_bad_values_in_the_dialects_shape(harness: Harness) -> None:
    lookups = [(op, p) for op in harness.operations for p in op.path_params]
    assert len(lookups) >= 40, lookups
    for op, name in lookups:
        for value in ["\x00", "a\x00b", str(2**64), "9" * 40, "a/b", "..", " "]:
            path = _fill(op.path, value, name)
            harness.check(harness.call(op.method, path))

    @FUZZ
    @given(target=st.sampled_from(lookups), value=BAD_VALUES.filter(bool))
    def fuzz(target: tuple[Operation, str], value: str) -> None:
        op, name = target
        path = _fill(op.path, value, name)
        harness.check(harness.call(op.method, path))

    fuzz()


NUL_BODIES = [
    b'{"text": "a\\u0000b"}',
    b'{"name": "x", "nested": {"list": ["ok", "\\u0000"]}}',
    b'{"k\\u0000": 1}',
    b'{"raw": "a\x00b"}',
]


def test_nul_in_any_body_is_refused_in_the_dialects_shape(harness: Harness) -> None:
    writes = [op for op in harness.operations if op.method in ("POST", "PUT", "PATCH")]
    assert len(writes) >= 25
    for op in writes:
        path = _fill(op.path)
        for body in NUL_BODIES:
            response = harness.client.request(
                op.method,
                path,
                content=body,
                headers={
                    **harness.headers.get(dialect_of(path), {}),
                    "content-type": "application/json",
                },
            )
            harness.check(response)
            assert response.status_code in (400, 404, 422), (path, response.text)


def test_nul_in_message_text_is_refused_and_nothing_is_stored(harness: Harness) -> None:
    sends = {
        "/v1/messages": {"to": ["+14155551234"], "text": "hello\x00world"},
        "/v3/messages": {"to": ["+14155551234"], "template": None, "text": "x\x00"},
        "/v1/sms": {"from": "+14155550100", "to": ["+14155551234"], "text": "x\x00"},
        "/api/sms/messages": {
            "message": "x\x00",
            "receiver": "+14155551234",
            "sender": "Acme",
            "payment_type": "wallet",
        },
        "/messaging/v1/sms/messages": {
            "definitionKey": "d",
            "recipients": [{"to": "14155551234", "messageKey": "k\x00"}],
        },
    }
    for path, body in sends.items():
        response = harness.call("POST", path, json=body)
        harness.check(response)
        assert response.status_code in (400, 422), (path, response.text)
    listed = harness.call("GET", "/v1/messages").json()
    assert listed["data"] == []
    # A backslash followed by "u0000" is text, not a NUL: it is accepted as written.
    text = "path\\u0000"
    sent = harness.call("POST", "/v1/messages", json={"to": ["+14155551234"], "text": text})
    assert sent.status_code == 202, sent.text
    message_id = sent.json()["messages"][0]["id"]
    assert harness.call("GET", f"/v1/messages/{message_id}").json()["text"] == text


UNKNOWN = [
    ("GET", "/v3/nonexistent", 404),
    ("GET", "/v3", 404),
    ("GET", "/v1/sms-messages/a%2Fb", 404),
    ("GET", "/v1/sms-unknown", 404),
    ("GET", "/v1/nonexistent", 404),
    ("GET", "/messaging/v1/unknown", 596),
    ("GET", "/platform/v1/unknown", 596),
    ("GET", "/api/sms/unknown", 404),
    ("GET", "/api/sms/messages/a/b", 404),
    ("DELETE", "/v3/messages", 405),
    ("PATCH", "/v1/sms", 405),
    ("GET", "/api/sms/messages", 405),
    ("PUT", "/messaging/v1/sms/messages", 405),
    ("DELETE", "/platform/v1/ens-verify", 405),
    ("GET", "/v2/token", 405),
    ("DELETE", "/v1/messages", 405),
    ("PUT", "/v1/sms-numbers", 405),
]


def test_unknown_paths_and_methods_answer_in_the_dialects_envelope(
    server: ServerProcess,
) -> None:
    with server.client() as client:
        for method, path, status in UNKNOWN:
            response = client.request(method, path)
            dialect = dialect_of(path)
            assert response.status_code == status, (method, path, response.text)
            assert is_error_shape(dialect, status, response.json()), (path, response.text)
            if status == 405:
                assert response.headers["allow"], path
                assert method not in response.headers["allow"]


def test_native_scheduled_at_must_lie_within_its_window(
    server: ServerProcess, org: dict[str, str]
) -> None:
    now = datetime.now(UTC)
    refused = [
        "0001-01-01T00:00:00Z",
        (now - timedelta(minutes=2)).isoformat(),
        (now + timedelta(days=30, minutes=5)).isoformat(),
        "9999-12-31T23:59:59-14:00",
    ]
    with server.client(org["api_key"]) as client:
        for when in refused:
            response = client.post(
                "/v1/messages", json={"to": ["+14155551234"], "text": "x", "scheduled_at": when}
            )
            assert response.status_code == 422, (when, response.text)
            assert "scheduled_at" in response.json()["error"]["details"]
        assert client.get("/v1/messages").json()["data"] == []
        skewed = (now - timedelta(seconds=20)).isoformat()
        response = client.post(
            "/v1/messages", json={"to": ["+14155551234"], "text": "x", "scheduled_at": skewed}
        )
        assert response.status_code == 202, response.text
        assert response.json()["messages"][0]["status"] != "scheduled"


NUMERIC = {
    ("/v1/messages", "limit"),
    ("/v1/activities", "limit"),
    ("/v1/activities", "after"),
    ("/v1/templates", "limit"),
    ("/v1/templates", "offset"),
    ("/v1/webhooks", "limit"),
    ("/v1/webhooks", "offset"),
    ("/v1/webhooks/{id}/deliveries", "limit"),
    ("/v1/webhooks/attempts", "after"),
    ("/v1/webhooks/attempts", "before"),
    ("/v1/webhooks/attempts", "limit"),
    ("/v3/templates", "page"),
    ("/v3/templates", "page_size"),
    ("/v3/contacts", "page"),
    ("/v3/webhooks", "page"),
    ("/v3/webhooks/{id}/events", "page"),
    ("/v3/profiles", "page"),
    ("/v3/webhooks/event-types", "page"),
    ("/v1/sms-messages", "page"),
    ("/v1/sms-activity", "page"),
    ("/v1/sms-activity", "limit"),
    ("/v1/sms-activity", "date_from"),
    ("/v1/sms-activity", "date_to"),
    ("/v1/sms-numbers", "page"),
    ("/v1/sms-recipients", "page"),
    ("/v1/sms-webhooks", "page"),
    ("/v1/sms-inbounds", "page"),
    ("/messaging/v1/sms/messages", "lastEventId"),
    ("/messaging/v1/sms/messages", "$pageSize"),
    ("/messaging/v1/sms/definitions", "$page"),
    ("/messaging/v1/sms/definitions", "$pageSize"),
}


def test_openapi_documents_a_bound_for_every_numeric_parameter(server: ServerProcess) -> None:
    document = httpx.get(server.url + "/openapi.json", timeout=10).json()
    integers = set()
    for path, methods in document["paths"].items():
        for op in methods.values():
            for param in op.get("parameters", []):
                schema = param["schema"]
                if schema["type"] == "integer":
                    integers.add((path, param["name"]))
                    assert schema["maximum"] <= 2**63 - 1, (path, param)
                    assert "minimum" in schema, (path, param)
                    assert str(schema["maximum"]) in param["description"], param
    assert integers >= NUMERIC, NUMERIC - integers
