"""The ``signalpost`` command: run processes, administer tenants, send and watch messages.

Administrative commands (``org``, ``profile``, ``key``, ``retention``, ``migrate``…) work
on the database named by ``SIGNALPOST_DATABASE_URL`` and say which one on stderr; message
commands (``send``, ``status``, ``activities``, ``webhooks``) talk to a running server
over HTTP with an API key, like any client.  Results are tables on a terminal and one
JSON line otherwise (or with ``--json``); failures are one line on stderr and a non-zero
exit status.  A module per command group registers its commands here.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from pydantic import ValidationError

from signalpost.cli import admin, client, processes
from signalpost.cli.output import CliError
from signalpost.config import Settings
from signalpost.console.cli import register as register_console_users
from signalpost.errors import AppError
from signalpost.exports.cli import register as register_exports

__all__ = ["build_parser", "main"]


def _version() -> str:
    try:
        return version("signalpost")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="signalpost", description="Signalpost SMS platform")
    parser.add_argument("--version", action="version", version=f"signalpost {_version()}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--json", action="store_true", help="print JSON (the default when not on a terminal)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    processes.register(sub)
    admin.register(sub, common)
    client.register(sub, common)
    register_exports(sub, client.client_args)
    register_console_users(sub)
    return parser


def _fail(message: str, code: int = 1) -> int:
    sys.stderr.write(f"signalpost: error: {message}\n")
    return code


def _request_failure(exc: Exception, url: str) -> str | None:
    """What to say of a request that failed, or None when ``exc`` is no HTTP failure.

    httpx is imported by the commands that make requests and only by them (with the modules
    it pulls in, a tenth of a second of CPU that servers, workers and database commands
    need not spend): when it is not loaded, no request was made."""
    if "httpx" not in sys.modules:
        return None
    import httpx

    if isinstance(exc, httpx.ConnectError):
        return f"cannot reach the server at {url} ({exc}); is it running?"
    if isinstance(exc, httpx.HTTPError):
        return f"request failed: {type(exc).__name__}: {exc}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not hasattr(args, "json"):
        args.json = False
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"SIGNALPOST_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        return _fail(f"bad setting: {problems}")
    try:
        result: int = args.func(settings, args)
    except CliError as exc:
        return _fail(str(exc), exc.exit_code)
    except AppError as exc:
        details = "; ".join(f"{k}: {', '.join(v)}" for k, v in (exc.details or {}).items())
        return _fail(f"{exc.message} ({exc.code})" + (f": {details}" if details else ""))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        failed = _request_failure(exc, getattr(args, "url", None) or settings.base_url)
        if failed is not None:
            return _fail(failed)
        if os.environ.get("SIGNALPOST_DEBUG"):
            raise
        return _fail(f"{type(exc).__name__}: {exc} (SIGNALPOST_DEBUG=1 shows the traceback)")
    return result
