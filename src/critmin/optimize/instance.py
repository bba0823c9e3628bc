"""Build an optimisation instance from the Network and a stored simulation run."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import xarray as xr

from critmin.market.baseline import build_baseline
from critmin.optimize.instruments import LIFE_YEARS, cheapest_instrument
from critmin.optimize.portfolio import STOCK_CARRY, Instance
from critmin.store.results import ResultsStore

CANDIDATE_STATUS = ("construction", "committed", "feasibility", "announced", "trial")
DEFAULT_LEAD_YEARS = 3.0
"""Lead time assumed when a project states no first-production year: the 2-3 years seen
from announcement to output for magnet plants (MP 10X, Vulcan) in the research notes."""
CAPEX_INTENSITY = {  # USD per t/yr of capacity, by commodity, from the parameters table
    "ndfeb_magnet": ("NdFeB", "capex_magnet_plant"),
    "lithium": ("lithium", "capex_refinery"),
}


def _online_years(first_year: pd.Series, start: dt.date, quarters: float) -> pd.Series:
    """Years of output inside [start, start + quarters) for projects starting on 1 Jan of
    ``first_year``."""
    begin = start.year + (start.timetuple().tm_yday - 1) / 365.25
    end = begin + quarters / 4
    online = first_year.astype(float)
    return (end - np.maximum(online, begin)).clip(lower=0.0)


def candidates(net, commodities: list[str], start: dt.date, quarters: float,
               price_paths: dict[str, np.ndarray] | None, prices_usd_t: pd.Series,
               path_of=None, projects: pd.DataFrame | None = None) -> pd.DataFrame:
    """Projects that could be supported, with output inside the horizon, instrument and
    expected fiscal cost. Columns: project_id (index), name, commodity, country,
    output_t, capacity, first_production_year, capex_usd, cost_usd, instrument, basis.

    Price paths (USD/t per simulated sample, over the project's life) come from
    ``price_paths[commodity]`` or, when given, ``path_of(project_row)`` (model v2: the
    price of the project's own stage). ``projects`` replaces ``net.projects``."""
    p = net.projects if projects is None else projects
    p = p[p["status"].isin(CANDIDATE_STATUS) & p["commodity"].isin(commodities)].copy()
    basis = []
    first = p["first_production_year"].astype("Float64")
    lead_assumed = first.isna()
    first = first.fillna(start.year + DEFAULT_LEAD_YEARS)
    p["first_production_year"] = first.astype(float)
    capex = p["capex_usd"].astype(float)
    params = net.parameters.set_index(["scope", "parameter"])["value"]
    intensity = p["commodity"].map(
        lambda c: params.get(CAPEX_INTENSITY[c], np.nan) if c in CAPEX_INTENSITY else np.nan)
    capex_estimated = capex.isna() & intensity.notna()
    capex = capex.fillna(intensity * p["capacity"])
    p["capex_usd"] = capex
    p = p[capex.notna()]
    price = p["commodity"].map(prices_usd_t).astype(float)
    unit_cost = p["unit_cost_usd_t"].astype(float).fillna(price)
    if path_of is None:
        def path_of(row):
            return price_paths[row.commodity]
    paths = (np.stack([path_of(r) for r in p.itertuples(index=False)]) if len(p)
             else np.zeros((0, 1)))
    instrument, cost = cheapest_instrument(p["capex_usd"].to_numpy(), p["capacity"].to_numpy(),
                                           unit_cost.to_numpy(), paths)
    p["instrument"], p["cost_usd"] = instrument, cost
    p["output_t"] = p["capacity"] * _online_years(p["first_production_year"], start, quarters)
    for i in p.index:
        notes = []
        if lead_assumed.get(i, False):
            notes.append(f"first output assumed {start.year + DEFAULT_LEAD_YEARS:.0f}")
        if capex_estimated.get(i, False):
            notes.append("capex from capex intensity")
        if p.at[i, "unit_cost_usd_t"] != p.at[i, "unit_cost_usd_t"]:
            notes.append("unit cost assumed = baseline price (marginal at China-set prices)")
        basis.append("; ".join(notes))
    p["basis"] = basis
    cols = ["name", "commodity", "country", "stage", "capacity", "output_t",
            "first_production_year", "capex_usd", "cost_usd", "instrument", "basis"]
    return p.set_index("project_id")[cols]


def input_availability(net, projects: pd.DataFrame, samples: pd.DataFrame,
                       gap_t: xr.DataArray) -> xr.DataArray:
    """(scenario, project) share of a plant's inputs that U.S. buyers obtain in each
    simulated scenario: 1 - shortfall of its scarcest bill-of-materials input (1 for
    projects whose commodity has no bill of materials, or whose inputs were not simulated)."""
    inputs = net.bom.groupby("product")["input"].unique()
    avail = np.ones((gap_t.sizes["scenario"], len(projects)))
    for j, commodity in enumerate(projects["commodity"]):
        for i in inputs.get(commodity, []):
            col = f"shortfall_USA|{i}"
            if col in samples:
                avail[:, j] = np.minimum(avail[:, j], 1 - samples[col].to_numpy())
    return xr.DataArray(np.clip(avail, 0, 1), coords=[gap_t.indexes["scenario"],
                                                       pd.Index(projects.index, name="project")])


def build_instance(net, store: ResultsStore, run_id: str, budgets: dict,
                   samples: int | None = None, cvar_weight: float = 1.0,
                   cvar_alpha: float = 0.95, allow_stocks: bool = True) -> Instance:
    """Scenarios from a stored simulation: U.S.+Japan unmet tonnage per commodity."""
    run = store.run(run_id)
    commodities = store.commodities_of(run_id)
    inputs = pd.read_json(pd.io.common.StringIO(run["inputs"]), typ="series")
    scenario = pd.read_json(pd.io.common.StringIO(run["scenario"]), typ="series")
    start = dt.date.fromisoformat(str(scenario["start"])[:10])
    quarters = int(inputs["horizon"])
    base = build_baseline(net, commodities)
    p0 = pd.Series(base.col("price_usd_t"), index=list(base.commodities))
    cols = [f"var_usd_{r}|{c}" for r in ("USA", "JPN") for c in commodities]
    cols += [f"shortfall_USA|{c}" for c in commodities]
    df = store.samples(run_id, cols)
    if samples:
        df = df.iloc[:samples]
    gap = np.stack([(df[f"var_usd_USA|{c}"] + df[f"var_usd_JPN|{c}"]).to_numpy() / p0[c]
                    for c in commodities], axis=1)
    gap_t = xr.DataArray(gap, coords=[pd.Index(df["sample"].to_numpy(), name="scenario"),
                                      pd.Index(commodities, name="commodity")])
    paths = store.paths(run_id)
    px = paths[paths["metric"] == "price_x"].groupby(["commodity", "sample"])["value"].mean()
    # price over a project's life: the simulated horizon, then the baseline price
    life = max(LIFE_YEARS, quarters / 4)
    price_paths = {c: (px.loc[c].to_numpy() * quarters / 4 + (life - quarters / 4)) / life
                   * p0[c] for c in commodities}
    cand = candidates(net, commodities, start, quarters, price_paths, p0)
    years = quarters / 4
    return Instance(projects=cand, gap_t=gap_t, value_usd_t=p0,
                    stock_cost_usd_t=p0 * (1 + STOCK_CARRY * years), budgets=budgets,
                    cvar_alpha=cvar_alpha, cvar_weight=cvar_weight,
                    allow_stocks=allow_stocks,
                    input_availability=input_availability(net, cand, df, gap_t),
                    meta={"run_id": run_id, "scenario": run["scenario_id"],
                          "start": start.isoformat(), "quarters": quarters})
