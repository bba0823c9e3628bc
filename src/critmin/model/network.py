"""The supply network: one object holding every table of the supply chain.

Like PyPSA's ``Network``, a :class:`Network` keeps one pandas DataFrame per component
(``net.production``, ``net.import_sources``, ``net.bom`` ...). Functions in
:mod:`critmin.metrics`, the market model and the optimiser take it as input and return new
tables; they never modify it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.data.io import read_tables
from critmin.data.schemas import STAGES, TABLES


class Network:
    """Commodities, stages, countries and flows of critical-mineral supply chains.

    Attributes are the tables declared in :mod:`critmin.data.schemas`, e.g.
    ``production`` (t of contained content per year by commodity, stage, country, year).
    """

    sources: pd.DataFrame
    commodities: pd.DataFrame
    production: pd.DataFrame
    reserves: pd.DataFrame
    prices: pd.DataFrame
    import_reliance: pd.DataFrame
    import_sources: pd.DataFrame
    flows: pd.DataFrame
    bom: pd.DataFrame
    parameters: pd.DataFrame
    gaps: pd.DataFrame
    stage_shares: pd.DataFrame
    governance: pd.DataFrame
    criticality_studies: pd.DataFrame
    critical_lists: pd.DataFrame
    export_restrictions: pd.DataFrame
    projects: pd.DataFrame
    episode_index: pd.DataFrame
    episodes: pd.DataFrame

    def __init__(self, tables: dict[str, pd.DataFrame]):
        for name in TABLES:
            df = tables.get(name)
            if df is None:
                df = _empty(name)
            setattr(self, name, df)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name."""
        return {name: getattr(self, name) for name in TABLES}

    def __repr__(self) -> str:
        sizes = ", ".join(f"{n}={len(df)}" for n, df in self.tables.items())
        return f"Network({sizes})"

    def _repr_html_(self) -> str:
        """A notebook's view: every table with its rows and columns."""
        import html

        rows = "".join(f"<tr><td>{html.escape(n)}</td><td style='text-align:right'>"
                       f"{len(df):,}</td><td>{html.escape(', '.join(map(str, df.columns)))}"
                       f"</td></tr>" for n, df in self.tables.items())
        return ("<div><b>critmin Network</b> (net.TABLE is a DataFrame; "
                "critmin.load(path) reads your own)<table><thead><tr><th>table</th>"
                f"<th>rows</th><th>columns</th></tr></thead><tbody>{rows}</tbody></table>"
                "</div>")

    def unit(self, commodity: str) -> str:
        """Unit of every quantity of ``commodity`` (e.g. 't REO')."""
        return self.commodities.set_index("commodity").at[commodity, "unit"]

    def citations(self) -> pd.Series:
        """Rows citing each source, by ``source_id`` (0 for sources no row cites)."""
        counts: dict[str, int] = {}
        for df in self.tables.values():
            if "source_id" in df and df is not self.sources:
                for k, v in df["source_id"].value_counts().items():
                    counts[k] = counts.get(k, 0) + int(v)
        return self.sources["source_id"].map(counts).fillna(0).astype(int)

    def production_shares(self, year: int | None = None) -> pd.DataFrame:
        """Producer shares per (commodity, stage), for ``year`` or each pair's latest year
        (:func:`production_shares`), computed once per content of ``production`` and
        ``stage_shares`` and year: later calls on the same data return a copy of the
        first result (a brief asks 16 times; a hit costs the tables' hashes, a few ms)."""
        key = (year, _content_key(self.production), _content_key(self.stage_shares))
        cache: dict = self.__dict__.setdefault("_shares_cache", {})
        if key not in cache:
            if len(cache) >= SHARES_CACHE:
                cache.pop(next(iter(cache)))
            cache[key] = production_shares(self.production, self.stage_shares, year)
        return cache[key].copy()


SHARES_CACHE = 4
"""Results of :meth:`Network.production_shares` a network keeps (by year and data)."""


def _content_key(df: pd.DataFrame) -> bytes:
    """A digest of a table's columns, dtypes and values (row hashes, as the data version)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr([(str(c), str(t)) for c, t in df.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.digest()


def production_shares(production: pd.DataFrame, stage_shares: pd.DataFrame,
                      year: int | None = None) -> pd.DataFrame:
    """Producer shares per (commodity, stage), for ``year`` or each pair's latest year.

    Returns columns commodity, stage, year, country, value (commodity unit, NaN where
    only a share is published), share (0-1) and basis ('tonnage' or 'published share').
    Tonnage shares are of the published world total where there is one (the
    uncovered remainder shows as OTHER), else of the sum of country rows; where USGS's
    rounded world total is below that sum (by at most the validation tolerance of
    5 %; gallium 2025: 900 t world, 909 t by country), of the sum, so shares never add
    to more than 1 and HHI never passes 10,000. Where
    ``stage_shares`` holds a newer year for a (commodity, stage) than ``production``,
    the published shares are used.
    """
    keys = ["commodity", "stage", "year"]
    rows = _tonnage_shares(_pick_year(production, year), keys)
    published = _pick_year(stage_shares, year)[[*keys, "country", "share"]]
    published = published.assign(value=float("nan"), basis="published share")
    both = pd.concat([rows, published], ignore_index=True)
    newest = both.groupby(["commodity", "stage"])["year"].transform("max")
    both = both[both["year"].eq(newest)]
    has_tonnage = both.groupby(keys)["basis"].transform(lambda b: b.eq("tonnage").any())
    both = both[has_tonnage.eq(both["basis"].eq("tonnage"))]
    order = {s: i for i, s in enumerate(STAGES)}
    both = both.sort_values(["commodity", "stage", "share"], ascending=[True, True, False],
                            key=lambda s: s.map(order) if s.name == "stage" else s)
    both.attrs["unit"] = "share of world production (0-1)"
    return both.reset_index(drop=True)


_DTYPES = {"float": "float64", "int": "Int64", "bool": "bool", "date": "datetime64[ns]",
           "str": "object"}


def _empty(name: str) -> pd.DataFrame:
    """An empty table with the schema's columns and dtypes."""
    return pd.DataFrame({c.name: pd.Series(dtype=_DTYPES[c.dtype])
                         for c in TABLES[name].columns})


def _pick_year(df: pd.DataFrame, year: int | None) -> pd.DataFrame:
    """Rows of ``year``, or of each (commodity, stage)'s latest year when None."""
    if year is not None:
        return df[df["year"].eq(year)]
    latest = df.groupby(["commodity", "stage"])["year"].transform("max")
    return df[df["year"].eq(latest)]


def _mixed_forms(prod: pd.DataFrame, keys: list[str]) -> pd.Series:
    """True for rows of a (commodity, stage, year) without a WORLD row whose countries report
    different forms (note 'form: ...', e.g. boron: refined borates, ulexite, B2O3): such
    tonnages are not additive, so no share is computed from their sum."""
    form = prod["note"].fillna("").astype(str).str.extract(r"form: ([^;]+)")[0]
    g = prod.assign(_form=form, _world=prod["country"].eq("WORLD")).groupby(keys)
    return g["_form"].transform("nunique").gt(1) & ~g["_world"].transform("any")


def _tonnage_shares(prod: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if "note" in prod:
        prod = prod[~_mixed_forms(prod, keys)]
    world = prod[prod["country"].eq("WORLD")].set_index(keys)["value"]
    rows = prod[~prod["country"].eq("WORLD")][[*keys, "country", "value"]]
    rows = rows.groupby([*keys, "country"], as_index=False)["value"].sum()
    covered = rows.groupby(keys)["value"].sum()
    rest = (world - covered.reindex(world.index).fillna(0)).clip(lower=0)
    rest = rest[rest > 0].rename("value").reset_index().assign(country="OTHER")
    rows = pd.concat([rows, rest], ignore_index=True)
    rows = rows.groupby([*keys, "country"], as_index=False)["value"].sum()
    summed = rows.groupby(keys)["value"].transform("sum")
    published = rows.set_index(keys).index.map(world).to_numpy(dtype=float)
    # the published world total, or the country rows' sum where USGS's rounding put it lower
    total = summed.where(~(published > 0), np.maximum(published, summed))
    rows["share"] = (rows["value"] / total).where(total > 0, 0.0)
    return rows.assign(basis="tonnage")


def load(path: str | Path | None = None) -> Network:
    """Load the shipped data, overridden or extended by the tables in ``path``.

    ``path`` is a directory of ``<table>.csv|.parquet|.xlsx`` files. Raises
    :class:`critmin.data.validate.DataValidationError` naming file, row, column and reason
    for every problem; nothing is loaded then.
    """
    return Network(read_tables(path))
