"""Run the SMSC simulator as a process until interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys

import orjson

from signalpost.smsc_sim.control import serve_control
from signalpost.smsc_sim.server import SmscSimulator
from signalpost.smsc_sim.settings import SimulatorSettings

__all__ = ["run"]


async def serve(settings: SimulatorSettings, control_port: int | None) -> None:
    sim = SmscSimulator(settings)
    await sim.start()
    control = None
    if control_port is not None:
        control = await serve_control(sim, settings.host, control_port)
    ready = {"smsc": sim.port, "control": control.sockets[0].getsockname()[1] if control else None}
    sys.stdout.write(orjson.dumps(ready).decode() + "\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    if control is not None:
        control.close()
    await sim.stop()


def run(settings: SimulatorSettings, control_port: int | None) -> None:
    """Serve on uvloop when it is installed."""
    with contextlib.suppress(KeyboardInterrupt):
        try:
            import uvloop
        except ImportError:
            asyncio.run(serve(settings, control_port))
        else:
            uvloop.run(serve(settings, control_port))
