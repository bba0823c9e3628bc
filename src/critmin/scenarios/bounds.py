"""Bounds a scenario must meet against the loaded data, beyond its pydantic schema.

:func:`scenario_problems` returns ``(field path, reason)`` for every field that is not
finite, out of range, too long, or names a commodity or country the data does not know.
The API answers them with 422, the CLI with exit 2; a scenario that passes cannot be a
silent no-op because of a misspelt code.

Ranges (documented limits, not model assumptions):

- text: id 1-64 characters (``[A-Za-z0-9_:.-]``), name <= 200, description <= 10,000,
  each source <= 500; every list <= 200 items;
- dates: 1990-01-01 to 2100-12-31;
- numbers: finite; tonnages (quota_t, covered_t, capacity_t) <= 1e9 t/yr; day counts
  (processing_days, decision_lag_days, target_days) <= 3,650 days; prices <= 1e7 USD/kg;
- codes: commodities known to the data (``ALL`` for stockpiles); countries ISO 3166-1
  alpha-3 (``ALL`` for destinations; ``WORLD``, ``ROW``, ``EU`` for demand regions and
  destinations).
"""

from __future__ import annotations

import datetime as dt
import math

import pycountry

from critmin.data.hints import commodity_hint, country_hint
from critmin.scenarios.spec import Scenario

MAX_ID = 64
MAX_NAME = 200
MAX_DESCRIPTION = 10_000
MAX_SOURCE = 500
MAX_ITEMS = 200
FIRST_DAY = dt.date(1990, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)
MAX_TONNES = 1e9
MAX_DAYS = 3650.0
MAX_PRICE = 1e7
REGION_CODES = {"WORLD", "ROW", "EU"}
TONNAGES = {"quota_t", "covered_t", "capacity_t"}
DAYS = {"processing_days", "decision_lag_days", "target_days"}
PRICES = {"floor_usd_kg"}
COUNTRY_FIELDS = {"exporter", "country", "importer", "holder"}


def _is_iso3(code: str) -> bool:
    return isinstance(code, str) and len(code) == 3 and \
        pycountry.countries.get(alpha_3=code) is not None


def _walk(obj, path: str):
    """(path, value) of every leaf of a dumped model."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, f"{path}.{k}" if path else k)
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            yield from _walk(v, f"{path}.{i}")
    else:
        yield path, obj


def _leaf_problem(path: str, value) -> str | None:
    name = path.rsplit(".", 1)[-1]
    if name.isdigit():
        name = path.rsplit(".", 2)[-2]
    if isinstance(value, float):
        if not math.isfinite(value):
            return "must be a finite number"
        if name in TONNAGES and value > MAX_TONNES:
            return f"at most {MAX_TONNES:g} t per year"
        if name in DAYS and value > MAX_DAYS:
            return f"at most {MAX_DAYS:g} days"
        if name in PRICES and value > MAX_PRICE:
            return f"at most {MAX_PRICE:g} USD/kg"
    if isinstance(value, dt.date) and not FIRST_DAY <= value <= LAST_DAY:
        return f"date must be between {FIRST_DAY} and {LAST_DAY}"
    if isinstance(value, str) and len(value) > MAX_SOURCE and name not in {"description"}:
        return f"longer than {MAX_SOURCE} characters"
    return None


def _codes(sc: Scenario, commodities: set[str]):
    """(path, problem) for unknown commodity and country codes."""
    def com(path, c, allow_all=False):
        if not (c in commodities or (allow_all and c == "ALL")):
            yield path, f"unknown commodity {c!r}{commodity_hint(c, commodities)}"

    for i, c in enumerate(sc.commodities):
        yield from com(f"commodities.{i}", c)
    for i, ctl in enumerate(sc.controls):
        for j, c in enumerate(ctl.commodities):
            yield from com(f"controls.{i}.commodities.{j}", c)
        if not _is_iso3(ctl.exporter):
            yield (f"controls.{i}.exporter",
                   f"unknown country code {ctl.exporter!r}{country_hint(ctl.exporter)}")
        for j, d in enumerate(ctl.destinations):
            if d != "ALL" and d not in REGION_CODES and not _is_iso3(d):
                yield (f"controls.{i}.destinations.{j}",
                       f"unknown destination {d!r}{country_hint(d) or ' (ISO3, EU, ROW or ALL)'}")
    groups: dict[str, list] = {
        "outages": sc.outages, "demand_shocks": sc.demand_shocks, "stocks": sc.stocks,
        "price_floors": sc.price_floors, "tariffs": sc.tariffs, "capacity": sc.capacity}
    for group, items in groups.items():
        for i, item in enumerate(items):
            yield from com(f"{group}.{i}.commodity", item.commodity, group == "stocks")
            for f in COUNTRY_FIELDS & set(type(item).model_fields):
                code = getattr(item, f)
                if not _is_iso3(code):
                    yield f"{group}.{i}.{f}", \
                        f"unknown country code {code!r}{country_hint(code)}"
            region = getattr(item, "region", None)
            if region is not None and region not in REGION_CODES and not _is_iso3(region):
                yield f"{group}.{i}.region", f"unknown region {region!r} (ISO3, WORLD, EU, ROW)"


def scenario_problems(sc: Scenario, commodities: set[str]) -> list[tuple[str, str]]:
    """Every bound ``sc`` breaks, as (field path, reason); empty when it is usable.
    ``commodities``: the commodity ids of the loaded data."""
    out: list[tuple[str, str]] = []
    if len(sc.id) > MAX_ID:
        out.append(("id", f"longer than {MAX_ID} characters"))
    if len(sc.name) > MAX_NAME:
        out.append(("name", f"longer than {MAX_NAME} characters"))
    if len(sc.description) > MAX_DESCRIPTION:
        out.append(("description", f"longer than {MAX_DESCRIPTION:,} characters"))
    dumped = sc.model_dump()
    for key, value in dumped.items():
        if isinstance(value, list) and len(value) > MAX_ITEMS:
            out.append((key, f"more than {MAX_ITEMS} items"))
    if out:
        return out
    for path, value in _walk(dumped, ""):
        why = _leaf_problem(path, value)
        if why:
            out.append((path, why))
    out += list(_codes(sc, commodities))
    return out
