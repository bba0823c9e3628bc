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

ATOMIC_WEIGHT = {"Li": 6.94, "C": 12.011, "O": 15.999, "V": 50.942, "W": 183.84,
                 "Ta": 180.95}
"""Standard atomic weights, g/mol (IUPAC CIAAW, abridged values of 2021)."""
_A = ATOMIC_WEIGHT
PRICED_AS_COMPOUND = {
    "lithium": ("lithium carbonate", "Li2CO3",
                (2 * _A["Li"] + _A["C"] + 3 * _A["O"]) / (2 * _A["Li"])),
    "vanadium": ("vanadium pentoxide", "V2O5", (2 * _A["V"] + 5 * _A["O"]) / (2 * _A["V"])),
    "tungsten": ("wo3", "WO3", (_A["W"] + 3 * _A["O"]) / _A["W"]),
    "tantalum": ("ta2o5", "Ta2O5", (2 * _A["Ta"] + 5 * _A["O"]) / (2 * _A["Ta"])),
}
"""Commodity counted in contained element but priced per t of a compound -> (text of the
price basis, compound, t of compound per t of element). USD per t of element = USD per t of
compound x factor: lithium 5.323 t Li2CO3 per t Li (lithium carbonate price, production
and project capacity in t Li), vanadium 1.785 t V2O5 per t V, tungsten 1.261 t WO3 per t W,
tantalum 1.221 t Ta2O5 per t Ta. Purity of the priced grade is not corrected for."""


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


def content_factor(prices: pd.DataFrame) -> pd.Series:
    """t of priced compound per t of the commodity's counted content, per commodity (1.0
    where the benchmark is priced in the counted form; see ``PRICED_AS_COMPOUND``)."""
    p = benchmark_rows(prices)
    basis = p["basis"].fillna("").astype(str).str.lower()
    out = pd.Series(1.0, index=p.index, name="content_factor")
    for c, (text, _compound, factor) in PRICED_AS_COMPOUND.items():
        if c in out.index and text in basis[c]:
            out[c] = factor
    return out


def benchmark_basis(prices: pd.DataFrame) -> pd.Series:
    """The benchmark row's basis, naming the conversion to content where one applies."""
    p = benchmark_rows(prices)
    f = content_factor(prices)
    conv = {c: f"; x {f[c]:.3f} t {PRICED_AS_COMPOUND[c][1]} per t {c} content "
               "(IUPAC atomic weights)" for c in f.index if f[c] != 1.0}
    return (p["basis"].fillna("").astype(str) + p.index.map(lambda c: conv.get(c, ""))
            ).rename("price_basis")


def benchmark_usd_t(prices: pd.DataFrame) -> pd.Series:
    """Benchmark price per commodity, USD per t of the commodity's counted content (its
    ``commodities.unit`` and ``basis``): the row's USD/t or USD/kg x 1000, times
    ``content_factor`` where the price is for a compound of a commodity counted as element."""
    p = benchmark_rows(prices)
    usd_t = p["value"] * np.where(p["unit"].eq("USD/kg"), 1000.0, 1.0)
    return (usd_t * content_factor(prices)).rename("price_usd_t")
