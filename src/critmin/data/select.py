"""Row filters shared by ``critmin data list`` and the API table endpoints."""

from __future__ import annotations

import pandas as pd
import pycountry

from critmin.data.hints import commodity_hint, country_hint
from critmin.data.schemas import SPECIAL_COUNTRIES

COUNTRY_COLUMNS = ("country", "importer", "exporter", "partner", "holder", "reporter")
"""Columns a ``country`` filter matches (any of them)."""


class FilterError(ValueError):
    """A filter names a column the table does not have, or a value the data does not
    know."""


def check_filters(commodities: pd.DataFrame, commodity: str | None = None,
                  country: str | None = None) -> None:
    """Raise :class:`FilterError` (with a "did you mean") for a commodity id not in
    ``commodities`` (the commodities table; any case) or a country that is not an ISO3
    code (any case) or WORLD/OTHER: a misspelling must not read as "0 rows"."""
    ids = {str(c).lower() for c in commodities["commodity"]}
    if commodity and commodity.strip().lower() not in ids:
        names = dict(zip(commodities["commodity"], commodities["name"], strict=True))
        raise FilterError(f"--commodity {commodity}: unknown commodity"
                          f"{commodity_hint(commodity, ids, names)}; "
                          "`critmin data list commodities` lists them")
    code = (country or "").strip().upper()
    if country and code not in SPECIAL_COUNTRIES and \
            (len(code) != 3 or pycountry.countries.get(alpha_3=code) is None):
        raise FilterError(f"--country {country}: not an ISO 3166 alpha-3 code"
                          f"{country_hint(country)}")


def filter_rows(df: pd.DataFrame, table: str, commodity: str | None = None,
                country: str | None = None,
                commodities: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows of ``df`` for one commodity and/or one country (ISO3, any country column;
    both in any case). With ``commodities`` (the commodities table) unknown values are
    refused (:func:`check_filters`).

    Raises :class:`FilterError` when the table has no such column."""
    if commodities is not None:
        check_filters(commodities, commodity, country)
    out = df
    if commodity:
        if "commodity" not in df.columns:
            raise FilterError(f"table {table!r} has no commodity column")
        out = out[out["commodity"].astype(str).str.lower().eq(commodity.strip().lower())]
    if country:
        cols = [c for c in COUNTRY_COLUMNS if c in df.columns]
        if not cols:
            raise FilterError(f"table {table!r} has no country column")
        code = country.strip().upper()
        out = out[out[cols].astype(str).eq(code).any(axis=1)]
    return out
