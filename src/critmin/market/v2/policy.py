"""A Scenario as monthly arrays over nodes and regions for model v2 (no randomness here).

Month 0 starts on the first day of the scenario's start month. Shares of a month are
day-weighted. Controls keep their announced terms; how a licensing regime behaves
(approval, freeze, ramp, leakage, snap-back) is applied in the kernel from latent draws.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from critmin.market.v2.network import EX_CHINA, R_CHN, REGIONS, MarketNetwork, region_of
from critmin.scenarios.spec import Scenario

MONTH_DAYS = 30.44


def month_bounds(start: dt.date, months: int) -> list[dt.date]:
    """First days of months 0..months (the last is the horizon's end)."""
    out = []
    for m in range(months + 1):
        k = start.month - 1 + m
        out.append(dt.date(start.year + k // 12, k % 12 + 1, 1))
    return out


def _share(bounds: list[dt.date], a: dt.date | None, b: dt.date | None) -> np.ndarray:
    """(H,) share of each month inside [a, b] (None = open)."""
    out = np.zeros(len(bounds) - 1)
    for m in range(len(bounds) - 1):
        lo = bounds[m] if a is None else max(bounds[m], a)
        hi = bounds[m + 1] if b is None else min(bounds[m + 1], b + dt.timedelta(days=1))
        out[m] = max(0, (hi - lo).days) / (bounds[m + 1] - bounds[m]).days
    return out


@dataclass
class ControlV2:
    """One export control as the kernel needs it."""

    china: bool
    kind: str
    nodes: np.ndarray  # (N,) bool, nodes covered
    targets: np.ndarray  # (R,) bool, destinations targeted (ex-China)
    approval: float  # announced approval, NaN where not announced
    processing_months: float
    general_licence: float
    refuse_defence: bool
    quota_t: np.ndarray  # (N,) t/yr, inf where none
    start_month: float  # months from month 0 (fractional)
    clock_month: float  # origin of the licence clock: the announcement where it comes first
    in_force: np.ndarray  # (H,) share of each month in force, before suspension
    suspended: np.ndarray  # (H,) share of each month inside the suspension window
    after_suspension: np.ndarray  # (H,) share in force after the suspension ends
    suspension_end: float  # month (fractional) the suspension window closes, inf if none
    announced_from: np.ndarray  # (H,) share of each month after the announcement
    pre_start: np.ndarray  # (H,) share of each month announced but not yet in force
    pre_close: float  # month (fractional) the front-running window closes, nan if none
    exporter_share: np.ndarray  # (N,) exporter's share of each node's output (non-China)
    exporter_region: int
    de_minimis: bool
    reach: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (N,) share of China's
    # baseline exports to the targets (set by _controls)


@dataclass
class MineQuotasV2:
    """China's announced annual mining quotas as the kernel needs them (t of each node's
    unit): the quota-holding mines' output this calendar year may not exceed ``allow``."""

    allow: np.ndarray  # (H, N) batches for month t's year announced by its end, inf: none
    covered: np.ndarray  # (N,) share of China's output at the node held to the quota
    january: np.ndarray  # (H,) bool: the year's count restarts at month t
    mined0: np.ndarray  # (N,) quota-holding output so far this year at month 0 (baseline)


@dataclass
class CompiledV2:
    scenario_id: str
    months: int
    controls: list[ControlV2]
    outage: np.ndarray  # (H, N, R) share of the region's output capacity lost
    added_t: np.ndarray  # (H + 12, N, R) new capacity online, t/yr
    demand: np.ndarray  # (H, N, R) factor on final use
    tariff: np.ndarray  # (H, N, R) ad-valorem wedge on importers' final use
    gov_days: np.ndarray  # (N, R) government stock target, days of use (headline nodes)
    gov_fill: np.ndarray  # (R,) nominal fill rate
    gov_rule: list  # (R,) release rule per region ('none' where no holder)
    gov_lag: np.ndarray  # (R,) decision lag, months
    gov_rate: np.ndarray  # (R,) max release per month, share of initial holdings
    rules: list = field(default_factory=list)  # ResponseRule
    disrupted: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    # (H, C) any control or outage in force on the commodity (set by compile_v2)
    mine: MineQuotasV2 | None = None  # China's announced annual mining quotas (None: none)


def _month_of(bounds: list[dt.date], d: dt.date) -> float:
    """Fractional month index of date ``d`` (may be negative or past the horizon)."""
    k = (d.year - bounds[0].year) * 12 + d.month - bounds[0].month
    return k + (d.day - 1) / MONTH_DAYS


def _controls(m: MarketNetwork, sc: Scenario, bounds, known: set) -> list[ControlV2]:
    out = []
    for ctl in sc.controls:
        bad = sorted(set(ctl.commodities) - known - {"ALL"})
        if bad:
            raise ValueError(f"scenario {sc.id}: unknown commodities {', '.join(bad)}")
        nodes = np.zeros(m.n, dtype=bool)
        for c in m.commodities:
            if c in ctl.commodities or "ALL" in ctl.commodities:
                nodes[m.nodes_of(c, ctl.stages)] = True
        targets = EX_CHINA.copy() if "ALL" in ctl.destinations else np.array(
            [r in {region_of(d) for d in ctl.destinations} and r != "CHN" for r in REGIONS])
        end = ctl.end
        in_force = _share(bounds, ctl.start, end)
        susp = np.zeros_like(in_force)
        after = np.zeros_like(in_force)
        if ctl.suspended is not None:
            s0, s1 = ctl.suspended
            susp = np.minimum(in_force, _share(bounds, s0, s1 - dt.timedelta(days=1)))
            after = np.minimum(in_force, _share(bounds, s1, None))
        share = np.array([m.country_share.get((i, ctl.exporter), 0.0) for i in range(m.n)])
        reach = _reach(m, targets)
        out.append(ControlV2(
            china=ctl.exporter == "CHN", kind=ctl.measure, nodes=nodes, targets=targets,
            approval=np.nan if ctl.approval_rate is None else ctl.approval_rate,
            processing_months=ctl.processing_days / MONTH_DAYS,
            general_licence=ctl.general_licence_share,
            refuse_defence="defence" in ctl.refused_end_uses,
            quota_t=_quota(m, ctl, share),
            start_month=_month_of(bounds, ctl.start),
            clock_month=_month_of(bounds, _filed_from(ctl)), in_force=in_force,
            suspended=susp,
            after_suspension=after,
            suspension_end=(np.inf if ctl.suspended is None
                            else _month_of(bounds, ctl.suspended[1])),
            announced_from=np.maximum(_share(bounds, ctl.announced or ctl.start, end),
                                      in_force),
            pre_start=_pre_start(bounds, ctl), pre_close=_pre_close(bounds, ctl),
            exporter_share=share, exporter_region=REGIONS.index(region_of(ctl.exporter)),
            de_minimis=ctl.de_minimis is not None, reach=reach))
    return out


def _reach(m: MarketNetwork, targets: np.ndarray) -> np.ndarray:
    """(N,) share of China's baseline exports of each node going to the ``targets``
    (ex-China use shares where China exports none, as the destination split); exactly 1
    where every ex-China region is targeted."""
    if targets[EX_CHINA].all():
        return np.ones(m.n)
    ex_use = np.where(EX_CHINA, m.use0, 0.0)
    tot = m.dest0.sum(1)
    share = np.where(tot[:, None] > 0, m.dest0 / np.maximum(tot, 1e-300)[:, None],
                     ex_use / np.maximum(ex_use.sum(1, keepdims=True), 1e-300))
    return (share * targets).sum(1)


def _filed_from(ctl) -> dt.date:
    """Day licence applications can be filed: the announcement where the announced terms
    come before the start date (exporters apply on them and reviews run during the
    notice), else the start."""
    return ctl.start if ctl.announced is None else min(ctl.announced, ctl.start)


def _close(ctl) -> dt.date | None:
    """Day the front-running window closes: the start, or an announced suspension that
    comes first; None without a window (not announced ahead of that day)."""
    close = ctl.start if ctl.suspended is None else min(ctl.start, ctl.suspended[0])
    return None if ctl.announced is None or ctl.announced >= close else close


def _pre_start(bounds, ctl) -> np.ndarray:
    """(H,) share of each month from the announcement to the day before the window
    closes: exports are still free while buyers know the control is coming."""
    close = _close(ctl)
    if close is None:
        return np.zeros(len(bounds) - 1)
    return _share(bounds, ctl.announced, close - dt.timedelta(days=1))


def _pre_close(bounds, ctl) -> float:
    close = _close(ctl)
    return np.nan if close is None else _month_of(bounds, close)


def _quota(m: MarketNetwork, ctl, share: np.ndarray) -> np.ndarray:
    """(N,) quota in t/yr: ``quota_t``, or ``quota_share`` of the exporter's baseline
    exports (China: net exports at each node; elsewhere: the exporter's output)."""
    if ctl.quota_t is not None:
        return np.full(m.n, float(ctl.quota_t))
    if ctl.quota_share is None:
        return np.full(m.n, np.inf)
    base = m.dest0.sum(axis=1) if ctl.exporter == "CHN" else share * m.world_t
    return ctl.quota_share * base


def _outages(m: MarketNetwork, sc: Scenario, bounds, H: int) -> np.ndarray:
    """(H, N, R) share of each region's output capacity lost to outages and, for
    production quotas, the capacity above the quota (quota_share of the country's output)."""
    out = np.zeros((H, m.n, len(REGIONS)))
    cuts = [(o, o.share_lost) for o in sc.outages] + [
        (q, 1.0 - q.quota_share) for q in sc.production_quotas]
    for o, share_lost in cuts:
        r = REGIONS.index(region_of(o.country))
        for i in m.nodes_of(o.commodity, [o.stage] if o.stage else None):
            cs = m.country_share.get((i, o.country), 0.0)
            if m.prod0[i, r] <= 0 or cs <= 0:
                continue
            lost = min(1.0, cs * m.world_t[i] / m.prod0[i, r]) * share_lost
            a = _share(bounds, o.start, o.end)
            out[:, i, r] = 1 - (1 - out[:, i, r]) * (1 - a * lost)
    return out


def _year_quota(q, year: int, by: dt.date) -> float:
    """Year ``year``'s quota (t of basis) as announced before ``by``: the last total a
    notice set; else the batches so far x the reference year's total over its batches
    before its total (the batches unscaled where the reference year lists none); inf
    with no batch yet."""
    got = [b for b in q.batches if b.year == year and b.announced < by]
    if not got:
        return np.inf
    totals = [b.tonnes for b in got if b.total]
    if totals:
        return totals[-1]
    ref = [b for b in q.batches if b.year == q.reference_year]
    first = sum(b.tonnes for b in ref[:next((k for k, b in enumerate(ref) if b.total),
                                            len(ref))])
    scale = q.reference_t / first if first > 0 and year != q.reference_year else 1.0
    return sum(b.tonnes for b in got) * scale


def _mine_quotas(m: MarketNetwork, sc: Scenario, bounds, H: int) -> MineQuotasV2 | None:
    """China's announced annual mining quotas on its mine nodes; None without any. A batch
    counts from the month it is announced in, for its own calendar year only
    (:func:`_year_quota`); a year with no batch announced yet is not capped (mines work
    ahead of the first batch, and what they mine counts against it)."""
    if not sc.mine_quotas:
        return None
    allow = np.full((H, m.n), np.inf)
    covered = np.zeros(m.n)
    for q in sc.mine_quotas:
        nodes = [i for i in m.nodes_of(q.commodity, ["mine"]) if m.prod0[i, R_CHN] > 0] \
            if q.commodity in m.commodities else []
        if not nodes:
            raise ValueError(f"scenario {sc.id}: mine_quotas: {q.commodity} has no mine "
                             "stage with output in China in the network; name a commodity "
                             "China mines")
        for t in range(H):
            allow[t, nodes] = _year_quota(q, bounds[t].year, bounds[t + 1]) * q.content
        for i in nodes:
            covered[i] = min(1.0, q.reference_t * q.content / m.prod0[i, R_CHN])
    january = np.array([b.month == 1 for b in bounds[:-1]])
    mined0 = covered * m.prod0[:, R_CHN] * (bounds[0].month - 1) / 12.0
    return MineQuotasV2(allow=allow, covered=covered, january=january, mined0=mined0)


def _capacity(m: MarketNetwork, sc: Scenario, bounds, H: int) -> np.ndarray:
    out = np.zeros((H + 12, m.n, len(REGIONS)))
    for add in sc.capacity:
        nodes = m.nodes_of(add.commodity, [add.stage] if add.stage else None)
        if not nodes:
            continue
        i = nodes[-1]
        r = REGIONS.index(region_of(add.country))
        online = _month_of(bounds, add.online)
        ramp_m = 3 * add.ramp_quarters
        t = np.arange(H + 12) + 0.5
        frac = np.where(t >= online, 1.0 if ramp_m == 0 else
                        np.clip((t - online) / max(ramp_m, 1e-9), 0, 1), 0.0)
        out[:, i, r] += frac * add.capacity_t
    return out


def _demand(m: MarketNetwork, sc: Scenario, bounds, H: int) -> np.ndarray:
    out = np.ones((H, m.n, len(REGIONS)))
    for d in sc.demand_shocks:
        cols = list(range(len(REGIONS))) if d.region == "WORLD" else [
            REGIONS.index(region_of(d.region))]
        a = _share(bounds, d.start, d.end)
        for i in m.nodes_of(d.commodity):
            for r in cols:
                out[:, i, r] *= 1 + a * d.change
    return out


def _tariffs(m: MarketNetwork, sc: Scenario, bounds, H: int) -> np.ndarray:
    """(H, N, R) wedges at each commodity's headline stage; a tariff on Chinese supply
    weighs by China's share of the importer's baseline use."""
    out = np.zeros((H, m.n, len(REGIONS)))
    for tf in sc.tariffs:
        reg = region_of(tf.importer)
        if tf.commodity not in m.commodities or reg == "CHN":
            continue
        r = REGIONS.index(reg)
        i = m.headline[m.commodities.index(tf.commodity)]
        w = (m.dest0[i, r] / m.use0[i, r] if m.use0[i, r] > 0 else 0.0) \
            if tf.exporter == "CHN" else 1.0
        out[:, i, r] += _share(bounds, tf.start, tf.end) * tf.rate * min(w, 1.0)
    return out


def gov_stocks(m: MarketNetwork, sc: Scenario) -> dict:
    """Government stocks of each importing region (China excluded): target days of use per
    node, fill rate, release rule, decision lag (months) and release rate (per month)."""
    R = len(REGIONS)
    days, fill, lag, rate = np.zeros((m.n, R)), np.zeros(R), np.zeros(R), np.zeros(R)
    rule = ["none"] * R
    for s in sc.stocks:
        r = REGIONS.index(region_of(s.holder))
        if r == R_CHN:
            continue
        for k, c in enumerate(m.commodities):
            if s.commodity in (c, "ALL"):
                days[m.headline[k], r] = s.target_days
        fill[r] = s.fill_rate
        rule[r] = s.release
        lag[r] = s.decision_lag_days / MONTH_DAYS
        rate[r] = s.max_release_per_quarter / 3
    return dict(gov_days=days, gov_fill=fill, gov_rule=rule, gov_lag=lag, gov_rate=rate)


def compile_v2(m: MarketNetwork, sc: Scenario, months: int, known: set) -> CompiledV2:
    """Monthly arrays of ``sc`` over ``months`` months on the nodes of ``m``."""
    bounds = month_bounds(sc.start.replace(day=1), months)
    controls = _controls(m, sc, bounds, known)
    outage = _outages(m, sc, bounds, months)
    disrupted = np.zeros((months, len(m.commodities)), dtype=bool)
    for k in range(len(m.commodities)):
        nodes = m.node_commodity == k
        disrupted[:, k] = (outage[:, nodes] > 0).any(axis=(1, 2))
        for c in controls:
            if c.nodes[nodes].any():
                disrupted[:, k] |= c.in_force > 0
    return CompiledV2(
        scenario_id=sc.id, months=months, controls=controls, outage=outage,
        added_t=_capacity(m, sc, bounds, months), demand=_demand(m, sc, bounds, months),
        tariff=_tariffs(m, sc, bounds, months),
        **gov_stocks(m, sc), rules=list(sc.responses), disrupted=disrupted,
        mine=_mine_quotas(m, sc, bounds, months))
