"""Turn a Scenario into arrays over quarters and commodities (no randomness here)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from critmin.market.baseline import REGIONS, MarketBaseline
from critmin.model.network import Network
from critmin.scenarios.spec import Scenario

QUARTER_DAYS = 91.3


def _overlap(q0: dt.date, q1: dt.date, start: dt.date, end: dt.date | None) -> float:
    """Share of [q0, q1) covered by [start, end]."""
    e = q1 if end is None else min(q1, end + dt.timedelta(days=1))
    s = max(q0, start)
    return max(0.0, (e - s).days) / max(1, (q1 - q0).days)


@dataclass
class ControlTerm:
    """One export control on the simulated commodities."""

    china: bool
    kind: str
    mask: np.ndarray  # (C,) commodities covered
    weight: np.ndarray  # (C,) share of the exporter's flow concerned (destinations)
    exporter_share: np.ndarray  # (C,) exporter's share of world output (non-China)
    approval: float
    delay_days: float
    leakage: float
    quota_t: float
    start_day: float  # days from scenario start
    end_day: float | None
    suspended: tuple[float, float] | None
    de_minimis: bool


@dataclass
class Compiled:
    """Deterministic scenario arrays; H quarters, C commodities, R regions."""

    scenario_id: str
    commodities: tuple[str, ...]
    horizon: int
    quarter_days: np.ndarray  # (H + 1,) day offsets of quarter boundaries
    controls: list[ControlTerm]
    china_outage: np.ndarray  # (H, C) share of China output lost
    nonchina_outage_t: np.ndarray  # (H, C) t/yr lost outside China
    demand_factor: np.ndarray  # (H, C, 4) USA, JPN, ROW, CHN
    tariff: np.ndarray  # (H, C, R)
    capacity_t: np.ndarray  # (H + 8, C) capacity online per quarter (padding for shifts)
    stock_days: np.ndarray  # (2, C) target days per holder
    stock_fill: np.ndarray  # (2,) nominal fill rate
    stock_rule: list[str]  # per holder
    stock_lag_q: np.ndarray  # (2,)
    stock_max_release: np.ndarray  # (2,)
    floor_rel: np.ndarray  # (H, C) floor / P0 (0 where none)
    floor_covered_t: np.ndarray  # (H, C)
    floor_upside: np.ndarray  # (H, C)
    responses: list = field(default_factory=list)
    products: dict = field(default_factory=dict)  # product index -> input indices


def compile_scenario(scenario: Scenario, baseline: MarketBaseline, net: Network,
                     horizon: int | None = None) -> Compiled:
    """Arrays for every quarter of the horizon; unknown commodities are an error."""
    com = baseline.commodities
    ci = {c: i for i, c in enumerate(com)}
    h = horizon or scenario.horizon_quarters
    C = len(com)
    bounds = [scenario.quarter_start(q) for q in range(h + 1)]
    days = np.array([(b - scenario.start).days for b in bounds], dtype=float)
    known = set(net.commodities["commodity"])

    def mask(commodities: list[str]) -> np.ndarray:
        bad = sorted(set(commodities) - known - {"ALL"})
        if bad:
            raise ValueError(f"scenario {scenario.id}: unknown commodities {', '.join(bad)}")
        m = np.zeros(C, dtype=bool)
        for c in commodities:
            if c == "ALL":
                m[:] = True
            elif c in ci:
                m[ci[c]] = True
        return m

    shares = baseline.producer_share["share"]
    controls = []
    for ctl in scenario.controls:
        m = mask(ctl.commodities)
        china = ctl.exporter == "CHN"
        if "ALL" in ctl.destinations:
            weight = np.ones(C)
        else:
            cols = [REGIONS.index(d) for d in ctl.destinations if d in REGIONS]
            weight = baseline.dest_share[:, cols].sum(axis=1)
        exp_share = np.array([float(shares.get((c, ctl.exporter), 0.0)) for c in com])
        off = lambda d: None if d is None else float((d - scenario.start).days)  # noqa: E731
        controls.append(ControlTerm(
            china=china, kind=ctl.measure, mask=m, weight=weight, exporter_share=exp_share,
            approval=ctl.approval_rate, delay_days=ctl.processing_days, leakage=ctl.leakage,
            quota_t=ctl.quota_t or 0.0, start_day=off(ctl.start), end_day=off(ctl.end),
            suspended=None if ctl.suspended is None else (off(ctl.suspended[0]),
                                                          off(ctl.suspended[1])),
            de_minimis=ctl.de_minimis is not None))
    china_out = np.zeros((h, C))
    nonchina_out = np.zeros((h, C))
    world = baseline.col("world_output_t")
    for o in scenario.outages:
        m = mask([o.commodity])
        for q in range(h):
            a = _overlap(bounds[q], bounds[q + 1], o.start, o.end)
            if o.country == "CHN":
                china_out[q, m] = np.maximum(china_out[q, m], a * o.share_lost)
            else:
                share = np.array([float(shares.get((c, o.country), 0.0)) for c in com])
                nonchina_out[q] += a * o.share_lost * share * world * m
    demand = np.ones((h, C, 4))
    for d in scenario.demand_shocks:
        m = mask([d.commodity])
        cols = {"WORLD": [0, 1, 2, 3], "CHN": [3]}.get(d.region, [REGIONS.index(d.region)]
                                                       if d.region in REGIONS else [2])
        for q in range(h):
            a = _overlap(bounds[q], bounds[q + 1], d.start, d.end)
            for col in cols:
                demand[q, m, col] *= 1 + a * d.change
    tariff = np.zeros((h, C, len(REGIONS)))
    for t in scenario.tariffs:
        if t.importer not in REGIONS:
            continue
        m = mask([t.commodity])
        r = REGIONS.index(t.importer)
        w = baseline.dest_share[:, r] if t.exporter == "CHN" else np.ones(C)
        for q in range(h):
            a = _overlap(bounds[q], bounds[q + 1], t.start, t.end)
            tariff[q, m, r] += a * t.rate * (w[m] if t.exporter == "CHN" else 1.0)
    cap = np.zeros((h + 8, C))
    for add in scenario.capacity:
        m = mask([add.commodity])
        online_day = (add.online - scenario.start).days
        for q in range(h + 8):
            qs = q * QUARTER_DAYS
            ramp = 1.0 if add.ramp_quarters == 0 else min(
                1.0, max(0.0, (qs - online_day) / (add.ramp_quarters * QUARTER_DAYS)))
            if qs >= online_day:
                cap[q, m] += add.capacity_t * max(ramp, 1e-9)
    stock_days = np.zeros((2, C))
    fill = np.zeros(2)
    rule = ["none", "none"]
    lag = np.zeros(2)
    maxrel = np.zeros(2)
    for s in scenario.stocks:
        if s.holder not in HOLDER_INDEX:
            continue
        k = HOLDER_INDEX[s.holder]
        stock_days[k, mask([s.commodity])] = s.target_days
        fill[k], rule[k] = s.fill_rate, s.release
        lag[k] = math.ceil(s.decision_lag_days / QUARTER_DAYS)
        maxrel[k] = s.max_release_per_quarter
    floor_rel = np.zeros((h, C))
    floor_cov = np.zeros((h, C))
    floor_up = np.zeros((h, C))
    p0 = baseline.col("price_usd_t")
    for f in scenario.price_floors:
        m = mask([f.commodity])
        for q in range(h):
            a = _overlap(bounds[q], bounds[q + 1], f.start, f.end)
            floor_rel[q, m] = f.floor_usd_kg * 1000.0 / p0[m]
            floor_cov[q, m] = a * f.covered_t
            floor_up[q, m] = f.upside_share
    products = {}
    for product, g in net.bom.groupby("product"):
        if product in ci:
            ins = [ci[i] for i in g["input"] if i in ci]
            if ins:
                products[ci[product]] = ins
    return Compiled(
        scenario_id=scenario.id, commodities=com, horizon=h, quarter_days=days,
        controls=controls, china_outage=china_out, nonchina_outage_t=nonchina_out,
        demand_factor=demand, tariff=tariff, capacity_t=cap, stock_days=stock_days,
        stock_fill=fill, stock_rule=rule, stock_lag_q=lag, stock_max_release=maxrel,
        floor_rel=floor_rel, floor_covered_t=floor_cov, floor_upside=floor_up,
        responses=list(scenario.responses), products=products)


HOLDER_INDEX = {"USA": 0, "JPN": 1}
