"""``python -m bench [NAME ...] [--quick] [--pg URL] [--redis URL]``: run benchmarks, one table.

Every benchmark lives in its own module and is registered in :data:`BENCHMARKS` as a
function taking the :class:`~bench.harness.BenchEnv` and returning a list of
:class:`~bench.harness.Figure` (plain or ``async``).  An optional benchmark whose module is
not there yet is skipped with a note.  The table goes to stdout, progress to stderr, and
the figures also to ``.bench/results.json``.  Figures are reported, never asserted: the
exit status is non-zero only when a benchmark could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bench import (
    end_to_end,
    exports,
    listings,
    mixed,
    send_accept,
    stats,
    status_lookup,
    upstream,
    webhook_fairness,
    webhooks,
)
from bench.harness import BenchEnv, Figure, format_table, say

Benchmark = Callable[[BenchEnv], Awaitable[list[Figure]]]


class Skipped(Exception):
    """A benchmark that cannot run here; the message says why."""


def _arguments(
    target: Callable[..., Any], env: BenchEnv, quick: Mapping[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Arguments for ``target`` from what it accepts: ``env``, ``pg_url``, ``quick``, sizes.

    A single required positional parameter of another name is given the ``BenchEnv``.
    """
    accepted = inspect.signature(target).parameters
    offered: dict[str, Any] = {"env": env, "pg_url": env.pg_url, "quick": env.quick}
    if env.quick:
        offered.update(quick)
    kwargs = {name: value for name, value in offered.items() if name in accepted}
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    required = [
        p
        for p in accepted.values()
        if p.default is p.empty and p.kind in positional and p.name not in kwargs
    ]
    return ((env,) if len(required) == 1 else ()), kwargs


def _as_figures(benchmark: str, result: object) -> list[Figure]:
    """Figures as returned, or a mapping's ``*_per_s`` entries as rates."""
    if isinstance(result, Mapping):
        return [
            Figure(benchmark, key.removesuffix("_per_s").replace("_", " ") + "/s", value, "/s")
            for key, value in result.items()
            if key.endswith("_per_s") and isinstance(value, int | float)
        ]
    if isinstance(result, list):
        return [f for f in result if isinstance(f, Figure)]
    return []


def optional(
    benchmark: str, module: str, function: str, quick: Mapping[str, Any] | None = None
) -> Benchmark:
    """A benchmark from a module that may not exist yet: skipped with a note if missing.

    The function is called with those of ``env``, ``pg_url`` and ``quick`` (and, under
    ``--quick``, the ``quick`` sizes) that it accepts, may be ``async``, and returns a list
    of figures or a mapping whose ``*_per_s`` entries are rates.
    """

    async def run(env: BenchEnv) -> list[Figure]:
        try:
            found = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise Skipped(f"{module} cannot be imported: {exc}") from exc
            raise Skipped(f"{module} is not there yet") from exc
        target = getattr(found, function, None)
        if target is None:
            raise Skipped(f"{module} has no {function}()")
        args, kwargs = _arguments(target, env, quick or {})
        result = target(*args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return _as_figures(benchmark, result)

    return run


BENCHMARKS: dict[str, Benchmark] = {
    status_lookup.NAME: status_lookup.run,
    status_lookup.SENTDM_NAME: status_lookup.run_sentdm,
    send_accept.NAME: send_accept.run,
    end_to_end.NAME: end_to_end.run,
    webhooks.NAME: webhooks.run,
    webhook_fairness.NAME: webhook_fairness.run,
    stats.NAME: stats.run,
    exports.NAME: exports.run,
    listings.NAME: listings.run,
    mixed.NAME: mixed.run,
    upstream.NAME: upstream.run,
    "smpp": optional("smpp", "bench.smpp", "bench_smpp", quick={"messages": 2_000}),
}


def parse_args(argv: list[str] | None = None) -> tuple[list[str], BenchEnv]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(BENCHMARKS)}"
    )
    parser.add_argument("--quick", action="store_true", help="short runs (targets still shown)")
    parser.add_argument("--pg", metavar="URL", help="run against PostgreSQL, one schema per run")
    parser.add_argument("--redis", metavar="URL", help="servers count rate limits in this Redis")
    parser.add_argument("--connections", type=int, default=32, help="for lookup loads")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the server into .bench/ (slows it)"
    )
    parser.add_argument("--keep", action="store_true", help="keep databases and logs")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    env = BenchEnv(
        quick=args.quick,
        pg_url=args.pg,
        redis_url=args.redis,
        connections=args.connections,
        profile=args.profile,
        keep=args.keep,
    )
    return args.names or list(BENCHMARKS), env


async def run_all(names: list[str], env: BenchEnv) -> tuple[list[Figure], dict[str, str]]:
    """Run benchmarks one after another; a failing one is reported and the rest go on."""
    figures: list[Figure] = []
    problems: dict[str, str] = {}
    for name in names:
        say(f"[{name}] {'quick ' if env.quick else ''}run on {env.backend}")
        started = time.perf_counter()
        try:
            figures += await BENCHMARKS[name](env)
        except Skipped as exc:
            problems[name] = f"skipped: {exc}"
            say(f"[{name}] skipped: {exc}")
        except Exception as exc:
            problems[name] = f"failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            traceback.print_exc()
        say(f"[{name}] {time.perf_counter() - started:.1f} s")
    return figures, problems


def save(env: BenchEnv, figures: list[Figure], problems: dict[str, str]) -> None:
    env.output.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "backend": env.backend,
        "rate_limits_in_redis": bool(env.redis_url),
        "quick": env.quick,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
        "figures": [f.as_dict() for f in figures],
        "problems": problems,
    }
    (env.output / "results.json").write_text(json.dumps(record, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    names, env = parse_args(argv)
    runner = asyncio.run
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is installed except on Windows
        pass
    else:
        runner = uvloop.run
    figures, problems = runner(run_all(names, env))
    save(env, figures, problems)
    print()
    print(format_table(figures))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n  {os.cpu_count()} CPUs, load average at the end {load} (others' work skews figures)")
    for name, problem in problems.items():
        print(f"  ! {name}: {problem}")
    return 1 if any(p.startswith("failed") for p in problems.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
