"""Net import reliance of Japan, the EU and Korea, computed the USGS way from trade.

USGS: reliance = (imports - exports) / apparent consumption, apparent consumption =
production + imports - exports (stock changes left out: not published for these importers).
Inputs: the shipped ``flows`` (CEPII BACI, HS6 values in USD, 2022 and 2024; the extract has
no quantities), ``production`` (USGS, by stage) and ``prices`` (USGS, USD per t or kg).

* Importer without production at the HS code's stage (absent from a USGS table that has a
  WORLD row): reliance is 1 when imports exceed exports, else 'E' (net exporter). Only the
  sign of imports - exports is needed, taken from values: one unit value is assumed for the
  HS6 line's imports and exports.
* Importer with production: trade values become tonnes at the USGS price of that year
  (value / price: an estimate, said in ``method``; a price per t of compound, e.g. lithium
  carbonate, is first put per t of contained element), then the USGS formula.
* EU: the 27 members as one importer; trade between members is left out.
Commodities whose HS code is not in the BACI extract, or whose stage has no production table,
get no row (a ``gaps`` row says so).
"""

from __future__ import annotations

import pandas as pd

from critmin.data.benchmark import PRICED_AS_COMPOUND

EU27 = ("AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC",
        "HUN", "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK",
        "SVN", "ESP", "SWE")
IMPORTERS = {"JPN": ("JPN",), "KOR": ("KOR",), "EU": EU27}
HS_STAGE = {  # HS6 of the BACI extract -> the production stage it trades
    "260200": "mine", "250490": "mine", "260600": "mine", "251110": "mine", "252910": "mine",
    "252800": "mine", "251010": "mine", "252922": "mine",
    "283691": "refining", "282200": "refining", "740311": "refining", "280480": "refining",
    "283692": "refining",
    "750210": "refining", "811010": "metal", "810194": "metal", "810411": "metal",
    "711011": "mine", "711021": "mine", "720292": "metal", "720293": "metal",
    "810820": "metal", "810320": "metal", "811212": "metal", "280469": "metal",
    "280470": "refining", "850511": "product",
}
"""Unwrought PGMs are compared with mine output (USGS tabulates PGMs at the mine only);
unwrought nickel with refined nickel where a refinery table exists."""
SOURCE = "cepii_baci_v202601"


def _production(prod: pd.DataFrame, commodity: str, stage: str, members, year: int):
    """(tonnes, year used, note) of the importer's production, or None when unknown."""
    p = prod[(prod["commodity"] == commodity) & (prod["stage"] == stage)]
    years = sorted(int(y) for y in p["year"].unique() if int(y) <= year + 1)
    if not years:
        return None
    y = year if year in years else years[-1]
    py = p[p["year"].astype(int) == y]
    world = py[py["country"] == "WORLD"]
    mine = py[py["country"].isin(members)]
    if world.empty or (mine.empty and not world["source_id"].str.startswith("usgs_mcs").all()):
        return None  # absent from a table that is not a complete USGS country list
    total = float(mine["value"].astype(float).sum())
    note = (f"production {total:,.0f} {py['unit'].iloc[0]} ({y}, "
            f"{', '.join(sorted(mine['source_id'].unique()))})" if len(mine) else
            f"not among the producers listed in the USGS {stage} table ({y}): taken as 0")
    return total, y, note


def _price_t(prices: pd.DataFrame, commodity: str, year: int):
    p = prices[prices["commodity"] == commodity].copy()
    if p.empty:
        return None
    p["year"] = p["year"].astype(int)
    p = p[p["year"] <= year + 1].sort_values("year")
    if p.empty:
        return None
    r = p[p["year"] == (year if year in set(p["year"]) else p["year"].max())].iloc[0]
    v = float(r["value"]) * (1000.0 if r["unit"] == "USD/kg" else 1.0)
    basis = str(r["basis"])[:60]
    text, compound, factor = PRICED_AS_COMPOUND.get(commodity, ("\0", "", 1.0))
    if text in str(r["basis"]).lower():  # per t of compound -> per t of contained element
        v, basis = v * factor, f"{basis}; x {factor:.3f} t {compound} per t {commodity}"
    return v, int(r["year"]), basis


def rows(flows: pd.DataFrame, prod: pd.DataFrame, prices: pd.DataFrame, units: dict[str, str]):
    """import_reliance rows (measure net_import_reliance) and gaps rows."""
    out, gaps = [], []
    f = flows.assign(value=flows["value"].astype(float), year=flows["year"].astype(int))
    for importer, members in IMPORTERS.items():
        inside_i = f["importer"].isin(members)
        inside_e = f["exporter"].isin(members)
        m = f[inside_i & ~inside_e].groupby(["hs6", "commodity", "year"])["value"].sum()
        x = f[inside_e & ~inside_i].groupby(["hs6", "commodity", "year"])["value"].sum()
        both = pd.concat([m.rename("m"), x.rename("x")], axis=1).fillna(0.0).reset_index()
        for r in both.to_dict("records"):
            hs, c, year, mv, xv = r["hs6"], r["commodity"], int(r["year"]), r["m"], r["x"]
            stage = HS_STAGE.get(hs)
            got = _production(prod, c, stage, members, year) if stage else None
            base = dict(importer=importer, commodity=c, year=year,
                        measure="net_import_reliance", unit="share", estimated=True,
                        source_id=SOURCE)
            if got is None:
                gaps.append(dict(table="import_reliance", commodity=c, stage=stage or "",
                                 country=importer, year=year, reason=f"HS {hs} trade is in "
                                 f"BACI but no USGS production table at the {stage} stage "
                                 "gives the importer's output; reliance not computed",
                                 source_id=SOURCE))
                continue
            p, _year_used, pnote = got
            head = (f"USGS method: (imports - exports) / (production + imports - exports); "
                    f"BACI HS {hs} {year}, {'extra-EU ' if importer == 'EU' else ''}imports "
                    f"{mv / 1e6:,.1f} and exports {xv / 1e6:,.1f} million USD; {pnote}")
            if p == 0:
                net = mv > xv
                out.append(dict(base, value=1.0 if net else 0.0, qualifier="" if net else "E",
                                method=head + "; with no production the share is 1 when "
                                "imports exceed exports by value (one unit value assumed for "
                                "both), else net exporter",
                                note=f"stage {stage}; HS {hs}"))
                continue
            price = _price_t(prices, c, year)
            if price is None:
                gaps.append(dict(table="import_reliance", commodity=c, stage=stage,
                                 country=importer, year=year, reason="importer produces at "
                                 f"this stage but no USGS price converts HS {hs} trade values "
                                 "to tonnes", source_id=SOURCE))
                continue
            pt, pyear, basis = price
            qm, qx = mv / pt, xv / pt
            cons = p + qm - qx
            if qm <= qx:
                value, qual = 0.0, "E"
            else:
                value, qual = min(1.0, (qm - qx) / cons), ""
            out.append(dict(base, value=round(value, 4), qualifier=qual,
                            method=head + f"; trade tonnes = value / USGS price {pt:,.0f} "
                            f"USD/t ({pyear}, {basis}), an estimate: the HS line's grade "
                            "and content may differ from the price's",
                            note=f"stage {stage}; HS {hs}; consumption {cons:,.0f} "
                                 f"{units.get(c, 't')}"))
    return out, gaps
