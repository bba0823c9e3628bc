"""Portfolio optimiser on model v2 paths: needs by commodity, stage and region."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import example, given, settings
from hypothesis import strategies as st

import critmin
from critmin.optimize import staged
from critmin.optimize.report import frontier, portfolio_record
from critmin.scenarios import get_scenario

COMMODITIES = ["graphite", "gallium"]
SAMPLES = 64


@pytest.fixture(scope="module")
def net():
    return critmin.load()


@pytest.fixture(scope="module")
def scenario(net):
    sc = get_scenario("CN_2025_10_full_controls", net)
    return sc.model_copy(update={"commodities": COMMODITIES})


@pytest.fixture(scope="module")
def paths(net, scenario):
    from critmin.market.v2 import simulate_paths

    return simulate_paths(net, scenario, samples=SAMPLES, seed=7, months=24)


def projects(rows) -> pd.DataFrame:
    """Test candidates (not data): unit costs above the baseline price, so every one needs
    support and costs the funder something."""
    base = dict(status="feasibility", first_production_year=2025, sponsor="", unit="t")
    out = []
    for pid, commodity, stage, country, capacity, unit_cost, capex in rows:
        out.append({**base, "project_id": pid, "name": pid, "commodity": commodity,
                    "stage": stage, "country": country, "capacity": capacity,
                    "unit_cost_usd_t": unit_cost, "capex_usd": capex})
    return pd.DataFrame(out)


GRAPHITE = [("g_refinery_usa", "graphite", "refining", "USA", 60_000.0, 1_100.0, 5e7),
            ("g_mine_usa", "graphite", "mine", "USA", 60_000.0, 1_100.0, 5e7)]
OTHERS = [("ga_plant_kaz", "gallium", "refining", "KAZ", 20.0, 900_000.0, 2e8),
          ("g_refinery_jpn", "graphite", "refining", "JPN", 30_000.0, 2_500.0, 2e8)]


def build(net, scenario, paths, budgets, rows=GRAPHITE + OTHERS, **kw):
    return staged.build_staged_instance(net, scenario, budgets, paths=paths,
                                        projects=projects(rows), **kw)


def test_needs_are_tonnes_by_commodity_stage_and_region(net, scenario, paths):
    inst = build(net, scenario, paths, {"USA": 1e9, "JPN": 1e9})
    assert set(inst.needs["region"]) <= {"USA", "JPN"}
    assert set(inst.needs["commodity"]) == set(COMMODITIES)
    stages = set(zip(inst.needs["commodity"], inst.needs["stage"], strict=True))
    assert {c for c, _s in stages} == set(COMMODITIES)
    assert (inst.gap_t.values >= 0).all()
    # never more unmet than wanted over the horizon
    assert (inst.gap_t.max("scenario").values <= inst.needs["demand_t"].to_numpy() + 1e-6).all()
    # a KAZ plant delivers to its funder's buyers
    ga = inst.options[inst.options["project_id"] == "ga_plant_kaz"]
    assert dict(zip(ga["funder"], ga["need"].str.split("|").str[2], strict=True)) == {
        "USA": "USA", "JPN": "JPN"}


def test_optimal_portfolio_lowers_risk_and_keeps_budgets(net, scenario, paths):
    inst = build(net, scenario, paths, {"USA": 3e8, "JPN": 2e8})
    sol = staged.solve(inst)
    rec = portfolio_record(inst, sol)
    assert rec["model"] == "v2"
    assert rec["risk_after"]["expected_loss_usd"] <= rec["risk_before"]["expected_loss_usd"]
    assert rec["risk_after"]["cvar_usd"] <= rec["risk_before"]["cvar_usd"] + 1e-6
    assert rec["risk_after"]["expected_loss_usd"] < rec["risk_before"]["expected_loss_usd"]
    for r, v in rec["risk_by_region"].items():
        assert v["after"]["expected_loss_usd"] <= v["before"]["expected_loss_usd"] + 1e-6, r
    for f, b in inst.budgets.items():
        assert sol.spend_by_funder[f] <= b * (1 + 1e-6) + 1e-3
    json.dumps(rec, default=str)  # JSON-ready


def test_zero_budget_chooses_nothing(net, scenario, paths):
    inst = build(net, scenario, paths, {"USA": 0.0, "JPN": 0.0, "JPN_vehicle": 0.0})
    assert (inst.projects["cost_usd"] > 0).all()
    sol = staged.solve(inst)
    assert sol.selected.empty and sol.stocks.empty and sol.fiscal_usd == 0
    before = staged.risk(inst, staged.losses(inst))
    assert sol.expected_loss_usd == pytest.approx(before[0])


def test_doubling_the_budget_never_raises_the_optimal_objective(net, scenario, paths):
    objs = []
    for b in (0.0, 5e7, 1e8, 2e8):
        inst = build(net, scenario, paths, {"USA": b, "JPN": b})
        objs.append(staged.solve(inst, mip_gap=1e-9).objective_usd)
    for lo, hi in itertools.pairwise(objs):
        assert hi <= lo * (1 + 1e-7)


def test_project_relieves_the_stage_it_is_placed_at(net, scenario, paths):
    """A plant acts at its own stage where v2 models it, else at the commodity's last
    modelled stage (noted in ``basis``: data v3 models graphite at the mine only), and
    relieves that stage's need, not another's."""
    # margin at the baseline price and a 20 M USD plant: under v2.1 (licensed exports recover,
    # leakage as a priced route) the U.S. graphite gap is ~19 kt, worth less than 50 M USD
    cheap = [(*r[:5], 900.0, 2e7) for r in GRAPHITE]
    inst = build(net, scenario, paths, {"USA": 5e9}, rows=cheap, allow_stocks=False)
    needs = inst.needs
    col = {n: j for j, n in enumerate(inst.gap_t.indexes["need"])}
    modelled = set(zip(needs["commodity"], needs["stage"], strict=True))
    ref = inst.projects.loc["g_refinery_usa"]
    assert ("graphite", ref["stage"]) in modelled
    if ("graphite", "refining") not in modelled:
        assert "not in the v2 network" in ref["basis"]

    def relief(option, stage):
        before = staged.unmet_t(inst)
        after = staged.unmet_t(inst, inst.added([option]))
        cols = [col[n] for n in needs.index if needs.at[n, "stage"] == stage
                and needs.at[n, "commodity"] == "graphite"]
        return float((before[:, cols] - after[:, cols]).sum(axis=1).mean())

    assert relief("g_refinery_usa@USA", ref["stage"]) > 0
    sol = staged.solve(inst)
    assert set(sol.selected["project_id"]) & {"g_refinery_usa", "g_mine_usa"}
    r = portfolio_record(inst, sol)["shortfall_by_stage"]["graphite"][ref["stage"]]["USA"]
    assert r["expected_unmet_t_after"] < r["expected_unmet_t_before"]


def test_same_seed_same_result(net, scenario, paths):
    from critmin.market.v2 import simulate_paths

    again = simulate_paths(net, scenario, samples=SAMPLES, seed=7, months=24)
    a = build(net, scenario, paths, {"USA": 2e8, "JPN": 1e8})
    b = build(net, scenario, again, {"USA": 2e8, "JPN": 1e8})
    xr.testing.assert_equal(a.gap_t, b.gap_t)
    sa, sb = staged.solve(a), staged.solve(b)
    assert sa.objective_usd == sb.objective_usd
    pd.testing.assert_frame_equal(sa.selected, sb.selected)
    pd.testing.assert_frame_equal(sa.stocks, sb.stocks)


def test_optimiser_beats_or_equals_greedy(net, scenario, paths):
    inst = build(net, scenario, paths, {"USA": 1.5e8, "JPN": 1e8}, allow_stocks=False)
    opt, heur = staged.solve(inst, mip_gap=1e-9), staged.greedy(inst)
    assert opt.objective_usd <= heur.objective_usd * (1 + 1e-7)
    front = frontier(inst, factors=(0.0, 1.0))
    assert front["expected_loss_usd"].iloc[1] <= front["expected_loss_usd"].iloc[0]


@settings(max_examples=4, deadline=None)
@example(usa=0.75, jpn=0.0)  # seen: the solver spent 1.5 USD of a 0.75 USD budget
@given(usa=st.floats(0, 4e8), jpn=st.floats(0, 4e8))
def test_budgets_hold_on_v2(net, scenario, paths, usa, jpn):
    inst = build(net, scenario, paths, {"USA": usa, "JPN": jpn})
    sol = staged.solve(inst)
    for f, b in inst.budgets.items():
        assert sol.spend_by_funder[f] <= b * (1 + 1e-6) + 1e-3
    assert set(sol.stocks["holder"]) <= {"USA", "JPN"}


def test_plant_delivers_only_the_inputs_it_can_get(net, scenario):
    magnets = scenario.model_copy(update={"commodities": ["ndfeb_magnet"]})
    m = staged.run_network(net, magnets, 24)[0]
    magnet = m.node_index("ndfeb_magnet", "product")
    dy = m.node_index("dy", "refining")
    phys = np.zeros((3, m.n, 6))
    phys[1, dy, :] = 0.6  # dysprosium short everywhere in sample 1
    phys[2, dy, :] = 1.0
    avail = staged._availability(m, phys, np.array([magnet]), ["USA"])
    assert avail[:, 0] == pytest.approx([1.0, 0.4, 0.0])


def test_unknown_region_is_a_clear_error(net, scenario, paths):
    with pytest.raises(ValueError, match="not countable"):
        build(net, scenario, paths, {"USA": 1e8}, regions=["USA", "CHN"])


def test_cli_optimize_model_v2_json(tmp_path, scenario):
    import yaml
    from typer.testing import CliRunner

    from critmin.cli import app

    path = tmp_path / "sc.yaml"
    path.write_text(yaml.safe_dump(scenario.model_dump(mode="json")))
    runner = CliRunner()
    out = runner.invoke(app, [
        "optimize", "--model", "v2", "--scenario", str(path), "--samples", "32",
        "--regions", "USA,JPN,KOR", "--budget-usa", "3e8", "--json",
        "--db", str(tmp_path / "r.duckdb")])
    assert out.exit_code == 0, out.output
    rec = json.loads(out.stdout)
    assert rec["model"] == "v2" and rec["regions"] == ["USA", "JPN", "KOR"]
    assert {"risk_by_region", "shortfall_by_stage", "selected_projects", "risk_before",
            "risk_after", "cost_by_funder_usd", "optimisation_id"} <= set(rec)
    assert set(rec["risk_by_region"]) == {"USA", "JPN", "KOR"}
    assert rec["risk_after"]["expected_loss_usd"] <= rec["risk_before"]["expected_loss_usd"]
    bad = runner.invoke(app, ["optimize", "--model", "v3", "--db", str(tmp_path / "r.duckdb")])
    assert bad.exit_code == 2 and "v1 or v2" in bad.output
    bad = runner.invoke(app, ["optimize", "--model", "v2", "--regions", "USA,CHN",
                              "--scenario", str(path), "--samples", "8",
                              "--db", str(tmp_path / "r.duckdb")])
    assert bad.exit_code == 2 and "not countable" in bad.output
