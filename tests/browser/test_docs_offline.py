"""`/docs` renders the API in Chromium with every network but loopback cut off."""

from __future__ import annotations

from pathlib import Path

from tests.support.browser import chromium, offline_page
from tests.support.server import ServerProcess


def test_docs_render_with_no_network(server: ServerProcess, tmp_path: Path) -> None:
    with chromium() as browser, offline_page(browser, server.url) as view:
        view.page.goto("/docs")
        # Swagger UI builds every operation in the page: seconds when idle, far more on a loaded
        # machine; a deadline, not a measure, so a generous one
        view.page.wait_for_selector(".opblock", timeout=120_000)
        title = view.page.inner_text(".info .title")
        operations = view.page.locator(".opblock").count()
        shot = tmp_path / "docs.png"
        view.page.screenshot(path=str(shot), full_page=False)
        print(f"screenshot: {shot}")
        assert "Signalpost" in title
        assert operations > 20
        assert view.foreign() == []
        assert view.failed == []


def test_docs_assets_are_cached_and_unknown_ones_refused(server: ServerProcess) -> None:
    with server.client() as client:
        first = client.get("/docs/static/swagger-ui-bundle.js")
        assert first.status_code == 200
        assert first.headers["content-type"].startswith("text/javascript")
        again = client.get(
            "/docs/static/swagger-ui-bundle.js", headers={"if-none-match": first.headers["etag"]}
        )
        assert again.status_code == 304
        assert client.get("/docs/static/redoc.standalone.js").status_code == 404
        assert client.get("/docs/static/..%2Fcore.py").status_code == 404
        assert "cdn" not in client.get("/docs").text.lower()
