"""Shared by the build modules: paths, the commodity catalogue of the USGS series, units,
source ids and the table writer."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from build_usgs import (
    LIST_COMMODITIES,
    SERIES,
    parse_cell,
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


def _publisher(url: str) -> str:
    m = re.search(r"https?://(?:www\.)?([^/]+)", url)
    return m.group(1) if m else url[:60]


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """A table as the build writes every shipped one: no index, '\n' line ends."""
    df.to_csv(path, index=False, lineterminator="\n")


def write(name: str, rows, columns: list[str]) -> None:
    """Write table ``name`` to ``OUT`` with ``columns`` in order; print its row count."""
    df = pd.DataFrame(rows).reindex(columns=columns)
    write_csv(df, OUT / f"{name}.csv")
    print(f"{name}: {len(df)} rows")

