"""Import dependence and criticality formulas on the tiny network, plus shipped data."""

from __future__ import annotations

import numpy as np

from critmin.metrics.criticality import eu_supply_risk, governance_scores, us_supply_risk
from critmin.metrics.rankings import criticality, rankings
from critmin.metrics.trade import import_dependence


def test_restricted_share_and_supplier_concentration(tiny):
    dep = import_dependence(tiny, "JPN").set_index("commodity")
    assert np.isclose(dep.at["x", "restricted_share"], 0.8)
    assert np.isclose(dep.at["x", "supplier_hhi"], 80**2 + 20**2)
    assert dep.at["x_part", "reliance_from"] == "x"  # inherited from the parent
    before = import_dependence(tiny, "JPN", as_of="2024-06-01").set_index("commodity")
    assert before.at["x", "restricted_share"] == 0


def test_eu_supply_risk_by_hand(tiny):
    w = governance_scores(tiny)["w_eu"]
    sr = eu_supply_risk(tiny, "JPN").set_index("commodity").loc["x"]
    glob = 0.9**2 * w["CHN"] + 0.1**2 * w["JPN"]  # refining is the riskier stage
    src = 0.8**2 * w["CHN"] + 0.2**2 * w["AUS"]
    assert np.isclose(sr["hhi_wgi_global"], glob)
    assert np.isclose(sr["eu_supply_risk"], glob * 1.0 / 2 + src * (1 - 1.0 / 2))
    assert sr["eu_stage"] == "refining"
    # without import shares (USA) the sourcing term falls back to global supply
    us = eu_supply_risk(tiny, "USA").set_index("commodity").loc["x"]
    assert us["sourcing_basis"] == "global"
    assert np.isclose(us["eu_supply_risk"], glob)


def test_us_supply_risk_is_product_of_three_factors(tiny):
    r = us_supply_risk(tiny, "USA").set_index("commodity").loc["x"]
    g = governance_scores(tiny)["g_pv"]
    dp = max(0.6**2 * g["CHN"] + 0.3**2 * g["AUS"] + 0.1**2 * g["USA"],
             0.9**2 * g["CHN"] + 0.1**2 * g["JPN"])
    assert np.isclose(r["disruption_potential"], dp)
    assert np.isclose(r["us_supply_risk"], dp * 0.5 * 0.5)


def test_import_reliance_moves_eu_risk_from_sourcing_to_global(tiny):
    """SR = (HHI_global * IR/2 + HHI_sourcing * (1 - IR/2)) * (1 - EoL-RIR) * SI: Japan
    imports x from China 80 % / Australia 20 %, less concentrated (governance-weighted)
    than x's most concentrated stage (China 90 % of refining), so more reliance weights
    the global term and raises SR by exactly (G - S) * dIR / 2 * (1 - EoL) * SI (before:
    USA, whose sourcing is unknown, where reliance cannot move the score and
    `high >= low` could not fail)."""
    def row():
        return eu_supply_risk(tiny, "JPN").set_index("commodity").loc["x"]

    jpn = tiny.import_reliance["importer"].eq("JPN")
    tiny.import_reliance.loc[jpn, "value"] = 0.2
    low = row()
    tiny.import_reliance.loc[jpn, "value"] = 1.0
    high = row()
    g, s = low["hhi_wgi_global"], low["hhi_wgi_sourcing"]
    assert low["sourcing_basis"] == "imports" and g - s > 0.5
    scale = (1 - low["eol_rir"]) * low["substitution_index"]
    assert np.isclose(low["eu_supply_risk"], (g * 0.1 + s * 0.9) * scale)
    assert np.isclose(high["eu_supply_risk"], (g * 0.5 + s * 0.5) * scale)
    assert np.isclose(high["eu_supply_risk"] - low["eu_supply_risk"], (g - s) * 0.4 * scale)


def test_shipped_rankings_have_drivers_and_sensitivity(net):
    for method in ("eu", "us"):
        c = criticality(net, "USA", method)
        ranked = c.dropna(subset=["rank"])
        assert len(ranked) >= 15
        assert ranked["driver"].notna().all()
        assert ranked["most_sensitive_input"].notna().all()
        assert (ranked["rank_swing"] >= 0).all()
    r = rankings(net)
    assert set(r["importer"]) == {"USA", "JPN", "USA+JPN"}
    joint = r[r["importer"].eq("USA+JPN")].set_index("commodity")
    assert joint["rank"].min() == 1
