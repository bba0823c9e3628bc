"""Portfolio results as JSON-ready records, the budget-risk frontier, and the store."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import numpy as np
import pandas as pd

from critmin.optimize import staged
from critmin.optimize.portfolio import Instance, Solution, cvar, greedy, risk, solve
from critmin.optimize.staged import StagedInstance


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
    exp, cvar_usd = risk(inst, loss)
    per = {}
    for j, c in enumerate(comm):
        per[c] = {"expected_unmet_t": float(unmet[:, j].mean()),
                  "cvar_unmet_t": cvar(unmet[:, j], inst.cvar_alpha)}
    return {"expected_loss_usd": exp, "cvar_usd": cvar_usd, "by_commodity": per}


def portfolio_record(inst: Instance, sol: Solution) -> dict:
    """What `critmin optimize --json` prints (model v2 instances add region and stage
    keys, see :func:`staged_record`)."""
    if isinstance(inst, StagedInstance):
        return staged_record(inst, sol)
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


def frontier(inst: Instance | StagedInstance,
             factors=(0.0, 0.25, 0.5, 1.0, 2.0, 4.0)) -> pd.DataFrame:
    """Budget-risk frontier: the budgets scaled by each factor, solved; columns
    total_budget_usd, expected_loss_usd, cvar_usd, fiscal_usd, greedy_expected_loss_usd.
    A v2 program is built once and solved again with each factor's budgets (only the
    budgets' right-hand side differs: the same arrays reach HiGHS as from a build)."""
    rows = []
    prog = None
    for f in factors:
        scaled = dataclasses.replace(inst, budgets={k: v * f for k, v in inst.budgets.items()})
        if isinstance(scaled, StagedInstance):
            prog = staged.program(scaled) if prog is None else prog
            sol, g = staged.solve_program(scaled, prog.rebudget(scaled)), staged.greedy(scaled)
        else:
            sol, g = solve(scaled), greedy(scaled)
        rows.append(dict(factor=f, total_budget_usd=sum(scaled.budgets.values()),
                         expected_loss_usd=sol.expected_loss_usd, cvar_usd=sol.cvar_usd,
                         fiscal_usd=sol.fiscal_usd,
                         greedy_expected_loss_usd=g.expected_loss_usd))
    return pd.DataFrame(rows)


def frontier_figure(front: pd.DataFrame, who: str = "U.S.+Japan"):
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
    fig.update_layout(title=f"Budget-risk frontier: {who} unmet demand, USD bn",
                      xaxis_title="total budget, USD bn", yaxis_title="USD bn")
    return fig


def save(store, inst: Instance, record: dict) -> str:
    """Record an optimisation in the results store; returns its id."""
    from critmin.scenarios.spec import Scenario

    commodities = (inst.commodities if isinstance(inst, StagedInstance)
                   else list(inst.gap_t.indexes["commodity"]))
    payload = json.dumps({"meta": inst.meta, "budgets": inst.budgets,
                          "samples": record["samples"], "lambda": inst.cvar_weight},
                         sort_keys=True, default=str)
    run_id = "opt-" + hashlib.sha256(payload.encode()).hexdigest()[:12]
    sc = Scenario(id=str(inst.meta.get("scenario") or "custom"), name="optimisation",
                  start=inst.meta.get("start", "2026-01-01"))
    store.begin(run_id, sc, json.loads(payload), commodities, 1,
                kind="optimisation")
    store.write_table(run_id, "result", pd.DataFrame([{"json": json.dumps(record,
                                                                           default=str)}]))
    store.complete_table(run_id)
    return run_id


def _tail(a: np.ndarray, alpha: float) -> float:
    """CVaR at ``alpha`` of the values in ``a`` (mean of the worst 1 - alpha)."""
    return cvar(a, alpha)


def _staged_unmet(inst: StagedInstance, sol: Solution | None) -> np.ndarray:
    if sol is None:
        return inst.gap_t.values
    opts = [f"{p}@{f}" for p, f in zip(sol.selected["project_id"], sol.selected["funder"],
                                      strict=True)]
    stocks = pd.Series(sol.stocks["stock_t"].to_numpy(dtype=float),
                       index=[f"{h}|{c}" for h, c in zip(sol.stocks["holder"],
                                                         sol.stocks["commodity"], strict=True)],
                       dtype=float)
    return staged.unmet_t(inst, inst.added(opts, stocks))


def staged_risk_table(inst: StagedInstance, unmet: np.ndarray) -> dict:
    """Expected loss and CVaR (USD) and, per commodity, expected unmet tonnes over its
    stages and counted regions and their CVaR (t)."""
    value = inst.needs["value_usd_t"].to_numpy(dtype=float)
    exp, cvar = risk(inst, unmet @ value)
    per = {}
    for c in inst.commodities:
        tot = unmet[:, (inst.needs["commodity"] == c).to_numpy()].sum(axis=1)
        per[c] = {"expected_unmet_t": float(tot.mean()),
                  "cvar_unmet_t": _tail(tot, inst.cvar_alpha)}
    return {"expected_loss_usd": exp, "cvar_usd": cvar, "by_commodity": per}


def _by_region(inst: StagedInstance, before: np.ndarray, after: np.ndarray) -> dict:
    value = inst.needs["value_usd_t"].to_numpy(dtype=float)
    out = {}
    for r in inst.meta.get("regions", []):
        cols = (inst.needs["region"] == r).to_numpy()
        rec = {}
        for tag, u in (("before", before), ("after", after)):
            loss = u[:, cols] @ value[cols]
            rec[tag] = {"expected_loss_usd": float(loss.mean()),
                        "cvar_usd": _tail(loss, inst.cvar_alpha),
                        "expected_unmet_t": float(u[:, cols].sum(axis=1).mean())}
        out[r] = rec
    return out


def _by_stage(inst: StagedInstance, before: np.ndarray, after: np.ndarray) -> dict:
    out: dict = {}
    for j, (_need, row) in enumerate(inst.needs.iterrows()):
        d = float(row["demand_t"])
        b, a = before[:, j], after[:, j]
        out.setdefault(row["commodity"], {}).setdefault(row["stage"], {})[row["region"]] = {
            "demand_t": d, "headline": bool(row["headline"]),
            "expected_unmet_t_before": float(b.mean()),
            "expected_unmet_t_after": float(a.mean()),
            "cvar_unmet_t_before": _tail(b, inst.cvar_alpha),
            "cvar_unmet_t_after": _tail(a, inst.cvar_alpha),
            "expected_share_before": float(b.mean() / d) if d > 0 else 0.0,
            "expected_share_after": float(a.mean() / d) if d > 0 else 0.0}
    return out


def staged_record(inst: StagedInstance, sol: Solution) -> dict:
    """The v1 record's keys on a model v2 instance, plus ``model``, ``regions``,
    ``risk_by_region`` (per counted region: expected loss, CVaR, expected unmet t, before
    and after), ``shortfall_by_stage`` (commodity -> stage -> region: demand and unmet t,
    before and after) and ``candidates_not_in_model``."""
    ub, ua = _staged_unmet(inst, None), _staged_unmet(inst, sol)
    before, after = staged_risk_table(inst, ub), staged_risk_table(inst, ua)
    avoided_t = float((ub - ua).sum(axis=1).mean())
    spend = float(sum(sol.spend_by_funder.values()))
    names = inst.projects["name"]
    return {
        "model": "v2", "regions": inst.meta.get("regions"),
        "scenario": inst.meta.get("scenario"), "simulation_run_id": inst.meta.get("run_id"),
        "seed": inst.meta.get("seed"), "months": inst.meta.get("months"),
        "samples": int(inst.gap_t.sizes["scenario"]), "budgets_usd": inst.budgets,
        "selected_projects": sol.selected.assign(
            name=sol.selected["project_id"].map(names)).to_dict("records"),
        "stockpiles": sol.stocks.to_dict("records"),
        "cost_by_funder_usd": sol.spend_by_funder,
        "fiscal_cost_usd": sol.fiscal_usd,
        "risk_before": before, "risk_after": after,
        "risk_by_region": _by_region(inst, ub, ua),
        "shortfall_by_stage": _by_stage(inst, ub, ua),
        "usd_per_tonne_avoided": spend / avoided_t if avoided_t > 0 else None,
        "binding_constraints": [f"budget[{f}]" for f in sol.binding_budgets],
        "objective_usd": sol.objective_usd, "mip_gap": sol.mip_gap, "status": sol.status,
        "candidates": len(inst.projects),
        "candidates_online_in_horizon": int((inst.projects["output_t"] > 0).sum()),
        "candidates_not_in_model": inst.excluded,
    }
