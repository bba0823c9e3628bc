"""`critmin optimize` on model v2: simulate, value the candidates on the paths, solve the
multi-period program, share the cost among partners; returns the JSON record."""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmin.optimize import multiperiod as mp
from critmin.optimize import staged
from critmin.optimize.china import DEPTH, KAPPA, P_SUPPRESS, RELAX_YEARS, SUPPRESS_YEARS
from critmin.optimize.coalitions import GAME_SAMPLES, PARTNERS, cost_sharing
from critmin.optimize.report import _by_region, _by_stage, staged_risk_table
from critmin.optimize.valuation import BANKABLE_Q, CONTINGENT, RAMP_YEARS

DEFAULT_PARTNER_BUDGETS = {"AUS": 0.0, "KOR": 0.0, "EU": 0.0}
"""Partners' budgets unless given (USD): none; they share the cost of the security
their buyers get from the U.S. and Japanese budgets."""


def _summary(v: dict) -> dict:
    """The chosen instrument's valuation and the menu's fiscal costs (JSON-ready)."""
    menu = v["instruments"]
    chosen = dict(menu[v["instrument"]])
    return {"npv_usd": v["npv_usd"], "irr": v["irr"],
            "bankable_without_support": bool(v["bankable_without_support"]),
            "opex_usd_t": v["opex_usd_t"], "opex_basis": v["opex_basis"],
            "online_month": v["online_month"],
            "instrument_valuation": chosen,
            "instruments_fiscal_cost_usd": {k: m["fiscal_cost_usd"] for k, m in menu.items()}}


def project_rows(inst, sol: mp.MultiSolution) -> list[dict]:
    """Every commitment with its valuation (NPV, IRR P5/P50/P95, instrument)."""
    proj = inst.projects
    rows = []
    for r in sol.commits.itertuples():
        v = proj.at[r.project_id, "valuation"]
        inst_name = proj.at[r.project_id, "instrument"]
        rows.append({
            "project_id": r.project_id, "name": proj.at[r.project_id, "name"],
            "funder": r.funder, "commodity": proj.at[r.project_id, "commodity"],
            "stage": proj.at[r.project_id, "stage"],
            "delivers_to": inst.options.at[r.option, "need"].split("|")[2],
            "instrument": inst_name, "period": int(r.period), "node": int(r.node),
            "probability": float(r.probability),
            "cost_usd": float(r.cost_usd), "fiscal_cost_usd": float(r.cost_usd),
            "contingent_payout": bool(CONTINGENT[inst_name]),
            "output_t": float(proj.at[r.project_id, "output_t"]),
            "first_production_year": float(proj.at[r.project_id, "first_production_year"]),
            **_summary(v)})
    return rows


def multi_record(mi: mp.MultiInstance, sol: mp.MultiSolution) -> dict:
    """The v2 record's keys on a multi-period solution, plus ``decisions`` (every
    commitment and purchase with its ``period``), ``multi_period`` (size, time, gap)."""
    inst = mi.base
    x0 = [np.zeros((len(inst.options), n)) for n in mi.nodes]
    before = mp.evaluate(mi, x0)
    after = mp.evaluate(mi, *mp.decision_arrays(mi, sol))
    ub, ua = before["unmet"].sum(axis=2), after["unmet"].sum(axis=2)
    rb, ra = staged_risk_table(inst, ub), staged_risk_table(inst, ua)
    spend = {f: 0.0 for f in inst.budgets}
    for r in sol.commits.itertuples():
        spend[r.funder] += r.cost_usd * r.probability
    for r in sol.stocks.itertuples():
        spend[r.holder] += r.cost_usd * r.probability
    stocks = sol.stocks.drop(columns=["key"]).to_dict("records")
    decisions = ([{"kind": "project", **{k: v for k, v in d.items()}}
                  for d in sol.commits.drop(columns=["option"]).to_dict("records")]
                 + [{"kind": "stockpile", **d} for d in stocks])
    avoided = float((ub - ua).sum(axis=1).mean())
    anc = mp._leaves(mi)  # spend on each path of the tree
    path = {f: np.zeros(anc.shape[1]) for f in inst.budgets}
    for d in decisions:
        payer = d.get("funder") or d.get("holder")
        path[payer] += d["cost_usd"] * (anc[d["period"]] == d["node"])
    binding = [f"budget[{f}]" for f, b in inst.budgets.items()
               if b > 0 and path[f].max() >= 0.98 * b]
    released = sol.releases.sum(axis=1).mean(axis=0)
    return {
        "model": "v2", "regions": inst.meta.get("regions"),
        "scenario": inst.meta.get("scenario"), "simulation_run_id": None,
        "seed": inst.meta.get("seed"), "months": inst.meta.get("months"),
        "samples": int(mi.scenarios), "budgets_usd": inst.budgets,
        "selected_projects": project_rows(inst, sol),
        "stockpiles": stocks, "decisions": decisions,
        "cost_by_funder_usd": spend, "fiscal_cost_usd": after["fiscal_usd"],
        "risk_before": rb, "risk_after": ra,
        "risk_by_region": _by_region(inst, ub, ua),
        "shortfall_by_stage": _by_stage(inst, ub, ua),
        "usd_per_tonne_avoided": after["fiscal_usd"] / avoided if avoided > 0 else None,
        "binding_constraints": binding,
        "objective_usd": sol.objective_usd, "mip_gap": sol.mip_gap, "status": sol.status,
        "multi_period": {"periods": mi.periods, "period_months": staged.PERIOD_MONTHS,
                         "nodes": mi.nodes, "branch_rule": "loss terciles of the period "
                         "before", "expected_release_t_by_period": released.tolist(),
                         "solve_seconds": sol.seconds},
        "candidates": len(inst.projects),
        "candidates_online_in_horizon": int((inst.projects["output_t"] > 0).sum()),
        "candidates_not_in_model": inst.excluded,
        "candidate_valuations": {pid: {"name": r["name"], "instrument": r["instrument"],
                                       "fiscal_cost_usd": float(r["cost_usd"]),
                                       **_summary(r["valuation"])}
                                 for pid, r in inst.projects.iterrows()},
        "valuation_basis": {
            "discount_rate": 0.08, "life_years": 10, "ramp_years": RAMP_YEARS,
            "bankable_quantile": BANKABLE_Q,
            "beyond_horizon": "log price gap to the baseline (long-run pre-shock) price "
                              f"decays at U{tuple(round(k, 2) for k in KAPPA)} per year",
            "china_response": {"on": bool(inst.meta.get("china_response", True)),
                               "p_suppress": P_SUPPRESS,
                               "log_depth": tuple(round(d, 2) for d in DEPTH),
                               "years": SUPPRESS_YEARS, "relax_years": RELAX_YEARS}},
    }


def optimise(net, scenario, budgets: dict, *, samples: int, seed: int, regions,
             partners=PARTNERS, partner_budgets: dict | None = None,
             cvar_weight: float = 1.0, china: bool = True, step=None,
             game_samples: int = GAME_SAMPLES, paths=None) -> tuple:
    """Simulate v2 paths (unless ``paths`` of :func:`critmin.simulate.paths.scenario_paths`
    are given; spun up from the scenario's earliest earlier control, as a user's run is),
    build the instance, solve the multi-period program, share its cost; returns
    (instance, multi-period solution, record)."""
    from critmin.simulate.paths import scenario_paths

    regions = staged._regions(regions)
    months = 3 * int(scenario.horizon_quarters)
    if paths is None:
        paths = scenario_paths(net, scenario, samples=samples, seed=seed, months=months)
    samples = paths.sizes["sample"]
    if step is not None:
        step("valuing candidates on the paths; solving the multi-period portfolio (HiGHS)")
    inst = staged.build_staged_instance(net, scenario, budgets, samples=samples, seed=seed,
                                        regions=regions, cvar_weight=cvar_weight,
                                        paths=paths, china=china)
    mi = mp.build_multi(inst)
    sol = mp.solve(mi)
    record = multi_record(mi, sol)
    record["spin_up_months"] = int(paths.attrs.get("spin_up_months", 0))
    partners = [p.strip().upper() for p in partners if p.strip()]
    if partners:
        if step is not None:
            step(f"cost sharing among {', '.join(partners)} (Shapley, nucleolus)")
        full = staged.build_staged_instance(
            net, scenario, {k: v for k, v in budgets.items() if v > 0} or budgets,
            samples=samples, seed=seed, regions=staged.COUNTABLE, cvar_weight=cvar_weight,
            paths=paths, china=china)
        money = {**DEFAULT_PARTNER_BUDGETS, **(partner_budgets or {}),
                 "USA": budgets.get("USA", 0.0),
                 "JPN": budgets.get("JPN", 0.0) + budgets.get("JPN_vehicle", 0.0)}
        record["cost_sharing"] = cost_sharing(full, partners, money,
                                              record["fiscal_cost_usd"], game_samples)
    return inst, sol, record


def valuation_table(record: dict) -> pd.DataFrame:
    """One row per selected project: NPV and IRR P5/P50/P95, instrument, fiscal cost."""
    rows = []
    for r in record["selected_projects"]:
        rows.append({"project": r["name"], "period": r["period"],
                     "instrument": r["instrument"], "fiscal_cost_usd": r["fiscal_cost_usd"],
                     **{f"npv_{k}": r["npv_usd"][k] for k in ("p5", "p50", "p95")},
                     **{f"irr_{k}": r["irr"][k] for k in ("p5", "p50", "p95")}})
    return pd.DataFrame(rows)
