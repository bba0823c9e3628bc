"""Summaries of a stored run: percentiles, expected shortfall, CVaR, cover probabilities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from critmin.store.results import ResultsStore

QUANTILES = (0.05, 0.5, 0.95)
CVAR_ALPHA = 0.95


def summarise(store: ResultsStore, run_id: str, cover_days: float = 30.0) -> pd.DataFrame:
    """Tidy table per (commodity, metric): p5, p50, p95, mean, cvar95 (mean of the worst
    5 %), and for cover metrics prob_below (probability cover falls under ``cover_days``).
    Metrics: peak_ratio (ex-China / China price, peak quarter), peak_price_x (ex-China
    price / baseline), shortfall_R (share of demand unmet over the horizon, region R),
    min_cover_R (lowest stock cover, days), var_usd_R (value of unmet demand, USD).
    """
    df = store.samples(run_id)
    rows = []
    for col in df.columns:
        if "|" not in col or col.startswith("rrg_fired"):
            continue
        metric, commodity = col.split("|")
        v = df[col].to_numpy(dtype=np.float64)
        q = np.quantile(v, QUANTILES)
        tail = np.sort(v)[int(np.floor(CVAR_ALPHA * len(v))):]
        if metric.startswith("min_cover"):
            tail = np.sort(v)[: max(1, int(np.ceil((1 - CVAR_ALPHA) * len(v))))]
        row = dict(commodity=commodity, metric=metric, p5=q[0], p50=q[1], p95=q[2],
                   mean=float(v.mean()), cvar95=float(tail.mean()) if len(tail) else np.nan)
        if metric.startswith("min_cover"):
            row["prob_below"] = float((v < cover_days).mean())
        rows.append(row)
    fired = [c for c in df.columns if c.startswith("rrg_fired|")]
    for col in fired:
        rows.append(dict(commodity=col.split("|")[1], metric="rrg_fired",
                         mean=float(df[col].mean())))
    fiscal = df["fiscal_cost_usd"].to_numpy()
    q = np.quantile(fiscal, QUANTILES)
    worst = np.sort(fiscal)[int(np.floor(CVAR_ALPHA * len(fiscal))):]
    rows.append(dict(commodity="ALL", metric="fiscal_cost_usd", p5=q[0], p50=q[1], p95=q[2],
                     mean=float(fiscal.mean()), cvar95=float(worst.mean())))
    out = pd.DataFrame(rows)
    out.attrs["samples"] = len(df)
    out.attrs["cover_days"] = cover_days
    return out


def to_dataset(store: ResultsStore, run_id: str) -> xr.Dataset:
    """Per-sample results as an xarray Dataset with dims (sample, commodity)."""
    df = store.samples(run_id)
    commodities = store.commodities_of(run_id)
    metrics = sorted({c.split("|")[0] for c in df.columns if "|" in c})
    data = {m: (("sample", "commodity"),
                np.stack([df[f"{m}|{c}"].to_numpy() for c in commodities], axis=1))
            for m in metrics}
    data["fiscal_cost_usd"] = (("sample",), df["fiscal_cost_usd"].to_numpy())
    return xr.Dataset(data, coords={"sample": df["sample"].to_numpy(),
                                    "commodity": commodities})
