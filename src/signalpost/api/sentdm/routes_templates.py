"""``/v3/templates``: the templates a send refers to by id or name."""

from __future__ import annotations

from signalpost.accounts.schemas import Scope
from signalpost.api.kit import Param, Reply
from signalpost.api.sentdm import presenters
from signalpost.api.sentdm.base import PAGE, PAGE_SIZE, Page, SentDm, path_uuid, v3_routes
from signalpost.api.sentdm.envelope import call_of, respond
from signalpost.api.sentdm.errors import SentDmError
from signalpost.api.sentdm.schemas import (
    Envelope,
    SandboxIn,
    TemplateIn,
    TemplateListOut,
    TemplateOut,
)
from signalpost.api.sentdm.templates_wire import (
    CATEGORIES,
    category_of,
    derive_name,
    parse_definition,
)
from signalpost.http import Request, Response
from signalpost.storage import Connection
from signalpost.templates import service as templates
from signalpost.templates.schemas import Template

__all__ = ["routes"]

MAX_LISTED = 10_000
RESERVED_PREFIX = "sent_"


routes = v3_routes()
TEMPLATE_ID = Param("the template's id", {"type": "string", "format": "uuid"})
TEMPLATE = Reply("the template", Envelope[TemplateOut])
NAME_TAKEN = "a template has this name already (RESOURCE_007)"


@routes.get(
    "/templates",
    tx="read",
    query={
        "page": PAGE,
        "page_size": PAGE_SIZE,
        "search": Param("part of the name"),
        "status": Param(
            "review status; every template is APPROVED (any case)",
            {"type": "string", "enum": ["APPROVED", "PENDING", "REJECTED"]},
        ),
        "category": Param("any case", {"type": "string", "enum": list(CATEGORIES)}),
    },
    responses={200: Reply("a page of templates", Envelope[TemplateListOut])},
)
async def list_templates(
    d: SentDm, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """The tenant's templates, newest first."""
    page = Page(request)
    items = _filtered(await templates.list_templates(conn, scope, limit=MAX_LISTED), request)
    data = {
        "templates": [presenters.template(t) for t in page.slice(items)],
        "pagination": page.meta(len(items)),
    }
    return respond(call_of(request), data)


@routes.post(
    "/templates",
    body=TemplateIn,
    responses={201: Reply("the template created", Envelope[TemplateOut]), 409: NAME_TAKEN},
)
async def create_template(
    d: SentDm, request: Request, scope: Scope, body: TemplateIn, conn: None
) -> Response:
    """Create a template from a v3 definition; its name comes from its text."""
    definition = parse_definition(body.definition)
    category = category_of(body.category)

    async def operation(conn: Connection) -> tuple[int, object]:
        name = await _free_name(conn, scope, body.name or derive_name(definition.body))
        t = await templates.create(
            conn,
            scope,
            name=name,
            body=definition.body,
            category=category,
            channels=definition.channels,
        )
        return 201, presenters.template(t)

    return await d.mutate(request, scope, operation, sandbox=body.sandbox)


@routes.get(
    "/templates/{id}", tx="read", path_params={"id": TEMPLATE_ID}, responses={200: TEMPLATE}
)
async def get_template(
    d: SentDm, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """A template."""
    t = await templates.get(conn, scope, path_uuid(request, "id", "template"))
    return respond(call_of(request), presenters.template(t))


@routes.put(
    "/templates/{id}",
    body=TemplateIn,
    empty_body=True,
    path_params={"id": TEMPLATE_ID},
    responses={200: TEMPLATE, 409: NAME_TAKEN},
)
async def update_template(
    d: SentDm, request: Request, scope: Scope, body: TemplateIn, conn: None
) -> Response:
    """Change a template's name, category or definition."""
    template_id = path_uuid(request, "id", "template")
    if body.name is not None and body.name.startswith(RESERVED_PREFIX):
        raise SentDmError(details={"name": [f"names starting with {RESERVED_PREFIX} are reserved"]})
    definition = parse_definition(body.definition) if body.definition is not None else None
    category = category_of(body.category) if body.category is not None else None

    async def operation(conn: Connection) -> tuple[int, object]:
        t = await templates.update(
            conn,
            scope,
            template_id,
            name=body.name,
            body=definition.body if definition else None,
            category=category,
            channels=definition.channels if definition else None,
        )
        return 200, presenters.template(t)

    return await d.mutate(request, scope, operation, sandbox=body.sandbox)


@routes.delete(
    "/templates/{id}",
    body=SandboxIn,
    empty_body=True,
    path_params={"id": TEMPLATE_ID},
    responses={204: "deleted"},
)
async def delete_template(
    d: SentDm, request: Request, scope: Scope, body: SandboxIn, conn: None
) -> Response:
    """Delete a template."""
    template_id = path_uuid(request, "id", "template")

    async def operation(conn: Connection) -> tuple[int, object]:
        await templates.delete(conn, scope, template_id)
        return 204, None

    return await d.mutate(request, scope, operation, sandbox=body.sandbox)


def _filtered(items: list[Template], request: Request) -> list[Template]:
    search = (request.query("search") or "").strip().lower()
    status = (request.query("status") or "").strip().upper()
    category = (request.query("category") or "").strip().upper()
    if status and status != "APPROVED":
        return []
    return [
        t
        for t in items
        if (not search or search in t.name.lower()) and (not category or t.category == category)
    ]


async def _free_name(conn: Connection, scope: Scope, wanted: str) -> str:
    """``wanted``, or ``wanted (2)``, ``(3)``... when a template already has that name."""
    name, n = wanted, 1
    while await templates.find(conn, scope, template_id=None, name=name) is not None:
        n += 1
        name = f"{wanted} ({n})"
    return name
