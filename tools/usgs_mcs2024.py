"""USGS Mineral Commodity Summaries 2024 data release: world production and reserves
(2022-2023), U.S. net import reliance (table T5, figure 2) and salient-statistics prices."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from build_common import RESERVE_BASIS, all_series, number, unit_of
from build_usgs import (
    FORM_BY_COUNTRY,
    header_factor,
    parse_cell,
    read_world,
    reserves_column,
    world_file,
)
from countries import iso3
from usgs_rows import gap, method, price_row, value_row

# (file code, column, commodity, unit in file, to USD/kg or USD/t factor, out unit, basis)
USGS_PRICES = [
    ("raree", "Price_Dy2O3_dkg", "dy", 1.0, "USD/kg", "dysprosium oxide 99.5 % min, annual avg"),
    ("raree", "Price_Nd2O3_dkg", "ndpr", 1.0, "USD/kg",
     "neodymium oxide 99.5 % min, annual avg (NdPr proxy)"),
    ("raree", "Price_TbO2_dkg", "tb", 1.0, "USD/kg", "terbium oxide 99.99 % min, annual avg"),
    ("raree", "Price_CeO2_dkg", "ree_other", 1.0, "USD/kg", "cerium oxide 99.5 % min, annual avg"),
    ("lithi", "Price_dt", "lithium", 1.0, "USD/t", "lithium carbonate, battery grade, annual avg"),
    ("nicke", "Price_dt dlb (both used)", "nickel", 1.0, "USD/t", "LME cash, annual avg"),
    ("graph", "Price_Flake_dt", "graphite", 1.0, "USD/t", "flake, avg U.S. import unit value"),
    ("manga", "Price_CN_CIF_dt", "manganese", 100.0, "USD/t",
     "44 % Mn metallurgical ore CIF China; USD per mtu (10 kg Mn) x 100 = USD/t Mn content"),
    ("galli", "Price_High-puritydkg", "gallium", 1.0, "USD/kg", "high-purity gallium, annual avg"),
    ("germa", "Price_Metal_dkg", "germanium", 1.0, "USD/kg", "germanium metal, annual avg"),
    ("antim", "Price_Metal_dlb", "antimony", 2.20462, "USD/kg",
     "antimony metal, Rotterdam/U.S., USD/lb x 2.20462"),
    ("tungs", "Price_WO3dt", "tungsten", 100.0, "USD/t",
     "ammonium paratungstate, USD per mtu WO3 x 100 = USD/t WO3"),
    ("mgmet", "Price_US_spot_dlb", "magnesium", 2.20462, "USD/kg",
     "U.S. spot Western, USD/lb x 2.20462"),
    ("plati", "Price_Platinum_dto", "platinum", 32.1507, "USD/kg",
     "platinum, Engelhard, USD/troy oz x 32.1507"),
    ("plati", "Price_Palladium_dto", "palladium", 32.1507, "USD/kg",
     "palladium, Engelhard, USD/troy oz x 32.1507"),
    ("indiu", "Price_Rotterdam_dkg", "indium", 1.0, "USD/kg", "indium 99.99 %, Rotterdam"),
    ("tellu", "Price_US_dkg", "tellurium", 1.0, "USD/kg", "tellurium 99.95 %, annual avg"),
    ("bismu", "Price_Average_dlb", "bismuth", 2.20462, "USD/kg",
     "bismuth 99.99 %, USD/lb x 2.20462"),
    ("molyb", "Price_dkg", "molybdenum", 1.0, "USD/kg", "molybdic oxide, Mo content, annual avg"),
    ("vanad", "Price_V2O5_dlb", "vanadium", 2.20462, "USD/kg",
     "vanadium pentoxide (V2O5), USD/lb x 2.20462"),
    # list coverage (MCS 2024 salient statistics; column names as USGS gives them)
    ("arsen", "Price_Mtl_US_dkg", "arsenic", 1.0, "USD/kg", "arsenic metal, U.S. (Price_Mtl_US)"),
    ("barit", "Price_dt", "barite", 1.0, "USD/t", "barite, USGS annual price (Price_dt)"),
    ("coppe", "Price_LME_ctslb", "copper", 0.0220462, "USD/kg",
     "copper, LME grade A cash, US cents/lb x 0.0220462"),
    ("fluor", "Price_Acid_dt", "fluorspar", 1.0, "USD/t", "acid-grade fluorspar (Price_Acid)"),
    ("lead", "Price_LME_ctslb", "lead", 0.0220462, "USD/kg",
     "lead, LME cash, US cents/lb x 0.0220462"),
    ("niobi", "Price_dkg", "niobium", 1.0, "USD/kg", "niobium, USGS annual price (Price_dkg)"),
    ("phosp", "Price_dt", "phosphate", 1.0, "USD/t", "phosphate rock, USGS annual price"),
    ("potas", "Price_Muriate_dt", "potash", 1.0, "USD/t", "muriate of potash (Price_Muriate)"),
    ("rheni", "Price_Metal_dkg", "rhenium", 1.0, "USD/kg", "rhenium metal pellets"),
    ("simet", "Price_Si_ctslb", "silicon", 0.0220462, "USD/kg",
     "silicon metal, US cents/lb x 0.0220462"),
    ("silve", "Price_Bullion_dtoz", "silver", 32.1507, "USD/kg",
     "silver bullion, USD/troy oz x 32.1507"),
    ("tanta", "Price_Ta2O5_dkg", "tantalum", 1.0, "USD/kg",
     "tantalum, USD per kg Ta2O5 content"),
    ("tin", "Price_LME_ctslb", "tin", 0.0220462, "USD/kg",
     "tin, LME cash, US cents/lb x 0.0220462"),
    ("timin", "Price_Rutile_dt", "rutile", 1.0, "USD/t", "rutile concentrate (Price_Rutile)"),
    ("timin", "Price_Ilmenite_dt", "ilmenite", 1.0, "USD/t", "ilmenite (Price_Ilmenite)"),
    ("titan", "Price_Sponge_dkg", "titanium", 1.0, "USD/kg", "titanium sponge (Price_Sponge)"),
    ("zinc", "Price_LME_ctslb", "zinc", 0.0220462, "USD/kg",
     "zinc, LME special high grade, US cents/lb x 0.0220462"),
    ("zirco", "Price_Zircon_imported_t", "zirconium", 1.0, "USD/t",
     "zircon, imported (Price_Zircon_imported)"),
    ("felds", "Price_Feldspar_dt", "feldspar", 1.0, "USD/t", "feldspar (Price_Feldspar)"),
    ("stron", "Price_dt", "strontium", 1.0, "USD/t", "celestite, USGS annual price (Price_dt)"),
    ("scand", "Price_Cmpds_Oxide_dg", "scandium", 1000.0, "USD/kg",
     "scandium oxide, USD/g x 1000"),
    ("yttri", "Price_Y2O3_dkg", "y", 1.0, "USD/kg", "yttrium oxide (Price_Y2O3)"),
]


T5_NAMES = {
    "Rare earths (compounds and metals)": "ree", "Lithium": "lithium", "Cobalt": "cobalt",
    "Nickel": "nickel", "Graphite (natural)": "graphite", "Manganese": "manganese",
    "Gallium": "gallium", "Germanium": "germanium", "Antimony": "antimony",
    "Tungsten": "tungsten", "Magnesium": "magnesium", "Platinum": "platinum",
    "Palladium": "palladium", "Indium": "indium", "Tellurium": "tellurium",
    "Bismuth": "bismuth", "Vanadium": "vanadium",
    "Aluminum (bauxite)": "bauxite", "Arsenic": "arsenic", "Barite": "barite",
    "Beryllium": "beryllium", "Chromium": "chromium", "Fluorspar": "fluorspar",
    "Niobium": "niobium", "Scandium": "scandium", "Tantalum": "tantalum", "Tin": "tin",
    "Titanium (metal)": "titanium", "Yttrium": "y", "Zinc": "zinc",
    "Zirconium (ores and concentrates)": "zirconium",
}


FIG2_NAMES = {  # MCS 2024 Fig. 2 rows for listed commodities that table T5 lacks
    "CESIUM": ["cesium"], "RUBIDIUM": ["rubidium"], "STRONTIUM": ["strontium"],
    "POTASH": ["potash"], "SILVER": ["silver"], "RHENIUM": ["rhenium"],
    "ALUMINA": ["alumina"], "ALUMINUM": ["aluminum"], "COPPER, refined": ["copper"],
    "LEAD, refined": ["lead"], "SILICON, metal and ferrosilicon": ["silicon"],
    "TITANIUM MINERAL CONCENTRATES": ["ilmenite", "rutile"],
}


def usgs_world(shared: Path):
    """Production, reserves and gaps from the MCS 2024 world files (2022, 2023).

    Qualified cells ship with their qualifier (e, >, <, --); cells without a number
    (W, NA, XX) become gaps rows. Reserves bounds (">") keep the bound in ``qualifier``.
    """
    prod, res, gaps = [], [], []
    for commodity, code, tfilter, stage, take_reserves in all_series():
        path = world_file(shared, code)
        src = f"usgs_mcs2024_{code.strip('_')}"
        header, body = read_world(path)
        years = [int(re.search(r"(\d{4})", h).group(1)) for h in header[3:5]]
        pfactor = header_factor(header[3])
        rcol = reserves_column(header) if take_reserves else None
        unit = unit_of(commodity)
        for r in body:
            if tfilter and not re.search(tfilter, r[2]):
                continue
            if r[1].strip().endswith(", concentrate"):
                # manganese: USGS gives gross weight of concentrate, not Mn content
                country, _ = iso3(r[1].split(",")[0])
                gaps += [gap("production", commodity, stage, country, year, "USGS gives gross "
                             "weight of concentrate, not contained content", src)
                         for year in years]
                continue
            country, est_mark = iso3(r[1])
            notes = "" if r[5].strip() in ("NA", "") else r[5].strip()
            if commodity in FORM_BY_COUNTRY:
                notes = f"form: {r[2].strip()}; {notes}".strip("; ")
            for i, year in enumerate(years):
                v, qual = parse_cell(r[3 + i])
                if est_mark and "e" not in qual:
                    qual += "e"
                if v is None:
                    gaps.append(gap("production", commodity, stage, country, year,
                                    f"USGS reports {qual} (W = withheld, NA = not available, "
                                    "XX = not applicable)" + (f": {notes[:120]}" if notes
                                                              else ""), src))
                    continue
                estimated = ("e" in qual or "est" in header[3 + i].lower()
                             or "estimated" in notes.lower())
                prod.append(value_row(commodity, country, year, round(v * pfactor, 6), unit,
                                      qual, estimated, method("", estimated), src,
                                      notes[:200], stage))
            if rcol is None:
                continue
            rv, rq = parse_cell(r[rcol])
            rnote = (r[rcol + 1].strip() if rcol + 1 < len(r) else "")[:200]
            if commodity == "platinum":
                rnote = ("all platinum-group metals (Pt, Pd, Rh, Ru, Ir, Os), not platinum "
                         "alone; " + rnote).strip("; ")
            if commodity in RESERVE_BASIS:
                rnote = f"{RESERVE_BASIS[commodity]}; {rnote}".strip("; ")
            if rv is None:
                if rq in ("W", "NA") and country not in ("OTHER",):
                    gaps.append(gap("reserves", commodity, "", country, years[-1],
                                    f"USGS reports reserves as {rq}", src))
                continue
            bound = rq.replace("e", "")
            res.append(value_row(commodity, country, years[-1],
                                 round(rv * header_factor(header[rcol]), 6), unit, rq,
                                 bool(bound) or "e" in rq, method(bound, "e" in rq), src,
                                 rnote))
    return (_combine(prod, ["commodity", "stage", "country", "year"]),
            _combine(res, ["commodity", "country", "year"]), gaps)


def _combine(rows: list[dict], key: list[str]) -> list[dict]:
    """Sum rows that USGS splits for one country (U.S. helium: natural gas + Cliffside)."""
    df = pd.DataFrame(rows)
    if df.empty or not df.duplicated(key).any():
        return rows
    out = []
    for _, g in df.groupby(key, sort=False):
        r = g.iloc[0].to_dict()
        if len(g) > 1:
            r["value"] = round(float(g["value"].sum()), 6)
            r["qualifier"] = "".join(sorted(set("".join(g["qualifier"]))))
            r["note"] = f"sum of {len(g)} USGS rows for this country"
        out.append(r)
    return out


def us_reliance(shared: Path):
    """U.S. net import reliance and apparent consumption, 2023 (MCS 2024 table T5)."""
    out = []
    path = shared / "usgs-mcs2024" / "trends" / "MCS2024_T5_Critical_Minerals_Salient.csv"
    with path.open(encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            commodity = T5_NAMES.get(r["Critical_mineral"].strip())
            if commodity is None:
                continue
            unit = "t REO" if commodity == "ree" else "t"
            nir = r["Net_Import_Reliance"].strip()
            qual = nir[0] if nir[:1] in "<>" else ("E" if nir == "E" else "")
            val = 0.0 if nir == "E" else number(nir.lstrip("<>"))
            if val is not None:  # 'NA' (beryllium): no reliance published
                out.append(dict(importer="USA", commodity=commodity, year=2023,
                                measure="net_import_reliance",
                                value=val if nir == "E" else val / 100, qualifier=qual,
                                unit="share", estimated=True, method="USGS estimate",
                                source_id="usgs_mcs2024_t5", note=""))
            cons = number(r["Apparent_Consuption"])
            if cons is not None:
                out.append(dict(importer="USA", commodity=commodity, year=2023,
                                measure="apparent_consumption", value=cons, qualifier="",
                                unit=unit, estimated=True, method="USGS estimate",
                                source_id="usgs_mcs2024_t5",
                                note=r["Contsumption_Notes"].strip()))
    # MCS 2025 rare earths: compounds and metals, 2020-2024
    for year, cons, nir, q in ((2020, 6490, 1.0, ""), (2021, 7900, 0.95, ">"),
                               (2022, 10200, 0.95, ">"), (2023, 10100, 0.95, ">"),
                               (2024, 6600, 0.80, "")):
        out = [o for o in out if not (o["commodity"] == "ree" and o["year"] == year)]
        est = year == 2024
        out += [dict(importer="USA", commodity="ree", year=year, measure="net_import_reliance",
                     value=nir, qualifier=q, unit="share", estimated=est,
                     method="USGS estimate" if est else "", source_id="usgs_mcs2025_ree",
                     note="compounds and metals"),
                dict(importer="USA", commodity="ree", year=year, measure="apparent_consumption",
                     value=cons, qualifier="", unit="t REO", estimated=est,
                     method="USGS estimate" if est else "", source_id="usgs_mcs2025_ree",
                     note="compounds and metals: production + imports - exports")]
    return out


def fig2_reliance(shared: Path, have: set[str]):
    """U.S. net import reliance 2023 (MCS 2024 Fig. 2) for listed commodities T5 lacks, and
    the major import sources 2019-22 it names (in order, without shares) as gaps rows."""
    rel, gaps = [], []
    path = shared / "usgs-mcs2024" / "trends" / "MCS2024_Fig2_Net_Import_Reliance.csv"
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    names = {**FIG2_NAMES, **{k.upper(): [v] for k, v in T5_NAMES.items()}}
    aliases = {"RARE EARTHS, COMPOUNDS AND METALS": ["ree"], "TITANIUM, SPONGE METAL":
               ["titanium"], "ANTIMONY, METAL AND OXIDE": ["antimony"], "NIOBIUM (COLUMBIUM)":
               ["niobium"], "GRAPHITE (NATURAL)": ["graphite"], "MAGNESIUM METAL":
               ["magnesium"], "ZINC, REFINED": ["zinc"], "TIN, REFINED": ["tin"],
               "CHROMIUM, ALL FORMS": ["chromium"], "ARSENIC, ALL FORMS": ["arsenic"],
               "ZIRCONIUM, ORES AND CONCENTRATES": ["zirconium"], "BAUXITE": ["bauxite"]}
    for r in rows:
        label = r["Commodity"].strip()
        commodities = names.get(label) or aliases.get(label.upper()) or names.get(
            label.upper(), [])
        for c in commodities:
            nir = r["Net_Import_Reliance_pct_2023"].strip()
            v, q = parse_cell(nir)
            if c not in have and v is not None:
                rel.append(dict(importer="USA", commodity=c, year=2023,
                                measure="net_import_reliance", value=v / 100,
                                qualifier=q.replace("e", ""), unit="share", estimated=True,
                                method="USGS estimate", source_id="usgs_mcs2024_fig2",
                                note=f"as '{label}'"))
            gaps.append(gap("import_sources", c, "", "USA", 2022, "USGS names the major "
                            "import sources 2019-2022 in order without shares: "
                            + r["Major_Import_Sources_2019_2022"], "usgs_mcs2024_fig2"))
    return rel, gaps


def us_prices(shared: Path):
    """Annual U.S./international prices 2019-2023 from the MCS 2024 salient files."""
    out = []
    for code, column, commodity, factor, unit, basis in USGS_PRICES:
        path = shared / "usgs-mcs2024" / "salient" / f"mcs2024-{code}_salient.csv"
        df = pd.read_csv(path, dtype=str, encoding="utf-8-sig").dropna(subset=["Year"])
        for _, r in df.iterrows():
            v = number(r[column])
            if v is None:
                continue
            out.append(price_row(commodity, int(r["Year"]), round(v * factor, 4), unit, basis,
                                 int(r["Year"]) == 2023, f"usgs_mcs2024_{code}_salient", ""))
    # MCS 2025 rare-earths chapter: 2024 averages (Argus)
    for commodity, v, basis in (("dy", 260, "dysprosium oxide 99.5 % min, annual avg"),
                                ("ndpr", 56, "neodymium oxide 99.5 % min, annual avg (NdPr proxy)"),
                                ("tb", 810, "terbium oxide 99.99 % min, annual avg"),
                                ("ree_other", 1, "cerium oxide 99.5 % min, annual avg")):
        out.append(price_row(commodity, 2024, v, "USD/kg", basis, True, "usgs_mcs2025_ree",
                             "Argus Media, Argus Non-Ferrous Markets, via USGS"))
    return out

