"""USGS country labels to ISO 3166-1 alpha-3 codes (shared by every USGS reader)."""

from __future__ import annotations

import re

import pycountry

USGS_ALIASES = {  # USGS labels that pycountry's lookup does not resolve
    "Burma": "MMR", "Congo (Kinshasa)": "COD", "Congo (Brazzaville)": "COG",
    "Korea, Republic of": "KOR", "Korea, North": "PRK", "Russia": "RUS", "Laos": "LAO",
    "Turkey": "TUR", "Iran": "IRN", "Vietnam": "VNM", "Bolivia": "BOL", "Taiwan": "TWN",
    "Tanzania": "TZA", "Côte d’Ivoire": "CIV", "Cote d'Ivoire": "CIV", "Syria": "SYR",
}


def _lookup(label: str) -> str | None:
    if label in USGS_ALIASES:
        return USGS_ALIASES[label]
    country = pycountry.countries.get(name=label) or pycountry.countries.get(
        common_name=label) or pycountry.countries.get(official_name=label)
    return country.alpha_3 if country else None


def iso3(name: str) -> tuple[str, bool]:
    """ISO3 code of a USGS country label, and whether USGS marked it estimated ('e')."""
    label = re.sub(r"\d+$", "", " ".join(name.split())).strip()
    low = label.lower()
    if low.startswith("world total"):
        return "WORLD", False
    if low.startswith("other countries") or low == "other":
        return "OTHER", False
    code = _lookup(label)
    if code is None and "(" in label:  # "Brazil (beneficiated)": a basis note on the label
        code = _lookup(label.split("(")[0].strip())
    if code is None and "," in label:  # "Argentina, crude ore"
        code = _lookup(label.split(",")[0].strip())
    if code is None and label.endswith("e"):
        code = _lookup(label[:-1])  # "Russiae": "Russia" + the USGS estimate marker
        if code is not None:
            return code, True
    if code is None:
        raise ValueError(f"unknown country label {name!r}")
    return code, False
