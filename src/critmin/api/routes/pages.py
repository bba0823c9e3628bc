"""The dashboard's pages and static files, and the API docs page."""

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

WEB = Path(str(resources.files("critmin.web") / "static"))
API_STATIC = Path(str(resources.files("critmin.api") / "static"))
PLOTLY_JS = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
PAGE_DIR = Path(str(resources.files("critmin.web") / "pages"))
PAGES = {"index": ("overview", True), "scenario": ("scenario", True),
         "portfolio": ("portfolio", True), "sources": ("sources", False),
         "country": ("country profile", True), "compare": ("compare scenarios", True),
         "sankey": ("supply chain", True), "glossary": ("glossary", False)}
"""HTML pages: page -> (title, draws Plotly charts). They hold no data (their scripts fetch
it, with the token when one is kept), so they stay open under ``--private``."""
DOCS_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>critmin API</title>
<link rel="stylesheet" href="/api-static/swagger-ui.css"></head><body><div id="ui"></div>
<script src="/api-static/swagger-ui-bundle.js"></script>
<script src="/api-static/docs-init.js"></script></body></html>"""


def page_html(page: str) -> bytes:
    """A page: the one page template (``web/pages/_page.html``: head, security policy,
    scripts, navigation) around the page's own content (``web/pages/PAGE.html``)."""
    title, plotly = PAGES[page]
    return (PAGE_DIR / "_page.html").read_text(encoding="utf-8").format(
        title=title, page=page, main=(PAGE_DIR / f"{page}.html").read_text(encoding="utf-8"),
        plotly='<script src="/static/plotly.min.js"></script>' if plotly else "",
    ).encode("utf-8")


def _serve(html: bytes):
    def serve() -> Response:
        return Response(html, media_type="text/html")
    return serve


def pages_router() -> APIRouter:
    """The pages (``/``, ``/scenario``, ``/country``, ...), ``/static/plotly.min.js`` and
    ``/docs`` (where the Swagger UI files are bundled)."""
    r = APIRouter(include_in_schema=False)

    @r.get("/static/plotly.min.js")
    def plotly_js():
        return FileResponse(PLOTLY_JS, media_type="application/javascript")

    if (API_STATIC / "swagger-ui-bundle.js").exists():
        @r.get("/docs")
        def docs():
            return HTMLResponse(DOCS_PAGE)

    for page in PAGES:
        r.add_api_route("/" if page == "index" else f"/{page}", _serve(page_html(page)),
                        methods=["GET"])
    return r


def mount_static(app: FastAPI) -> None:
    """Static files of the dashboard (``/static``) and of the docs page (``/api-static``);
    mounted after every route, so ``/static/plotly.min.js`` is served by its route."""
    if (API_STATIC / "swagger-ui-bundle.js").exists():
        app.mount("/api-static", StaticFiles(directory=API_STATIC), name="api-static")
    app.mount("/static", StaticFiles(directory=WEB), name="static")
