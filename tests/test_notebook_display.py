"""Results display as tables in a notebook (``_repr_html_``), with model, samples, units
and tied ranks, and with every data value escaped (a hostile commodity id stays text)."""

from __future__ import annotations

import json

import pandas as pd

from critmin.metrics.assessment import Assessment
from critmin.simulate.report import SimulationReport

EVIL = "<img src=x onerror=alert(1)>"


def q(p50: float, mean: float | None = None) -> dict:
    return {"p5": p50 / 2, "p50": p50, "p95": p50 * 2, "mean": p50 if mean is None else mean}


def test_simulation_report_shows_a_table_most_affected_first_and_stays_json():
    rep = SimulationReport({"run_id": "abc123", "scenario": "CN_x", "samples": 4096,
                            "model": "v2", "results": [
        {"commodity": "gallium", "region": r, "peak_price_ratio": q(2.2),
         "shortfall": q(0.25)} for r in ("USA", "JPN")] + [
        {"commodity": EVIL, "region": r, "peak_price_ratio": q(1.1),
         "shortfall": q(0.01)} for r in ("USA", "JPN")]})
    out = rep._repr_html_()
    assert "CN_x: 4,096 samples, model v2, run abc123" in out
    assert "25.0 % (12.5–50.0)" in out and "2.2× (1.1–4.4)" in out
    assert out.index("gallium") < out.index("&lt;img")   # most affected first
    assert EVIL not in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    assert json.loads(json.dumps(rep)) == dict(rep)


def test_network_lists_every_table_with_its_rows(net):
    out = net._repr_html_()
    for name, df in net.tables.items():
        assert f"<td>{name}</td><td style='text-align:right'>{len(df):,}</td>" in out


def test_assessment_shows_top_risks_in_percent_with_ties_marked_and_escaped():
    countries = pd.DataFrame({
        "importer": ["USA"] * 4, "commodity": ["a", "ree", EVIL, "b"],
        "import_reliance": [1.0, 0.5, 0.5, float("nan")],
        "eu_supply_risk": [3.0, 2.0, 2.0, 1.0], "eu_rank": [1.0, 2.0, 2.0, 4.0],
        "us_supply_risk": [0.3, 0.2, 0.2, float("nan")]})
    out = Assessment(pd.DataFrame(), pd.DataFrame(), countries)._repr_html_()
    assert "top 4 of 4 scored" in out and "100 %" in out and "50 %" in out
    assert out.count("2= (2 tied)") == 2 and ">4<" in out
    assert EVIL not in out and "&lt;img" in out
