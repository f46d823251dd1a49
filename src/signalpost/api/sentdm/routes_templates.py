"""``/v3/templates``: the templates a send refers to by id or name."""

from __future__ import annotations

from signalpost.accounts.schemas import Scope
from signalpost.api.common import parse_body
from signalpost.api.sentdm import presenters
from signalpost.api.sentdm.base import PAGE, PAGE_SIZE, Page, SentDm, path_uuid
from signalpost.api.sentdm.envelope import respond
from signalpost.api.sentdm.errors import SentDmError
from signalpost.api.sentdm.mutation import run_mutation
from signalpost.api.sentdm.schemas import SandboxIn, TemplateIn
from signalpost.api.sentdm.templates_wire import category_of, derive_name, parse_definition
from signalpost.http import Request, Response, Router
from signalpost.storage import Connection
from signalpost.templates import service as templates
from signalpost.templates.schemas import Template

__all__ = ["register"]

MAX_LISTED = 10_000
RESERVED_PREFIX = "sent_"


def register(router: Router, d: SentDm) -> None:
    """Add the template routes to ``router``."""
    db = d.ctx.db
    ttl = d.ctx.settings.idempotency_ttl_seconds

    @router.get(
        "/templates",
        query={
            "page": PAGE,
            "page_size": PAGE_SIZE,
            "search": "part of the name",
            "status": "APPROVED, PENDING or REJECTED",
            "category": "MARKETING, UTILITY or AUTHENTICATION",
        },
    )
    async def list_templates(request: Request) -> Response:
        """The tenant's templates, newest first."""
        call = await d.call(request)
        page = Page(request)
        async with db.reader() as conn:
            items = await templates.list_templates(conn, call.tenant, limit=MAX_LISTED)
        items = _filtered(items, request)
        data = {
            "templates": [presenters.template(t) for t in page.slice(items)],
            "pagination": page.meta(len(items)),
        }
        return respond(call, data)

    @router.post("/templates", body=TemplateIn, responses={201: "created"})
    async def create_template(request: Request) -> Response:
        """Create a template from a v3 definition; its name comes from its text."""
        call = await d.call(request)
        body = await parse_body(request, TemplateIn)
        definition = parse_definition(body.definition)
        category = category_of(body.category)

        async def operation(conn: Connection) -> tuple[int, object]:
            name = await _free_name(conn, call.tenant, body.name or derive_name(definition.body))
            t = await templates.create(
                conn,
                call.tenant,
                name=name,
                body=definition.body,
                category=category,
                channels=definition.channels,
            )
            return 201, presenters.template(t)

        return await run_mutation(
            db, request, call, operation, sandbox=body.sandbox, ttl_seconds=ttl
        )

    @router.get("/templates/{id}")
    async def get_template(request: Request) -> Response:
        """A template."""
        call = await d.call(request)
        template_id = path_uuid(request, "id", "template")
        async with db.reader() as conn:
            t = await templates.get(conn, call.tenant, template_id)
        return respond(call, presenters.template(t))

    @router.put("/templates/{id}", body=TemplateIn)
    async def update_template(request: Request) -> Response:
        """Change a template's name, category or definition."""
        call = await d.call(request)
        template_id = path_uuid(request, "id", "template")
        body = await parse_body(request, TemplateIn, empty_ok=True)
        if body.name is not None and body.name.startswith(RESERVED_PREFIX):
            raise SentDmError(
                details={"name": [f"names starting with {RESERVED_PREFIX} are reserved"]}
            )
        definition = parse_definition(body.definition) if body.definition is not None else None
        category = category_of(body.category) if body.category is not None else None

        async def operation(conn: Connection) -> tuple[int, object]:
            t = await templates.update(
                conn,
                call.tenant,
                template_id,
                name=body.name,
                body=definition.body if definition else None,
                category=category,
                channels=definition.channels if definition else None,
            )
            return 200, presenters.template(t)

        return await run_mutation(
            db, request, call, operation, sandbox=body.sandbox, ttl_seconds=ttl
        )

    @router.delete("/templates/{id}", body=SandboxIn, responses={204: "deleted"})
    async def delete_template(request: Request) -> Response:
        """Delete a template."""
        call = await d.call(request)
        template_id = path_uuid(request, "id", "template")
        body = await parse_body(request, SandboxIn, empty_ok=True)

        async def operation(conn: Connection) -> tuple[int, object]:
            await templates.delete(conn, call.tenant, template_id)
            return 204, None

        return await run_mutation(
            db, request, call, operation, sandbox=body.sandbox, ttl_seconds=ttl
        )


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
