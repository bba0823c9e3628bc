"""The dashboard in headless Chromium (Debian's /usr/bin/chromium via Playwright)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def page(server):
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.errors = []
        pg.external = []
        pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
        pg.on("request", lambda r: pg.external.append(r.url)
              if not r.url.startswith(("http://127.0.0.1", "data:", "blob:http://127.0.0.1"))
              else None)
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        yield pg
        browser.close()


@pytest.mark.parametrize(("path", "selector"), [("/", "#heat .main-svg"), ("/", "#map canvas"),
                                                ("/sources", "#src table"),
                                                ("/portfolio", "#run"),
                                                ("/scenario", "#sid option")])
def test_every_page_loads_without_console_errors(server, page, path, selector):
    page.errors.clear()
    page.goto(server["url"] + path)
    page.wait_for_selector(selector, timeout=30_000, state="attached")
    page.wait_for_timeout(500)
    name = f"page{path.replace('/', '_')}{selector.split()[0].lstrip('#')}.png"
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    assert page.errors == []
    assert page.external == []  # works without internet access


def test_scenario_page_runs_a_simulation_and_draws_charts(server, page):
    page.goto(server["url"] + "/scenario")
    page.evaluate(f"localStorage.setItem('critmin_token', '{server['token']}')")
    page.goto(server["url"] + "/scenario")
    page.wait_for_selector("#sid option", state="attached")
    page.select_option("#sid", "CN_2024_antimony_licensing")
    page.fill("#n", "1024")
    page.click("#run")
    page.wait_for_function(
        "['done', 'cancelled'].includes(document.getElementById('status').textContent)"
        " || document.getElementById('status').className === 'err'", timeout=120_000)
    assert page.inner_text("#status") == "done", page.inner_text("#status")
    page.wait_for_selector("#fanp .main-svg", timeout=30_000)
    assert page.locator("#ratio .bars path").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "scenario_run.png"), full_page=True)
    assert page.errors == []
