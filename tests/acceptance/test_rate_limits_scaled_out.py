"""Rate limits with two API processes: on PostgreSQL, or with Redis configured, the limit
holds for the pair (the 101st request of a 100/minute limit is refused whichever process
gets it); on SQLite without Redis each process counts on its own; a Redis that does not
answer leaves each process counting on its own, with a warning, rather than refusing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx

from tests.support.databases import DbTarget
from tests.support.redis import redis_required
from tests.support.server import ServerProcess, create_org, free_port, running_server
from tests.support.waiting import eventually

LIMIT = {"SIGNALPOST_SENTDM_RATE_LIMIT": "100/minute"}
API_ONLY = ["--no-workers"]  # nothing here is sent: dispatch loops would only poll


@contextlib.contextmanager
def two_servers(
    db_target: DbTarget, tmp_path: Path, env: Mapping[str, str]
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    with (
        running_server(db_target, tmp_path, extra_env=env, args=API_ONLY) as one,
        running_server(db_target, tmp_path, extra_env=env, args=API_ONLY) as two,
    ):
        yield one, two


def spread(servers: tuple[ServerProcess, ...], api_key: str, count: int) -> list[httpx.Response]:
    """``count`` sent.dm requests of one key, taking turns between the servers."""
    clients = [
        httpx.Client(base_url=s.url, headers={"x-api-key": api_key}, timeout=30.0) for s in servers
    ]
    try:
        return [clients[n % len(clients)].get("/v3/me") for n in range(count)]
    finally:
        for client in clients:
            client.close()


def assert_the_pair_allows_exactly_the_limit(answers: list[httpx.Response]) -> None:
    statuses = [a.status_code for a in answers]
    assert statuses == [200] * 100 + [429, 429], statuses
    remaining = [int(a.headers["x-ratelimit-remaining"]) for a in answers]
    assert remaining == [*range(99, -1, -1), 0, 0]  # one count, whichever process answered
    assert {a.headers["x-ratelimit-limit"] for a in answers} == {"100"}
    resets = {int(a.headers["x-ratelimit-reset"]) for a in answers}
    assert max(resets) - min(resets) <= 1  # one window, as each process's clock rounds it
    for refused in answers[100:]:
        assert refused.json()["error"]["code"] == "BUSINESS_002"
        assert 1 <= int(refused.headers["retry-after"]) <= 60


def test_two_processes_share_a_limit_on_postgresql_and_not_on_sqlite(
    db_target: DbTarget, tmp_path: Path
) -> None:
    org = create_org(db_target)
    with two_servers(db_target, tmp_path, LIMIT) as servers:
        answers = spread(servers, org["api_key"], 102)
    if db_target.backend == "postgresql":
        assert_the_pair_allows_exactly_the_limit(answers)
        return
    # SQLite without Redis: each process counts its own half.
    assert [a.status_code for a in answers] == [200] * 102
    assert [int(a.headers["x-ratelimit-remaining"]) for a in answers[-2:]] == [49, 49]


def test_two_processes_share_a_limit_counted_in_redis(db_target: DbTarget, tmp_path: Path) -> None:
    env = {**LIMIT, "SIGNALPOST_REDIS_URL": redis_required()}
    org = create_org(db_target)  # a new API key: a key of its own in the shared Redis
    with two_servers(db_target, tmp_path, env) as servers:
        answers = spread(servers, org["api_key"], 102)
    assert_the_pair_allows_exactly_the_limit(answers)


def test_an_unreachable_redis_fails_open_to_counting_in_each_process(
    db_target: DbTarget, tmp_path: Path
) -> None:
    nothing_there = f"redis://127.0.0.1:{free_port()}/0"
    env = {"SIGNALPOST_SENTDM_RATE_LIMIT": "3/minute", "SIGNALPOST_REDIS_URL": nothing_there}
    org = create_org(db_target)
    with running_server(db_target, tmp_path, extra_env=env, args=API_ONLY) as server:
        answers = spread((server,), org["api_key"], 4)
        # Served, with the limit still counted here: 3 allowed, then the 429.
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert int(answers[-1].headers["retry-after"]) >= 1
        eventually(
            lambda: "rate limits: Redis failed" in server.log.read_text(),
            what="a warning that Redis did not answer",
        )
