"""JSON-ready report of a simulation run (and of the value of the response rules)."""

from __future__ import annotations

import html
import json

from critmin.simulate.outputs import path_step, v2_keys
from critmin.simulate.summary import summarise
from critmin.store.results import ResultsStore

REGIONS = ("USA", "JPN", "ROW", "CHN")


def _q(row) -> dict:
    return {k: float(row[k]) for k in ("p5", "p50", "p95", "mean", "cvar95")}


NOTEBOOK_ROWS = 10
"""Commodities a notebook shows of a simulation report (most affected first)."""


class SimulationReport(dict):
    """A simulation report (a plain JSON-ready dict) that a notebook shows as a table: the
    most affected commodities' peak ex-China/China price ratio and U.S./Japan shortfall,
    median (P5–P95), with the run's model and sample count."""

    def _repr_html_(self) -> str:
        by: dict[str, dict[str, dict]] = {}
        for r in self.get("results", []):
            by.setdefault(r["commodity"], {})[r["region"]] = r
        order = sorted(by, key=lambda c: -max(
            (by[c][g]["shortfall"]["mean"] for g in ("USA", "JPN") if g in by[c]),
            default=0.0))

        def rng(q, scale: float, unit: str) -> str:
            if not q:
                return "—"
            return (f"{scale * q['p50']:.1f}{unit} ({scale * q['p5']:.1f}–"
                    f"{scale * q['p95']:.1f})")

        rows = "".join(
            "<tr><td>" + html.escape(str(c)) + "</td>" + "".join(
                f"<td style='text-align:right'>{v}</td>" for v in (
                    rng(next(iter(by[c].values()))["peak_price_ratio"], 1.0, "×"),
                    *(rng(by[c].get(g, {}).get("shortfall"), 100.0, " %")
                      for g in ("USA", "JPN")))) + "</tr>"
            for c in order[:NOTEBOOK_ROWS])
        model = self.get("model") or (self.get("inputs") or {}).get("model", "?")
        title = (f"{self.get('scenario', '?')}: {self.get('samples', 0):,} samples, model "
                 f"{model}, run {self.get('run_id', '?')}")
        more = len(order) - NOTEBOOK_ROWS
        note = ("median (P5–P95); shortfall: % of demand unmet; most affected first"
                + (f"; {more} more in ['results']" if more > 0 else ""))
        return (f"<div><b>{html.escape(title)}</b><table><thead><tr><th>commodity</th>"
                "<th>peak ex-China/China price</th><th>U.S. shortfall</th>"
                f"<th>Japan shortfall</th></tr></thead><tbody>{rows}</tbody></table>"
                f"<small>{html.escape(note)}</small></div>")


def simulation_report(store: ResultsStore, run_id: str, baseline_run: str | None = None
                      ) -> SimulationReport:
    """Per commodity and region: peak ex-China/China price ratio and shortfall share as
    P5/P50/P95 (plus mean and CVaR95), stock cover for the U.S. and Japan; with
    ``baseline_run`` (same draws, response rules off) the shortfall the rules avoided.
    ``spin_up_months``: months the run was spun up before the scenario's start (its results
    cover the months from the start on; :mod:`critmin.simulate.runner`), 0 without."""
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
    out = SimulationReport({
           "run_id": run_id, "scenario": run["scenario_id"], "status": run["status"],
           "inputs": (json.loads(run["inputs"]) if isinstance(run["inputs"], str)
                      else run["inputs"]), "code_version": run["code_version"],
           "samples": int(s.attrs.get("samples", 0)), "results": results,
           "fiscal_cost_usd": _q(s.loc[("ALL", "fiscal_cost_usd")].fillna(0.0)),
           "balance_error": store.balance_error(run_id)})
    out["spin_up_months"] = int(out["inputs"].get("spin_up_months", 0))  # none recorded:
    # a run without spin-up (runs stored before it existed included)
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
