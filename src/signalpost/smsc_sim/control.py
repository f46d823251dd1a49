"""The simulator's control port: one JSON object per line in, one JSON line out.

```
{"cmd": "stats"}
{"cmd": "rate", "window": 1.0}                   # submit_sm arrivals and peak binds
{"cmd": "drop", "down_seconds": 1.0}
{"cmd": "throttle", "rate": 200}                 # 0 turns throttling off
{"cmd": "delay", "ms": 2000}                     # receipt delay from now on
{"cmd": "release"}                               # every waiting receipt due now
{"cmd": "script", "destination": "+14155550100", "parts": ["delivered", "failed"],
 "order": "reverse"}                             # or "submit_status": 11
{"cmd": "mo", "from": "+14155551234", "to": "12345", "text": "hello"}
```

For example ``echo '{"cmd": "drop"}' | nc 127.0.0.1 2776``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson

from signalpost.domain.lifecycle import Status
from signalpost.smsc_sim.behaviour import STATES, Script
from signalpost.smsc_sim.server import SmscSimulator

__all__ = ["execute", "serve_control"]


def _stats(sim: SmscSimulator, _: dict[str, Any]) -> dict[str, Any]:
    return {
        **sim.stats,
        "sessions": len(sim.sessions),
        "pending_deliveries": sim.pending_deliveries,
        "destinations_accepted_twice": sum(
            1 for n in sim.accepted_by_destination.values() if n > 1
        ),
    }


def _rate(sim: SmscSimulator, cmd: dict[str, Any]) -> dict[str, Any]:
    return sim.submit_rate(float(cmd.get("window", 1.0)))


def _drop(sim: SmscSimulator, cmd: dict[str, Any]) -> dict[str, Any]:
    return {"dropped": sim.drop(cmd.get("down_seconds"))}


def _throttle(sim: SmscSimulator, cmd: dict[str, Any]) -> dict[str, Any]:
    sim.settings.throttle_rate = float(cmd["rate"])
    return {"throttle_rate": sim.settings.throttle_rate}


def _delay(sim: SmscSimulator, cmd: dict[str, Any]) -> dict[str, Any]:
    sim.settings.receipt_delay_ms = int(cmd["ms"])
    return {"receipt_delay_ms": sim.settings.receipt_delay_ms}


def _release(sim: SmscSimulator, _: dict[str, Any]) -> dict[str, Any]:
    return {"released": sim.release()}


def _state(name: str | None) -> Status | None:
    if name is None or name == "none":
        return None
    status = Status(name)
    if status not in STATES:
        raise ValueError(f"a part can end {', '.join(s.value for s in STATES)} or none")
    return status


def _script(sim: SmscSimulator, cmd: dict[str, Any]) -> dict[str, Any]:
    script = Script(
        parts=tuple(_state(p) for p in cmd.get("parts", [])),
        order=cmd.get("order", "given"),
        submit_status=int(cmd.get("submit_status", 0)),
    )
    sim.script(str(cmd["destination"]), script)
    return {"scripted": cmd["destination"]}


def _mo(sim: SmscSimulator, cmd: dict[str, Any]) -> dict[str, Any]:
    parts = sim.send_mo(str(cmd["from"]), str(cmd["to"]), str(cmd["text"]))
    return {"queued_parts": parts}


_COMMANDS: dict[str, Callable[[SmscSimulator, dict[str, Any]], dict[str, Any]]] = {
    "stats": _stats,
    "rate": _rate,
    "drop": _drop,
    "throttle": _throttle,
    "delay": _delay,
    "script": _script,
    "mo": _mo,
    "release": _release,
}


def execute(sim: SmscSimulator, line: bytes) -> dict[str, Any]:
    """Run one control command; errors come back as ``{"error": ...}``."""
    try:
        cmd = orjson.loads(line)
        if not isinstance(cmd, dict):
            raise ValueError("a command is a JSON object")
        handler = _COMMANDS.get(str(cmd.get("cmd")))
        if handler is None:
            raise ValueError(f"unknown cmd; use one of {', '.join(_COMMANDS)}")
        return {"ok": True, **handler(sim, cmd)}
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError) as exc:
        return {"ok": False, "error": str(exc)}


async def serve_control(sim: SmscSimulator, host: str, port: int) -> asyncio.Server:
    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                if line.strip():
                    writer.write(orjson.dumps(execute(sim, line)) + b"\n")
                    await writer.drain()
        finally:
            writer.close()

    return await asyncio.start_server(client, host, port)
