"""The HTML brief from ``critmin report`` (the suite's shared run, tests/conftest.py) in
Chromium at 1366x768: the same checks as every dashboard page (conftest.audit), and its map
draws every country."""

from __future__ import annotations

import json

from critmin.api.dashboard import WEB
from tests.web.conftest import audit

# every country of the bundled Natural Earth map (Antarctica is not a country)
FEATURES = {f["id"] for f in json.loads((WEB / "world-110m.geojson").read_text())["features"]
            } - {"ATA"}




def test_report_reads_well_in_a_browser(brief, page):
    page.goto(brief["path"].as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(1500)
    audit(page, "report")


def test_report_map_draws_every_country(brief, page):
    page.goto(brief["path"].as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(1500)
    maps = page.evaluate("""[...document.querySelectorAll('.js-plotly-plot')]
        .map(e => (e.data || []).filter(t => (t.type || '').startsWith('choropleth')))
        .filter(ts => ts.length).map(ts => ts.flatMap(t => t.locations || []))""")
    assert maps, "the report has no map"
    for locations in maps:
        missing = FEATURES - set(locations)
        assert not missing, f"map leaves out {len(missing)} countries, e.g. {sorted(missing)[:8]}"
