"""USGS Mineral Commodity Summaries 2026 data release: one reader for the published CSV.

Input: ``tools/vendor/usgs-mcs2026/usgs_mcs2026_commodities_data.csv`` exactly as USGS
published it (DOI 10.5066/P1WKQ63T, version 1.3 of 2026-05-27; Windows-1252, thousands
separators, qualifiers and symbols in the ``Value`` text). Outputs rows for the tables
``production`` (2024 revised, 2025 estimated), ``reserves`` (as of 2025), ``prices``,
``import_reliance`` (U.S. net import reliance 2021-2025), ``critical_lists`` (column
``Is critical mineral 2025``), ``commodities`` (chapters critmin did not cover) and
``gaps`` (cells without a number), each citing ``usgs_mcs2026_<chapter>``. Every shipped
row's note names its record in the release (``MCS 2026 record N``), so a test can
re-derive it cell by cell.

Reserved episodes: values of a reserved episode's commodities for the years its window
covers (Ga/Ge 2023-2024; Sm, Gd, Tb, Dy, Lu, Sc, Y and magnets 2025) are not shipped; a
gaps row says so without the value.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from countries import iso3
from usgs_rows import gap, method, price_row, value_row

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "tools" / "vendor" / "usgs-mcs2026" / "usgs_mcs2026_commodities_data.csv"
SHA256 = "582a0aa231aea53d8a97dc8d1cd3dfa5f885cf3760353e3d029d7f0ae4fbaaf5"
DOI = "https://doi.org/10.5066/P1WKQ63T"
LIST_ID = "usgs_mcs2026_critical_list"

UNIT_FACTOR = {  # the release's Unit -> multiplier to critmin's tonnes (helium: million m3)
    "metric tons": 1.0, "thousand metric tons": 1e3, "thousand metric dry tons": 1e3,
    "million metric tons": 1e6, "kilograms": 1e-3, "million cubic meters": 1.0,
}
PRICE_FACTOR = {  # the release's price Unit -> (factor, critmin unit)
    "dollars per kilogram": (1.0, "USD/kg"), "dollars per metric ton": (1.0, "USD/t"),
    "dollars per pound": (2.20462, "USD/kg"), "cents per pound": (0.0220462, "USD/kg"),
    "dollars per troy ounce": (32.1507, "USD/kg"), "dollars per short ton": (1.10231, "USD/t"),
    "dollars per ton": (1.0, "USD/t"),
    "dollars per dry metric ton unit": (100.0, "USD/t"),  # mtu = 10 kg of WO3 / Mn
}
RESERVED_YEARS = {  # project rule: never ship a reserved episode's observed outcomes
    **{c: {2023, 2024} for c in ("gallium", "germanium")},
    **{c: {2025} for c in ("sm", "gd", "tb", "dy", "lu", "scandium", "y", "ree_other",
                           "ndfeb_magnet")},
}

# (commodity, stage, chapter, Commodity column, production detail, reserves detail or None)
# Details are compared lower-case without the release's ": rounded" suffix; a detail with a
# further ": <form>" (feldspar "includes pegmatites") keeps the form in the row's note.
WORLD = [
    ("ree", "mine", "RARE EARTHS", "Rare Earths", "mine production", "reserves"),
    ("lithium", "mine", "LITHIUM", "Lithium", "mine production", "reserves"),
    ("cobalt", "mine", "COBALT", "Cobalt", "mine production", "reserves"),
    ("nickel", "mine", "NICKEL", "Nickel", "mine production", "reserves"),
    ("graphite", "mine", "GRAPHITE (NATURAL)", "Graphite (Natural)", "mine production",
     "reserves"),
    ("manganese", "mine", "MANGANESE", "Manganese", "mine production", "reserves"),
    ("gallium", "refining", "GALLIUM", "Gallium", "primary production", None),
    ("antimony", "mine", "ANTIMONY", "Antimony", "mine production", "reserves"),
    ("tungsten", "mine", "TUNGSTEN", "Tungsten", "mine production", "reserves"),
    ("magnesium", "metal", "MAGNESIUM METAL", "Magnesium Metal", "smelter production", None),
    ("platinum", "mine", "PLATINUM-GROUP METALS", "Platinum", "mine production: platinum",
     None),
    ("palladium", "mine", "PLATINUM-GROUP METALS", "Palladium", "mine production: palladium",
     None),
    ("indium", "refining", "INDIUM", "Indium", "refinery production", None),
    ("tellurium", "refining", "TELLURIUM", "Tellurium", "refinery production", None),
    ("bismuth", "refining", "BISMUTH", "Bismuth", "refinery production", None),
    ("molybdenum", "mine", "MOLYBDENUM", "Molybdenum", "mine production",
     "reserves (thousand metric tons)"),
    ("vanadium", "mine", "VANADIUM", "Vanadium", "mine production", "reserves"),
    ("bauxite", "mine", "BAUXITE AND ALUMINA", "Bauxite", "bauxite, mine production",
     "bauxite reserves"),
    ("alumina", "refining", "BAUXITE AND ALUMINA", "Alumina", "alumina, refinery production",
     None),
    ("aluminum", "metal", "ALUMINUM", "Aluminum", "smelter production", None),
    ("arsenic", "refining", "ARSENIC", "Arsenic", "production (arsenic trioxide, gross weight)",
     None),
    ("barite", "mine", "BARITE", "Barite", "mine production", "reserves"),
    ("beryllium", "mine", "BERYLLIUM", "Beryllium", "mine production", None),
    ("boron", "mine", "BORON", "Boron", "production", "reserves"),
    # chromium reserves: MCS 2026 gives ore gross weight and Cr2O3 content, not the shipping-
    # grade basis of older editions, so its reserves are not read (older editions stay)
    ("chromium", "mine", "CHROMIUM", "Chromium", "mine production", None),
    ("copper", "mine", "COPPER", "Copper", "mine production", "reserves"),
    ("copper", "refining", "COPPER", "Copper", "refinery production", None),
    ("fluorspar", "mine", "FLUORSPAR", "Fluorspar", "mine production", "reserves"),
    ("lead", "mine", "LEAD", "Lead", "mine production", "reserves"),
    ("niobium", "mine", "NIOBIUM (COLUMBIUM)", "Niobium (Columbium)", "mine production",
     "reserves"),
    ("phosphate", "mine", "PHOSPHATE ROCK", "Phosphate Rock", "mine production", "reserves"),
    ("potash", "mine", "POTASH", "Potash", "mine production", "reserves: k2o equivalent"),
    ("rhenium", "mine", "RHENIUM", "Rhenium", "mine production", "reserves"),
    ("silicon", "metal", "SILICON", "Silicon", "silicon metal", None),
    ("silver", "mine", "SILVER", "Silver", "mine production", "reserves"),
    ("tantalum", "mine", "TANTALUM", "Tantalum", "mine production", "reserves"),
    ("tin", "mine", "TIN", "Tin", "mine production", "reserves"),
    ("ilmenite", "mine", "TITANIUM MINERAL CONCENTRATES", "Titanium Mineral Concentrates",
     "mine production: ilmenite", "reserves: ilmenite"),
    ("rutile", "mine", "TITANIUM MINERAL CONCENTRATES", "Titanium Mineral Concentrates",
     "mine production: rutile", "reserves: rutile"),
    ("titanium", "metal", "TITANIUM AND TITANIUM DIOXIDE", "Titanium Sponge Metal",
     "titanium sponge metal production", None),
    ("zinc", "mine", "ZINC", "Zinc", "mine production", "reserves"),
    ("zirconium", "mine", "ZIRCONIUM AND HAFNIUM", "Zirconium", "zirconium mineral "
     "concentrates, mine production (thousand metric tons, gross weight)", None),
    ("feldspar", "mine", "FELDSPAR AND NEPHELINE SYENITE", "Feldspar And Nepheline Syenite",
     "mine production", "reserves"),
    ("helium", "mine", "HELIUM AND RARE GASES", "Helium", "helium production",
     "helium reserves"),
    ("strontium", "mine", "STRONTIUM", "Strontium", "mine production", "reserves"),
    ("scandium", "refining", "SCANDIUM", "Scandium", "global production", None),
    ("y", "mine", "YTTRIUM", "Yttrium", "mine production of y2o3 equivalent contained in "
     "rare-earth mineral concentrates", None),
    # chapters critmin adds with this edition (NEW_COMMODITIES)
    ("cadmium", "refining", "CADMIUM", "Cadmium", "refinery production", None),
    ("selenium", "refining", "SELENIUM", "Selenium", "refinery production", None),
    ("iodine", "mine", "IODINE", "Iodine", "mine production", "reserves"),
    ("gold", "mine", "GOLD", "Gold", "mine production", "reserves"),
    ("iron_ore", "mine", "IRON ORE", "Iron Ore", "mine production: iron content",
     "reserves (million metric tons): iron content"),
    ("mercury", "mine", "MERCURY", "Mercury", "mine production", "reserves"),
    ("bromine", "refining", "BROMINE", "Bromine", "production", "reserves"),
    ("sulfur", "refining", "SULFUR", "Sulfur", "production, all forms", None),
    ("magnesite", "mine", "MAGNESIUM COMPOUNDS", "Magnesium Compounds", "mine production",
     "reserves"),
    ("garnet", "mine", "GARNET (INDUSTRIAL)", "Garnet (Industrial)", "mine production",
     "reserves"),
    ("diatomite", "mine", "DIATOMITE", "Diatomite", "mine production", "reserves"),
    ("gypsum", "mine", "GYPSUM", "Gypsum", "mine production", "reserves"),
    ("soda_ash", "mine", "SODA ASH", "Soda Ash", "mine production: natural",
     "reserves: natural"),
    ("vermiculite", "mine", "VERMICULITE", "Vermiculite", "mine production", "reserves"),
    ("wollastonite", "mine", "WOLLASTONITE", "Wollastonite", "mine production", None),
    ("zeolites", "mine", "ZEOLITES (NATURAL)", "Zeolites (Natural)", "mine production", None),
    ("perlite", "mine", "PERLITE", "Perlite", "production", "reserves"),
    ("ammonia", "refining", "NITROGEN (FIXED)—AMMONIA", "Nitrogen (Fixed)—Ammonia",
     "plant production", None),
    ("asbestos", "mine", "ASBESTOS", "Asbestos", "mine production", "reserves"),
]
NEW_COMMODITIES = {  # id -> (name, group, basis, HS 2017 codes) -- unit t
    "cadmium": ("Cadmium", "minor_metal", "refined cadmium metal", "810720"),
    "selenium": ("Selenium", "minor_metal", "refined selenium (excl. crude and anode slimes "
                 "where USGS says so)", "280490"),
    "iodine": ("Iodine", "industrial", "iodine, elemental content", "280120"),
    "gold": ("Gold", "precious", "gold content of mine output", "710812"),
    "iron_ore": ("Iron ore", "base_metal", "iron content of usable ore", "260111"),
    "mercury": ("Mercury", "minor_metal", "mercury content of mine output", "280540"),
    "bromine": ("Bromine", "industrial", "elemental bromine", "280130"),
    "sulfur": ("Sulfur", "industrial", "sulfur, all forms (elemental and by-product)", "250300"),
    "magnesite": ("Magnesium compounds (magnesite)", "industrial", "magnesite (MgCO3), gross "
                  "weight", "251910"),
    "garnet": ("Garnet (industrial)", "industrial", "industrial garnet, gross weight", "251320"),
    "diatomite": ("Diatomite", "industrial", "diatomite, gross weight", "251200"),
    "gypsum": ("Gypsum", "industrial", "crude gypsum, gross weight", "252010"),
    "soda_ash": ("Soda ash (natural)", "industrial", "natural soda ash (sodium carbonate)",
                 "283620"),
    "vermiculite": ("Vermiculite", "industrial", "vermiculite concentrate, gross weight",
                    "253010"),
    "wollastonite": ("Wollastonite", "industrial", "wollastonite, gross weight", "253090"),
    "zeolites": ("Zeolites (natural)", "industrial", "natural zeolites, gross weight", ""),
    "perlite": ("Perlite", "industrial", "crude perlite, gross weight", "253010"),
    "ammonia": ("Nitrogen (fixed), ammonia", "industrial", "nitrogen content of ammonia",
                "281410"),
    "asbestos": ("Asbestos", "industrial", "asbestos fibre, gross weight", "252400"),
}

# (commodity, chapter, Commodity column, price detail, basis) -- one price series per
# commodity: the rule for duplicate prices keeps this one for each year it has.
PRICES = [
    ("lithium", "LITHIUM", "Lithium", "Price, annual average-real, battery-grade lithium "
     "carbonate, dollars per metric ton", "lithium carbonate, battery grade, annual avg"),
    ("cobalt", "COBALT", "Cobalt", "Price, average, dollars per pound: London Metal Exchange "
     "(LME), cash", "London Metal Exchange cash, annual avg"),
    ("nickel", "NICKEL", "Nickel", "Price, average annual, London Metal Exchange (LME), cash: "
     "Dollars per metric ton", "LME cash, annual avg"),
    ("graphite", "GRAPHITE (NATURAL)", "Graphite (Natural)", "Price, average unit value of "
     "imports, dollars per metric ton at foreign ports: Flake",
     "Flake, avg U.S. import unit value at foreign ports"),
    ("manganese", "MANGANESE", "Manganese", "Price, average, manganese content, cost, "
     "insurance, and freight, China, dollars per metric ton unit",
     "manganese ore CIF China, USD per mtu Mn content x 100 = USD/t Mn"),
    ("gallium", "GALLIUM", "Gallium", "Price, average unit value of imports, dollars per "
     "kilogram", "gallium, avg U.S. import unit value"),
    ("germanium", "GERMANIUM", "Germanium", "Price, annual average, dollars per kilogram: "
     "Germanium metal", "Germanium metal, annual avg"),
    ("antimony", "ANTIMONY", "Antimony", "Price, metal, average, dollars per pound",
     "antimony metal, annual avg"),
    ("tungsten", "TUNGSTEN", "Tungsten", "Price, concentrate, average in-warehouse Rotterdam, "
     "dollars per dry metric ton unit of tungsten trioxide",
     "tungsten concentrate, Rotterdam, USD per mtu WO3 x 100 = USD/t WO3"),
    ("magnesium", "MAGNESIUM METAL", "Magnesium Metal", "Price, annual average: European free "
     "market, dollars per metric ton", "European free market, annual avg"),
    ("platinum", "PLATINUM-GROUP METALS", "Platinum", "Price, dollars per troy ounce: Platinum",
     "platinum, annual avg"),
    ("palladium", "PLATINUM-GROUP METALS", "Palladium", "Price, dollars per troy ounce: "
     "Palladium", "palladium, annual avg"),
    ("iridium", "PLATINUM-GROUP METALS", "Iridium", "Price, dollars per troy ounce: Iridium",
     "iridium, annual avg"),
    ("rhodium", "PLATINUM-GROUP METALS", "Rhodium", "Price, dollars per troy ounce: Rhodium",
     "rhodium, annual avg"),
    ("ruthenium", "PLATINUM-GROUP METALS", "Ruthenium", "Price, dollars per troy ounce: "
     "Ruthenium", "ruthenium, annual avg"),
    ("indium", "INDIUM", "Indium", "Price, annual average, dollars per kilogram: Rotterdam, "
     "duties unpaid", "Rotterdam, duties unpaid, annual avg"),
    ("tellurium", "TELLURIUM", "Tellurium", "Price, annual average, dollars per kilogram: "
     "Europe", "Rotterdam/Europe, annual avg"),
    ("bismuth", "BISMUTH", "Bismuth", "Price, average, dollars per pound",
     "bismuth, annual avg"),
    ("molybdenum", "MOLYBDENUM", "Molybdenum", "Price, average, dollars per kilogram",
     "molybdic oxide, Mo content, annual avg"),
    ("vanadium", "VANADIUM", "Vanadium", "Price, average, vanadium pentoxide, dollars per pound",
     "vanadium pentoxide, annual avg"),
    ("copper", "COPPER", "Copper", "Price, annual average, cents per pound: London Metal "
     "Exchange, grade A, cash", "LME grade A cash, annual avg"),
    ("zinc", "ZINC", "Zinc", "Price, average, cents per pound: London Metal Exchange (LME), "
     "cash", "LME cash, annual avg"),
    ("tin", "TIN", "Tin", "Price, average, cents per pound: London Metal Exchange (LME), cash",
     "LME cash, annual avg"),
    ("lead", "LEAD", "Lead", "Price, average, North American, cents per pound",
     "North American, annual avg"),
    ("silver", "SILVER", "Silver", "Price, bullion, average, dollars per troy ounce",
     "silver bullion, annual avg"),
    ("gold", "GOLD", "Gold", "Price, dollars per troy ounce", "gold, annual avg"),
    ("aluminum", "ALUMINUM", "Aluminum", "Price, ingot, average U.S. market (spot), cents per "
     "pound", "ingot, U.S. market spot, annual avg"),
    ("arsenic", "ARSENIC", "Arsenic", "Price, metal, annual average, U.S. warehouse, dollars "
     "per pound", "arsenic metal, U.S. warehouse"),
    ("barite", "BARITE", "Barite", "Price, average unit value, ground, ex-works, dollars per "
     "metric ton", "ground barite, ex-works unit value"),
    ("bauxite", "BAUXITE AND ALUMINA", "Bauxite", "Price, average unit value of imports, free "
     "alongside ship (f.a.s.), dollars per metric ton", "bauxite, avg U.S. import unit value"),
    ("alumina", "BAUXITE AND ALUMINA", "Alumina", "Price, average unit value of imports, "
     "f.a.s., dollars per metric ton", "alumina, avg U.S. import unit value"),
    ("beryllium", "BERYLLIUM", "Beryllium", "Price, annual average unit value, "
     "beryllium-copper master alloy, dollars per kilogram of contained beryllium",
     "beryllium content of Be-Cu master alloy"),
    ("boron", "BORON", "Boron", "Price, average unit value of combined imports, cost, "
     "insurance, and freight, dollars per metric ton", "borates, avg U.S. import unit value"),
    ("chromium", "CHROMIUM", "Chromium", "Price: Chromite ore (gross weight), dollars per "
     "metric ton", "chromite ore, gross weight"),
    ("fluorspar", "FLUORSPAR", "Fluorspar", "Price, average unit value of imports, cost, "
     "insurance, and freight, dollars per metric ton: Acid grade",
     "Acid grade, avg U.S. import unit value"),
    ("niobium", "NIOBIUM (COLUMBIUM)", "Niobium (Columbium)", "Price, average unit value, "
     "ferroniobium, dollars per kilogram", "ferroniobium unit value"),
    ("phosphate", "PHOSPHATE ROCK", "Phosphate Rock", "Price, average value, f.o.b. mine, "
     "dollars per metric ton", "phosphate rock, f.o.b. mine"),
    ("potash", "POTASH", "Potash", "Price, average, f.o.b. mine, dollars per metric ton of K2O "
     "equivalent: All products", "K2O equivalent, all products, f.o.b. mine"),
    ("rhenium", "RHENIUM", "Rhenium", "Price, average value, gross weight, dollars per "
     "kilogram: Metal, 99.99% pure", "rhenium metal 99.99 %"),
    ("silicon", "SILICON", "Silicon", "Price, average, cents per pound of silicon: Silicon "
     "metal", "silicon metal"),
    ("tantalum", "TANTALUM", "Tantalum", "Price, tantalite, annual average, dollars per "
     "kilogram of tantalum oxide (Ta2O5) content", "tantalite, USD per kg Ta2O5 content"),
    ("rutile", "TITANIUM MINERAL CONCENTRATES", "Titanium Mineral Concentrates", "Price, "
     "dollars per metric ton: Rutile, bulk, minimum 95% TiO2, free on board (f.o.b.) "
     "Australia", "rutile, bulk, min 95 % TiO2, f.o.b. Australia"),
    ("ilmenite", "TITANIUM MINERAL CONCENTRATES", "Titanium Mineral Concentrates", "Price, "
     "dollars per metric ton: Ilmenite, average unit value of imports",
     "ilmenite, average unit value of U.S. imports"),
    ("titanium", "TITANIUM AND TITANIUM DIOXIDE", "Titanium sponge metal", "Price, dollars per "
     "kilogram", "titanium sponge"),
    ("zirconium", "ZIRCONIUM AND HAFNIUM", "Zirconium And Hafnium", "Price: Zircon, dollars "
     "per metric ton (gross weight): Imported", "zircon, imported, gross weight"),
    ("hafnium", "ZIRCONIUM AND HAFNIUM", "Hafnium", "Price: Hafnium, unwrought, dollars per "
     "kilogram", "hafnium, unwrought"),
    ("feldspar", "FELDSPAR AND NEPHELINE SYENITE", "Feldspar", "Price, average unit value, "
     "dollars per metric ton: Feldspar only, marketable production",
     "feldspar, marketable production unit value"),
    ("strontium", "STRONTIUM", "Strontium", "Price, average unit value of celestite imports at "
     "port of exportation, dollars per ton", "celestite, import unit value"),
    ("cadmium", "CADMIUM", "Cadmium", "Price, metal, annual average, dollars per kilogram",
     "cadmium metal, annual avg"),
    ("selenium", "SELENIUM", "Selenium", "Price, annual average, dollars per kilogram: Europe",
     "selenium, Europe, annual avg"),
    ("iodine", "IODINE", "Iodine", "Price, crude iodine, average unit value of imports (cost, "
     "insurance, and freight), dollars per kilogram", "crude iodine, import unit value"),
    ("mercury", "MERCURY", "Mercury", "Price, average unit value of imports, dollars per "
     "kilogram", "mercury, import unit value"),
    ("bromine", "BROMINE", "Bromine", "Price, average unit value of imports (cost, insurance, "
     "and freight), dollars per kilogram, bromine content", "bromine content, import unit value"),
    ("iron_ore", "IRON ORE", "Iron Ore", "Price, average unit value reported by mines, dollars "
     "per metric ton", "usable ore, U.S. mine unit value (gross weight)"),
    ("la", "RARE EARTHS", "Lanthanum", "Price, average, dollars per kilogram: Lanthanum oxide, "
     "99.5% minimum", "lanthanum oxide 99.5 % min, annual avg"),
    ("ce", "RARE EARTHS", "Cerium", "Price, average, dollars per kilogram: Cerium oxide, 99.5% "
     "minimum", "cerium oxide 99.5 % min, annual avg"),
    ("ree_other", "RARE EARTHS", "Cerium", "Price, average, dollars per kilogram: Cerium oxide, "
     "99.5% minimum", "cerium oxide 99.5 % min, annual avg"),
    ("pr", "RARE EARTHS", "Praseodymium", "Price, average, dollars per kilogram: Praseodymium "
     "oxide, 99.99% minimum", "praseodymium oxide 99.99 % min, annual avg"),
    ("nd", "RARE EARTHS", "Neodymium", "Price, average, dollars per kilogram: Neodymium oxide, "
     "99.5% minimum", "neodymium oxide 99.5 % min, annual avg"),
    ("ndpr", "RARE EARTHS", "Rare Earths", "Price, average, dollars per kilogram: "
     "Neodymium-praseodymium (NdPr) oxide, 99% minimum", "NdPr oxide 99 % min, annual avg"),
    ("sm", "RARE EARTHS", "Samarium", "Price, average, dollars per kilogram: Samarium oxide, "
     "99.5% minimum", "samarium oxide 99.5 % min, annual avg"),
    ("eu", "RARE EARTHS", "Europium", "Price, average, dollars per kilogram: Europium oxide, "
     "99.99% minimum", "europium oxide 99.99 % min, annual avg"),
    ("gd", "RARE EARTHS", "Gadolinium", "Price, average, dollars per kilogram: Gadolinium "
     "oxide, 99.99% minimum", "gadolinium oxide 99.99 % min, annual avg"),
    ("tb", "RARE EARTHS (Heavy)", "Terbium", "Price, average, dollars per kilogram: Terbium "
     "oxide, 99.99% minimum", "terbium oxide 99.99 % min, annual avg"),
    ("dy", "RARE EARTHS (Heavy)", "Dysprosium", "Price, average, dollars per kilogram: "
     "Dysprosium oxide, 99.5% minimum", "dysprosium oxide 99.5 % min, annual avg"),
    ("ho", "RARE EARTHS (Heavy)", "Holmium", "Price, average, dollars per kilogram: Holmium "
     "oxide, 99.5% minimum", "holmium oxide 99.5 % min, annual avg"),
    ("er", "RARE EARTHS (Heavy)", "Erbium", "Price, average, dollars per kilogram: Erbium "
     "oxide, 99.5%, minimum", "erbium oxide 99.5 % min, annual avg"),
    ("yb", "RARE EARTHS (Heavy)", "Ytterbium", "Price, average, dollars per kilogram: "
     "Ytterbium oxide, 99.99% minimum", "ytterbium oxide 99.99 % min, annual avg"),
    ("lu", "RARE EARTHS (Heavy)", "Lutetium", "Price, average, dollars per kilogram: Lutetium "
     "oxide, 99.99% minimum", "lutetium oxide 99.99 % min, annual avg"),
    ("y", "YTTRIUM", "Yttrium", "Price, average, dollars per kilogram: Y2O3, minimum 99.999% "
     "purity", "yttrium oxide 99.999 %, annual avg"),
]
# (commodity, chapter, Commodity column, net import reliance detail)
RELIANCE_DETAIL = {  # chapters with several reliance lines: the one matching the commodity
    "ree": "compounds and metals", "platinum": "platinum", "palladium": "palladium",
    "silicon": "silicon metal", "helium": "helium", "feldspar": "feldspar",
}


def read_release(path: Path = RELEASE) -> pd.DataFrame:
    """The release as published: Windows-1252 text, every cell a string; ``record`` is the
    1-based data record number used in row notes."""
    df = pd.read_csv(path, encoding="cp1252", dtype=str, keep_default_na=False)
    df.columns = [c.strip() for c in df.columns]
    df.insert(0, "record", range(1, len(df) + 1))
    return df


def parse_value(text: str) -> tuple[float | None, str]:
    """A release cell as (value, qualifier): '1,200' -> 1200; '>85,000,000' -> bound '>';
    '—' -> 0 with '--'; W, NA, XX, 's' (less than 1/2 unit), ranges and words -> None."""
    t = " ".join(str(text).split()).replace(",", "")
    if t in ("—", "–", "--", "-"):
        return 0.0, "--"
    qual = ""
    if t[:1] in "<>":
        qual, t = t[0], t[1:].strip()
    try:
        return float(t), qual
    except ValueError:
        return None, t or "blank"


def _detail(text: str) -> str:
    t = " ".join(text.replace("—", ": ").split()).lower()
    t = re.sub(r"(: |, )rounded$", "", t)
    return t.replace("relianceas", "reliance as")


def _estimated(notes: str) -> bool:
    return bool(re.match(r"\s*estimated\b", notes, flags=re.IGNORECASE))


def _clean_notes(notes: str) -> str:
    parts = [p.strip() for p in notes.split(" -- ")]
    keep = [p for p in parts if p and not re.fullmatch(r"Estimated\s?\.?|Reported\.", p)
            and not p.startswith("See Appendix C")]
    return "; ".join(keep)


def source_id(chapter: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", chapter.lower().split("(")[0]).strip("_")
    if "heavy" in chapter.lower():
        slug += "_heavy"
    return f"usgs_mcs2026_{slug}"


def _reserved(commodity: str, year: int) -> bool:
    return year in RESERVED_YEARS.get(commodity, set())


def _gap(table, commodity, stage, country, year, reason, chapter):
    return gap(table, commodity, stage, country, year, reason, source_id(chapter))


def _series_rows(df: pd.DataFrame, chapter: str, name: str, stat: str, detail: str):
    sub = df[df["Section"].str.startswith("World") & df["MCS chapter"].eq(chapter)
             & df["Commodity"].eq(name) & df["Statistics"].eq(stat)]
    for r in sub.to_dict("records"):
        d = _detail(r["Statistics_detail"])
        if d == detail or d.startswith(detail + ": "):
            yield r, d[len(detail) + 2:] if d != detail else ""


def _row_note(r: dict, form: str, unit_note: str = "") -> str:
    note = f"MCS 2026 record {r['record']}: '{r['Value']}' {r['Unit']}"
    extra = _clean_notes(r["Notes"])
    parts = [note] + ([f"form: {form}"] if form else []) + ([unit_note] if unit_note else []) \
        + ([extra[:160]] if extra else [])
    return "; ".join(parts)


def world_tables(df: pd.DataFrame, units: dict[str, str]):
    """Production (2024, 2025) and reserves rows of the world tables, and gaps rows."""
    prod, res, gaps = [], [], []
    for commodity, stage, chapter, name, pdetail, rdetail in WORLD:
        sid = source_id(chapter)
        for stat, detail in (("Production", pdetail), ("Reserves", rdetail)):
            if detail is None:
                continue
            table = "production" if stat == "Production" else "reserves"
            for r, form in _series_rows(df, chapter, name, stat, detail):
                year = int(r["Year"])
                country, est_mark = iso3(r["Country"])
                if _reserved(commodity, year):
                    gaps.append(_gap(table, commodity, stage if table == "production" else "",
                                     country, year, "MCS 2026 gives a value; not shipped: "
                                     "the year is in a reserved evaluation episode's window "
                                     "(project rule: no observed outcomes of reserved "
                                     "episodes in the data)", chapter))
                    continue
                value, qual = parse_value(r["Value"])
                if value is None:
                    gaps.append(_gap(table, commodity, stage if table == "production" else "",
                                     country, year, f"USGS MCS 2026 prints '{r['Value']}' "
                                     "(W withheld, NA not available, XX not applicable, s less "
                                     "than 1/2 unit)" + (f": {_clean_notes(r['Notes'])[:160]}"
                                                         if _clean_notes(r["Notes"]) else ""),
                                     chapter))
                    continue
                est = _estimated(r["Notes"]) or est_mark
                if est and qual != "--":
                    qual += "e"
                bound = qual.replace("e", "")
                row = value_row(commodity, country, year,
                                round(value * UNIT_FACTOR[r["Unit"].strip()], 6),
                                units[commodity], qual, est or bound in ("<", ">"),
                                method(bound, est), sid, _row_note(r, form),
                                stage if table == "production" else None)
                (prod if table == "production" else res).append(row)
    return prod, res, gaps


def prices(df: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    """One price per (commodity, year) 2021-2025 from the salient statistics, and gaps rows
    for reserved years."""
    out, gaps = [], []
    sal = df[df["Section"].str.startswith("Salient") & df["Statistics"].eq("Price")]
    for commodity, chapter, name, detail, basis in PRICES:
        sub = sal[sal["MCS chapter"].eq(chapter) & sal["Commodity"].eq(name)
                  & sal["Statistics_detail"].str.strip().eq(detail)]
        if sub.empty:
            raise ValueError(f"MCS 2026: no price rows for {commodity} ({chapter}: {detail!r})")
        for r in sub.to_dict("records"):
            year = int(r["Year"])
            if _reserved(commodity, year):
                gaps.append(_gap("prices", commodity, "", "WORLD", year, "MCS 2026 gives a "
                                 "price; not shipped: the year is in a reserved evaluation "
                                 "episode's window (project rule)", chapter))
                continue
            value, qual = parse_value(r["Value"])
            if value is None or qual:
                continue  # NA / W / ranges: older editions or gaps cover these
            factor, unit = PRICE_FACTOR[r["Unit"].strip()]
            if detail.endswith("metric ton unit"):  # Unit says per t; the cell is per mtu
                factor, unit = 100.0, "USD/t"
            est = _estimated(r["Notes"]) or year == 2025
            out.append(price_row(commodity, year, round(value * factor, 4), unit,
                                 basis + (f" ({r['Unit'].strip()} x {factor:g})"
                                          if factor != 1 else ""),
                                 est, source_id(chapter), _row_note(r, "")))
    return out, gaps


def us_reliance(df: pd.DataFrame, commodities: set[str]) -> list[dict]:
    """U.S. net import reliance 2021-2025 (share of apparent consumption; 'E' net exporter;
    '>'/'<' bounds) of every mapped world-table commodity."""
    out = []
    sal = df[df["Section"].str.startswith("Salient") & df["Statistics"].eq("Net import "
                                                                           "reliance")]
    seen = set()
    for commodity, _stage, chapter, name, *_ in WORLD:
        if commodity in seen or commodity not in commodities:
            continue
        seen.add(commodity)
        sub = sal[sal["MCS chapter"].eq(chapter)]
        want = RELIANCE_DETAIL.get(commodity, "")
        named = sub["Commodity"].str.lower().eq(name.lower())
        if sub["Commodity"].nunique() > 1 and named.any():
            sub = sub[named]
        if want:
            sub = sub[sub["Statistics_detail"].str.lower().str.contains(want)]
        elif sub["Statistics_detail"].nunique() > 1:
            sub = sub[sub["Statistics_detail"].eq(sub["Statistics_detail"].iloc[0])]
        for r in sub.to_dict("records"):
            year = int(r["Year"])
            if _reserved(commodity, year):
                continue
            text = r["Value"].strip()
            if text == "E":
                value, bound = 0.0, "E"
            else:
                value, bound = parse_value(text)
                if value is None:
                    continue
                value = value / 100
            est = _estimated(r["Notes"])
            out.append(dict(importer="USA", commodity=commodity, year=year,
                            measure="net_import_reliance", value=round(value, 6),
                            qualifier=bound if bound != "--" else "", unit="share",
                            estimated=est or bound in ("<", ">"),
                            method=("USGS estimate" if est else "")
                            + ("; published as a bound" if bound in ("<", ">") else ""),
                            source_id=source_id(chapter),
                            note=_row_note(r, "") + f"; {r['Statistics_detail'].strip()}"))
    for r in out:
        r["method"] = r["method"].strip("; ")
    return out


def critical_list(df: pd.DataFrame, chapter_commodities: dict[str, list[str]]) -> list[dict]:
    """U.S. 2025 list membership from the release's column ``Is critical mineral 2025``."""
    flag = df.groupby("MCS chapter")["Is critical mineral 2025"].agg(
        lambda s: "Yes" if s.eq("Yes").any() else "No")
    rows = []
    for chapter, ids in chapter_commodities.items():
        if flag.get(chapter) == "Yes":
            rows += [dict(list="USGS_2025", commodity=c, listed_as=chapter.title(),
                          source_id=LIST_ID) for c in ids]
    return rows


def sources(df: pd.DataFrame) -> list[dict]:
    """One sources row per chapter read, plus the list column's."""
    rows = []
    for chapter in sorted(df["MCS chapter"].unique()):
        section = "; ".join(sorted(df.loc[df["MCS chapter"].eq(chapter), "Section"].unique()))
        rows.append(dict(source_id=source_id(chapter), publisher="U.S. Geological Survey",
                         title=f"Mineral Commodity Summaries 2026 data release - "
                               f"{chapter.title()}",
                         table=f"usgs_mcs2026_commodities_data.csv: {section}"[:200],
                         year=2026, url=DOI, licence="public domain",
                         note="version 1.3 (2026-05-27); read from the CSV as published "
                              f"(SHA-256 {SHA256[:16]}...), copy in tools/vendor/usgs-mcs2026",
                         kind="official"))
    rows.append(dict(source_id=LIST_ID, publisher="U.S. Geological Survey",
                     title="Mineral Commodity Summaries 2026 data release - column 'Is "
                           "critical mineral 2025'", table="membership of the final 2025 U.S. "
                     "List of Critical Minerals (Federal Register 2025-19813)", year=2026,
                     url=DOI, licence="public domain", note="", kind="official"))
    return rows
