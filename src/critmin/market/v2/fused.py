"""Model v2's monthly step compiled per sample (Numba): the production kernel.

The same equations as the NumPy array form :func:`critmin.market.v2.kernel.step` (which
stays as the per-sample reference the benchmark and the tests compare against), written as
loops over nodes and regions of one sample, so a chunk is one compiled loop over samples
and months with no temporary arrays. :func:`month` advances state row ``j`` of sample ``s``
by month ``t``; :func:`step_all` runs it for every sample (the month-by-month interface of
:func:`critmin.market.v2.paths.run_samples`); the runner's chunk loop with its per-sample
reductions lives in :mod:`critmin.simulate.runner_v2`. Sums over regions run in order,
as NumPy's, so the two forms agree to rounding of the exponentials (libm here, NumPy's own
in the array form).
"""

from __future__ import annotations

from collections import namedtuple

import numba
import numpy as np

from critmin.market.v2.kernel import DT, NEVER, solve_at
from critmin.market.v2.network import R_CHN
from critmin.market.v2.packed import HOLDERS, R_ROW

State = namedtuple("State", ("St", "G", "G0", "F", "pX", "pC", "ratio", "restart",
                             "started", "out_ratio", "gov_first", "fired"))
Out = namedtuple("Out", ("n", "exd", "deliv", "cons", "Q", "rel", "X", "binding",
                         "shortfall", "cover", "g"))
Work = namedtuple("Work", ("loss", "tgt", "qpot", "planned", "M", "F", "U", "P", "T",
                           "cap", "hh", "final", "orders", "w", "alert", "eps", "es",
                           "seg", "St1", "acting", "n_free", "ex3"))
jit = numba.njit(cache=True, error_model="numpy", _nrt=False)
"""Compiled without reference counting (nothing here allocates; callers own every array):
counting the arrays of the named tuples at each call cost about a tenth of the step."""


def new_state(S: int, N: int, R: int, C: int) -> State:
    f = np.zeros
    return State(St=f((S, N, R)), G=f((S, N, R)), G0=f((S, N, R)), F=f((S, N, R)),
                 pX=f((S, N)), pC=f((S, N)), ratio=f((S, N, R)), restart=f((S, N)),
                 started=f((S, N), dtype=bool), out_ratio=f((S, N)),
                 gov_first=f((S, N, R), dtype=np.int64), fired=f((S, C), dtype=np.int64))


def new_out(S: int, N: int, R: int) -> Out:
    f = np.zeros
    return Out(n=f((S, N)), exd=f((S, N, R)), deliv=f((S, N, R)), cons=f((S, N, R)),
               Q=f((S, N, R)), rel=f((S, N, R)), X=f((S, N, R)),
               binding=f((S, N), dtype=bool), shortfall=f((S, N, R)), cover=f((S, N, R)),
               g=f((S, N, R)))


def new_work(N: int, R: int, C: int) -> Work:
    f = np.zeros
    return Work(loss=f((N, R)), tgt=f((N, R)), qpot=f((N, R)), planned=f((N, R)),
                M=f((N, R)), F=f((N, R)), U=f((N, R)), P=f((N, R)), T=f((N, R)),
                cap=f((N, R)), hh=f((N, R)), final=f((N, R)), orders=f(R), w=f(R),
                alert=f(N, dtype=bool), eps=f(N), es=f(N), seg=f((3, 4)), St1=f((N, R)),
                acting=f(C, dtype=bool), n_free=f(N), ex3=f((N, 2, 3)))


@jit
def init(net, sc, par, s, st, j):  # pragma: no cover - compiled
    """Initial state of sample ``s`` in row ``j`` (as kernel.initial_state)."""
    nt_prod0, nt_raw, nt_use0, pr_cover = net.prod0, net.raw, net.use0, par.cover
    pr_fill_shift, c_gov_days, c_gov_fill = par.fill_shift, sc.gov_days, sc.gov_fill
    st_F, st_G, st_G0, st_St, st_fired = st.F, st.G, st.G0, st.St, st.fired
    st_gov_first, st_out_ratio, st_pC, st_pX = st.gov_first, st.out_ratio, st.pC, st.pX
    st_ratio, st_restart, st_started = st.ratio, st.restart, st.started
    N, R = nt_use0.shape
    c365 = pr_cover[s] / 365.0
    for i in range(N):
        for r in range(R):
            st_St[j, i, r] = c365 * nt_use0[i, r]
            gf = c_gov_fill[r]
            fill = min(max(gf + pr_fill_shift[s, r] * (1.0 if gf > 0 else 0.0), 0.0), 1.0)
            g = c_gov_days[i, r] / 365.0 * nt_use0[i, r] * fill
            st_G[j, i, r] = g
            st_G0[j, i, r] = g
            st_F[j, i, r] = 0.0 if nt_raw[i] else nt_prod0[i, r]
            st_ratio[j, i, r] = 1.0
            st_gov_first[j, i, r] = NEVER
        st_pX[j, i] = 0.0
        st_pC[j, i] = 0.0
        st_restart[j, i] = 0.0
        st_started[j, i] = False
        st_out_ratio[j, i] = 1.0
    for k in range(st_fired.shape[1]):
        st_fired[j, k] = NEVER


@jit
def _clip01(x):  # pragma: no cover - compiled
    return min(max(x, 0.0), 1.0)


@jit
def controls(net, sc, par, s, t, g, wk):  # pragma: no cover - compiled
    """China's pass shares g (N, R), non-China losses, precautionary targets and alerts
    of sample ``s`` in month ``t`` (as kernel._control_effects)."""
    pr_approval, pr_defence, pr_freeze = par.approval, par.defence, par.freeze
    pr_leakage, pr_precaution, pr_ramp = par.leakage, par.precaution, par.ramp
    pr_refusal, pr_snap, pr_snap_delay, c_k_L = par.refusal, par.snap, par.snap_delay, sc.k_L
    c_k_after, c_k_ann, c_k_approval = sc.k_after, sc.k_ann, sc.k_approval
    c_k_china, c_k_flow, c_k_gl, c_k_in_force = sc.k_china, sc.k_flow, sc.k_gl, sc.k_in_force
    c_k_kind, c_k_nodes, c_k_quota_t = sc.k_kind, sc.k_nodes, sc.k_quota_t
    c_k_refdef, c_k_region, c_k_start = sc.k_refdef, sc.k_region, sc.k_start
    c_k_susp, c_k_susp_end, c_k_targets = sc.k_susp, sc.k_susp_end, sc.k_targets
    wk_alert, wk_loss, wk_tgt = wk.alert, wk.loss, wk.tgt
    N, R = g.shape
    for i in range(N):
        wk_alert[i] = False
        for r in range(R):
            g[i, r] = 1.0
            wk_loss[i, r] = 0.0
            wk_tgt[i, r] = 1.0
    mid = t + 0.5
    lk = pr_leakage[s]
    for c in range(c_k_kind.shape[0]):
        back = pr_snap[s] and (mid >= c_k_susp_end[c] + pr_snap_delay[s])
        off = c_k_susp[c, t] + c_k_after[c, t] * (0.0 if back else 1.0)
        a = c_k_in_force[c, t] - off
        ann = c_k_ann[c, t] - off
        kind = c_k_kind[c]
        if kind == 0:
            A = pr_approval[s] if np.isnan(c_k_approval[c]) else c_k_approval[c]
            A = _clip01(1 - (1 - A) * pr_refusal[s])
            L = c_k_L[c]
            ramp = 1.0
            if L > 0:
                since = mid - c_k_start[c] - (pr_freeze[s] + 1) * L
                ramp = _clip01(since / (pr_ramp[s] * L))
            gl = c_k_gl[c]
            civil = A * ramp * (1 - pr_defence[s] * c_k_refdef[c])
            p = gl + (1 - gl) * civil
            sev = _clip01(1 - A + L / 3) * (1 - gl) + pr_defence[s] * c_k_refdef[c]
        elif kind == 1:
            p = 0.0
            sev = 1.0
        else:
            p = 1.0
            sev = 1.0
        p = p + lk * (1 - p)
        sev = _clip01(sev * (1 - lk))
        a = _clip01(a)
        if c_k_china[c]:
            pass_f = 1 - a * (1 - p)
            on = _clip01(ann) * pr_precaution[s] * sev
            warn = _clip01(ann) * sev > 0
            for i in range(N):
                if not c_k_nodes[c, i]:
                    continue
                for r in range(R):
                    if c_k_targets[c, r]:
                        g[i, r] = g[i, r] * pass_f
                        wk_tgt[i, r] = max(wk_tgt[i, r], 1 + on)
                if warn:
                    wk_alert[i] = True
        else:
            reg = c_k_region[c]
            for i in range(N):
                flow = c_k_flow[c, i]
                pi = p
                if kind == 2:
                    pi = min(1.0, c_k_quota_t[c, i] / max(flow, 1e-9))
                lost = a * (1 - pi) * flow * (1.0 if c_k_nodes[c, i] else 0.0)
                wk_loss[i, reg] += lost
                if lost > 0:
                    wk_alert[i] = True


@jit
def supply(net, sc, par, s, t, st, j, g, wk, out, o):  # pragma: no cover - compiled
    """Output capacity online qpot (N, R) after outages, losses, additions, by-product
    hosts, idle restarts and the de minimis cut; government releases (as kernel.step)."""
    nt_W, nt_byp, nt_cs_in, nt_ex = net.W, net.byp, net.cs_in, net.ex
    nt_has_host, nt_hosts, nt_idle_t = net.has_host, net.hosts, net.idle_t
    nt_inputs, nt_n_host, nt_ncom, nt_prod0 = net.inputs, net.n_host, net.ncom, net.prod0
    nt_split, nt_use0, out_rel, pr_cover = net.split, net.use0, out.rel, par.cover
    pr_idle_share, pr_restart_months, c_added = par.idle_share, par.restart_months, sc.added
    c_coord, c_demin, c_demin_any = sc.coord, sc.demin, sc.demin_any
    c_fast_track, c_gov_lag, c_gov_rate = sc.fast_track, sc.gov_lag, sc.gov_rate
    c_gov_rule, c_max_lag, c_outage = sc.gov_rule, sc.max_lag, sc.outage
    c_outage_any, c_shift, st_G, st_G0, st_St = sc.outage_any, sc.shift, st.G, st.G0, st.St
    st_fired, st_gov_first, st_out_ratio = st.fired, st.gov_first, st.out_ratio
    st_restart, st_started, wk_acting, wk_alert = st.restart, st.started, wk.acting, wk.alert
    wk_loss, wk_qpot = wk.loss, wk.qpot
    N, R = g.shape
    acting = wk_acting
    for k in range(acting.shape[0]):
        acting[k] = st_fired[j, k] + c_max_lag <= t
    ft = c_fast_track and c_shift > 0
    t_ft = min(t + c_shift, c_added.shape[0] - 1)
    rs = 1.0 / pr_restart_months[s]
    for i in range(N):
        act = acting[nt_ncom[i]]
        if wk_alert[i] or c_outage_any[t, i]:
            st_started[j, i] = True
        if st_started[j, i]:
            st_restart[j, i] = min(1.0, st_restart[j, i] + rs)
        idle = pr_idle_share[s] * nt_W[i] if np.isnan(nt_idle_t[i]) else nt_idle_t[i]
        idle = idle * (1.0 if nt_byp[i] else 0.0)
        host_f = 1.0
        if nt_has_host[i]:
            hs = 0.0
            for q in range(2):
                h = nt_hosts[i, q]
                hs += st_out_ratio[j, h] if h < N else 0.0
            host_f = hs / nt_n_host[i]
        ir = idle * st_restart[j, i]
        for r in range(R):
            added = c_added[t_ft, i, r] if (ft and act) else c_added[t, i, r]
            q = max(nt_prod0[i, r] * (1 - c_outage[t, i, r]) + added - wk_loss[i, r], 0.0)
            if nt_byp[i]:
                q = q * host_f
            wk_qpot[i, r] = q + ir * nt_split[i, r]
    if c_demin_any:
        for i in range(N):
            if not c_demin[i]:
                continue
            for r in range(R):
                if not nt_ex[r]:
                    continue
                z = 1.0
                first = True
                for q in range(nt_inputs.shape[1]):
                    u = nt_inputs[i, q]
                    v = g[u, r] if u < N else 1.0
                    if first or v < z:
                        z = v
                        first = False
                wk_qpot[i, r] = wk_qpot[i, r] * (1 - (1 - z) * nt_cs_in[i])
    c365 = pr_cover[s] / 365.0
    for i in range(N):
        act = acting[nt_ncom[i]] and c_coord
        for r in range(R):
            rule = c_gov_rule[r]
            on = False
            if rule == 1:
                on = t >= st_gov_first[j, i, r] + c_gov_lag[r]
            elif rule == 2:
                on = act
            out_rel[o, i, r] = 0.0
            if not on:
                continue
            rate = c_gov_rate[r] * (2.0 if act else 1.0)
            room = max(c365 * nt_use0[i, r] - st_St[j, i, r], 0.0)
            rel = min(min(st_G[j, i, r], rate * st_G0[j, i, r]), room)
            st_G[j, i, r] -= rel
            st_St[j, i, r] += rel
            out_rel[o, i, r] = rel


@jit
def orders(net, sc, par, s, t, st, j, wk):  # pragma: no cover - compiled
    """Planned output, elastic (M) and fixed (F) supply, use U at baseline price with
    processors' input use, and target stocks T of sample ``s`` (as kernel.step)."""
    nt_ex, nt_ex_prod_sum, nt_int_user = net.ex, net.ex_prod_sum, net.int_user
    nt_is_hl, nt_ncom, nt_raw, nt_use0 = net.is_hl, net.ncom, net.raw, net.use0
    nt_user, pr_cover, c_U0, c_disrupted = net.user, par.cover, sc.U0, sc.disrupted
    c_offtake, c_offtake_share, c_tariff = sc.offtake, sc.offtake_share, sc.tariff
    c_tariff_any, st_F, st_pC, st_pX, wk_F = sc.tariff_any, st.F, st.pC, st.pX, wk.F
    wk_M, wk_P, wk_T, wk_U, wk_acting, wk_eps = wk.M, wk.P, wk.T, wk.U, wk.acting, wk.eps
    wk_es, wk_planned, wk_qpot, wk_tgt = wk.es, wk.planned, wk.qpot, wk.tgt
    N, R = wk_U.shape
    for i in range(N):
        es = wk_es[i]
        ex_x = np.exp(es * st_pX[j, i]) if es != 0.0 else 1.0
        ex_c = ex_x if st_pC[j, i] == st_pX[j, i] else np.exp(es * st_pC[j, i])
        for r in range(R):
            wk_planned[i, r] = wk_qpot[i, r] * (ex_x if nt_ex[r] else ex_c)
            wk_M[i, r] = wk_qpot[i, r] if nt_raw[i] else 0.0
            wk_F[i, r] = 0.0 if nt_raw[i] else st_F[j, i, r]
        if c_offtake:
            on = wk_acting[nt_ncom[i]] and nt_is_hl[i] and c_disrupted[t, nt_ncom[i]]
            wk_F[i, R_ROW] += c_offtake_share * nt_ex_prod_sum[i] * (1.0 if on else 0.0)
    c365 = pr_cover[s] / 365.0
    for i in range(N):
        u = nt_user[i]
        for r in range(R):
            x = c_U0[t, i, r]
            if c_tariff_any[t]:
                x = x * (1 + c_tariff[t, i, r]) ** (-wk_eps[i])
            pa = wk_planned[u, r] * nt_int_user[i] if u >= 0 else 0.0
            wk_P[i, r] = pa
            wk_U[i, r] = x + pa
            wk_T[i, r] = c365 * nt_use0[i, r] * wk_tgt[i, r]


@jit
def segments(U, St, F, T, M, W, ex, j, ts, i, seg):  # pragma: no cover - compiled
    """Clearing terms a, b, c, m of node ``i`` (rows: world, China, ex-China), per t/yr
    of world output, region sums in order (as kernel._segments)."""
    R = U.shape[1]
    first_ex = True
    for r in range(R):
        u = U[i, r]
        bt = -St[j, i, r] / ts - F[i, r]
        ct = T[i, r] / ts
        mm = M[i, r]
        if r == 0:
            seg[0, 0], seg[0, 1], seg[0, 2], seg[0, 3] = u, bt, ct, mm
        else:
            seg[0, 0] += u
            seg[0, 1] += bt
            seg[0, 2] += ct
            seg[0, 3] += mm
        if r == R_CHN:
            seg[1, 0], seg[1, 1], seg[1, 2], seg[1, 3] = u, bt, ct, mm
        elif ex[r]:
            if first_ex:
                seg[2, 0], seg[2, 1], seg[2, 2], seg[2, 3] = u, bt, ct, mm
                first_ex = False
            else:
                seg[2, 0] += u
                seg[2, 1] += bt
                seg[2, 2] += ct
                seg[2, 3] += mm
    w = W[i]
    for q in range(3):
        for x in range(4):
            seg[q, x] = seg[q, x] / w


@jit
def prices(net, sc, par, s, t, st, j, g, wk, out, o):  # pragma: no cover - compiled
    """World price, China's free exports (wk.n_free), allowances by destination (wk.cap)
    and the split segment prices where the allowance binds; the new prices replace
    last month's in the state (as kernel.step)."""
    nt_W, nt_dest0, nt_dshare, nt_ex = net.W, net.dest0, net.dshare, net.ex
    out_binding, out_n, pr_eta, pr_kappa = out.binding, out.n, par.eta, par.kappa
    pr_tau_s, c_quota, st_St, st_pC, st_pX = par.tau_s, sc.quota, st.St, st.pC, st.pX
    wk_F, wk_M, wk_T, wk_U, wk_cap, wk_eps = wk.F, wk.M, wk.T, wk.U, wk.cap, wk.eps
    wk_es, wk_ex3, wk_n_free, wk_seg = wk.es, wk.ex3, wk.n_free, wk.seg
    N, R = wk_U.shape
    kap, eta, ts = pr_kappa[s], pr_eta[s], pr_tau_s[s]
    for i in range(N):
        e, es = wk_eps[i], wk_es[i]
        segments(wk_U, st_St, wk_F, wk_T, wk_M, nt_W, nt_ex, j, ts, i, wk_seg)
        seg = wk_seg
        p_w, h_w, e1_w, e2_w = solve_at(seg[0, 0], seg[0, 1], seg[0, 2], seg[0, 3], e, kap,
                                        eta, es, st_pX[j, i])
        n_free = (wk_M[i, R_CHN] * e2_w + wk_F[i, R_CHN]) - (
            wk_U[i, R_CHN] * h_w + (wk_T[i, R_CHN] * e1_w - st_St[j, i, R_CHN]) / ts)
        n_cap = 0.0
        for r in range(R):
            free_r = max(n_free, 0.0) * nt_dshare[i, r]
            c = g[i, r] * max(free_r, nt_dest0[i, r]) * (1.0 if nt_ex[r] else 0.0)
            wk_cap[i, r] = c
            n_cap = c if r == 0 else n_cap + c
        quota = c_quota[t, i]
        if n_cap > quota:
            scale = min(quota, n_cap) / max(n_cap, 1e-300)
            for r in range(R):
                wk_cap[i, r] = wk_cap[i, r] * scale
        n_cap = min(n_cap, quota)
        w = nt_W[i]
        binding = n_free > n_cap + 1e-9 * w
        p_x = p_c = p_w
        # h, exp(-eta p), exp(es p) at the ex-China (x) and China (c) prices
        hx, e1x, e2x = hc, e1c, e2c = h_w, e1_w, e2_w
        if binding:
            cap_w = n_cap / w
            p_c, hc, e1c, e2c = solve_at(seg[1, 0], seg[1, 1] + cap_w, seg[1, 2], seg[1, 3],
                                         e, kap, eta, es, st_pC[j, i])
            p_x, hx, e1x, e2x = solve_at(seg[2, 0], seg[2, 1] - cap_w, seg[2, 2], seg[2, 3],
                                         e, kap, eta, es, st_pX[j, i])
        wk_ex3[i, 0, 0], wk_ex3[i, 0, 1], wk_ex3[i, 0, 2] = hx, e1x, e2x
        wk_ex3[i, 1, 0], wk_ex3[i, 1, 1], wk_ex3[i, 1, 2] = hc, e1c, e2c
        out_binding[o, i] = binding
        out_n[o, i] = n_cap if binding else n_free
        wk_n_free[i] = n_free
        st_pX[j, i] = p_x  # the new month's prices (last month's are no longer needed)
        st_pC[j, i] = p_c


@jit
def deliver(net, par, s, st, j, wk, out, o):  # pragma: no cover - compiled
    """Deliveries, China's exports by destination, availability ratio, processed output,
    consumption and end stocks (wk.St1) at the cleared prices (as kernel._deliver)."""
    nt_dshare, nt_ex, nt_inputs, nt_int_user = net.dshare, net.ex, net.inputs, net.int_user
    nt_raw, nt_same_input, nt_thrift, nt_user = net.raw, net.same_input, net.thrift, net.user
    out_Q, out_X, out_binding, out_cons = out.Q, out.X, out.binding, out.cons
    out_deliv, out_exd, out_n, pr_mobility = out.deliv, out.exd, out.n, par.mobility
    pr_tau_s, st_St, st_ratio, wk_F, wk_M, wk_P = par.tau_s, st.St, st.ratio, wk.F, wk.M, wk.P
    wk_St1, wk_T, wk_U, wk_cap, wk_ex3, wk_final = wk.St1, wk.T, wk.U, wk.cap, wk.ex3, wk.final
    wk_hh, wk_n_free, wk_orders, wk_planned = wk.hh, wk.n_free, wk.orders, wk.planned
    wk_w = wk.w
    N, R = wk_U.shape
    ts, mb = pr_tau_s[s], pr_mobility[s]
    orders, w, hh = wk_orders, wk_w, wk_hh
    n_ex = 0.0
    for r in range(R):
        n_ex += 1.0 if nt_ex[r] else 0.0
    for i in range(N):
        ni, bind = out_n[o, i], out_binding[o, i]
        for r in range(R):
            q = 0 if nt_ex[r] else 1
            h = wk_ex3[i, q, 0]
            hh[i, r] = h
            orders[r] = wk_U[i, r] * h + (wk_T[i, r] * wk_ex3[i, q, 1] - st_St[j, i, r]) / ts
            out_Q[o, i, r] = wk_M[i, r] * wk_ex3[i, q, 2] + wk_F[i, r]
        s_x = 0.0
        osum = 0.0
        ord_x = 0.0
        for r in range(R):
            x = 1.0 if nt_ex[r] else 0.0
            if r == 0:
                s_x = out_Q[o, i, 0] * x
                osum = max(orders[0], 0.0) * x
                ord_x = orders[0] * x
            else:
                s_x += out_Q[o, i, r] * x
                osum += max(orders[r], 0.0) * x
                ord_x += orders[r] * x
        s_x = s_x + ni
        for r in range(R):
            x = 1.0 if nt_ex[r] else 0.0
            w[r] = max(orders[r], 0.0) * x / max(osum, 1e-300) if osum > 0 else x / n_ex
        excess = ord_x - s_x
        lsum = 0.0
        for r in range(R):
            d = orders[r] - excess * w[r] if nt_ex[r] else out_Q[o, i, r] - ni
            out_deliv[o, i, r] = d
            gap = 0.0
            if bind:
                gap = max(nt_dshare[i, r] * max(wk_n_free[i], 0.0) - wk_cap[i, r], 0.0)
            x = 1.0 if nt_ex[r] else 0.0
            gap = gap * x
            lr = min((1 - mb) * gap, max(d, 0.0)) * x
            orders[r] = lr  # reused: losses by region
            lsum = lr if r == 0 else lsum + lr
        for r in range(R):
            d = out_deliv[o, i, r] - orders[r] + lsum * w[r]
            out_deliv[o, i, r] = d
            if bind:
                out_exd[o, i, r] = wk_cap[i, r]
            else:
                out_exd[o, i, r] = max(ni, 0.0) * nt_dshare[i, r] * (1.0 if nt_ex[r]
                                                                       else 0.0)
            avail = max(st_St[j, i, r] + d * DT, 0.0)
            use = wk_U[i, r] * hh[i, r]
            wk_final[i, r] = (wk_U[i, r] - wk_P[i, r]) * hh[i, r]
            st_ratio[j, i, r] = min(1.0, avail / max(use * DT, 1e-300)) if use > 0 else 1.0
    for i in range(N):
        for r in range(R):
            if nt_raw[i]:
                out_X[o, i, r] = 0.0
                continue
            z = 1.0
            first = True
            for q in range(nt_inputs.shape[1]):
                u = nt_inputs[i, q]
                v = st_ratio[j, u, r] if u < N else 1.0
                if first or v < z:
                    z = v
                    first = False
            si = nt_same_input[i]
            hs = hh[si, r] if si < N else 1.0
            out_X[o, i, r] = wk_planned[i, r] * z * hs
    for i in range(N):
        u = nt_user[i]
        for r in range(R):
            pr = 0.0
            if u >= 0:
                pr = out_X[o, u, r] * nt_int_user[i]
            if nt_thrift[i]:
                pr = pr * hh[i, r]
            c = wk_final[i, r] * st_ratio[j, i, r] + pr
            out_cons[o, i, r] = c
            wk_St1[i, r] = max(st_St[j, i, r] + (out_deliv[o, i, r] - c) * DT, 0.0)


@jit
def finish(net, sc, s, t, st, j, wk, out, o):  # pragma: no cover - compiled
    """New stocks and processed output into the state; release clocks, shortfall, cover
    and the response rules' triggers (as kernel.step)."""
    nt_W, nt_ex, nt_hl, nt_use0, out_Q, out_X = net.W, net.ex, net.hl, net.use0, out.Q, out.X
    out_cons, out_cover, out_g, out_shortfall = out.cons, out.cover, out.g, out.shortfall
    c_disrupted, c_gov_hl_any, c_n_rules = sc.disrupted, sc.gov_hl_any, sc.n_rules
    c_r_appr, c_r_cover, c_r_price, c_wanted = sc.r_appr, sc.r_cover, sc.r_price, sc.wanted
    st_F, st_G, st_St, st_fired, st_gov_first = st.F, st.G, st.St, st.fired, st.gov_first
    st_out_ratio, st_pC, st_pX, st_ratio, wk_St1 = st.out_ratio, st.pC, st.pX, st.ratio, wk.St1
    wk_T, wk_U = wk.T, wk.U
    N, R = wk_U.shape
    for i in range(N):
        qs = 0.0
        for r in range(R):
            qs = out_Q[o, i, r] if r == 0 else qs + out_Q[o, i, r]
            st_St[j, i, r] = wk_St1[i, r]
            st_F[j, i, r] = out_X[o, i, r]
            short_now = st_ratio[j, i, r] < 0.999 or st_St[j, i, r] < 0.5 * wk_T[i, r]
            if short_now and st_gov_first[j, i, r] == NEVER:
                st_gov_first[j, i, r] = t + 1
            wanted = c_wanted[t, i, r]
            sf = 0.0
            if wanted > 0:
                sf = min(max(1 - out_cons[o, i, r] / max(wanted, 1e-300), 0.0), 1.0)
            out_shortfall[o, i, r] = sf
            u0 = nt_use0[i, r]
            out_cover[o, i, r] = ((st_St[j, i, r] + st_G[j, i, r]) / max(u0 / 365.0, 1e-300)
                                  if u0 > 0 else np.nan)
        st_out_ratio[j, i] = qs / nt_W[i]
    if c_n_rules == 0:
        return
    for k in range(nt_hl.shape[0]):
        i = nt_hl[k]
        ratio_x = np.exp(st_pX[j, i] - st_pC[j, i])
        a, b = out_cover[o, i, HOLDERS[0]], out_cover[o, i, HOLDERS[1]]
        cmin = np.nan if (np.isnan(a) or np.isnan(b)) else min(a, b)
        gmin = np.inf
        for r in range(R):
            if nt_ex[r]:
                gmin = min(gmin, out_g[o, i, r])
        trig = False
        for q in range(c_n_rules):
            if not np.isnan(c_r_price[q]):
                trig |= ratio_x >= c_r_price[q]
            if not np.isnan(c_r_cover[q]):
                trig |= (cmin <= c_r_cover[q]) and c_gov_hl_any[k]
            if not np.isnan(c_r_appr[q]):
                trig |= gmin <= c_r_appr[q]
        if trig and c_disrupted[t, k] and st_fired[j, k] == NEVER:
            st_fired[j, k] = t + 1


@jit
def month(net, sc, par, s, t, st, j, out, o, wk):  # pragma: no cover - compiled
    """Advance state row ``j`` (sample ``s`` of the draws) by month ``t``; this month's
    outputs go to row ``o`` of ``out``, the cleared prices to the state (pX, pC)."""
    grow = 1 - np.exp(-t / par.adjust[s])
    for i in range(wk.eps.shape[0]):
        wk.eps[i] = par.eps_sr[s, i] + (par.eps_lr[s, i] - par.eps_sr[s, i]) * grow
        es = par.es_sr[s, i] + (par.es_lr[s, i] - par.es_sr[s, i]) * grow
        wk.es[i] = 0.0 if net.byp[i] else es
    g = out.g[o]
    controls(net, sc, par, s, t, g, wk)
    supply(net, sc, par, s, t, st, j, g, wk, out, o)
    orders(net, sc, par, s, t, st, j, wk)
    prices(net, sc, par, s, t, st, j, g, wk, out, o)
    deliver(net, par, s, st, j, wk, out, o)
    finish(net, sc, s, t, st, j, wk, out, o)


@jit
def init_all(net, sc, par, st):  # pragma: no cover - compiled
    for s in range(st.St.shape[0]):
        init(net, sc, par, s, st, s)


@jit
def step_all(net, sc, par, st, out, wk, t):  # pragma: no cover - compiled
    """Month ``t`` for every sample (state and output row = sample)."""
    for s in range(st.St.shape[0]):
        month(net, sc, par, s, t, st, s, out, s, wk)


def run_months(net_a, sc_a, par_a, S: int, months: int, record=None) -> State:
    """Run ``S`` samples month by month; ``record(t, out)`` gets each month's outputs
    under kernel.step's keys (arrays reused between months: copy what you keep)."""
    N, R = net_a.use0.shape
    C = net_a.hl.shape[0]
    st, out, wk = new_state(S, N, R, C), new_out(S, N, R), new_work(N, R, C)
    init_all(net_a, sc_a, par_a, st)
    for t in range(months):
        step_all(net_a, sc_a, par_a, st, out, wk, t)
        if record is not None:
            record(t, dict(pX=st.pX, pC=st.pC, exports=out.n, exports_dest=out.exd,
                           shortfall=out.shortfall, short_physical=1.0 - st.ratio,
                           cover=out.cover, deliv=out.deliv, cons=out.cons, produced=out.Q,
                           released=out.rel, processed=out.X, binding=out.binding,
                           stocks=st.St + st.G))
    return st
