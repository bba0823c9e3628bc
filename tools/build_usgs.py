"""Read the USGS Mineral Commodity Summaries 2024 data release (world and trends files).

Used by ``tools/build.py`` and its modules. One parser serves every commodity: a series is a
(commodity, file, type filter, stage) and the unit multiplier comes from the file's
column header (``_kt`` thousand tonnes, ``_kg`` kilograms, ``_t`` tonnes, ``_mcm``
million cubic metres).

USGS cell qualifiers are kept, never dropped (MCS "Explanation of symbols"):

* ``e`` estimated (prefix on the value, or suffix on the country label, e.g. "Russiae");
* ``>`` / ``<`` the value is a lower / upper bound (e.g. reserves ">130,000,000");
* ``--`` zero (USGS prints an em dash);
* ``W`` withheld to avoid disclosing company data, ``NA`` not available, ``XX`` not
  applicable: no number exists, so the cell becomes a ``gaps`` row naming the symbol.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

NO_VALUE = {"W": "W", "NA": "NA", "XX": "XX", "": "blank"}
ZERO = {"--", "—", "–", "-", "0e"}


def parse_cell(text: str) -> tuple[float | None, str]:
    """A USGS cell as (value, qualifier); value None when USGS gives no number.

    >>> parse_cell("e20,000")
    (20000.0, 'e')
    >>> parse_cell(">130,000,000")
    (130000000.0, '>')
    >>> parse_cell("W")
    (None, 'W')
    """
    t = " ".join(str(text).split()).replace(",", "")
    if t.upper() in NO_VALUE:
        return None, NO_VALUE[t.upper()]
    if t in ZERO:
        return 0.0, "--"
    qual = ""
    if t[:1] in "<>":
        qual, t = t[0], t[1:].strip()
    if t[:1] == "e":
        qual, t = qual + "e", t[1:].strip()
    if t.endswith("e"):
        qual, t = qual + "e", t[:-1].strip()
    try:
        value = float(t)
    except ValueError:
        return None, t[:40] or "blank"
    return (value, qual) if math.isfinite(value) else (None, "NA")


# commodity -> (name, group, unit, basis, HS codes)  -- commodities added for list coverage
LIST_COMMODITIES = {
    "bauxite": ("Bauxite", "base_metal", "t", "bauxite, dry gross weight", "260600"),
    "alumina": ("Alumina", "base_metal", "t", "alumina, calcined equivalent weight", "281820"),
    "aluminum": ("Aluminum (primary)", "base_metal", "t", "primary aluminum metal, smelter",
                 "760110"),
    "arsenic": ("Arsenic", "minor_metal", "t", "arsenic trioxide or equivalent, gross weight",
                "280480"),
    "barite": ("Barite", "industrial", "t", "barite, gross weight", "251110"),
    "beryllium": ("Beryllium", "minor_metal", "t", "beryllium content (4 % of ore)", "811212"),
    "boron": ("Boron (borates)", "industrial", "t", "borates in the form each country reports "
              "(crude ore, ulexite, B2O3 equivalent, refined borates): not additive", "252800"),
    "chromium": ("Chromium (chromite)", "alloying", "t", "marketable chromite ore, gross weight",
                 "261000"),
    "copper": ("Copper", "base_metal", "t", "copper content (mine: recoverable; refinery: "
               "refined copper)", "740311"),
    "fluorspar": ("Fluorspar", "industrial", "t", "fluorspar, gross weight", "252921 252922"),
    "lead": ("Lead", "base_metal", "t", "lead content of mine output", "780110"),
    "niobium": ("Niobium", "alloying", "t", "niobium content", "261590 720293"),
    "phosphate": ("Phosphate rock", "industrial", "t", "phosphate rock ore, gross weight",
                  "251010"),
    "potash": ("Potash", "industrial", "t", "potassium oxide (K2O) equivalent", "310420"),
    "rhenium": ("Rhenium", "minor_metal", "t", "rhenium content", "811241"),
    "silicon": ("Silicon metal", "alloying", "t", "silicon metal (ferrosilicon excluded)",
                "280469"),
    "silver": ("Silver", "precious", "t", "silver content of mine output", "710691"),
    "tantalum": ("Tantalum", "minor_metal", "t", "tantalum content", "261590 810320"),
    "tin": ("Tin", "base_metal", "t", "tin content of mine output", "800110"),
    "ilmenite": ("Titanium minerals: ilmenite", "alloying", "t", "titanium dioxide (TiO2) "
                 "content of ilmenite", "261400"),
    "rutile": ("Titanium minerals: rutile", "alloying", "t", "titanium dioxide (TiO2) content "
               "of rutile", "261400"),
    "titanium": ("Titanium metal (sponge)", "alloying", "t", "titanium sponge metal",
                 "810820"),
    "zinc": ("Zinc", "base_metal", "t", "zinc content of concentrates and direct shipping ore",
             "790111"),
    "zirconium": ("Zirconium (zircon)", "minor_metal", "t", "zirconium ores and zircon "
                  "concentrates, gross weight", "261510"),
    "feldspar": ("Feldspar", "industrial", "t", "feldspar, gross weight", "252910"),
    "helium": ("Helium", "industrial", "million m3", "helium, million cubic metres", "280429"),
    "strontium": ("Strontium (celestite)", "industrial", "t", "contained strontium",
                  "253090 283692"),
    "hafnium": ("Hafnium", "minor_metal", "t", "hafnium metal", "811231"),
    "scandium": ("Scandium", "rare_earths", "t", "scandium oxide", "280530"),
    "cesium": ("Cesium", "minor_metal", "t", "cesium content", ""),
    "rubidium": ("Rubidium", "minor_metal", "t", "rubidium content", ""),
    "uranium": ("Uranium", "energy", "t", "uranium metal content (t U) of mine output",
                "261210"),
    "met_coal": ("Metallurgical (coking) coal", "energy", "t", "coking coal, gross weight",
                 "270112"),
    "phosphorus": ("Phosphorus (elemental)", "industrial", "t", "elemental phosphorus",
                   "280470"),
    "iridium": ("Iridium", "pgm", "t", "iridium metal content", "711041"),
    "rhodium": ("Rhodium", "pgm", "t", "rhodium metal content", "711031"),
    "ruthenium": ("Ruthenium", "pgm", "t", "ruthenium metal content", "711041"),
}

REE_ELEMENTS = {  # individual rare earths on the U.S. 2025 or EU 2023 lists: (name, oxide)
    "la": ("Lanthanum", "La2O3"), "ce": ("Cerium", "CeO2"), "nd": ("Neodymium", "Nd2O3"),
    "pr": ("Praseodymium", "Pr6O11"), "sm": ("Samarium", "Sm2O3"),
    "eu": ("Europium", "Eu2O3"), "gd": ("Gadolinium", "Gd2O3"), "ho": ("Holmium", "Ho2O3"),
    "er": ("Erbium", "Er2O3"), "tm": ("Thulium", "Tm2O3"), "yb": ("Ytterbium", "Yb2O3"),
    "lu": ("Lutetium", "Lu2O3"), "y": ("Yttrium", "Y2O3"),
}

# (commodity, file code, regex on the Type column or None, stage, take reserves)
SERIES = [
    ("bauxite", "bauxi", r"bauxite", "mine", True),
    ("alumina", "bauxi", r"alumina", "refining", False),
    ("aluminum", "alumi", None, "metal", False),
    ("arsenic", "arsen", None, "refining", True),
    ("barite", "barit", None, "mine", True),
    ("beryllium", "beryl", None, "mine", True),
    ("chromium", "chrom", None, "mine", True),
    ("copper", "coppe", r"^Mine production", "mine", True),
    ("copper", "coppe", r"^Refinery production", "refining", False),
    ("fluorspar", "fluor", None, "mine", True),
    ("lead", "lead", None, "mine", True),
    ("niobium", "niobi", None, "mine", True),
    ("phosphate", "phosp", None, "mine", True),
    ("potash", "potas", None, "mine", True),
    ("rhenium", "rheni", None, "mine", True),
    ("silicon", "simet", r"silicon metal", "metal", False),
    ("silver", "silve", None, "mine", True),
    ("tantalum", "tanta", None, "mine", True),
    ("tin", "tin_", None, "mine", True),
    ("ilmenite", "timin", r"Ilmenite", "mine", True),
    ("rutile", "timin", r": rutile", "mine", True),
    ("titanium", "titan", None, "metal", False),
    ("zinc", "zinc", None, "mine", True),
    ("zirconium", "zirco", None, "mine", True),
    ("feldspar", "felds", None, "mine", True),
    ("helium", "heliu", None, "mine", True),
    ("strontium", "stron", None, "mine", True),
    ("boron", "boron", None, "mine", True),
]

FORM_BY_COUNTRY = {"boron"}
"""Commodities whose USGS rows each carry their own form (the Type column / label suffix):
the form is kept in the row's note, and no world total exists (USGS prints XX)."""

NO_PRODUCTION = {  # list minerals without country production in any source read (gaps rows)
    "hafnium": "USGS MCS 2025 (Zirconium and Hafnium): 'World primary hafnium production data "
               "and quantitative estimates of hafnium reserves were not available'",
    "scandium": "USGS MCS 2025 (Scandium): 'Foreign mine production data for 2023 and 2024 were "
                "not available'; by-product output named only qualitatively (China, Philippines "
                "nickel HPAL, Russia, Kazakhstan, Ukraine)",
    "cesium": "USGS MCS 2025 (Cesium): 'There were no official sources for cesium production "
              "data in 2024'; producers named only as Canada (Tanco) and China",
    "rubidium": "USGS MCS 2025 (Rubidium): 'no rubidium production was reported globally' in "
                "2024; China may have produced some",
    "met_coal": "metallurgical coal is outside the USGS MCS; IEA Coal 2023/2024 report coking "
                "coal by country but no copy of those tables was found in the sources read",
    "phosphorus": "USGS MCS gives phosphate rock, not elemental phosphorus, by country; no "
                  "elemental-phosphorus production table found in the sources read",
    "iridium": "USGS MCS gives mine output for platinum and palladium only (iridium is in the "
               "all-PGM reserves); Johnson Matthey publishes iridium demand, not supply by "
               "country, and no copy of a supply table was found",
    "rhodium": "USGS MCS gives mine output for platinum and palladium only (rhodium is in the "
               "all-PGM reserves); Johnson Matthey's rhodium supply by region was not found in "
               "the sources read",
    "ruthenium": "USGS MCS gives mine output for platinum and palladium only (ruthenium is in "
                 "the all-PGM reserves); Johnson Matthey publishes ruthenium demand, not supply "
                 "by country",
}
PRICE_GAPS = {  # why no 2024 price ships (coverage gaps)
    "helium": "MCS 2025 gives about 14 USD per cubic metre (Grade-A, 2024; as quoted in "
              "nwyin/periodic-atlas verification/He.md); critmin prices are per mass and the "
              "volume basis (temperature, pressure) is not stated, so it is not converted",
    "uranium": "USGS Fact Sheet 2025-3057 gives only the January 2024 spot high (106 USD/lb "
               "U3O8), not an annual average; no annual price series found in the sources read",
    "feldspar": "the MCS 2025 feldspar chapter is not in the stored copies read",
    "met_coal": "coking coal is outside the USGS MCS; no annual price series found in the "
                "sources read",
    "phosphorus": "USGS MCS prices phosphate rock, not elemental phosphorus; no price found",
    "ree": "no price is published for mixed rare-earth oxide; element oxide prices ship under "
           "ndpr, dy, tb, ce, la, eu, nd and y",
}
REE_PRICE_GAP = ("the MCS 2025 rare-earths chapter prices only Ce, Dy, Eu, La and Nd oxides, Tb "
                 "oxide and mischmetal; no primary price for this element was found")
RESERVE_GAPS = {  # listed commodities without reserves rows: why (coverage gaps)
    "alumina": "reserves are counted as bauxite (ore), not as alumina",
    "aluminum": "reserves are counted as bauxite (ore), not as aluminium metal",
    "titanium": "reserves are counted as titanium mineral concentrates (ilmenite, rutile)",
    "magnesium": "USGS gives no reserves for magnesium metal (resources in brines, dolomite "
                 "and magnesite are described as large)",
    "silicon": "USGS gives no silicon reserves figure (quartz resources described as ample)",
    "cesium": "MCS 2025: no reliable country reserves; Australia, Canada, China and Namibia "
              "together estimated at less than 200,000 t Cs2O",
    "uranium": "uranium reserves (NEA/IAEA Red Book resource categories) not transcribed",
}
IMPORT_SOURCE_GAPS = {  # listed commodities without U.S. import shares: why (coverage gaps)
    "cesium": "MCS 2025: 'No reliable data have been available to determine the source of "
              "cesium ore imported by the United States since 1988'",
    "rubidium": "MCS 2025: no reliable data on the source of rubidium ore or compounds since "
                "1988",
    "scandium": "MCS 2025 names Japan, China and the Philippines from shipping records but "
                "gives no shares (no trade code for scandium alone)",
    "met_coal": "BACI HS 270112 (bituminous coal) mixes coking and thermal coal; no coking-coal "
                "origin shares in the sources read",
    "helium": "BACI HS 280429 (rare gases other than argon) mixes helium with neon, krypton "
              "and xenon; MCS 2025 helium chapter not read",
    "alumina": "HS 281820 (alumina) is not in the BACI extract; MCS 2025 bauxite-alumina "
               "chapter not read",
    "ilmenite": "HS 261400 (titanium ores) is not in the BACI extract; MCS 2025 titanium "
                "mineral concentrates chapter not read",
    "rutile": "HS 261400 (titanium ores) is not in the BACI extract; MCS 2025 titanium "
              "mineral concentrates chapter not read",
}
REE_SPLIT_GAP = ("rare earths are published as a total (t REO) by country (USGS MCS 2025); no "
                 "source read gives this element's mine output by country or a per-country "
                 "oxide distribution for 2022-2024 (a split from deposit assays would need each "
                 "country's mine mix, which is not published), so critmin makes no split")

HEADER_FACTORS = ((r"_kt", 1000.0), (r"_kg", 0.001), (r"_mcm", 1.0), (r"_t(_|$)", 1.0))


def header_factor(header: str) -> float:
    """Multiplier from a USGS column header's unit to tonnes (helium: million m3)."""
    for pattern, factor in HEADER_FACTORS:
        if re.search(pattern, header):
            return factor
    raise ValueError(f"no unit in USGS header {header!r}")


def world_file(shared: Path, code: str) -> Path:
    """The world production file of a USGS file code (e.g. 'tin_' -> mcs2024-tin_world)."""
    world_dir = shared / "usgs-mcs2024" / "world"
    return next(p for p in sorted(world_dir.iterdir()) if code in p.name.lower())


def read_world(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and non-empty body rows of a world file (byte-order mark removed)."""
    with path.open(encoding="utf-8-sig") as fh:
        rows = [r for r in csv.reader(fh) if len(r) > 2 and r[1].strip()]
    return rows[0], rows[1:]


def reserves_column(header: list[str]) -> int | None:
    """Index of the reserves column (K2O equivalent for potash), None if absent."""
    cols = [i for i, h in enumerate(header) if h.startswith("Reserves") and "notes" not in h]
    k2o = [i for i in cols if "K2O" in header[i]]
    return (k2o or cols or [None])[0]
