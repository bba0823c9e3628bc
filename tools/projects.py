"""Candidate projects from the researched lists (tools/curated/raw/projects_*.csv)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from build_common import _publisher, _source_id, number

CAPACITY_UNITS = [  # (regex on the source's unit, commodities it may describe, factor)
    (r"short tons/month", None, 0.907185 * 12),
    (r"lithium carbonate|\bLCE\b", {"lithium"}, 2 * 6.94 / 73.89),
    (r"lithium hydroxide", {"lithium"}, 6.94 / 41.96),  # LiOH.H2O, battery grade
    (r"WO3", {"tungsten"}, 183.84 / 231.84),
    (r"^[\d,.\s]*t/yr Dy oxide|dysprosium oxide|Dy2O3", {"dy"}, 1.0),
    (r"^[\d,.\s]*t/yr Tb oxide|terbium oxide|Tb4O7", {"tb"}, 1.0),
    (r"NdFeB magnets", {"ndfeb_magnet"}, 1.0),
    (r"SEGH|mixed|alloy|metals|concentrate feed|finished products", set(), 0.0),
    (r"\bT?REO\b", {"ree"}, 1.0),
    (r"NdPr oxide|PrNd oxide", {"ndpr"}, 1.0),
    (r"magnet", {"ndfeb_magnet"}, 1.0),
    (r"GWh", {"li_ion_cell"}, 1.0),
    (r"\bt/yr\b|tonnes|tpa|t per year", None, 1.0),
]


OXIDE_BASIS = {"ndpr", "dy", "tb", "ree"}  # need an explicit oxide/REO unit


def _capacity(unit: str, commodity: str) -> tuple[float | None, str]:
    """Factor converting a source's capacity unit to the commodity's unit, and the
    commodity it describes (REO capacities describe total rare earths); None if the unit
    does not measure the commodity's content."""
    if re.search(r"not specified|unspecified", unit, flags=re.IGNORECASE):
        return None, commodity
    for pattern, fits, factor in CAPACITY_UNITS:
        if not re.search(pattern, unit, flags=re.IGNORECASE):
            continue
        if fits is None:
            return (None, commodity) if commodity in OXIDE_BASIS else (factor, commodity)
        if pattern == r"\bT?REO\b" and commodity in OXIDE_BASIS:
            return factor, "ree"
        return (factor, commodity) if commodity in fits else (None, commodity)
    return None, commodity


ENDED_STATUS = ("cancelled", "suspended")  # company says the project stopped: not a candidate


def _ended_project(r: dict, commodity: str, units: dict[str, str], sid: str) -> dict:
    """Gaps row for a project its sponsor cancelled or suspended (kept out of `projects`)."""
    return dict(table="projects", commodity=commodity if commodity in units else "ree",
                stage="", country=r["country"] or "OTHER",
                year=int(float(r["source_year"] or 2025)),
                reason=f"{r['name']}: {r['status']} per the sponsor"
                       + (f" (filing {r['filing_date']})" if r["filing_date"] else "")
                       + f"; not a candidate project; {r['note'][:200]}", source_id=sid)


def projects_from_raw(raw_dir: Path, units: dict[str, str]):
    """Candidate projects from the researched lists (raw/projects_*.csv)."""
    rows, gaps, srcs = [], [], []
    for path in sorted(raw_dir.glob("projects_*.csv")):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        for r in df.to_dict("records"):
            commodity = r["commodity"].strip()
            sid = _source_id(r["source_url"], r["source_title"] or r["name"])
            srcs.append(dict(source_id=sid, publisher=r["source_publisher"] or
                             _publisher(r["source_url"]), title=r["source_title"] or r["name"],
                             table="", year=int(float(r["source_year"] or 2025)),
                             url=r["source_url"], licence="", note="project data"))
            if r["status"] in ENDED_STATUS:
                gaps.append(_ended_project(r, commodity, units, sid))
                continue
            factor, commodity = _capacity(r["capacity_unit"], commodity)
            cap = number(r["capacity"])
            unit = units.get(commodity)
            if cap is None or factor is None or unit is None or (
                    "GWh" in r["capacity_unit"]) != (unit == "GWh"):
                gaps.append(dict(table="projects", commodity=commodity if unit else "ree",
                                 stage="", country=r["country"] or "OTHER",
                                 year=int(float(r["source_year"] or 2025)),
                                 reason=f"{r['name']}: capacity not usable "
                                        f"({r['capacity'] or 'not given'} "
                                        f"{r['capacity_unit']}); status {r['status']}"
                                        + (f"; {r['note'][:160]}" if "Seadrift" in r["name"]
                                           else ""), source_id=sid))
                continue
            stage = {"recycling": "refining"}.get(r["stage"], r["stage"])
            capex = number(r["capex_usd_m"])
            first = number(r["first_production_year"])
            est = abs(factor - 1.0) > 1e-9 or bool(r.get("capacity_method"))
            pid = re.sub(r"[^a-z0-9]+", "_", r["name"].lower()).strip("_")[:48]
            rows.append(dict(
                project_id=pid, name=r["name"], sponsor=r["sponsor"] or "unknown",
                country=r["country"], stage=stage, commodity=commodity,
                capacity=round(cap * factor, 3), unit=unit,
                capacity_basis=f"{r['capacity']} {r['capacity_unit']}",
                capex_usd=None if capex is None else capex * 1e6,
                unit_cost_usd_t=None, first_production_year=None if first is None
                else int(first), status=r["status"] or "announced",
                public_support=r["public_support"], estimated=est,
                method=r.get("capacity_method") or (
                    "converted to contained content by molar mass" if est else ""),
                filing_date=r.get("filing_date", ""),
                source_id=sid,
                note=("status not given; " if not r["status"] else "")
                + ("recycling; " if r["stage"] == "recycling" else "")
                + (f"capex {r['capex_original']}; " if r["capex_original"] else "")
                + r["note"][:200]))
    out = pd.DataFrame(rows).drop_duplicates("project_id")
    return out, gaps, pd.DataFrame(srcs).drop_duplicates("source_id")

