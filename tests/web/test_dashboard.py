"""Every dashboard page in headless Chromium at 1366x768 (see conftest.audit for the checks)."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from critmin.api.dashboard import WEB
from tests.web.conftest import ARTIFACTS, audit

FEATURES = {f["id"] for f in json.loads((WEB / "world-110m.geojson").read_text())["features"]}


def test_overview_shows_loading_then_every_chart_and_the_whole_map(server, page):
    page.goto(server["url"] + "/")
    # the loading indicator is there until the data arrive (or the data came first)
    page.wait_for_selector("#map .choroplethlocation, #map .loading", timeout=10_000)
    page.wait_for_selector("#shares .main-svg", timeout=90_000)
    page.wait_for_selector("#map .choroplethlocation", timeout=90_000)
    drawn = page.evaluate("""() => { const m = document.getElementById('map');
        return [m.querySelectorAll('path.choroplethlocation').length,
                m.data.flatMap(t => t.locations)]; }""")
    assert drawn[0] == len(FEATURES)
    assert set(drawn[1]) == FEATURES  # countries without data drawn grey, none left out
    zmax = page.evaluate("document.getElementById('map').data[1].zmax")
    assert zmax == 100  # a 0-100 % scale
    for chart in ("heat", "china", "nir", "shares"):
        assert page.locator(f"#{chart} .main-svg").count() >= 1
    audit(page, "overview")


def test_overview_picker_shows_a_commodity_and_moves_the_map(server, page):
    page.goto(server["url"] + "/")
    page.wait_for_selector("#map .choroplethlocation", timeout=90_000)
    page.select_option("#pick-commodity", "lithium")
    page.wait_for_function("() => document.querySelector('#focus h2').textContent === 'Lithium'")
    assert page.input_value("#mapsel").startswith("lithium/")
    assert "Lithium" in page.text_content("#map .gtitle")
    audit(page, "overview_lithium")


def test_overview_reads_are_cached(server):
    for _ in range(30):  # the first request after a start may answer "computing"
        first = httpx.get(server["url"] + "/api/dashboard/overview", timeout=60).json()
        if not first["computing"]:
            break
    again = httpx.get(server["url"] + "/api/dashboard/overview", timeout=60).json()
    assert first == again and first["data_version"]
    assert {"stages", "countries", "summary", "shares"} <= set(first)


@pytest.mark.parametrize("iso3", ["JPN", "USA", "DEU", "COD"])
def test_country_profile(server, page, iso3):
    page.goto(f"{server['url']}/country?iso3={iso3}")
    page.wait_for_function(
        f"() => document.getElementById('title').textContent.includes('({iso3})')",
        timeout=90_000)
    page.wait_for_selector("#exports table, #exports p", timeout=90_000)
    if iso3 in ("JPN", "USA"):  # importers with published reliance have a ranking
        assert page.locator("#exposure tbody tr").count() >= 5
        assert page.locator("#impchart .legend").count() == 1
        assert page.locator("#impactrank tbody tr").count() >= 10  # impact-based ranking
    audit(page, f"country_{iso3}")


def test_country_picker_navigates(server, page):
    page.goto(server["url"] + "/country?iso3=JPN")
    page.wait_for_selector("#exposure table", timeout=90_000)
    page.select_option("#iso3", "CHN")
    page.wait_for_function("() => document.getElementById('title').textContent.includes('(CHN)')")
    assert "iso3=CHN" in page.url
    page.wait_for_selector("#production table", timeout=90_000)
    assert page.locator("#production tbody tr").count() >= 5


@pytest.mark.parametrize(("commodity", "via"), [("ndfeb_magnet", "ndpr"), ("lithium", None)])
def test_sankey_links_stages_by_country(server, page, commodity, via):
    q = f"?commodity={commodity}" + (f"&via={via}" if via else "")
    page.goto(server["url"] + "/sankey" + q)
    page.wait_for_selector("#sankey .sankey-node", timeout=90_000)
    trace = page.evaluate("document.getElementById('sankey').data[0]")
    assert len(trace["link"]["value"]) >= 2
    labels = trace["node"]["label"]
    # countries by name, not ISO3 code ("China · mine", never "CHN · mine")
    assert any(lab.startswith(("China · mine", "China · refining")) for lab in labels)
    assert not [lab for lab in labels if re.match(r"[A-Z]{3} · ", lab)], labels
    rows = page.locator("#links tbody tr").first.inner_text()
    assert not re.search(r"\b[A-Z]{3} \(", rows), rows
    assert any("refining" in lab for lab in labels) and any("mine" in lab for lab in labels)
    audit(page, f"sankey_{commodity}")


def test_sources_page_links_urls(server, page):
    page.goto(server["url"] + "/sources")
    page.wait_for_selector("#src table", timeout=90_000)
    hrefs = page.eval_on_selector_all("#src td.url a", "as => as.map(a => a.href)")
    assert len(hrefs) > 10 and all(h.startswith(("http://", "https://")) for h in hrefs)
    years = page.eval_on_selector_all("#src tbody tr td:nth-child(5)",
                                      "t => t.map(x => x.textContent)")
    assert not any("," in y for y in years)  # 2025, never "2,025"
    audit(page, "sources")
    page.fill("#q", "usgs")
    shown = page.locator("#src tbody tr").count()
    hit, total = (int(n) for n in page.inner_text("#count").split()[0:3:2])
    assert 0 < shown == hit < total
    assert all("usgs" in t.lower() for t in page.locator("#src tbody tr").all_inner_texts())


def test_portfolio_page_loads(server, page):
    page.goto(server["url"] + "/portfolio")
    page.wait_for_selector("#sid option", state="attached", timeout=90_000)
    audit(page, "portfolio")


def test_scenario_form_shows_field_errors(server, page):
    page.goto(server["url"] + "/scenario?scenario=CN_2024_antimony_licensing")
    page.wait_for_selector('[data-path="controls.0.approval_rate"]', state="attached",
                           timeout=90_000)
    page.click("#editor summary")
    page.fill('[data-path="controls.0.approval_rate"]', "2")
    page.fill('[data-path="horizon_quarters"]', "0")
    page.click("#validate")
    page.wait_for_selector('[data-field="controls.0.approval_rate"].bad')
    err = page.inner_text('[data-field="controls.0.approval_rate"] .ferr')
    assert "1" in err and err.strip()  # e.g. "Input should be less than or equal to 1"
    assert page.inner_text('[data-field="horizon_quarters"] .ferr').strip()
    assert page.get_attribute("#formstatus", "class") == "err"
    # fixing both makes the scenario valid; the JSON view follows the form
    page.fill('[data-path="controls.0.approval_rate"]', "0.4")
    page.fill('[data-path="horizon_quarters"]', "6")
    page.click("#validate")
    page.wait_for_function("() => document.getElementById('formstatus').textContent === 'valid'")
    # the browser logs the expected 422 answers of the first check as failed loads
    page.problems[:] = [p for p in page.problems if "status of 422" not in p]
    spec = json.loads(page.input_value("#spec"))
    assert spec["controls"][0]["approval_rate"] == 0.4 and spec["horizon_quarters"] == 6
    audit(page, "scenario_form")


def test_scenario_form_adds_and_removes_items(server, page):
    page.goto(server["url"] + "/scenario?scenario=CN_2024_antimony_licensing")
    page.wait_for_selector('[data-path="controls.0.exporter"]', state="attached", timeout=90_000)
    page.click("#editor summary")
    page.click("text=add Outage")
    page.click("#validate")
    page.wait_for_selector('[data-field="outages.0.country"].bad')  # required fields named
    page.click('[data-field="outages.0"] > button')
    assert page.locator('[data-path^="outages.0"]').count() == 0


def test_scenario_page_runs_a_simulation_with_a_readable_fan(server, page):
    page.goto(server["url"] + "/scenario")
    page.evaluate(f"localStorage.setItem('critmin_token', '{server['token']}')")
    page.goto(server["url"] + "/scenario")
    page.wait_for_selector("#sid option", state="attached")
    page.select_option("#sid", "CN_2024_antimony_licensing")
    page.fill("#n", "256")
    page.click("#run")
    # generous: on a fresh machine the server's job process compiles the v2 kernel first
    # (about 70 s of CPU, minutes of wall time beside the other test worker)
    page.wait_for_function(
        "() => ['done', 'cancelled'].includes(document.getElementById('status').textContent)"
        " || document.getElementById('status').className === 'err'", timeout=600_000)
    assert page.inner_text("#status") == "done", page.inner_text("#status")
    page.wait_for_selector("#fans .main-svg", timeout=90_000)
    bands = page.evaluate("document.getElementById('fans').data.filter(t => t.fill).length")
    assert 1 <= bands <= 6
    assert page.locator("#short .legend").count() == 1
    # the default model (v2): shortfall in all six regions, prices by stage, dated fans
    assert "market model v2" in page.inner_text("#model")
    regions = page.evaluate("document.getElementById('regions').data.map(t => t.name)")
    assert regions == ["United States", "Japan", "EU", "South Korea", "China",
                       "Rest of world"]
    assert page.locator("#regions .legend").count() == 1
    assert page.locator("#regiontab tbody tr").count() >= 6
    assert page.is_visible("#stages .main-svg") and page.locator("#stagetab tbody tr").count()
    stages = page.evaluate("document.getElementById('stages').data.map(t => t.name)")
    assert set(stages) <= {"mine", "refining", "metal", "product"} and stages
    x = page.evaluate("document.getElementById('fanp').data[1].x")
    step = page.evaluate("document.getElementById('fanp').layout.xaxis.title.text")
    first = {"month starting": "2024-08-01", "quarter starting": "2024-10-01"}[step]
    assert x[:2] == ["2024-07-01", first]  # dated from the scenario's start by its step
    audit(page, "scenario_run")


def test_fans_follow_a_monthly_step(server, page):
    """A run stored by month (model v2's step) gets monthly dates, a quarterly one quarters."""
    page.goto(server["url"] + "/scenario")
    page.wait_for_selector("#sid option", state="attached")
    got = page.evaluate("""() => {
        const q = {p5: [1, 1, 1], p50: [1, 2, 1.5], p95: [2, 3, 2]};
        const box = h("div", {id: "monthly", class: "chart"});
        document.querySelector("main").append(box);
        fan(box, [{name: "EU", ...q}, {name: "South Korea", ...q}], "test", "ratio",
            {dates: stepDates("2025-10-01", 3, 1), step: "month"});
        return [box.data[1].x, box.layout.xaxis.title.text, stepDates("2025-10-01", 3, 3)];
    }""")
    assert got[0] == ["2025-10-01", "2025-11-01", "2025-12-01"]
    assert got[1] == "month starting"
    assert got[2] == ["2025-10-01", "2026-01-01", "2026-04-01"]
    page.wait_for_selector("#monthly .legend")
    audit(page, "fan_monthly")


def test_compare_runs_two_scenarios_side_by_side(server, page):
    page.goto(server["url"] + "/compare")
    page.evaluate(f"localStorage.setItem('critmin_token', '{server['token']}')")
    page.goto(server["url"] + "/compare?a=CN_2024_antimony_licensing&b=CN_2024_12_US_ban_GaGeSb")
    page.wait_for_selector("#sb option", state="attached")
    page.fill("#n", "128")
    page.click("#run")
    page.wait_for_selector("#diff table", timeout=180_000)
    assert page.locator("#cshort .legend").count() == 1
    names = page.evaluate("document.getElementById('cshort').data.map(t => t.name)")
    assert names == ["A: CN_2024_antimony_licensing", "B: CN_2024_12_US_ban_GaGeSb"]
    heads = page.locator("#ta th").all_inner_texts()  # v2 runs: every importer, not 2
    for region in ("U.S.", "Japan", "EU", "Korea"):
        assert f"{region} shortfall P50" in heads, heads
    assert "EU shortfall B − A" in page.locator("#diff th").all_inner_texts()
    audit(page, "compare")


def test_api_docs_page_works_offline(server, page):
    page.goto(server["url"] + "/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=90_000)
    assert page.locator(".swagger-ui .opblock").count() >= 10
    page.screenshot(path=str(ARTIFACTS / "api_docs.png"))
    # the browser's own favicon request is not the page's doing
    problems = [p for p in page.problems if not p.endswith("/favicon.ico]")]
    assert page.external == [] and problems == [] and page.dialogs == []
