"""MCS 2026 is the latest edition: every value citing it is re-derived from the raw release.

The release ships in the repository (tools/vendor/usgs-mcs2026, as published by USGS). The
parser here is written independently of tools/usgs_mcs2026.py: it reads the Windows-1252
CSV with the csv module and converts each cell with its own unit table.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import pycountry
import pytest

RELEASE = (Path(__file__).resolve().parents[2] / "tools" / "vendor" / "usgs-mcs2026"
           / "usgs_mcs2026_commodities_data.csv")
SHA256 = "582a0aa231aea53d8a97dc8d1cd3dfa5f885cf3760353e3d029d7f0ae4fbaaf5"
QUANTITY = {"metric tons": 1.0, "thousand metric tons": 1e3, "thousand metric dry tons": 1e3,
            "million metric tons": 1e6, "kilograms": 1e-3, "million cubic meters": 1.0}
PRICE = {"dollars per kilogram": 1.0, "dollars per metric ton": 1.0, "dollars per ton": 1.0,
         "dollars per pound": 2.20462, "cents per pound": 0.0220462,
         "dollars per troy ounce": 32.1507, "dollars per short ton": 1.10231,
         "dollars per dry metric ton unit": 100.0}
NAMES = {"Burma": "MMR", "Congo (Kinshasa)": "COD", "Korea, Republic of": "KOR",
         "Korea, North": "PRK", "Russia": "RUS", "Laos": "LAO", "Turkey": "TUR",
         "Iran": "IRN", "Vietnam": "VNM", "Bolivia": "BOL", "Tanzania": "TZA", "Syria": "SYR",
         "Côte d’Ivoire": "CIV", "World total": "WORLD", "Other countries": "OTHER"}
RESERVED = {("gallium", 2023), ("gallium", 2024), ("germanium", 2023), ("germanium", 2024),
            *((c, 2025) for c in ("sm", "gd", "tb", "dy", "lu", "scandium", "y", "ree_other",
                                  "ndfeb_magnet"))}
TABLES = ("production", "reserves", "prices", "import_reliance")


@pytest.fixture(scope="module")
def records() -> list[dict]:
    with RELEASE.open(encoding="cp1252", newline="") as fh:
        return list(csv.DictReader(fh))


def _iso3(label: str) -> str:
    if label in NAMES:
        return NAMES[label]
    c = pycountry.countries.get(name=label) or pycountry.countries.get(common_name=label)
    assert c is not None, label
    return c.alpha_3


def _number(text: str) -> tuple[float, str]:
    t = text.replace(",", "").strip()
    if t == "—":
        return 0.0, "--"
    if t == "E":
        return 0.0, "E"
    bound = t[0] if t[:1] in "<>" else ""
    return float(t.lstrip("<>")), bound


def _cited(net, table: str):
    df = net.tables[table]
    if table == "import_reliance":  # other importers' reliance is derived, not read
        df = df[df["importer"] == "USA"]
    return df[df["source_id"].str.startswith("usgs_mcs2026_")]


def test_the_shipped_release_is_the_published_file():
    assert hashlib.sha256(RELEASE.read_bytes()).hexdigest() == SHA256


@pytest.mark.parametrize("table", TABLES)
def test_every_release_value_is_rederived_from_its_record(net, records, table):
    rows = _cited(net, table)
    assert len(rows) > (100 if table != "reserves" else 50), table
    bad = []
    for r in rows.to_dict("records"):
        m = re.match(r"MCS 2026 record (\d+): '([^']*)' ", str(r["note"]))
        assert m, f"{table}: row without its release record: {r}"
        raw = records[int(m.group(1)) - 1]
        assert raw["Value"] == m.group(2), (table, r)
        assert int(raw["Year"]) == int(r["year"]), (table, r)
        value, bound = _number(raw["Value"])
        unit = raw["Unit"].strip()
        if table == "import_reliance":
            want = value / 100
            assert raw["Statistics"] == "Net import reliance" and r["importer"] == "USA"
            assert (r["qualifier"] if isinstance(r["qualifier"], str) else "") == (
                bound if bound != "--" else "")
        elif table == "prices":
            factor = 100.0 if raw["Statistics_detail"].strip().endswith(
                "metric ton unit") else PRICE[unit]
            want = value * factor
            assert raw["Statistics"] == "Price"
        else:
            want = value * QUANTITY[unit]
            assert raw["Statistics"] == table.title()
            assert _iso3(raw["Country"]) == r["country"], (table, r, raw["Country"])
            assert (bound or "") in str(r["qualifier"]) or bound == "--"
        # prices ship rounded to 4 decimals (USD), quantities to 6
        tol = 5e-5 if table == "prices" else 1e-6 * max(1.0, abs(want))
        if abs(float(r["value"]) - want) > tol:
            bad.append((table, r["commodity"], r.get("country", ""), r["year"], r["value"],
                        want))
    assert not bad, bad[:10]


def test_no_release_value_of_a_reserved_episode_ships(net):
    for table in TABLES:
        rows = _cited(net, table)
        hit = [(c, y) for c, y in zip(rows["commodity"], rows["year"], strict=True)
               if (c, int(y)) in RESERVED]
        assert not hit, (table, hit[:5])


def test_world_totals_for_2025_cover_at_least_60_commodities():
    from typer.testing import CliRunner

    from critmin.cli import app

    out = CliRunner().invoke(app, ["data", "list", "production", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    world = {r["commodity"] for r in rows if r["year"] == 2025 and r["country"] == "WORLD"
             and r["source_id"].startswith("usgs_mcs2026_")}
    assert len(world) >= 60, sorted(world)


def test_revised_2024_replaces_the_older_edition_and_keeps_it_in_the_note(net):
    """Cobalt 2024: MCS 2026 revised the DRC to 226,000 t (MCS 2025: 220,000 t)."""
    p = net.production
    drc = p[(p["commodity"] == "cobalt") & (p["country"] == "COD") & (p["year"] == 2024)]
    assert len(drc) == 1 and drc["value"].iloc[0] == 226_000
    assert drc["source_id"].iloc[0] == "usgs_mcs2026_cobalt"
    assert "superseded: usgs_mcs2025_cobalt gave 220,000 t" in drc["note"].iloc[0]


def test_lower_bounds_keep_their_qualifier(net):
    """World REE reserves print '>85,000,000' in MCS 2026."""
    r = net.reserves
    w = r[(r["commodity"] == "ree") & (r["country"] == "WORLD") & (r["year"] == 2025)]
    assert w["value"].iloc[0] == 85_000_000 and w["qualifier"].iloc[0] == ">"
    assert w["estimated"].iloc[0]
