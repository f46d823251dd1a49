"""A provider scripted in-process for HTTP carrier tests: it stands where the guarded
egress client stands (the carrier's ``Requester``), answering each request with what the
test's handler returns or raising the egress error it raises."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson
from multidict import CIMultiDict

from signalpost.egress import Reply

__all__ = ["Call", "Handler", "ScriptedClient", "answer"]


@dataclass(frozen=True, slots=True)
class Call:
    """A request as the provider received it (header names in lower case)."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    def json(self) -> Any:
        return orjson.loads(self.body)


Handler = Callable[[Call], Reply]


def answer(
    status: int,
    json: Any = None,
    *,
    text: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """An answer as the egress client returns it (headers case-insensitive)."""
    body = orjson.dumps(json) if json is not None else (text or "").encode()
    found: CIMultiDict[str] = CIMultiDict(headers or {})
    if json is not None:
        found.setdefault("content-type", "application/json")
    return Reply(status, found, body)


@dataclass
class ScriptedClient:
    handler: Handler
    calls: list[Call] = field(default_factory=list)
    closed: bool = False

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float,
        read_limit: int = 65536,
    ) -> Reply:
        del timeout, read_limit
        lowered = {k.lower(): v for k, v in (headers or {}).items()}
        call = Call(method, url, lowered, body or b"")
        self.calls.append(call)
        return self.handler(call)

    async def aclose(self) -> None:
        self.closed = True
