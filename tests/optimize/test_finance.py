"""`critmin optimize` on model v2: the record a treasury reads (issue 22's done-when)."""

from __future__ import annotations

import pytest

from critmin.optimize import finance
from critmin.scenarios import get_scenario


@pytest.fixture(scope="module")
def record(net):
    sc = get_scenario("CN_2025_10_full_controls", net)
    sc = sc.model_copy(update={"commodities": ["graphite", "gallium", "antimony", "tungsten"]})
    _inst, _sol, rec = finance.optimise(
        net, sc, {"USA": 1e9, "JPN": 1e9, "JPN_vehicle": 0.0}, samples=48, seed=3,
        regions=["USA", "JPN"], partners=["USA", "JPN", "EU"], game_samples=48)
    return rec


def test_every_selected_project_is_valued(record):
    assert record["selected_projects"], "the budgets buy at least one project"
    for r in record["selected_projects"]:
        for key in ("npv_usd", "irr"):
            assert r[key]["p5"] <= r[key]["p50"] <= r[key]["p95"]
        v = r["instrument_valuation"]
        assert r["fiscal_cost_usd"] == pytest.approx(v["fiscal_cost_usd"])
        assert r["instrument"] in r["instruments_fiscal_cost_usd"]
        if r["fiscal_cost_usd"] == 0:
            assert not r["contingent_payout"]
        assert r["period"] in (0, 1)


def test_no_candidate_is_free_for_a_contingent_instrument(record):
    for v in record["candidate_valuations"].values():
        if v["instrument"] != "grant":
            assert v["fiscal_cost_usd"] > 0


def test_cost_sharing_sums_to_the_total(record):
    cs = record["cost_sharing"]
    total = record["fiscal_cost_usd"]
    assert cs["total_usd"] == pytest.approx(total)
    for rule in ("shapley_usd", "nucleolus_usd"):
        assert sum(r[rule] for r in cs["by_partner"].values()) == pytest.approx(total)


def test_decisions_carry_their_period(record):
    assert record["decisions"]
    assert all(d["period"] in (0, 1) and 0 < d["probability"] <= 1
               for d in record["decisions"])
    assert record["multi_period"]["periods"] == 2


def test_brief_tables_show_valuation_sharing_and_no_free_contingent_claim(record):
    from critmin.report import sections_finance as fin
    from critmin.report.fmt import usd_m

    html = fin.valuation_table(record) + fin.sharing_table(record)
    for r in record["selected_projects"]:
        assert r["name"] in html
    total = sum(v["shapley_usd"] for v in record["cost_sharing"]["by_partner"].values())
    assert usd_m(total) in html
    free = {"instrument": "price_floor", "fiscal_cost_usd": 0.0, "contingent_payout": True}
    assert "USD 0" not in fin._instrument_cell(free)
    grant = {"instrument": "grant", "fiscal_cost_usd": 0.0, "contingent_payout": False}
    assert "bankable at P10" in fin._instrument_cell(grant)
    assert fin.npv_fans(record) is not None
