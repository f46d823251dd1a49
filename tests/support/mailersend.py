"""Helpers of the MailerSend conformance tests: the numbers they use, send and wait."""

from __future__ import annotations

import re
import time
from typing import Any

from mailersend import MailerSendClient
from mailersend.models.sms_messages import SmsMessageGetRequest
from mailersend.models.sms_sending import SmsSendRequest

__all__ = [
    "DELIVERED",
    "OBJECT_ID",
    "SENDER",
    "TIMESTAMP",
    "UNDELIVERABLE",
    "send",
    "wait_final",
]

OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
SENDER = "+14155550100"
DELIVERED = "+14155551234"
UNDELIVERABLE = "+14155550001"  # the simulator fails numbers ending in 0001


def send(client: MailerSendClient, to: list[str], *, sender: str = SENDER, text: str = "Hi") -> str:
    response = client.sms_sending.send(SmsSendRequest(from_number=sender, to=to, text=text))
    assert response.status_code == 202
    assert response.data == {}
    message_id: str = response.headers["x-sms-message-id"]
    assert OBJECT_ID.match(message_id)
    return message_id


def wait_final(client: MailerSendClient, message_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """Poll ``GET /v1/sms-messages/{id}`` until every SMS of the send is delivered or failed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data: dict[str, Any] = client.sms_messages.get_sms_message(
            SmsMessageGetRequest(sms_message_id=message_id)
        ).data["data"]
        if all(s["status"] in ("delivered", "failed") for s in data["sms"]):
            return data
        time.sleep(0.2)
    raise AssertionError(f"send {message_id} not final in time")
