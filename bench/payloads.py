"""Request bodies for benchmarks: distinct valid US numbers and batch sends of them.

Every number is distinct within a run, so the server's phone-number cache never flatters a
figure, and none ends in 0001-0005 (the simulator's failure endings): every message of a
benchmark is meant to be delivered.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import orjson

from bench.loadgen import Reply, build_request
from signalpost.domain.phone import parse_phone

__all__ = ["NumberPool", "accepted_ids", "send_requests"]

AREA_CODES = (415, 212, 312, 617, 206, 303, 512, 646, 718, 202)
# Exchanges 201-999 without the N11 service codes.
EXCHANGES = tuple(e for e in range(201, 1000) if e % 100 != 11)
# Line numbers from 0010: the simulator's failure endings 0001-0005 never occur.
LINES = range(10, 10_000)
SEND_PATH = "/v1/messages"


class NumberPool:
    """Hands out distinct E.164 numbers, checked with the project's own parser."""

    def __init__(self) -> None:
        self._prefixes = self._valid_prefixes()
        self._prefix = ""
        self._next = 0

    @staticmethod
    def _valid_prefixes() -> Iterator[str]:
        for area in AREA_CODES:
            for exchange in EXCHANGES:
                prefix = f"+1{area}{exchange}"
                # Validity depends on area code and exchange; one line number checks both.
                parse_phone(f"{prefix}1234")
                yield prefix

    def take(self, count: int) -> list[str]:
        """``count`` numbers never handed out before by this pool."""
        out: list[str] = []
        while len(out) < count:
            line_index = self._next % len(LINES)
            if line_index == 0:
                self._prefix = next(self._prefixes)
            out.append(f"{self._prefix}{LINES[line_index]:04d}")
            self._next += 1
        return out


def send_requests(
    api_key: str, pool: NumberPool, *, batches: int, batch_size: int = 1_000
) -> list[bytes]:
    """``batches`` native batch sends of ``batch_size`` recipients each, as raw HTTP."""
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    requests = []
    for n in range(batches):
        body = {"to": pool.take(batch_size), "text": f"Your code is {n:06d}. Reply STOP to end."}
        requests.append(build_request("POST", SEND_PATH, headers, orjson.dumps(body)))
    return requests


def accepted_ids(replies: Sequence[Reply]) -> list[str]:
    """Message ids of every accepted (202) batch send; other replies raise with their body."""
    ids: list[str] = []
    for reply in replies:
        if reply.status != 202:
            raise RuntimeError(f"send answered {reply.status}: {reply.body[:500]!r}")
        ids.extend(m["id"] for m in orjson.loads(reply.body)["messages"])
    return ids
