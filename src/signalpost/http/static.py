"""Files shipped inside an installed package, served from memory with validators.

Every asset the server hands a browser (API documentation, console styles and scripts) is
read from a package directory once, so pages render on machines with no internet access.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from importlib.resources.abc import Traversable

from signalpost.errors import NotFound
from signalpost.http.request import Request
from signalpost.http.response import Response

__all__ = ["StaticFiles"]

_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


@dataclass(frozen=True, slots=True)
class _Asset:
    body: bytes
    content_type: str
    etag: str


class StaticFiles:
    """The files of one directory, by name; unknown names are a 404."""

    def __init__(self, directory: Traversable, names: tuple[str, ...] | None = None) -> None:
        self._dir = directory
        self._names = names
        self._cache: dict[str, _Asset] = {}

    def _load(self, name: str) -> _Asset:
        asset = self._cache.get(name)
        if asset is not None:
            return asset
        allowed = self._names is None or name in self._names
        path = self._dir / name
        if not allowed or "/" in name or name.startswith(".") or not path.is_file():
            raise NotFound("No such file")
        body = path.read_bytes()
        suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
        guessed = _TYPES.get(suffix) or mimetypes.guess_type(name)[0]
        content_type = guessed or "application/octet-stream"
        if content_type.startswith("text/"):
            content_type += "; charset=utf-8"
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        asset = self._cache[name] = _Asset(body, content_type, etag)
        return asset

    def response(self, request: Request, name: str) -> Response:
        """The file, or 304 when the browser's copy is current."""
        asset = self._load(name)
        headers = [
            (b"etag", asset.etag.encode()),
            (b"cache-control", b"public, max-age=3600"),
            (b"x-content-type-options", b"nosniff"),
        ]
        if request.header("if-none-match") == asset.etag:
            return Response(b"", 304, headers)
        return Response(asset.body, 200, [(b"content-type", asset.content_type.encode()), *headers])
