"""Multi-stage program: a small instance against brute-force enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from critmin.optimize import multiperiod as mp
from critmin.optimize.staged import StagedInstance


def _instance(seed: int, budget: float, cost_scale: float = 1.0) -> StagedInstance:
    """3 projects on 2 needs over 2 periods of 12 months, 20 scenarios (CVaR 90 %: the
    tail is exactly 2 scenarios, so the LP's CVaR equals the sorted-tail mean)."""
    rng = np.random.default_rng(seed)
    S = 20
    needs = pd.DataFrame({"commodity": ["a", "b"], "stage": ["metal", "metal"],
                          "region": ["USA", "USA"], "headline": [True, True],
                          "demand_t": [100.0, 100.0], "value_usd_t": [2e6, 1e6],
                          "node": [0, 1]}, index=pd.Index(["a|metal|USA", "b|metal|USA"],
                                                           name="need"))
    gp = rng.gamma(1.0, 40.0, size=(S, 2, 2)) * (rng.random((S, 1, 1)) < 0.6)
    gp[:, :, 1] += 2 * gp[:, :, 0]  # what period 0 shows tells about period 1
    scen = pd.Index(range(S), name="scenario")
    gap_period = xr.DataArray(gp, coords=[scen, needs.index, pd.Index([0, 1], name="period")])
    projects = pd.DataFrame({
        "name": ["P1", "P2", "P3"], "commodity": ["a", "a", "b"], "stage": ["metal"] * 3,
        "country": ["USA"] * 3, "region": ["USA"] * 3, "capacity": [60.0, 40.0, 80.0],
        "first_production_year": [2026.0, 2026.5, 2026.0],
        "cost_usd": np.array([6e7, 3e7, 5e7]) * cost_scale, "output_t": [60.0, 40.0, 80.0],
        "instrument": ["grant"] * 3, "basis": [""] * 3},
        index=pd.Index(["p1", "p2", "p3"], name="project_id"))
    options = pd.DataFrame({"project_id": ["p1", "p2", "p3"], "funder": ["USA"] * 3,
                            "need": ["a|metal|USA", "a|metal|USA", "b|metal|USA"]},
                           index=pd.Index(["p1@USA", "p2@USA", "p3@USA"], name="option"))
    avail = xr.DataArray(rng.uniform(0.5, 1.0, size=(S, 3)),
                         coords=[scen, pd.Index(projects.index, name="project")])
    stock_options = pd.DataFrame(columns=["holder", "commodity", "need", "cost_usd_t"]
                                 ).rename_axis("key")
    return StagedInstance(
        projects=projects, needs=needs, gap_t=gap_period.sum("period"), options=options,
        availability=avail, stock_options=stock_options, budgets={"USA": budget},
        gap_period=gap_period, cvar_alpha=0.9, allow_stocks=False,
        meta={"start": "2026-01-01", "months": 24})


def _brute(mi: mp.MultiInstance, budget: float) -> float:
    """Best objective over every commitment plan: per project none, now, or later in
    any non-empty set of branches, within the budget on every path."""
    n_opt = len(mi.base.options)
    B = mi.nodes[1]
    per_project = [("none", ())] + [("now", ())] + [
        ("later", s) for r in range(1, B + 1) for s in itertools.combinations(range(B), r)]
    best = np.inf
    for plan in itertools.product(per_project, repeat=n_opt):
        x0 = np.zeros((n_opt, 1))
        x1 = np.zeros((n_opt, B))
        for j, (when, branches) in enumerate(plan):
            if when == "now":
                x0[j, 0] = 1
            for b in branches:
                x1[j, b] = 1
        spend = x0[:, 0] @ mi.option_cost[:, 0] + x1.T @ mi.option_cost[:, 1]
        if (spend > budget + 1e-6).any():
            continue
        best = min(best, mp.evaluate(mi, [x0, x1])["objective_usd"])
    return best


@pytest.mark.parametrize("seed,budget,scale", [(0, 1e8, 1.0), (1, 8e7, 1.0), (2, 2e8, 1.0),
                                               (3, 4e8, 4.0), (1, 3e8, 3.0)])
def test_small_instance_matches_enumeration(seed, budget, scale):
    _checked(seed, budget, scale)


def _checked(seed, budget, scale) -> mp.MultiSolution:
    mi = mp.build_multi(_instance(seed, budget, scale), branches=2)
    sol = mp.solve(mi, mip_gap=0.0)
    assert sol.objective_usd == pytest.approx(_brute(mi, budget), rel=1e-6)
    return sol


def test_waiting_pays_where_the_first_year_informs():
    """Costly projects are committed a year later, only in the branch that showed the
    larger loss (the real option the single-period program cannot take)."""
    sol = _checked(1, 3e8, 3.0)
    later = sol.commits[sol.commits["period"] == 1]
    assert len(later) and (later["probability"] < 1).all()


def test_commit_later_delays_output():
    mi = mp.build_multi(_instance(0, 1e8), branches=2)
    # P1 online 1 Jan 2026: 12 months in period 0 if committed now, none if later
    assert mi.supply[:, 0, 0, 0].max() > 0
    assert mi.supply[:, 0, 1, 0].max() == 0
    assert (mi.supply[:, 0, 1, 1] == mi.supply[:, 0, 0, 1]).all()
    assert mi.option_cost[0, 1] < mi.option_cost[0, 0]  # paid a year later: discounted


def test_tree_is_non_anticipative():
    loss = np.array([[3.0, 0], [1.0, 0], [2.0, 0], [0.5, 0]])
    node, nodes = mp._tree(loss, 2)
    assert nodes == [1, 2]
    assert (node[0] == 0).all()
    assert list(node[1]) == [1, 0, 1, 0]  # split by period-0 loss only


def test_phases_pair_named_phases():
    p = pd.DataFrame({"name": ["Mill Phase 1", "Mill Phase 2", "Other"]},
                     index=["a", "b", "c"])
    assert mp._phases(p) == [("b", "a")]
