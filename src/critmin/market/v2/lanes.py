"""Model v2's monthly step compiled across samples (Numba, SIMD lanes): the production kernel.

The same equations as the NumPy array form :func:`critmin.market.v2.kernel.step` (kept as
the reference the benchmark and the tests compare against), laid out for the vector units:
every state and work array ends in a lane axis of LANES samples, and each equation is an
innermost loop over lanes with no per-sample branch (selects, not jumps), so the compiler
turns it into AVX/AVX-512 arithmetic. The network is the same for every lane, so node and
region indices stay scalar. The price solver steps all lanes together (VECTOR_STEPS
steps, in a buffer with fixed row offsets); lanes not yet converged then finish in the
scalar solver from where they stand, so every lane takes the steps of
:func:`critmin.market.v2.kernel.solve_at` (with exponentials an ulp apart, a lane may stop
a step earlier or later, both within the solver's 1e-8 of the root). One difference in
where a solve starts: the world segment starts from last month's world price (state
``pW``), the array form from last month's ex-China price, which lies far from it where an
allowance binds (measured on the Oct 2025 preset: 2.01 instead of 2.23 evaluations per
solve). Both end within the solver's tolerance of the same root.

Exponentials are :func:`lane_exp` (inlined, vectorisable, within 1 ulp of libm's), so the
results agree with the array form to the solver's tolerance. :func:`month` advances all
lanes by month ``t``; :func:`run_months` runs samples month by month for the paths
interface; the sweep's chunk loop with its per-sample reductions lives in
:mod:`critmin.market.v2.chunks`. The decorators (:data:`jit`, :data:`inline`) and every
Numba internal they use live in :mod:`critmin.market.v2.jit`.
"""

from __future__ import annotations

from collections import namedtuple

import llvmlite.ir
import numpy as np
from numba import types
from numba.extending import intrinsic

from critmin.market.v2.jit import inline, jit
from critmin.market.v2.kernel import (
    ACCEPT_STEP,
    CAPACITY_RAMP_MONTHS,
    DT,
    LOG_P_HI,
    LOG_P_LO,
    NEVER,
    SOLVER_STEPS,
    SOLVER_TOL,
    accepted_terms,
    solve_from,
)
from critmin.market.v2.network import R_CHN
from critmin.market.v2.packed import HOLDERS, R_ROW

LANES = 32
"""Samples per block of lanes (a compile-time constant: the solver's buffer offsets). 32,
64 and 128 measured 153, 154 and 168 us/sample for the runner's chunk (Oct 2025 preset)."""

State = namedtuple("State", ("St", "G", "G0", "F", "pX", "pC", "ratio", "restart",
                             "started", "out_ratio", "gov_first", "fired", "pW", "held",
                             "relaxed", "gap", "above", "decided", "prem", "pe", "tr1", "tr2",
                             "mined"))
Out = namedtuple("Out", ("n", "exd", "deliv", "cons", "Q", "rel", "X", "binding",
                         "shortfall", "cover", "g", "nrec", "exdrec"))
Work = namedtuple("Work", ("loss", "tgt", "qpot", "planned", "M", "F", "U", "P", "T",
                           "cap", "hh", "final", "orders", "w", "alert", "eps", "es",
                           "seg", "St1", "acting", "n_free", "ex3", "v", "sol", "x",
                           "cn_on", "grec", "lk", "K", "rsh", "xtra", "under", "qshare"))
ParL = namedtuple("ParL", (
    "eps_sr", "eps_lr", "es_sr", "es_lr", "adjust", "kappa", "eta", "tau_s", "cover",
    "precaution", "approval", "refusal", "freeze", "ramp", "leakage", "mobility",
    "defence", "snap", "snap_delay", "restart_months", "idle_share", "fill_shift",
    "inv_tau", "cover_y", "persist", "retighten", "relax", "relax_gain", "key", "prop_e",
    "state_buy", "leak_rec", "front", "hold", "recover", "smuggle", "tighten", "inv_route",
    "home", "cap_trig", "cap_hold", "cap_lead", "cap_share", "prem_max", "prem_m",
    "transit_d", "prec_other", "rush"))


_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10
_INV_FACT = 1.0 / np.cumprod(np.arange(1.0, 14.0))  # 1/1!, ..., 1/13!


@intrinsic
def _pow2(typingctx, k):
    """2.0**k for an int64 k in [-1022, 1023], built from its exponent bits (a table
    lookup instead is a gather in a loop over lanes: measured 1.66 vs 1.10 ns per exp)."""

    def codegen(context, builder, signature, args):
        i64 = llvmlite.ir.IntType(64)
        bits = builder.shl(builder.add(args[0], llvmlite.ir.Constant(i64, 1023)),
                           llvmlite.ir.Constant(i64, 52))
        return builder.bitcast(bits, llvmlite.ir.DoubleType())

    return types.float64(types.int64), codegen


@inline
def lane_exp(x):  # pragma: no cover - compiled
    """exp(x) for |x| <= 690 (clamped there), within 1 ulp of libm's: x = k ln2 + r with
    |r| <= ln2/2, exp(r) by its Taylor series to r^13 (truncation below 2e-16), times 2**k
    from its exponent bits. No branch and no call, so loops over lanes vectorise."""
    x = min(max(x, -690.0), 690.0)
    k = np.floor(x * 1.4426950408889634 + 0.5)
    r = (x - k * _LN2_HI) - k * _LN2_LO
    c = _INV_FACT
    q = c[12] * r + c[11]
    q = q * r + c[10]
    q = q * r + c[9]
    q = q * r + c[8]
    q = q * r + c[7]
    q = q * r + c[6]
    q = q * r + c[5]
    q = q * r + c[4]
    q = q * r + c[3]
    q = q * r + c[2]
    q = q * r + c[1]
    q = q * r + c[0]
    return (q * r + 1.0) * _pow2(np.int64(k))


def new_state(N: int, R: int, C: int, B: int, K: int = 0) -> State:
    """State of B lanes over N nodes, R regions, C commodities and K controls."""
    f = np.zeros
    return State(St=f((N, R, B)), G=f((N, R, B)), G0=f((N, R, B)), F=f((N, R, B)),
                 pX=f((N, B)), pC=f((N, B)), ratio=f((N, R, B)), restart=f((N, B)),
                 started=f((N, B)), out_ratio=f((N, B)), gov_first=f((N, R, B)),
                 fired=f((C, B)), pW=f((N, B)), held=f((K, N, B)), relaxed=f((K, N, B)),
                 gap=f((N, B)), above=f((N, B)), decided=f((N, B)), prem=f((N, B)), pe=f((N, B)),
                 tr1=f((N, R, B)), tr2=f((N, R, B)), mined=f((N, B)))


def new_out(N: int, R: int, B: int) -> Out:
    f = np.zeros
    return Out(n=f((N, B)), exd=f((N, R, B)), deliv=f((N, R, B)), cons=f((N, R, B)),
               Q=f((N, R, B)), rel=f((N, R, B)), X=f((N, R, B)), binding=f((N, B)),
               shortfall=f((N, R, B)), cover=f((N, R, B)), g=f((N, R, B)), nrec=f((N, B)),
               exdrec=f((N, R, B)))


def new_work(N: int, R: int, C: int, B: int) -> Work:
    f = np.zeros
    return Work(loss=f((N, R, B)), tgt=f((N, R, B)), qpot=f((N, R, B)),
                planned=f((N, R, B)), M=f((N, R, B)), F=f((N, R, B)), U=f((N, R, B)),
                P=f((N, R, B)), T=f((N, R, B)), cap=f((N, R, B)), hh=f((N, R, B)),
                final=f((N, R, B)), orders=f((R, B)), w=f((R, B)), alert=f((N, B)),
                eps=f((N, B)), es=f((N, B)), seg=f((3, 4, B)), St1=f((N, R, B)),
                acting=f((C, B)), n_free=f((N, B)), ex3=f((N, 2, 3, B)), v=f((12, B)),
                sol=f((12, B)), x=f(X_ROWS * B), cn_on=f((N, B)), grec=f((N, R, B)),
                lk=f((N, B)), K=f((N, R, B)), rsh=f((N, R, B)), xtra=f((N, B)),
                under=f((N, R, B)), qshare=f((N, B)))


def new_par(N: int, R: int, B: int) -> ParL:
    f = np.zeros
    return ParL(eps_sr=f((N, B)), eps_lr=f((N, B)), es_sr=f((N, B)), es_lr=f((N, B)),
                adjust=f(B), kappa=f(B), eta=f(B), tau_s=f(B), cover=f(B),
                precaution=f(B), approval=f(B), refusal=f(B), freeze=f(B), ramp=f(B),
                leakage=f(B), mobility=f(B), defence=f(B), snap=f(B), snap_delay=f(B),
                restart_months=f(B), idle_share=f(B), fill_shift=f((R, B)), inv_tau=f(B),
                cover_y=f(B), persist=f((N, B)), retighten=f(B), relax=f(B),
                relax_gain=f(B), key=np.zeros(B, dtype=np.uint64), prop_e=f((R, B)),
                state_buy=f(B), leak_rec=f(B), front=f(B), hold=f(B), recover=f(B),
                smuggle=f(B), tighten=f(B), inv_route=f(B), home=f(B), cap_trig=f(B),
                cap_hold=f(B), cap_lead=f(B), cap_share=f(B), prem_max=f(B), prem_m=f(B),
                transit_d=f(B), prec_other=f(B), rush=f(B))


@jit
def load_par(par, s0, n, pl):  # pragma: no cover - compiled
    """Draws of samples s0 .. s0+n-1 (a :class:`~critmin.market.v2.packed.ParA`) into the
    lanes of ``pl``; lanes past ``n`` repeat the last sample (their results are unused)."""
    B = pl.adjust.shape[0]
    N = pl.eps_sr.shape[0]
    R = pl.fill_shift.shape[0]
    for ln in range(B):
        s = s0 + min(ln, n - 1)
        for i in range(N):
            pl.eps_sr[i, ln] = par.eps_sr[s, i]
            pl.eps_lr[i, ln] = par.eps_lr[s, i]
            pl.es_sr[i, ln] = par.es_sr[s, i]
            pl.es_lr[i, ln] = par.es_lr[s, i]
            pl.persist[i, ln] = par.persist[s, i]
        for r in range(R):
            pl.fill_shift[r, ln] = par.fill_shift[s, r]
            pl.prop_e[r, ln] = np.exp(par.propensity[s, r])
        pl.adjust[ln] = par.adjust[s]
        pl.kappa[ln] = par.kappa[s]
        pl.eta[ln] = par.eta[s]
        pl.tau_s[ln] = par.tau_s[s]
        pl.inv_tau[ln] = 1.0 / par.tau_s[s]  # stock terms multiply: no division per node
        pl.cover_y[ln] = par.cover[s] / 365.0  # commercial cover, years of use
        pl.cover[ln] = par.cover[s]
        pl.precaution[ln] = par.precaution[s]
        pl.approval[ln] = par.approval[s]
        pl.refusal[ln] = par.refusal[s]
        pl.freeze[ln] = par.freeze[s]
        pl.ramp[ln] = par.ramp[s]
        pl.leakage[ln] = par.leakage[s]
        pl.mobility[ln] = par.mobility[s]
        pl.defence[ln] = par.defence[s]
        pl.snap[ln] = 1.0 if par.snap[s] else 0.0
        pl.snap_delay[ln] = par.snap_delay[s]
        pl.restart_months[ln] = par.restart_months[s]
        pl.idle_share[ln] = par.idle_share[s]
        pl.retighten[ln] = par.retighten[s]
        pl.relax[ln] = par.relax[s]
        pl.relax_gain[ln] = par.relax_gain[s]
        pl.key[ln] = par.key[s]
        pl.state_buy[ln] = par.state_buy[s]
        pl.leak_rec[ln] = par.leak_rec[s]
        pl.front[ln] = par.front[s]
        pl.hold[ln] = par.hold[s]
        pl.recover[ln] = par.recover[s]
        pl.smuggle[ln] = par.smuggle[s]
        pl.tighten[ln] = par.tighten[s]
        pl.inv_route[ln] = 1.0 / par.route_m[s]
        pl.home[ln] = par.home[s]
        pl.cap_trig[ln] = par.cap_trig[s]
        pl.cap_hold[ln] = par.cap_hold[s]
        pl.cap_lead[ln] = par.cap_lead[s]
        pl.cap_share[ln] = par.cap_share[s]
        pl.prem_max[ln] = par.prem_max[s]
        pl.prem_m[ln] = par.prem_m[s]
        pl.transit_d[ln] = par.transit_d[s]
        pl.prec_other[ln] = par.prec_other[s]
        pl.rush[ln] = par.rush[s]


@jit
def init(net, sc, pl, st):  # pragma: no cover - compiled
    """Initial state of every lane (as kernel.initial_state)."""
    N, R = net.use0.shape
    B = pl.adjust.shape[0]
    for i in range(N):
        for r in range(R):
            gf = sc.gov_fill[r]
            on = 1.0 if gf > 0 else 0.0
            day = sc.gov_days[i, r] / 365.0 * net.use0[i, r]
            f0 = 0.0 if net.raw[i] else net.prod0[i, r]
            u = net.use0[i, r]
            for ln in range(B):
                st.St[i, r, ln] = pl.cover_y[ln] * u
                g = day * min(max(gf + pl.fill_shift[r, ln] * on, 0.0), 1.0)
                st.G[i, r, ln] = g
                st.G0[i, r, ln] = g
                st.F[i, r, ln] = f0
                st.ratio[i, r, ln] = 1.0
                st.gov_first[i, r, ln] = NEVER
                st.tr1[i, r, ln] = 0.0
                st.tr2[i, r, ln] = 0.0
        for ln in range(B):
            st.pX[i, ln] = 0.0
            st.pC[i, ln] = 0.0
            st.pW[i, ln] = 0.0
            st.restart[i, ln] = 0.0
            st.started[i, ln] = 0.0
            st.out_ratio[i, ln] = 1.0
            st.gap[i, ln] = 0.0
            st.above[i, ln] = 0.0
            st.decided[i, ln] = NEVER
            st.prem[i, ln] = 0.0
            st.pe[i, ln] = 0.0
            st.mined[i, ln] = sc.mine0[i]
    for k in range(st.fired.shape[0]):
        for ln in range(B):
            st.fired[k, ln] = NEVER
    st.held[:] = 0.0
    st.relaxed[:] = 0.0


@inline
def _clip01(x):  # pragma: no cover - compiled
    return min(max(x, 0.0), 1.0)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_STRIDE = np.uint64(4096)


@inline
def regime_u(key, c, t):  # pragma: no cover - compiled
    """Uniform in [0, 1) for control ``c`` in month ``t`` (as regime.uniform)."""
    z = key + (np.uint64(c) * _STRIDE + np.uint64(t + 1)) * _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))
    return np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@inline
def _advance(st, pl, c, i, ln, ramp, el, u):  # pragma: no cover - compiled
    """One month of licence control c's regime at node i, lane ln (as regime.advance)."""
    if el > 0:
        held, rel = st.held[c, i, ln], st.relaxed[c, i, ln]
        restricting = ramp < 1.0
        hold = restricting & (u < pl.persist[i, ln])
        tight = (not restricting) & (u < pl.retighten[ln])
        loose = (not restricting) & (not tight) & (u >= 1.0 - pl.relax[ln])
        st.held[c, i, ln] = el + 1.0 if tight else held + (1.0 if hold else 0.0)
        st.relaxed[c, i, ln] = 0.0 if tight else (1.0 if loose else rel)


@inline
def _rush(w, left, front, tau_s):  # pragma: no cover - compiled
    """Front-running factor on the precautionary cover (as kernel._rush); 1 where w = 0."""
    if w <= 0.0:
        return 1.0
    return (1 + front * w) * (1 + w * (max(1.0, tau_s * 12.0 / max(left, 0.5)) - 1))


@jit
def controls(sc, pl, st, t, g, wk):  # pragma: no cover - compiled
    """China's pass shares g (N, R, B), non-China losses, precautionary targets, alerts and
    the severity-weighted share under China's controls (cn_on) in month ``t``; advances
    the licence regimes (as kernel._control_effects)."""
    N, R, B = g.shape
    for i in range(N):
        for ln in range(B):
            wk.alert[i, ln] = 0.0
            wk.cn_on[i, ln] = 0.0
            # leakage as a priced route: rises with the ex-China/China gap, smoothed
            lk = pl.leakage[ln]
            gs = st.gap[i, ln]
            gs = gs + (st.pX[i, ln] - st.pC[i, ln] - gs) * pl.inv_route[ln]
            st.gap[i, ln] = gs
            wk.lk[i, ln] = lk + (1 - lk) * (1 - lane_exp(-pl.smuggle[ln] * max(gs, 0.0)))
        for r in range(R):
            for ln in range(B):
                g[i, r, ln] = 1.0
                wk.grec[i, r, ln] = 1.0
                wk.rsh[i, r, ln] = 0.0
                wk.under[i, r, ln] = 0.0
                wk.loss[i, r, ln] = 0.0
                wk.tgt[i, r, ln] = 1.0
    mid = t + 0.5
    on, warn, a_v = wk.v[1], wk.v[2], wk.v[3]
    pre_o, sev_v, A_v, u_v = wk.v[4], wk.v[5], wk.v[6], wk.v[7]
    rmp, an, dfc, p_raw = wk.v[8], wk.v[9], wk.v[10], wk.v[11]
    for c in range(sc.k_kind.shape[0]):
        kind, L, gl = sc.k_kind[c], sc.k_L[c], sc.k_gl[c]
        fixed_a = sc.k_approval[c]
        refdef = sc.k_refdef[c]
        el = mid - sc.k_start[c]
        for ln in range(B):
            back = (pl.snap[ln] > 0.5) & (mid >= sc.k_susp_end[c] + pl.snap_delay[ln])
            off = sc.k_susp[c, t] + sc.k_after[c, t] * (0.0 if back else 1.0)
            ann = sc.k_ann[c, t] - off
            if kind == 0:
                A = pl.approval[ln] if np.isnan(fixed_a) else fixed_a
                A = _clip01(1 - (1 - A) * pl.refusal[ln])
                p = 0.0  # by node and destination below
                sev = _clip01(1 - A + L / 3) * (1 - gl) + pl.defence[ln] * refdef
            elif kind == 1:
                A = 0.0
                p = 0.0
                sev = 1.0
            else:
                A = 1.0
                p = 1.0
                sev = 1.0
            lk = pl.leakage[ln]
            A_v[ln] = A
            u_v[ln] = regime_u(pl.key[ln], c, t)
            dfc[ln] = 1 - pl.defence[ln] * refdef
            p_raw[ln] = p  # before leakage (a node's priced leakage below)
            sev_v[ln] = _clip01(sev * (1 - lk))
            a_v[ln] = _clip01(sc.k_in_force[c, t] - off)
            rush = _rush(sc.k_pre[c, t], sc.k_close[c] - t, pl.front[ln], pl.tau_s[ln])
            on[ln] = _clip01(ann) * pl.precaution[ln] * sev_v[ln] * rush
            # other exporters' controls: buyers' extra cover before the blocked share
            pre_o[ln] = _clip01(ann) * pl.precaution[ln] * pl.prec_other[ln] * rush
            warn[ln] = 1.0 if _clip01(ann) * sev_v[ln] > 0 else 0.0
        china = sc.k_china[c]
        reg = sc.k_region[c]
        pre = sc.k_pre[c, t]  # share of the month in the notice window (exporters' rush)
        for i in range(N):
            if not sc.k_nodes[c, i]:
                continue
            if kind == 0:  # the regime's state at this node: ramp on the licence clock
                for ln in range(B):
                    tau = el - st.held[c, i, ln]
                    rmp[ln] = _clip01((tau - (pl.freeze[ln] + 1) * L) / (pl.ramp[ln] * L)) \
                        if L > 0 else 1.0
                    a_n = A_v[ln]
                    a_n = a_n + (1 - a_n) * pl.relax_gain[ln] * st.relaxed[c, i, ln]
                    # recovery of a managed regime (regime.recovered)
                    mg = max(tau - (pl.freeze[ln] + 1) * L - pl.ramp[ln] * L, 0.0) \
                        if L > 0 else max(tau, 0.0)
                    an[ln] = a_n + (1 - a_n) * (1 - lane_exp(-pl.recover[ln] * mg))
            if china:
                for r in range(R):
                    if not sc.k_targets[c, r]:
                        continue
                    if kind == 0:
                        for ln in range(B):
                            a_n = an[ln]
                            x = a_n * (pl.prop_e[r, ln] - 1.0)
                            civil = (a_n + x * (1.0 - a_n) / (1.0 + x)) * (rmp[ln] * dfc[ln])
                            p0 = gl + (1 - gl) * civil
                            p = p0 + wk.lk[i, ln] * (1 - p0)
                            g[i, r, ln] = g[i, r, ln] * (1 - a_v[ln] * (1 - p))
                            pr = p0 + pl.leak_rec[ln] * pl.leakage[ln] * (1 - p0)
                            wk.grec[i, r, ln] = wk.grec[i, r, ln] * (1 - a_v[ln] * (1 - pr))
                            wk.tgt[i, r, ln] = max(wk.tgt[i, r, ln], 1 + on[ln])
                            wk.rsh[i, r, ln] = max(wk.rsh[i, r, ln], pre * sev_v[ln])
                            if pre <= 0.0:  # in force outside its own window
                                wk.under[i, r, ln] = max(wk.under[i, r, ln], a_v[ln])
                    else:
                        for ln in range(B):
                            pk, lki = p_raw[ln], wk.lk[i, ln]
                            g[i, r, ln] = g[i, r, ln] * (1 - a_v[ln] * (1 - (pk + lki * (1 - pk))))
                            pr = pk + pl.leak_rec[ln] * pl.leakage[ln] * (1 - pk)
                            wk.grec[i, r, ln] = wk.grec[i, r, ln] * (1 - a_v[ln] * (1 - pr))
                            wk.tgt[i, r, ln] = max(wk.tgt[i, r, ln], 1 + on[ln])
                            wk.rsh[i, r, ln] = max(wk.rsh[i, r, ln], pre * sev_v[ln])
                            if pre <= 0.0:  # in force outside its own window
                                wk.under[i, r, ln] = max(wk.under[i, r, ln], a_v[ln])
                reach = sc.k_reach[c, i]  # share of China's exports the control targets
                for ln in range(B):
                    wk.alert[i, ln] = max(wk.alert[i, ln], warn[ln])
                    wk.cn_on[i, ln] = max(wk.cn_on[i, ln], a_v[ln] * sev_v[ln] * reach)
            else:
                flow = sc.k_flow[c, i]
                quota_share = min(1.0, sc.k_quota_t[c, i] / max(flow, 1e-9))
                for ln in range(B):
                    if kind == 2:
                        pi = quota_share
                    elif kind == 0:
                        pn = gl + (1 - gl) * an[ln] * rmp[ln] * dfc[ln]
                        pi = pn + wk.lk[i, ln] * (1 - pn)
                    else:
                        pi = p_raw[ln] + wk.lk[i, ln] * (1 - p_raw[ln])
                    lost = a_v[ln] * (1 - pi) * flow
                    wk.loss[i, reg, ln] += lost
                    wk.alert[i, ln] = max(wk.alert[i, ln], 1.0 if lost > 0 else 0.0)
                    on_o = 1 + pre_o[ln] * (1 - pi)
                    for r in range(R):
                        wk.tgt[i, r, ln] = max(wk.tgt[i, r, ln], on_o)
            if kind == 0:
                for ln in range(B):
                    _advance(st, pl, c, i, ln, rmp[ln], el, u_v[ln])


@inline
def _new_capacity(st, pl, i, t, ex_sum, cap, cn):  # pragma: no cover - compiled
    """Node ``i``'s capacity decision from last month's ex-China price as buyers saw it
    and its premium for non-Chinese supply (``cn``: severity-weighted share under China's
    controls); ``cap`` gets this month's new non-Chinese capacity, t/yr (as
    kernel.new_capacity)."""
    for ln in range(cap.shape[0]):
        px = st.pX[i, ln] + st.pe[i, ln]
        ab = st.above[i, ln] + 1.0 if px >= pl.cap_trig[ln] else 0.0
        st.above[i, ln] = ab
        dc = st.decided[i, ln]
        dc = float(t) if (dc == NEVER) & (ab >= pl.cap_hold[ln]) else dc
        st.decided[i, ln] = dc
        on = _clip01((t + 0.5 - dc - pl.cap_lead[ln]) / CAPACITY_RAMP_MONTHS)
        cap[ln] = pl.cap_share[ln] * on * ex_sum
        pr = st.prem[i, ln]
        pr = pr + max(pl.prem_max[ln] * cn[ln] - pr, 0.0) / pl.prem_m[ln]
        st.prem[i, ln] = pr
        st.pe[i, ln] = pr * (1.0 - (on if pl.cap_share[ln] > 0 else 0.0))


@jit
def supply(net, sc, pl, t, st, g, wk, out):  # pragma: no cover - compiled
    """Output capacity online qpot (N, R, B) after outages, losses, additions, by-product
    hosts, idle restarts and the de minimis cut; government releases (as kernel.step)."""
    N, R, B = g.shape
    for k in range(wk.acting.shape[0]):
        for ln in range(B):
            wk.acting[k, ln] = 1.0 if st.fired[k, ln] + sc.max_lag <= t else 0.0
    ft = sc.fast_track and sc.shift > 0
    t_ft = min(t + sc.shift, sc.added.shape[0] - 1)
    host_f, ir, cap = wk.v[0], wk.v[1], wk.v[3]
    for i in range(N):
        _new_capacity(st, pl, i, t, net.ex_prod_sum[i], cap, wk.cn_on[i])
        act = wk.acting[net.ncom[i]]
        out_any = sc.outage_any[t, i]
        byp = 1.0 if net.byp[i] else 0.0
        idle_fixed = net.idle_t[i]
        for ln in range(B):
            start = max(st.started[i, ln], wk.alert[i, ln], 1.0 if out_any else 0.0)
            st.started[i, ln] = start
            rs = min(1.0, st.restart[i, ln] + 1.0 / pl.restart_months[ln])
            st.restart[i, ln] = rs if start > 0.5 else st.restart[i, ln]
            idle = pl.idle_share[ln] * net.W[i] if np.isnan(idle_fixed) else idle_fixed
            ir[ln] = idle * byp * st.restart[i, ln]
            host_f[ln] = 1.0
        if net.has_host[i]:
            for ln in range(B):
                hs = 0.0
                for q in range(2):
                    h = net.hosts[i, q]
                    hs += st.out_ratio[h, ln] if h < N else 0.0
                host_f[ln] = hs / net.n_host[i]
        for r in range(R):
            base = net.prod0[i, r] * (1 - sc.outage[t, i, r])
            add_now, add_ft = sc.added[t, i, r], sc.added[t_ft, i, r]
            split = net.split[i, r]
            # China's quotas and consolidation withhold mine output under its controls
            tight = 1.0 if (r == R_CHN) & net.raw[i] else 0.0
            for ln in range(B):
                added = (add_ft if ft & (act[ln] > 0.5) else add_now) + cap[ln] * split
                # non-China exporters' losses arrive through two in-transit stages
                d, lo = pl.transit_d[ln], wk.loss[i, r, ln]
                x1 = lo + (st.tr1[i, r, ln] - lo) * d
                x2 = x1 + (st.tr2[i, r, ln] - x1) * d
                st.tr1[i, r, ln] = x1
                st.tr2[i, r, ln] = x2
                q = max(base + added - x2, 0.0)
                q = q * host_f[ln] if byp > 0 else q
                wk.qpot[i, r, ln] = (q + ir[ln] * split) * (
                    1 - pl.tighten[ln] * wk.cn_on[i, ln] * tight)
        if sc.mine_any and net.raw[i]:
            _mine_quota(sc, t, st, wk, i)
    if sc.demin_any:
        z = wk.v[2]
        for i in range(N):
            if not sc.demin[i]:
                continue
            for r in range(R):
                if not net.ex[r]:
                    continue
                for ln in range(B):
                    z[ln] = 1.0  # pass shares are at most 1
                for q in range(net.inputs.shape[1]):
                    u = net.inputs[i, q]
                    for ln in range(B):
                        z[ln] = min(z[ln], g[u, r, ln] if u < N else 1.0)
                for ln in range(B):
                    wk.qpot[i, r, ln] = wk.qpot[i, r, ln] * (1 - (1 - z[ln]) * net.cs_in[i])
    _releases(net, sc, pl, t, st, wk, out)


@inline
def _mine_quota(sc, t, st, wk, i):  # pragma: no cover - compiled
    """China's mine capacity at node ``i`` under its annual quota and the share of it held
    to the quota (wk.qshare), as kernel.mine_quota; the count restarts in January."""
    B = wk.qshare.shape[1]
    allow, cov = sc.mine_allow[t, i], sc.mine_cov[i]
    on = allow < np.inf
    for ln in range(B):
        mined = 0.0 if sc.mine_jan[t] else st.mined[i, ln]
        st.mined[i, ln] = mined
        q = wk.qpot[i, R_CHN, ln]
        held = cov * q
        room = max(allow - mined, 0.0) * 12.0 * lane_exp(-wk.es[i, ln] * st.pC[i, ln])
        capped = min(held, room)
        qn = q if room >= held else q - held + room  # q itself wherever the cap is slack
        wk.qpot[i, R_CHN, ln] = qn
        wk.qshare[i, ln] = capped / max(qn, 1e-300) if on else cov


@jit
def _releases(net, sc, pl, t, st, wk, out):  # pragma: no cover - compiled
    """Government stock releases by each region's rule (as kernel.step)."""
    N, R, B = out.rel.shape
    coord = sc.coord
    for i in range(N):
        act = wk.acting[net.ncom[i]]
        for r in range(R):
            rule, lag, rate0 = sc.gov_rule[r], sc.gov_lag[r], sc.gov_rate[r]
            u = net.use0[i, r]
            for ln in range(B):
                a = (act[ln] > 0.5) & coord
                on = (t >= st.gov_first[i, r, ln] + lag) if rule == 1 else (
                    a if rule == 2 else False)
                rate = rate0 * (2.0 if a else 1.0)
                room = max(pl.cover_y[ln] * u - st.St[i, r, ln], 0.0)
                rel = min(min(st.G[i, r, ln], rate * st.G0[i, r, ln]), room)
                rel = rel if on else 0.0
                st.G[i, r, ln] -= rel
                st.St[i, r, ln] += rel
                out.rel[i, r, ln] = rel


@jit
def orders(net, sc, pl, t, st, g, wk):  # pragma: no cover - compiled
    """Planned output, elastic (M) and fixed (F) supply, use U at baseline price with
    processors' input use (China's: with state buying and the exporters' hold of the
    blocked baseline exports, pass shares ``g``), and target stocks T (as kernel.step)."""
    N, R, B = wk.U.shape
    ex_x, ex_c, ex_p = wk.v[0], wk.v[1], wk.v[3]
    for i in range(N):
        raw = net.raw[i]
        for ln in range(B):
            es = wk.es[i, ln]
            ex_x[ln] = lane_exp(es * st.pX[i, ln])
            ex_c[ln] = lane_exp(es * st.pC[i, ln])
            ex_p[ln] = lane_exp(es * st.pe[i, ln])  # premium paid to non-Chinese producers
        for r in range(R):
            ex_r = net.ex[r]
            for ln in range(B):
                q = wk.qpot[i, r, ln]
                q = q * ex_p[ln] if ex_r else q  # (as kernel.step)
                wk.planned[i, r, ln] = q * (ex_x[ln] if ex_r else ex_c[ln])
                wk.M[i, r, ln] = q if raw else 0.0
                wk.F[i, r, ln] = 0.0 if raw else st.F[i, r, ln]
        if sc.offtake and net.is_hl[i] and sc.disrupted[t, net.ncom[i]]:
            act = wk.acting[net.ncom[i]]
            add = sc.offtake_share * net.ex_prod_sum[i]
            for ln in range(B):
                wk.F[i, R_ROW, ln] += add * act[ln]
    tariff = sc.tariff_any[t]
    held = wk.v[2]  # t/yr of blocked baseline exports China's exporters hold, per lane
    for i in range(N):
        u = net.user[i]
        iu = net.int_user[i]
        for ln in range(B):
            held[ln] = 0.0
        for r in range(R):
            d0 = net.dest0[i, r]
            for ln in range(B):
                held[ln] += d0 * (1.0 - g[i, r, ln])
        for ln in range(B):  # priced (regime.held_of)
            held[ln] = pl.hold[ln] * held[ln] * (
                1 + pl.smuggle[ln] * max(st.pX[i, ln] - st.pC[i, ln], 0.0))
        _rush_exports(net, pl, wk, i)
        for r in range(R):
            x0 = sc.U0[t, i, r]
            lg = np.log1p(sc.tariff[t, i, r]) if tariff else 0.0
            u0 = net.use0[i, r]
            sb = net.final0[i, r] if r == R_CHN else 0.0  # China's state reserve buys
            hf = 1.0 if r == R_CHN else 0.0  # and its exporters hold blocked exports
            hm = 1.0 if net.home[r] else 0.0
            for ln in range(B):
                x = x0 + pl.state_buy[ln] * sb * wk.cn_on[i, ln] + hf * held[ln]
                x = x * lane_exp(-wk.eps[i, ln] * lg) if tariff else x
                pa = wk.planned[u, r, ln] * iu if u >= 0 else 0.0
                wk.P[i, r, ln] = pa
                wk.U[i, r, ln] = x + pa
                wk.T[i, r, ln] = pl.cover_y[ln] * u0 * wk.tgt[i, r, ln]
                # buyers' contracts with their own region's plants (kernel.home_contracts)
                wk.K[i, r, ln] = (pl.home[ln] * hm) * min(wk.M[i, r, ln] + wk.F[i, r, ln],
                                                          x + pa)


@inline
def _rush_exports(net, pl, wk, i):  # pragma: no cover - compiled
    """China's exports beyond the clearing at node ``i`` (wk.xtra, t/yr): the exporters'
    rush from their inventory in a notice window, on cells no other China control is
    in force on (as kernel.rush_exports)."""
    R, B = net.dest0.shape[1], wk.xtra.shape[1]
    for ln in range(B):
        base = 0.0
        for r in range(R):
            base += net.dest0[i, r] * (wk.rsh[i, r, ln] * (1 - wk.under[i, r, ln]))
        wk.xtra[i, ln] = pl.rush[ln] * base  # regime.rush_of


# Rows of the solver's buffer (LANES values each; constant offsets, so the compiler sees
# that the rows never overlap and vectorises the step without run-time alias checks).
XA, XB, XC, XM, XEPS, XKAP, XETA, XES, XP, XLO, XHI, XGO, XRP, XRH, XR1, XR2 = range(16)
X_ROWS = 16
VECTOR_STEPS = 2
"""Solver steps taken for all lanes together; the lanes still stepping after them finish
one by one in the scalar solver, from where they stand (kernel.solve_from), so one slow
lane does not hold up the rest. With Halley steps ending early (kernel.ACCEPT_STEP) and
world solves starting from last month's world price, a solve takes 2.0 evaluations on
average and 2 steps measured 110-112 us/sample for the runner's chunk against 117-119
for 3 (Oct 2025 preset, alternating runs)."""


@jit
def solve(x):  # pragma: no cover - compiled
    """Roots of a*h(p) + b + c*exp(-eta*p) - m*exp(es*p) = 0 for the LANES lanes of the
    buffer ``x`` (rows XA..XES the terms, XP the starting point): each lane takes the
    safeguarded Halley steps of kernel.solve_at and stops where it stops. Results in rows
    XRP (p), XRH (h(p)), XR1 (exp(-eta p)), XR2 (exp(es p))."""
    L = LANES
    for ln in range(L):
        x[XLO * L + ln] = LOG_P_LO
        x[XHI * L + ln] = LOG_P_HI
        x[XP * L + ln] = min(max(x[XP * L + ln], LOG_P_LO), LOG_P_HI)
        x[XGO * L + ln] = 1.0
    for _ in range(VECTOR_STEPS):
        left = 0  # lanes still stepping (an integer sum: it vectorises)
        for ln in range(L):  # "&", not "and": no branch in the loop
            p = x[XP * L + ln]
            ep, kp, et, e_s = x[XEPS * L + ln], x[XKAP * L + ln], x[XETA * L + ln], x[XES * L + ln]
            m = x[XM * L + ln]
            pp = max(p, 0.0)
            g = ep + kp * pp
            h = lane_exp(-ep * p - 0.5 * kp * pp * pp)
            e1 = lane_exp(-et * p)
            e2 = lane_exp(e_s * p) if m != 0.0 else 1.0
            ah, ce, me = x[XA * L + ln] * h, x[XC * L + ln] * e1, m * e2
            f = ah + x[XB * L + ln] + ce - me
            df = min(-g * ah - et * ce - e_s * me, -1e-12)
            lo = p if f > 0 else x[XLO * L + ln]
            hi = x[XHI * L + ln] if f > 0 else p
            newton = p - f / df
            d2 = (g * g - (kp if p > 0 else 0.0)) * ah + et * et * ce - e_s * e_s * me
            den = 2 * df * df - f * d2
            halley = den > df * df
            nxt = p - 2 * f * df / den if halley else newton
            fall = 0.5 * (lo + hi)
            fall = LOG_P_LO if (newton <= lo) & (lo == LOG_P_LO) else fall
            fall = LOG_P_HI if (newton >= hi) & (hi == LOG_P_HI) else fall
            inside = (lo < nxt) & (nxt < hi)
            n_in = (lo < newton) & (newton < hi)
            halley = halley & inside
            nxt = nxt if inside else (newton if n_in else fall)
            wide = (lo < nxt) & (nxt < hi) & (abs(nxt - p) > max(0.5 * (hi - lo), ACCEPT_STEP))
            halley = halley & (not wide)
            nxt = 0.5 * (lo + hi) if wide else nxt
            step = abs(nxt - p)
            conv = step < SOLVER_TOL
            take = halley & (step < ACCEPT_STEP) & (not conv)  # end at nxt (kernel.ACCEPT_STEP)
            h1, e1n, e2n = accepted_terms(p, nxt, h, e1, e2, m, ep, kp, et, e_s)
            live = x[XGO * L + ln] > 0.5
            stop = live & (conv | take)
            go = live & (not (conv | take))
            x[XRP * L + ln] = (nxt if take else p) if stop else x[XRP * L + ln]
            x[XRH * L + ln] = (h1 if take else h) if stop else x[XRH * L + ln]
            x[XR1 * L + ln] = (e1n if take else e1) if stop else x[XR1 * L + ln]
            x[XR2 * L + ln] = (e2n if take else e2) if stop else x[XR2 * L + ln]
            x[XGO * L + ln] = 1.0 if go else 0.0
            x[XP * L + ln] = nxt if go else p
            x[XLO * L + ln] = lo if go else x[XLO * L + ln]
            x[XHI * L + ln] = hi if go else x[XHI * L + ln]
            left += 1 if go else 0
        if left == 0:
            return
    for ln in range(L):
        if x[XGO * L + ln] > 0.5:
            p, h, e1, e2 = solve_from(
                x[XA * L + ln], x[XB * L + ln], x[XC * L + ln], x[XM * L + ln], x[XEPS * L + ln],
                x[XKAP * L + ln], x[XETA * L + ln], x[XES * L + ln], x[XP * L + ln],
                x[XLO * L + ln], x[XHI * L + ln], SOLVER_STEPS - VECTOR_STEPS)
            x[XRP * L + ln] = p
            x[XRH * L + ln] = h
            x[XR1 * L + ln] = e1
            x[XR2 * L + ln] = e2


@jit
def _solve_segment(x, seg, q, eps, pl, es, p0, res):  # pragma: no cover - compiled
    """Solve segment row ``q`` of ``seg`` (3, 4, LANES) from ``p0``; results into the
    rows of ``res`` (4, LANES): p, h, exp(-eta p), exp(es p)."""
    L = LANES
    for ln in range(L):
        x[XA * L + ln] = seg[q, 0, ln]
        x[XB * L + ln] = seg[q, 1, ln]
        x[XC * L + ln] = seg[q, 2, ln]
        x[XM * L + ln] = seg[q, 3, ln]
        x[XEPS * L + ln] = eps[ln]
        x[XKAP * L + ln] = pl.kappa[ln]
        x[XETA * L + ln] = pl.eta[ln]
        x[XES * L + ln] = es[ln]
        x[XP * L + ln] = p0[ln]
    solve(x)
    for ln in range(L):
        res[0, ln] = x[XRP * L + ln]
        res[1, ln] = x[XRH * L + ln]
        res[2, ln] = x[XR1 * L + ln]
        res[3, ln] = x[XR2 * L + ln]


@jit
def segments(wk, st, net, pl, i):  # pragma: no cover - compiled
    """Clearing terms a, b, c, m of node ``i`` per lane (rows: world, China, ex-China),
    per t/yr of world output, region sums in order (as kernel._segments)."""
    R, B = wk.orders.shape
    seg = wk.seg
    for q in range(3):
        for x in range(4):
            for ln in range(B):
                seg[q, x, ln] = 0.0
    for r in range(R):
        row = 1 if r == R_CHN else (2 if net.ex[r] else -1)
        for ln in range(B):
            u = wk.U[i, r, ln] - wk.K[i, r, ln]  # contracted use: a constant demand
            bt = -st.St[i, r, ln] * pl.inv_tau[ln] - (wk.F[i, r, ln] - wk.K[i, r, ln])
            ct = wk.T[i, r, ln] * pl.inv_tau[ln]
            mm = wk.M[i, r, ln]
            seg[0, 0, ln] += u
            seg[0, 1, ln] += bt
            seg[0, 2, ln] += ct
            seg[0, 3, ln] += mm
            if row >= 0:
                seg[row, 0, ln] += u
                seg[row, 1, ln] += bt
                seg[row, 2, ln] += ct
                seg[row, 3, ln] += mm
    iw = 1.0 / net.W[i]  # multiplies: a division per lane costs ~16x a product
    for q in range(3):
        for x in range(4):
            for ln in range(B):
                seg[q, x, ln] = seg[q, x, ln] * iw


@jit
def prices(net, sc, pl, t, st, g, wk, out):  # pragma: no cover - compiled
    """World price, China's free exports (wk.n_free), allowances by destination (wk.cap)
    and the split segment prices where the allowance binds; the new prices replace
    last month's in the state (as kernel.step)."""
    N, R, B = wk.U.shape
    seg, sol, buf = wk.seg, wk.sol, wk.x
    pw, hw, e1w, e2w = sol[0], sol[1], sol[2], sol[3]
    pc, hc, e1c, e2c = sol[4], sol[5], sol[6], sol[7]
    px, hx, e1x, e2x = sol[8], sol[9], sol[10], sol[11]
    n_cap, bv = wk.v[6], wk.v[7]
    for i in range(N):
        eps, es = wk.eps[i], wk.es[i]
        segments(wk, st, net, pl, i)
        iw0 = 1.0 / net.W[i]
        for ln in range(B):  # China's extra exports: supply to the world and ex-China
            seg[0, 1, ln] -= wk.xtra[i, ln] * iw0
            seg[2, 1, ln] -= wk.xtra[i, ln] * iw0
        _solve_segment(buf, seg, 0, eps, pl, es, st.pW[i], sol[0:4])  # from last month's
        w = net.W[i]
        iw = 1.0 / w
        quota = sc.quota[t, i]
        for ln in range(B):
            nf = (wk.M[i, R_CHN, ln] * e2w[ln] + wk.F[i, R_CHN, ln]) - (
                wk.U[i, R_CHN, ln] * hw[ln]
                + (wk.T[i, R_CHN, ln] * e1w[ln] - st.St[i, R_CHN, ln]) * pl.inv_tau[ln])
            wk.n_free[i, ln] = nf
            n_cap[ln] = 0.0
        for r in range(R):
            x = 1.0 if net.ex[r] else 0.0
            ds, d0 = net.dshare[i, r], net.dest0[i, r]
            for ln in range(B):
                c = g[i, r, ln] * max(max(wk.n_free[i, ln], 0.0) * ds, d0) * x
                wk.cap[i, r, ln] = c
                n_cap[ln] += c
        any_bind = False
        for ln in range(B):
            scale = quota / max(n_cap[ln], 1e-300) if n_cap[ln] > quota else 1.0
            n_cap[ln] = min(n_cap[ln], quota)
            bind = wk.n_free[i, ln] > n_cap[ln] + 1e-9 * w
            bv[ln] = 1.0 if bind else 0.0
            any_bind |= bind
            seg[1, 1, ln] += n_cap[ln] * iw  # the allowance moves between the segments
            seg[2, 1, ln] -= n_cap[ln] * iw
            out.binding[i, ln] = bv[ln]
            out.n[i, ln] = n_cap[ln] if bind else wk.n_free[i, ln]
            wk.v[5, ln] = scale
        for r in range(R):
            for ln in range(B):
                wk.cap[i, r, ln] = wk.cap[i, r, ln] * wk.v[5, ln]
        if any_bind:
            _solve_segment(buf, seg, 1, eps, pl, es, st.pC[i], sol[4:8])
            _solve_segment(buf, seg, 2, eps, pl, es, st.pX[i], sol[8:12])
        for ln in range(B):
            b = any_bind and bv[ln] > 0.5
            st.pX[i, ln] = px[ln] if b else pw[ln]
            st.pC[i, ln] = pc[ln] if b else pw[ln]
            st.pW[i, ln] = pw[ln]
            wk.ex3[i, 0, 0, ln] = hx[ln] if b else hw[ln]
            wk.ex3[i, 0, 1, ln] = e1x[ln] if b else e1w[ln]
            wk.ex3[i, 0, 2, ln] = e2x[ln] if b else e2w[ln]
            wk.ex3[i, 1, 0, ln] = hc[ln] if b else hw[ln]
            wk.ex3[i, 1, 1, ln] = e1c[ln] if b else e1w[ln]
            wk.ex3[i, 1, 2, ln] = e2c[ln] if b else e2w[ln]


@jit
def deliver(net, pl, st, wk, out):  # pragma: no cover - compiled
    """Deliveries, China's exports by destination, availability ratio, processed output,
    consumption and end stocks (wk.St1) at the cleared prices (as kernel._deliver)."""
    N, R, B = wk.U.shape
    orders, w = wk.orders, wk.w
    s_x, osum, ord_x, lsum, inv_o = wk.v[0], wk.v[1], wk.v[2], wk.v[3], wk.v[5]
    n_ex = 0.0
    for r in range(R):
        n_ex += 1.0 if net.ex[r] else 0.0
    inv_ex = 1.0 / n_ex
    for i in range(N):
        for ln in range(B):
            s_x[ln] = 0.0
            osum[ln] = 0.0
            ord_x[ln] = 0.0
            lsum[ln] = 0.0
        for r in range(R):
            q = 0 if net.ex[r] else 1
            x = 1.0 if net.ex[r] else 0.0
            for ln in range(B):
                h = wk.ex3[i, q, 0, ln]
                u = wk.U[i, r, ln]
                h = h + (wk.K[i, r, ln] / u if u > 0 else 0.0) * (1.0 - h)  # home contracts
                wk.hh[i, r, ln] = h
                o = wk.U[i, r, ln] * h + (wk.T[i, r, ln] * wk.ex3[i, q, 1, ln]
                                         - st.St[i, r, ln]) * pl.inv_tau[ln]
                orders[r, ln] = o
                qq = wk.M[i, r, ln] * wk.ex3[i, q, 2, ln] + wk.F[i, r, ln]
                out.Q[i, r, ln] = qq
                osum[ln] += max(o, 0.0) * x
                ord_x[ln] += o * x
                s_x[ln] += qq * x  # ex-China output in region order (China's exports follow)
        for ln in range(B):
            inv_o[ln] = 1.0 / max(osum[ln], 1e-300)
        for r in range(R):
            ex_r = net.ex[r]
            x = 1.0 if ex_r else 0.0
            ds = net.dshare[i, r]
            for ln in range(B):
                ni = out.n[i, ln]
                sx = s_x[ln] + ni + wk.xtra[i, ln]  # China's exports beyond the clearing
                wr = max(orders[r, ln], 0.0) * x * inv_o[ln] if osum[ln] > 0 else x * inv_ex
                w[r, ln] = wr
                d = orders[r, ln] - (ord_x[ln] - sx) * wr if ex_r else out.Q[i, r, ln] - ni
                out.deliv[i, r, ln] = d
                gap = max(ds * max(wk.n_free[i, ln], 0.0) - wk.cap[i, r, ln], 0.0)
                gap = gap * x if out.binding[i, ln] > 0.5 else 0.0
                lr = min((1 - pl.mobility[ln]) * gap, max(d, 0.0)) * x
                orders[r, ln] = lr  # reused: losses by region
                lsum[ln] += lr
        for r in range(R):
            x = 1.0 if net.ex[r] else 0.0
            ds = net.dshare[i, r]
            for ln in range(B):
                d = out.deliv[i, r, ln] - orders[r, ln] + lsum[ln] * w[r, ln]
                out.deliv[i, r, ln] = d
                ni = out.n[i, ln]
                out.exd[i, r, ln] = (wk.cap[i, r, ln] if out.binding[i, ln] > 0.5
                                    else max(ni, 0.0) * ds * x)
                avail = max(st.St[i, r, ln] + d * DT, 0.0)
                hh = wk.hh[i, r, ln]
                use = wk.U[i, r, ln] * hh
                wk.final[i, r, ln] = (wk.U[i, r, ln] - wk.P[i, r, ln]) * hh
                st.ratio[i, r, ln] = (min(1.0, avail / max(use * DT, 1e-300)) if use > 0
                                     else 1.0)
    _processed(net, st, wk, out)


@jit
def _processed(net, st, wk, out):  # pragma: no cover - compiled
    """Processed output from the scarcest input, consumption and end stocks."""
    N, R, B = wk.U.shape
    z = wk.v[4]
    for i in range(N):
        raw = net.raw[i]
        si = net.same_input[i]
        for r in range(R):
            for ln in range(B):
                z[ln] = 1.0  # availability ratios are at most 1
            for q in range(net.inputs.shape[1]):
                u = net.inputs[i, q]
                for ln in range(B):
                    z[ln] = min(z[ln], st.ratio[u, r, ln] if u < N else 1.0)
            for ln in range(B):
                hs = wk.hh[si, r, ln] if si < N else 1.0
                out.X[i, r, ln] = 0.0 if raw else wk.planned[i, r, ln] * z[ln] * hs
    for i in range(N):
        u = net.user[i]
        iu = net.int_user[i]
        thrift = net.thrift[i]
        for r in range(R):
            for ln in range(B):
                pr = out.X[u, r, ln] * iu if u >= 0 else 0.0
                pr = pr * wk.hh[i, r, ln] if thrift else pr
                c = wk.final[i, r, ln] * st.ratio[i, r, ln] + pr
                out.cons[i, r, ln] = c
                wk.St1[i, r, ln] = max(st.St[i, r, ln] + (out.deliv[i, r, ln] - c) * DT, 0.0)


@jit
def finish(net, sc, t, st, wk, out):  # pragma: no cover - compiled
    """New stocks and processed output into the state; release clocks, shortfall, cover
    and the response rules' triggers (as kernel.step)."""
    N, R, B = wk.U.shape
    qs = wk.v[0]
    for i in range(N):
        for ln in range(B):
            qs[ln] = 0.0
        for r in range(R):
            wanted = sc.wanted[t, i, r]
            u0 = net.use0[i, r]
            i_want = 1.0 / max(wanted, 1e-300)
            i_day = 1.0 / max(u0 / 365.0, 1e-300)
            has_want, has_use = wanted > 0, u0 > 0
            t1 = t + 1.0
            for ln in range(B):
                qs[ln] += out.Q[i, r, ln]
                s1 = wk.St1[i, r, ln]
                st.St[i, r, ln] = s1
                st.F[i, r, ln] = out.X[i, r, ln]
                short_now = (st.ratio[i, r, ln] < 0.999) | (s1 < 0.5 * wk.T[i, r, ln])
                gf = st.gov_first[i, r, ln]
                st.gov_first[i, r, ln] = t1 if short_now & (gf == NEVER) else gf
                sf = min(max(1 - out.cons[i, r, ln] * i_want, 0.0), 1.0)
                out.shortfall[i, r, ln] = sf if has_want else 0.0
                cv = (s1 + st.G[i, r, ln]) * i_day
                out.cover[i, r, ln] = cv if has_use else np.nan
        i_w = 1.0 / net.W[i]
        for ln in range(B):
            st.out_ratio[i, ln] = qs[ln] * i_w
        if sc.mine_any and net.raw[i]:
            for ln in range(B):
                st.mined[i, ln] += wk.qshare[i, ln] * out.Q[i, R_CHN, ln] / 12.0
    if sc.n_rules > 0:
        _rules(net, sc, t, st, wk, out)


@jit
def _rules(net, sc, t, st, wk, out):  # pragma: no cover - compiled
    """The response rules' triggers: first month each commodity's rules fire (rules
    outside, lanes inside: the lane loops vectorise)."""
    R, B = out.g.shape[1], out.g.shape[2]
    trig, gmin = wk.v[1], wk.v[2]
    t1 = t + 1.0
    for k in range(net.hl.shape[0]):
        i = net.hl[k]
        if not sc.disrupted[t, k]:
            continue
        for ln in range(B):
            trig[ln] = 0.0
            gmin[ln] = np.inf
        for r in range(R):
            if net.ex[r]:
                for ln in range(B):
                    gmin[ln] = min(gmin[ln], out.g[i, r, ln])
        for q in range(sc.n_rules):
            rp, rc, ra = sc.r_price[q], sc.r_cover[q], sc.r_appr[q]
            if not np.isnan(rp):
                for ln in range(B):
                    hit = lane_exp(st.pX[i, ln] - st.pC[i, ln]) >= rp
                    trig[ln] = 1.0 if hit else trig[ln]
            if not np.isnan(rc) and sc.gov_hl_any[k]:
                for ln in range(B):  # the smaller holder's cover; none where either is NaN
                    a, b = out.cover[i, HOLDERS[0], ln], out.cover[i, HOLDERS[1], ln]
                    hit = ((a <= rc) | (b <= rc)) & (a == a) & (b == b)
                    trig[ln] = 1.0 if hit else trig[ln]
            if not np.isnan(ra):
                for ln in range(B):
                    trig[ln] = 1.0 if gmin[ln] <= ra else trig[ln]
        for ln in range(B):
            f = st.fired[k, ln]
            st.fired[k, ln] = t1 if (trig[ln] > 0.5) & (f == NEVER) else f


@jit
def recorded(net, wk, out):  # pragma: no cover - compiled
    """China's exports as its customs record them (nrec, exdrec): where an allowance
    binds, the unrecorded part of the leaked flow (smuggled or mis-declared; a share
    leak_recorded of it is recorded, as exports to third countries) is left out (as
    kernel.step)."""
    N, R, B = out.g.shape
    for i in range(N):
        for ln in range(B):
            out.nrec[i, ln] = out.n[i, ln]
        for r in range(R):
            for ln in range(B):
                g = out.g[i, r, ln]
                rs = wk.grec[i, r, ln] / g if g > 0 else 1.0
                x = out.exd[i, r, ln]
                y = x * rs if out.binding[i, ln] > 0.5 else x
                xe = wk.xtra[i, ln] * net.dshare[i, r] * (1.0 if net.ex[r] else 0.0)
                out.exdrec[i, r, ln] = y + xe  # extra exports recorded in full
                out.exd[i, r, ln] = x + xe
                out.nrec[i, ln] -= x - y
        for ln in range(B):
            out.n[i, ln] += wk.xtra[i, ln]
            out.nrec[i, ln] += wk.xtra[i, ln]


@jit
def month(net, sc, pl, t, st, out, wk):  # pragma: no cover - compiled
    """Advance every lane by month ``t``: outputs to ``out``, cleared prices to the state."""
    N, B = wk.eps.shape
    for ln in range(B):
        grow = 1 - np.exp(-t / pl.adjust[ln])
        for i in range(N):
            wk.eps[i, ln] = pl.eps_sr[i, ln] + (pl.eps_lr[i, ln] - pl.eps_sr[i, ln]) * grow
            es = pl.es_sr[i, ln] + (pl.es_lr[i, ln] - pl.es_sr[i, ln]) * grow
            wk.es[i, ln] = 0.0 if net.byp[i] else es
    controls(sc, pl, st, t, out.g, wk)
    supply(net, sc, pl, t, st, out.g, wk, out)
    orders(net, sc, pl, t, st, out.g, wk)
    prices(net, sc, pl, t, st, out.g, wk, out)
    deliver(net, pl, st, wk, out)
    recorded(net, wk, out)
    finish(net, sc, t, st, wk, out)


@jit
def step_blocks(net, sc, pls, sts, outs, wk, t):  # pragma: no cover - compiled
    """Month ``t`` for every block of lanes (arrays with a leading block axis)."""
    for b in range(sts.St.shape[0]):
        st = State(
            sts.St[b], sts.G[b], sts.G0[b], sts.F[b], sts.pX[b], sts.pC[b], sts.ratio[b],
            sts.restart[b], sts.started[b], sts.out_ratio[b], sts.gov_first[b], sts.fired[b],
            sts.pW[b], sts.held[b], sts.relaxed[b], sts.gap[b], sts.above[b],
            sts.decided[b], sts.prem[b], sts.pe[b], sts.tr1[b], sts.tr2[b], sts.mined[b])
        out = Out(
            outs.n[b], outs.exd[b], outs.deliv[b], outs.cons[b], outs.Q[b], outs.rel[b],
            outs.X[b], outs.binding[b], outs.shortfall[b], outs.cover[b], outs.g[b],
            outs.nrec[b], outs.exdrec[b])
        pl = ParL(
            pls.eps_sr[b], pls.eps_lr[b], pls.es_sr[b], pls.es_lr[b], pls.adjust[b],
            pls.kappa[b], pls.eta[b], pls.tau_s[b], pls.cover[b], pls.precaution[b],
            pls.approval[b], pls.refusal[b], pls.freeze[b], pls.ramp[b], pls.leakage[b],
            pls.mobility[b], pls.defence[b], pls.snap[b], pls.snap_delay[b],
            pls.restart_months[b], pls.idle_share[b], pls.fill_shift[b], pls.inv_tau[b],
            pls.cover_y[b], pls.persist[b], pls.retighten[b], pls.relax[b],
            pls.relax_gain[b], pls.key[b], pls.prop_e[b], pls.state_buy[b], pls.leak_rec[b],
            pls.front[b], pls.hold[b], pls.recover[b], pls.smuggle[b], pls.tighten[b],
            pls.inv_route[b], pls.home[b], pls.cap_trig[b], pls.cap_hold[b],
            pls.cap_lead[b], pls.cap_share[b], pls.prem_max[b], pls.prem_m[b],
            pls.transit_d[b], pls.prec_other[b], pls.rush[b])
        month(net, sc, pl, t, st, out, wk)


def _blocks(make, nb: int, *shape):
    """A named tuple like ``make(*shape)`` whose arrays have a leading block axis."""
    one = make(*shape)
    return type(one)(*(np.zeros((nb, *a.shape), dtype=a.dtype) for a in one))


def _block(tup, b: int):
    return type(tup)(*(a[b] for a in tup))


def run_months(net_a, sc_a, par_a, S: int, months: int, record=None) -> None:
    """Run ``S`` samples month by month in blocks of LANES lanes; ``record(t, out)`` gets
    each month's outputs under kernel.step's keys, sample axis first (arrays rebuilt each
    month)."""
    N, R = net_a.use0.shape
    C = net_a.hl.shape[0]
    K = sc_a.k_kind.shape[0]
    L = LANES
    nb = -(-S // L)
    sts, outs = _blocks(new_state, nb, N, R, C, L, K), _blocks(new_out, nb, N, R, L)
    pls, wk = _blocks(new_par, nb, N, R, L), new_work(N, R, C, L)
    for b in range(nb):
        load_par(par_a, b * L, min(L, S - b * L), _block(pls, b))
        init(net_a, sc_a, _block(pls, b), _block(sts, b))

    def samples_first(a):  # (blocks, ..., lanes) -> (samples, ...)
        return np.moveaxis(a, -1, 1).reshape(nb * L, *a.shape[1:-1])[:S]

    for t in range(months):
        step_blocks(net_a, sc_a, pls, sts, outs, wk, t)
        if record is not None:
            o = {k: samples_first(v) for k, v in dict(
                pX=sts.pX + sts.pe, pC=sts.pC, exports=outs.n, exports_dest=outs.exd,
                exports_recorded=outs.nrec, exports_dest_recorded=outs.exdrec,
                shortfall=outs.shortfall, short_physical=1.0 - sts.ratio, cover=outs.cover,
                deliv=outs.deliv, cons=outs.cons, produced=outs.Q, released=outs.rel,
                processed=outs.X, binding=outs.binding > 0.5,
                stocks=sts.St + sts.G).items()}
            record(t, o)
