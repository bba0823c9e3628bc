"""The API as routers per area: every route is still served, and a 405 names the methods of
routes inside included routers too (FastAPI keeps an included router as one entry)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from critmin.api.app import create_app
from critmin.api.settings import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("routers") / "r.db",
                     settings=Settings(workers=1))
    with TestClient(app) as c:
        yield c


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("put", "/api/jobs/abc", "DELETE, GET"), ("delete", "/api/tables", "GET"),
    ("post", "/api/runs/abc/export", "GET"), ("put", "/api/jobs/simulate", "POST")])
def test_405_names_the_allowed_methods(client, method, path, allow):
    r = getattr(client, method)(path)
    assert r.status_code == 405 and r.headers["allow"] == allow


def test_each_area_answers(client):
    for path in ("/api/health", "/api/tables", "/api/scenarios", "/api/runs", "/",
                 "/static/plotly.min.js", "/api/dashboard/countries"):
        assert client.get(path).status_code == 200, path
    assert client.get("/api/jobs/nope").status_code == 404


def test_every_page_is_the_one_template_around_its_own_content(client):
    """Pages share one head (security policy, viewport, style, app.js, navigation) from
    web/pages/_page.html; each carries its title, its script, and Plotly where it charts."""
    from critmin.api.routes.pages import PAGE_DIR, PAGES

    csp = '<meta http-equiv="Content-Security-Policy" content="default-src \'self\';'
    for page, (title, plotly) in PAGES.items():
        r = client.get("/" if page == "index" else f"/{page}")
        html = r.text
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert html.startswith("<!DOCTYPE html>") and html.count(csp) == 1, page
        assert f"<title>critmin — {title}</title>" in html, page
        assert f'<script src="/static/{page}.js" defer></script>' in html, page
        assert ('<script src="/static/plotly.min.js"></script>' in html) is plotly, page
        own = (PAGE_DIR / f"{page}.html").read_text(encoding="utf-8")
        assert "<head" not in own and html.endswith(own + "</main></body></html>\n"), page
