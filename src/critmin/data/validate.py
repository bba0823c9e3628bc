"""Validate raw tables against their schemas; every problem names file, row, column, reason.

Raw tables are DataFrames of strings with two bookkeeping columns, ``_file`` and ``_row``
(spreadsheet row number: the header is row 1, the first data row is row 2). Checks are
vectorised per column; the result is either typed tables or a list of :class:`Problem`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pycountry

from critmin.data.benchmark import candidates
from critmin.data.schemas import SPECIAL_COUNTRIES, TABLES, Column, TableSchema

BOOK = ["_file", "_row"]
TRUE = {"true", "1", "yes", "y", "t"}
FALSE = {"false", "0", "no", "n", "f"}
WORLD_TOLERANCE = 0.05
"""Country rows may exceed the published world total by this share: USGS rounds world
totals (to two or three significant figures), so exact sums drift a few percent."""
SHARE_TOLERANCE = 0.005
"""Import shares are published rounded to whole percent; their sum may pass 1 by this much."""


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one cell (or row) of one file."""

    file: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.column}: {self.reason}"


class DataValidationError(ValueError):
    """Raised when input tables are invalid; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        lines = "\n".join(str(p) for p in self.problems[:50])
        more = len(self.problems) - 50
        super().__init__(
            f"{len(self.problems)} data problem(s):\n{lines}"
            + (f"\n... and {more} more" if more > 0 else "")
        )


def _problems(raw: pd.DataFrame, mask: pd.Series, column: str, reasons) -> list[Problem]:
    """Problems for the rows where ``mask`` holds; ``reasons`` is a str, a Series, or a
    function returning one (built only where some row is bad: most columns have none)."""
    if not mask.any():
        return []
    if callable(reasons):
        reasons = reasons()
    bad = raw.loc[mask]
    if isinstance(reasons, str):
        reasons = pd.Series(reasons, index=bad.index)
    else:
        reasons = reasons.loc[bad.index]
    return [
        Problem(str(f), int(r), column, str(why))
        for f, r, why in zip(bad["_file"], bad["_row"], reasons, strict=True)
    ]


def _named(prefix: str, values: pd.Series):
    """Reasons ``prefix`` + each value's repr, built only when asked (see _problems)."""
    return lambda: prefix + values.map(repr)


THOUSANDS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"
"""The one comma a number may hold: thousands grouping (1,234,567.5). Anything else
(``220,0``) is a decimal comma, refused rather than read as 2,200."""


def _is_country(code: str) -> bool:
    return code in SPECIAL_COUNTRIES or pycountry.countries.get(alpha_3=code) is not None


def _check_column(raw: pd.DataFrame, col: Column) -> tuple[pd.Series, list[Problem]]:
    """Parse one column to its dtype and check its row-level constraints."""
    text = raw[col.name].fillna("").astype(str).str.strip()
    empty = text.eq("") | text.str.lower().isin({"nan", "none", "<na>"})
    problems: list[Problem] = []
    if col.required:
        reason = ("missing source (every row needs a source_id)" if col.name == "source_id"
                  else "required value is missing")
        problems += _problems(raw, empty, col.name, reason)
    present = ~empty
    if col.dtype in ("float", "int"):
        comma = present & text.str.contains(",", regex=False) & \
            ~text.str.fullmatch(THOUSANDS)
        problems += _problems(raw, comma, col.name, lambda: "decimal comma or misplaced "
                              "separator " + text.map(repr) + ": write numbers with a decimal "
                              "point and no grouping (e.g. 220.0)")
        values = pd.to_numeric(text.str.replace(",", "", regex=False).where(present & ~comma),
                               errors="coerce")
        bad = present & ~comma & values.isna()
        problems += _problems(raw, bad, col.name, lambda: "not a number: " + text.map(repr))
        bad = bad | comma
        infinite = present & ~bad & ~np.isfinite(values.astype(float))
        problems += _problems(raw, infinite, col.name,
                              lambda: "not a finite number: " + text.map(repr))
        bad = bad | infinite
        values = values.where(~infinite)  # reported here, not again as an inf total
        if col.dtype == "int":
            frac = present & ~bad & (values % 1 != 0)
            problems += _problems(raw, frac, col.name,
                                  lambda: "not a whole number: " + text.map(repr))
        ok = present & ~bad
        if col.minimum is not None:
            low = ok & (values < col.minimum)
            word = "negative value" if col.minimum == 0 else "value"
            problems += _problems(raw, low, col.name,
                                  lambda: f"{word} " + text + f" (must be >= {col.minimum:g})")
        if col.maximum is not None:
            high = ok & (values > col.maximum)
            problems += _problems(raw, high, col.name, lambda: "value " + text
                                  + f" exceeds the maximum {col.maximum:g}")
        if col.dtype == "int":
            whole = present & ~bad & (values % 1 == 0) & (values.abs() < 2**53)
            if whole.eq(present).all():
                return values.astype("Int64"), problems
        return values, problems
    if col.dtype == "bool":
        low = text.str.lower()
        bad = present & ~low.isin(TRUE | FALSE)
        problems += _problems(raw, bad, col.name, lambda: "not true/false: " + text.map(repr))
        return low.isin(TRUE), problems
    if col.dtype == "date":
        dates = pd.to_datetime(text.where(present), format="%Y-%m-%d", errors="coerce")
        bad = present & dates.isna()
        problems += _problems(raw, bad, col.name,
                              lambda: "not a date (YYYY-MM-DD): " + text.map(repr))
        return dates, problems
    values = text.where(present, "")
    if col.allowed is not None:
        bad = present & ~values.isin(col.allowed)
        problems += _problems(raw, bad, col.name, lambda: values.map(repr)
                              + " is not one of: " + ", ".join(col.allowed))
    if col.pattern is not None:
        bad = present & ~values.str.fullmatch(col.pattern)
        problems += _problems(raw, bad, col.name, lambda: values.map(repr)
                              + f" is not a valid id (pattern {col.pattern})")
    if col.country:
        codes = values[present].unique()
        unknown = {c for c in codes if not _is_country(c)}
        bad = present & values.isin(unknown)
        problems += _problems(raw, bad, col.name,
                              lambda: "unknown country code " + values.map(repr)
                              + " (use ISO 3166-1 alpha-3, OTHER or WORLD)")
    return values, problems


def check_rows(schema: TableSchema, raw: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Row-level checks of one table: columns, dtypes, allowed values, ranges, estimates."""
    problems: list[Problem] = []
    files = raw["_file"].unique() if len(raw) else []
    missing = [c.name for c in schema.columns if c.required and c.name not in raw.columns]
    unknown = [c for c in raw.columns if c not in schema.names and c not in BOOK]
    for f in files:
        problems += [Problem(str(f), 1, name, "required column is missing") for name in missing]
        problems += [Problem(str(f), 1, name,
                             f"unknown column for table '{schema.name}' "
                             f"(expected: {', '.join(schema.names)})") for name in unknown]
    typed = raw[BOOK].copy()
    for col in schema.columns:
        if col.name not in raw.columns:
            typed[col.name] = pd.Series([pd.NA] * len(raw), index=raw.index, dtype="object")
            continue
        typed[col.name], found = _check_column(raw, col)
        problems += found
    if "estimated" in typed and "method" in typed:
        no_method = typed["estimated"].astype(bool) & typed["method"].fillna("").eq("")
        problems += _problems(raw, no_method, "method", "estimate without a method")
    if schema.name == "parameters":
        no_method = typed["status"].eq("estimate") & typed["method"].fillna("").eq("")
        problems += _problems(raw, no_method, "method", "estimate without a method")
        problems += check_parameter_ranges(raw, typed)
    problems += _check_duplicates(schema, typed)
    return typed, problems


PARAMETER_RANGES = {
    "demand_elasticity_sr": (0.0, 5.0), "demand_elasticity_lr": (0.0, 5.0),
    "supply_elasticity_sr": (0.0, 5.0), "supply_elasticity_lr": (0.0, 5.0),
    "sr_elasticity_scale": (0.0, 20.0),
}
"""Model parameters and their allowed ranges (exclusive low, inclusive high for ``value``;
inclusive for ``low``/``high``). Elasticities are magnitudes (|d ln q / d ln p|): 0 would
freeze a market (no price clears a shortfall) and values past 5 are outside every
published estimate the model cites; the scale multiplies the short-run elasticities."""


def check_parameter_ranges(raw: pd.DataFrame, typed: pd.DataFrame) -> list[Problem]:
    """Model parameters outside :data:`PARAMETER_RANGES`."""
    problems: list[Problem] = []
    for name, (lo, hi) in PARAMETER_RANGES.items():
        rows = typed["parameter"].eq(name)
        if not rows.any():
            continue
        v = pd.to_numeric(typed["value"], errors="coerce")
        bad = rows & np.isfinite(v) & ~((v > lo) & (v <= hi))
        problems += _problems(raw, bad, "value", f"{name} " + v.astype(str)
                              + f" is outside ({lo:g}, {hi:g}]")
        for col in ("low", "high"):
            b = pd.to_numeric(typed[col], errors="coerce")
            bad = rows & b.notna() & ~((b >= lo) & (b <= hi))
            problems += _problems(raw, bad, col, f"{name} {col} " + b.astype(str)
                                  + f" is outside [{lo:g}, {hi:g}]")
    return problems


def _check_duplicates(schema: TableSchema, typed: pd.DataFrame) -> list[Problem]:
    key = list(schema.key)
    dup = typed.duplicated(key, keep="first")
    if not dup.any():
        return []
    first_row = typed.groupby(key, dropna=False)["_row"].transform("first")
    label = "/".join(key)
    return _problems(typed, dup, label,
                     "duplicate key, first given on row " + first_row.astype(str))


def _isin(values: pd.Series, known: set) -> pd.Series:
    """``values.isin(known)`` by set lookups: pandas' Arrow-backed strings turn every
    element of ``known`` into an Arrow scalar on each call, which made the reference
    checks (thousands of source ids, seventy columns) most of the time of loading."""
    return pd.Series(np.fromiter((v in known for v in values.to_numpy(dtype=object)),
                                 dtype=bool, count=len(values)), index=values.index)


def check_references(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Foreign keys (commodity, source) and units that must match the commodity's."""
    problems: list[Problem] = []
    ids: dict[tuple[str, str], set] = {}  # the ids of each referenced column, read once
    for name, df in tables.items():
        schema = TABLES[name]
        for col in schema.columns:
            if col.references is None or col.name not in df:
                continue
            ref_table, ref_col = col.references
            if (ref_table, ref_col) not in ids:
                ids[ref_table, ref_col] = set(tables[ref_table][ref_col]) \
                    if ref_table in tables else set()
            known = ids[ref_table, ref_col]
            present = df[col.name].fillna("").ne("")
            bad = present & ~_isin(df[col.name], known)
            what = "source" if ref_table == "sources" else ref_col
            problems += _problems(df, bad, col.name, _named(f"unknown {what} ", df[col.name]))
        if schema.quantity_unit_of and "commodities" in tables:
            units = tables["commodities"].set_index("commodity")["unit"]
            expected = df[schema.quantity_unit_of].map(units)
            allowed = schema.column("unit").allowed or ()
            bad = expected.notna() & df["unit"].isin(allowed) & df["unit"].ne(expected)
            problems += _problems(df, bad, "unit",
                                  "wrong unit " + df["unit"].map(repr) + " for "
                                  + df[schema.quantity_unit_of].map(repr)
                                  + " (expected " + expected.fillna("").map(repr) + ")")
    return problems


def check_totals(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """Shares summing past 100 %, and country production exceeding the world total."""
    problems: list[Problem] = []
    for name, df in tables.items():
        schema = TABLES[name]
        if schema.share_groups and len(df):
            cols, share = list(schema.share_groups[0]), schema.share_groups[1]
            totals = df.groupby(cols)[share].transform("sum")
            last = df.groupby(cols)["_row"].transform("max").eq(df["_row"])
            over = last & (totals > 1 + SHARE_TOLERANCE)
            problems += _problems(df, over, share,
                                  "shares of " + "/".join(cols) + " sum to "
                                  + (100 * totals).round(1).astype(str) + " % (> 100 %)")
    prod = tables.get("production")
    if prod is not None and len(prod):
        keys = ["commodity", "stage", "year"]
        world = prod[prod["country"].eq("WORLD")].set_index(keys)["value"]
        countries = prod[~prod["country"].eq("WORLD")].groupby(keys)["value"].sum()
        ratio = (countries / world).dropna()
        for k in ratio[ratio > 1 + WORLD_TOLERANCE].index:
            row = prod[prod[keys].eq(list(k)).all(axis=1) & prod["country"].eq("WORLD")].iloc[0]
            problems.append(Problem(
                str(row["_file"]), int(row["_row"]), "value",
                f"country values for {'/'.join(map(str, k))} sum to {countries[k]:,.0f}, "
                f"{100 * ratio[k]:.1f} % of the WORLD total {world[k]:,.0f} "
                f"(shares sum past 100 %)"))
    return problems


def check_benchmark_prices(tables: dict[str, pd.DataFrame]) -> list[Problem]:
    """A commodity whose latest year has several price rows needs a declared benchmark
    grade (``critmin.data.benchmark.BENCHMARK_GRADE``) matching exactly one of them."""
    prices = tables.get("prices")
    if prices is None or not len(prices):
        return []
    rows = candidates(prices)
    left = rows.groupby("commodity").size()
    latest = prices[prices["year"].eq(prices.groupby("commodity")["year"].transform("max"))]
    bad = latest["commodity"].isin(left[left > 1].index) | ~latest["commodity"].isin(left.index)
    return _problems(latest, bad, "basis",
                     "several " + latest["year"].astype(str) + " prices for "
                     + latest["commodity"].map(repr) + " and no benchmark grade matching "
                     "exactly one of them (declare one in BENCHMARK_GRADE)")
