"""The preset library: historical and hypothetical events, and generated N-1 stress tests."""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from critmin.scenarios.spec import (
    Outage,
    Scenario,
    ScenarioError,
    load_scenario_file,
    parse_scenario,
)

N1_START = dt.date(2026, 1, 1)
N1_QUARTERS = 4


def _flatten(items: list) -> list:
    out = []
    for x in items:
        out.extend(_flatten(x) if isinstance(x, list) else [x])
    return out


@cache
def _raw_presets() -> tuple[dict, ...]:
    text = (resources.files("critmin.scenarios") / "presets.yaml").read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    out = []
    for s in doc["scenarios"]:
        s = dict(s)
        for key in ("controls", "stocks", "responses", "price_floors"):
            if key in s:
                s[key] = _flatten(s[key])
        out.append(s)
    return tuple(out)


def presets() -> dict[str, Scenario]:
    """The shipped event presets by id."""
    return {s["id"]: parse_scenario(s, f"presets.yaml:{s['id']}") for s in _raw_presets()}


def n1_scenarios(net) -> dict[str, Scenario]:
    """'Largest supplier lost' for every commodity and stage with producer data: the top
    producer's output is lost for four quarters from 2026-01-01 (id ``n1:COMMODITY:STAGE``)."""
    shares = net.production_shares()
    shares = shares[~shares["country"].eq("OTHER")]
    top = shares.sort_values("share", ascending=False).groupby(["commodity", "stage"]).head(1)
    out = {}
    for r in top.itertuples(index=False):
        sid = f"n1:{r.commodity}:{r.stage}"
        end = dt.date(N1_START.year + 1, N1_START.month, N1_START.day) - dt.timedelta(days=1)
        out[sid] = Scenario(
            id=sid, name=f"N-1: {r.country} {r.commodity} {r.stage} output lost for a year",
            description=f"{r.country} held {r.share:.0%} of {r.stage} output ({r.year}).",
            start=N1_START, horizon_quarters=N1_QUARTERS + 4, commodities=[r.commodity],
            outages=[Outage(country=r.country, commodity=r.commodity, stage=r.stage,
                            share_lost=1.0, start=N1_START, end=end)])
    return out


def scenario_catalogue(net) -> dict[str, Scenario]:
    """Every preset and generated scenario by id."""
    return {**presets(), **n1_scenarios(net)}


def get_scenario(id_or_file: str, net) -> Scenario:
    """A preset or generated scenario by id, or a scenario read from a YAML/JSON file."""
    catalogue = scenario_catalogue(net)
    if id_or_file in catalogue:
        return catalogue[id_or_file]
    if Path(id_or_file).suffix.lower() in (".yaml", ".yml", ".json"):
        return load_scenario_file(id_or_file)
    known = ", ".join(sorted(presets()))
    raise ScenarioError(f"unknown scenario {id_or_file!r}: not a preset ({known}), not an "
                        "n1:COMMODITY:STAGE id, not a .yaml/.json file")
