"""Build critmin's shipped tables from the published source files.

Run from the repository root:

    python tools/build_dataset.py --shared ../shared/data

Inputs: the USGS Mineral Commodity Summaries 2024 data release (world production and
reserves, U.S. salient statistics, critical-minerals table T5), the USGS MCS 2025 rare-earths
chapter, CEPII BACI bilateral trade, the project's parameter notes, and the curated CSVs in
``tools/curated/`` (figures transcribed from cited publications, one source per row).
Outputs: ``src/critmin/data/tables/*.csv``. The script is the provenance record of every
shipped number; it needs only the package's own dependencies. Two runs give identical bytes.

Data policies (issue 11):

* USGS qualifiers are kept in ``qualifier`` (production, reserves): ``e`` estimated, ``>``/``<``
  bounds (estimated = true, method says so), ``--`` zero. W/NA/XX cells have no number and
  become ``gaps`` rows naming the symbol (tools/build_usgs.py).
* Latest edition first: for every (commodity, stage, year) that USGS MCS 2025 tabulates
  (raw/usgs_mcs2025_world.csv, made by tools/extract_mcs2025.py and checked against each
  printed world total) the MCS 2025 rows replace the MCS 2024 release rows as a group, so a
  year never mixes editions; a replaced value that changed stays as history in the row's
  note ("superseded: usgs_mcs2024_<code> gave ..."). Reserves are dated by edition (2023 from
  MCS 2024, 2024 from MCS 2025) and both ship.
* Parameters that restate a production fact take the production table's value and source
  (``one_value_per_fact``); shares are of the published WORLD total.
* ``sources.primary``: true where the cited document is the publisher's own (agency,
  company, price reporter), false for a copy, quotation or summary (``primary_flag``).
* Coverage of the U.S. 2025 and EU 2023 lists: every listed commodity has rows or a ``gaps``
  row per missing item (``coverage_gaps``); open items of the research notes in
  ``tools/curated/raw/*gaps.md`` are ``gaps`` rows too (``NOTE_GAPS``).
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

import pandas as pd
import pycountry

from countries import iso3
import mcs2026_merge
import source_audit
import trade_reliance
from editions import latest_edition
from build_usgs import (
    FORM_BY_COUNTRY,
    IMPORT_SOURCE_GAPS,
    LIST_COMMODITIES,
    NO_PRODUCTION,
    PRICE_GAPS,
    REE_ELEMENTS,
    REE_PRICE_GAP,
    REE_SPLIT_GAP,
    RESERVE_GAPS,
    SERIES,
    header_factor,
    parse_cell,
    read_world,
    reserves_column,
    world_file,
)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "critmin" / "data" / "tables"
CURATED = ROOT / "tools" / "curated"

MCS2024_URL = "https://doi.org/10.3133/mcs2024"
MCS2025_URL = "https://doi.org/10.3133/mcs2025"

# commodity -> (USGS file code, name, group, unit, basis, hs codes, stage of the world table,
#               multiplier to tonnes, type filter)
USGS_WORLD = {
    "ree": ("raree", "Rare earths (total)", "rare_earths", "t REO", "rare-earth oxide equivalent",
            "280530 284690", "mine", 1.0, None),
    "lithium": ("lithi", "Lithium", "battery", "t", "lithium content", "283691 282520", "mine",
                1.0, None),
    "cobalt": ("cobal", "Cobalt", "battery", "t", "cobalt content", "282200 810520", "mine",
               1.0, None),
    "nickel": ("nicke", "Nickel", "battery", "t", "nickel content", "750210", "mine", 1.0, None),
    "graphite": ("graph", "Natural graphite", "battery", "t", "natural graphite, gross weight",
                 "250410 250490", "mine", 1.0, None),
    "manganese": ("manga", "Manganese", "battery", "t", "manganese content", "260200", "mine",
                  1000.0, None),
    "gallium": ("galli", "Gallium", "minor_metal", "t", "gallium metal, primary (low purity)",
                "811292", "refining", 0.001, None),
    "germanium": ("germa", "Germanium", "minor_metal", "t", "germanium metal, refinery",
                  "811299", "refining", 0.001, None),
    "antimony": ("antim", "Antimony", "minor_metal", "t", "antimony content", "811010", "mine",
                 1.0, None),
    "tungsten": ("tungs", "Tungsten", "alloying", "t", "tungsten content", "810194", "mine",
                 1.0, None),
    "magnesium": ("mgmet", "Magnesium metal", "alloying", "t", "primary magnesium metal",
                  "810411", "metal", 1000.0, None),
    "platinum": ("plati", "Platinum", "pgm", "t", "platinum metal content", "711011", "mine",
                 0.001, "Platinum"),
    "palladium": ("plati", "Palladium", "pgm", "t", "palladium metal content", "711021", "mine",
                  0.001, "Palladium"),
    "indium": ("indiu", "Indium", "minor_metal", "t", "indium metal, refinery", "811292",
               "refining", 1.0, None),
    "tellurium": ("tellu", "Tellurium", "minor_metal", "t", "tellurium content, refinery",
                  "280450", "refining", 1.0, None),
    "bismuth": ("bismu", "Bismuth", "minor_metal", "t", "bismuth metal, refinery", "810600",
                "refining", 1.0, None),
    "molybdenum": ("molyb", "Molybdenum", "alloying", "t", "molybdenum content", "261390",
                   "mine", 1.0, None),
    "vanadium": ("vanad", "Vanadium", "alloying", "t", "vanadium content", "720292", "mine",
                 1.0, None),
}

DERIVED_COMMODITIES = [
    # commodity, name, group, unit, basis, parent, hs
    ("ndpr", "Neodymium-praseodymium (NdPr)", "rare_earths", "t REO", "Nd2O3 + Pr6O11", "ree", ""),
    ("dy", "Dysprosium", "rare_earths", "t REO", "Dy2O3", "ree", ""),
    ("tb", "Terbium", "rare_earths", "t REO", "Tb4O7", "ree", ""),
    ("ree_other", "Other rare earths", "rare_earths", "t REO",
     "rare-earth oxides other than Nd, Pr, Dy, Tb (La, Ce, Sm, Y ...)", "ree", ""),
    ("ndfeb_magnet", "Sintered NdFeB permanent magnets", "product", "t", "magnet mass", "",
     "850511"),
    ("cathode", "Li-ion cathode active material", "product", "t", "cathode active material", "",
     ""),
    ("anode", "Li-ion anode active material", "product", "t", "anode active material", "", ""),
    ("li_ion_cell", "Lithium-ion battery cells", "product", "GWh", "cell energy capacity", "", ""),
]

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

BACI_HS = {
    "850511": "ndfeb_magnet", "283691": "lithium", "282200": "cobalt", "750210": "nickel",
    "250490": "graphite", "260200": "manganese", "811010": "antimony", "810194": "tungsten",
    "810411": "magnesium", "711011": "platinum", "711021": "palladium", "720292": "vanadium",
    # list coverage: HS codes of the extract that describe one listed commodity
    "720293": "niobium", "810820": "titanium", "810320": "tantalum", "811212": "beryllium",
    "740311": "copper", "260600": "bauxite", "251110": "barite", "252910": "feldspar",
    "252800": "boron", "251010": "phosphate", "252922": "fluorspar", "283692": "strontium",
    "280469": "silicon", "280470": "phosphorus", "280480": "arsenic",
}
HS_CAVEATS = {  # HS codes broader or narrower than the commodity
    "720293": "ferroniobium only", "252922": "acid grade (> 97 % CaF2) only",
    "283692": "strontium carbonate", "280469": "silicon < 99.99 % Si",
    "740311": "refined copper cathodes", "252800": "natural borates",
}
BACI_AREAS = {"S19": "TWN"}
"""BACI's "Other Asia, nes" (numeric 490, ISO-like S19) is Taiwan in UN trade statistics."""

def number(text: str) -> float | None:
    """A USGS cell as a number; None for W (withheld), NA, XX and blanks (see parse_cell)."""
    return parse_cell(text)[0]


def all_series() -> list[tuple[str, str, str | None, str, bool]]:
    """Every (commodity, file code, type regex, stage, reserves?) read from the release."""
    core = [(c, v[0], re.escape(v[8]) if v[8] else None, v[6], c != "gallium")
            for c, v in USGS_WORLD.items()]
    return core + SERIES


RESERVE_BASIS = {  # reserves published on another basis than the commodity's production
    "zirconium": "reserves in t ZrO2 content (production is zircon concentrate, gross weight)",
    "chromium": "reserves in t of shipping-grade chromite ore (45 % Cr2O3 normalised)",
    "boron": "reserves as USGS prints them (thousand t, basis not stated per country; "
             "no world total, XX)",
}


def unit_of(commodity: str) -> str:
    if commodity in USGS_WORLD:
        return USGS_WORLD[commodity][3]
    return LIST_COMMODITIES[commodity][2]


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
                for year in years:
                    gaps.append(dict(table="production", commodity=commodity, stage=stage,
                                     country=country, year=year,
                                     reason="USGS gives gross weight of concentrate, not "
                                            "contained content", source_id=src))
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
                    gaps.append(dict(table="production", commodity=commodity, stage=stage,
                                     country=country, year=year,
                                     reason=f"USGS reports {qual} (W = withheld, NA = not "
                                            "available, XX = not applicable)"
                                     + (f": {notes[:120]}" if notes else ""),
                                     source_id=src))
                    continue
                estimated = ("e" in qual or "est" in header[3 + i].lower()
                             or "estimated" in notes.lower())
                prod.append(dict(commodity=commodity, stage=stage, country=country, year=year,
                                 value=round(v * pfactor, 6), unit=unit, qualifier=qual,
                                 estimated=estimated,
                                 method="USGS estimate" if estimated else "",
                                 source_id=src, note=notes[:200]))
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
                    gaps.append(dict(table="reserves", commodity=commodity, stage="",
                                     country=country, year=years[-1],
                                     reason=f"USGS reports reserves as {rq}", source_id=src))
                continue
            bound = rq.replace("e", "")
            res.append(dict(commodity=commodity, country=country, year=years[-1],
                            value=round(rv * header_factor(header[rcol]), 6), unit=unit,
                            qualifier=rq, estimated=bool(bound) or "e" in rq,
                            method=("published as a lower bound ('>'): the true value is "
                                    "larger" if bound == ">" else
                                    "published as an upper bound ('<')" if bound == "<"
                                    else "USGS estimate" if "e" in rq else ""),
                            source_id=src, note=rnote))
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


MCS2025_CHAPTER_URL = "https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-{}.pdf"
MCS2025_COPY = ("https://github.com/Vanakka/metals-encyclopedia/blob/"
                "ad87eb5e164ba6cd808f7d3a81be43ea5cf21184/src/data/usgs/text/mcs2025-{}.txt")


def mcs2025_world(path: Path):
    """World production (2023, 2024) and reserves (2024) of USGS MCS 2025 chapters, from
    the transcription ``raw/usgs_mcs2025_world.csv`` (made by tools/extract_mcs2025.py)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    prod, res, srcs = [], [], []
    for r in df.to_dict("records"):
        sid = f"usgs_mcs2025_{r['chapter'].replace('-', '_')}"
        country, est_mark = iso3(r["label"])
        v, qual = parse_cell(r["cell"])
        if est_mark and "e" not in qual:
            qual += "e"
        if v is None:
            continue  # W / NA / Small: the MCS 2024 release rows and gaps cover these
        est = "e" in qual or (r["measure"] == "production" and r["year"] == "2024")
        note = f"MCS 2025 prints '{r['cell']}'" + (f"; {r['fix']}" if r["fix"] else "")
        if r["commodity"] in FORM_BY_COUNTRY and "," in r["label"] and \
                r["measure"] == "production":
            note = f"form: {r['label'].split(',', 1)[1].strip()}; {note}"
        row = dict(commodity=r["commodity"], country=country, year=int(r["year"]),
                   value=round(v * float(r["factor"]), 6), unit=unit_of(r["commodity"]),
                   qualifier=qual, estimated=est or ">" in qual,
                   method=("published as a lower bound ('>')" if ">" in qual else
                           "USGS estimate" if est else ""), source_id=sid, note=note)
        if r["measure"] == "production":
            prod.append(dict(stage=r["stage"], **row))
        else:
            if r["commodity"] == "platinum":
                row["note"] = ("all platinum-group metals (Pt, Pd, Rh, Ru, Ir, Os), not "
                               "platinum alone; ") + note
            if r["commodity"] in RESERVE_BASIS:
                row["note"] = f"{RESERVE_BASIS[r['commodity']]}; {row['note']}"
            res.append(row)
        srcs.append(mcs2025_chapter_source(r["chapter"]))
    return prod, res, pd.DataFrame(srcs).drop_duplicates("source_id")


def mcs2025_chapter_source(chapter: str, table: str = "World Mine/Refinery Production and "
                           "Reserves") -> dict:
    """The sources row of one USGS MCS 2025 chapter (read from the pdftotext copy)."""
    return dict(source_id=f"usgs_mcs2025_{chapter.replace('-', '_')}",
                publisher="U.S. Geological Survey",
                title=f"Mineral Commodity Summaries 2025 - {chapter}", table=table, year=2025,
                url=MCS2025_CHAPTER_URL.format(chapter), licence="public domain",
                note="table read from the pdftotext copy " + MCS2025_COPY.format(chapter)
                     + "; every production table checked against its printed world total")


def mcs2025_side_sources(raw: Path) -> pd.DataFrame:
    """Sources rows for chapters read only for prices or U.S. trade (no world table)."""
    chapters = set()
    for name in ("usgs_mcs2025_prices.csv", "usgs_mcs2025_trade.csv"):
        chapters |= set(pd.read_csv(raw / name, dtype=str, keep_default_na=False)["chapter"])
    return pd.DataFrame([mcs2025_chapter_source(c, "Salient Statistics; Import Sources")
                         for c in sorted(chapters)])


def mcs2025_quoted(path: Path):
    """2024 MCS 2025 values for chapters whose text critmin could not read, as quoted
    cell by cell in automated verification notes of a public repository (secondary)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    prod, res, srcs = [], [], []
    for r in df.to_dict("records"):
        element = r["url"].rsplit("/", 1)[-1].removesuffix(".md")
        sid = f"periodic_atlas_verification_{element.lower()}"
        row = dict(commodity=r["commodity"], country=r["country"], year=int(r["year"]),
                   value=float(r["value"]) * float(r["factor"]), unit=unit_of(r["commodity"]),
                   qualifier="e", estimated=True, method="USGS estimate (2024e column)",
                   source_id=sid, note=r["note"] + "; quoted, not read from the PDF")
        if r["measure"] == "production":
            prod.append(dict(stage=r["stage"], **row))
        else:
            res.append(dict(row, qualifier="", estimated=False, method=""))
        srcs.append(dict(source_id=sid, publisher="nwyin/periodic-atlas (automated "
                         "verification note quoting USGS MCS 2025)",
                         title=f"Verification: {element} (USGS Mineral Commodity Summaries "
                               "2025 values quoted cell by cell)", table=r["note"][:60],
                         year=2026, url=r["url"], licence="",
                         note="secondary: the verifier quotes the USGS MCS 2025 PDF; "
                              "critmin could not read the chapter itself"))
    return prod, res, pd.DataFrame(srcs).drop_duplicates("source_id")


def mcs2025_prices(path: Path) -> list[dict]:
    """2023-2024 prices of listed commodities from MCS 2025 salient statistics
    (raw/usgs_mcs2025_prices.csv, transcribed from the same chapter copies)."""
    out = []
    for r in pd.read_csv(path, dtype=str, keep_default_na=False).to_dict("records"):
        v, qual = parse_cell(r["value"])
        factor = float(r["factor"])
        est = "e" in qual
        out.append(dict(commodity=r["commodity"], year=int(r["year"]),
                        value=round(v * factor, 4), unit=r["out_unit"],
                        basis=r["basis"] + (f" ({r['unit']} x {factor:g})" if factor != 1
                                            else ""),
                        estimated=est, method="USGS estimate" if est else "",
                        source_id=f"usgs_mcs2025_{r['chapter'].replace('-', '_')}",
                        note=f"MCS 2025 salient statistics, printed '{r['value']}' {r['unit']}"))
    return out


def primary_prices(quoted: list[dict]) -> list[dict]:
    """MCS 2025 prices read from the chapter text replace quoted copies of the same
    (commodity, year) (one value per fact, the primary reading)."""
    read = mcs2025_prices(CURATED / "raw" / "usgs_mcs2025_prices.csv")
    covered = {(r["commodity"], r["year"]) for r in read}
    return [r for r in quoted if (r["commodity"], r["year"]) not in covered] + read


def mcs2025_trade(path: Path) -> tuple[list[dict], list[dict]]:
    """U.S. net import reliance and apparent consumption 2023-2024 and import sources
    2020-23 of listed commodities from MCS 2025 chapters (raw/usgs_mcs2025_trade.csv)."""
    rel, shares = [], []
    for r in pd.read_csv(path, dtype=str, keep_default_na=False).to_dict("records"):
        sid = f"usgs_mcs2025_{r['chapter'].replace('-', '_')}"
        v, qual = (0.0, "E") if r["value"] == "E" else parse_cell(r["value"])
        est = "e" in qual
        bound = qual.replace("e", "")
        base = dict(commodity=r["commodity"], estimated=est or (bound in "<>" and bool(bound)),
                    source_id=sid, note=r["note"])
        base["method"] = ("USGS estimate" if est else
                          f"published as a bound ('{bound}')" if bound in ("<", ">") else "")
        if r["measure"] == "us_net_import_reliance":
            rel.append(dict(importer="USA", year=int(r["year"]), measure="net_import_reliance",
                            value=v / 100, qualifier=bound, unit="share", **base))
        elif r["measure"] == "us_apparent_consumption":
            rel.append(dict(importer="USA", year=int(r["year"]), measure="apparent_consumption",
                            value=round(v * UNIT_TO_T[r["unit"]], 6), qualifier="",
                            unit=unit_of(r["commodity"]), **base))
        else:
            shares.append(dict(importer="USA", period=r["year"], exporter=r["country"],
                               share=v / 100, basis="quantity", **base))
    return rel, shares


def ree_mcs2025():
    """Rare-earth mine production 2023-2024 and reserves, USGS MCS 2025 (footnotes removed)."""
    mine = {  # country: (2023, 2024, reserves) in t REO, cells checked against the world total
        "USA": (41600, 45000, 1_900_000), "AUS": (16000, 13000, 5_700_000),
        "BRA": (140, 20, 21_000_000), "MMR": (43000, 31000, None),
        "CAN": (0, 0, 830_000), "CHN": (255000, 270000, 44_000_000),
        "GRL": (0, 0, 1_500_000), "IND": (2900, 2900, 6_900_000), "MDG": (2100, 2000, None),
        "MYS": (310, 130, None), "NGA": (7200, 13000, None), "RUS": (2500, 2500, 3_800_000),
        "ZAF": (0, 0, 860_000), "TZA": (0, 0, 890_000), "THA": (3600, 13000, 4_500),
        "VNM": (300, 300, 3_500_000), "OTHER": (1440, 1100, None),
        "WORLD": (376000, 390000, 90_000_000),
    }
    est_2024 = {"AUS", "MMR", "MDG", "MYS", "NGA", "THA", "VNM"}
    notes = {"CHN": "production quota; excludes undocumented production",
             "WORLD": "rounded; reserves given as >90,000,000",
             "AUS": "reserves 5.7 Mt (JORC-compliant 3.3 Mt)"}
    prod, res = [], []
    for c, (y23, y24, r) in mine.items():
        for year, v in ((2023, y23), (2024, y24)):
            est = c in est_2024 or c == "WORLD" or year == 2024
            method = ("USGS estimate from Chinese import data (Zen Innovations, Global Trade "
                      "Tracker)" if c in est_2024 else "USGS estimate") if est else ""
            prod.append(dict(commodity="ree", stage="mine", country=c, year=year, value=v,
                             unit="t REO", estimated=est,
                             qualifier="e" if est else "", method=method,
                             source_id="usgs_mcs2025_ree", note=notes.get(c, "")))
        if r is not None:
            bound = ">" if c == "WORLD" else ""
            res.append(dict(commodity="ree", country=c, year=2024, value=r, unit="t REO",
                            qualifier=bound, estimated=bool(bound),
                            method="published as a lower bound ('>')" if bound else "",
                            source_id="usgs_mcs2025_ree", note=notes.get(c, "")))
    return prod, res


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
            gaps.append(dict(table="import_sources", commodity=c, stage="", country="USA",
                             year=2022, reason="USGS names the major import sources 2019-2022 "
                             "in order without shares: "
                             + r["Major_Import_Sources_2019_2022"],
                             source_id="usgs_mcs2024_fig2"))
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
            out.append(dict(commodity=commodity, year=int(r["Year"]),
                            value=round(v * factor, 4), unit=unit, basis=basis,
                            estimated=int(r["Year"]) == 2023,
                            method="USGS estimate" if int(r["Year"]) == 2023 else "",
                            source_id=f"usgs_mcs2024_{code}_salient", note=""))
    # MCS 2025 rare-earths chapter: 2024 averages (Argus)
    for commodity, v, basis in (("dy", 260, "dysprosium oxide 99.5 % min, annual avg"),
                                ("ndpr", 56, "neodymium oxide 99.5 % min, annual avg (NdPr proxy)"),
                                ("tb", 810, "terbium oxide 99.99 % min, annual avg"),
                                ("ree_other", 1, "cerium oxide 99.5 % min, annual avg")):
        out.append(dict(commodity=commodity, year=2024, value=v, unit="USD/kg", basis=basis,
                        estimated=True, method="USGS estimate", source_id="usgs_mcs2025_ree",
                        note="Argus Media, Argus Non-Ferrous Markets, via USGS"))
    return out


def baci_flows(shared: Path):
    """Bilateral trade values for the HS codes of covered commodities, 2022 and 2024."""
    frames = []
    for year in (2022, 2024):
        df = pd.read_csv(shared / "trade-baci" / f"baci_{year}.csv", dtype={"cmd": str})
        df = df[df["cmd"].isin(BACI_HS)]
        frames.append(pd.DataFrame({
            "exporter": df["i"], "importer": df["j"], "hs6": df["cmd"],
            "commodity": df["cmd"].map(BACI_HS), "year": year, "value": df["value"].round(0),
            "source_id": "cepii_baci_v202601"}))
    flows = pd.concat(frames, ignore_index=True)
    flows["exporter"] = flows["exporter"].replace(BACI_AREAS)
    flows["importer"] = flows["importer"].replace(BACI_AREAS)
    valid = flows["exporter"].str.fullmatch(r"[A-Z]{3}") & flows["importer"].str.fullmatch(
        r"[A-Z]{3}")
    known = {c.alpha_3 for c in pycountry.countries}
    keep = valid & flows["exporter"].isin(known) & flows["importer"].isin(known)
    return flows[keep & (flows["value"] > 0)]


def import_shares_from_flows(flows: pd.DataFrame) -> pd.DataFrame:
    """Value shares of U.S. and Japanese imports by supplier (top 8 + OTHER), 2024."""
    rows = []
    for importer in ("USA", "JPN"):
        sub = flows[(flows["importer"] == importer) & (flows["year"] == 2024)]
        for (commodity, hs), g in sub.groupby(["commodity", "hs6"]):
            total = g["value"].sum()
            by = g.groupby("exporter")["value"].sum().sort_values(ascending=False)
            top = by.head(8)
            shares = (top / total).round(4)
            rest = round(1 - shares.sum(), 4)
            for exp, s in shares.items():
                rows.append((importer, commodity, "2024", exp, s, hs))
            if rest > 0:
                rows.append((importer, commodity, "2024", "OTHER", rest, hs))
    df = pd.DataFrame(rows, columns=["importer", "commodity", "period", "exporter", "share", "hs6"])
    df["basis"] = "value"
    df["estimated"] = True
    df["method"] = ("share of import value of HS " + df["hs6"] + " in CEPII BACI 2024"
                    + df["hs6"].map(lambda h: f" ({HS_CAVEATS[h]})" if h in HS_CAVEATS
                                    else ""))
    df["source_id"] = "cepii_baci_v202601"
    df["note"] = ""
    return df.drop(columns="hs6")


def ree_us_import_sources():
    """U.S. rare-earth compounds and metals import sources 2020-23, MCS 2025."""
    return [dict(importer="USA", commodity="ree", period="2020-2023", exporter=c, share=s,
                 basis="quantity", estimated=False, method="", source_id="usgs_mcs2025_ree",
                 note="China includes Hong Kong" if c == "CHN" else "")
            for c, s in (("CHN", 0.70), ("MYS", 0.13), ("JPN", 0.06), ("EST", 0.05),
                         ("OTHER", 0.06))]


UNIT_TO_T = {"kg": 0.001, "t": 1.0, "thousand": 1000.0, "kt": 1000.0}
PRICE_TO = {"USD/lb": (2.20462, "USD/kg"), "USD/troy oz": (32.1507, "USD/kg"),
            "USD/kg": (1.0, "USD/kg"), "USD/t": (1.0, "USD/t"),
            "USD/mtu WO3": (100.0, "USD/t"), "USD/lb V2O5": (2.20462, "USD/kg"),
            "USD/mtu Mn content": (100.0, "USD/t")}


_SOURCE_IDS: dict[str, str] = {}
SCOPES = {"NdPr_oxide": "ndpr", "Nd_oxide": "ndpr", "Dy_oxide": "dy", "Tb_oxide": "tb",
          "REE": "ree", "HREE": "dy", "NdFeB": "ndfeb_magnet", "Li2CO3": "lithium",
          "LiOH": "lithium", "Lithium": "lithium", "Cobalt": "cobalt", "Gallium": "gallium",
          "Germanium": "germanium", "Antimony": "antimony"}


def _source_id(url: str, title: str, ids: dict | None = None) -> str:
    """A stable id per source URL, shared by every table built in one run."""
    ids = _SOURCE_IDS
    if url not in ids:
        stem = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:40]
        ids[url] = f"t{len(ids) + 1:03d}_{stem}"
    return ids[url]


def mcs2025_transcriptions(raw_dir: Path):
    """2023-2024 figures transcribed from MCS 2025 chapters (files raw/mcs2025_*.csv).

    Only rows of the stage critmin uses for the commodity are kept; a (commodity, stage,
    year) group is used only when it includes a WORLD row, so it never mixes editions.
    Returns production, reserves, import_reliance, prices, import_sources, sources.
    """
    ids: dict[str, str] = {}
    src_rows, prod, res, rel, prices, shares = [], [], [], [], [], []
    for path in sorted(raw_dir.glob("mcs2025_*.csv")):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        category = df["note"].str.split("|").str[0].str.split(";").str[0].str.strip()
        share_rows = df["measure"].eq("us_import_share")
        first = category[share_rows].groupby(df.loc[share_rows, "commodity"]).transform("first")
        df = df[~share_rows | category.eq(first.reindex(df.index))]
        for r in df.to_dict("records"):
            commodity = r["commodity"]
            if commodity not in USGS_WORLD:
                continue
            stage = USGS_WORLD[commodity][6]
            sid = _source_id(r["url"], r["title"], ids)
            est = r["estimated"].strip().lower() == "true"
            base = dict(estimated=est, method="USGS estimate" if est else "", source_id=sid,
                        note=r["note"][:300])
            text = r["value"].replace(",", "").strip()
            bound = text[:1] if text[:1] in "<>" else ("E" if text == "E" else "")
            value = number(text.lstrip("<>")) if text != "E" else 0.0
            if value is None:
                continue  # W (withheld) and other codes: not a number
            if bound in "<>" and bound and r["measure"] in ("production", "reserves"):
                base["note"] = f"published as '{r['value']}' (a bound); " + base["note"]
            unit_word = r["unit"].split(" ")[0]
            if r["measure"] in ("production", "reserves") and r["stage"] in (stage, ""):
                if r["measure"] == "reserves" and commodity == "gallium":
                    continue
                v = round(value * UNIT_TO_T.get(unit_word, 1.0), 6)
                row = dict(commodity=commodity, country=r["country"], year=int(r["year"]),
                           value=v, unit=USGS_WORLD[commodity][3], **base,
                           qualifier=bound + ("e" if est else ""))
                if bound == ">":
                    row.update(estimated=True, method="published as a lower bound ('>')")
                if commodity == "platinum" and r["measure"] == "reserves":
                    row["note"] = ("all platinum-group metals (Pt, Pd, Rh, Ru, Ir, Os), not "
                                   "platinum alone; " + row["note"])
                if r["measure"] == "production":
                    prod.append(dict(stage=stage, **row))
                else:
                    res.append(row)
            elif r["measure"] == "us_net_import_reliance":
                rel.append(dict(importer="USA", commodity=commodity, year=int(r["year"]),
                                measure="net_import_reliance", value=value / 100,
                                qualifier=bound or (">" if "lower bound" in r["note"].lower()
                                                    else ""),
                                unit="share", **base))
            elif r["measure"] == "us_apparent_consumption":
                rel.append(dict(importer="USA", commodity=commodity, year=int(r["year"]),
                                measure="apparent_consumption",
                                value=round(value * UNIT_TO_T.get(unit_word, 1.0), 6),
                                qualifier="", unit="t", **base))
            elif r["measure"] == "us_import_share":
                span = re.search(r"\((\d{4})[–-](\d{2})\)", r["table"])
                period = f"{span.group(1)}-20{span.group(2)}" if span else r["year"]
                shares.append(dict(importer="USA", commodity=commodity, period=period,
                                   exporter=r["country"], share=value / 100,
                                   basis="quantity", **base))
            elif r["measure"] == "price" and r["unit"] in PRICE_TO:
                factor, unit = PRICE_TO[r["unit"]]
                basis = (r["note"].split("|")[0].strip() or r["table"])[:120]
                prices.append(dict(commodity=commodity, year=int(r["year"]),
                                   value=round(value * factor, 4), unit=unit,
                                   basis=f"{basis} ({r['unit']} x {factor:g})"
                                   if factor != 1 else basis, **base))
            publisher, table = r["publisher"], r["table"]
            if "periodic-atlas" in r["url"]:
                publisher += " (MCS 2025 as quoted by nwyin/periodic-atlas)"
            pdf = re.search(r"\((https://pubs\.usgs\.gov/[^)\s]+\.pdf)\)", r["note"])
            src_rows.append(dict(source_id=sid, publisher=publisher, title=r["title"],
                                 table=table, year=int(r["source_year"] or 2025),
                                 url=pdf.group(1) if pdf else r["url"],
                                 licence="public domain (USGS)",
                                 note="values read from the pdftotext copy " + r["url"]
                                      + "; 194/194 checked against MCS 2025 by the audit"))
    prod_df = pd.DataFrame(prod)
    if len(prod_df):
        keys = ["commodity", "stage", "year"]
        has_world = prod_df.groupby(keys)["country"].transform(lambda c: c.eq("WORLD").any())
        prod_df = prod_df[has_world]
    sources_df = pd.DataFrame(src_rows).drop_duplicates("source_id")
    rel = pd.DataFrame(rel).drop_duplicates(["commodity", "year", "measure"]).to_dict("records")
    return prod_df, pd.DataFrame(res), rel, prices, shares, sources_df


EU_MATERIALS = {  # EU 2023 study material -> covered commodities
    "LREE (incl. Nd, Pr)": ["ndpr", "ree_other", "la", "ce", "nd", "pr", "sm"],
    "HREE (incl. Dy, Tb)": ["dy", "tb", "eu", "gd", "ho", "er", "tm", "yb", "lu", "y"],
    "Lithium": ["lithium"], "Cobalt": ["cobalt"], "Nickel": ["nickel"],
    "Natural graphite": ["graphite"], "Manganese": ["manganese"], "Gallium": ["gallium"],
    "Germanium": ["germanium"], "Antimony": ["antimony"], "Tungsten": ["tungsten"],
    "Magnesium": ["magnesium"], "Indium": ["indium"], "Tellurium": ["tellurium"],
    "Bismuth": ["bismuth"], "Molybdenum": ["molybdenum"], "Vanadium": ["vanadium"],
    "Aluminium": ["aluminum", "alumina", "bauxite"], "Arsenic": ["arsenic"],
    "Baryte": ["barite"], "Beryllium": ["beryllium"], "Boron": ["boron"],
    "Chromium": ["chromium"], "Coking coal": ["met_coal"], "Copper": ["copper"],
    "Feldspar": ["feldspar"], "Fluorspar": ["fluorspar"], "Hafnium": ["hafnium"],
    "Helium": ["helium"], "Lead": ["lead"], "Niobium": ["niobium"],
    "Phosphate rock": ["phosphate"], "Phosphorus": ["phosphorus"], "Potash": ["potash"],
    "Rhenium": ["rhenium"], "Scandium": ["scandium"], "Silicon metal": ["silicon"],
    "Silver": ["silver"], "Strontium": ["strontium"], "Tantalum": ["tantalum"],
    "Tin": ["tin"], "Titanium": ["ilmenite", "rutile"], "Titanium metal": ["titanium"],
    "Zinc": ["zinc"], "Zirconium": ["zirconium"],
}
LIST_NAMES = {  # lower-case list wording -> covered commodities
    "rare earth elements": ["ndpr", "dy", "tb", "ree_other", "ree"],
    "rare earths": ["ndpr", "dy", "tb", "ree_other", "ree"],
    "light rare earth elements": ["ndpr", "ree_other", "ree"],
    "heavy rare earth elements": ["dy", "tb", "ree"], "neodymium": ["nd", "ndpr", "ree"],
    "praseodymium": ["pr", "ndpr", "ree"], "dysprosium": ["dy", "ree"], "terbium": ["tb", "ree"],
    "graphite": ["graphite"],
    "natural graphite": ["graphite"],
    "platinum group metals": ["platinum", "palladium", "iridium", "rhodium", "ruthenium"],
    "aluminum": ["aluminum", "alumina", "bauxite"], "aluminium": ["aluminum", "alumina",
                                                                  "bauxite"],
    "baryte": ["barite"], "boron/borate": ["boron"], "phosphate rock": ["phosphate"],
    "silicon metal": ["silicon"], "titanium": ["ilmenite", "rutile", "titanium"],
    "titanium metal": ["titanium"], "coking coal": ["met_coal"],
    "metallurgical coal": ["met_coal"],
    "platinum": ["platinum"], "palladium": ["palladium"], "magnesium": ["magnesium"],
    "nickel": ["nickel"], "nickel – battery grade": ["nickel"],
    "nickel - battery grade": ["nickel"],
    **{name.lower(): [el, "ree_other", "ree"] for el, (name, _) in REE_ELEMENTS.items()
       if el not in ("nd", "pr")},
}


LIST_TABLES = {"EU_2023": "Regulation (EU) 2024/1252, Annex II, Section 1 (critical raw materials)",
               "USGS_2025": "Final 2025 List of Critical Minerals (Federal Register 2025-19813)",
               "USGS_2022": "2022 Final List of Critical Minerals (87 FR 10381)"}


def criticality_inputs(raw_dir: Path):
    """WGI governance estimates, EU 2023 SR/EI, official lists (transcribed in raw/)."""
    ids: dict[str, str] = {}
    srcs, gov, eu, lists = [], [], [], []
    w = pd.read_csv(raw_dir / "wgi.csv", dtype=str, keep_default_na=False)
    w = w[w["indicator"].isin(["VA", "PV", "GE", "RQ", "RL", "CC"])]
    for r in w.to_dict("records"):
        sid = _source_id(r["url"], "world bank wgi", ids)
        gov.append(dict(country=r["country"], year=int(r["year"]), indicator=r["indicator"],
                        value=float(r["value"]), source_id=sid))
        srcs.append(dict(source_id=sid, publisher="World Bank", title="Worldwide Governance "
                         "Indicators, 2024 update (estimates)", table=r["title"][:200],
                         year=2024, url=r["url"], licence="CC BY 4.0",
                         note="raw copy of the World Bank download in a public repository"))
    e = pd.read_csv(raw_dir / "eu_crm.csv", dtype=str, keep_default_na=False)
    for r in e.to_dict("records"):
        sid = _source_id(r["url"], "eu crm 2023", ids)
        for material, commodities in EU_MATERIALS.items():
            if r["material"] == material or (material == "PGMs" and r["material"].startswith(
                    "PGMs")):
                for c in commodities:
                    eu.append(dict(study="EU_2023", commodity=c, material=r["material"],
                                   supply_risk=float(r["sr"]),
                                   economic_importance=float(r["ei"]), source_id=sid,
                                   note="unofficial transcription; check against the PDF"))
        if r["material"].startswith("PGMs"):
            for c in ("platinum", "palladium", "iridium", "rhodium", "ruthenium"):
                eu.append(dict(study="EU_2023", commodity=c, material="PGMs",
                               supply_risk=float(r["sr"]), economic_importance=float(r["ei"]),
                               source_id=sid, note="PGM group value; unofficial transcription"))
        srcs.append(dict(source_id=sid, publisher="European Commission",
                         title="Study on the Critical Raw Materials for the EU 2023 - Final "
                               "Report", table="supply risk (SR) and economic importance (EI)",
                         year=2023, url=r["url"], licence="",
                         note="values transcribed in a public repository; verify with the PDF"))
    c = pd.read_csv(raw_dir / "critical_lists.csv", dtype=str, keep_default_na=False)
    for r in c.to_dict("records"):
        name = r["material"].strip().lower()
        commodities = LIST_NAMES.get(name) or (
            [name] if name in USGS_WORLD or name in LIST_COMMODITIES else [])
        sid = _source_id(r["url"], f"{r['list']} critical list", ids)
        for cm in commodities:
            lists.append(dict(list=r["list"], commodity=cm, listed_as=r["material"],
                              source_id=sid))
        srcs.append(dict(source_id=sid, publisher={"EU_2023": "European Commission"}.get(
            r["list"], "U.S. Geological Survey"), title=f"{r['list']} critical minerals list",
            table=LIST_TABLES.get(r["list"], ""), year=int(r["list"][-4:]), url=r["url"],
            licence="", note=r["note"][:800]))
    lists_df = pd.DataFrame(lists).drop_duplicates(["list", "commodity"])
    return (pd.DataFrame(gov), pd.DataFrame(eu).drop_duplicates(["study", "commodity"]),
            lists_df, pd.DataFrame(srcs).drop_duplicates("source_id"))


def _num(text: str) -> tuple[float | None, float | None, float | None]:
    """Central value, low and high of a parameter cell such as '55-57' or '60 (42+18)'."""
    t = text.split("(")[0].strip().replace(",", "")
    m = re.fullmatch(r"([<>]?)(-?\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?", t)
    if not m:
        return None, None, None
    low = float(m.group(2))
    high = float(m.group(3)) if m.group(3) else None
    if high is not None:
        return (low + high) / 2, low, high
    return low, None, None


def parameters_from_notes(raw_dir: Path):
    """Parameters from the project's research notes (../shared/data/parameters.csv)."""
    ids: dict[str, str] = {}
    rows, srcs = [], []
    df = pd.read_csv(raw_dir / "parameters_notes.csv", dtype=str, keep_default_na=False)
    for r in df.to_dict("records"):
        value, low, high = _num(r["value"])
        if value is None:
            continue
        fact = r["status"] in ("V", "S", "V/S", "V-low")
        url = r["source"] if r["source"] not in ("same", "") else rows[-1]["_url"]
        sid = _source_id(url, r["parameter"], ids)
        note = f"published as '{r['value']}'" if r["value"] != str(value) else ""
        if r["status"] in ("S", "V/S", "V-low"):
            note = (note + "; secondary or low-confidence source").strip("; ")
        scope = SCOPES.get(r["commodity"], r["commodity"])
        rows.append(dict(scope=scope, parameter=r["parameter"], value=value, low=low,
                         high=high, unit=r["unit"] or "-", status="fact" if fact else "estimate",
                         method="" if fact else f"research-notes status '{r['status']}': "
                         "derived or prior, see ../shared/data/policy-notes.md",
                         source_id=sid, note=note, _url=url))
        srcs.append(dict(source_id=sid, publisher=_publisher(url),
                         title=f"cited for {r['commodity']} {r['parameter']}",
                         table="", year=2025, url=url, licence="",
                         note="cited in critmin research notes (parameters.csv)"))
    out = pd.DataFrame(rows).drop(columns="_url").drop_duplicates(["scope", "parameter"])
    return out, pd.DataFrame(srcs).drop_duplicates("source_id")


def _publisher(url: str) -> str:
    m = re.search(r"https?://(?:www\.)?([^/]+)", url)
    return m.group(1) if m else url[:60]


def japan_rows(net_production: pd.DataFrame):
    """Japan: REE import share (Metalnomist, H1 2024) and mine-stage reliance where Japan
    has no mine output in the USGS world tables."""
    shares = [dict(importer="JPN", commodity="ree", period="2024-H1", exporter="CHN",
                   share=0.796, basis="quantity", estimated=False, method="",
                   source_id="metalnomist_2024_jpn_ree", note="9,898 t imported in H1 2024"),
              dict(importer="JPN", commodity="ree", period="2024-H1", exporter="OTHER",
                   share=0.204, basis="quantity", estimated=True,
                   method="remainder of 100 %", source_id="metalnomist_2024_jpn_ree", note="")]
    reliance = []
    mine = net_production[net_production["stage"] == "mine"].copy()
    mine["year"] = pd.to_numeric(mine["year"])
    for commodity, g in mine.groupby("commodity"):
        year = int(g["year"].max())
        latest = g[g["year"] == year]
        if "JPN" in set(latest["country"]) or (commodity not in USGS_WORLD
                                                and commodity not in LIST_COMMODITIES):
            continue
        reliance.append(dict(importer="JPN", commodity=commodity, year=year,
                             measure="net_import_reliance", value=1.0, qualifier="",
                             unit="share", estimated=True,
                             method="Japan has no mine production in the USGS world table, so "
                                    "all ore/concentrate is imported (mine stage only)",
                             source_id=latest["source_id"].iloc[0], note="mine stage"))
    return shares, reliance


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


SHARES_FROM_PRODUCTION = [  # (scope, parameter, commodity, stage, country, year)
    ("antimony", "China_share_mine_2023", "antimony", "mine", "CHN", 2023),
    ("cobalt", "DRC_share_world_2024", "cobalt", "mine", "COD", 2024),
]
VALUES_FROM_PRODUCTION = [("cobalt", "DRC_output_2024", "cobalt", "mine", "COD", 2024)]
DROPPED_PARAMETERS = {  # facts another table holds; one value per fact
    ("ndfeb_magnet", "China_production_2024"): "production ndfeb_magnet/product/CHN/2024",
    ("stockpile_JP", "target_days"): "stockpiles JOGMEC target_days 60 (42 + 18, max 180)",
    ("stockpile_US_Vault", "target_days"): "stockpiles Project Vault target_days 60",
    ("stockpile_US_Vault", "financing"): "stockpiles Project Vault budget USD 11.67 bn",
}


def one_value_per_fact(params: pd.DataFrame, prod: pd.DataFrame) -> pd.DataFrame:
    """Parameters that restate a production fact take the production table's value and
    source (shares against the published WORLD total); duplicates of production rows go."""
    p = prod.assign(year=prod["year"].astype(int), value=prod["value"].astype(float))
    get = p.set_index(["commodity", "stage", "country", "year"])
    params = params[[(s, n) not in DROPPED_PARAMETERS
                     for s, n in params[["scope", "parameter"]].itertuples(index=False)]]
    params = params.set_index(["scope", "parameter"])
    for scope, name, c, stage, country, year in SHARES_FROM_PRODUCTION:
        num, den = get.loc[(c, stage, country, year)], get.loc[(c, stage, "WORLD", year)]
        params.loc[(scope, name), ["value", "low", "high", "unit", "status", "method",
                                   "source_id", "note"]] = [
            round(num["value"] / den["value"], 4), None, None, "share", "estimate",
            f"{country} / WORLD {stage} production {year} as published "
            f"({num['value']:,.0f} / {den['value']:,.0f} t)", num["source_id"],
            "derived from the production table (one value per fact)"]
    for scope, name, c, stage, country, year in VALUES_FROM_PRODUCTION:
        r = get.loc[(c, stage, country, year)]
        params.loc[(scope, name), ["value", "low", "high", "unit", "status", "method",
                                   "source_id", "note"]] = [
            r["value"], None, None, r["unit"], "fact", "", r["source_id"],
            "same value as the production table (one value per fact)"]
    return params.reset_index()


DYTB_GAPS = [  # (table, commodity, stage, country, years, reason, source)
    ("production", "dy", "mine", "WORLD", (2022, 2023, 2024),
     "USGS MCS gives rare-earth mine output only as total REO by country; no publisher read "
     "by critmin gives dysprosium mine output by country for 2022-2024 (the only split "
     "shipped is JRC RMIS for 2021)", "usgs_mcs2025_ree"),
    ("production", "tb", "mine", "WORLD", (2022, 2023, 2024),
     "USGS MCS gives rare-earth mine output only as total REO by country; no publisher read "
     "by critmin gives terbium mine output by country for 2022-2024", "usgs_mcs2025_ree"),
    ("production", "dy", "mine", "OTHER", (2021,), "JRC RMIS names only the three largest "
     "producers (China, Myanmar, Australia: 91 % of world output); the other 9 % is not "
     "attributed to countries", "jrc_rmis_dy_2021"),
    ("reserves", "dy", "", "WORLD", (2024,), "USGS reserves are total REO; no dysprosium "
     "reserves by country are published in the sources read", "usgs_mcs2025_ree"),
    ("reserves", "tb", "", "WORLD", (2024,), "USGS reserves are total REO; no terbium "
     "reserves by country are published in the sources read", "usgs_mcs2025_ree"),
    *[("import_sources", el, "", imp, (2024,),
       f"{'Japan' if imp == 'JPN' else 'U.S.'} imports of {name} by origin: HS 2805.30 and "
       "2846 mix the rare earths (no Dy/Tb line) and are not in the BACI extract; customs "
       "data by element not found", "cepii_baci_v202601")
      for el, name in (("dy", "dysprosium"), ("tb", "terbium")) for imp in ("JPN", "USA")],
]
NOTE_GAPS = [  # open items of the research notes in tools/curated/raw/*gaps.md
    ("import_sources", "gallium", "", "JPN", 2024, "Japan's gallium imports by origin not "
     "found (research_b_gaps.md); HS 811292 mixes Ga, Hf, In, Nb, Re, Tl", "cepii_baci_v202601"),
    ("import_sources", "germanium", "", "JPN", 2024, "Japan's germanium imports by origin not "
     "found (research_b_gaps.md); HS 8112 (Ge) not in the BACI extract", "cepii_baci_v202601"),
    *[("import_reliance", c, "", "JPN", 2024, "Japan's net import reliance not published in "
       "the sources read (research_b_gaps.md; JOGMEC material-flow reports not in the stored "
       "corpus); critmin computes it from BACI trade where the extract has the HS code and a "
       "production table covers the stage (tools/trade_reliance.py)",
       "usgs_mcs2025_ree") for c in ("ree", "cobalt", "nickel", "gallium", "germanium",
                                     "tungsten", "antimony")],
    ("production", "germanium", "refining", "WORLD", 2024, "MCS 2025 (Germanium) prints no "
     "refinery table: 'Because most producers do not publicly report germanium production, "
     "global production data were limited'; the MCS 2024 release prints NA/W for every "
     "country; 2022 volumes are USGS estimates (stage data); no other publisher's 2023-2024 "
     "volumes found (market-research figures only; mcs2025_b_gaps.md)", "usgs_mcs2025_germanium"),
    ("production", "nickel", "refining", "WORLD", 2024, "MCS 2025 (Nickel) tabulates mine "
     "output only; refined nickel by country (USGS Minerals Yearbook, INSG) not found in the "
     "sources read", "usgs_mcs2025_nickel"),
    *[("production", c, "refining", "WORLD", 2024, f"USGS MCS 2026 ({name}) tabulates mine "
       "output only; no refined-output table by country was read (the IEA GCMO 2025 China "
       "refining share was only seen in a summary the source audit removed)", sid)
      for c, name, sid in (("lithium", "Lithium", "usgs_mcs2026_lithium"),
                           ("graphite", "Graphite (Natural)", "usgs_mcs2026_graphite"))],
    ("production", "cobalt", "refining", "WORLD", 2024, "MCS 2025 cobalt chapter has no "
     "refinery production by country (mcs2025_a_gaps.md)", "usgs_mcs2025_cobalt"),
    ("import_reliance", "indium", "", "USA", 2024, "MCS 2025 gives U.S. indium consumption "
     "as an estimate (219 t in 2023, 250 t in 2024e, the reliance base), not apparent "
     "consumption; critmin ships the reliance only (mcs2025_b_gaps.md)", "usgs_mcs2025_indium"),
    ("reserves", "platinum", "", "WORLD", 2024, "USGS publishes reserves for all PGMs "
     "together; platinum-only reserves do not exist in the source", "usgs_mcs2025_platinum_group"),
    ("stage_shares", "li_ion_cell", "product", "WORLD", 2024, "battery cell output shares of "
     "Korea, Japan, Poland, Hungary and the U.S. not found (midstream_gaps.md)",
     "cepii_baci_v202601"),
    ("bom", "cathode", "", "WORLD", 2024, "kg of Li/Co/Ni/Mn per kWh by chemistry (NMC811, "
     "NMC622, LFP) not found verbatim (midstream_gaps.md)", "cepii_baci_v202601"),
    ("production", "ndpr", "", "WORLD", 2024, "NdPr balance 2024: 288,900 t of "
     "magnets (WORLD row) x 351.3 kg NdPr oxide per t (bom, sintered typical) = 101,490 t, "
     "above the 75,000 t WORLD row. The WORLD row counts primary oxide only (quotas, imported "
     "feed, Lynas, MP); it leaves out oxide recovered from magnet scrap: 26,504 t PrNd oxide "
     "in China in 2024 (31,730 t in 2023), scrap being 25-30 % of China's magnet output "
     "(Argus, citing Ji'an Xintai). 75,000 + 26,504 = 101,504 t: the two agree if the magnet "
     "tonnage counts blanks whose machining swarf is recycled. No recycled-oxide row is "
     "shipped and no scrap estimate is added; the 288,900 t (SMM forecast / ~90 % China "
     "share) and 351.3 kg/t (29-32.5 wt % RE) are themselves approximate",
     "argus_2025_ree_recycling"),
    ("projects", "ndfeb_magnet", "product", "JPN", 2025, "Shin-Etsu Takefu (Japan) magnet "
     "plant: no capacity or capex published in the sources read (projects_ree_gaps.md)",
     "cepii_baci_v202601"),
]


def narrative_gaps(eu_source: str, eu_commodities: list[str]) -> list[dict]:
    """Gaps rows for Dy/Tb data, the research notes' open items and the EU study fields."""
    rows = [dict(table=t, commodity=c, stage=st, country=cc, year=y, reason=why, source_id=src)
            for t, c, st, cc, years, why, src in DYTB_GAPS for y in years]
    rows += [dict(table=t, commodity=c, stage=st, country=cc, year=y, reason=why,
                  source_id=src) for t, c, st, cc, y, why, src in NOTE_GAPS]
    rows += [dict(table="criticality_studies", commodity=c, stage="", country="WORLD",
                  year=2023, reason="EU 2023 study: end-of-life recycling input rate (EOL-RIR) "
                  "and substitution index (SI_SR) not found in a readable copy "
                  "(research_b_gaps.md); critmin uses its defaults", source_id=eu_source)
             for c in eu_commodities]
    return rows


def coverage_gaps(out: Path, lists: pd.DataFrame) -> list[dict]:
    """One gaps row per listed commodity and missing item: production (none, or none for
    2024), reserves, 2024 price, U.S. net import reliance, U.S. import sources."""
    t = {n: pd.read_csv(out / f"{n}.csv", dtype=str, keep_default_na=False) for n in (
        "commodities", "production", "reserves", "prices", "import_reliance",
        "import_sources", "gaps")}
    src = t["commodities"].set_index("commodity")["source_id"]
    gapped = set(zip(t["gaps"]["table"], t["gaps"]["commodity"], strict=True))
    exact = set(zip(t["gaps"]["table"], t["gaps"]["commodity"], t["gaps"]["country"],
                    t["gaps"]["year"], strict=True))
    rows = []
    for c in sorted(set(lists["commodity"]) & set(src.index)):
        def gap(table, year, reason, stage="", country="WORLD", c=c, each_year=False):
            if (table, c) not in gapped or (
                    each_year and (table, c, country, str(year)) not in exact):
                rows.append(dict(table=table, commodity=c, stage=stage, country=country,
                                 year=year, reason=reason, source_id=src[c]))
        prod = t["production"][t["production"]["commodity"] == c]
        parent = t["commodities"].set_index("commodity")["parent"].get(c, "")
        if prod.empty:
            gap("production", 2024, NO_PRODUCTION.get(c) or (
                REE_SPLIT_GAP if parent == "ree" else "no source transcribed"),
                each_year=True)
        elif "2024" not in set(prod["year"]):
            gap("production", 2024, "2024 (USGS MCS 2025) not transcribed for this commodity; "
                "latest year shipped is " + max(prod["year"]))
        else:
            latest = prod[prod["year"].eq(max(prod["year"]))]
            if not latest["country"].eq("WORLD").any():
                gap("production", int(max(prod["year"])), "no published world total for the "
                    "latest year" + (": USGS prints XX because countries report different "
                                     "forms; shares over the country sum mix forms"
                                     if c in FORM_BY_COUNTRY else ""), each_year=True)
        if t["reserves"]["commodity"].eq(c).sum() == 0:
            gap("reserves", 2024, RESERVE_GAPS.get(c) or (
                "USGS publishes rare-earth reserves as total REO only" if parent == "ree" else
                "USGS MCS 2025 gives no reserves for this commodity (quantitative reserve "
                "estimates not available)"), each_year=True)
        if not (t["prices"]["commodity"].eq(c) & t["prices"]["year"].eq("2024")).any():
            gap("prices", 2024, PRICE_GAPS.get(c) or (REE_PRICE_GAP if parent == "ree" else
                "2024 price (USGS MCS 2025) not transcribed")
                + "; latest year shipped: " + (max(t["prices"].loc[
                    t["prices"]["commodity"] == c, "year"], default="none")))
        rel = t["import_reliance"]
        if not (rel["commodity"].eq(c) & rel["importer"].eq("USA")).any() and parent != "ree":
            gap("import_reliance", 2023, "USGS publishes no U.S. net import reliance for this "
                "commodity in the MCS 2024 release", country="USA")
        if not (t["import_sources"]["commodity"].eq(c)
                & t["import_sources"]["importer"].eq("USA")).any():
            gap("import_sources", 2024, IMPORT_SOURCE_GAPS.get(c) or (
                "no U.S. import shares by origin: not in MCS tables read and no matching HS "
                "code in the BACI extract"), country="USA")
    return rows


PRIMARY_HOSTS = (  # the publisher's own site: statistics offices, agencies, companies, PRAs
    "doi.org/", "usgs.gov", "cepii.fr", "iea.org", "europa.eu", "sec.gov",
    "govinfo.gov", "nrel.gov", "jogmec.go.jp", "jsnm.or.jp", "cobaltinstitute.org",
    "scio.gov.cn", "argusmedia.com", "fastmarkets.com", "news.metal.com", "metalnomist.com",
    "adamasintel.com", "projectblue.com", "theprojectbluegroup.com", "spglobal.com",
    "kallanish.com", "shinetsu.co.jp", "piedmontlithium.com", "latrobemagnesium.com",
    "umicore.com", "toyota-tsusho.com", "hastingstechmetals.com", "noveon.co",
    "businesswire.com", "couragemagnet.com", "osencmagnet.com", "xinhuimagnet.com",
    "seaisi.org", "mmta.co.uk", "mpmaterials.com", "lynasrareearths.com", "iluka.com",
    "almonty.com", "perpetuaresources.com", "wa.gov.au", "federalregister.gov",
    "pubs.usgs.gov", "whitehouse.gov", "energy.gov", "meti.go.jp", "mofcom.gov.cn",
    "newswire.ca", "albemarle.com", "ucore.com", "arultd.com",  # company releases and pages
    "issuu.com/apmgraphics/docs/lyc_",  # Lynas annual reports as published by their designer
)
SECONDARY_MARKERS = ("quoted", "copy", "copied", "via ", "summarised", "summary on", "mirror",
                     "derived",
                     "research notes", "third-party", "as reproduced", "transcribed in")


def primary_flag(row: dict) -> bool:
    """True when the cited document is the publisher's own (agency, company, price
    reporter); False for a copy, quotation or summary on someone else's site."""
    text = f"{row.get('publisher', '')} {row.get('title', '')}".lower()
    if any(m in text for m in SECONDARY_MARKERS):
        return False
    url = str(row.get("url", "")).lower()
    return any(h in url for h in PRIMARY_HOSTS)


def flag_primary_sources() -> None:
    """Fill `primary` for every source row, including those other build steps added."""
    path = OUT / "sources.csv"
    src = pd.read_csv(path, dtype=str, keep_default_na=False)
    src["primary"] = [str(primary_flag(r)).lower() for r in src.to_dict("records")]
    src.to_csv(path, index=False, lineterminator="\n")


def write(name: str, rows, columns: list[str]) -> None:
    df = pd.DataFrame(rows)
    df = df.reindex(columns=columns)
    df.to_csv(OUT / f"{name}.csv", index=False, lineterminator="\n")
    print(f"{name}: {len(df)} rows")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    from critmin.data.schemas import TABLES

    prod, res, gaps = usgs_world(args.shared)
    # MCS 2025 supersedes MCS 2024 for rare earths in 2023; keep MCS 2024 for 2022
    prod = [p for p in prod if not (p["commodity"] == "ree" and p["year"] == 2023)]
    res = [r for r in res if r["commodity"] != "ree"]
    p25, r25 = ree_mcs2025()
    prod += p25
    res += r25
    t_prod, t_res, t_rel, t_prices, t_shares, t_sources = mcs2025_transcriptions(CURATED / "raw")
    w_prod, w_res, w_sources = mcs2025_world(CURATED / "raw" / "usgs_mcs2025_world.csv")
    q_prod, q_res, q_sources = mcs2025_quoted(CURATED / "raw" / "usgs_mcs2025_quoted.csv")
    w_prod, w_res = w_prod + q_prod, w_res + q_res
    w_sources = pd.concat([w_sources, q_sources, mcs2025_side_sources(CURATED / "raw")],
                          ignore_index=True).drop_duplicates("source_id")
    prod = latest_edition(prod, w_prod, ["commodity", "stage", "country", "year"])
    covered = {(r["commodity"], r["stage"]) for r in w_prod}
    t_prod = t_prod[[(c, st) not in covered for c, st in
                     t_prod[["commodity", "stage"]].itertuples(index=False)]]
    if len(t_prod):
        newer = set(map(tuple, t_prod[["commodity", "stage", "year"]].to_numpy()))
        prod = [p for p in prod if (p["commodity"], p["stage"], p["year"]) not in newer]
        prod += t_prod.to_dict("records")
    release = mcs2026_merge.load()
    prod, res, gaps = mcs2026_merge.world(release, prod, res, gaps, unit_of)
    res_covered = {r["commodity"] for r in w_res}
    res += [r for r in t_res.to_dict("records") if r["commodity"] not in res_covered] + w_res
    transcribed = set(t_sources["source_id"])  # raw/mcs2025_*.csv: cited only where used
    t_sources = pd.concat([t_sources, w_sources], ignore_index=True)
    curated = {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False)
               for p in sorted(CURATED.glob("*.csv"))}
    prod_df = pd.DataFrame(prod)
    if "production" in curated:
        extra = curated["production"]
        key = ["commodity", "stage", "country", "year"]
        prod_df["year"] = prod_df["year"].astype(str)
        prod_df = pd.concat([prod_df, extra]).drop_duplicates(key, keep="last")
    gaps_df = pd.DataFrame(gaps)
    if len(gaps_df):
        have = set(map(tuple, prod_df[["commodity", "stage", "country", "year"]].astype(str)
                       .to_numpy()))
        gaps_df = gaps_df[[tuple(map(str, k)) not in have for k in
                           gaps_df[["commodity", "stage", "country", "year"]].to_numpy()]]
    flows = baci_flows(args.shared)
    jp_shares, _mine_only = japan_rows(prod_df)  # reliance: tools/trade_reliance.py
    gov, eu, lists, crit_sources = criticality_inputs(CURATED / "raw")
    params, param_sources = parameters_from_notes(CURATED / "raw")
    shares = pd.concat([pd.DataFrame(ree_us_import_sources()), pd.DataFrame(t_shares),
                        pd.DataFrame(jp_shares),
                        import_shares_from_flows(flows)], ignore_index=True)
    shares = shares[~((shares["importer"] == "USA") & (shares["commodity"] == "ree")
                      & (shares["period"] == "2024"))]
    m_rel, m_shares = mcs2025_trade(CURATED / "raw" / "usgs_mcs2025_trade.csv")
    read = {(r["commodity"], r["period"]) for r in m_shares}  # the chapter text wins
    shares = shares[[not (i == "USA" and (c, p) in read) for i, c, p in
                     shares[["importer", "commodity", "period"]].itertuples(index=False)]]
    shares = pd.concat([shares, pd.DataFrame(m_shares)], ignore_index=True)
    newer_rel = {(r["commodity"], r["year"], r["measure"]) for r in m_rel}
    reliance = [r for r in us_reliance(args.shared) + t_rel
                if not (r["importer"] == "USA"
                        and (r["commodity"], r["year"], r["measure"]) in newer_rel)] + m_rel
    have = {r["commodity"] for r in reliance if r["importer"] == "USA"
            and r["measure"] == "net_import_reliance"}
    fig2_rel, fig2_gaps = fig2_reliance(args.shared, have)
    reliance += fig2_rel
    with_shares = set(shares.loc[shares["importer"] == "USA", "commodity"])
    gaps_df = pd.concat([gaps_df, pd.DataFrame(
        [g for g in fig2_gaps if g["commodity"] not in with_shares])], ignore_index=True)
    all_prices, price_gaps = mcs2026_merge.prices(
        release, us_prices(args.shared) + primary_prices(t_prices) + curated.pop(
            "prices").to_dict("records"))
    reliance = mcs2026_merge.reliance(release, reliance + curated.pop(
        "import_reliance").to_dict("records"))
    units = {c: unit_of(c) for c in set(prod_df["commodity"]) if c in USGS_WORLD
             or c in LIST_COMMODITIES}
    t_rows, t_gaps = trade_reliance.rows(flows, prod_df, pd.DataFrame(all_prices), units)
    reliance += t_rows
    gaps_df = pd.concat([gaps_df, pd.DataFrame(t_gaps)], ignore_index=True)
    lists = mcs2026_merge.critical_list(release, lists)
    gaps_df = pd.concat([gaps_df, pd.DataFrame(price_gaps)], ignore_index=True)
    for name, rows in (("production", prod_df), ("reserves", res), ("gaps", gaps_df),
                       ("import_reliance", reliance),
                       ("governance", gov), ("criticality_studies", eu),
                       ("critical_lists", lists),
                       ("prices", all_prices),
                       ("flows", flows),
                       ("import_sources", shares)):
        frame = pd.DataFrame(rows)
        if name in curated and name != "production":
            frame = pd.concat([frame, curated[name]], ignore_index=True)
            frame = frame.drop_duplicates(list(TABLES[name].key), keep="last")
        write(name, frame, TABLES[name].names)
    commodities = [dict(commodity=c, name=v[1], group=v[2], unit=v[3], basis=v[4], parent="",
                        hs_codes=v[5], source_id=f"usgs_mcs2024_{v[0]}")
                   for c, v in USGS_WORLD.items()]
    commodities += [dict(commodity=c, name=n, group=g, unit=u, basis=b, parent=p, hs_codes=h,
                         source_id="usgs_mcs2025_ree" if g == "rare_earths"
                         else "cepii_baci_v202601")
                    for c, n, g, u, b, p, h in DERIVED_COMMODITIES]
    list_src = lists.groupby("commodity")["source_id"].min().to_dict()
    for c, (n, g, u, b, h) in LIST_COMMODITIES.items():
        code = next((s[1].strip("_") for s in SERIES if s[0] == c), None)
        commodities.append(dict(commodity=c, name=n, group=g, unit=u, basis=b, parent="",
                                hs_codes=h, source_id=f"usgs_mcs2024_{code}" if code
                                else list_src[c]))
    for c, (n, oxide) in REE_ELEMENTS.items():
        commodities.append(dict(commodity=c, name=n, group="rare_earths", unit="t REO",
                                basis=oxide, parent="ree", hs_codes="280530",
                                source_id=list_src[c]))
    commodities += mcs2026_merge.new_commodities()
    write("commodities", commodities, TABLES["commodities"].names)
    cited = set().union(*(set(pd.DataFrame(t).get("source_id", pd.Series(dtype=str)))
                          for t in (prod_df, res, reliance, shares, params, flows,
                                    all_prices)))
    t_sources = t_sources[~t_sources["source_id"].isin(transcribed - cited)]
    all_sources = pd.concat([pd.DataFrame(sources()), t_sources, crit_sources, param_sources,
                             pd.DataFrame(mcs2026_merge.sources(release))],
                            ignore_index=True).drop_duplicates("source_id")
    write("sources", all_sources, TABLES["sources"].names)
    units = {c: v[3] for c, v in USGS_WORLD.items()}
    units.update({c: u for c, _, _, u, _, _, _ in DERIVED_COMMODITIES})
    projects, project_gaps, project_sources = projects_from_raw(CURATED / "raw", units)
    write("projects", projects, TABLES["projects"].names)
    eu_src = eu["source_id"].iloc[0]
    gaps_all = pd.concat([pd.read_csv(OUT / "gaps.csv"), pd.DataFrame(project_gaps),
                          pd.DataFrame(narrative_gaps(eu_src, sorted(set(eu["commodity"]))))],
                         ignore_index=True)
    said = set(map(tuple, gaps_all[["table", "commodity", "country", "year"]].astype(str)
                   .to_numpy()))
    coverage = [g for g in coverage_gaps(OUT, lists)  # where no other row says why already
                if (g["table"], g["commodity"], g["country"], str(g["year"])) not in said]
    gaps_all = pd.concat([gaps_all, pd.DataFrame(coverage)],
                         ignore_index=True).drop_duplicates(list(TABLES["gaps"].key))
    write("gaps", gaps_all, TABLES["gaps"].names)
    all_sources = pd.concat([all_sources, project_sources],
                            ignore_index=True).drop_duplicates("source_id")
    write("sources", all_sources, TABLES["sources"].names)
    params = pd.concat([params, curated["parameters"]], ignore_index=True).drop_duplicates(
        ["scope", "parameter"], keep="last")
    write("parameters", one_value_per_fact(params, prod_df), TABLES["parameters"].names)
    for name in ("bom", "stage_shares", "export_restrictions"):
        if name in curated:
            write(name, curated[name], TABLES[name].names)
    __import__("build_episodes").build()  # episode tables + their sources/gaps rows
    flag_primary_sources()
    __import__("build_stages").build()  # stages, by-products, Japan (tools/build_stages.py)
    for name, sub in (("gaps", "impact"), ("sources", "impact"), ("gaps", "audit")):
        # rows of other builds (impact) and of the source audit (rows removed, and why)
        extra = pd.read_csv(CURATED / sub / f"{name}.csv", dtype=str, keep_default_na=False)
        shipped = pd.read_csv(OUT / f"{name}.csv", dtype=str, keep_default_na=False)
        write(name, pd.concat([shipped, extra], ignore_index=True).drop_duplicates(
            list(TABLES[name].key)), TABLES[name].names)
    source_audit.apply(OUT, {n: t.names for n, t in TABLES.items()})  # kinds; no bad sources


def sources():
    rows = [dict(source_id="usgs_mcs2025_ree", publisher="U.S. Geological Survey",
                 title="Mineral Commodity Summaries 2025 - Rare Earths", table=(
                     "Salient Statistics-United States; Import Sources; World Mine Production "
                     "and Reserves"), year=2025, url=MCS2025_URL, licence="public domain",
                 note="data release https://doi.org/10.5066/P13XCP3R; text read from the "
                      "mirror github.com/NSSAC/dpi.RAG data/marker/mcs2025-rare-earths.md"),
            dict(source_id="usgs_mcs2024_fig2", publisher="U.S. Geological Survey",
                 title="Mineral Commodity Summaries 2024 - data release",
                 table="Figure 2, 2023 U.S. net import reliance and major import sources "
                       "2019-2022 (MCS2024_Fig2_Net_Import_Reliance.csv)", year=2024,
                 url=MCS2024_URL, licence="public domain", note=""),
            dict(source_id="usgs_mcs2024_t5", publisher="U.S. Geological Survey",
                 title="Mineral Commodity Summaries 2024 - data release",
                 table="Table 5, Critical minerals salient statistics (MCS2024_T5)", year=2024,
                 url=MCS2024_URL, licence="public domain", note=""),
            dict(source_id="cepii_baci_v202601", publisher="CEPII",
                 title="BACI: International Trade Database at the Product-Level, HS17 V202601",
                 table="extract for 30 HS6 codes, 2022 and 2024", year=2026,
                 url="https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
                 licence="Etalab Open License 2.0",
                 note="Gaulier & Zignago (2010); values in current USD, FOB")]
    names = {v[0]: v[1] for v in USGS_WORLD.values()}
    for commodity, code, *_ in SERIES:
        names.setdefault(code, LIST_COMMODITIES[commodity][0])
    for code, name in names.items():
        code = code.strip("_")
        rows.append(dict(source_id=f"usgs_mcs2024_{code}", publisher="U.S. Geological Survey",
                         title=f"Mineral Commodity Summaries 2024 - data release ({name})",
                         table=f"world/mcs2024-{code}_world.csv (World Mine Production and "
                               "Reserves)", year=2024, url=MCS2024_URL,
                         licence="public domain", note=""))
    for code in sorted({p[0] for p in USGS_PRICES}):
        rows.append(dict(source_id=f"usgs_mcs2024_{code}_salient",
                         publisher="U.S. Geological Survey",
                         title="Mineral Commodity Summaries 2024 - data release",
                         table=f"salient/mcs2024-{code}_salient.csv (Salient Statistics)",
                         year=2024, url=MCS2024_URL, licence="public domain", note=""))
    cur = CURATED / "sources.csv"
    if cur.exists():
        rows += pd.read_csv(cur, dtype=str, keep_default_na=False).to_dict("records")
    return rows


if __name__ == "__main__":
    main()
