"""The brief's impact pieces on real inputs, without the whole brief: the GDP-at-risk
table lists each country's own industries, and the exposure reason names the derived
products a halt stops."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from critmin.report.html import _impact_reason, _impact_tables
from critmin.scenarios.presets import get_scenario
from critmin.workflows.criticality import shipped_ranking
from critmin.workflows.impact import run_impact


def test_impact_pieces_of_the_brief(net):
    sc = get_scenario("CN_2025_10_full_controls", net)
    impact = {c: run_impact(net, sc, c, samples=2, months=1) for c in ("USA", "JPN")}
    ranks = {c: shipped_ranking(c) for c in ("USA", "JPN")}
    b = SimpleNamespace(
        impact=impact, impact_rank=ranks, names={"ndfeb_magnet": "NdFeB magnets"},
        assessment=SimpleNamespace(countries=pd.DataFrame(
            {"importer": [], "commodity": [], "eu_supply_risk": []})))
    html = "".join(_impact_tables(b))
    for c in ("USA", "JPN"):
        for r in impact[c]["by_industry"][:5]:
            assert r["name"].split(" (")[0].replace("&", "&amp;") in html
    assert "MIC 2015" in html and "BEA 2017" in html
    top = next(ranks["USA"].assign(eu_supply_risk=float("nan")).itertuples())
    assert "halting exports and of NdFeB magnets" in _impact_reason(top, b.names)
