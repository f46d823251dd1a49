"""Message commands, against a running server over HTTP with an API key like any client:
send (one message, or a CSV file of recipients), status, activities, webhook deliveries."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TYPE_CHECKING, Any

from signalpost.cli.csv_send import send_file
from signalpost.cli.output import CliError, emit, error_line, is_terminal, say
from signalpost.config import Settings

if TYPE_CHECKING:
    import httpx

__all__ = ["client_for", "register"]


def client_for(settings: Settings, args: argparse.Namespace) -> httpx.Client:
    key = args.api_key or os.environ.get("SIGNALPOST_API_KEY")
    if not key:
        raise CliError("an API key is needed: --api-key or SIGNALPOST_API_KEY")
    import httpx  # only commands that make requests: the other commands start without it

    return httpx.Client(
        base_url=args.url or settings.base_url,
        headers={"Authorization": f"Bearer {key}"},
        timeout=30.0,
    )


def show(response: httpx.Response, args: argparse.Namespace) -> int:
    """The server's answer: as it came for scripts; for people, a table or one error line."""
    if args.json or not is_terminal():
        sys.stdout.write(response.text.rstrip() + "\n")
        return 0 if response.is_success else 1
    if not response.is_success:
        raise CliError(error_line(response))
    emit(response.json())
    return 0


def cmd_send(settings: Settings, args: argparse.Namespace) -> int:
    if args.file:
        with client_for(settings, args) as client:
            return send_file(client, args)
    if not args.to:
        raise CliError("give --to NUMBER (repeat for more) or --file recipients.csv")
    body: dict[str, Any] = {"to": args.to, "channels": args.channel or ["sms"]}
    if args.template:
        body["template"] = {
            "name": args.template,
            "parameters": dict(p.split("=", 1) for p in args.param or []),
        }
    else:
        body["text"] = args.text
    if args.sender:
        body["from"] = args.sender
    with client_for(settings, args) as client:
        return show(client.post("/v1/messages", json=body), args)


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    with client_for(settings, args) as client:
        return show(client.get(f"/v1/messages/{args.id}"), args)


def cmd_activities(settings: Settings, args: argparse.Namespace) -> int:
    params: dict[str, str] = {}
    if args.message:
        params["message_id"] = args.message
    if args.status:
        params["status"] = args.status
    return _list_and_follow(settings, args, "/v1/activities", params)


def cmd_webhook_deliveries(settings: Settings, args: argparse.Namespace) -> int:
    """Webhook delivery attempts (status code, latency, error), oldest first; ``--follow``
    keeps polling the API for new ones, like ``activities --follow``."""
    params = {"webhook_id": args.webhook} if args.webhook else {}
    return _list_and_follow(settings, args, "/v1/webhooks/attempts", params)


def _list_and_follow(
    settings: Settings, args: argparse.Namespace, path: str, params: dict[str, str]
) -> int:
    with client_for(settings, args) as client:
        response = client.get(path, params={**params, "limit": str(args.limit)})
        if not response.is_success:
            return show(response, args)
        rows = list(reversed(response.json()["data"]))
        for row in rows:
            _row(row, args)
        if not args.follow:
            return 0
        return _follow(client, args, params, {r["id"] for r in rows}, path)


def _row(row: dict[str, Any], args: argparse.Namespace) -> None:
    if args.json or not is_terminal():
        emit(row, as_json=True)
    else:
        sys.stdout.write("  ".join(str(v) for v in row.values() if v is not None) + "\n")
        sys.stdout.flush()


def _follow(
    client: httpx.Client,
    args: argparse.Namespace,
    params: dict[str, str],
    printed: set[int],
    path: str,
) -> int:
    """Tail a listing: poll for ids above the newest seen, re-reading a window below it so
    rows committed late by a concurrent writer (with a lower id) are still shown once."""
    window = 500
    try:
        while True:
            last = max(printed, default=0)
            query = {**params, "after": str(max(0, last - window)), "limit": "1000"}
            response = client.get(path, params=query)
            if not response.is_success:
                say(f"error: {error_line(response)}")
            else:
                for row in response.json()["data"]:
                    if row["id"] not in printed:
                        printed.add(row["id"])
                        _row(row, args)
                floor = max(printed, default=0) - window
                printed.difference_update({i for i in printed if i < floor})
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0


def client_args(p: argparse.ArgumentParser) -> None:
    """Where the server is and which key to use, for a command that calls the API."""
    p.add_argument("--url", help="server URL (default from SIGNALPOST_HOST/PORT)")
    p.add_argument("--api-key", help="API key (default SIGNALPOST_API_KEY)")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    client = argparse.ArgumentParser(add_help=False, parents=[common])
    client_args(client)

    p = sub.add_parser("send", parents=[client], help="send a message, or one per CSV row")
    p.add_argument("--to", action="append", help="a recipient (repeat for more)")
    p.add_argument(
        "--file",
        help="CSV of recipients: a 'to' column, and a column per template variable "
        "({{name}} in --text, or the --template's parameters)",
    )
    p.add_argument("--batch-size", type=int, default=500, help="recipients per request")
    text = p.add_mutually_exclusive_group(required=True)
    text.add_argument("--text")
    text.add_argument("--template", help="template name")
    p.add_argument("--param", action="append", help="template parameter NAME=VALUE")
    p.add_argument("--channel", action="append")
    p.add_argument("--from", dest="sender")
    p.set_defaults(func=cmd_send)

    p = sub.add_parser("status", parents=[client], help="show a message")
    p.add_argument("id")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("activities", parents=[client], help="activities; --follow tails them")
    p.add_argument("--follow", "-f", action="store_true")
    p.add_argument("--message")
    p.add_argument("--status")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--interval", type=float, default=1.0)
    p.set_defaults(func=cmd_activities)

    hooks = sub.add_parser("webhooks", help="webhooks").add_subparsers(dest="action", required=True)
    p = hooks.add_parser("deliveries", parents=[client], help="delivery attempts; --follow")
    p.add_argument("--follow", "-f", action="store_true")
    p.add_argument("--webhook", help="only this webhook endpoint's attempts")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--interval", type=float, default=1.0)
    p.set_defaults(func=cmd_webhook_deliveries)
