"""Row filters shared by ``critmin data list`` and the API table endpoints."""

from __future__ import annotations

import pandas as pd

COUNTRY_COLUMNS = ("country", "importer", "exporter", "partner", "holder", "reporter")
"""Columns a ``country`` filter matches (any of them)."""


class FilterError(ValueError):
    """A filter names a column the table does not have."""


def filter_rows(df: pd.DataFrame, table: str, commodity: str | None = None,
                country: str | None = None) -> pd.DataFrame:
    """Rows of ``df`` for one commodity and/or one country (ISO3, any country column).

    Raises :class:`FilterError` when the table has no such column."""
    out = df
    if commodity:
        if "commodity" not in df.columns:
            raise FilterError(f"table {table!r} has no commodity column")
        out = out[out["commodity"].astype(str).str.lower().eq(commodity.lower())]
    if country:
        cols = [c for c in COUNTRY_COLUMNS if c in df.columns]
        if not cols:
            raise FilterError(f"table {table!r} has no country column")
        code = country.upper()
        out = out[out[cols].astype(str).eq(code).any(axis=1)]
    return out
