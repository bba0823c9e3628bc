"""The decision brief's pipeline: assess exposure, simulate the scenario with and without
the response rules, keep the monthly paths of the run's first samples, optimise the
portfolio and its frontier, rank the drivers. It returns a :class:`critmin.report.brief.Brief`
that :mod:`critmin.report.html` renders without running anything."""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmin.calibrate.sensitivity import top_drivers
from critmin.market.registry import DEFAULT_MODEL
from critmin.metrics.assessment import assess
from critmin.metrics.summary import commodity_summary
from critmin.optimize.coalitions import GAME_SAMPLES
from critmin.optimize.finance import optimise
from critmin.optimize.instance import build_instance
from critmin.optimize.portfolio import InfeasibleError, solve
from critmin.optimize.report import frontier, portfolio_record, save
from critmin.report.brief import (
    DEFAULT_BUDGETS,
    IMPORTERS,
    Brief,
    Progress,
    impact_table,
    names_of,
    run_inputs,
)
from critmin.simulate.outputs import MONTHLY_SAMPLES, monthly_paths
from critmin.simulate.paths import latent_priors, scenario_paths
from critmin.simulate.report import simulation_report
from critmin.simulate.runner import simulate
from critmin.store.results import ResultsStore
from critmin.workflows.club import club
from critmin.workflows.criticality import shipped_ranking
from critmin.workflows.impact import run_impact

PORTFOLIO_SAMPLES = 256
"""Simulated scenarios the optimiser uses in the brief (the first of the run's draws)."""
CLUB_SAMPLES = 64
"""Samples of each of the club's four runs in the brief."""
CLUB_PARTNERS = ("USA", "JPN", "AUS", "KOR", "EU")
FRONTIER_FACTORS = (0.0, 0.5, 1.0, 2.0)
"""Budget multiples of the frontier."""
IMPACT_SAMPLES = 64
"""Samples of the GDP-at-risk runs in the brief (at most the run's own)."""
DRIVERS_PER_RESULT = 2
"""Inputs shown per commodity and result in the drivers section."""


def _quantiles(v: np.ndarray) -> dict:
    q = np.quantile(v, (0.05, 0.5, 0.95))
    return {"p5": float(q[0]), "p50": float(q[1]), "p95": float(q[2]), "mean": float(v.mean())}


def loss_quantiles(store: ResultsStore, run_id: str) -> dict:
    """P5/P50/P95/mean of the value of unmet U.S.+Japan demand summed over commodities
    (USD over the horizon, at baseline prices)."""
    df = store.samples(run_id)
    cols = [c for c in df.columns if c.startswith(("var_usd_USA|", "var_usd_JPN|"))]
    return _quantiles(df[cols].to_numpy(dtype=np.float64).sum(axis=1))


def sensitivity_drivers(net, scenario, commodities: list[str], samples: int, seed: int,
                        model: str = DEFAULT_MODEL) -> pd.DataFrame | None:
    """Top drivers of the U.S. shortfall and the peak price ratio of ``commodities`` from
    the Sobol analysis (:func:`critmin.calibrate.sensitivity.top_drivers`), with each
    input's description; None when the analysis ranks nothing.
    Columns: commodity, output, input, description, ST, ST_conf."""
    d = top_drivers(net, scenario, model=model, samples=samples, seed=seed,
           commodities=list(commodities), outputs=("peak_price_ratio", "shortfall"),
           regions=("USA",))
    if d is None or d.empty:
        return None
    wanted = (d["commodity"].isin(commodities)
              & ((d["output"].eq("shortfall") & d["region"].eq("USA"))
                 | d["output"].eq("peak_price_ratio")))
    d = d[wanted].copy()
    try:
        desc = latent_priors(net, model).set_index("name")["description"]
        d["description"] = d["input"].map(desc).fillna("")
    except (KeyError, ValueError):
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


def simulate_runs(net, scenario, store: ResultsStore, *, samples: int, seed: int,
                  executor=None, model: str = DEFAULT_MODEL, say=None) -> tuple:
    """The brief's runs: (run id with the response rules, run id without them or None when
    the scenario has none, the monthly paths of the run's first samples as the run kept
    them, or None for model v1). Nothing is simulated twice: the fans and the portfolio
    read the paths the run stored."""
    say = say or (lambda _msg: None)
    say(f"simulating {scenario.id}: {samples:,} samples, with rules (model {model})")
    run_id = simulate(net, scenario, samples=samples, seed=seed, store=store,
                      executor=executor, model=model, progress=False)  # say() reports
    base_id = None
    if scenario.responses:
        say(f"simulating {scenario.id}: {samples:,} samples, no rules (model {model})")
        base_id = simulate(net, scenario, samples=samples, seed=seed, store=store,
                           executor=executor, responses=False, model=model,
                           progress=False)
    monthly = None
    if model == "v2":
        say(f"monthly paths of the first {min(samples, MONTHLY_SAMPLES):,} samples, as the "
            "run kept them (stages, exports by destination, stock cover)")
        try:
            monthly = monthly_paths(store, run_id)
        except FileNotFoundError:  # a run stored before runs kept their monthly paths
            inputs = run_inputs(store, run_id)
            monthly = scenario_paths(net, scenario, samples=min(samples, MONTHLY_SAMPLES),
                                     seed=seed, months=3 * int(inputs["horizon"]),
                                     priors_only=inputs.get("inputs") == "priors",
                                     spin_up=int(inputs.get("spin_up_months", 0)) > 0)
    return run_id, base_id, monthly


def prepare(net, scenario, store: ResultsStore, *, samples: int, seed: int,
            budgets: dict | None = None, portfolio_samples: int = PORTFOLIO_SAMPLES,
            frontier_factors=FRONTIER_FACTORS, executor=None, drivers_samples: int = 32,
            model: str = DEFAULT_MODEL, progress: Progress | None = None) -> Brief:
    """Run what the brief needs: assessment, the scenario with and without the response
    rules through market ``model``, (v2) the monthly paths of the run's first samples,
    the optimised portfolio and its frontier, and (``drivers_samples`` > 0) the inputs
    that drive the results."""
    say = progress or (lambda _msg: None)
    budgets = dict(DEFAULT_BUDGETS if budgets is None else budgets)
    say("assessing exposure of the U.S. and Japan")
    a = assess(net, IMPORTERS)
    summary = commodity_summary(net)
    run_id, base_id, monthly = simulate_runs(net, scenario, store, samples=samples,
                                             seed=seed, executor=executor, model=model,
                                             say=say)
    sim = simulation_report(store, run_id, base_id)
    loss = {"with": loss_quantiles(store, run_id)}
    if base_id:
        loss["without"] = loss_quantiles(store, base_id)
    record = front = None
    warnings = _scenario_warnings(net, scenario, store.commodities_of(run_id))
    say(f"optimising the portfolio on {min(samples, portfolio_samples):,} scenarios")
    club_rec = None
    try:
        if monthly is not None:  # v2: valued on the paths, multi-period, cost sharing
            inst, _sol, record = optimise(
                net, scenario, budgets, samples=portfolio_samples, seed=seed,
                regions=("USA", "JPN"), step=say,
                paths=monthly.isel(sample=slice(0, portfolio_samples)),
                game_samples=min(portfolio_samples, GAME_SAMPLES))
            club_rec = _club(net, scenario, record, seed, say, warnings)
        else:
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
    impact, ranks = {}, {}
    if model == "v2":
        say(f"GDP at risk for the U.S. and Japan ({min(samples, IMPACT_SAMPLES)} samples)")
        for imp in IMPORTERS:
            try:
                impact[imp] = run_impact(net, scenario, imp, samples=min(samples, IMPACT_SAMPLES),
                                         seed=seed, months=12)
            except ValueError as exc:
                warnings.append(f"GDP at risk for {imp} not computed: {exc}")
            ranks[imp] = shipped_ranking(imp)
    return Brief(net=net, scenario=scenario, run_id=run_id, baseline_run_id=base_id,
                 assessment=a, summary=summary, sim=sim, loss_usd=loss, portfolio=record,
                 frontier=front, drivers=drivers, names=names_of(net), warnings=warnings,
                 drivers_samples=drivers_samples, model=model, monthly=monthly,
                 impact=impact, impact_rank=ranks, club=club_rec)


def _club(net, scenario, record: dict, seed: int, say, warnings: list) -> dict | None:
    """The partners' club for the commodity the portfolio's stockpiles spend most on
    (else the first selected project's), at ``CLUB_SAMPLES`` samples."""
    stocks = pd.DataFrame(record.get("stockpiles", []))
    if len(stocks):
        c = stocks.groupby("commodity")["cost_usd"].sum().idxmax()
    elif record.get("selected_projects"):
        c = record["selected_projects"][0]["commodity"]
    else:
        return None
    say(f"fair-markets club for {c} ({CLUB_SAMPLES} samples, 4 runs)")
    try:
        return club(net, CLUB_PARTNERS, c, scenario=scenario, samples=CLUB_SAMPLES, seed=seed)
    except ValueError as exc:
        warnings.append(f"club not simulated: {exc}")
        return None

