"""End-to-end: `critmin report` writes the decision brief as self-contained HTML and as an
A4 PDF whose body (before the appendices) fits in 8 pages."""

from __future__ import annotations

import html as htmllib
import json
import re
import unicodedata

import pytest

from tests.conftest import HAS_CHROMIUM
from tests.test_cli import run


def visible_text(doc: str) -> str:
    doc = re.sub(r"<script.*?</script>|<style.*?</style>", " ", doc, flags=re.S)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", doc))


def test_brief_opens_with_summary_and_has_every_section(brief):
    text = visible_text(brief["html"])
    order = ["Executive summary", "Key findings", "1. Exposure of the United States and Japan",
             "2. The scenario", "3. Portfolio: what to fund and stockpile",
             "Value of the Rapid Response Group rules", "Caveats and model limits", "Methods",
             "Appendix A. Supply by commodity", "Appendix C. Sources"]
    positions = [text.find(s) for s in order]
    assert -1 not in positions, [s for s, p in zip(order, positions, strict=True) if p < 0]
    assert positions == sorted(positions)
    assert "Budgets over the horizon: United States USD 1.00 bn, Japan USD 1.00 bn" in text
    assert re.search(r"cuts the expected U\.S\.\+Japan loss from USD [\d.,]+ [mb]n to USD", text)
    assert re.search(r"\d+ % \(\d+–\d+\)", text)  # P50 with its P5–P95 range
    # the optimiser's expected loss and the simulation's unmet demand name their samples
    assert re.search(r"mean over the optimiser's [\d,]+ scenarios; the expected unmet demand "
                     r"in the summary and section 2 is the mean over the simulation's 256 "
                     r"samples", text)
    assert brief["stderr"].count("[") >= 5  # a progress line per step


def test_brief_has_human_values_only(brief):
    text = visible_text(brief["html"])
    for noise in ("NaN", "null", "None", "nan %", "e-1", "e+1"):
        assert noise not in text, noise
    body = text[:text.index("Appendix A. Supply by commodity")]
    for code in ("china_share", "_usd", "import_reliance", "licence_required"):
        assert code not in body, code  # field words, not column names
    # qualifiers shown as published: E for a net exporter, ">" bounds on reliance
    assert "E (net exporter)" in text and re.search(r">\d+ %", text)
    assert re.search(r"Oct 2025|Jan 2026", brief["html"])  # dates on the time axes


def test_brief_is_self_contained_and_offline(brief):
    doc = brief["html"]
    assert doc.count("plotly.js v") == 1  # plotly.js inlined once
    assert not re.search(r"<(script|img|iframe|link)[^>]+(src|href)=['\"]?(https?:)?//", doc)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", doc)
    figures = re.findall(r'Plotly\.newPlot\(\s*"[^"]+",\s*(\[.*?\]),\s*\{', doc, flags=re.S)
    maps = [f for f in figures if '"type":"choropleth"' in f.replace(" ", "")]
    assert len(maps) == 1
    trace = json.loads(maps[0])[0]
    assert len(trace["locations"]) >= 170  # every country drawn, not only producers
    assert len(trace["geojson"]["features"]) == len(trace["locations"])
    assert '<a href="https://' in doc  # sources as links


@pytest.mark.skipif(not HAS_CHROMIUM, reason="PDF printing needs Chromium")
def test_pdf_body_fits_eight_a4_pages_with_summary_first(brief):
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(brief["pdf"])
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in pt
    pages = [unicodedata.normalize("NFKC", p.extract_text()) for p in reader.pages]
    assert "Executive summary" in pages[0] and "Key findings" in pages[0]
    body = next(i for i, t in enumerate(pages) if t.lstrip().startswith("Appendix A."))
    assert 1 <= body <= 8
    assert any("Portfolio: what to fund and stockpile" in t for t in pages[:body])


def test_unwritable_output_fails_before_any_work(tmp_path):
    out = run("report", "-o", "/nonexistent/dir/r.html", "--db", str(tmp_path / "r.duckdb"))
    assert out.returncode == 2
    assert out.stderr.strip() == "report: directory /nonexistent/dir does not exist"
    assert not (tmp_path / "r.duckdb").exists()  # failed before opening the store


@pytest.mark.skipif(not HAS_CHROMIUM, reason="browser test needs Chromium")
def test_brief_in_chromium_at_1366(brief):
    from playwright.sync_api import sync_playwright

    from tests.web.conftest import ARGS, ARTIFACTS, BAD_TEXT, CHARTS, CHROMIUM, TEXT

    ARTIFACTS.mkdir(exist_ok=True)
    outside, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.on("request", lambda r: outside.append(r.url)
                if not r.url.startswith(("file://", "data:", "about:", "blob:")) else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((brief["dir"] / "brief.html").as_uri())
        n = brief["html"].count('class="plotly-graph-div"')
        page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg')"
                               f".length >= {n}", timeout=120_000)
        page.screenshot(path=str(ARTIFACTS / "report-brief-1366.png"), full_page=True)
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        text = page.evaluate(TEXT)
        charts = page.evaluate(CHARTS)
        drawn = page.evaluate("document.querySelectorAll('path.choroplethlocation').length")
        browser.close()
    assert not outside and not errors, (outside, errors)
    assert width[0] <= width[1], f"horizontal overflow {width}"
    assert not BAD_TEXT.findall(text), BAD_TEXT.findall(text)[:5]
    assert [c for c in charts if c["series"] > 1 and not c["legend"]] == []
    figures = re.findall(r'Plotly\.newPlot\(\s*"[^"]+",\s*(\[.*?\]),\s*\{', brief["html"],
                         flags=re.S)
    countries = [len(json.loads(f)[0]["locations"]) for f in figures
                 if '"type":"choropleth"' in f.replace(" ", "")]
    assert drawn == countries[0] >= 170  # every country drawn on the map


def _traces(doc: str) -> list[dict]:
    figures = re.findall(r'Plotly\.newPlot\(\s*"[^"]+",\s*(\[.*?\]),\s*\{', doc, flags=re.S)
    return [t for f in figures for t in json.loads(f)]


def _section(text: str, heading: str, n: int = 700) -> str:
    return text[text.index(heading):text.index(heading) + n]


def test_brief_shows_model_v2_regions_stages_and_monthly_fans(brief):
    text = visible_text(brief["html"])
    assert "market model v2 (monthly, by stage and region)" in text
    regions = _section(text, "Shortfall by region")
    for name in ("United States", "Japan", "EU", "South Korea", "China", "rest of world"):
        assert name in regions, name
    assert re.search(r"\d+ % \(\d+–\d+\)", regions)
    stages = _section(text, "Prices and shortfalls along the supply chain", 3000)
    assert re.search(r"refining\s+\d+\.\d\d× \([\d.]+–[\d.]+\)", stages)
    names = {t.get("name") for t in _traces(brief["html"])}
    assert {"EU", "South Korea"} <= names  # series per region ...
    assert names & {"mining", "refining", "metal", "products"}  # ... and per stage
    titles = " ".join(re.findall(r'"text":"([^"]+)"', brief["html"]))
    for what in ("ex-China price by stage", "exports by destination",
                 "stock cover by region", "shortfall by region"):
        assert what in titles, what
    # the fans follow the run's monthly step: 24 dated months from the scenario's start
    fan = next(t for t in _traces(brief["html"]) if t.get("mode") == "lines+markers")
    assert fan["x"][:3] == ["2025-10-01", "2025-11-01", "2025-12-01"]
    assert len(fan["x"]) == 24 and fan["x"][-1] == "2027-09-01"


def test_brief_on_model_v1_keeps_v1_regions_and_quarters(tmp_path):
    out = tmp_path / "v1.html"
    done = run("report", "-o", str(out), "--model", "v1", "--samples", "64",
               "--portfolio-samples", "16", "--drivers-samples", "0",
               "--db", str(tmp_path / "r.duckdb"))
    assert done.returncode == 0, done.stderr
    assert "model v1" in done.stdout
    doc = out.read_text(encoding="utf-8")
    text = visible_text(doc)
    assert "8 quarters, market model v1" in text
    regions = _section(text, "Shortfall by region", 400)
    assert "rest of world" in regions and "South Korea" not in regions
    assert "Prices and shortfalls along the supply chain" not in text
    fan = next(t for t in _traces(doc) if t.get("mode") == "lines+markers")
    assert fan["x"][:2] == ["2025-10-01", "2026-01-01"] and len(fan["x"]) == 8


def test_unknown_model_fails_before_any_work(tmp_path):
    out = run("report", "--model", "v3", "-o", str(tmp_path / "r.html"),
              "--db", str(tmp_path / "r.duckdb"))
    assert out.returncode == 2
    assert out.stderr.strip() == "report: --model v3: unknown model; use v1 or v2"
    assert not (tmp_path / "r.duckdb").exists()


def test_brief_runs_are_stored_for_reuse(brief):
    out = run("runs", "list", "--db", str(brief["dir"] / "r.duckdb"), "--json")
    kinds = sorted(r["kind"] for r in json.loads(out.stdout))
    assert kinds == ["optimisation", "simulation", "simulation"]  # with and without rules


def test_brief_ranks_exposure_by_gdp_impact_with_eu_scores_beside(brief):
    text = re.sub(r"\s+", " ", visible_text(brief["html"]))
    assert "United States is most exposed, by probability-weighted GDP impact, on" in text
    assert "EU-style supply risk (beside)" in text
    assert re.search(r"GDP \(value added\) at risk over the first 12 months of the scenario: "
                     r"United States USD [\d.,]+ (bn|m) \(P95 USD [\d.,]+ (bn|m)\); Japan", text)
    assert "No net exporter is in either impact-based top 10" in text
