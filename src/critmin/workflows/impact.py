"""`critmin impact`: a scenario's market-model paths through input-output tables to GDP.

The market model (default v2, :func:`critmin.simulate.paths.scenario_paths`) gives, per
sample and month, each commodity node's shortfall (the quantity cut) and price for the
country; :mod:`critmin.metrics.impact` turns them into value added lost by industry
(docs/impact.md). USD; months from the scenario's start.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from critmin.market.v2.network import REGIONS
from critmin.market.v2.paths import prepare
from critmin.metrics.impact import (
    IOTable,
    Loss,
    Shock,
    gdp_loss,
    io_table_jpn,
    io_table_usa,
    jpn_concordance,
    make_links,
    quantiles,
    read_map,
)
from critmin.simulate.paths import scenario_paths

COUNTRIES = ("USA", "JPN")
PRODUCER_MINE = {"industrial": "2123A0", "energy": "212100"}
PRODUCER_MINE_BASE = {"copper", "lead", "zinc", "nickel"}
PRODUCER_REFINED = {"bauxite": "331313", "alumina": "331313", "aluminum": "331313",
                    "cathode": "335911", "anode": "335911", "li_ion_cell": "335911"}
JPN_NOTE = ("MIC 2015 basic input-output tables for Japan (391 sectors; imports removed by "
            "each good's import share), in USD at 121.04 JPY/USD (2015 average); the "
            "mapping's BEA industries are translated to MIC sectors by "
            "io_tables/jpn_mic2015_concordance.csv. The 2020 tables (published 2024) were "
            "not obtained (gaps table)")
IO_NOTE = {"USA": "BEA 2017 benchmark detail tables, before redefinitions", "JPN": JPN_NOTE}
LIMITS = (
    "The quantity cut is the market model's total shortfall (after stocks, substitution "
    "and thrifting); it binds on the dependent output of the using industries, shared so "
    "as to lose the least value added (the USGS 2025 logic), not on whole industries.",
    "Dependence shares are critmin estimates by tier (high 0.25, medium 0.05, low 0.01 of "
    "the using industry's output), not measured; docs/impact.md lists each mapping row.",
    "Supply-side (Ghosh) propagation is damped: downstream buyers replace half of a lost "
    "input from other sellers or stocks each round (0.5, a critmin estimate); the plain "
    "Ghosh inverse, which lets them replace none, is an upper bound.",
    "Price costs fall on the using industries, which pass half on to their buyers round "
    "after round (pass-through 0.5, a critmin estimate); what reaches final buyers is "
    "reported apart. Producers' gains are counted at the domestic producing industry.",
    "Stage values use the commodity's headline price for every stage (contained content).",
)


@dataclass
class Nodes:
    """Mapped commodity nodes of the market network and their links."""

    keys: list[tuple[str, str]]  # (commodity, stage)
    market_ix: np.ndarray  # node index in the market network
    links: object


def producer_industry(commodity: str, stage: str, group: str) -> str | None:
    """BEA industry of a node's domestic producers (rule in docs/impact.md)."""
    if commodity in PRODUCER_REFINED:
        return PRODUCER_REFINED[commodity]
    if stage == "mine":
        if group in PRODUCER_MINE:
            return PRODUCER_MINE[group]
        return "212230" if commodity in PRODUCER_MINE_BASE else "2122A0"
    if stage in ("refining", "metal"):
        return "331410"
    return None


def io_table(country: str) -> IOTable:
    """The country's own input-output table (USA: BEA 2017; JPN: MIC 2015)."""
    return io_table_jpn() if country == "JPN" else io_table_usa()


def _industries(country: str, bea: str) -> list[str]:
    """The country's industries for a BEA code of the mapping (JPN: the concordance)."""
    return jpn_concordance().get(bea, []) if country == "JPN" else [bea]


def _producer(country: str, bea: str | None) -> str | None:
    """The country's industry of a node's domestic producers (first concordance match)."""
    inds = _industries(country, bea) if bea else []
    return inds[0] if inds else None


def _nodes(net, full, io: IOTable, country: str, mapping: pd.DataFrame) -> tuple:
    stage_of = {full.nodes[h].commodity: full.nodes[h].stage for h in full.headline}
    where = {(nd.commodity, nd.stage): i for i, nd in enumerate(full.nodes)}
    groups = dict(zip(net.commodities["commodity"], net.commodities["group"], strict=True))
    rows = mapping[mapping["role"].eq("user") & mapping["commodity"].isin(stage_of)]
    keys: list[tuple[str, str]] = []
    node_ix, ind_ix, share = [], [], []
    for r in rows.itertuples(index=False):
        key = (r.commodity, r.stage or stage_of[r.commodity])
        inds = [i for i in _industries(country, r.industry) if i in io.industries]
        if key not in where or not inds:
            continue
        if key not in keys:
            keys.append(key)
        for ind in inds:
            node_ix.append(keys.index(key))
            ind_ix.append(io.index(ind))
            share.append(r.share)
    mix = np.array([where[k] for k in keys], dtype=int)
    price = full.price_usd_t[full.node_commodity[mix]]
    r_c, r_us = REGIONS.index(country), REGIONS.index("USA")
    use_c = full.final0[mix, r_c] * price
    use_us = full.final0[mix, r_us] * price
    prod = full.prod0[mix, r_c] * price
    prods = [_producer(country, producer_industry(c, s, groups.get(c, ""))) for c, s in keys]
    producer = np.array([io.index(p) if p in io.industries else -1 for p in prods])
    # dependent output per USD of use: the country's own industries over its own use
    ref = use_c if country == "JPN" else use_us
    links = make_links(io, np.array(node_ix, dtype=int), np.array(ind_ix, dtype=int),
                       np.array(share, float), ref, producer)
    return keys, mix, links, use_c, prod


def _shock(ds, full, keys, mix, country, use_c, prod) -> Shock:
    stages = list(ds["stage"].values)
    comms = list(ds["commodity"].values)
    hl = set(int(h) for h in full.headline)
    ci = [comms.index(c) for c, _ in keys]
    si = [stages.index(s) for _, s in keys]
    r = list(ds["region"].values).index(country)
    phys_stage = ds["shortfall_stage"].values[:, :, ci, si, r]
    price = ds["price_ex_china_stage"].values[:, :, ci, si]
    total = phys_stage.copy()
    head = np.array([int(m) in hl for m in mix])
    if head.any():
        total[:, :, head] = ds["shortfall"].values[:, :, np.array(ci)[head], r]
    return Shock(np.nan_to_num(total), np.nan_to_num(price, nan=1.0), use_c, prod)


class ImpactLoss(NamedTuple):
    """What :func:`impact_loss` ran and found."""

    loss: Loss
    io: IOTable
    keys: list  # mapped nodes, (commodity, stage)
    use: np.ndarray  # the country's use by mapped node, USD
    spin_up_months: int
    """Months the market run was spun up before the scenario's start (its paths' attrs)."""


def impact_loss(net, scenario, country: str = "USA", samples: int = 64, seed: int = 0,
                months: int = 12, model: str = "v2", spin_up: bool = True) -> ImpactLoss:
    """Loss arrays, IO table, mapped nodes, use by node of a scenario for a country, and
    the spin-up months of the market run they come from (``spin_up`` False: none)."""
    if country not in COUNTRIES:
        raise ValueError(f"country {country!r}: use one of {', '.join(COUNTRIES)}")
    if model != "v2":
        raise ValueError(f"model {model!r}: impact needs model v2's stage paths; use v2")
    io = io_table(country)
    full = prepare(net, scenario, months).full
    keys, mix, links, use_c, prod = _nodes(net, full, io, country, read_map())
    ds = scenario_paths(net, scenario, samples=samples, seed=seed, months=months, model=model,
                        spin_up=spin_up)
    shock = _shock(ds, full, keys, mix, country, use_c, prod)
    return ImpactLoss(gdp_loss(io, links, shock), io, keys, use_c,
                      int(ds.attrs["spin_up_months"]))


def _q(a: np.ndarray) -> dict:
    out = quantiles(a)
    out["mean"] = float(np.mean(a))
    return out


def run_impact(net, scenario, country: str = "USA", samples: int = 64, seed: int = 0,
               months: int = 12, model: str = "v2", top: int = 10,
               spin_up: bool = True) -> dict:
    """The `critmin impact` result (JSON keys in docs/impact.md); ``spin_up_months`` is
    that of the run whose paths it uses."""
    loss, io, keys, use_c, lead = impact_loss(net, scenario, country, samples, seed, months,
                                              model, spin_up)
    tot = loss.total  # (S, H, I)
    monthly = loss.gdp  # (S, H) industries plus final buyers
    per_sample = monthly.sum(axis=1)
    by_ind = tot.sum(axis=1)  # (S, I)
    mean_ind = by_ind.mean(axis=0)
    order = [int(i) for i in np.argsort(-np.abs(mean_ind)) if mean_ind[i] != 0]
    rows = []
    for i in order:
        q = quantiles(by_ind[:, i])
        rows.append({"industry": io.industries[i], "name": io.names[i], "mean": float(
            mean_ind[i]), "p5": q["p5"], "p50": q["p50"], "p95": q["p95"],
            "direct_mean": float(loss.direct[:, :, i].sum(axis=1).mean()),
            "price_mean": float(loss.price[:, :, i].sum(axis=1).mean())})
    start = scenario.start.replace(day=1)
    by_month = []
    for t in range(monthly.shape[1]):
        d = dt.date(start.year + (start.month - 1 + t) // 12, (start.month - 1 + t) % 12 + 1, 1)
        by_month.append({"month": t, "date": d.isoformat()[:7], **_q(monthly[:, t])})
    return {
        "scenario": scenario.id, "country": country, "model": model, "samples": samples,
        "seed": seed, "months": months, "spin_up_months": lead,
        "unit": "USD ({} input-output structure; "
        "commodity values at critmin's baseline prices)".format(
            "MIC 2015" if country == "JPN" else "BEA 2017"),
        "io_table": {"source_id": io.source, "industries": len(io.industries),
                     "note": IO_NOTE[country]},
        "gdp_loss_usd": _q(per_sample),
        "gdp_loss_direct_usd": _q(loss.direct.sum(axis=(1, 2))),
        "gdp_loss_quantity_usd": _q(loss.physical.sum(axis=(1, 2))),
        "price_cost_usd": _q(loss.price.sum(axis=(1, 2)) + loss.price_final.sum(axis=1)),
        "price_cost_final_buyers_usd": _q(loss.price_final.sum(axis=1)),
        "producer_gain_usd": _q(loss.gain.sum(axis=(1, 2))),
        "industries_affected": len(rows),
        "top_industries": rows[:top],
        "by_industry": rows,
        "by_month": by_month,
        "by_commodity": [{"commodity": c, "stage": s, "use_usd": float(u)}
                         for (c, s), u in zip(keys, use_c, strict=True)],
        "per_sample": {"gdp_loss_usd": [float(v) for v in per_sample],
                       "by_month_usd": [[float(v) for v in row] for row in monthly],
                       "by_industry_usd": {r["industry"]: [float(v) for v in by_ind[:, i]]
                                           for r, i in zip(rows[:top], order[:top], strict=True)}},
        "limits": list(LIMITS) + ([JPN_NOTE] if country == "JPN" else []),
    }
