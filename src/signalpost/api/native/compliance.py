"""Native compliance routes: a tenant's keyword lists and auto-replies.

``GET /v1/compliance`` shows the settings in force (the tenant's own, else its
organization's, else the defaults) with the full keyword lists; ``PUT`` replaces them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from signalpost.accounts.schemas import Scope
from signalpost.api.kit import Reply, Routes
from signalpost.api.native import answers
from signalpost.api.native.base import Native
from signalpost.compliance import service as compliance
from signalpost.compliance.schemas import DEFAULT_REPLIES, ComplianceSettings
from signalpost.domain.keywords import KeywordAction
from signalpost.domain.quiet_hours import QuietHours
from signalpost.errors import ValidationFailed
from signalpost.http import Request, Response, json_response
from signalpost.storage import Connection

__all__ = ["ComplianceIn", "routes"]


class ComplianceIn(BaseModel):
    """A tenant's keyword settings; replies left null use the defaults."""

    model_config = ConfigDict(extra="forbid")
    auto_reply: bool = Field(True, description="answer STOP, START and HELP automatically")
    opt_out_reply: str | None = Field(None, max_length=4096)
    opt_in_reply: str | None = Field(None, max_length=4096)
    help_reply: str | None = Field(None, max_length=4096)
    opt_out_words: list[str] = Field(default_factory=list, description="extra opt-out words")
    opt_in_words: list[str] = Field(default_factory=list, description="extra opt-in words")
    help_words: list[str] = Field(default_factory=list, description="extra help words")
    quiet_hours: dict[str, str] = Field(
        default_factory=dict,
        description='local windows per destination country, "*" for any: {"US": "21:00-08:00"}',
    )
    quiet_categories: list[str] = Field(
        default_factory=lambda: ["marketing"], description="categories that wait out quiet hours"
    )


def _present(settings: ComplianceSettings) -> dict[str, Any]:
    return {
        "auto_reply": settings.auto_reply,
        "opt_out_reply": settings.opt_out_reply,
        "opt_in_reply": settings.opt_in_reply,
        "help_reply": settings.help_reply,
        "opt_out_words": list(settings.opt_out_words),
        "opt_in_words": list(settings.opt_in_words),
        "help_words": list(settings.help_words),
        "quiet_hours": {region: str(window) for region, window in settings.quiet_hours.items()},
        "quiet_categories": list(settings.quiet_categories),
        "default_replies": {action.value: DEFAULT_REPLIES[action] for action in KeywordAction},
        "keywords": {
            "opt_out": sorted(settings.keywords.opt_out),
            "opt_in": sorted(settings.keywords.opt_in),
            "help": sorted(settings.keywords.help),
        },
    }


routes = Routes[Native]("/v1", owns=())


@routes.get("/compliance", tx="read", responses={200: answers.ComplianceOut})
async def get_compliance(
    api: Native, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """The keyword lists and auto-replies in force for this tenant."""
    return json_response(_present(await compliance.settings_for(conn, scope)))


@routes.put(
    "/compliance",
    tx="write",
    body=ComplianceIn,
    responses={200: Reply("the settings now in force", answers.ComplianceOut)},
)
async def put_compliance(
    api: Native, request: Request, scope: Scope, body: ComplianceIn, conn: Connection
) -> Response:
    """Replace this tenant's keyword lists and auto-replies."""
    windows: dict[str, QuietHours] = {}
    for region, text in body.quiet_hours.items():
        try:
            windows[region] = QuietHours.parse(text)
        except ValueError as exc:
            raise ValidationFailed(details={f"quiet_hours.{region}": [str(exc)]}) from exc
    wanted = ComplianceSettings(
        tenant_id=scope.tenant_id,
        auto_reply=body.auto_reply,
        opt_out_reply=body.opt_out_reply,
        opt_in_reply=body.opt_in_reply,
        help_reply=body.help_reply,
        opt_out_words=tuple(body.opt_out_words),
        opt_in_words=tuple(body.opt_in_words),
        help_words=tuple(body.help_words),
        quiet_hours=windows,
        quiet_categories=tuple(body.quiet_categories),
    )
    return json_response(_present(await compliance.update_settings(conn, scope, wanted)))
