"""The row shapes every USGS reader writes (``usgs_mcs2024``, ``usgs_mcs2026``): a value row
of ``production`` / ``reserves``, a ``prices`` row and a ``gaps`` row, with one wording for
bounds and estimates."""

from __future__ import annotations

LOWER = "published as a lower bound ('>'): the true value is larger"
UPPER = "published as an upper bound ('<')"
ESTIMATE = "USGS estimate"


def method(bound: str, estimated: bool) -> str:
    """The ``method`` of a published value: its bound ('>' / '<') if it has one, else
    'USGS estimate' where USGS estimated it, else ''."""
    return LOWER if bound == ">" else UPPER if bound == "<" else ESTIMATE if estimated else ""


def value_row(commodity: str, country: str, year: int, value: float, unit: str,
              qualifier: str, estimated: bool, method: str, source_id: str, note: str,
              stage: str | None = None) -> dict:
    """A ``production`` row (with ``stage``) or a ``reserves`` row (without)."""
    row = dict(commodity=commodity, country=country, year=year, value=value, unit=unit,
               qualifier=qualifier, estimated=estimated, method=method, source_id=source_id,
               note=note)
    return row if stage is None else dict(stage=stage, **row)


def price_row(commodity: str, year: int, value: float, unit: str, basis: str,
              estimated: bool, source_id: str, note: str) -> dict:
    """A ``prices`` row; ``method`` says 'USGS estimate' where it is one."""
    return dict(commodity=commodity, year=year, value=value, unit=unit, basis=basis,
                estimated=estimated, method=ESTIMATE if estimated else "",
                source_id=source_id, note=note)


def gap(table: str, commodity: str, stage: str, country: str, year: int, reason: str,
        source_id: str) -> dict:
    """A ``gaps`` row: the cell of ``table`` that has no number, and why."""
    return dict(table=table, commodity=commodity, stage=stage, country=country, year=year,
                reason=reason, source_id=source_id)
