"""Model v2's outputs for the brief and the dashboard: shortfall per region and peak
prices and physical shortfall per stage (quantiles over all samples of a stored run),
dates of each path step, and the monthly paths of a run's first samples (prices per
stage, China's exports by destination, stock cover, shortfall per region).

The sweep stores per-sample peaks, quarterly paths and the monthly paths of the first
``MONTHLY_SAMPLES`` samples (:func:`critmin.market.v2.chunks.monthly_tables`);
:func:`monthly_paths` reads those back as the Dataset that
:func:`critmin.market.v2.paths.simulate_paths` returns for the same samples (tested equal),
so the brief draws and optimises on the run's own samples without simulating them again."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from critmin.data.schemas import STAGES
from critmin.market.v2.kept import MONTHLY_SAMPLES as MONTHLY_SAMPLES  # re-exported
from critmin.market.v2.network import REGIONS as REGIONS_V2

REGIONS = ("USA", "JPN", "EU", "KOR", "CHN", "ROW")
"""Importing regions of model v2 (v1 has USA, JPN, ROW and CHN), in display order."""
STEP_MONTHS = {"month": 1, "quarter": 3}
"""Months per step of a stored path table, by the name of its step column."""


def month_dates(start: dt.date, steps, per_step_months: int) -> list[str]:
    """ISO date of the first day of each step from ``start`` (3 months a quarter)."""
    out = []
    for s in steps:
        m = start.month - 1 + per_step_months * int(s)
        out.append(dt.date(start.year + m // 12, m % 12 + 1, 1).isoformat())
    return out


def path_step(paths: pd.DataFrame) -> str:
    """The time step of a stored path table: 'month' or 'quarter'."""
    return "month" if "month" in paths.columns else "quarter"


def _q(row) -> dict | None:
    """P5/P50/P95/mean/CVaR95 of a summary row; None where the model lacks the metric."""
    out = {k: float(row[k]) for k in ("p5", "p50", "p95", "mean", "cvar95")}
    return None if any(math.isnan(v) for v in out.values()) else out


def _metric(s: pd.DataFrame, commodity: str, metric: str) -> dict | None:
    return _q(s.loc[(commodity, metric)]) if (commodity, metric) in s.index else None


def run_model(inputs: dict) -> str:
    """'v1' or 'v2' from a run's stored inputs (v1 runs do not record it)."""
    return str(inputs.get("model", "v1"))


def region_results(s: pd.DataFrame, commodities: list[str]) -> list[dict]:
    """Per commodity and region with a shortfall metric in the run: shortfall (share of
    demand at pre-scenario prices unmet over the horizon) and, for v2, the peak monthly
    physical shortfall (use at the going price buyers could not get). ``s``: summary
    indexed by (commodity, metric)."""
    metrics = set(s.index.get_level_values(1))
    regions = [r for r in REGIONS if f"shortfall_{r}" in metrics]
    out = []
    for c in commodities:
        for r in regions:
            q = _metric(s, c, f"shortfall_{r}")
            if q is None:
                continue
            rec = {"commodity": c, "region": r, "shortfall": q}
            phys = _metric(s, c, f"peak_shortfall_physical_{r}")
            if phys is not None:
                rec["peak_shortfall_physical"] = phys
            out.append(rec)
    return out


def stage_results(s: pd.DataFrame, commodities: list[str]) -> list[dict]:
    """Per commodity and stage the run models (v2): peak ex-China price vs. baseline and
    physical shortfall (share of the stage's use unmet, mean over the months)."""
    out = []
    for c in commodities:
        for st in STAGES:
            price = _metric(s, c, f"peak_price_x_{st}")
            if price is None:
                continue
            out.append({"commodity": c, "stage": st, "peak_price_x": price,
                        "shortfall_physical": _metric(s, c, f"shortfall_physical_{st}")})
    return out


def path_dates(paths: pd.DataFrame, start: dt.date) -> tuple[str, list[str]]:
    """(step name, ISO date of each step) of a stored path table."""
    step = path_step(paths)
    n = int(paths[step].max()) + 1 if len(paths) else 0
    return step, month_dates(start, range(n), STEP_MONTHS[step])


def v2_keys(store, run_id: str, s: pd.DataFrame, paths: pd.DataFrame) -> dict:
    """The report keys that model v2 added (present for v1 runs too, with v1's regions):
    model, shortfall_by_region, stages, paths_step, path_dates, exports_by_destination and
    exports_dates (empty for v1)."""
    run = store.run(run_id)
    inputs = run["inputs"]
    inputs = json.loads(inputs) if isinstance(inputs, str) else dict(inputs)
    start = dt.date.fromisoformat(str(json.loads(run["scenario"])["start"])[:10])
    commodities = store.commodities_of(run_id)
    step, dates = path_dates(paths, start)
    exports, months = exports_by_destination(store, run_id, start)
    return {"model": run_model(inputs),
            "shortfall_by_region": region_results(s, commodities),
            "stages": stage_results(s, commodities),
            "paths_step": step, "path_dates": dates,
            "exports_by_destination": exports, "exports_dates": months}


def exports_by_destination(store, run_id: str, start: dt.date) -> tuple[dict, list[str]]:
    """China's monthly exports by destination region in a v2 run's first samples (the
    run's table ``exports_china_dest``), as a share of its exports there before the
    scenario (1 = unchanged): {commodity: {region: {p5, p50, p95: one value a month}}}
    and the ISO date of each month. Destinations without exports before are left out;
    ({}, []) for a run without the table (model v1)."""
    try:
        t = store.read_table(run_id, "exports_china_dest")
    except FileNotFoundError:
        return {}, []
    t = t[np.isfinite(t["relative"].to_numpy(dtype=float))]
    if t.empty:
        return {}, []
    q = t.groupby(["commodity", "region", "month"])["relative"].quantile(
        [0.05, 0.5, 0.95]).unstack()
    out: dict = {}
    for (c, r), g in q.groupby(level=[0, 1]):
        out.setdefault(str(c), {})[str(r)] = {
            "p5": g[0.05].tolist(), "p50": g[0.5].tolist(), "p95": g[0.95].tolist()}
    return out, month_dates(start, range(int(t["month"].max()) + 1), 1)


# -- monthly paths of a v2 run ---------------------------------------------------------------
@dataclass(frozen=True)
class StoredPaths:
    """A v2 run's kept monthly paths as its store holds them."""

    paths: pd.DataFrame
    """Table ``monthly_paths``: one row per (sample, month, simulated commodity), in order."""
    base: pd.DataFrame
    """Table ``monthly_base``: each commodity's baseline per sample (stages it has,
    headline stage, exports in t, exports and stock cover in days per region)."""
    commodities: list[str]
    """Every commodity of the run, simulated or not."""
    months: int
    seed: int
    spin_up_months: int = 0
    """Months the run was spun up before the scenario's start (the paths start at it)."""


def read_monthly(store, run_id: str) -> StoredPaths | None:
    """The monthly paths a stored run kept; None for a v1 run. FileNotFoundError for a v2
    run stored before runs kept their monthly paths."""
    inputs = store.run(run_id)["inputs"]
    inputs = json.loads(inputs) if isinstance(inputs, str) else dict(inputs)
    if run_model(inputs) != "v2":
        return None
    return StoredPaths(store.read_table(run_id, "monthly_paths"),
                       store.read_table(run_id, "monthly_base"),
                       list(store.commodities_of(run_id)), 3 * int(inputs["horizon"]),
                       int(inputs["seed"]), int(inputs.get("spin_up_months", 0)))


def monthly_paths(store, run_id: str) -> xr.Dataset | None:
    """Monthly paths of a stored v2 run's first samples (at most ``MONTHLY_SAMPLES``) as
    kept by the run (tables ``monthly_paths`` and ``monthly_base``): the variables of
    :func:`critmin.market.v2.paths.simulate_paths` that the brief reads, over every
    commodity of the run; None for a v1 run. FileNotFoundError for a v2 run stored before
    runs kept their monthly paths."""
    stored = read_monthly(store, run_id)
    return None if stored is None else paths_dataset(stored)


def _filled(S: int, H: int, value, *shape: int) -> np.ndarray:
    """float32 (S, H, *shape) array, each (sample, month) set to ``value``."""
    out = np.empty((S, H, *shape), np.float32)
    out[...] = value
    return out


def _baseline(base: pd.DataFrame, one: pd.DataFrame, S: int, H: int) -> dict[str, np.ndarray]:
    """(S, H, commodity, ...) arrays at every commodity's baseline, from the rows of
    ``monthly_base`` in commodity then sample order (``one``: those of sample 0): prices
    1 and physical shortfall 0 at the stages a commodity has (NaN elsewhere), its stock
    cover, China's exports in total and by destination, shortfall 0."""
    C, R, G = len(one), len(REGIONS_V2), len(STAGES)
    has = one[[f"has_{st}" for st in STAGES]].to_numpy(bool)  # (C, stage)
    cover = base[[f"cover_{r}" for r in REGIONS_V2]].to_numpy(np.float32)
    return {"px": _filled(S, H, np.where(has, 1.0, np.nan), C, G),
            "pc": _filled(S, H, np.where(has, 1.0, np.nan), C, G),
            "phys": _filled(S, H, np.where(has, 0.0, np.nan)[:, :, None], C, G, R),
            "cover": _filled(S, H, cover.reshape(C, S, -1).transpose(1, 0, 2)[:, None], C, R),
            "exports": _filled(S, H, one["exports"].to_numpy(np.float32), C),
            "dest": _filled(S, H, one[[f"exports_{r}" for r in REGIONS_V2]].to_numpy(np.float64),
                            C, R),
            "short": _filled(S, H, 0.0, C, R)}


def _write_simulated(a: dict[str, np.ndarray], t: pd.DataFrame, sim: np.ndarray) -> None:
    """Write the simulated commodities' paths (table ``monthly_paths``, rows in (sample,
    month, simulated commodity) order) over the baseline arrays ``a`` at indices ``sim``."""
    S, H = a["px"].shape[:2]

    def put(x, index, columns):
        x[(slice(None), slice(None), sim, *index)] = t[columns].to_numpy(np.float32).reshape(
            S, H, len(sim), -1).squeeze(-1 if len(columns) == 1 else ())

    for j, st in enumerate(STAGES):
        put(a["px"], (j,), [f"price_x_{st}"])
        put(a["pc"], (j,), [f"price_china_{st}"])
        put(a["phys"], (j,), [f"physical_{st}_{r}" for r in REGIONS_V2])
    a["exports"][:, :, sim] = np.maximum(t["exports"].to_numpy(), 0).reshape(S, H, len(sim))
    for name, key in (("shortfall", "short"), ("cover", "cover"), ("exports", "dest")):
        put(a[key], (), [f"{name}_{r}" for r in REGIONS_V2])


def paths_dataset(stored: StoredPaths) -> xr.Dataset:
    """The Dataset :func:`critmin.market.v2.paths.simulate_paths` returns for the stored
    samples: every commodity at its baseline, the simulated ones' paths written over it."""
    commodities = stored.commodities
    ci = pd.Index(commodities)
    b = stored.base.assign(c=ci.get_indexer(stored.base["commodity"])).sort_values(
        ["c", "sample"])
    one = b[b["sample"].eq(0)]
    S, H, C = int(b["sample"].max()) + 1, stored.months, len(commodities)
    a = _baseline(b, one, S, H)
    simulated = stored.paths["commodity"].unique()
    _write_simulated(a, stored.paths, ci.get_indexer(simulated))
    hl = np.array([STAGES.index(s) for s in one["headline"]])
    c = np.arange(C)
    dims = ("sample", "month", "commodity")
    return xr.Dataset(
        {"price_ex_china": (dims, a["px"][:, :, c, hl]),
         "price_china": (dims, a["pc"][:, :, c, hl]),
         "exports_china": (dims, a["exports"]),
         "exports_china_dest": ((*dims, "region"), a["dest"]),
         "shortfall": ((*dims, "region"), a["short"]),
         "shortfall_physical": ((*dims, "region"), a["phys"][:, :, c, hl]),
         "cover_days": ((*dims, "region"), a["cover"]),
         "price_ex_china_stage": ((*dims, "stage"), a["px"]),
         "price_china_stage": ((*dims, "stage"), a["pc"]),
         "shortfall_stage": ((*dims, "stage", "region"), a["phys"]),
         "exports_china_base": (("commodity",), one["exports"].to_numpy(np.float64)),
         "exports_china_dest_base": (("commodity", "region"),
                                     one[[f"exports_{r}" for r in REGIONS_V2]]
                                     .to_numpy(np.float64))},
        coords={"sample": np.arange(S), "month": np.arange(H), "commodity": commodities,
                "region": list(REGIONS_V2), "stage": list(STAGES)},
        attrs={"model": "v2", "seed": stored.seed, "simulated": ",".join(simulated),
               "spin_up_months": stored.spin_up_months})


def long_paths(ds, commodities: list[str]) -> pd.DataFrame:
    """Monthly paths as a path table (sample, month, commodity, metric, value): price_x,
    price_ratio, shortfall_R and cover_R per region, exports_R per destination (share of
    baseline exports; destinations with none left out), price_x_STAGE per stage."""
    d = ds.sel(commodity=[c for c in commodities if c in ds["commodity"].values])
    frames = {"price_x": d["price_ex_china"], "price_ratio": d["price_ex_china"]
              / d["price_china"]}
    for r in d["region"].values:
        frames[f"shortfall_{r}"] = d["shortfall"].sel(region=r)
        frames[f"cover_{r}"] = d["cover_days"].sel(region=r)
        base = d["exports_china_dest_base"].sel(region=r)
        frames[f"exports_{r}"] = (d["exports_china_dest"].sel(region=r)
                                  / base.where(base > 0))
    for st in d["stage"].values:
        frames[f"price_x_{st}"] = d["price_ex_china_stage"].sel(stage=st)
    rows = []
    for metric, da in frames.items():
        df = da.transpose("sample", "month", "commodity").to_dataframe(name="value")
        df = df.reset_index()[["sample", "month", "commodity", "value"]]
        rows.append(df.assign(metric=metric))
    out = pd.concat(rows, ignore_index=True)
    return out[np.isfinite(out["value"].to_numpy(dtype=float))]
