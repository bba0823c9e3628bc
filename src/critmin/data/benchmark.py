"""The benchmark price of each commodity: one row of the ``prices`` table.

USGS prints several grades or markets for some commodities in the same year (graphite
flake, amorphous and lump; gallium high- and low-purity; cobalt U.S. spot and LME). The
market models need one price per commodity, in USD/t, for the grade their tonnages count.
Without a declaration the choice would follow the row order of a sort, which is not
stable across library versions (graphite once came out as Sri Lankan lump at 2,900 USD/t
instead of flake at 1,070 USD/t).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BENCHMARK_GRADE = {
    "cobalt": ("London Metal Exchange", "world exchange price; the U.S. spot carries a premium"),
    "graphite": ("Flake", "flake is the natural graphite traded for batteries and refractories"),
    "magnesium": ("European free market", "world market; the U.S. spot is tariff-protected"),
    "vanadium": ("vanadium pentoxide", "the traded intermediate; ferrovanadium is a U.S. "
                 "estimate from narrative text"),
    "gallium": ("Low-purity primary", "production counts primary (99.99 %) gallium"),
    "germanium": ("Germanium metal", "production counts refined germanium metal"),
    "indium": ("Rotterdam", "international market, duties unpaid"),
    "tellurium": ("Rotterdam", "international market"),
}
"""Commodity -> (text the benchmark row's ``basis`` contains, reason)."""


def candidates(prices: pd.DataFrame) -> pd.DataFrame:
    """Rows that may be the benchmark: each commodity's latest year, narrowed to the
    declared grade where that year has several rows. A commodity left with more than one
    row (or none) has no benchmark: ``critmin data validate`` reports it."""
    latest = prices[prices["year"].eq(prices.groupby("commodity")["year"].transform("max"))]
    several = latest.groupby("commodity")["year"].transform("size").gt(1)
    grade = latest["commodity"].map({c: g.lower() for c, (g, _) in BENCHMARK_GRADE.items()})
    basis = latest["basis"].fillna("").astype(str).str.lower()
    matches = [g in b for g, b in zip(grade.fillna("\0"), basis, strict=True)]
    return latest[~several | pd.Series(matches, index=latest.index)]


def benchmark_rows(prices: pd.DataFrame) -> pd.DataFrame:
    """The benchmark row per commodity, indexed by commodity (validated data has one)."""
    rows = candidates(prices)
    return rows[~rows["commodity"].duplicated(keep=False)].set_index("commodity")


def benchmark_usd_t(prices: pd.DataFrame) -> pd.Series:
    """Benchmark price per commodity, USD/t."""
    p = benchmark_rows(prices)
    return (p["value"] * np.where(p["unit"].eq("USD/kg"), 1000.0, 1.0)).rename("price_usd_t")
