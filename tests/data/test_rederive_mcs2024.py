"""Every production and reserves value shipped from the USGS MCS 2024 data release is
re-derived from the release's own cell for the same (commodity, country, year): a value
moved to another country or year fails, not only a value absent from the file.

The release's world files (public domain; U.S. Geological Survey, Mineral Commodity
Summaries 2024 data release, world production and reserves by country) are vendored
under tests/data/usgs_mcs2024_world/, so this runs (and fails) on every CI machine. The
parser and the country-label mapping here are independent of tools/.
"""

from __future__ import annotations

import csv
import itertools
import re
from pathlib import Path

import pycountry
import pytest

RAW = Path(__file__).with_name("usgs_mcs2024_world")
ALIASES = {"Burma": "MMR", "Congo (Kinshasa)": "COD", "Korea, North": "PRK",
           "Korea, Republic of": "KOR", "Russia": "RUS", "Turkey": "TUR",
           "Côte d’Ivoire": "CIV", "Other": "OTHER", "Other countries": "OTHER",
           "World total": "WORLD"}
UNITS = {"t": 1.0, "kt": 1e3, "kg": 1e-3, "mmt": 1e6, "mcm": 1.0, "mct": 1.0}


def iso3(label: str) -> str | None:
    """The country a release row names (footnote digits, a glued "e" for estimated,
    and qualifiers in brackets or after a comma removed); None for a joint row."""
    text = re.sub(r"\d+$", "", label.replace("\xa0", " ").strip()).strip()
    if text in ALIASES:
        return ALIASES[text]
    text = re.sub(r"\d+$", "", re.sub(r"\s*\(.*\)", "", text)).strip()
    if "World total" in text:
        return "WORLD"
    for candidate in (text, text.split(",")[0] if text not in ALIASES else text):
        for name in (candidate, candidate[:-1] if candidate.endswith("e") else None):
            if not name:
                continue
            if name in ALIASES:
                return ALIASES[name]
            try:
                return pycountry.countries.lookup(name).alpha_3
            except LookupError:
                continue
    return None


def number(cell: str) -> float | None:
    """A release cell as a number: thousands separators, "<"/">" and a leading "e"
    (estimated) dropped; None for W (withheld), NA, and text."""
    text = cell.replace(",", "").strip().lstrip("<>").removeprefix("e").strip()
    try:
        return float(text)
    except ValueError:
        return None


def release(code: str) -> tuple[list[str], list[list[str]]]:
    path = next(RAW.glob(f"*-{code}_world.csv"))
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.reader(fh) if len(r) > 2 and r[1].strip()]
    return rows[0], rows[1:]


def factor(column: str) -> float:
    return UNITS[re.search(r"_(t|kt|kg|mmt|mcm|mct)(?:_|$)", column.lower()).group(1)]


def cells(code: str, kind: str) -> dict[tuple[str, int | None], list[float]]:
    """Release values in tonnes by (ISO3, year): production for 2022 and 2023, reserves
    (no year) under None."""
    header, body = release(code)
    cols = {i: (int(h[-4:]) if kind == "production" else None) for i, h in enumerate(header)
            if (kind == "production" and re.fullmatch(r"prod_[a-z_]+_20\d\d", h.lower())) or
            (kind == "reserves" and h.startswith("Reserves") and "note" not in h)}
    out: dict[tuple[str, int | None], list[float]] = {}
    for row in body:
        country = iso3(row[1])
        for i, year in cols.items():
            v = number(row[i]) if i < len(row) and country else None
            if v is not None:
                out.setdefault((country, year), []).append(round(v * factor(header[i]), 6))
    return out


def derivable(value: float, found: list[float]) -> bool:
    """``value`` is one release cell of its key, or the sum of several (a country given
    on two rows, e.g. two ore types of one stage)."""
    target = round(value, 6)
    return any(round(sum(c), 6) == target for n in range(1, min(len(found), 4) + 1)
               for c in itertools.combinations(found, n))


@pytest.mark.parametrize("kind", ["production", "reserves"])
def test_every_mcs2024_value_is_its_own_cell_of_the_release(net, kind):
    shipped = getattr(net, kind)
    rows = shipped[shipped["source_id"].str.startswith("usgs_mcs2024_")]
    assert len(rows) > (600 if kind == "production" else 200)
    wrong = []
    for source, group in rows.groupby("source_id"):
        release_cells = cells(source.removeprefix("usgs_mcs2024_"), kind)
        for r in group.itertuples():
            key = (r.country, int(r.year) if kind == "production" else None)
            if not derivable(r.value, release_cells.get(key, [])):
                wrong.append((source, r.country, r.year, r.value, release_cells.get(key)))
    assert not wrong, f"{len(wrong)} values are not their cell of the release: {wrong[:8]}"


def test_the_mapping_reads_the_release_labels():
    assert [iso3(x) for x in ("Burma", "Chinae", "Korea, Republic ofe", "United\xa0States1",
                              "World total (rounded)10", "Other countries4", "Greecee",
                              "Ukraine, concentrate", "Russia, datolite ore",
                              "Zimbabwe", "Mozambique")] == \
        ["MMR", "CHN", "KOR", "USA", "WORLD", "OTHER", "GRC", "UKR", "RUS", "ZWE", "MOZ"]


def test_swapping_two_countries_is_caught(net):
    """The mutant this test exists for: two cobalt country values swapped."""
    p = net.production
    rows = p[p["source_id"].eq("usgs_mcs2024_cobal") & p["year"].eq(2022)]
    release_cells = cells("cobal", "production")
    a, b = rows.iloc[0], rows.iloc[1]
    assert a["value"] != b["value"]
    assert derivable(a["value"], release_cells[(a["country"], 2022)])
    assert not derivable(b["value"], release_cells[(a["country"], 2022)])
