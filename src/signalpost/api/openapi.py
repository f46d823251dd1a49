"""The OpenAPI document of every mounted dialect, built from the route table."""

from __future__ import annotations

from typing import Any

from signalpost import __version__
from signalpost.http.router import QueryParam, Route

__all__ = ["DOCS_HTML", "DOCS_INIT_JS", "openapi_document"]


def _query_param(name: str, spec: str | QueryParam) -> dict[str, Any]:
    """A query parameter: a typed one shows its bounds, a described one is a string."""
    if isinstance(spec, str):
        description, schema = spec, {"type": "string"}
    else:
        description, schema = spec.summary, spec.schema()
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def _operation(route: Route) -> dict[str, Any]:
    op: dict[str, Any] = {
        "tags": [route.router.tag],
        "summary": route.summary,
        "operationId": f"{route.router.tag}_{route.handler.__name__}",
        "responses": {
            str(k): {"description": v} for k, v in (route.responses or {200: "OK"}).items()
        },
    }
    params = [
        {"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
        for part in route.path.split("/")
        if part.startswith("{")
    ]
    params += [_query_param(name, spec) for name, spec in route.query.items()]
    if params:
        op["parameters"] = params
    if route.body is not None:
        schema = route.body.model_json_schema(
            ref_template="#/components/schemas/{model}", by_alias=True
        )
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    return op


def openapi_document(routes: list[Route], title: str = "Signalpost") -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    components: dict[str, Any] = {}
    for route in routes:
        if not route.router.documented:
            continue
        op = _operation(route)
        schema = (
            op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        )
        if schema and "$defs" in schema:
            components.update(schema.pop("$defs"))
        paths.setdefault(route.path, {})[route.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": __version__},
        "paths": paths,
        "components": {
            "schemas": components,
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
