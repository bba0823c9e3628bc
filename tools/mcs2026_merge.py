"""MCS 2026 as critmin's latest edition: merge the release's rows over older editions.

Rules (the build's provenance record):

* production: for every (commodity, stage, year) the release tabulates, its rows replace
  older editions' rows as a group (``editions.latest_edition``; superseded values stay in
  the note). Reserves as of 2025 ship beside older editions' reserves (dated by edition).
* prices, one rule for duplicates: for every (commodity, year) the release prices, the
  release's designated series (``usgs_mcs2026.PRICES``, one per commodity) is the price;
  other rows of that commodity-year (older editions, other grades, quotations) leave the
  table and their values stay in the kept row's note. Commodity-years the release does not
  price keep their rows; where several remain, ``critmin.data.benchmark`` picks the grade.
* U.S. net import reliance: the release's value replaces older rows of the same
  (commodity, year); apparent consumption rows stay.
* zirconium: USGS gives reserves as ZrO2 content but production as concentrate gross
  weight; reserves are not comparable with critmin's unit and become gaps rows.
* the U.S. 2025 list: membership is read from the release's ``Is critical mineral 2025``
  column; listed commodities the release confirms cite it.
"""

from __future__ import annotations

import pandas as pd

import usgs_mcs2026 as m26
from editions import latest_edition

CHAPTER_OF = {  # commodity -> release chapter, for list membership
    **{c: ch for c, _s, ch, *_ in m26.WORLD},
    **{c: ch for c, ch, *_ in m26.PRICES if c not in {w[0] for w in m26.WORLD}},
    **{c: "RARE EARTHS" for c in ("ree", "ndpr", "dy", "tb", "ree_other", "tm", "ho", "er",
                                  "yb", "lu", "y", "la", "ce", "nd", "pr", "sm", "eu", "gd")},
    "cesium": "CESIUM", "rubidium": "RUBIDIUM", "germanium": "GERMANIUM",
    "scandium": "SCANDIUM", "y": "YTTRIUM",
}


def load() -> pd.DataFrame:
    return m26.read_release()


def _units(unit_of) -> dict[str, str]:
    units = {c: "t" for c in m26.NEW_COMMODITIES}
    for c, *_ in m26.WORLD:
        if c not in units:
            units[c] = "t REO" if c == "y" else unit_of(c)
    return units


def world(release: pd.DataFrame, prod: list[dict], res: list[dict], gaps: list[dict],
          unit_of) -> tuple[list[dict], list[dict], list[dict]]:
    """Production, reserves and gaps with the release merged in (latest edition)."""
    m_prod, m_res, m_gaps = m26.world_tables(release, _units(unit_of))
    prod = latest_edition(prod, m_prod, ["commodity", "stage", "country", "year"])
    newer = {(r["commodity"], r["country"], r["year"]) for r in m_res}
    res = [r for r in res if (r["commodity"], r["country"], r["year"]) not in newer] + m_res
    zr = [r for r in res if r["commodity"] == "zirconium"]
    res = [r for r in res if r["commodity"] != "zirconium"]
    gaps = gaps + m_gaps + [dict(
        table="reserves", commodity="zirconium", stage="", country=r["country"],
        year=r["year"], reason="USGS gives zirconium reserves as ZrO2 content "
        f"({r['value']:,.6g} t ZrO2{', ' + r['qualifier'] if r['qualifier'] else ''}) while "
        "critmin's zirconium unit is concentrate gross weight (production); not comparable, "
        "so not shipped as a reserves row", source_id=r["source_id"]) for r in zr]
    gaps += [m26._gap("reserves", "zirconium", "", "WORLD", 2025, "MCS 2026 gives zirconium "
                      "reserves as ZrO2 content, production as gross weight: not comparable",
                      "ZIRCONIUM AND HAFNIUM")]
    return prod, res, gaps


def _superseded(rows: list[dict]) -> str:
    return "; ".join(f"superseded: {r['source_id']} gave {float(r['value']):,.6g} {r['unit']} "
                     f"({str(r['basis'])[:60]})" for r in rows)


def prices(release: pd.DataFrame, older: list[dict]) -> tuple[list[dict], list[dict]]:
    """All prices with the release's series replacing older rows of its commodity-years."""
    new, gaps = m26.prices(release)
    by = {}
    for r in older:
        by.setdefault((r["commodity"], int(r["year"])), []).append(r)
    covered = {(r["commodity"], r["year"]) for r in new}
    kept = [dict(r, year=int(r["year"])) for r in older
            if (r["commodity"], int(r["year"])) not in covered]
    out = []
    for r in new:
        was = [o for o in by.get((r["commodity"], r["year"]), [])
               if abs(float(o["value"]) - r["value"]) > 1e-9 * max(1.0, r["value"])]
        out.append(dict(r, note=f"{r['note']}; {_superseded(was)}" if was else r["note"]))
    return kept + out, gaps


def reliance(release: pd.DataFrame, older: list[dict]) -> list[dict]:
    """Import reliance rows with the release's U.S. values replacing older ones."""
    commodities = {r["commodity"] for r in older} | {c for c, *_ in m26.WORLD}
    new = m26.us_reliance(release, commodities)
    key = {(r["commodity"], r["year"]) for r in new}
    was = {(r["commodity"], int(r["year"])): r for r in older
           if r["importer"] == "USA" and r["measure"] == "net_import_reliance"}
    kept = [r for r in older if not (r["importer"] == "USA" and r["measure"] ==
                                     "net_import_reliance"
                                     and (r["commodity"], int(r["year"])) in key)]
    out = []
    for r in new:
        prev = was.get((r["commodity"], r["year"]))
        if prev is not None and (abs(float(prev["value"]) - r["value"]) > 1e-9
                                 or str(prev.get("qualifier") or "") != r["qualifier"]):
            r = dict(r, note=f"{r['note']}; superseded: {prev['source_id']} gave "
                             f"{prev.get('qualifier') or ''}{float(prev['value']):.4g}")
        out.append(r)
    return kept + out


def critical_list(release: pd.DataFrame, lists: pd.DataFrame) -> pd.DataFrame:
    """USGS_2025 rows whose chapter the release flags ``Yes`` cite the release; a listed
    commodity whose chapter the release flags ``No`` is an error (the copy is wrong)."""
    flag = release.groupby("MCS chapter")["Is critical mineral 2025"].agg(
        lambda s: "Yes" if s.eq("Yes").any() else "No")
    lists = lists.copy()
    us = lists["list"].eq("USGS_2025")
    chapter = lists["commodity"].map(CHAPTER_OF)
    says = chapter.map(flag)
    wrong = us & says.eq("No")
    if wrong.any():
        raise ValueError("MCS 2026 'Is critical mineral 2025' says No for listed "
                         f"{sorted(lists.loc[wrong, 'commodity'])}")
    lists.loc[us & says.eq("Yes"), "source_id"] = m26.LIST_ID
    listed = set(lists.loc[us, "commodity"])
    missing = [c for c, ch in CHAPTER_OF.items() if flag.get(ch) == "Yes" and c not in listed
               and c not in m26.NEW_COMMODITIES and c in _LIST_LEVEL]
    if missing:
        raise ValueError(f"MCS 2026 lists {missing} as critical; the USGS_2025 rows lack them")
    return lists


_LIST_LEVEL = {c for c, *_ in m26.WORLD if c not in ("ree", "scandium", "y")}


def new_commodities() -> list[dict]:
    chapter = {c: ch for c, _s, ch, *_ in m26.WORLD}
    return [dict(commodity=c, name=n, group=g, unit="t", basis=b, parent="", hs_codes=h,
                 source_id=m26.source_id(chapter[c]))
            for c, (n, g, b, h) in m26.NEW_COMMODITIES.items()]


def sources(release: pd.DataFrame) -> list[dict]:
    return m26.sources(release)
