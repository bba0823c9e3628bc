"""Turn a Scenario into arrays over quarters and commodities (no randomness here)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np

from critmin.market.baseline import REGIONS, MarketBaseline
from critmin.market.v1.model import HOLDERS
from critmin.model.network import Network
from critmin.scenarios.spec import Scenario

QUARTER_DAYS = 91.3
V1_DEFAULT_APPROVAL = 0.575
"""v1's licence approval where a scenario announces none: the midpoint of model v2's
latent ``licence_approval`` prior U(0.2, 0.95) (a prior, not an observation)."""
V1_DEFAULT_LEAKAGE = {"destination_ban": 0.2}
"""v1's leakage where a scenario states none: the parameters table's ALL/leakage prior for
destination bans (what the presets stated before they dropped it), 0 for other measures."""


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
    quota_t: float | np.ndarray  # t/yr, or (C,) t/yr from a share of China's exports
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


@dataclass
class _Context:
    """What every compiling step needs: commodities, quarter bounds, baseline, network."""

    scenario: Scenario
    baseline: MarketBaseline
    known: set
    bounds: list

    @property
    def commodities(self) -> tuple[str, ...]:
        return self.baseline.commodities

    @property
    def h(self) -> int:
        return len(self.bounds) - 1

    def mask(self, commodities: list[str]) -> np.ndarray:
        """(C,) commodities of the list that are simulated; unknown ids are an error."""
        bad = sorted(set(commodities) - self.known - {"ALL"})
        if bad:
            raise ValueError(f"scenario {self.scenario.id}: unknown commodities "
                             f"{', '.join(bad)}")
        return np.array([c in commodities or "ALL" in commodities
                         for c in self.commodities])

    def active(self, start: dt.date, end: dt.date | None) -> np.ndarray:
        """(H,) share of each quarter inside [start, end]."""
        return np.array([_overlap(self.bounds[q], self.bounds[q + 1], start, end)
                         for q in range(self.h)])

    @overload
    def day(self, d: dt.date) -> float: ...
    @overload
    def day(self, d: None) -> None: ...
    def day(self, d: dt.date | None) -> float | None:
        """Days from the scenario's start to ``d`` (None for no date)."""
        return None if d is None else float((d - self.scenario.start).days)

    def share_of(self, country: str) -> np.ndarray:
        """(C,) ``country``'s share of world output per commodity."""
        shares = self.baseline.producer_share["share"]
        return np.array([float(shares.get((c, country), 0.0)) for c in self.commodities])


def _controls(cx: _Context) -> list[ControlTerm]:
    out = []
    for ctl in cx.scenario.controls:
        if "ALL" in ctl.destinations:
            weight = np.ones(len(cx.commodities))
        else:
            cols = [REGIONS.index(d) for d in ctl.destinations if d in REGIONS]
            weight = cx.baseline.dest_share[:, cols].sum(axis=1)
        out.append(ControlTerm(
            china=ctl.exporter == "CHN", kind=ctl.measure, mask=cx.mask(ctl.commodities),
            weight=weight, exporter_share=cx.share_of(ctl.exporter),
            approval=V1_DEFAULT_APPROVAL if ctl.approval_rate is None else ctl.approval_rate,
            delay_days=ctl.processing_days,
            leakage=(V1_DEFAULT_LEAKAGE.get(ctl.measure, 0.0) if ctl.leakage is None
                     else ctl.leakage),
            quota_t=_quota_t(ctl, cx), start_day=cx.day(ctl.start), end_day=cx.day(ctl.end),
            suspended=None if ctl.suspended is None else (cx.day(ctl.suspended[0]),
                                                          cx.day(ctl.suspended[1])),
            de_minimis=ctl.de_minimis is not None))
    return out


def _quota_t(ctl, cx: _Context) -> float | np.ndarray:
    """Quota in t/yr; a ``quota_share`` applies to China's baseline net exports (export
    share at its prior midpoint) or to the exporter's output elsewhere."""
    if ctl.quota_t is not None or ctl.quota_share is None:
        return ctl.quota_t or 0.0
    b = cx.baseline
    if ctl.exporter == "CHN":
        flow = b.col("world_output_t") * np.nan_to_num(b.col("china_share")) \
            * b.col("export_share_mid")
    else:
        flow = b.col("world_output_t") * cx.share_of(ctl.exporter)
    return ctl.quota_share * flow


def _outages(cx: _Context) -> tuple[np.ndarray, np.ndarray]:
    """(H, C) share of China's output lost, and t/yr lost elsewhere."""
    china = np.zeros((cx.h, len(cx.commodities)))
    elsewhere = np.zeros_like(china)
    world = cx.baseline.col("world_output_t")
    for o in cx.scenario.outages:
        a = cx.active(o.start, o.end)[:, None] * cx.mask([o.commodity])
        if o.country == "CHN":
            china = np.maximum(china, a * o.share_lost)
        else:
            elsewhere += a * o.share_lost * cx.share_of(o.country) * world
    return china, elsewhere


def _demand(cx: _Context) -> np.ndarray:
    """(H, C, 4) demand factors for USA, JPN, ROW, CHN."""
    demand = np.ones((cx.h, len(cx.commodities), 4))
    for d in cx.scenario.demand_shocks:
        cols = {"WORLD": [0, 1, 2, 3], "CHN": [3]}.get(
            d.region, [REGIONS.index(d.region)] if d.region in REGIONS else [2])
        a = cx.active(d.start, d.end)[:, None] * cx.mask([d.commodity])
        for col in cols:
            demand[..., col] *= 1 + a * d.change
    return demand


def _tariffs(cx: _Context) -> np.ndarray:
    """(H, C, R) ad-valorem wedges; tariffs on Chinese supply weigh by China's share of
    the importer's flows."""
    tariff = np.zeros((cx.h, len(cx.commodities), len(REGIONS)))
    for t in cx.scenario.tariffs:
        if t.importer not in REGIONS:
            continue
        r = REGIONS.index(t.importer)
        w = cx.baseline.dest_share[:, r] if t.exporter == "CHN" else 1.0
        tariff[..., r] += cx.active(t.start, t.end)[:, None] * cx.mask([t.commodity]) \
            * t.rate * w
    return tariff


def _capacity(cx: _Context) -> np.ndarray:
    """(H + 8, C) t/yr of new capacity online per quarter, ramping up linearly."""
    cap = np.zeros((cx.h + 8, len(cx.commodities)))
    qs = np.arange(cx.h + 8) * QUARTER_DAYS
    for add in cx.scenario.capacity:
        online = cx.day(add.online)
        ramp = np.ones_like(qs) if add.ramp_quarters == 0 else np.clip(
            (qs - online) / (add.ramp_quarters * QUARTER_DAYS), 1e-9, 1.0)
        cap += np.where(qs >= online, ramp, 0.0)[:, None] * add.capacity_t \
            * cx.mask([add.commodity])
    return cap


def _stocks(cx: _Context) -> dict[str, Any]:
    out: dict[str, Any] = {
        "stock_days": np.zeros((2, len(cx.commodities))), "stock_fill": np.zeros(2),
        "stock_rule": ["none", "none"], "stock_lag_q": np.zeros(2),
        "stock_max_release": np.zeros(2)}
    for s in cx.scenario.stocks:
        if s.holder not in HOLDER_INDEX:
            continue
        k = HOLDER_INDEX[s.holder]
        out["stock_days"][k, cx.mask([s.commodity])] = s.target_days
        out["stock_fill"][k], out["stock_rule"][k] = s.fill_rate, s.release
        out["stock_lag_q"][k] = math.ceil(s.decision_lag_days / QUARTER_DAYS)
        out["stock_max_release"][k] = s.max_release_per_quarter
    return out


def _floors(cx: _Context) -> dict:
    shape = (cx.h, len(cx.commodities))
    out = {"floor_rel": np.zeros(shape), "floor_covered_t": np.zeros(shape),
           "floor_upside": np.zeros(shape)}
    p0 = cx.baseline.col("price_usd_t")
    for f in cx.scenario.price_floors:
        m = cx.mask([f.commodity])
        out["floor_rel"][:, m] = f.floor_usd_kg * 1000.0 / p0[m]
        out["floor_covered_t"][:, m] = cx.active(f.start, f.end)[:, None] * f.covered_t
        out["floor_upside"][:, m] = f.upside_share
    return out


def compile_scenario(scenario: Scenario, baseline: MarketBaseline, net: Network,
                     horizon: int | None = None) -> Compiled:
    """Arrays for every quarter of the horizon; unknown commodities are an error."""
    h = horizon or scenario.horizon_quarters
    bounds = [scenario.quarter_start(q) for q in range(h + 1)]
    cx = _Context(scenario, baseline, set(net.commodities["commodity"]), bounds)
    ci = {c: i for i, c in enumerate(baseline.commodities)}
    china_out, nonchina_out = _outages(cx)
    products = {}
    for product, g in net.bom.groupby("product"):
        ins = [ci[i] for i in g["input"] if i in ci]
        if product in ci and ins:
            products[ci[product]] = ins
    return Compiled(
        scenario_id=scenario.id, commodities=baseline.commodities, horizon=h,
        quarter_days=np.array([(b - scenario.start).days for b in bounds], dtype=float),
        controls=_controls(cx), china_outage=china_out, nonchina_outage_t=nonchina_out,
        demand_factor=_demand(cx), tariff=_tariffs(cx), capacity_t=_capacity(cx),
        **_stocks(cx), **_floors(cx), responses=list(scenario.responses), products=products)


HOLDER_INDEX = {h: i for i, h in enumerate(HOLDERS)}
