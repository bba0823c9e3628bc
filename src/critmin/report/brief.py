"""The decision brief's numbers: exposure of the U.S. and Japan, what a scenario does to
prices and shortfalls (P5-P95), what the optimised portfolio buys, the value of the Rapid
Response Group rules. Everything is computed from the public core functions (assess,
simulate, summarise, the optimiser); :mod:`critmin.report.html` renders it."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.metrics.assessment import Assessment, assess
from critmin.metrics.summary import commodity_summary
from critmin.report.fmt import country, label, pct
from critmin.simulate.report import simulation_report
from critmin.store.results import ResultsStore

IMPORTERS = ("USA", "JPN")
DEFAULT_BUDGETS = {"USA": 1e9, "JPN": 1e9, "JPN_vehicle": 0.0}
"""Budgets the brief states and optimises for (USD): U.S. and Japan USD 1 bn each over the
scenario horizon, nothing from Japan's investment vehicle (the `critmin optimize`
defaults)."""
PORTFOLIO_SAMPLES = 256
"""Simulated scenarios the optimiser uses in the brief (the first of the run's draws)."""
FRONTIER_FACTORS = (0.0, 0.5, 1.0, 2.0)
"""Budget multiples of the frontier."""
DRIVERS_PER_RESULT = 2
"""Inputs shown per commodity and result in the drivers section."""

Progress = Callable[[str], None]


@dataclass
class Brief:
    """Inputs of the rendered brief."""

    net: object
    scenario: object
    run_id: str
    baseline_run_id: str | None
    assessment: Assessment
    summary: pd.DataFrame
    sim: dict
    loss_usd: dict  # quantiles of U.S.+Japan value of unmet demand, with and without rules
    portfolio: dict | None
    frontier: pd.DataFrame | None
    drivers: pd.DataFrame | None
    names: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    drivers_samples: int = 0
    model: str = "v2"
    monthly: object = None  # xarray Dataset: monthly v2 paths of the run's first samples


def names_of(net) -> dict:
    """commodity id -> readable name."""
    return dict(zip(net.commodities["commodity"], net.commodities["name"], strict=True))


def _quantiles(v: np.ndarray) -> dict:
    q = np.quantile(v, (0.05, 0.5, 0.95))
    return {"p5": float(q[0]), "p50": float(q[1]), "p95": float(q[2]), "mean": float(v.mean())}


def loss_quantiles(store: ResultsStore, run_id: str) -> dict:
    """P5/P50/P95/mean of the value of unmet U.S.+Japan demand summed over commodities
    (USD over the horizon, at baseline prices)."""
    df = store.samples(run_id)
    cols = [c for c in df.columns if c.startswith(("var_usd_USA|", "var_usd_JPN|"))]
    return _quantiles(df[cols].to_numpy(dtype=np.float64).sum(axis=1))


def exposure(a: Assessment, importer: str, n: int | None = None) -> pd.DataFrame:
    """Most exposed commodities of an importer, by EU-style supply risk (highest first),
    with the numbers that explain it: reliance (as published), China's share of the
    binding stage, main supplier. Elements scored only through their parent (stage shown
    as 'refining (ree)') are left out: the parent's row stands for them."""
    d = a.countries[a.countries["importer"].eq(importer)].dropna(subset=["eu_supply_risk"])
    own = ~d["eu_stage"].astype(str).str.contains("(", regex=False)
    d = d[own].sort_values("eu_supply_risk", ascending=False)
    st = a.stages.drop_duplicates(["commodity", "stage"]).set_index(["commodity", "stage"])
    china = [st["china_share"].get((c, str(s).split(" ")[0]), np.nan)
             for c, s in zip(d["commodity"], d["eu_stage"], strict=True)]
    out = d.assign(china_stage_share=china)
    return out if n is None else out.head(n)


def exposure_reason(r, names: dict) -> str:
    """'gallium (net import reliance 100 %; China 98 % of world refining; ...)'."""
    bits = [f"net import reliance {pct(r.import_reliance, r.import_reliance_qualifier)}"]
    if pd.notna(r.china_stage_share) and r.china_stage_share > 0:
        bits.append(f"China {pct(r.china_stage_share)} of world {label(r.eu_stage)}")
    if pd.notna(r.top_supplier) and pd.notna(r.top_supplier_share):
        bits.append(f"main supplier {country(r.top_supplier)} "
                    f"{pct(r.top_supplier_share)} of imports")
    return f"{names.get(r.commodity, r.commodity)} ({'; '.join(bits)})"


def impact_table(sim: dict) -> pd.DataFrame:
    """One row per simulated commodity: price and U.S./Japan shortfall quantiles and the
    expected value of unmet demand; sorted by that value (most important first)."""
    rows = {}
    for r in sim["results"]:
        row = rows.setdefault(r["commodity"], {"commodity": r["commodity"],
                                               "ratio": r["peak_price_ratio"],
                                               "price": r.get("peak_ex_china_price"),
                                               "fired": r.get("response_fired_share"),
                                               "loss_usd": 0.0})
        if r["region"] in IMPORTERS:
            row[f"short_{r['region']}"] = r["shortfall"]
            row["loss_usd"] += (r.get("value_at_risk_usd") or {}).get("mean", 0.0)
    df = pd.DataFrame(list(rows.values()))
    worst = df[[f"short_{i}" for i in IMPORTERS]].map(lambda q: q["mean"]).max(axis=1)
    return df.assign(worst_mean=worst).sort_values(
        ["loss_usd", "worst_mean"], ascending=False).reset_index(drop=True)


def response_value(sim: dict) -> pd.DataFrame:
    """Per commodity and importer: shortfall (mean) with and without the response rules
    and the share of demand they save; largest saving first."""
    rv = sim.get("response_value") or []
    df = pd.DataFrame(rv)
    if df.empty:
        return df
    return df.sort_values("shortfall_mean_avoided", ascending=False).reset_index(drop=True)


def sensitivity_drivers(net, scenario, commodities: list[str], samples: int, seed: int,
                        model: str = "v2") -> pd.DataFrame | None:
    """Top drivers of the U.S. shortfall and the peak price ratio of ``commodities`` from
    the Sobol analysis (:func:`critmin.calibrate.sensitivity.top_drivers`), with each
    input's description; None when that function is not available.
    Columns: commodity, output, input, description, ST, ST_conf."""
    try:
        mod = importlib.import_module("critmin.calibrate.sensitivity")
    except ImportError:
        return None
    fn = getattr(mod, "top_drivers", None)
    if fn is None:
        return None
    d = fn(net, scenario, model=model, samples=samples, seed=seed,
           commodities=list(commodities), outputs=("peak_price_ratio", "shortfall"),
           regions=("USA",))
    if d is None or d.empty:
        return None
    wanted = (d["commodity"].isin(commodities)
              & ((d["output"].eq("shortfall") & d["region"].eq("USA"))
                 | d["output"].eq("peak_price_ratio")))
    d = d[wanted].copy()
    try:
        from critmin.simulate.paths import latent_priors

        desc = latent_priors(net, model).set_index("name")["description"]
        d["description"] = d["input"].map(desc).fillna("")
    except (ImportError, KeyError, ValueError):
        d["description"] = ""
    order = {c: i for i, c in enumerate(commodities)}
    d = d.sort_values(["commodity", "output", "ST"], key=lambda s: s.map(order)
                      if s.name == "commodity" else s, ascending=[True, True, False])
    d = d.groupby(["commodity", "output"], sort=False).head(DRIVERS_PER_RESULT)
    return d[["commodity", "output", "input", "description", "ST", "ST_conf"]]


def _scenario_warnings(net, scenario, run_commodities) -> list[str]:
    missing = [c for c in scenario.commodities if c not in run_commodities]
    for ctl in scenario.controls:
        missing += [c for c in ctl.commodities if c not in run_commodities
                    and c not in missing and c in set(net.commodities["commodity"])]
    if not missing:
        return []
    return [f"no market data (world output and price) for {', '.join(sorted(set(missing)))}"
            f": not simulated, listed in the scenario only"]


def prepare(net, scenario, store: ResultsStore, *, samples: int, seed: int,
            budgets: dict | None = None, portfolio_samples: int = PORTFOLIO_SAMPLES,
            frontier_factors=FRONTIER_FACTORS, executor=None, drivers_samples: int = 32,
            model: str = "v2", progress: Progress | None = None) -> Brief:
    """Run what the brief needs: assessment, the scenario with and without the response
    rules through market ``model``, (v2) the monthly paths of the run's first samples,
    the optimised portfolio and its frontier, and (``drivers_samples`` > 0) the inputs
    that drive the results."""
    from critmin.optimize.instance import build_instance
    from critmin.optimize.portfolio import InfeasibleError, solve
    from critmin.optimize.report import frontier, portfolio_record, save
    from critmin.report.outputs import MONTHLY_SAMPLES, monthly_paths
    from critmin.simulate.runner import simulate

    say = progress or (lambda _msg: None)
    budgets = dict(DEFAULT_BUDGETS if budgets is None else budgets)
    say("assessing exposure of the U.S. and Japan")
    a = assess(net, IMPORTERS)
    summary = commodity_summary(net)
    say(f"simulating {scenario.id}: {samples:,} samples, with rules (model {model})")
    run_id = simulate(net, scenario, samples=samples, seed=seed, store=store,
                      executor=executor, model=model)
    base_id = None
    if scenario.responses:
        say(f"simulating {scenario.id}: {samples:,} samples, no rules (model {model})")
        base_id = simulate(net, scenario, samples=samples, seed=seed, store=store,
                           executor=executor, responses=False, model=model)
    sim = simulation_report(store, run_id, base_id)
    monthly = None
    if model == "v2":
        say(f"monthly paths of the first {min(samples, MONTHLY_SAMPLES):,} samples "
            "(stages, exports by destination, stock cover)")
        monthly = monthly_paths(net, scenario, run_inputs(store, run_id))
    loss = {"with": loss_quantiles(store, run_id)}
    if base_id:
        loss["without"] = loss_quantiles(store, base_id)
    record = front = None
    warnings = _scenario_warnings(net, scenario, store.commodities_of(run_id))
    say(f"optimising the portfolio on {min(samples, portfolio_samples):,} scenarios")
    try:
        inst = build_instance(net, store, run_id, budgets, samples=portfolio_samples)
        record = portfolio_record(inst, solve(inst))
        record["optimisation_id"] = save(store, inst, record)  # `critmin runs show ID`
        say(f"budget–risk frontier ({len(frontier_factors)} budgets)")
        front = frontier(inst, frontier_factors)
    except InfeasibleError as exc:
        warnings.append(f"portfolio not optimised: {exc}")
    drivers = None
    if drivers_samples:
        say(f"sensitivity of the results (Sobol, {drivers_samples} base samples)")
        top = impact_table(sim)["commodity"].head(3).tolist()
        try:
            drivers = sensitivity_drivers(net, scenario, top, drivers_samples, seed, model)
        except (ValueError, RuntimeError) as exc:
            warnings.append(f"sensitivity analysis not run: {exc}")
    return Brief(net=net, scenario=scenario, run_id=run_id, baseline_run_id=base_id,
                 assessment=a, summary=summary, sim=sim, loss_usd=loss, portfolio=record,
                 frontier=front, drivers=drivers, names=names_of(net), warnings=warnings,
                 drivers_samples=drivers_samples, model=model, monthly=monthly)


def run_inputs(store: ResultsStore, run_id: str) -> dict:
    """A run's inputs as a JSON object (the store keeps them as JSON text)."""
    raw = store.run(run_id)["inputs"]
    return json.loads(raw) if isinstance(raw, str) else dict(raw)


def start_date(scenario) -> dt.date:
    return scenario.start
