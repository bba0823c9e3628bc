"""Browser fixtures: Debian's Chromium driven by Playwright, one browser per test module,
and the checks every page must pass (layout at 1366x768, readable text, legends, no
console errors, no Content-Security-Policy violations, no request leaving the server)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORT = {"width": 1366, "height": 768}
LOCAL = ("http://127.0.0.1", "data:", "blob:http://127.0.0.1", "file://", "about:")

# Collects CSP violations before any page script runs.
CSP_HOOK = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""

# Every Plotly chart: its id, traces, and whether it shows a legend.
CHARTS = """[...document.querySelectorAll('.js-plotly-plot')].map(e => ({
  id: e.id || e.className,
  series: (e.data || []).filter(t => t.showlegend !== false && !['heatmap', 'choropleth',
    'choroplethmap', 'sankey', 'pie'].includes(t.type || 'scatter')).length,
  legend: !!(e._fullLayout && e._fullLayout.showlegend)
    && e.querySelectorAll('g.legend').length > 0,
}))"""

# All visible text, including chart text drawn as SVG.
TEXT = """document.body.innerText + '\\n' +
  [...document.querySelectorAll('svg text')].map(t => t.textContent).join('\\n')"""

BAD_TEXT = re.compile(r"\bnull\b|\bNaN\b|\bundefined\b|\[object Object\]|\d(?:\.\d+)?e-\d")


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser) -> Page:
    ctx = browser.new_context(viewport=VIEWPORT)
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    pg.add_init_script(CSP_HOOK)
    pg.problems = []
    pg.external = []
    pg.dialogs = []
    pg.on("console", lambda m: pg.problems.append(f"console: {m.text} [{m.location.get('url')}]")
          if m.type == "error" or "Content Security Policy" in m.text else None)
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    pg.on("request", lambda r: pg.external.append(r.url) if not r.url.startswith(LOCAL)
          else None)

    def on_dialog(d):
        pg.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    pg.on("dialog", on_dialog)
    yield pg
    ctx.close()


def audit(page: Page, name: str) -> None:
    """Screenshot the page, then assert the checks every page must pass."""
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{name}: horizontal overflow {width[0]} px > {width[1]} px"
    text = page.evaluate(TEXT)
    bad = sorted({m.group(0) for m in BAD_TEXT.finditer(text)})
    assert not bad, f"{name}: unreadable text {bad}"
    for chart in page.evaluate(CHARTS):
        if chart["series"] > 1:
            assert chart["legend"], \
                f"{name}: chart {chart['id']} has {chart['series']} series, no legend"
    assert page.evaluate("window.__csp || []") == [], f"{name}: CSP violations"
    assert page.problems == [], f"{name}: {page.problems}"
    assert page.external == [], f"{name}: requests outside the server {page.external}"
    assert page.dialogs == [], f"{name}: dialogs {page.dialogs}"
