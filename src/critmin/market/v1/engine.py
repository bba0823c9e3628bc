"""Monte Carlo engine: sample uncertain inputs, run the market model over quarters.

Everything is vectorised over samples and commodities; the only Python loop is over the
quarters of the horizon. Random draws come in fixed blocks of ``BLOCK`` samples, each block
with its own stream ``SeedSequence(seed, spawn_key=(block,))``, so the numbers of sample i
never depend on how samples are chunked or which executor runs them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmin.market.baseline import MarketBaseline
from critmin.market.latent import BLOCK
from critmin.market.v1.compile import QUARTER_DAYS, Compiled
from critmin.market.v1.model import QuarterInputs, clear_quarter

ELASTICITIES = ("demand_elasticity_sr", "demand_elasticity_lr", "supply_elasticity_sr",
                "supply_elasticity_lr")
NEVER = 10_000


@dataclass
class Priors:
    """Ranges (low, high) of the sampled inputs, (C,) arrays or scalars."""

    elasticity: dict  # name -> (low (C,), high (C,))
    tau: tuple[float, float]
    export_share: tuple[np.ndarray, np.ndarray]
    choke: tuple[float, float]
    china_floor: tuple[float, float]


def priors_from(net, baseline: MarketBaseline, calibrated: bool = True) -> Priors:
    """Elasticity and adjustment priors from the parameters table (commodity rows, else
    the 'ALL' rows); China's export share from the baseline. With ``calibrated``, the
    short-run ranges are multiplied by the commodity's ``sr_elasticity_scale`` where the
    parameters table gives one (the earlier one-episode fits)."""
    p = net.parameters.set_index(["scope", "parameter"])
    el = {}
    for name in ELASTICITIES:
        lo, hi = [], []
        for c in baseline.commodities:
            key = (c, name) if (c, name) in p.index else ("ALL", name)
            row = p.loc[key]
            v = float(row["value"])
            scale = 1.0
            if calibrated and name.endswith("_sr") and (c, "sr_elasticity_scale") in p.index:
                scale = float(p.loc[(c, "sr_elasticity_scale"), "value"])
            lo.append(scale * (float(row["low"]) if pd.notna(row["low"]) else 0.5 * v))
            hi.append(scale * (float(row["high"]) if pd.notna(row["high"]) else 1.5 * v))
        el[name] = (np.array(lo), np.array(hi))
    tau = p.loc[("ALL", "adjustment_quarters")]
    choke = p.loc[("ALL", "choke_price_multiple")]
    floor = p.loc[("ALL", "china_price_floor_multiple")]
    return Priors(elasticity=el, tau=(float(tau["low"]), float(tau["high"])),
                  export_share=(baseline.col("export_share_low"),
                                baseline.col("export_share_high")),
                  choke=(float(choke["low"]), float(choke["high"])),
                  china_floor=(float(floor["low"]), float(floor["high"])))


def draw_block(priors: Priors, compiled: Compiled, seed: int, block: int, n: int) -> dict:
    """Draws for samples [block*BLOCK, block*BLOCK + n) from the block's own stream."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
    C = len(compiled.commodities)
    out = {}
    for name in ELASTICITIES:
        lo, hi = priors.elasticity[name]
        out[name] = rng.uniform(lo, hi, size=(n, C))
    out["tau"] = rng.uniform(*priors.tau, size=(n, 1))
    out["export_share"] = rng.uniform(*priors.export_share, size=(n, C))
    out["approval_scale"] = rng.uniform(0.7, 1.3, size=(n, 1))
    out["leakage_scale"] = rng.uniform(0.5, 1.5, size=(n, 1))
    out["duration_scale"] = rng.uniform(0.75, 1.25, size=(n, 1))
    out["fill_scale"] = rng.uniform(-0.3, 0.3, size=(n, 2))
    out["choke"] = rng.uniform(*priors.choke, size=(n, 1))
    out["china_floor"] = rng.uniform(*priors.china_floor, size=(n, 1))
    return out


def draws_for(priors: Priors, compiled: Compiled, seed: int, start: int, stop: int) -> dict:
    """Draws for samples [start, stop); ``start`` must be a multiple of BLOCK."""
    if start % BLOCK:
        raise ValueError(f"chunks must start at a multiple of {BLOCK} samples")
    parts = [draw_block(priors, compiled, seed, b, min(BLOCK, stop - b * BLOCK))
             for b in range(start // BLOCK, -(-stop // BLOCK))]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _active(term, q0: float, q1: float, scale: np.ndarray) -> np.ndarray:
    """(S,) share of quarter [q0, q1) days during which a control is in force."""
    start = term.start_day
    end = np.full(scale.shape[0], np.inf) if term.end_day is None else \
        start + (term.end_day - start + 1) * scale[:, 0]
    a = np.clip((np.minimum(q1, end) - max(q0, start)) / (q1 - q0), 0, 1)
    if term.suspended is not None:
        s0, s1 = term.suspended
        cut = max(0.0, min(q1, s1) - max(q0, s0)) / (q1 - q0)
        a = np.clip(a - cut, 0, 1)
    return a


def _control_effects(compiled: Compiled, d: dict, base: dict, q: int):
    """China export-cap factor, non-China loss (t/yr), approval in force, de minimis."""
    S = d["tau"].shape[0]
    C = len(compiled.commodities)
    q0, q1 = compiled.quarter_days[q], compiled.quarter_days[q + 1]
    cap = np.ones((S, C))
    loss = np.zeros((S, C))
    approval = np.ones((S, C))
    de_minimis = np.zeros((S, C))
    world = base["world_t"]
    for t in compiled.controls:
        a = _active(t, q0, q1, d["duration_scale"])[:, None] * t.mask
        appr = np.clip(t.approval * d["approval_scale"], 0, 1)
        leak = np.clip(t.leakage * d["leakage_scale"], 0, 1)
        # licences take processing_days to issue after a control starts: the first
        # quarter of a control loses that part of its approved flow (controls already in
        # force when the scenario starts have no delay left)
        first = q0 <= t.start_day < q1
        delay = min(1.0, t.delay_days / (q1 - t.start_day)) if first else 0.0
        if t.kind == "licence_required":
            g = (1 - appr) + appr * delay
            approval = np.where(a > 0, np.minimum(approval, appr), approval)
        elif t.kind == "destination_ban":
            g = t.weight * (1 - leak)
        elif t.kind == "export_ban":
            g = 1 - leak
        else:  # quota, t per year
            flow = (world * base["china_share"] * d["export_share"] if t.china
                    else t.exporter_share * world)
            g = np.clip(1 - t.quota_t / np.maximum(flow, 1e-9), 0, 1)
        blocked = np.clip(a * g, 0, 1)
        if t.china:
            cap = cap * (1 - blocked)
            if t.de_minimis:
                de_minimis = np.maximum(de_minimis, blocked)
        else:
            loss = loss + blocked * t.exporter_share * world
    return cap, loss, approval, de_minimis


@dataclass
class Outputs:
    """Per-sample results; arrays (S, C[, k]) and paths (P, H, C) for the first P samples."""

    peak_ratio: np.ndarray
    peak_price_x: np.ndarray
    shortfall: np.ndarray  # (S, C, 4) share of wanted demand unmet over the horizon
    peak_shortfall: np.ndarray  # (S, C, 4)
    min_cover_days: np.ndarray  # (S, C, 2)
    value_at_risk_usd: np.ndarray  # (S, C, 4)
    fiscal_cost_usd: np.ndarray  # (S,)
    rrg_fired: np.ndarray  # (S, C)
    balance_error: np.ndarray  # (S,) max |consumption - supply - released| / world
    paths: dict  # name -> (P, H, C)


def run(compiled: Compiled, baseline: MarketBaseline, d: dict, responses: bool = True,
        n_paths: int = 0) -> Outputs:
    """Simulate every quarter for the samples in ``d``; ``responses`` turns the Rapid
    Response Group rules on or off (same draws either way)."""
    S = d["tau"].shape[0]
    C = len(compiled.commodities)
    H = compiled.horizon
    base = {"world_t": baseline.col("world_output_t"),
            "china_share": np.nan_to_num(baseline.col("china_share")),
            "export_share": d["export_share"], "region_share": baseline.region_share}
    p0 = baseline.col("price_usd_t")
    world = base["world_t"]
    sc = base["china_share"]
    wanted0 = (world * (1 - sc + sc * d["export_share"]))[..., None] * baseline.region_share
    holder_demand = wanted0[..., :2]  # (S, C, 2) USA, JPN t/yr
    fill = np.clip(compiled.stock_fill + d["fill_scale"], 0, 1)  # (S, 2)
    stock0 = compiled.stock_days.T[None] / 365.0 * holder_demand * fill[:, None, :]
    stock = stock0.copy()
    rules = list(compiled.responses) if responses else []
    fired = np.full((S, C), NEVER)
    first_disrupted = np.full((S, C), NEVER)
    out = dict(peak_ratio=np.ones((S, C)), peak_price_x=np.ones((S, C)),
               short_sum=np.zeros((S, C, 4)), want_sum=np.zeros((S, C, 4)),
               peak_short=np.zeros((S, C, 4)), min_cover=np.full((S, C, 2), np.inf),
               var=np.zeros((S, C, 4)), fiscal=np.zeros(S), err=np.zeros(S))
    paths = {k: np.zeros((min(n_paths, S), H, C)) for k in
             ("price_x", "price_ratio", "shortfall_USA", "shortfall_JPN",
              "shortfall_ROW", "shortfall_CHN", "exports_china")}
    lag = max([int(np.ceil(r.decision_lag_days / QUARTER_DAYS)) for r in rules] or [1])
    actions = {a for r in rules for a in r.actions}
    offtake_share = max([r.offtake_share for r in rules] or [0.0])
    ft_q = max([r.fast_track_quarters for r in rules] or [0])
    for q in range(H):
        e = {}
        for kind in ("demand", "supply"):
            sr, lr = d[f"{kind}_elasticity_sr"], d[f"{kind}_elasticity_lr"]
            e[kind] = sr + (lr - sr) * (1 - np.exp(-q / d["tau"]))
        cap, loss, approval, de_min = _control_effects(compiled, d, base, q)
        loss = loss + compiled.nonchina_outage_t[q]
        disrupted = (cap < 1) | (loss > 0) | (compiled.china_outage[q] > 0)
        first_disrupted = np.where(disrupted & (first_disrupted == NEVER), q, first_disrupted)
        acting = fired + lag <= q
        # stock releases (t in this quarter), then as an annual rate for clearing
        released_q = np.zeros((S, C))
        held = np.zeros((S, C, 3))
        for k in range(2):
            rule = compiled.stock_rule[k]
            if rule == "on_shortfall":
                ok = disrupted & (q >= first_disrupted + compiled.stock_lag_q[k])
            elif rule == "on_trigger":
                ok = disrupted & acting & ("coordinated_release" in actions)
            else:
                ok = np.zeros((S, C), dtype=bool)
            rate = compiled.stock_max_release[k] * np.where(
                acting & ("coordinated_release" in actions), 2.0, 1.0)
            r = np.where(ok, np.minimum(stock[..., k], np.minimum(rate, 1.0) * stock0[..., k]),
                         0.0)
            stock[..., k] -= r
            released_q += r
            held[..., k] = r * 4
        offtake = np.where(acting & ("emergency_offtake" in actions) & disrupted,
                           offtake_share * world * (1 - sc), 0.0)
        added = np.where(acting & ("fast_track" in actions),
                         compiled.capacity_t[min(q + ft_q, q + 8)], compiled.capacity_t[q])
        inputs = QuarterInputs(
            china_supply_factor=np.broadcast_to(1 - compiled.china_outage[q], (S, C)),
            nonchina_loss_t=np.broadcast_to(loss, (S, C)).copy(), export_cap_factor=cap,
            demand_factor=np.broadcast_to(compiled.demand_factor[q], (S, C, 4)),
            tariff=compiled.tariff[q], added_t=added, approval=approval,
            disrupted=disrupted)
        res = clear_quarter(base, e["demand"], e["supply"], inputs, released_q * 4, offtake,
                            d["choke"], d["china_floor"], held)
        if compiled.products:
            # ex-China producers of derivative products are limited by their inputs
            avail = res.consumption[..., :3].sum(-1) / np.maximum(
                res.demand_wanted[..., :3].sum(-1), 1e-12)
            for p, ins in compiled.products.items():
                limit = np.minimum(1.0, avail[:, ins].min(axis=1))
                limit = limit * (1 - de_min[:, p] * sc[ins].max())
                inputs.nonchina_loss_t[:, p] += (1 - limit) * world[p] * (1 - sc[p])
            res = clear_quarter(base, e["demand"], e["supply"], inputs, released_q * 4,
                                offtake, d["choke"], d["china_floor"], held)
        ratio = res.price_x / res.price_c
        short = np.clip(res.demand_wanted - res.consumption, 0, None)
        out["peak_ratio"] = np.maximum(out["peak_ratio"], ratio)
        out["peak_price_x"] = np.maximum(out["peak_price_x"], res.price_x)
        out["short_sum"] += short
        out["want_sum"] += res.demand_wanted
        out["peak_short"] = np.maximum(out["peak_short"],
                                       short / np.maximum(res.demand_wanted, 1e-12))
        cover = stock / np.maximum(holder_demand / 365.0, 1e-12)
        out["min_cover"] = np.minimum(out["min_cover"], cover)
        out["var"] += short / 4 * p0[None, :, None]
        p_usd = res.price_x * p0
        floor = compiled.floor_rel[q] * p0
        cov = compiled.floor_covered_t[q] / 4
        out["fiscal"] += (cov * (np.maximum(0, floor - p_usd)
                                 - compiled.floor_upside[q] * np.maximum(0, p_usd - floor)
                                 * (floor > 0))).sum(axis=1)
        balance = res.consumption.sum(-1) - res.supply - res.released
        out["err"] = np.maximum(out["err"], np.abs(balance / world).max(axis=1))
        if rules:
            cover_min = cover.min(axis=-1)
            trig = np.zeros((S, C), dtype=bool)
            for r in rules:
                t = np.zeros((S, C), dtype=bool)
                if r.price_ratio_above is not None:
                    t |= ratio >= r.price_ratio_above
                if r.cover_days_below is not None:
                    t |= (cover_min <= r.cover_days_below) & (compiled.stock_days.max(0) > 0)
                if r.approval_rate_below is not None:
                    t |= approval <= r.approval_rate_below
                trig |= t & disrupted
            fired = np.where(trig & (fired == NEVER), q + 1, fired)
        n = paths["price_x"].shape[0]
        if n:
            paths["price_x"][:, q] = res.price_x[:n]
            paths["price_ratio"][:, q] = ratio[:n]
            paths["shortfall_USA"][:, q] = (short[..., 0] / np.maximum(
                res.demand_wanted[..., 0], 1e-12))[:n]
            paths["shortfall_JPN"][:, q] = (short[..., 1] / np.maximum(
                res.demand_wanted[..., 1], 1e-12))[:n]
            for k, reg in ((2, "ROW"), (3, "CHN")):  # read by critmin.simulate.paths
                paths[f"shortfall_{reg}"][:, q] = (short[..., k] / np.maximum(
                    res.demand_wanted[..., k], 1e-12))[:n]
            paths["exports_china"][:, q] = res.china_net_exports[:n]
    return Outputs(peak_ratio=out["peak_ratio"], peak_price_x=out["peak_price_x"],
                   shortfall=out["short_sum"] / np.maximum(out["want_sum"], 1e-12),
                   peak_shortfall=out["peak_short"],
                   min_cover_days=np.where(np.isinf(out["min_cover"]), 0.0, out["min_cover"]),
                   value_at_risk_usd=out["var"], fiscal_cost_usd=out["fiscal"],
                   rrg_fired=fired < NEVER, balance_error=out["err"], paths=paths)
