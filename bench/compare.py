"""Measure a lookup endpoint beside the lean reference, in the same run, the same way.

Rounds alternate (ours, reference, reference, ours, ours, ...: the side that goes first
changes every round, so a slow drift of the machine favours neither) with the same load
generator and connection count, so background load on a shared machine hits both alike.
Each side's best round is reported (interference only ever slows a round down); many short
rounds give both sides more chances at a quiet moment than a few long ones.  The
reference server idles while ours is measured and the other way round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.harness import BenchEnv, Figure, Goal, say
from bench.loadgen import LoadResult, build_request, run_load
from bench.reference import PREFIX
from bench.servers import ServerProcess

__all__ = ["Lookup", "compare_lookups"]


@dataclass(frozen=True)
class Lookup:
    """One side of a comparison: a server and the requests to load it with."""

    server: ServerProcess
    requests: Sequence[bytes]


def reference_requests(ids: Sequence[str]) -> list[bytes]:
    return [build_request("GET", f"{PREFIX}{i}", {}) for i in ids]


def _rps(result: LoadResult) -> float:
    """Successful responses per second (errors and non-2xx answers do not count)."""
    return result.ok / result.seconds if result.seconds else 0.0


def _per_cpu_second(cpu: list[float]) -> float:
    """Requests per second of server CPU time, from [cpu seconds, requests]."""
    seconds, requests = cpu
    return requests / seconds if seconds > 0 else float("nan")


def _problems(result: LoadResult) -> str:
    bad = {s: n for s, n in result.statuses.items() if not 200 <= s < 300}
    parts = [f"{n} x HTTP {s}" for s, n in sorted(bad.items())]
    if result.errors:
        parts.append(f"{result.errors} dropped connections")
    return "; ".join(parts)


async def compare_lookups(
    env: BenchEnv, benchmark: str, label: str, ours: Lookup, reference: Lookup, *, target: float
) -> list[Figure]:
    """Requests/s of ``ours`` beside the reference, their ratio, and latencies."""
    rounds = env.scaled(6, 1)
    seconds = env.seconds(3.0, 2.0)
    best: dict[str, LoadResult] = {}
    cpu: dict[str, list[float]] = {"ours": [0.0, 0.0], "reference": [0.0, 0.0]}
    sides = [("ours", ours), ("reference", reference)]
    for n in range(rounds):
        for side, lookup in sides if n % 2 == 0 else sides[::-1]:
            before = lookup.server.cpu_seconds()
            result = await run_load(
                lookup.server.host,
                lookup.server.port,
                lookup.requests,
                connections=env.connections,
                seconds=seconds,
                warmup=0.5,
            )
            cpu[side][0] += lookup.server.cpu_seconds() - before
            cpu[side][1] += result.requests + result.warmup_requests
            say(
                f"{label} round {n + 1}/{rounds} {side}: {_rps(result):,.0f} req/s, "
                f"p50 {result.percentile(50):.1f} ms, p99 {result.percentile(99):.1f} ms"
            )
            if side not in best or _rps(result) > _rps(best[side]):
                best[side] = result
    mine, ref = best["ours"], best["reference"]
    store = ", rate limits in Redis" if env.redis_url else ""
    notes = [
        f"best of {rounds} x {seconds:g} s, {env.connections} connections, {env.backend}{store}"
    ]
    for side, result in (("ours", mine), ("reference", ref)):
        if problem := _problems(result):
            notes.append(f"{side}: {problem}")
    return [
        Figure(
            benchmark,
            f"{label} requests/s",
            _rps(mine),
            "req/s",
            reference=_rps(ref),
            target=target,
            goal=Goal.RATIO_AT_LEAST,
            note="; ".join(notes),
        ),
        Figure(
            benchmark,
            f"{label} requests per CPU second",
            _per_cpu_second(cpu["ours"]),
            "req/s",
            reference=_per_cpu_second(cpu["reference"]),
            note="server CPU time only: steadier than wall-clock figures on a busy machine",
        ),
        Figure(
            benchmark,
            f"{label} latency p50",
            mine.percentile(50),
            "ms",
            reference=ref.percentile(50),
        ),
        Figure(
            benchmark,
            f"{label} latency p99",
            mine.percentile(99),
            "ms",
            reference=ref.percentile(99),
        ),
    ]
