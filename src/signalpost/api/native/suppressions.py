"""Native suppression list: the numbers a tenant must not message, with why and from where.

The list is the one the whole platform uses: keywords (STOP), the sent.dm contacts opt-out,
MailerSend's recipients and carrier reports all read and write it.  An organization's
entries also cover its profiles.  ``GET /v1/suppressions`` lists it (keyset pages),
``POST`` adds numbers, ``DELETE /v1/suppressions/{number}`` removes one, and
``/v1/suppressions.csv`` imports (POST) and exports (GET) it as CSV.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from signalpost.accounts.schemas import Scope
from signalpost.api.kit import Param, Reply, Routes
from signalpost.api.native import answers
from signalpost.api.native.base import Native
from signalpost.api.native.params import CURSOR
from signalpost.consent import service as consent
from signalpost.consent.schemas import ConsentStatus, Recipient, SuppressionSource
from signalpost.domain.phone import InvalidPhoneNumber, parse_phone
from signalpost.errors import Conflict, NotFound, ValidationFailed
from signalpost.http import Request, Response, StreamingResponse, json_response
from signalpost.http.params import IntParam
from signalpost.storage import Connection, Database
from signalpost.timeutil import iso

__all__ = ["SuppressionIn", "routes"]

MAX_IMPORT_ROWS = 100_000
MAX_REASON = 500
_CURSOR = re.compile(r"(\d{1,18}):([0-9a-f-]{36})")
_CSV_COLUMNS = ("phone_number", "reason", "source", "updated_at")
LIMIT = IntParam("limit", 1, 500, 100, "items per page")


class SuppressionIn(BaseModel):
    """Numbers to add to the suppression list."""

    model_config = ConfigDict(extra="forbid")
    phone_numbers: list[str] = Field(min_length=1, max_length=1000, description="E.164 numbers")
    reason: str | None = Field(None, max_length=MAX_REASON, description="why, for people")


class NotSuppressed(NotFound):
    """The number is not on the suppression list."""


class SuppressedByOrganization(Conflict):
    """The number is on the organization's suppression list, which covers this profile:
    only an organization key can take it off."""

    code = "suppressed_by_organization"


def _present(r: Recipient) -> dict[str, Any]:
    return {
        "phone_number": r.phone_number,
        "reason": r.reason,
        "source": r.source.value if r.source else None,
        "created_at": iso(r.created_at),
        "updated_at": iso(r.updated_at),
    }


def _cursor(raw: str | None) -> tuple[int, str] | None:
    if not raw:
        return None
    match = _CURSOR.fullmatch(raw)
    if match is None:
        raise ValidationFailed(details={"cursor": ["invalid cursor"]})
    return int(match[1]), match[2]


def _e164(raw: str, where: str) -> str:
    try:
        return parse_phone(raw).e164
    except InvalidPhoneNumber as exc:
        raise ValidationFailed(details={where: [str(exc)]}) from exc


def _parse_csv(text: str) -> tuple[list[tuple[str, str | None]], list[dict[str, Any]]]:
    """Rows of ``phone_number[,reason]`` (a header row is optional) and the refused rows."""
    accepted: list[tuple[str, str | None]] = []
    refused: list[dict[str, Any]] = []
    # newline="": a lone carriage return ends a row, as in the files spreadsheets write,
    # instead of making the reader fail on it
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:  # a field over the reader's size limit
        raise ValidationFailed(details={"file": [f"not a CSV file: {exc}"]}) from exc
    for line, row in enumerate(rows, start=1):
        if not row or not "".join(row).strip():
            continue
        if line == 1 and row[0].strip().lower() in {"phone_number", "phone", "number"}:
            continue
        if line > MAX_IMPORT_ROWS + 1:
            raise ValidationFailed(details={"file": [f"at most {MAX_IMPORT_ROWS} rows"]})
        reason = row[1].strip() if len(row) > 1 and row[1].strip() else None
        try:
            number = parse_phone(row[0]).e164
        except InvalidPhoneNumber as exc:
            refused.append({"row": line, "value": row[0][:40], "error": exc.reason})
            continue
        if reason is not None and len(reason) > MAX_REASON:
            refused.append({"row": line, "value": row[0][:40], "error": "reason is too long"})
            continue
        accepted.append((number, reason))
    return accepted, refused


routes = Routes[Native]("/v1", owns=())
CSV = [(b"content-type", b"text/csv; charset=utf-8")]


@routes.get(
    "/suppressions",
    tx="read",
    query={"limit": LIMIT, "cursor": CURSOR},
    responses={200: answers.SuppressionPage, 422: "invalid cursor"},
)
async def list_suppressions(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """The suppression list, most recently changed first."""
    limit = LIMIT.value(request)
    before = _cursor(request.query("cursor"))
    found = await consent.suppressed(conn, scope, limit=limit + 1, before=before)
    page = found[:limit]
    following = f"{page[-1].updated_at}:{page[-1].id}" if len(found) > limit else None
    return json_response({"data": [_present(r) for r in page], "next_cursor": following})


@routes.post(
    "/suppressions",
    tx="write",
    body=SuppressionIn,
    responses={201: Reply("added", answers.SuppressionsAdded)},
)
async def add_suppressions(
    api: Native, request: Request, scope: Scope, body: SuppressionIn, conn: Connection
) -> Response:
    """Add numbers to the suppression list; sends to them end ``filtered``."""
    numbers = [_e164(n, f"phone_numbers.{i}") for i, n in enumerate(body.phone_numbers)]
    added = await consent.set_status_of_numbers(
        conn,
        scope,
        numbers,
        ConsentStatus.OPTED_OUT,
        recorder=api.ctx.consent,
        reason=body.reason,
    )
    return json_response({"data": [_present(r) for r in added]}, 201)


@routes.delete(
    "/suppressions/{number}",
    tx="write",
    path_params={"number": Param("the number (E.164)")},
    responses={
        204: "removed",
        404: "not on the list",
        409: "on the organization's list, which a profile cannot change",
        422: "not a phone number",
    },
)
async def remove_suppression(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Take a number off the suppression list (it may be messaged again)."""
    number = _e164(request.path_params["number"], "number")
    if not await consent.opted_out_among(conn, scope, [number]):
        raise NotSuppressed()
    if await consent.opted_out_by_organization_only(conn, scope, [number]):
        raise SuppressedByOrganization()
    await consent.set_status_of_numbers(
        conn,
        scope,
        [number],
        ConsentStatus.ACTIVE,
        recorder=api.ctx.consent,
        reason="removed from the list",
    )
    return Response(b"", 204)


@routes.post(
    "/suppressions.csv",
    raw_body=Param(
        "phone_number[,reason] rows (UTF-8; a header row is optional)",
        required=True,
        media_type="text/csv",
    ),
    responses={
        200: Reply("imported, with the refused rows", answers.SuppressionsImported),
        422: "not UTF-8, or too many rows",
    },
)
async def import_suppressions(
    api: Native, request: Request, scope: Scope, body: None, conn: None
) -> Response:
    """Import ``phone_number,reason`` rows (CSV, UTF-8) into the suppression list."""
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(details={"file": ["must be UTF-8 CSV"]}) from exc
    accepted, refused = _parse_csv(text)
    by_reason: dict[str | None, list[str]] = {}
    for number, reason in accepted:
        by_reason.setdefault(reason, []).append(number)
    async with api.ctx.db.transaction() as writer:
        for reason, numbers in by_reason.items():
            for start in range(0, len(numbers), 1000):
                await consent.set_status_of_numbers(
                    writer,
                    scope,
                    numbers[start : start + 1000],
                    ConsentStatus.OPTED_OUT,
                    recorder=api.ctx.consent,
                    reason=reason,
                    source=SuppressionSource.IMPORT,
                )
    return json_response({"imported": len(accepted), "refused": refused})


@routes.get(
    "/suppressions.csv",
    responses={200: Reply("phone_number,reason,source,updated_at rows", answers.File, "text/csv")},
)
async def export_suppressions(
    api: Native, request: Request, scope: Scope, body: None, conn: None
) -> Response:
    """The whole suppression list as CSV, streamed page by page."""
    return StreamingResponse(_csv_rows(api.ctx.db, scope), 200, CSV)


async def _csv_rows(db: Database, scope: Scope) -> AsyncIterator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_CSV_COLUMNS)
    before: tuple[int, str] | None = None
    while True:
        async with db.reader() as conn:
            page = await consent.suppressed(conn, scope, limit=1000, before=before)
        for r in page:
            source = r.source.value if r.source else ""
            writer.writerow((r.phone_number, r.reason or "", source, iso(r.updated_at)))
        yield out.getvalue().encode()
        out.seek(0)
        out.truncate()
        if len(page) < 1000:
            return
        before = (page[-1].updated_at, page[-1].id)
