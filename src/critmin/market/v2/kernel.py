"""Monthly step of model v2, vectorised over samples (S) x nodes (N) x regions (R).

Equations (docs/model.md gives them in full): per node and price segment (China, ex-China)
the log price p = ln(P/P0) solves

    a*h(p) + P + (c*exp(-eta*p) - St/tau_s) = M*exp(e_s*p) + F        (orders = supply)

with final use a*h(p), h(p) = exp(-eps*p - kappa/2*max(p,0)^2) (elasticity rising with
price), processors' input use P (their planned output times the input intensity), a stock
term (target stocks c*tau_s*exp(-eta*p) less actual stocks St, closed over tau_s), elastic
mine output M*exp(e_s*p) and fixed processed output F (made last month from inputs then).
China's exports are free unless a control's allowance binds; then the segments clear apart.
The only Python loops are over months and over the scenario's control terms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from critmin.market.v2.network import EX_CHINA, HOME, R_CHN, REGIONS, MarketNetwork
from critmin.market.v2.policy import CompiledV2, MineQuotasV2
from critmin.market.v2.priors import PERSIST_Z, per_commodity
from critmin.market.v2.regime import (
    advance,
    held_of,
    leak_of,
    ramp_of,
    recovered,
    regime_key,
    rush_of,
    shifted,
    uniform,
)

LOG_P_LO, LOG_P_HI = np.log(0.05), np.log(200.0)
"""Numerical range of the solver (prices 0.05x-200x baseline), not a sampled cap: where
orders exceed supply even at 200x, buyers are rationed and the shortfall is reported."""
SOLVER_STEPS = 40
SOLVER_TOL = 1e-8  # log price: prices within about 1e-8 (relative) of the clearing price
ACCEPT_STEP = 2e-4
"""A Halley step shorter than this ends the solve at its end point: Halley converges
cubically, so that point lies within about K*step**3 of the root (K ~ g**2/3 for the
steepest term's rate g <= ~6: under 1e-9, inside SOLVER_TOL), and its terms follow from
the evaluated point's by a short series (:func:`shift_exp`) instead of three more
exponentials. Saves about one evaluation per solve."""
DT = 1.0 / 12.0
NEVER = 10_000
CAPACITY_RAMP_MONTHS = 12.0
"""Months new non-Chinese capacity takes from first output to its full size (a stated
estimate: plants commission circuit by circuit, e.g. Lynas Malaysia's heavy rare earth
circuit made its first Dy in May 2025 and its first Tb in Jun 2025)."""
R_ROW = REGIONS.index("ROW")


def h_curve(p, eps, kappa):
    """Demand-destruction factor h(p) and dh/dp for log price p (elementwise)."""
    pp = np.maximum(p, 0.0)
    h = np.exp(-eps * p - 0.5 * kappa * pp * pp)
    return h, -(eps + kappa * pp) * h


def h_only(p, eps, kappa):
    """h(p) alone (as :func:`h_curve`)."""
    pp = np.maximum(p, 0.0)
    return np.exp(-eps * p - 0.5 * kappa * pp * pp)


@numba.njit(cache=True, error_model="numpy")
def _fallback(newton, lo, hi):  # pragma: no cover - compiled
    """Next point where the Newton step leaves the bracket: the solver's bound itself
    where the step heads past it (the root lies at or beyond it: one evaluation there
    settles it, not 40 halvings), else the bracket's midpoint."""
    if newton >= hi and hi == LOG_P_HI:
        return LOG_P_HI
    if newton <= lo and lo == LOG_P_LO:
        return LOG_P_LO
    return 0.5 * (lo + hi)


@numba.njit(cache=True, error_model="numpy", inline="always")
def shift_exp(v, d):  # pragma: no cover - compiled
    """v*exp(d) for |d| <= ~2e-3 by its series to d**4 (relative error below 1e-13)."""
    return v * (1.0 + d * (1.0 + d * (0.5 + d * (1.0 / 6.0 + d * (1.0 / 24.0)))))


@numba.njit(cache=True, error_model="numpy", inline="always")
def accepted_terms(p, nxt, h, e1, e2, m, eps, kappa, eta, es):  # pragma: no cover - compiled
    """h, exp(-eta*p) and exp(es*p) at ``nxt`` from their values at ``p`` close by (the
    last stays 1 where m is 0)."""
    pp, qq = max(p, 0.0), max(nxt, 0.0)
    d = nxt - p
    dh = -eps * d - 0.5 * kappa * (qq * qq - pp * pp)
    return (shift_exp(h, dh), shift_exp(e1, -eta * d),
            shift_exp(e2, es * d) if m != 0.0 else 1.0)


@numba.njit(cache=True, error_model="numpy")
def solve_at(a, b, c, m, eps, kappa, eta, es, p0):  # pragma: no cover - compiled
    """One root of :func:`solve` by safeguarded Halley steps (Newton where Halley's step
    leaves the bracket, bisection where both do); returns the last evaluated point p
    (its next step under SOLVER_TOL: within about that of the root), or the end of a
    Halley step shorter than ACCEPT_STEP, with h(p), exp(-eta*p) and exp(es*p) there
    (the last 1 where m is 0: its term vanishes)."""
    return solve_from(a, b, c, m, eps, kappa, eta, es, min(max(p0, LOG_P_LO), LOG_P_HI),
                      LOG_P_LO, LOG_P_HI, SOLVER_STEPS)


@numba.njit(cache=True, error_model="numpy")
def solve_from(a, b, c, m, eps, kappa, eta, es, p, lo, hi, steps
               ):  # pragma: no cover - compiled
    """:func:`solve_at` from point ``p`` inside the bracket (lo, hi), at most ``steps``
    evaluations: the iteration's whole state, so a solve interrupted after some steps
    continues here exactly as it would have gone on."""
    for _ in range(steps):
        pp = max(p, 0.0)
        g = eps + kappa * pp
        h = np.exp(-eps * p - 0.5 * kappa * pp * pp)
        e1 = np.exp(-eta * p)
        e2 = np.exp(es * p) if m != 0.0 else 1.0
        ah, ce, me = a * h, c * e1, m * e2
        f = ah + b + ce - me
        df = min(-g * ah - eta * ce - es * me, -1e-12)
        if f > 0:
            lo = p
        else:
            hi = p
        newton = p - f / df
        d2 = (g * g - (kappa if p > 0 else 0.0)) * ah + eta * eta * ce - es * es * me
        den = 2 * df * df - f * d2
        halley = den > df * df
        nxt = p - 2 * f * df / den if halley else newton
        if not lo < nxt < hi:
            halley = False
            nxt = newton if lo < newton < hi else _fallback(newton, lo, hi)
        if lo < nxt < hi and abs(nxt - p) > max(0.5 * (hi - lo), ACCEPT_STEP):
            halley = False  # long steps across most of the bracket can bounce from side
            nxt = 0.5 * (lo + hi)  # to side (f's curvature jumps at p = 0): bisect
        if abs(nxt - p) < SOLVER_TOL:
            return p, h, e1, e2
        if halley and abs(nxt - p) < ACCEPT_STEP:
            h, e1, e2 = accepted_terms(p, nxt, h, e1, e2, m, eps, kappa, eta, es)
            return nxt, h, e1, e2
        p = nxt
    pp = max(p, 0.0)
    return (p, np.exp(-eps * p - 0.5 * kappa * pp * pp), np.exp(-eta * p),
            np.exp(es * p) if m != 0.0 else 1.0)


@numba.njit(cache=True)
def solve_scalar(a, b, c, m, eps, kappa, eta, es, p0):  # pragma: no cover - compiled
    """The root alone (:func:`solve_at`)."""
    return solve_at(a, b, c, m, eps, kappa, eta, es, p0)[0]


@numba.vectorize(["float64(float64, float64, float64, float64, float64, float64, float64, "
                  "float64, float64)"], nopython=True, cache=True)
def _solve_one(a, b, c, m, eps, kappa, eta, es, p0):  # pragma: no cover - compiled
    return solve_scalar(a, b, c, m, eps, kappa, eta, es, p0)


def solve(a, b, c, m, eps, kappa, eta, es, p0, steps: int = SOLVER_STEPS):
    """Root p of a*h(p) + b + c*exp(-eta*p) - m*exp(es*p) = 0 in [LOG_P_LO, LOG_P_HI];
    f falls in p, so safeguarded Halley/Newton steps (bisection when a step leaves the
    bracket) converge; a bound is returned where no root lies inside. Compiled
    elementwise (Numba ufunc, stops per element once converged); ``solve_numpy`` is
    Newton in NumPy with a fixed number of steps."""
    return _solve_one(a, b, c, m, eps, kappa, eta, es, p0)


def solve_numpy(a, b, c, m, eps, kappa, eta, es, p0, steps: int = SOLVER_STEPS):
    """NumPy version of :func:`solve` (fixed number of steps)."""
    lo = np.full_like(a, LOG_P_LO)
    hi = np.full_like(a, LOG_P_HI)
    p = np.clip(p0, LOG_P_LO, LOG_P_HI)
    for _ in range(steps):
        h, dh = h_curve(p, eps, kappa)
        e1 = np.exp(-eta * p)
        e2 = np.exp(es * p)
        f = a * h + b + c * e1 - m * e2
        df = a * dh - c * eta * e1 - m * es * e2
        pos = f > 0
        lo = np.where(pos, p, lo)
        hi = np.where(pos, hi, p)
        step = p - f / np.minimum(df, -1e-12)
        inside = (step > lo) & (step < hi)
        p = np.where(inside, step, 0.5 * (lo + hi))
    return p


@numba.njit(cache=True)
def _deliver(p_x, p_c, eps, kap, eta, es, tau, mob, U, T, St, M, F, P_all, planned, cap_r,
             n, n_free, binding, dshare, ex, inputs, same_input, raw, user, int_user,
             thrift, K, extra):  # pragma: no cover - compiled
    """Deliveries, consumption and processing of one month at the cleared log prices
    (p_x ex-China, p_c China), fused over samples x nodes x regions: returns deliveries,
    China's exports by destination, availability ratio, processed output (next month's
    F), consumption, end stocks and output (all (S, N, R)). Sums run over regions in
    order, as NumPy's do, so results equal the array form bit for bit. ``K`` (t/yr) is
    the use each region's buyers hold under contracts with their own plants
    (:func:`home_contracts`): it is not destroyed by the spot price, so the region's
    demand factor is ``h + (K / U)(1 - h)``."""
    S, N, R = U.shape
    deliv = np.empty((S, N, R))
    exd = np.empty((S, N, R))
    ratio = np.empty((S, N, R))
    X = np.empty((S, N, R))
    cons = np.empty((S, N, R))
    St1 = np.empty((S, N, R))
    Q = np.empty((S, N, R))
    hh = np.empty((N, R))
    final = np.empty((N, R))
    orders = np.empty(R)
    w = np.empty(R)
    ex3 = np.empty((2, 3))
    n_ex = 0.0
    for r in range(R):
        n_ex += ex[r]
    for s in range(S):
        ks, et, ts, mb = kap[s, 0], eta[s, 0], tau[s, 0], mob[s, 0]
        for i in range(N):
            e, e_s, ni = eps[s, i], es[s, i], n[s, i]
            # the two segment prices' exponentials, shared by their regions
            for q in range(2):
                p = p_x[s, i] if q == 0 else p_c[s, i]
                pp = max(p, 0.0)
                ex3[q, 0] = np.exp(-e * p - 0.5 * ks * pp * pp)
                ex3[q, 1] = np.exp(-et * p)
                ex3[q, 2] = np.exp(e_s * p)
            for r in range(R):
                q = 0 if ex[r] else 1
                h = ex3[q, 0]
                u = U[s, i, r]
                h = h + (K[s, i, r] / u if u > 0 else 0.0) * (1.0 - h)  # home contracts
                hh[i, r] = h
                orders[r] = U[s, i, r] * h + (T[s, i, r] * ex3[q, 1] - St[s, i, r]) / ts
                Q[s, i, r] = M[s, i, r] * ex3[q, 2] + F[s, i, r]
            s_x = Q[s, i, 0] * ex[0]
            osum = max(orders[0], 0.0) * ex[0]
            ord_x = orders[0] * ex[0]
            for r in range(1, R):
                s_x += Q[s, i, r] * ex[r]
                osum += max(orders[r], 0.0) * ex[r]
                ord_x += orders[r] * ex[r]
            s_x = s_x + ni + extra[s, i]  # China's exports beyond the clearing
            for r in range(R):
                if osum > 0:
                    w[r] = max(orders[r], 0.0) * ex[r] / max(osum, 1e-300)
                else:
                    w[r] = ex[r] / n_ex
            excess = ord_x - s_x
            for r in range(R):
                deliv[s, i, r] = orders[r] - excess * w[r] if ex[r] else 0.0
                if not ex[r]:
                    deliv[s, i, r] = Q[s, i, r] - ni
            lsum = 0.0
            for r in range(R):
                gap = 0.0
                if binding[s, i]:
                    gap = max(dshare[i, r] * max(n_free[s, i], 0.0) - cap_r[s, i, r], 0.0)
                gap = gap * ex[r]
                lr = min((1 - mb) * gap, max(deliv[s, i, r], 0.0)) * ex[r]
                orders[r] = lr  # reused: losses by region
                if r == 0:
                    lsum = lr
                else:
                    lsum += lr
            for r in range(R):
                d = deliv[s, i, r] - orders[r] + lsum * w[r]
                deliv[s, i, r] = d
                if binding[s, i]:
                    exd[s, i, r] = cap_r[s, i, r]
                else:
                    exd[s, i, r] = max(ni, 0.0) * dshare[i, r] * ex[r]
                avail = max(St[s, i, r] + d * DT, 0.0)
                use = U[s, i, r] * hh[i, r]
                final[i, r] = (U[s, i, r] - P_all[s, i, r]) * hh[i, r]
                ratio[s, i, r] = min(1.0, avail / max(use * DT, 1e-300)) if use > 0 else 1.0
        for i in range(N):
            for r in range(R):
                if raw[i]:
                    X[s, i, r] = 0.0
                    continue
                z = 1.0
                first = True
                for j in range(inputs.shape[1]):
                    u = inputs[i, j]
                    v = ratio[s, u, r] if u < N else 1.0
                    if first or v < z:
                        z = v
                        first = False
                hs = hh[same_input[i], r] if same_input[i] < N else 1.0
                X[s, i, r] = planned[s, i, r] * z * hs
        for i in range(N):
            for r in range(R):
                pr = 0.0
                if user[i] >= 0:
                    pr = X[s, user[i], r] * int_user[i]
                if thrift[i]:
                    pr = pr * hh[i, r]
                c = final[i, r] * ratio[s, i, r] + pr
                cons[s, i, r] = c
                St1[s, i, r] = max(St[s, i, r] + (deliv[s, i, r] - c) * DT, 0.0)
    return deliv, exd, ratio, X, cons, St1, Q


@numba.njit(cache=True)
def _segments(U, St, F, T, M, tau, W, ex, chn):  # pragma: no cover - compiled
    """Per-node terms of the clearing condition (a, b, c, m of :func:`solve`, each
    (S, N), per t/yr of world output) for the world market, China's segment and the
    ex-China segment; region sums in NumPy's order (bit-identical to the array form)."""
    S, N, R = U.shape
    out = np.empty((3, 4, S, N))
    for s in range(S):
        ts = tau[s, 0]
        for i in range(N):
            w = W[i]
            tot = np.zeros(4)
            exs = np.zeros(4)
            first_ex = True
            for r in range(R):
                u = U[s, i, r]
                bt = -St[s, i, r] / ts - F[s, i, r]
                ct = T[s, i, r] / ts
                mm = M[s, i, r]
                if r == 0:
                    tot[0], tot[1], tot[2], tot[3] = u, bt, ct, mm
                else:
                    tot[0] += u
                    tot[1] += bt
                    tot[2] += ct
                    tot[3] += mm
                if r == chn:
                    out[1, 0, s, i], out[1, 1, s, i] = u / w, bt / w
                    out[1, 2, s, i], out[1, 3, s, i] = ct / w, mm / w
                elif ex[r]:
                    if first_ex:
                        exs[0], exs[1], exs[2], exs[3] = u, bt, ct, mm
                        first_ex = False
                    else:
                        exs[0] += u
                        exs[1] += bt
                        exs[2] += ct
                        exs[3] += mm
            for j in range(4):
                out[0, j, s, i] = tot[j] / w
                out[2, j, s, i] = exs[j] / w
    return ((out[0, 0], out[0, 1], out[0, 2], out[0, 3]),
            (out[1, 0], out[1, 1], out[1, 2], out[1, 3]),
            (out[2, 0], out[2, 1], out[2, 2], out[2, 3]))


@dataclass
class Params:
    """Latent draws mapped onto nodes: (S, 1) shared, (S, N) per node."""

    eps_sr: np.ndarray
    eps_lr: np.ndarray
    es_sr: np.ndarray
    es_lr: np.ndarray
    adjust: np.ndarray
    kappa: np.ndarray
    eta: np.ndarray
    tau_s: np.ndarray  # years
    cover: np.ndarray  # days
    precaution: np.ndarray
    approval: np.ndarray
    refusal: np.ndarray
    freeze: np.ndarray
    ramp: np.ndarray
    leakage: np.ndarray
    mobility: np.ndarray
    defence: np.ndarray
    snap: np.ndarray  # bool
    snap_delay: np.ndarray  # months
    restart_months: np.ndarray
    idle_share: np.ndarray
    fill_shift: np.ndarray  # (S, R)
    persist: np.ndarray  # (S, N) monthly hold probability of a freeze/restrictive regime
    retighten: np.ndarray  # (S, 1) monthly probability managed/relaxed -> freeze
    relax: np.ndarray  # (S, 1) monthly probability managed -> relaxed
    relax_gain: np.ndarray  # (S, 1) share of refusals lifted when relaxed
    key: np.ndarray  # (S, 1) uint64 seed of the regime transitions
    propensity: np.ndarray  # (S, R) log-odds shift of approval by destination (CHN 0)
    state_buy: np.ndarray  # (S, 1) China's state purchases, share of its final use a year
    leak_rec: np.ndarray  # (S, 1) share of leaked flow China's customs record
    front: np.ndarray  # (S, 1) factor on the precautionary target before a start date
    hold: np.ndarray  # (S, 1) share of blocked baseline exports China's exporters hold
    recover: np.ndarray  # (S, 1) monthly rate a managed licence regime lifts refusals
    smuggle: np.ndarray  # (S, 1) rise of leakage with last month's price gap
    tighten: np.ndarray  # (S, 1) share of China's raw output withheld under its controls
    route_m: np.ndarray  # (S, 1) months over which the smuggling route follows the gap
    home: np.ndarray  # (S, 1) share of a home region's own output its buyers contract
    cap_trig: np.ndarray  # (S, 1) log ex-China price that triggers new ex-China capacity
    cap_hold: np.ndarray  # (S, 1) months in a row above the trigger before the decision
    cap_lead: np.ndarray  # (S, 1) months from the decision to first output
    cap_share: np.ndarray  # (S, 1) new capacity, share of the node's ex-China output
    prem_max: np.ndarray  # (S, 1) log premium for non-Chinese supply at full severity
    prem_m: np.ndarray  # (S, 1) months over which the premium builds
    transit_d: np.ndarray  # (S, 1) monthly decay of each in-transit stage (0: no transit)
    prec_other: np.ndarray  # (S, 1) factor on precaution under other exporters' controls
    rush: np.ndarray  # (S, 1) extra exports in a notice window, x baseline to the targets


def params_from(d: dict, m: MarketNetwork) -> Params:
    col = {k: np.asarray(v, dtype=float)[:, None] for k, v in d.items() if ":" not in k}
    nc = m.node_commodity
    el = {k: per_commodity(d, k, m.commodities)[:, nc] for k in
          ("demand_elasticity_sr", "demand_elasticity_lr", "supply_elasticity_sr",
           "supply_elasticity_lr")}
    S = next(iter(d.values())).shape[0]
    fill = np.zeros((S, len(REGIONS)))
    for r in ("USA", "JPN"):
        fill[:, REGIONS.index(r)] = col[f"fill_shift_{r}"][:, 0]
    prop = np.zeros((S, len(REGIONS)))
    for j, r in enumerate(REGIONS):
        if r != "CHN":
            prop[:, j] = col[f"propensity_{r}"][:, 0]
    z = per_commodity(d, PERSIST_Z, m.commodities)[:, nc]
    persist = col["licence_persistence"] ** np.exp(-col["persistence_spread"] * z)
    return Params(
        eps_sr=el["demand_elasticity_sr"],
        eps_lr=np.maximum(el["demand_elasticity_lr"], el["demand_elasticity_sr"]),
        es_sr=el["supply_elasticity_sr"],
        es_lr=np.maximum(el["supply_elasticity_lr"], el["supply_elasticity_sr"]),
        adjust=col["adjustment_months"], kappa=col["destruction_curvature"],
        eta=col["cover_price_sensitivity"], tau_s=col["stock_adjust_months"] / 12.0,
        cover=col["cover_days"], precaution=col["precaution"],
        approval=col["licence_approval"], refusal=col["refusal_factor"],
        freeze=col["freeze_share"], ramp=col["ramp_share"], leakage=col["leakage"],
        mobility=col["mobility"], defence=col["defence_share"],
        snap=col["snapback_draw"] < col["snapback_prob"],
        snap_delay=col["snapback_delay_months"],
        restart_months=col["restart_months"], idle_share=col["idle_recovery_share"],
        fill_shift=fill, persist=persist, retighten=col["retighten_hazard"],
        relax=col["relax_hazard"], relax_gain=col["relax_gain"],
        key=regime_key(col["regime_draw"]), propensity=prop, state_buy=col["state_buying"],
        leak_rec=col["leakage_recorded"], front=col["front_running"],
        hold=col["export_hold"], recover=col["licence_recovery"],
        smuggle=col["smuggling_elasticity"], tighten=col["domestic_tightening"],
        route_m=col["smuggling_months"], home=col["home_preference"],
        cap_trig=np.log(col["capacity_trigger"]), cap_hold=col["capacity_hold_months"],
        cap_lead=col["capacity_lead_months"], cap_share=col["capacity_share"],
        prem_max=col["premium"], prem_m=col["premium_months"],
        transit_d=transit_decay(col["transit_months"]),
        prec_other=col["precaution_other"], rush=col["export_rush"])


def transit_decay(months: np.ndarray) -> np.ndarray:
    """Monthly decay d = (months / 2) / (1 + months / 2) of each of the two in-transit
    stages: a stage's mean delay is d / (1 - d) = months / 2, so the two together delay
    the flow by ``months`` on average; exactly 0 where ``months`` is 0 (no transit)."""
    m = np.asarray(months, dtype=float)
    return m / (m + 2.0)


def in_transit(loss: np.ndarray, tr1: np.ndarray, tr2: np.ndarray, d: np.ndarray):
    """Non-China exporters' lost flow as it reaches buyers (t/yr): ``loss`` passed
    through two first-order stages with monthly decay ``d`` (cargo on the road, at
    ports and at sea keeps arriving after a ban starts, and resumed exports arrive
    months after they restart); returns the new stages (tr1, tr2), tr2 the arriving
    loss. ``d`` 0 returns ``loss`` exactly."""
    x1 = loss + (tr1 - loss) * d
    return x1, x1 + (tr2 - x1) * d


@dataclass
class Links:
    """Static index arrays derived from the network."""

    raw: np.ndarray  # (N,) nodes without inputs (mines, by-product recovery)
    user: np.ndarray  # (N,) node processing this node, -1 if none
    int_user: np.ndarray  # (N,) t of this node per t of the user's output
    inputs: np.ndarray  # (N, J) input nodes, N (a dummy with ratio 1) where padded
    dshare: np.ndarray  # (N, R) China's export destination shares
    cs_in: np.ndarray  # (N,) largest China production share among a node's inputs
    thrift: np.ndarray  # (N,) input of another commodity's product (use thrifted by price)
    same_input: np.ndarray  # (N,) input node of the same commodity, N (dummy) if none


def links_of(m: MarketNetwork) -> Links:
    N = m.n
    user = np.full(N, -1)
    int_user = np.zeros(N)
    for d in range(N):
        for j in range(m.inputs.shape[1]):
            u = m.inputs[d, j]
            if u >= 0:
                user[u], int_user[u] = d, m.intensity[d, j]
    inputs = np.where(m.inputs >= 0, m.inputs, N)
    ex_use = np.where(EX_CHINA, m.use0, 0.0)
    tot = m.dest0.sum(axis=1, keepdims=True)
    dshare = np.where(tot > 0, m.dest0 / np.maximum(tot, 1e-300),
                      ex_use / np.maximum(ex_use.sum(axis=1, keepdims=True), 1e-300))
    cshare = m.prod0[:, R_CHN] / m.world_t
    cs_in = np.array([max([cshare[u] for u in m.inputs[d] if u >= 0] or [0.0])
                      for d in range(N)])
    return Links(raw=np.asarray(~(m.inputs >= 0).any(axis=1)), user=user, int_user=int_user,
                 inputs=inputs, dshare=dshare, cs_in=cs_in,
                 thrift=np.array([user[u] >= 0 and m.node_commodity[user[u]]
                                  != m.node_commodity[u] for u in range(N)]),
                 same_input=np.array([next((u for u in m.inputs[d] if u >= 0 and
                                            m.node_commodity[u] == m.node_commodity[d]), N)
                                      for d in range(N)]))


def _licence(c, ci: int, k: Params, s, A, t: int, N: int):
    """Pass of licence control ``c`` (index ``ci``) by node and destination (S, N, R) and
    by node without destination shifts (S, N) in month ``t``; advances its regime."""
    L = c.processing_months
    el = t + 0.5 - c.clock_month  # months since applications could be filed
    tau = el - s.held[:, ci]  # licence clock (S, N)
    ramp = ramp_of(tau, L, k.freeze, k.ramp)  # (S, N)
    A_n = A + (1 - A) * k.relax_gain * s.relaxed[:, ci]  # (S, N)
    A_n = recovered(A_n, tau, L, k.freeze, k.ramp, k.recover)
    defence = 1 - k.defence * c.refuse_defence  # (S, 1)
    gl = c.general_licence
    e = np.exp(k.propensity)[:, None, :]  # (S, 1, R)
    civil = shifted(A_n[:, :, None], e) * (ramp * defence)[:, :, None]
    p_dest = gl + (1 - gl) * civil
    p_node = gl + (1 - gl) * A_n * ramp * defence
    s.held[:, ci], s.relaxed[:, ci] = advance(
        s.held[:, ci], s.relaxed[:, ci], ramp, el, uniform(k.key, ci, t), k.persist,
        k.retighten, k.relax)
    return p_dest, p_node


def _rush(c, k: Params, t: int) -> np.ndarray:
    """(S, 1) factor on the precautionary cover before a control's start (front-running):
    (1 + front_running w) x (1 + w (max(1, tau_s / left) - 1)), w the month's share in the
    window, ``left`` the months from the month's start to the window's close (at least
    1/2): buyers seek more cover and close the gap before the door shuts, not over tau_s.
    Exactly 1 outside a window."""
    w = c.pre_start[t]
    if w <= 0:
        return np.ones_like(k.front)
    left = max(c.pre_close - t, 0.5)
    return (1 + k.front * w) * (1 + w * (np.maximum(1.0, k.tau_s * 12.0 / left) - 1))


def _control_effects(cp: CompiledV2, m: MarketNetwork, k: Params, t: int, S: int, s=None):
    """Pass shares g (S, N, R) of China's exports by destination, China's quota (N,),
    non-China loss (S, N, R) t/yr, precautionary target factor (S, N, R), de minimis
    pass of ex-China product makers (S, N, R), alerts (S, N), and the severity-weighted
    share of each node under a China control (S, N; state buying). Advances the licence
    regimes of state ``s``."""
    N, R = m.n, len(REGIONS)
    g = np.ones((S, N, R))
    g_rec = np.ones((S, N, R))  # without leakage: the part China's customs record
    quota = np.full(N, np.inf)
    loss = np.zeros((S, N, R))
    tgt = np.ones((S, N, R))
    demin = np.zeros(N, dtype=bool)
    alert = np.zeros((S, N), dtype=bool)
    cn_on = np.zeros((S, N))
    rsh = np.zeros((S, N, R))  # notice window share x severity (exporters' rush)
    under = np.zeros((S, N, R))  # share of the month another China control is in force
    # leakage as a priced route: it rises with the smoothed ex-China/China price gap
    if s is not None:  # the route follows last month's gap over smuggling_months
        s.gap = s.gap + (s.pX - s.pC - s.gap) / k.route_m
    lk = leak_of(k.leakage, k.smuggle, 0.0 if s is None else s.gap)  # (S, N)
    lk = np.broadcast_to(lk, (S, N))
    mid = t + 0.5
    for ci, c in enumerate(cp.controls):
        # after a suspension the control returns (snap-back) with probability
        # snapback_prob, snapback_delay months after the window closes
        back = k.snap & (mid >= c.suspension_end + k.snap_delay)
        off = c.suspended[t] + c.after_suspension[t] * (~back)
        a = c.in_force[t] - off  # (S, 1)
        ann = c.announced_from[t] - off
        if c.kind == "licence_required":
            A = k.approval if np.isnan(c.approval) else np.full_like(k.approval, c.approval)
            A = np.clip(1 - (1 - A) * k.refusal, 0, 1)
            L = c.processing_months
            p_dest, p = _licence(c, ci, k, s, A, t, N)
            sev = np.clip(1 - A + L / 3, 0, 1) * (1 - c.general_licence) \
                + k.defence * c.refuse_defence
        elif c.kind in ("destination_ban", "export_ban"):
            p = np.zeros_like(k.leakage)
            sev = np.ones_like(p)
            p_dest = p[:, :, None]
        else:  # quota
            p = np.ones_like(k.leakage)
            sev = np.ones_like(p)
            p_dest = p[:, :, None]
        p = p + lk * (1 - p)  # leakage through third countries
        # customs record a share of the fixed leakage; the priced route's extra flow is
        # smuggled or mis-declared and missing from them
        p_rec = p_dest + (k.leak_rec * k.leakage)[:, :, None] * (1 - p_dest)
        p_dest = p_dest + lk[:, :, None] * (1 - p_dest)
        sev = np.clip(sev * (1 - k.leakage), 0, 1)
        a = np.clip(a, 0, 1)[:, :, None]
        if c.china:
            # only the targeted node x destination cells change (factor 1 elsewhere)
            cells = c.nodes[:, None] & c.targets[None, :]
            p_cells = np.broadcast_to(p_dest, (S, N, R))[:, cells]
            g[:, cells] = g[:, cells] * (1 - a[:, :, 0] * (1 - p_cells))
            r_cells = np.broadcast_to(p_rec, (S, N, R))[:, cells]
            g_rec[:, cells] = g_rec[:, cells] * (1 - a[:, :, 0] * (1 - r_cells))
            if c.pre_start[t] > 0:  # exporters ship ahead of the start (announced dates)
                rsh[:, cells] = np.maximum(rsh[:, cells], c.pre_start[t] * sev)
            else:  # in force outside its own notice window: exports not free
                under[:, cells] = np.maximum(under[:, cells], a[:, :, 0])
            cn_on = np.maximum(cn_on, a[:, :, 0] * sev * (c.nodes * c.reach)[None, :])
            if c.kind == "quota" and c.in_force[t] >= 0.5:
                quota = np.where(c.nodes, np.minimum(quota, c.quota_t), quota)
            if c.de_minimis:
                demin |= c.nodes
            on = (np.clip(ann, 0, 1) * k.precaution * sev * _rush(c, k, t))[:, :, None]
            tgt[:, cells] = np.maximum(tgt[:, cells], 1 + on[:, :, 0])
            alert |= ((np.clip(ann, 0, 1) * sev) > 0) & c.nodes[None, :]
        else:
            flow = c.exporter_share * m.world_t  # (N,)
            if c.kind == "quota":
                p = np.minimum(1.0, c.quota_t / np.maximum(flow, 1e-9))[None, :] \
                    * np.ones_like(k.leakage)
            else:
                p = np.broadcast_to(p, (S, m.n))
            lost = a[:, :, 0] * (1 - p) * flow[None, :] * c.nodes[None, :]
            loss[:, :, c.exporter_region] += lost
            alert |= lost > 0
            # buyers everywhere (China's included) seek extra cover of what it blocks
            on = np.clip(ann, 0, 1) * k.precaution * k.prec_other * _rush(c, k, t) * (1 - p)
            tgt = np.maximum(tgt, 1 + (on * c.nodes[None, :])[:, :, None])
    # the rush needs free exports: none where a China control is already in force
    rsh = rsh * (1 - under)
    return g, quota, loss, tgt, demin, alert, cn_on, g_rec, rsh


@dataclass
class State:
    St: np.ndarray  # (S, N, R) commercial stocks, t
    G: np.ndarray  # (S, N, R) government stocks, t
    G0: np.ndarray
    F: np.ndarray  # (S, N, R) processed output available this month, t/yr
    pX: np.ndarray  # (S, N) last month's log prices
    pC: np.ndarray
    ratio: np.ndarray  # (S, N, R) last month's availability ratio
    restart: np.ndarray  # (S, N) share of idle recovery capacity restarted
    started: np.ndarray  # (S, N) restart decided
    out_ratio: np.ndarray  # (S, N) last month's output / baseline (hosts of by-products)
    gov_first: np.ndarray  # (S, N, R) first month a holder's buyers were short
    fired: np.ndarray  # (S, C) month the response rules fired
    held: np.ndarray  # (S, K, N) months each licence regime held (regime.py)
    relaxed: np.ndarray  # (S, K, N) 1 where a licence regime is relaxed
    gap: np.ndarray  # (S, N) smoothed log price gap ex-China less China (smuggling route)
    above: np.ndarray  # (S, N) months in a row the ex-China price was above the trigger
    decided: np.ndarray  # (S, N) month new ex-China capacity was decided (NEVER: none)
    prem: np.ndarray  # (S, N) log premium for non-Chinese supply built up so far
    pe: np.ndarray  # (S, N) premium in effect this month (faded by new capacity online)
    tr1: np.ndarray  # (S, N, R) first in-transit stage of non-China exporters' lost flow
    tr2: np.ndarray  # (S, N, R) second stage: the lost flow arriving (t/yr)
    mined: np.ndarray  # (S, N) China's quota-holding mine output this calendar year, t


def home_contracts(home, M, F, U):
    """(S, N, R) use (t/yr) that buyers in USA, JPN, EU and KOR hold under contracts with
    their own region's plants: ``home_preference`` x min(the plants' output at the
    baseline price, the region's use at it). Contracted use is not destroyed by the spot
    price (a constant demand in the clearing); China and ROW hold none (``HOME``)."""
    return (home[:, :, None] * HOME[None, None, :]) * np.minimum(M + F, U)


def new_capacity(s: State, k: Params, t: int, cn_on: np.ndarray) -> np.ndarray:
    """Advance the ex-China side's slow responses and return this month's new
    non-Chinese capacity, share of each node's baseline ex-China output (S, N). The
    decision reads last month's ex-China price as buyers saw it (``pX + pe``): after
    ``cap_hold`` months in a row at or above the trigger the build is decided, and
    ``cap_share`` comes online ``cap_lead`` months later, ramped over
    CAPACITY_RAMP_MONTHS. The premium for non-Chinese supply builds toward
    ``prem_max x cn_on`` over ``prem_m`` months, never falls back by itself, and is in
    effect (``s.pe``) less the share of the new capacity online."""
    s.above = np.where(s.pX + s.pe >= k.cap_trig, s.above + 1.0, 0.0)
    s.decided = np.where((s.decided == NEVER) & (s.above >= k.cap_hold), float(t), s.decided)
    on = np.clip((t + 0.5 - s.decided - k.cap_lead) / CAPACITY_RAMP_MONTHS, 0.0, 1.0)
    s.prem = s.prem + np.maximum(k.prem_max * cn_on - s.prem, 0.0) / k.prem_m
    s.pe = s.prem * (1.0 - np.where(k.cap_share > 0, on, 0.0))
    return k.cap_share * on


def mine_quota(mq: MineQuotasV2, mined: np.ndarray, q: np.ndarray, es: np.ndarray,
               pC: np.ndarray, t: int):
    """China's mine output capacity (S, N), t/yr, under its announced annual quota, and
    the share of it held to the quota. ``mined`` (S, N), t, counts the quota-holding
    output this calendar year; the holders may plan at most what is left of the batches
    announced for the year (``allow``), read at last month's China price (planned output
    is capacity x exp(es x pC)); the rest of China's output (small associated mines)
    is not capped. Where the cap is slack (no batch this year: ``allow`` inf) the
    capacity is ``q`` exactly."""
    allow = mq.allow[t][None]
    held = mq.covered[None] * q
    room = np.maximum(allow - mined, 0.0) * 12.0 * np.exp(-es * pC)
    capped = np.minimum(held, room)
    out = np.where(room >= held, q, q - held + room)  # q itself wherever the cap is slack
    share = np.where(np.isfinite(allow), capped / np.maximum(out, 1e-300), mq.covered[None])
    return out, share


def rush_exports(m: MarketNetwork, k: Params, s: State, g, rsh):
    """China's exports beyond the clearing this month (S, N), t/yr: the exporters' rush
    from their inventory in a notice window (:func:`regime.rush_of`, ``export_rush``;
    0 exactly where it is 0: v2.1), and the exporters' hold (S, N), t/yr (demand on
    China's segment, :func:`regime.held_of`)."""
    d0 = m.dest0[None]
    hflow = held_of(k.hold, (d0 * (1 - g)).sum(-1), k.smuggle, s.pX - s.pC)
    extra = np.zeros_like(hflow)
    if rsh.any():
        extra = extra + rush_of(k.rush, (d0 * rsh).sum(-1))
    return extra, hflow


def initial_state(m: MarketNetwork, cp: CompiledV2, k: Params, L: Links, S: int) -> State:
    N, R = m.n, len(REGIONS)
    St = np.broadcast_to(k.cover[:, :, None] / 365.0 * m.use0[None], (S, N, R)).copy()
    fill = np.clip(cp.gov_fill[None] + k.fill_shift * (cp.gov_fill[None] > 0), 0, 1)
    G = cp.gov_days[None] / 365.0 * m.use0[None] * fill[:, None, :]
    F = np.where(L.raw[None, :, None], 0.0, m.prod0[None]) * np.ones((S, 1, 1))
    return State(St=St, G=G, G0=G.copy(), F=F, pX=np.zeros((S, N)), pC=np.zeros((S, N)),
                 ratio=np.ones((S, N, R)), restart=np.zeros((S, N)),
                 started=np.zeros((S, N), dtype=bool), out_ratio=np.ones((S, N)),
                 gov_first=np.full((S, N, R), NEVER),
                 fired=np.full((S, len(m.commodities)), NEVER),
                 held=np.zeros((S, len(cp.controls), N)),
                 relaxed=np.zeros((S, len(cp.controls), N)), gap=np.zeros((S, N)),
                 above=np.zeros((S, N)), decided=np.full((S, N), float(NEVER)),
                 prem=np.zeros((S, N)), pe=np.zeros((S, N)), tr1=np.zeros((S, N, R)),
                 tr2=np.zeros((S, N, R)),
                 mined=np.zeros((S, N)) + (0.0 if cp.mine is None else cp.mine.mined0))


def step(m: MarketNetwork, cp: CompiledV2, k: Params, L: Links, s: State, t: int,
         responses: bool = True) -> dict:
    """Advance ``s`` by month ``t``; returns this month's outputs."""
    S, N, R = s.St.shape
    W = m.world_t[None, :]
    ex = EX_CHINA[None, None, :]
    grow = 1 - np.exp(-t / k.adjust)
    eps = k.eps_sr + (k.eps_lr - k.eps_sr) * grow
    es = k.es_sr + (k.es_lr - k.es_sr) * grow
    es = np.where(m.byproduct[None, :], 0.0, es)  # by-products follow hosts, not price
    g, quota, loss, tgt, demin, alert, cn_on, g_rec, rsh = _control_effects(
        cp, m, k, t, S, s)
    alert |= (cp.outage[t] > 0).any(-1)[None]
    rules = cp.rules if responses else []
    acting = (s.fired + max([r.decision_lag_days / 30.44 for r in rules] or [0.0])
              <= t)  # (S, C)
    acts = {a for r in rules for a in r.actions}
    acting_n = acting[:, m.node_commodity]
    # capacity online (fast-tracked by the response rules where they act)
    shift = 3 * max([r.fast_track_quarters for r in rules] or [0])
    added = cp.added_t[t][None]
    if "fast_track" in acts and shift:
        added = np.where(acting_n[:, :, None], cp.added_t[min(t + shift, len(cp.added_t) - 1)],
                         added)
    # new non-Chinese capacity that a lasting ex-China price triggered
    ex_prod = np.where(EX_CHINA, m.prod0, 0.0)
    split = np.where(ex_prod.sum(1, keepdims=True) > 0,
                     ex_prod / np.maximum(ex_prod.sum(1, keepdims=True), 1e-300),
                     np.eye(R)[R_ROW][None])
    new_cap = new_capacity(s, k, t, cn_on)
    added = added + (new_cap * ex_prod.sum(1)[None])[:, :, None] * split[None]
    # non-China exporters' losses reach buyers through the shipments in transit
    s.tr1, s.tr2 = in_transit(loss, s.tr1, s.tr2, k.transit_d[:, :, None])
    qpot = np.maximum(m.prod0[None] * (1 - cp.outage[t][None]) + added - s.tr2, 0.0)
    # by-products: idle ex-China recovery capacity restarts over restart_months once a
    # restrictive control is announced or an outage hits (a decision on the event, not
    # on a price threshold), and stays on
    idle = np.where(np.isnan(m.idle_t)[None], k.idle_share * m.world_t[None],
                    np.nan_to_num(m.idle_t)[None]) * m.byproduct[None]
    s.started |= alert
    s.restart = np.where(s.started, np.minimum(1.0, s.restart + 1.0 / k.restart_months),
                         s.restart)
    # by-product output follows its hosts' output last month (mean over main hosts)
    host_pad = np.concatenate([s.out_ratio, np.ones((S, 1))], axis=1)
    has_host = np.asarray((m.hosts < m.n).any(axis=1))
    n_host = np.maximum((m.hosts < m.n).sum(axis=1), 1)
    host_f = np.where(has_host[None], (np.where(m.hosts[None] < m.n, host_pad[:, m.hosts], 0.0)
                                       .sum(-1)) / n_host[None], 1.0)
    qpot = qpot * np.where(m.byproduct[None], host_f, 1.0)[:, :, None]
    qpot = qpot + (idle * s.restart)[:, :, None] * split[None]
    # China's quotas and consolidation withhold mine output while its controls are in force
    qpot[:, :, R_CHN] *= 1 - k.tighten * cn_on * L.raw[None]
    mq = cp.mine
    if mq is not None:  # China's annual mining quota (None: bit for bit v2.1)
        if mq.january[t]:
            s.mined = np.zeros_like(s.mined)
        qpot[:, :, R_CHN], q_share = mine_quota(mq, s.mined, qpot[:, :, R_CHN], es, s.pC, t)
    if demin.any():  # de minimis: ex-China makers need licences for China-origin inputs
        g_in = np.concatenate([g, np.ones((S, 1, R))], axis=1)[:, L.inputs].min(axis=2)
        cut = 1 - (1 - g_in) * L.cs_in[None, :, None]
        qpot = np.where(demin[None, :, None] & ex, qpot * cut, qpot)
    # government stock releases into the holders' commercial stocks
    gov_on = np.zeros((S, N, R), dtype=bool)
    for r in range(R):
        rule = cp.gov_rule[r]
        if rule == "on_shortfall":
            gov_on[:, :, r] = t >= s.gov_first[:, :, r] + cp.gov_lag[r]
        elif rule == "on_trigger":
            gov_on[:, :, r] = acting_n & ("coordinated_release" in acts)
    rate = cp.gov_rate[None, None, :] * np.where(
        acting_n[:, :, None] & ("coordinated_release" in acts), 2.0, 1.0)
    # releases top buyers' stocks up to their normal target, never above (no resale)
    room = np.maximum(k.cover[:, :, None] / 365.0 * m.use0[None] - s.St, 0.0)
    rel = np.where(gov_on, np.minimum(np.minimum(s.G, rate * s.G0), room), 0.0)
    s.G -= rel
    s.St += rel
    # exporters' rush ahead of a start date (China's exports beyond the clearing)
    extra, hflow = rush_exports(m, k, s, g, rsh)
    # supply and orders
    # non-Chinese producers are paid the premium for supply from outside China
    qpot = np.where(ex, qpot * np.exp(es * s.pe)[:, :, None], qpot)
    # planned output at last month's segment price (exponential once per segment)
    planned = qpot * np.where(ex, np.exp(es * s.pX)[:, :, None], np.exp(es * s.pC)[:, :, None])
    M = np.where(L.raw[None, :, None], qpot, 0.0)
    F = np.where(L.raw[None, :, None], 0.0, s.F)
    if "emergency_offtake" in acts:
        share = max(r.offtake_share for r in rules)
        hl = np.zeros(N, dtype=bool)
        hl[m.headline] = True
        off = share * ex_prod.sum(1)[None, :] * (acting_n & hl[None] & cp.disrupted[t][
            m.node_commodity][None])
        F = F.copy()
        F[:, :, R_ROW] += off
    U = m.final0 * cp.demand[t]  # (N, R) final use at baseline price
    U = np.broadcast_to(U[None], (S, N, R)).copy()
    # China's state reserve buys while a China control on the node is in force
    U[:, :, R_CHN] += k.state_buy * m.final0[None, :, R_CHN] * cn_on
    # exporters hold the blocked part of China's baseline exports, awaiting licences
    # (priced: more the wider last month's gap, regime.held_of)
    U[:, :, R_CHN] += hflow
    if cp.tariff[t].any():  # importers facing a tariff buy less at the same world price
        U = U * (1 + cp.tariff[t][None]) ** (-eps[:, :, None])
    has_user = L.user >= 0
    P_all = np.where(has_user[None, :, None],
                     planned[:, np.maximum(L.user, 0)] * L.int_user[None, :, None], 0.0)
    # processors' input use falls with the input price like final use: makers of other
    # commodities' products thrift the input (less per t of output); the next stage of the
    # same commodity cuts its runs (yield 1: its output falls with its input use)
    U = U + P_all
    T = k.cover[:, :, None] / 365.0 * m.use0[None] * tgt
    tau = k.tau_s[:, :, None]
    kap = k.kappa

    # buyers' contracts with their own region's plants (t/yr): a constant demand, not
    # destroyed by the spot price (0 where home_preference is 0: bit for bit v2.0)
    K = home_contracts(k.home, M, F, U)
    # clearing terms per segment (world, China, ex-China), region sums in one pass
    (a, b, c, mm), china, exch = _segments(U - K, s.St, F - K, T, M, k.tau_s, m.world_t,
                                           EX_CHINA, R_CHN)
    if extra.any():  # extra exports are supply to the world and the ex-China segment
        b = b - extra / m.world_t[None]
        exch = (exch[0], exch[1] - extra / m.world_t[None], exch[2], exch[3])
    p_w = solve(a, b, c, mm, eps, kap, k.eta, es, s.pX)

    # China's net exports at the world price (its own segment only)
    tc = tau[:, :, 0]
    h_w = h_only(p_w, eps, kap)
    n_free = (M[:, :, R_CHN] * np.exp(es * p_w) + F[:, :, R_CHN]) - (
        U[:, :, R_CHN] * h_w + (T[:, :, R_CHN] * np.exp(-k.eta * p_w) - s.St[:, :, R_CHN]) / tc)
    # licences pass a share of the larger of baseline and free-trade exports per
    # destination (a full pass never binds; buyers' stocks do not shrink the allowance)
    free_r = np.maximum(n_free, 0.0)[:, :, None] * L.dshare[None]
    cap_r = g * np.maximum(free_r, m.dest0[None]) * ex
    n_cap = cap_r.sum(-1)
    over = n_cap > quota[None]
    scale = np.where(over, np.minimum(quota[None], n_cap) / np.maximum(n_cap, 1e-300), 1.0)
    cap_r = cap_r * scale[:, :, None]
    n_cap = np.minimum(n_cap, quota[None])
    binding = n_free > n_cap + 1e-9 * W
    if binding.any():
        # the segments clear apart only where the allowance binds (elementwise solver)
        a1, b1, c1, m1 = china
        cap_w = n_cap / W
        a2, b2, c2, m2 = exch

        def sel(x):
            return np.broadcast_to(x, (S, N))[binding]

        p_c = p_w.copy()
        p_c[binding] = solve(sel(a1), sel(b1 + cap_w), sel(c1), sel(m1), sel(eps), sel(kap),
                             sel(k.eta), sel(es), sel(s.pC))
        p_x = p_w.copy()
        p_x[binding] = solve(sel(a2), sel(b2 - cap_w), sel(c2), sel(m2), sel(eps), sel(kap),
                             sel(k.eta), sel(es), sel(s.pX))
    else:
        p_c = p_x = p_w
    n = np.where(binding, n_cap, n_free)
    deliv, exports_dest, ratio, X, cons, St, produced = _deliver(
        p_x, p_c, eps, kap, k.eta, es, k.tau_s, k.mobility, U, T, s.St, M, F, P_all,
        planned, cap_r, n, n_free, binding, L.dshare, EX_CHINA, L.inputs, L.same_input,
        L.raw, L.user, L.int_user, L.thrift, K, extra)
    s.St = St
    s.F = X
    if mq is not None:
        s.mined = s.mined + q_share * produced[:, :, R_CHN] / 12.0
    s.out_ratio = produced.sum(-1) / m.world_t[None]
    s.pX, s.pC, s.ratio = p_x, p_c, ratio
    # a holder's buyers short (or cover under half its target) starts its release clock
    short_now = (ratio < 0.999) | (s.St < 0.5 * T)
    s.gov_first = np.where(short_now & (s.gov_first == NEVER), t + 1, s.gov_first)
    wanted = m.use0 + m.final0 * (cp.demand[t] - 1)
    shortfall = np.where(wanted[None] > 0, np.clip(
        1 - cons / np.maximum(wanted[None], 1e-300), 0.0, 1.0), 0.0)
    cover = np.where(m.use0[None] > 0, (s.St + s.G) / np.maximum(m.use0[None] / 365.0,
                                                                  1e-300), np.nan)
    if rules:
        hl = m.headline
        ratio_x = np.exp(p_x[:, hl] - p_c[:, hl])
        holders = [REGIONS.index(r) for r in ("USA", "JPN")]
        cmin = cover[:, hl][:, :, holders].min(-1)
        trig = np.zeros_like(binding[:, hl])
        for r in rules:
            if r.price_ratio_above is not None:
                trig |= ratio_x >= r.price_ratio_above
            if r.cover_days_below is not None:
                trig |= (cmin <= r.cover_days_below) & (cp.gov_days[hl].max(-1) > 0)[None]
            if r.approval_rate_below is not None:
                trig |= (g[:, hl][:, :, EX_CHINA].min(-1) <= r.approval_rate_below)
        trig &= cp.disrupted[t][None]
        s.fired = np.where(trig & (s.fired == NEVER), t + 1, s.fired)
    # China's customs record its exports less the leaked part of a binding allowance
    rs = np.where(g > 0, g_rec / np.where(g > 0, g, 1.0), 1.0)
    dest_rec = np.where(binding[:, :, None], exports_dest * rs, exports_dest)
    n_rec = n - (exports_dest - dest_rec).sum(-1)
    if extra.any():  # shipped before the start: recorded in full
        x_dest = extra[:, :, None] * L.dshare[None] * EX_CHINA
        n, n_rec = n + extra, n_rec + extra
        exports_dest, dest_rec = exports_dest + x_dest, dest_rec + x_dest
    return dict(pX=p_x + s.pe, pC=p_c, exports=n, exports_dest=exports_dest,
                exports_recorded=n_rec, exports_dest_recorded=dest_rec, shortfall=shortfall,
                short_physical=1.0 - ratio,
                cover=cover, deliv=deliv, cons=cons, produced=produced, released=rel,
                processed=X, binding=binding, stocks=s.St + s.G)
