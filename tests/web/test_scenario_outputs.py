"""The scenario page's outputs of a real model v2 run in headless Chromium at 1366x768:
China's monthly exports by destination, readable names, glossary links, whole titles.

One small run (the server's own job) for the module; each test draws its result with the
page's own code (show), as the page does when the job ends."""

from __future__ import annotations

import re
import time

import httpx
import numpy as np
import pytest

from tests.web.conftest import audit

SCENARIO = "CN_2025_10_full_controls"


def run_job(server, scenario: str) -> dict:
    """The job result of a 128-sample run of a preset (model v2, the default)."""
    auth = {"Authorization": f"Bearer {server['token']}"}
    url = server["url"]
    job = httpx.post(f"{url}/api/jobs/simulate", headers=auth, timeout=60,
                     json={"scenario_id": scenario, "samples": 128, "seed": 3}).json()
    for _ in range(1200):  # the server's job process may compile the v2 kernel first
        job = httpx.get(f"{url}/api/jobs/{job['id']}", headers=auth, timeout=60).json()
        if job["status"] not in ("queued", "running"):
            break
        time.sleep(0.5)
    assert job["status"] == "done", job
    return httpx.get(f"{url}/api/jobs/{job['id']}/result", headers=auth, timeout=60).json()


@pytest.fixture(scope="module")
def result(server) -> dict:
    """The October 2025 preset: 53 commodities, 13 with China's exports by destination."""
    return run_job(server, SCENARIO)


@pytest.fixture(scope="module")
def plain(server) -> dict:
    """A preset without an earlier control (no spin-up): antimony's Sep 2024 licensing."""
    return run_job(server, "CN_2024_antimony_licensing")


def shown(server, page, result):
    """The scenario page with the run's result drawn by its own code."""
    page.goto(server["url"] + f"/scenario?scenario={SCENARIO}")
    page.wait_for_selector('[data-path="controls.0.exporter"]', state="attached",
                           timeout=90_000)
    page.evaluate("(rep) => show(rep)", result)
    page.wait_for_selector("#fans .main-svg", timeout=60_000)
    return page


def test_exports_by_destination_fan_is_monthly_per_region(server, page, result):
    assert result["model"] == "v2"
    shown(server, page, result)
    page.select_option("#fancommodity", "antimony")
    page.wait_for_function("() => document.getElementById('fanx').data"
                           " && document.querySelector('#fanx .gtitle').textContent"
                           ".startsWith('Antimony')")
    assert page.is_visible("#fanx")
    data = page.evaluate("document.getElementById('fanx').data.map(t => [t.name, t.x, t.y])")
    lines = [d for d in data if d[0].endswith("(P50)")]
    names = [d[0] for d in lines]
    # every destination China exported to before, in the page's order; none to itself
    assert names == ["United States (P50)", "Japan (P50)", "EU (P50)",
                     "South Korea (P50)", "Rest of world (P50)"]
    bands = [d for d in data if d[0].endswith("P5–P95")]
    assert len(bands) == 5
    ex = result["exports_by_destination"]["antimony"]
    months = result["exports_dates"]
    assert months[:3] == ["2025-10-01", "2025-11-01", "2025-12-01"]
    assert lines[0][1] == months  # dated by month from the scenario's start
    assert lines[0][2] == pytest.approx([100 * v for v in ex["USA"]["p50"]])
    layout = page.evaluate("document.getElementById('fanx').layout")
    assert layout["xaxis"]["title"]["text"] == "month starting"
    title = page.text_content("#fanx .gtitle")
    assert "exports by destination" in title and "Antimony" in title
    audit(page, "scenario_exports")
    # the regions follow the data: China's dysprosium went to Japan and the rest of the world
    page.select_option("#fancommodity", "dy")
    page.wait_for_function("() => document.querySelector('#fanx .gtitle').textContent"
                           ".startsWith('Dysprosium')")
    names = page.evaluate("document.getElementById('fanx').data.filter(t => t.fill === undefined"
                          " || !t.fill).map(t => t.name)")
    assert names == ["Japan (P50)", "Rest of world (P50)"]
    # a commodity without the series hides the chart instead of drawing an empty one
    page.select_option("#fancommodity", "alumina")
    page.wait_for_selector("#exportsbox", state="hidden")


# Every chart title's box and the box of its chart (the title may not run past the chart).
TITLES = """[...document.querySelectorAll('.js-plotly-plot')].filter(e => e.offsetParent)
  .map(e => { const t = e.querySelector('.gtitle'); if (!t) return null;
    const a = t.getBoundingClientRect(), b = e.getBoundingClientRect();
    return {id: e.id, text: t.textContent, left: a.left - b.left, right: b.right - a.right,
            top: a.top - b.top}; }).filter(Boolean)"""


def assert_whole_titles(page) -> list[dict]:
    titles = page.evaluate(TITLES)
    for t in titles:
        assert min(t["left"], t["right"], t["top"]) >= 0, f"title cut off: {t}"
    return titles


def test_chart_titles_are_whole_at_1366(server, page, result):
    """The longest commodity name of the run in the two-charts-a-row fans, and every other
    chart of the page: no title runs past its chart's edges."""
    shown(server, page, result)
    page.select_option("#fancommodity", "ndfeb_magnet")
    page.wait_for_function("() => document.querySelector('#fans .gtitle').textContent"
                           ".startsWith('Sintered NdFeB permanent magnets')")
    titles = assert_whole_titles(page)
    assert {"ratio", "short", "fanp", "fans", "fanx", "regions", "stages"} <= {
        t["id"] for t in titles}
    audit(page, "scenario_titles")


def test_metric_labels_link_to_the_glossary(server, page, result):
    shown(server, page, result)
    heads = page.eval_on_selector_all(
        "#results th", "ths => ths.map(t => [t.textContent, t.querySelector('a.gloss')"
        " ? t.querySelector('a.gloss').getAttribute('href') : null])")
    metric = [(text, href) for text, href in heads
              if any(w in text.lower() for w in ("shortfall", "price"))]
    assert len(metric) >= 10
    assert all(href and href.startswith("/glossary#g-") for _, href in metric), metric
    assert dict(heads)["Peak physical shortfall P50"] == "/glossary#g-physical-shortfall"
    assert dict(heads)["Shortfall P50"] == "/glossary#g-shortfall"
    links = set(page.eval_on_selector_all("#results a.gloss", "as => as.map(a => "
                                          "a.getAttribute('href'))")) | {h for _, h in metric}
    assert "/glossary#g-price-rationing" in links  # the measures line under the charts
    # every link lands on a term of the glossary page (report/explain.py's words)
    page.goto(server["url"] + "/glossary#g-physical-shortfall")
    page.wait_for_selector("#terms dt")
    ids = set(page.eval_on_selector_all("#terms dt", "ds => ds.map(d => d.id)"))
    assert {h.split("#")[1] for h in links} <= ids
    from critmin.report.explain import GLOSSARY
    assert page.locator("#terms dt").count() == len(GLOSSARY)
    assert page.get_attribute("#g-physical-shortfall", "class") == "on"
    assert page.text_content("#g-shortfall") == GLOSSARY[0].term
    audit(page, "glossary")


def test_names_not_codes_and_the_whole_run_id(server, page, result, net):
    """Commodities and regions by name in the charts, tables and picker; the run's id in
    full (a title attribute holding it too)."""
    shown(server, page, result)
    names = net.commodities.set_index("commodity")["name"].to_dict()
    coded = {c for c, n in names.items() if c != n}
    cells = page.eval_on_selector_all(
        "#tab td:nth-child(-n+2), #regiontab td:nth-child(-n+2), #stagetab td:first-child",
        "tds => tds.map(t => t.textContent)")
    assert cells and not (set(cells) & (coded | {"USA", "JPN", "KOR", "CHN", "ROW"}))
    assert "United States" in cells and "Sintered NdFeB permanent magnets" in cells
    for chart in ("ratio", "short", "regions", "stages"):
        x = page.evaluate(f"document.getElementById('{chart}').data[0].x")
        assert x and not set(x) & coded and set(x) <= set(names.values()), (chart, x)
    picker = page.eval_on_selector_all("#fancommodity option", "os => os.map(o => o.text)")
    assert "Dysprosium" in picker and "dy" not in picker
    assert page.text_content("#runid") == result["run_id"]
    assert page.get_attribute("#runid", "title") == result["run_id"]


def test_compare_names_commodities_and_shows_both_run_ids(server, page, result, plain, net):
    other = plain
    page.goto(server["url"] + "/compare")
    page.wait_for_selector("#sb option", state="attached", timeout=90_000)
    page.evaluate("async ([a, b]) => show(a, b, await commodityNames())", [result, other])
    page.wait_for_selector("#diff table")
    names = net.commodities.set_index("commodity")["name"].to_dict()
    coded = {c for c, n in names.items() if c != n}
    for tab in ("ta", "tb", "diff"):
        cells = page.eval_on_selector_all(f"#{tab} td:first-child",
                                          "tds => tds.map(t => t.textContent)")
        assert cells and set(cells) <= set(names.values()) and not set(cells) & coded, tab
    x = page.evaluate("document.getElementById('cshort').data[0].x")
    assert "Sintered NdFeB permanent magnets" in x and "ndfeb_magnet" not in x
    for k, rep in (("a", result), ("b", other)):
        assert page.text_content(f"#run{k}") == rep["run_id"]
        assert page.get_attribute(f"#run{k}", "title") == rep["run_id"]
    heads = page.eval_on_selector_all("#ta th a.gloss", "as => as.map(a => a.textContent)")
    assert "U.S. shortfall P50" in heads and "Price ratio P50" in heads
    assert len(assert_whole_titles(page)) == 2
    audit(page, "compare_names")


def test_overview_importers_and_suppliers_by_name(server, page):
    page.goto(server["url"] + "/")
    try:
        page.wait_for_selector("#focus table", timeout=180_000)
    except Exception:
        raise AssertionError(f"no importers table: {page.problems}") from None
    page.select_option("#pick-commodity", "lithium")
    page.wait_for_function("() => document.querySelector('#focus h2').textContent === 'Lithium'")
    rows = page.eval_on_selector_all(
        "#focus table", "ts => ts.map(t => [...t.querySelectorAll('tbody tr')].map("
        "r => [...r.children].map(c => c.textContent)))")
    stages, importers = rows
    assert {r[0] for r in importers} == {"United States", "Japan"}
    places = [r[1] for r in importers] + [r[2] for r in importers] + [r[3] for r in stages]
    codes = [p for p in places if len(p) == 3 and p.isupper()]
    assert not codes, codes  # ISO3 codes shown where the country has a name
    assert "Chile" in places or "Australia" in places
    page.wait_for_selector("#map .choroplethlocation", timeout=90_000)
    assert len(assert_whole_titles(page)) >= 4


def test_country_partners_by_name(server, page):
    """Japan's profile: suppliers in the rankings, the import-source legend and the
    partner lists by country name, not ISO3 code."""
    page.goto(server["url"] + "/country?iso3=JPN")
    page.wait_for_selector("#exports table", timeout=180_000)
    page.wait_for_selector("#impchart .main-svg")
    legend = page.evaluate("document.getElementById('impchart').data.map(t => t.name)")
    assert "China" in legend and "CHN" not in legend
    text = " ".join(page.locator("#imports tbody, #trade tbody, #exports tbody, "
                                 "#exposure tbody, #impactrank tbody").all_inner_texts())
    named = {c["iso3"] for c in httpx.get(server["url"] + "/api/dashboard/countries",
                                          timeout=60).json() if c["name"] != c["iso3"]}
    codes = sorted(set(re.findall(r"\b[A-Z]{3}\b", text)) & named)
    assert not codes, codes  # ISO3 codes where the country has a name
    assert "China " in text
    assert len(assert_whole_titles(page)) == 3  # risk, production, import sources
    audit(page, "country_names")


def test_identical_series_are_drawn_once_with_every_name(server, page, result):
    """Regions whose shortfall fan is the same at every step (one ex-China market) share one
    line named for all of them; different ones keep their own."""
    shown(server, page, result)
    page.select_option("#fancommodity", "antimony")
    page.wait_for_function("() => document.querySelector('#fans .gtitle').textContent"
                           ".startsWith('Antimony')")
    regions = [("USA", "United States"), ("JPN", "Japan"), ("EU", "EU"),
               ("KOR", "South Korea"), ("CHN", "China"), ("ROW", "Rest of world")]
    q = result["paths"]["antimony"]
    groups: list[list] = []
    for r, n in regions:
        key = f"shortfall_{r}"
        if key not in q:
            continue
        g = next((g for g in groups if all(
            np.allclose(q[g[0][0]][k], q[key][k], rtol=1e-9, atol=1e-12)
            for k in ("p5", "p50", "p95"))), None)
        if g is None:
            groups.append([(key, n)])
        else:
            g.append((key, n))
    assert any(len(g) > 1 for g in groups)  # the run has identical regions to merge
    want = [" = ".join(n for _, n in g) + " (P50)" for g in groups]
    lines = page.evaluate("document.getElementById('fans').data.filter(t => !t.fill)"
                          ".map(t => t.name)")
    assert lines == want
    audit(page, "scenario_same_once")


def spin_up_words(scenario_id: str, months: int) -> tuple[str, str]:
    """(first month run, start month) as the CLI's spin-up line words them."""
    from critmin.scenarios.presets import presets
    from critmin.simulate.paths import spun_up

    sc = presets()[scenario_id]
    return spun_up(sc, months).start.strftime("%b %Y"), sc.start.strftime("%b %Y")


def test_spin_up_is_shown_with_the_run(server, page, result, plain):
    """A spun-up run's page states its spin-up months and the month it ran from, beside
    the run's model, samples and id; a run without spin-up states none. The compare page
    marks each run the same way."""
    assert result["spin_up_months"] == 26 and plain["spin_up_months"] == 0
    first, start = spin_up_words(SCENARIO, 26)
    assert (first, start) == ("Aug 2023", "Oct 2025")
    shown(server, page, result)
    text = page.text_content("#spinup")
    assert "spun up 26 months" in text and f"from {first}" in text, text
    assert f"results from {start} on" in text, text
    assert page.get_attribute("#spinup", "data-months") == "26"
    assert text in page.text_content("#model")
    audit(page, "scenario_spin_up")
    # the antimony preset (no earlier control): no spin-up anywhere on the page
    page.evaluate("(rep) => show(rep)", plain)
    page.wait_for_function("(id) => document.getElementById('runid').textContent === id",
                           arg=plain["run_id"])
    assert page.locator("#spinup").count() == 0
    assert "spun up" not in page.text_content("#results")
    page.goto(server["url"] + "/compare")
    page.wait_for_selector("#sb option", state="attached", timeout=90_000)
    page.evaluate("async ([a, b]) => show(a, b, await commodityNames())", [result, plain])
    page.wait_for_selector("#diff table")
    a = page.text_content("#spinupa")
    assert "spun up 26 months" in a and f"from {first}" in a, a
    assert page.locator("#spinupb").count() == 0
    assert page.text_content("#runs").count("spun up") == 1
    audit(page, "compare_spin_up")
