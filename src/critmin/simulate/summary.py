"""Summaries of a stored run: percentiles, expected shortfall, CVaR, cover probabilities.

Computed out of core: DuckDB reads the run's Parquet parts a batch of columns at a time,
so no table of all samples is ever built; memory grows with the samples of one batch of
columns only (``BATCH_BYTES``). Definitions (S samples of one column, float64):

- p5/p50/p95: linear interpolation between order statistics at (S - 1) q
  (DuckDB ``quantile_cont``; NumPy's default ``quantile`` method);
- mean; cvar95: mean of the S - floor(0.95 S) largest values (for ``min_cover``
  metrics: of the max(1, ceil(0.05 S)) smallest, the worst cover);
- prob_below: share of samples with cover under ``cover_days``.

A column holding NaN or nulls (a metric the model lacks for a commodity) reports NaN.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import pandas as pd
import xarray as xr

from critmin.store.results import ResultsStore

QUANTILES = (0.05, 0.5, 0.95)
CVAR_ALPHA = 0.95
BATCH_BYTES = 32 * 2**20
"""Bytes of sample values one DuckDB query holds (8 per sample and column)."""
MAX_COLUMNS = 128
"""Most columns a query summarises (longer select lists take DuckDB longer to plan)."""
COLUMNS = ["commodity", "metric", "p5", "p50", "p95", "mean", "cvar95", "prob_below"]


def _parts(store: ResultsStore, run_id: str) -> list[str]:
    return [str(f) for f in store.part_files(run_id)]  # checked against their SHA-256


def _connect(threads: int = 1):
    """A DuckDB connection; one thread keeps sums in file order (same numbers for any
    chunking of the run)."""
    import duckdb

    con = duckdb.connect(config={"threads": threads})
    # refused in a Jupyter kernel without ipywidgets, where DuckDB draws no bar anyway
    with contextlib.suppress(duckdb.InvalidInputException):
        con.execute("SET enable_progress_bar = false")
    return con


def _tail_sizes(n: int) -> tuple[int, int]:
    """(upper tail size, lower tail size) of CVaR95 over ``n`` samples."""
    return n - math.floor(CVAR_ALPHA * n), max(1, math.ceil((1 - CVAR_ALPHA) * n))


def _column_sql(col: str, n: int, cover_days: float) -> str:
    """Select list of one metric column: quantiles, mean, values, tail mean (and, for
    cover metrics, samples under ``cover_days``)."""
    x = f'"{col}"::DOUBLE'
    upper, lower = _tail_sizes(n)
    cover = col.startswith("min_cover")
    tail = f"min({x}, {lower})" if cover else f"max({x}, {upper})"
    qs = ", ".join(repr(q) for q in QUANTILES)
    below = f"count_if({x} < {float(cover_days)!r})" if cover else "NULL"
    return f"quantile_cont({x}, [{qs}]), avg({x}), count({x}), list_avg({tail}), {below}"


def _batches(cols: list[str], n: int) -> list[list[str]]:
    size = max(1, min(MAX_COLUMNS, BATCH_BYTES // (8 * max(n, 1))))
    return [cols[i:i + size] for i in range(0, len(cols), size)]


def _metric_rows(con, files: list[str], cols: list[str], n: int, cover_days: float
                 ) -> dict[str, dict]:
    """Column -> summary row, one query per batch of columns. A column with nulls or NaN
    (NaN makes the mean NaN) reports NaN."""
    out = {}
    for batch in _batches(cols, n):
        sql = ", ".join(_column_sql(c, n, cover_days) for c in batch)
        got = con.execute(f"SELECT {sql} FROM read_parquet(?)", [files]).fetchone()
        for k, col in enumerate(batch):
            q, mean, count, cvar, below = got[5 * k:5 * k + 5]
            row = dict(p5=np.nan, p50=np.nan, p95=np.nan, mean=np.nan, cvar95=np.nan)
            if count == n and not math.isnan(mean):
                row.update(p5=q[0], p50=q[1], p95=q[2], mean=mean, cvar95=cvar)
            if below is not None:
                row["prob_below"] = below / n
            out[col] = row
    return out


def _fired_means(con, files: list[str], cols: list[str], n: int) -> dict[str, float]:
    if not cols:
        return {}
    sql = ", ".join(f'count_if("{c}")' for c in cols)
    got = con.execute(f"SELECT {sql} FROM read_parquet(?)", [files]).fetchone()
    return {c: k / n for c, k in zip(cols, got, strict=True)}


def summarise(store: ResultsStore, run_id: str, cover_days: float = 30.0) -> pd.DataFrame:
    """Tidy table per (commodity, metric): p5, p50, p95, mean, cvar95 (mean of the worst
    5 %), and for cover metrics prob_below (probability cover falls under ``cover_days``).
    Metrics: peak_ratio (ex-China / China price, peak quarter), peak_price_x (ex-China
    price / baseline), shortfall_R (share of demand unmet over the horizon, region R),
    min_cover_R (lowest stock cover, days), var_usd_R (value of unmet demand, USD); one
    row ``rrg_fired`` (share of samples where the response rules fired) per commodity and
    one ``fiscal_cost_usd`` row (commodity ALL)."""
    files = _parts(store, run_id)
    con = _connect()
    try:
        names = [r[0] for r in con.execute(
            "DESCRIBE SELECT * FROM read_parquet(?)", [files]).fetchall()]
        n = con.execute("SELECT count(*) FROM read_parquet(?)", [files]).fetchone()[0]
        metric_cols = [c for c in names if "|" in c and not c.startswith("rrg_fired")]
        fired_cols = [c for c in names if c.startswith("rrg_fired|")]
        stats = _metric_rows(con, files, [*metric_cols, "fiscal_cost_usd"], n, cover_days)
        fired = _fired_means(con, files, fired_cols, n)
    finally:
        con.close()
    rows = [dict(commodity=c.split("|")[1], metric=c.split("|")[0], **stats[c])
            for c in metric_cols]
    rows += [dict(commodity=c.split("|")[1], metric="rrg_fired", mean=m)
             for c, m in fired.items()]
    rows.append(dict(commodity="ALL", metric="fiscal_cost_usd", **stats["fiscal_cost_usd"]))
    cover = any("prob_below" in r for r in rows)
    out = pd.DataFrame(rows, columns=COLUMNS if cover else COLUMNS[:-1])
    out.attrs["samples"] = n
    out.attrs["cover_days"] = cover_days
    return out


def to_dataset(store: ResultsStore, run_id: str) -> xr.Dataset:
    """Per-sample results as an xarray Dataset with dims (sample, commodity)."""
    df = store.samples(run_id)
    commodities = store.commodities_of(run_id)
    metrics = sorted({c.split("|")[0] for c in df.columns if "|" in c})
    data: dict[str, tuple] = {m: (("sample", "commodity"),
                np.stack([df[f"{m}|{c}"].to_numpy() for c in commodities], axis=1))
            for m in metrics}
    data["fiscal_cost_usd"] = (("sample",), df["fiscal_cost_usd"].to_numpy())
    return xr.Dataset(data, coords={"sample": df["sample"].to_numpy(),
                                    "commodity": commodities})


