"""Laravel's simple paginator, as MailerSend lists answer: ``data``, ``links`` and ``meta``.

``page`` is 1 to 1,000,000; ``limit`` is 10 to 100 (default 25).  There is no total: ``links.last``
is always null, ``next`` is null on the last page, and ``meta.from``/``meta.to`` are the
1-based positions of the page's first and last items (null on an empty page).  Links keep
the request's other query parameters, so following ``next`` keeps the filters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from signalpost.api.mailersend.validation import Errors, integer
from signalpost.http import Request
from signalpost.http.params import MAX_PAGE, IntParam
from signalpost.http.router import QueryParam

__all__ = ["LIMIT", "MAX_LIMIT", "MIN_LIMIT", "PAGE", "PAGE_QUERY", "Page", "page_of", "paginated"]

MIN_LIMIT = 10
MAX_LIMIT = 100
DEFAULT_LIMIT = 25


@dataclass(frozen=True, slots=True)
class Page:
    number: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.limit


PAGE = IntParam("page", 1, MAX_PAGE, 1, "page number")
LIMIT = IntParam("limit", MIN_LIMIT, MAX_LIMIT, DEFAULT_LIMIT, "items per page")
PAGE_QUERY: dict[str, str | QueryParam] = {"page": PAGE, "limit": LIMIT}


def page_of(request: Request, errors: Errors) -> Page:
    """``page`` and ``limit`` of a list request; problems are added to ``errors``."""
    number = integer(request, PAGE, errors) or 1
    limit = integer(request, LIMIT, errors)
    return Page(number, limit or DEFAULT_LIMIT)


def _link(request: Request, path: str, number: int) -> str:
    query = [(k, v) for k, v in request.query_list if k != "page"]
    return f"{path}?{urlencode([*query, ('page', str(number))])}"


def paginated(
    request: Request, path: str, page: Page, items: Sequence[Any], *, has_more: bool
) -> dict[str, Any]:
    """The list body for one page of ``items`` (already presented)."""
    first = page.offset + 1 if items else None
    return {
        "data": list(items),
        "links": {
            "first": _link(request, path, 1),
            "last": None,
            "prev": _link(request, path, page.number - 1) if page.number > 1 else None,
            "next": _link(request, path, page.number + 1) if has_more else None,
        },
        "meta": {
            "current_page": page.number,
            "from": first,
            "path": path,
            "per_page": page.limit,
            "to": page.offset + len(items) if items else None,
        },
    }
