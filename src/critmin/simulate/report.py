"""JSON-ready report of a simulation run (and of the value of the response rules)."""

from __future__ import annotations

import json

from critmin.simulate.outputs import path_step, v2_keys
from critmin.simulate.summary import summarise
from critmin.store.results import ResultsStore

REGIONS = ("USA", "JPN", "ROW", "CHN")


def _q(row) -> dict:
    return {k: float(row[k]) for k in ("p5", "p50", "p95", "mean", "cvar95")}


def simulation_report(store: ResultsStore, run_id: str, baseline_run: str | None = None
                      ) -> dict:
    """Per commodity and region: peak ex-China/China price ratio and shortfall share as
    P5/P50/P95 (plus mean and CVaR95), stock cover for the U.S. and Japan; with
    ``baseline_run`` (same draws, response rules off) the shortfall the rules avoided."""
    run = store.run(run_id)
    summary = summarise(store, run_id)
    s = summary.set_index(["commodity", "metric"])
    s.attrs["samples"] = summary.attrs["samples"]
    results = []
    for commodity in store.commodities_of(run_id):
        ratio = _q(s.loc[(commodity, "peak_ratio")])
        price = _q(s.loc[(commodity, "peak_price_x")])
        fired = float(s.loc[(commodity, "rrg_fired"), "mean"])
        for region in REGIONS:
            rec = {"commodity": commodity, "region": region, "peak_price_ratio": ratio,
                   "peak_ex_china_price": price,
                   "shortfall": _q(s.loc[(commodity, f"shortfall_{region}")]),
                   "response_fired_share": fired}
            if (commodity, f"min_cover_{region}") in s.index:
                c = s.loc[(commodity, f"min_cover_{region}")]
                rec["min_cover_days"] = _q(c)
                rec["prob_cover_below_30_days"] = float(c["prob_below"])
                rec["value_at_risk_usd"] = _q(s.loc[(commodity, f"var_usd_{region}")])
            results.append(rec)
    out = {"run_id": run_id, "scenario": run["scenario_id"], "status": run["status"],
           "inputs": (json.loads(run["inputs"]) if isinstance(run["inputs"], str)
                      else run["inputs"]), "code_version": run["code_version"],
           "samples": int(s.attrs.get("samples", 0)), "results": results,
           "fiscal_cost_usd": _q(s.loc[("ALL", "fiscal_cost_usd")].fillna(0.0)),
           "balance_error": store.balance_error(run_id)}
    paths = store.paths(run_id)
    out["paths"] = path_quantiles(store, run_id, paths)
    out.update(v2_keys(store, run_id, s, paths))  # model, regions, stages, path dates
    if baseline_run:
        b = summarise(store, baseline_run).set_index(["commodity", "metric"])
        out["response_value"] = [
            {"commodity": c, "region": r,
             "shortfall_p50_without": float(b.loc[(c, f"shortfall_{r}"), "p50"]),
             "shortfall_p50_with": float(s.loc[(c, f"shortfall_{r}"), "p50"]),
             "shortfall_mean_avoided": float(b.loc[(c, f"shortfall_{r}"), "mean"]
                                             - s.loc[(c, f"shortfall_{r}"), "mean"])}
            for c in store.commodities_of(run_id) for r in ("USA", "JPN")]
        out["baseline_run_id"] = baseline_run
    return out


def path_quantiles(store: ResultsStore, run_id: str, paths=None) -> dict:
    """Per commodity and path metric: P5/P50/P95 lists per step (quarter or month, as
    stored; ``paths_step`` and ``path_dates`` of the report date them), from the stored
    paths of the run's first samples."""
    paths = store.paths(run_id) if paths is None else paths
    q = paths.groupby(["commodity", "metric", path_step(paths)])["value"].quantile(
        [0.05, 0.5, 0.95]).unstack()
    out: dict = {}
    for (commodity, metric), g in q.groupby(level=[0, 1]):
        out.setdefault(commodity, {})[metric] = {
            "p5": g[0.05].tolist(), "p50": g[0.5].tolist(), "p95": g[0.95].tolist()}
    return out
