"""The brief escapes what it did not write: a scenario named with markup and a user
source whose title and publisher carry script and event-handler payloads come out as
text, never as elements or attributes (the report's escaping removed fails here)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import critmin
from critmin.data.io import shipped_dir
from critmin.report.html import write_report
from critmin.scenarios.presets import get_scenario
from critmin.store import ResultsStore
from critmin.workflows.brief import prepare

SCRIPT = "<script>alert('x')</script>"
IMG = '<img src=x onerror="alert(1)">'
BREAK = "</script><script>alert(2)</script>"


def hostile_brief(tmp: Path) -> Path:
    """A brief (16 samples) of a scenario named with markup and a source whose title and
    publisher carry script and event-handler payloads; returns its HTML file."""
    sources = pd.read_csv(shipped_dir() / "sources.csv", dtype=str, keep_default_na=False)
    sources.loc[sources["source_id"].eq("usgs_mcs2025_ree"), ["title", "publisher"]] = \
        [f"Rare earths {SCRIPT}", f"USGS {IMG}"]
    sources.to_csv(tmp / "sources.csv", index=False)
    net = critmin.load(tmp)
    sc = get_scenario("CN_2025_10_full_controls", net).model_copy(
        update={"name": f"Full controls {SCRIPT} {BREAK}", "description": IMG})
    store = ResultsStore(tmp / "r.duckdb")
    brief = prepare(net, sc, store, samples=16, seed=1, portfolio_samples=8,
                    drivers_samples=0)
    write_report(brief, store, tmp / "b.html")
    return tmp / "b.html"


@pytest.fixture(scope="module")
def doc(hostile_html) -> str:
    return hostile_html.read_text(encoding="utf-8")


def test_hostile_text_is_escaped_everywhere(doc):
    assert "alert('x')" in doc or "alert(&#x27;x&#x27;)" in doc  # the payloads are shown ...
    for raw in (SCRIPT, IMG, BREAK, "<script>alert(2)", 'onerror="alert(1)"'):
        assert raw not in doc, raw  # ... never as markup
    assert "&lt;script&gt;alert(" in doc and "&lt;img src=x onerror=" in doc


def test_no_element_or_handler_comes_from_the_data(doc):
    scripts = re.findall(r"<script\b[^>]*>", doc)
    assert all("alert" not in s for s in scripts)
    inline = re.findall(r"<script\b[^>]*>(.*?)</script>", doc, flags=re.S)
    assert not any("alert(2)" in s.split("</script")[0] and "<script>alert(2)" in s
                   for s in inline)
    assert not re.search(r"<img\b[^>]*onerror", doc)
    assert not re.search(r"\son\w+=\"alert", doc)
