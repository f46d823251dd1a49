"""Child processes that never outlive their test.

Each child starts in a process group of its own; :func:`stop` sends it a polite signal,
waits for it to exit (generously: a loaded machine may take many seconds to schedule it),
then kills the whole group and reaps it.  Every child started here is also remembered, and
:func:`reap_all` (run when the session ends) stops whatever a failed test left behind, so
a leaked process can neither hold a port nor fail a later test with a ``ResourceWarning``.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO, Any

__all__ = ["GRACE_SECONDS", "child", "reap_all", "spawn", "stop"]

GRACE_SECONDS = 60.0  # how long a child may take to exit after a polite signal

_LIVE: list[subprocess.Popen[bytes]] = []

# A suite started as a background job ignores SIGINT, and children inherit an ignored
# signal across exec: tests that stop a child with Ctrl-C would find it deaf.  A handler
# of our own is reset to the default in every child.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

Output = int | IO[Any] | None


def spawn(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdout: Output = None,
    stderr: Output = None,
) -> subprocess.Popen[bytes]:
    """Start ``args`` in a new process group; stop it with :func:`stop`."""
    process = subprocess.Popen(
        list(args), env=env, stdout=stdout, stderr=stderr, start_new_session=True
    )
    _LIVE.append(process)
    return process


def stop(
    process: subprocess.Popen[bytes],
    sig: signal.Signals = signal.SIGTERM,
    *,
    grace: float = GRACE_SECONDS,
) -> int | None:
    """Send ``sig``, wait up to ``grace`` seconds, then SIGKILL the process group.

    Returns the exit code the process gave on its own, or ``None`` if it had to be killed
    (or had already exited before the signal: its code is then in ``returncode``).  The
    process is always reaped; a stuck one is killed with everything in its group.
    """
    code: int | None = None
    if process.poll() is None:
        try:
            process.send_signal(sig)
            code = process.wait(grace)
        except subprocess.TimeoutExpired:
            # Still unreaped, so its group id is still its own: safe to kill the group.
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    for stream in (process.stdout, process.stderr, process.stdin):
        if stream is not None:
            stream.close()
    if process in _LIVE:
        _LIVE.remove(process)
    return code


@contextmanager
def child(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdout: Output = None,
    stderr: Output = None,
    stop_signal: signal.Signals = signal.SIGTERM,
) -> Iterator[subprocess.Popen[bytes]]:
    """A child process for the length of a ``with`` block, stopped and reaped on exit."""
    process = spawn(args, env=env, stdout=stdout, stderr=stderr)
    try:
        yield process
    finally:
        stop(process, stop_signal)


def reap_all() -> None:
    """Stop every child still running (a test that failed before it could stop its own)."""
    for process in list(_LIVE):
        stop(process, signal.SIGKILL, grace=10.0)
