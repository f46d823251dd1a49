"""The OpenAPI document of every mounted dialect, built from the route table."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from signalpost import __version__
from signalpost.http.router import Param, QueryParam, Route

__all__ = ["DOCS_HTML", "DOCS_INIT_JS", "openapi_document"]

Mode = Literal["validation", "serialization"]
_REF = "#/components/schemas/{model}"


def _parameter(name: str, where: str, spec: str | QueryParam | Param) -> dict[str, Any]:
    """A parameter: a typed one shows its schema and bounds; a described one is a string."""
    if isinstance(spec, str):
        description, schema, required = spec, {"type": "string"}, False
    elif isinstance(spec, Param):
        description, schema, required = spec.description, dict(spec.schema), spec.required
    else:
        description, schema, required = spec.summary, spec.schema(), False
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "description": description,
        "schema": schema,
    }


class _Schemas:
    """Every model of the document, named once (models of the same name in two dialects
    get names that tell them apart)."""

    def __init__(self, routes: list[Route]) -> None:
        wanted: set[tuple[type[BaseModel], Mode]] = set()
        for route in routes:
            for model in (route.body, route.raw_body):
                if isinstance(model, type) and issubclass(model, BaseModel):
                    wanted.add((model, "validation"))
            for reply in route.responses.values():
                if reply.model is not None:
                    wanted.add((reply.model, "serialization"))
        ordered = sorted(wanted, key=lambda item: (item[0].__module__, item[0].__name__, item[1]))
        refs, defs = models_json_schema(ordered, ref_template=_REF, by_alias=True)
        self.refs = refs
        self.components: dict[str, Any] = defs.get("$defs", {})

    def ref(self, model: type[BaseModel], mode: Mode) -> dict[str, Any]:
        """The model's schema, written out where it is used (what it nests stays a
        reference), so a reader of one operation sees its fields at once."""
        ref = self.refs[(model, mode)]
        name = str(ref.get("$ref", "")).removeprefix(_REF.format(model=""))
        return dict(self.components[name]) if name in self.components else dict(ref)


def _operation(route: Route, schemas: _Schemas) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, reply in (route.responses or {}).items():
        answer: dict[str, Any] = {"description": reply.description}
        types = (reply.media_type,) if isinstance(reply.media_type, str) else reply.media_type
        if reply.model is not None:
            schema = schemas.ref(reply.model, "serialization")
            answer["content"] = {media: {"schema": schema} for media in types}
        elif types != ("application/json",):  # a document, a page, a file
            answer["content"] = {media: {"schema": {"type": "string"}} for media in types}
        responses[str(status)] = answer
    op: dict[str, Any] = {
        "tags": [route.router.tag],
        "summary": route.summary,
        "operationId": f"{route.router.tag}_{route.name or route.handler.__name__}",
        "responses": responses or {"200": {"description": "OK"}},
    }
    params = [
        _parameter(part[1:-1], "path", route.path_params.get(part[1:-1], "identifier"))
        for part in route.path.split("/")
        if part.startswith("{")
    ]
    params += [_parameter(name, "query", spec) for name, spec in route.query.items()]
    if params:
        op["parameters"] = params
    model = route.body if route.body is not None else route.raw_body
    if isinstance(model, type) and issubclass(model, BaseModel):
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas.ref(model, "validation")}},
        }
    elif isinstance(route.raw_body, Param):
        op["requestBody"] = {
            "required": route.raw_body.required,
            "description": route.raw_body.description,
            "content": {route.raw_body.media_type: {"schema": dict(route.raw_body.schema)}},
        }
    return op


def openapi_document(routes: list[Route], title: str = "Signalpost") -> dict[str, Any]:
    documented = [route for route in routes if route.router.documented]
    schemas = _Schemas(documented)
    paths: dict[str, dict[str, Any]] = {}
    for route in documented:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": __version__},
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Signalpost API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" type="image/png" href="/docs/static/favicon-32x32.png">
<link rel="stylesheet" href="/docs/static/swagger-ui.css">
</head><body><div id="ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/init.js"></script>
</body></html>
"""

# Kept out of the page itself so a strict Content-Security-Policy (no inline scripts) holds.
DOCS_INIT_JS = b'SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui", deepLinking: true});\n'
