"""Regression tests for the data audit of issue 11 (one test per finding).

Each test fails on the tables shipped before the fix.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from build_usgs import parse_cell  # noqa: E402


def _row(df, **key):
    mask = True
    for k, v in key.items():
        mask = mask & (df[k] == v)
    found = df[mask]
    assert len(found) == 1, f"{key}: {len(found)} rows"
    return found.iloc[0]


@pytest.mark.parametrize("cell, expected", [
    ("e20,000", (20000.0, "e")), (">130,000,000", (130000000.0, ">")),
    ("    >9,100,000", (9100000.0, ">")), ("<0.5", (0.5, "<")), ("W", (None, "W")),
    ("NA", (None, "NA")), ("--", (0.0, "--")), ("—", (0.0, "--")), ("1,150", (1150.0, "")),
])
def test_usgs_qualifiers_parse(cell, expected):
    assert parse_cell(cell) == expected


def test_vanadium_russia_2022_estimated_cell_ships(net):
    """Audit: the raw cell "e20,000" failed to parse and was logged as withheld."""
    r = _row(net.production, commodity="vanadium", stage="mine", country="RUS", year=2022)
    assert r["value"] == 20000 and r["qualifier"] == "e" and r["estimated"]
    g = net.gaps
    assert not ((g["commodity"] == "vanadium") & (g["country"] == "RUS")
                & (g["year"] == 2022)).any()


def test_nickel_world_reserves_lower_bound_ships_with_qualifier(net):
    """Audit: nickel world reserves ">130,000,000" were dropped."""
    r = net.reserves
    world = r[(r["commodity"] == "nickel") & (r["country"] == "WORLD")]
    assert len(world) >= 1
    assert (world["qualifier"] == ">").all() and (world["value"] == 130_000_000).all()


def test_platinum_reserves_say_all_pgm(net):
    r = net.reserves[net.reserves["commodity"] == "platinum"]
    assert len(r) and r["note"].str.contains("platinum-group metals").all()
