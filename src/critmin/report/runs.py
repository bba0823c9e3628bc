"""Stored runs as tables and records, for the CLI's and the API's exports and results."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from critmin.simulate.outputs import STEP_MONTHS, month_dates, path_step
from critmin.simulate.summary import summarise
from critmin.store import ResultsStore


def as_obj(value):
    """A JSON column as an object (stores keep JSON text)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def run_record(run: dict) -> dict:
    """Public record of a run: metadata with scenario and inputs as objects."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") else as_obj(v))
            for k, v in run.items()}


def optimisation_result(store: ResultsStore, run_id: str) -> dict:
    """The stored portfolio record of an optimisation."""
    return json.loads(store.read_table(run_id, "result")["json"].iloc[0])


# metric-name prefix -> (unit as exported, factor from the stored value); longest first
UNITS: tuple[tuple[str, str, float], ...] = (
    ("peak_shortfall_physical_", "%", 100.0), ("shortfall_physical_", "%", 100.0),
    ("shortfall_", "%", 100.0), ("peak_price_x", "x", 1.0), ("peak_ratio", "x", 1.0),
    ("price_ratio", "x", 1.0), ("price_x", "x", 1.0), ("min_cover_", "days", 1.0),
    ("var_usd_", "USD", 1.0), ("fiscal_cost_usd", "USD", 1.0), ("exports_china", "t/yr", 1.0),
)
"""Shares are exported as percentages, as every table shows them; ratios as multiples of the
pre-scenario (or China's) price; covers in days of use; money in USD."""
SUMMARY_VALUES = ("p5", "p50", "p95", "mean", "cvar95")


def unit_of(metric: str, table: str = "summary") -> tuple[str, float]:
    """(unit, factor) of a stored metric; ``rrg_fired`` is a 0/1 flag per sample and a
    share of samples (%) in the summary. KeyError for a metric without a known unit."""
    if metric == "rrg_fired":
        return ("0/1", 1.0) if table == "samples" else ("% of samples", 100.0)
    for prefix, unit, factor in UNITS:
        if metric.startswith(prefix):
            return unit, factor
    raise KeyError(f"no unit for metric {metric!r}")


def as_shown(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """A simulation table with its units, values as the tables show them (shares in %):
    ``samples`` headers become 'shortfall_USA|gallium [%]'; ``summary`` and ``paths`` get
    a ``unit`` column after ``metric`` (and ``prob_below`` becomes ``prob_below [%]``)."""
    out = df.copy()
    if table == "samples":
        cols = {}
        for c in out.columns:
            if c == "sample":
                continue
            unit, factor = unit_of(str(c).split("|")[0], "samples")
            if factor != 1.0:
                out[c] = out[c].astype(float) * factor
            cols[c] = f"{c} [{unit}]"
        return out.rename(columns=cols)
    units = [unit_of(m, table) for m in out["metric"]]
    factor = pd.Series([f for _, f in units], index=out.index, dtype=float)
    for c in (SUMMARY_VALUES if table == "summary" else ("value",)):
        if c in out:
            out[c] = out[c].astype(float) * factor
    out.insert(out.columns.get_loc("metric") + 1, "unit", [u for u, _ in units])
    if "prob_below" in out:
        out["prob_below"] = out["prob_below"] * 100.0
        out = out.rename(columns={"prob_below": "prob_below [%]"})
    return out


def _start(run: dict) -> dt.date:
    sc = as_obj(run["scenario"])
    return dt.date.fromisoformat(str(sc["start"])[:10])


def dated(paths: pd.DataFrame, start: dt.date) -> pd.DataFrame:
    """Paths with the first day of each step beside its index: ``quarter`` 0 of a scenario
    starting 2025-10-09 gets ``quarter_start`` 2025-10-01 (stored paths are means over each
    step: quarters for v1 and v2 runs, months for monthly tables)."""
    step = path_step(paths)
    out = paths.copy()
    steps = sorted(out[step].unique())
    when = dict(zip(steps, month_dates(start, steps, STEP_MONTHS[step]), strict=True))
    out.insert(out.columns.get_loc(step) + 1, f"{step}_start", out[step].map(when))
    return out


def export_frame(store: ResultsStore, run: dict, table: str) -> pd.DataFrame:
    """The table to export: per-sample results, summary or paths of a simulation, with
    units and shares in % (:func:`as_shown`); chosen projects and stockpiles of an
    optimisation."""
    run_id = run["run_id"]
    if run.get("kind") == "optimisation":
        rec = optimisation_result(store, run_id)
        proj = pd.DataFrame(rec["selected_projects"]).assign(item="project")
        stocks = pd.DataFrame(rec["stockpiles"]).assign(item="stockpile")
        return pd.concat([proj, stocks], ignore_index=True)
    if table == "summary":
        return as_shown(summarise(store, run_id), table)
    if table == "paths":
        return dated(as_shown(store.paths(run_id), table), _start(run))
    return as_shown(store.samples(run_id), "samples")
