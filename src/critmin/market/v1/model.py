"""Quarterly partial-equilibrium market model, vectorised over samples and commodities.

Per commodity and quarter there are two segments: China's domestic market (C) and the
ex-China market (X), shared by the importers USA, JPN and ROW. Demand and supply have
constant elasticities that move from short- to long-run values::

    D_k(P) = D_k0 * (P / P0) ** -e_d(t)        S_k(P) = S_k0 * (P / P0) ** e_s(t)
    e(t) = e_sr + (e_lr - e_sr) * (1 - exp(-t / tau))

Without a binding export control one world price clears both segments, and China's net
exports N = S_C - D_C adjust freely. An export control caps China's net exports at
``N_cap = N0 * (1 - blocked)``; when the free flow would exceed the cap the segments clear
separately, the ex-China price rises and China's falls (the two-tier market of 2023-2025).
Controls by other exporters (DRC cobalt) and outages remove supply; stock releases,
emergency offtake and new capacity add it; tariffs wedge importers' prices; price floors
pay covered producers the gap to the floor. Shortfall is demand destroyed relative to
what importers wanted at the pre-shock price. Derivative products (NdFeB magnets) made
outside China are limited by the availability of their inputs (bill of materials).

All arrays are (S, C) = (samples, commodities) unless noted; quantities t per year of the
commodity unit; prices relative to the baseline price P0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HOLDERS = ("USA", "JPN")
REGIONS = ("USA", "JPN", "ROW")
NEWTON_ITERATIONS = 8
LOG_PRICE_BOUNDS = (-4.0, 4.0)  # prices between 1/55 and 55 times baseline


def solve_log_price(d0, s0, e_d, e_s, a, iterations: int = NEWTON_ITERATIONS):
    """Solve d0*exp(-e_d*p) = s0*exp(e_s*p) + a for p = ln(P/P0), elementwise.

    Newton on g(p) = ln(d0*exp(-e_d*p) + a-) - ln(s0*exp(e_s*p) + a+) (a split into its
    positive and negative parts so both logs stay defined); g falls in p and is close to
    linear, so a few steps from the a = 0 closed form converge. Results are clipped to
    LOG_PRICE_BOUNDS, where the caller rations demand if no root lies inside.
    """
    tiny = 1e-300
    lo, hi = LOG_PRICE_BOUNDS
    a_pos, a_neg = np.maximum(a, 0.0), np.maximum(-a, 0.0)
    k = np.maximum(e_d + e_s, 1e-9)
    p = np.clip(np.log(np.maximum(d0 + a_neg, tiny) / np.maximum(s0 + a_pos, tiny)) / k, lo, hi)
    for _ in range(iterations):
        dem = d0 * np.exp(-e_d * p)
        sup = s0 * np.exp(e_s * p)
        left, right = np.maximum(dem + a_neg, tiny), np.maximum(sup + a_pos, tiny)
        g = np.log(left) - np.log(right)
        dg = -e_d * dem / left - e_s * sup / right
        p = np.clip(p - g / np.minimum(dg, -1e-12), lo, hi)
    return p


@dataclass
class QuarterInputs:
    """Exogenous drivers of one quarter, already combined with the sampled draws."""

    china_supply_factor: np.ndarray  # (S, C) China output kept after outages
    nonchina_loss_t: np.ndarray  # (S, C) t/yr removed from ex-China supply
    export_cap_factor: np.ndarray  # (S, C) China net exports allowed / baseline
    demand_factor: np.ndarray  # (S, C, R+1) demand shocks for USA, JPN, ROW, CHN
    tariff: np.ndarray  # (C, R) ad-valorem wedge per importer
    added_t: np.ndarray  # (S, C) new capacity online, t/yr
    approval: np.ndarray  # (S, C) licence approval rate in force (1 if none)
    disrupted: np.ndarray  # (S, C) any control or outage active


@dataclass
class QuarterResult:
    price_x: np.ndarray  # (S, C) ex-China price / P0
    price_c: np.ndarray  # (S, C) China price / P0
    consumption: np.ndarray  # (S, C, R+1) t/yr consumed: USA, JPN, ROW, CHN
    demand_wanted: np.ndarray  # (S, C, R+1) t/yr wanted at the pre-shock price
    supply: np.ndarray  # (S, C) t/yr produced and sold (net of Chinese stock building)
    released: np.ndarray  # (S, C) t/yr from stocks
    china_net_exports: np.ndarray  # (S, C) t/yr


def clear_quarter(base: dict, e_d, e_s, q: QuarterInputs, released, offtake, choke,
                  china_floor, held=None):
    """Clear every commodity's market for one quarter.

    ``base`` holds baseline arrays (C,): world_t, china_share, and (S, C) export_share,
    plus region_share (C, R). ``released`` and ``offtake`` (S, C) add ex-China supply
    (t/yr). ``choke`` (S, 1) is the price multiple above which buyers cannot pay: the price
    stops there and what supply cannot meet is rationed (a physical shortfall).
    ``china_floor`` (S, 1) is the price multiple below which Chinese producers stockpile
    rather than sell lower (surplus goes to Chinese inventory). ``held`` (S, C, R): the part
    of ``released`` each importer's stockholder reserves for its own buyers when supply is
    rationed.
    """
    world, sc, x = base["world_t"], base["china_share"], base["export_share"]
    rs = base["region_share"]  # (C, R)
    d_c0 = world * sc * (1 - x) * q.demand_factor[..., 3]
    d_x0_r = (world * (1 - sc + sc * x))[..., None] * rs * q.demand_factor[..., :3]
    wedge = (1 + q.tariff)[None] ** (-e_d[..., None])  # (S, C, R)
    d_x0 = (d_x0_r * wedge).sum(axis=-1)
    s_c0 = world * sc * q.china_supply_factor
    s_x0 = np.maximum(world * (1 - sc) - q.nonchina_loss_t, 0.0) + q.added_t + offtake
    n_cap = world * sc * x * q.export_cap_factor
    top = np.log(choke)
    bottom = np.log(china_floor)
    # integrated world market
    p_w = np.minimum(solve_log_price(d_c0 + d_x0, s_c0 + s_x0, e_d, e_s, released), top)
    n_free = s_c0 * np.exp(e_s * p_w) - d_c0 * np.exp(-e_d * p_w)
    binding = n_free > n_cap + 1e-9 * world
    p_c = np.clip(solve_log_price(d_c0, s_c0, e_d, e_s, -n_cap), bottom, top)
    p_x = np.minimum(solve_log_price(d_x0, s_x0, e_d, e_s, n_cap + released), top)
    p_c = np.where(binding, p_c, p_w)
    p_x = np.where(binding, p_x, p_w)
    sup_c, sup_x = s_c0 * np.exp(e_s * p_c), s_x0 * np.exp(e_s * p_x)
    dem_c, dem_x = d_c0 * np.exp(-e_d * p_c), d_x0 * np.exp(-e_d * p_x)
    # rationing where the choke price binds: consumption = what supply can deliver;
    # below China's floor price the unsold surplus goes into Chinese inventory
    n = np.where(binding, np.minimum(n_cap, sup_c), sup_c - dem_c)
    r_w = np.minimum(1.0, (sup_c + sup_x + released) / np.maximum(dem_c + dem_x, 1e-300))
    r_x = np.where(binding, np.minimum(1.0, (sup_x + n + released)
                                       / np.maximum(dem_x, 1e-300)), r_w)
    avail_x = dem_x * r_x  # what ex-China buyers receive in total
    r_c = np.where(binding, np.minimum(1.0, (sup_c - n) / np.maximum(dem_c, 1e-300)), r_w)
    cons_c = dem_c * r_c
    china_stock_build = np.where(binding, np.maximum(sup_c - n - cons_c, 0.0), 0.0)
    want_x = d_x0_r * wedge * np.exp(-e_d * p_x)[..., None]  # (S, C, R) at the price
    cons_x = want_x * r_x[..., None]
    if held is not None:
        # rationed: holders' own releases serve their buyers first
        held = np.minimum(held, want_x)
        pool = np.maximum(avail_x - held.sum(-1), 0.0)
        rest = np.maximum(want_x - held, 0.0)
        share = np.minimum(1.0, pool / np.maximum(rest.sum(-1), 1e-300))[..., None]
        rationed = (r_x < 1.0)[..., None]
        cons_x = np.where(rationed, held + rest * share, cons_x)
    wanted = np.concatenate([d_x0_r, d_c0[..., None]], axis=-1)
    return QuarterResult(price_x=np.exp(p_x), price_c=np.exp(p_c),
                         consumption=np.concatenate([cons_x, cons_c[..., None]], axis=-1),
                         demand_wanted=wanted, supply=sup_c + sup_x - china_stock_build,
                         released=released, china_net_exports=n)
