"""Commands that run a long-lived process: the API server, workers, the SMSC simulator."""

from __future__ import annotations

import argparse
from typing import Any

from signalpost.config import Settings

__all__ = ["register"]


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from signalpost.server import run_server

    updates = {
        k: v
        for k, v in (("host", args.host), ("port", args.port), ("workers", args.workers))
        if v is not None
    }
    run_server(
        settings.model_copy(update=updates),
        migrate=not args.no_migrate,
        with_workers=not args.no_workers,
    )
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from signalpost.server import run_worker

    if args.workers is not None:
        settings = settings.model_copy(update={"workers": args.workers})
    if args.port is not None:
        settings = settings.model_copy(update={"worker_port": args.port})
    run_worker(settings)
    return 0


def cmd_smsc_sim(settings: Settings, args: argparse.Namespace) -> int:
    from signalpost.smsc_sim.runner import run
    from signalpost.smsc_sim.settings import SimulatorSettings

    del settings
    run(
        SimulatorSettings(
            host=args.host,
            port=args.port,
            system_id=args.system_id,
            password=args.password,
            receipt_delay_ms=args.receipt_delay_ms,
            receipt_tlvs=not args.no_receipt_tlvs,
            throttle_rate=args.throttle_rate,
            throttle_every=args.throttle_every,
            drop_every=args.drop_every,
            drop_once_after=args.drop_once_after,
            message_ids=args.message_ids,
            receipt_text_ids=args.receipt_text_ids,
            early_receipts=args.early_receipts,
            duplicate_receipts=args.duplicate_receipts,
        ),
        args.control_port,
    )
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the API server with workers")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, help="dispatch loops in this process")
    p.add_argument("--no-migrate", action="store_true")
    p.add_argument("--no-workers", action="store_true", help="API only")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run workers only")
    p.add_argument("--workers", type=int)
    p.add_argument("--port", type=int, help="serve /healthz, /readyz and /metrics on this port")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("smsc-sim", help="run the SMSC simulator (an SMPP 3.4 server)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=2775)
    p.add_argument("--control-port", type=int, help="JSON-lines control port (drop, throttle…)")
    p.add_argument("--system-id", help="accept only this system_id (default: any)")
    p.add_argument("--password", help="accept only this password (default: any)")
    p.add_argument("--receipt-delay-ms", type=int, default=300)
    p.add_argument("--throttle-rate", type=float, default=0.0, help="submit_sm/s per session")
    p.add_argument("--throttle-every", type=int, default=0, help="throttle every N-th submit_sm")
    p.add_argument(
        "--drop-every", type=int, default=0, help="drop sessions every N accepted submit_sm"
    )
    p.add_argument("--drop-once-after", type=int, default=0, help="drop sessions once, after N")
    p.add_argument("--message-ids", choices=("random", "decimal", "hex"), default="random")
    p.add_argument(
        "--receipt-text-ids",
        choices=("same", "decimal", "hex"),
        default="same",
        help="write the id in the receipt text in this base",
    )
    p.add_argument("--early-receipts", action="store_true", help="receipt before submit_sm_resp")
    p.add_argument("--duplicate-receipts", action="store_true")
    p.add_argument("--no-receipt-tlvs", action="store_true", help="receipt text only")
    p.set_defaults(func=cmd_smsc_sim)
