"""Model v2 inputs as flat arrays for the compiled month (:mod:`critmin.market.v2.lanes`).

Three named tuples of NumPy arrays: the network and its links (:class:`NetA`), the compiled
scenario with its controls and response rules (:class:`ScenA`, months H) and the latent
draws of a chunk (:class:`ParA`, samples S). Nothing random or sample-dependent is
computed here except the mapping of draws onto nodes.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from critmin.market.v2.kernel import Links, Params
from critmin.market.v2.network import EX_CHINA, HOME, REGIONS, MarketNetwork
from critmin.market.v2.policy import CompiledV2

R_ROW = REGIONS.index("ROW")
HOLDERS = np.array([REGIONS.index("USA"), REGIONS.index("JPN")])
KINDS = {"licence_required": 0, "destination_ban": 1, "export_ban": 1, "quota": 2}
GOV_RULES = {"on_shortfall": 1, "on_trigger": 2}

NetA = namedtuple("NetA", (
    "W", "prod0", "use0", "final0", "dest0", "byp", "hosts", "n_host", "has_host", "idle_t",
    "ncom", "hl", "is_hl", "raw", "user", "int_user", "inputs", "dshare", "cs_in", "thrift",
    "same_input", "split", "ex_prod_sum", "ex", "use_sum", "home"))
ScenA = namedtuple("ScenA", (
    "outage", "outage_any", "added", "U0", "tariff", "tariff_any", "wanted", "quota",
    "demin", "demin_any", "gov_days", "gov_hl_any", "gov_fill", "gov_rule", "gov_lag",
    "gov_rate", "disrupted",
    # China's annual mining quotas (policy.MineQuotasV2; mine_any False: none)
    "mine_any", "mine_allow", "mine_cov", "mine_jan", "mine0",
    # controls (K)
    "k_kind", "k_china", "k_nodes", "k_targets", "k_approval", "k_L", "k_gl", "k_refdef",
    "k_start", "k_in_force", "k_susp", "k_after", "k_susp_end", "k_ann", "k_pre", "k_close",
    "k_flow", "k_quota_t", "k_region", "k_reach",
    # response rules (n_rules 0 without responses)
    "n_rules", "max_lag", "fast_track", "coord", "offtake", "shift", "offtake_share",
    "r_price", "r_cover", "r_appr"))
ParA = namedtuple("ParA", (
    "eps_sr", "eps_lr", "es_sr", "es_lr", "adjust", "kappa", "eta", "tau_s", "cover",
    "precaution", "approval", "refusal", "freeze", "ramp", "leakage", "mobility",
    "defence", "snap", "snap_delay", "restart_months", "idle_share", "fill_shift",
    "persist", "retighten", "relax", "relax_gain", "key", "propensity", "state_buy",
    "leak_rec", "front", "hold", "recover", "smuggle", "tighten", "route_m", "home",
    "prem_max", "prem_m", "cap_trig", "cap_hold", "cap_lead", "cap_share", "transit_d",
    "prec_other", "rush"))


def net_arrays(m: MarketNetwork, L: Links) -> NetA:
    N, R = m.n, len(REGIONS)
    ex_prod = np.where(EX_CHINA, m.prod0, 0.0)
    tot = ex_prod.sum(1, keepdims=True)
    split = np.where(tot > 0, ex_prod / np.maximum(tot, 1e-300), np.eye(R)[R_ROW][None])
    has_host = (m.hosts < N).any(axis=1)
    is_hl = np.zeros(N, dtype=bool)
    is_hl[m.headline] = True
    return NetA(
        W=m.world_t.astype(float), prod0=m.prod0, use0=m.use0, final0=m.final0,
        dest0=m.dest0, byp=m.byproduct.astype(bool), hosts=m.hosts.astype(np.int64),
        n_host=np.maximum((m.hosts < N).sum(axis=1), 1).astype(float), has_host=has_host,
        idle_t=m.idle_t.astype(float), ncom=m.node_commodity.astype(np.int64),
        hl=m.headline.astype(np.int64), is_hl=is_hl, raw=L.raw.astype(bool),
        user=L.user.astype(np.int64), int_user=L.int_user.astype(float),
        inputs=L.inputs.astype(np.int64), dshare=L.dshare, cs_in=L.cs_in.astype(float),
        thrift=L.thrift.astype(bool), same_input=L.same_input.astype(np.int64), split=split,
        ex_prod_sum=ex_prod.sum(1), ex=EX_CHINA.copy(), use_sum=m.use0.sum(-1),
        home=HOME.copy())


def scen_arrays(m: MarketNetwork, cp: CompiledV2, responses: bool) -> ScenA:
    N, R, H = m.n, len(REGIONS), cp.months
    cs = cp.controls
    K = len(cs)
    quota = np.full((H, N), np.inf)
    demin = np.zeros(N, dtype=bool)
    for c in cs:
        if c.china and c.kind == "quota":
            for t in range(H):
                if c.in_force[t] >= 0.5:
                    quota[t] = np.where(c.nodes, np.minimum(quota[t], c.quota_t), quota[t])
        if c.china and c.de_minimis:
            demin |= c.nodes
    rules = cp.rules if responses else []
    acts = {a for r in rules for a in r.actions}

    def opt(v):
        return np.nan if v is None else float(v)

    def per_k(f, shape=(), dtype=float):
        return np.array([f(c) for c in cs], dtype=dtype).reshape((K, *shape))

    return ScenA(
        outage=cp.outage, outage_any=(cp.outage > 0).any(-1), added=cp.added_t,
        U0=m.final0[None] * cp.demand, tariff=cp.tariff,
        tariff_any=cp.tariff.reshape(H, -1).any(-1),
        wanted=m.use0[None] + m.final0[None] * (cp.demand - 1), quota=quota, demin=demin,
        demin_any=bool(demin.any()), gov_days=cp.gov_days,
        gov_hl_any=cp.gov_days[m.headline].max(-1) > 0, gov_fill=cp.gov_fill.astype(float),
        gov_rule=np.array([GOV_RULES.get(r, 0) for r in cp.gov_rule], dtype=np.int64),
        gov_lag=cp.gov_lag.astype(float), gov_rate=cp.gov_rate.astype(float),
        disrupted=cp.disrupted.astype(bool),
        mine_any=cp.mine is not None,
        mine_allow=np.full((H, N), np.inf) if cp.mine is None else cp.mine.allow,
        mine_cov=np.zeros(N) if cp.mine is None else cp.mine.covered,
        mine_jan=np.zeros(H, dtype=bool) if cp.mine is None else cp.mine.january,
        mine0=np.zeros(N) if cp.mine is None else cp.mine.mined0,
        k_kind=per_k(lambda c: KINDS[c.kind], dtype=np.int64),
        k_china=per_k(lambda c: c.china, dtype=bool),
        k_nodes=per_k(lambda c: c.nodes, (N,), bool),
        k_targets=per_k(lambda c: c.targets, (R,), bool),
        k_approval=per_k(lambda c: c.approval), k_L=per_k(lambda c: c.processing_months),
        k_gl=per_k(lambda c: c.general_licence),
        k_refdef=per_k(lambda c: float(c.refuse_defence)),
        k_start=per_k(lambda c: c.clock_month),  # licence clock origin
        k_in_force=per_k(lambda c: c.in_force, (H,)),
        k_susp=per_k(lambda c: c.suspended, (H,)),
        k_after=per_k(lambda c: c.after_suspension, (H,)),
        k_susp_end=per_k(lambda c: c.suspension_end),
        k_ann=per_k(lambda c: c.announced_from, (H,)),
        k_pre=per_k(lambda c: c.pre_start, (H,)),
        k_close=per_k(lambda c: c.pre_close if c.pre_start.any() else 0.0),
        k_flow=per_k(lambda c: c.exporter_share * m.world_t, (N,)),
        k_quota_t=per_k(lambda c: c.quota_t, (N,)),
        k_reach=per_k(lambda c: c.reach, (N,)),
        k_region=per_k(lambda c: c.exporter_region, dtype=np.int64),
        n_rules=len(rules),
        max_lag=max([r.decision_lag_days / 30.44 for r in rules] or [0.0]),
        fast_track="fast_track" in acts, coord="coordinated_release" in acts,
        offtake="emergency_offtake" in acts,
        shift=3 * max([r.fast_track_quarters for r in rules] or [0]),
        offtake_share=max([r.offtake_share for r in rules] or [0.0]),
        r_price=np.array([opt(r.price_ratio_above) for r in rules], dtype=float),
        r_cover=np.array([opt(r.cover_days_below) for r in rules], dtype=float),
        r_appr=np.array([opt(r.approval_rate_below) for r in rules], dtype=float))


def par_arrays(k: Params) -> ParA:
    def flat(a):
        return np.ascontiguousarray(np.asarray(a)[:, 0])

    return ParA(
        eps_sr=k.eps_sr, eps_lr=k.eps_lr, es_sr=k.es_sr, es_lr=k.es_lr,
        adjust=flat(k.adjust), kappa=flat(k.kappa), eta=flat(k.eta), tau_s=flat(k.tau_s),
        cover=flat(k.cover), precaution=flat(k.precaution), approval=flat(k.approval),
        refusal=flat(k.refusal), freeze=flat(k.freeze), ramp=flat(k.ramp),
        leakage=flat(k.leakage), mobility=flat(k.mobility), defence=flat(k.defence),
        snap=flat(k.snap).astype(bool), snap_delay=flat(k.snap_delay),
        restart_months=flat(k.restart_months), idle_share=flat(k.idle_share),
        fill_shift=np.ascontiguousarray(k.fill_shift),
        persist=np.ascontiguousarray(k.persist), retighten=flat(k.retighten),
        relax=flat(k.relax), relax_gain=flat(k.relax_gain), key=flat(k.key),
        propensity=np.ascontiguousarray(k.propensity), state_buy=flat(k.state_buy),
        leak_rec=flat(k.leak_rec), front=flat(k.front), hold=flat(k.hold),
        recover=flat(k.recover), smuggle=flat(k.smuggle), tighten=flat(k.tighten),
        route_m=flat(k.route_m), home=flat(k.home), cap_trig=flat(k.cap_trig),
        cap_hold=flat(k.cap_hold), cap_lead=flat(k.cap_lead), cap_share=flat(k.cap_share),
        prem_max=flat(k.prem_max), prem_m=flat(k.prem_m), transit_d=flat(k.transit_d),
        prec_other=flat(k.prec_other), rush=flat(k.rush))
