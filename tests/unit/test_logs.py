"""Log lines carry the request id and never a secret."""

from __future__ import annotations

import logging

import orjson
from hypothesis import given
from hypothesis import strategies as st

from signalpost.observability.logs import JsonFormatter, TextFormatter, _RequestIdFilter
from signalpost.request_ids import (
    accepted_request_id,
    new_request_id,
    reset,
    use_request_id,
)

SECRETS = [
    "sp_bL6x7cXHG4xPMKJavgXHZSdb3fAiewUArE4jUhuIT1w",
    "sp_test_Zm9vYmFyYmF6cXV4cXV1eHh4eHh4eHh4eHh4",
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw+/=",
]


def _record(message: str, *args: object) -> logging.LogRecord:
    record = logging.LogRecord("signalpost.test", logging.INFO, __file__, 1, message, args, None)
    _RequestIdFilter().filter(record)
    return record


def test_lines_carry_the_request_id_of_the_work_at_hand() -> None:
    token = use_request_id("trace-7")
    try:
        line = orjson.loads(JsonFormatter().format(_record("sent %s", "x")))
    finally:
        reset(token)
    assert line["request_id"] == "trace-7"
    assert line["message"] == "sent x"
    assert line["level"] == "info"
    assert "[trace-7]" not in TextFormatter().format(_record("outside any request"))


def test_secrets_are_masked_in_both_formats() -> None:
    for secret in SECRETS:
        for formatter in (JsonFormatter(), TextFormatter()):
            text = formatter.format(_record("key %s and Authorization: Bearer %s", secret, "abc"))
            assert secret not in text
            assert "Bearer abc" not in text


@given(st.binary(max_size=100))
def test_only_safe_request_ids_are_accepted(raw: bytes) -> None:
    accepted = accepted_request_id(raw)
    if accepted is not None:
        assert 0 < len(accepted) <= 64
        assert accepted.isprintable()
        assert " " not in accepted
        assert "\n" not in accepted


def test_new_request_ids_are_unique() -> None:
    ids = {new_request_id() for _ in range(10_000)}
    assert len(ids) == 10_000
