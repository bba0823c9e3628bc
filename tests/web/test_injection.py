"""Hostile data served with ``critmin serve --data DIR`` runs no script on any page.

A source title, a commodity name and every project name carry ``<img onerror>`` and
``<script>`` payloads; each page is opened in Chromium listening for dialogs, and must show
the payload as plain text (escaped), make no CSP violation and raise no dialog."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.data.io import shipped_dir
from tests.conftest import served
from tests.web.conftest import audit

PAYLOAD = ("<img src=x onerror=\"alert('xss')\"><script>alert('xss2')</script>"
           "<a href='https://evil.example/'>link</a><span style='font-size:90px'>big</span>")


def _copy_with(table: str, target, column: str, rows) -> None:
    df = pd.read_csv(shipped_dir() / f"{table}.csv", dtype=str, keep_default_na=False)
    df.loc[rows(df), column] = df.loc[rows(df), column] + " " + PAYLOAD
    df.to_csv(target / f"{table}.csv", index=False)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    data = tmp_path_factory.mktemp("hostile")
    _copy_with("sources", data, "title", lambda df: df.index[:3])
    _copy_with("projects", data, "name", lambda df: df.index)
    _copy_with("commodities", data, "name", lambda df: df["commodity"].eq("lithium"))
    with served(tmp_path_factory.mktemp("store") / "r.duckdb", "--data", str(data)) as s:
        yield {"url": s["url"], "token": s["token"]}


def _no_script_ran(page) -> None:
    assert page.dialogs == []
    assert page.evaluate("document.querySelectorAll('main img, main script').length") == 0
    # charts draw data as text: no link or styled span planted in their SVG
    assert page.evaluate("document.querySelectorAll('.main-svg a, .main-svg [style*=\"90px\"]')"
                         ".length") == 0


@pytest.mark.parametrize(("path", "ready"), [
    ("/", "#focus table"), ("/country?iso3=USA", "#imports table"),
    ("/sankey?commodity=lithium", "#sankey .sankey-node"), ("/scenario", "#sid option"),
    ("/compare", "#sb option"), ("/portfolio", "#sid option")])
def test_pages_render_hostile_names_as_text(hostile, page, path, ready):
    page.goto(hostile["url"] + path)
    page.wait_for_selector(ready, state="attached", timeout=120_000)
    if path == "/":
        page.select_option("#pick-commodity", "lithium")
        page.wait_for_function("() => document.querySelector('#focus h2').textContent"
                               ".includes('<img')")
    _no_script_ran(page)
    audit(page, "hostile" + path.split("?")[0].replace("/", "_"))


def test_sources_page_shows_hostile_titles_as_text(hostile, page):
    page.goto(hostile["url"] + "/sources")
    page.wait_for_selector("#src table", timeout=120_000)
    assert PAYLOAD in page.inner_text("#src")  # shown literally, not interpreted
    _no_script_ran(page)
    audit(page, "hostile_sources")


def test_portfolio_shows_hostile_project_names_as_text(hostile, page):
    page.goto(hostile["url"] + "/portfolio")
    page.evaluate(f"localStorage.setItem('critmin_token', '{hostile['token']}')")
    page.goto(hostile["url"] + "/portfolio")
    page.wait_for_selector("#sid option", state="attached", timeout=60_000)
    page.select_option("#sid", "CN_2024_antimony_licensing")
    page.fill("#n", "16")
    page.click("#run")
    page.wait_for_function("() => document.getElementById('status').textContent === 'done'"
                           " || document.getElementById('status').className === 'err'",
                           timeout=240_000)
    assert page.inner_text("#status") == "done", page.inner_text("#status")
    page.wait_for_selector("#proj table, #proj p", timeout=30_000)
    if page.locator("#proj tbody tr").count():
        assert "<img src=x" in page.inner_text("#proj")
    _no_script_ran(page)
    audit(page, "hostile_portfolio_run")
