"""Portfolio results as JSON-ready records, the budget-risk frontier, and the store."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

from critmin.optimize.portfolio import Instance, Solution, greedy, risk, solve


def _unmet(inst: Instance, sol: Solution | None) -> np.ndarray:
    gap = inst.gap_t.values
    if sol is None:
        return gap
    comm = list(inst.gap_t.indexes["commodity"])
    add = inst.supply(sol.selected["project_id"])
    if len(sol.stocks):
        add = add + sol.stocks.groupby("commodity")["stock_t"].sum().reindex(comm).fillna(
            0.0).to_numpy()[None, :]
    return np.maximum(gap - add, 0.0)


def risk_table(inst: Instance, sol: Solution | None) -> dict:
    """Expected loss and CVaR (USD) overall and, per commodity, expected unmet tonnage
    and its CVaR, before (sol None) or after a portfolio."""
    unmet = _unmet(inst, sol)
    comm = list(inst.gap_t.indexes["commodity"])
    value = inst.value_usd_t.reindex(comm).to_numpy()
    loss = unmet @ value
    exp, cvar = risk(inst, loss)
    per = {}
    k = int(np.floor(inst.cvar_alpha * unmet.shape[0]))
    for j, c in enumerate(comm):
        col = np.sort(unmet[:, j])
        per[c] = {"expected_unmet_t": float(unmet[:, j].mean()),
                  "cvar_unmet_t": float(col[k:].mean()) if k < len(col) else float(col[-1])}
    return {"expected_loss_usd": exp, "cvar_usd": cvar, "by_commodity": per}


def portfolio_record(inst: Instance, sol: Solution) -> dict:
    """What `critmin optimize --json` prints."""
    before, after = risk_table(inst, None), risk_table(inst, sol)
    avoided_t = float(sum(before["by_commodity"][c]["expected_unmet_t"]
                          - after["by_commodity"][c]["expected_unmet_t"]
                          for c in before["by_commodity"]))
    spend = float(sum(sol.spend_by_funder.values()))
    return {
        "scenario": inst.meta.get("scenario"), "simulation_run_id": inst.meta.get("run_id"),
        "samples": int(inst.gap_t.sizes["scenario"]), "budgets_usd": inst.budgets,
        "selected_projects": sol.selected.assign(
            name=sol.selected["project_id"].map(inst.projects["name"])).to_dict("records"),
        "stockpiles": sol.stocks.to_dict("records"),
        "cost_by_funder_usd": sol.spend_by_funder,
        "fiscal_cost_usd": sol.fiscal_usd,
        "risk_before": before, "risk_after": after,
        "usd_per_tonne_avoided": spend / avoided_t if avoided_t > 0 else None,
        "binding_constraints": [f"budget[{f}]" for f in sol.binding_budgets],
        "objective_usd": sol.objective_usd, "mip_gap": sol.mip_gap, "status": sol.status,
        "candidates": len(inst.projects),
        "candidates_online_in_horizon": int((inst.projects["output_t"] > 0).sum()),
    }


def frontier(inst: Instance, factors=(0.0, 0.25, 0.5, 1.0, 2.0, 4.0)) -> pd.DataFrame:
    """Budget-risk frontier: the budgets scaled by each factor, solved; columns
    total_budget_usd, expected_loss_usd, cvar_usd, fiscal_usd, greedy_expected_loss_usd."""
    rows = []
    for f in factors:
        scaled = Instance(**{**inst.__dict__, "budgets": {k: v * f for k, v in
                                                          inst.budgets.items()}})
        sol = solve(scaled)
        g = greedy(scaled)
        rows.append(dict(factor=f, total_budget_usd=sum(scaled.budgets.values()),
                         expected_loss_usd=sol.expected_loss_usd, cvar_usd=sol.cvar_usd,
                         fiscal_usd=sol.fiscal_usd,
                         greedy_expected_loss_usd=g.expected_loss_usd))
    return pd.DataFrame(rows)


def frontier_figure(front: pd.DataFrame):
    import plotly.graph_objects as go

    fig = go.Figure()
    x = front["total_budget_usd"] / 1e9
    fig.add_trace(go.Scatter(x=x, y=front["expected_loss_usd"] / 1e9, mode="lines+markers",
                             name="expected loss (optimised)"))
    fig.add_trace(go.Scatter(x=x, y=front["cvar_usd"] / 1e9, mode="lines+markers",
                             name="CVaR 95 % (optimised)"))
    fig.add_trace(go.Scatter(x=x, y=front["greedy_expected_loss_usd"] / 1e9,
                             mode="lines+markers", name="expected loss (greedy ranking)",
                             line={"dash": "dot"}))
    fig.update_layout(title="Budget-risk frontier: U.S.+Japan unmet demand, USD bn",
                      xaxis_title="total budget, USD bn", yaxis_title="USD bn")
    return fig


def save(store, inst: Instance, record: dict) -> str:
    """Record an optimisation in the results store; returns its id."""
    from critmin.scenarios.spec import Scenario

    payload = json.dumps({"meta": inst.meta, "budgets": inst.budgets,
                          "samples": record["samples"], "lambda": inst.cvar_weight},
                         sort_keys=True, default=str)
    run_id = "opt-" + hashlib.sha256(payload.encode()).hexdigest()[:12]
    sc = Scenario(id=str(inst.meta.get("scenario") or "custom"), name="optimisation",
                  start=inst.meta.get("start", "2026-01-01"))
    store.begin(run_id, sc, json.loads(payload), inst.gap_t.indexes["commodity"], 1,
                kind="optimisation")
    store.write_table(run_id, "result", pd.DataFrame([{"json": json.dumps(record,
                                                                           default=str)}]))
    store.complete_table(run_id)
    return run_id
