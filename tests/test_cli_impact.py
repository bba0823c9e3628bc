"""`critmin impact` and the impact-based criticality, end to end (small sample counts)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from critmin.workflows.criticality import (
    compare_usgs,
    disruption_probability,
    rank_commodities,
)
from critmin.workflows.impact import run_impact
from tests.test_cli import run

KEYS = {"scenario", "country", "model", "samples", "gdp_loss_usd", "gdp_loss_direct_usd",
        "price_cost_usd", "producer_gain_usd", "top_industries", "by_industry", "by_month",
        "per_sample", "io_table", "limits"}


def test_impact_json_usa_has_quantiles_and_50_industries():
    out = run("impact", "--scenario", "CN_2025_10_full_controls", "--country", "USA",
              "--json", "--samples", "4", "--months", "4")
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert set(res) >= KEYS
    g = res["gdp_loss_usd"]
    assert g["p5"] <= g["p50"] <= g["p95"] and g["p95"] > 0
    assert len(res["by_industry"]) >= 50 and len(res["by_month"]) == 4
    assert len(res["per_sample"]["gdp_loss_usd"]) == 4
    per_ind = res["per_sample"]["by_industry_usd"]
    assert set(per_ind) == {r["industry"] for r in res["top_industries"]}
    assert all(len(v) == 4 for v in per_ind.values())
    total = sum(res["per_sample"]["by_month_usd"][0])
    assert total == pytest.approx(res["per_sample"]["gdp_loss_usd"][0])
    names = {r["industry"] for r in res["top_industries"]}
    assert "335312" in names  # motors and generators: magnets are the scenario's core


def test_impact_jpn_runs_on_japans_own_table(net):
    from critmin.scenarios.presets import get_scenario

    res = run_impact(net, get_scenario("CN_2025_10_full_controls", net), "JPN", samples=4,
                     months=3)
    assert res["gdp_loss_usd"]["p95"] > 0 and len(res["by_industry"]) >= 50
    assert res["io_table"]["source_id"] == "mic_io_2015_basic"
    assert res["io_table"]["industries"] == 391
    names = {r["industry"] for r in res["top_industries"]}
    assert names & {"353102", "331101"}  # motor vehicle parts, rotating electrical equipment


def test_impact_rejects_unknown_country():
    out = run("impact", "--country", "FRA")
    assert out.returncode == 2 and "use one of USA, JPN" in out.stderr


def test_disruption_probability_by_hand():
    assert disruption_probability(0.5, False) == pytest.approx(0.11)
    assert disruption_probability(0.5, True) == pytest.approx(0.22)
    assert disruption_probability(1.0, True) == pytest.approx(0.40)
    assert disruption_probability(float("nan"), False) == pytest.approx(0.11)


def test_spearman_against_usgs_top_ten():
    same = pd.DataFrame({"commodity": ["tb", "dy", "gallium", "germanium"],
                         "rank": [1, 2, 3, 4]})
    assert compare_usgs(same)["spearman"] == pytest.approx(1.0)
    reverse = same.assign(rank=[4, 3, 2, 1])
    assert compare_usgs(reverse)["spearman"] == pytest.approx(-1.0)


def test_ranking_puts_china_heavy_rare_earths_above_a_diverse_supply(net):
    r = rank_commodities(net, "USA", samples=2, commodities=["tb", "zirconium"])
    ranks = dict(zip(r["commodity"], r["rank"], strict=True))
    assert ranks["tb"] < ranks["zirconium"]
    assert bool(r.set_index("commodity").loc["tb", "restricted_before"])


def test_impact_states_the_spin_up_of_the_run_it_used(net):
    """impact_loss carries the spin-up months of the market run whose paths it used (the
    paths' own attrs), and run_impact reports those: 26 for the full-controls preset as
    critmin simulate spins it up, 0 when that run is made without spin-up, although the
    preset would spin up (so the record cannot come from a second computation of it);
    the two runs differ."""
    from critmin.scenarios.presets import get_scenario
    from critmin.simulate.paths import run_spin_up
    from critmin.workflows.impact import impact_loss

    sc = get_scenario("CN_2025_10_full_controls", net)
    spun = impact_loss(net, sc, "USA", samples=2, months=2)
    plain = impact_loss(net, sc, "USA", samples=2, months=2, spin_up=False)
    assert spun.spin_up_months == run_spin_up(sc, "v2") == 26
    assert plain.spin_up_months == 0
    assert not np.array_equal(spun.loss.gdp, plain.loss.gdp)
    res = run_impact(net, sc, "USA", samples=2, months=2, spin_up=False)
    assert res["spin_up_months"] == 0
    np.testing.assert_array_equal(res["per_sample"]["by_month_usd"], plain.loss.gdp)
