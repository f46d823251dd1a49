"""Every dialect's OpenAPI document against a live server.

A bounded property-based run (schemathesis) calls each documented operation with
generated parameters and bodies, signed in as the dialect expects, and checks that the
server never answers 5xx, answers only statuses the operation documents, with the
documented content type, and bodies that match the documented schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.databases import DbTarget
from tests.support.server import ServerProcess, create_oauth_client, create_org

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 12
TAGS = ["native", "sent.dm v3", "mailersend", "lamah", "sfmc", "system", "carriers"]


class Callers:
    """The credentials each dialect takes, for one organization."""

    def __init__(self, server: ServerProcess, target: DbTarget) -> None:
        org = create_org(target, "Contract")
        self.api_key = org["api_key"]
        oauth = create_oauth_client(target, org["id"])
        token = httpx.post(
            f"{server.url}/v2/token",
            json={
                "grant_type": "client_credentials",
                "client_id": oauth["client_id"],
                "client_secret": oauth["client_secret"],
            },
            timeout=30.0,
        )
        assert token.status_code == 200, token.text
        self.sfmc_token = str(token.json()["access_token"])

    def headers(self, tag: str) -> dict[str, str]:
        if tag == "sentdm":
            return {"x-api-key": self.api_key}
        if tag.startswith("sfmc"):
            return {"Authorization": f"Bearer {self.sfmc_token}"}
        return {"Authorization": f"Bearer {self.api_key}"}


@pytest.fixture(scope="module")
def callers(server: ServerProcess, shared_target: DbTarget) -> Callers:
    return Callers(server, shared_target)


def _operations(server: ServerProcess) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    schema.config.update(base_url=server.url)
    operations = []
    for result in schema.include(tag=TAGS).get_all_operations():
        if isinstance(result, Err):
            raise AssertionError(f"an operation that cannot be read: {result.err()}")
        operations.append(result.ok())
    return operations


@pytest.fixture(scope="module")
def http_session() -> Iterator[requests.Session]:
    """One keep-alive connection for every call (a new session and connection per call cost
    the run more CPU than the server's answers).  Each call still stands alone: no cookie is
    kept from one to the next, and no header is added to those of the case (a session's
    defaults, such as ``Accept-Encoding``, are not sent without one)."""
    with requests.Session() as http:
        http.headers.clear()
        http.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        yield http


def _check(operation: Any, callers: Callers, session: requests.Session) -> str | None:
    """The first failure of a bounded run of one operation, or None."""
    tags = operation.definition.raw.get("tags") or ["native"]
    headers = callers.headers(tags[0])

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(session=session, headers=headers, checks=CHECKS)

    try:
        run()
    except Exception as exc:  # a failed check, with the request that shows it
        return f"{operation.label}: {exc}"
    return None


def test_answers_match_the_document(
    server: ServerProcess, callers: Callers, http_session: requests.Session
) -> None:
    operations = _operations(server)
    assert operations
    failures = [
        f for f in (_check(op, callers, http_session) for op in operations) if f is not None
    ]
    assert not failures, "\n\n".join(failures)
