"""Log lines: human-readable by default, JSON objects with ``SIGNALPOST_LOG_FORMAT=json``.

Every record carries the request id of the work at hand (see :mod:`.context`), so the
lines about one message can be found in every process: the request that accepted it, the
dispatch round that sent it, the webhook deliveries that told of it.  A last filter
masks anything shaped like a Signalpost secret, whatever a message or argument held.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import orjson

from signalpost.request_ids import current_request_id

__all__ = ["JsonFormatter", "configure", "mask_secrets"]

# API keys (sp_...) and webhook signing secrets (whsec_...).
_SECRET = re.compile(r"\b(sp_|whsec_)[A-Za-z0-9_+/=\-]{8,}")
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"']+")
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


def mask_secrets(text: str) -> str:
    text = _SECRET.sub(lambda m: m.group(1) + "***", text)
    return _BEARER.sub(lambda m: m.group(1) + "***", text)


class _RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record that has none."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        if request_id:
            line = f"{line} [{request_id}]"
        return mask_secrets(line)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and value is not None:
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return mask_secrets(orjson.dumps(data, default=str).decode())


JsonFormatter.converter = __import__("time").gmtime


def configure(level: str, fmt: str) -> None:
    """Set up the root logger once for a process (uvicorn's loggers included)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
