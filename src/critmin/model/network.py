"""The supply network: one object holding every table of the supply chain.

Like PyPSA's ``Network``, a :class:`Network` keeps one pandas DataFrame per component
(``net.production``, ``net.import_sources``, ``net.bom`` ...). Functions in
:mod:`critmin.metrics`, the market model and the optimiser take it as input and return new
tables; they never modify it.
"""

from __future__ import annotations

from pathlib import Path

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

    def __init__(self, tables: dict[str, pd.DataFrame]):
        for name in TABLES:
            df = tables.get(name)
            if df is None:
                df = pd.DataFrame(columns=TABLES[name].names)
            setattr(self, name, df)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name."""
        return {name: getattr(self, name) for name in TABLES}

    def __repr__(self) -> str:
        sizes = ", ".join(f"{n}={len(df)}" for n, df in self.tables.items())
        return f"Network({sizes})"

    def unit(self, commodity: str) -> str:
        """Unit of every quantity of ``commodity`` (e.g. 't REO')."""
        return self.commodities.set_index("commodity").at[commodity, "unit"]

    def production_shares(self, year: int | None = None) -> pd.DataFrame:
        """Producer shares per (commodity, stage), for ``year`` or each pair's latest year.

        Returns columns commodity, stage, year, country, value (commodity unit), share
        (0-1). Shares are of the larger of the published world total and the sum of
        country rows; any remainder of the world total not covered by countries is
        shown as OTHER, so shares always sum to 1.
        """
        prod = self.production
        if year is None:
            latest = prod.groupby(["commodity", "stage"])["year"].transform("max")
            prod = prod[prod["year"].eq(latest)]
        else:
            prod = prod[prod["year"].eq(year)]
        keys = ["commodity", "stage", "year"]
        world = prod[prod["country"].eq("WORLD")].set_index(keys)["value"]
        rows = prod[~prod["country"].eq("WORLD")][[*keys, "country", "value"]]
        rows = rows.groupby([*keys, "country"], as_index=False)["value"].sum()
        covered = rows.groupby(keys)["value"].sum()
        rest = (world - covered.reindex(world.index).fillna(0)).clip(lower=0)
        rest = rest[rest > 0].rename("value").reset_index().assign(country="OTHER")
        rows = pd.concat([rows, rest], ignore_index=True)
        rows = rows.groupby([*keys, "country"], as_index=False)["value"].sum()
        total = rows.groupby(keys)["value"].transform("sum")
        rows["share"] = (rows["value"] / total).where(total > 0, 0.0)
        order = {s: i for i, s in enumerate(STAGES)}
        rows = rows.sort_values(["commodity", "stage", "share"], ascending=[True, True, False],
                                key=lambda s: s.map(order) if s.name == "stage" else s)
        rows.attrs["unit"] = "share of world production (0-1)"
        return rows.reset_index(drop=True)


def load(path: str | Path | None = None) -> Network:
    """Load the shipped data, overridden or extended by the tables in ``path``.

    ``path`` is a directory of ``<table>.csv|.parquet|.xlsx`` files. Raises
    :class:`critmin.data.validate.DataValidationError` naming file, row, column and reason
    for every problem; nothing is loaded then.
    """
    return Network(read_tables(path))
