"""Model v2.1: licensing regimes, approval propensity by destination, China's domestic side."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.market.v2 import simulate_paths
from critmin.market.v2.kernel import _control_effects, initial_state, params_from
from critmin.market.v2.network import EX_CHINA, REGIONS
from critmin.market.v2.paths import prepare, run_reference, run_samples
from critmin.market.v2.priors import draws
from critmin.market.v2.regime import held_of, shifted, uniform
from critmin.scenarios.spec import ExportControl, ProductionQuota, Scenario

START = dt.date(2026, 1, 1)
STILL = dict(licence_persistence=0.0, retighten_hazard=0.0, relax_hazard=0.0,
             licence_recovery=0.0, smuggling_elasticity=0.0)


def scenario(**kw) -> Scenario:
    return Scenario(id="t", name="t", start=START, **kw)


def licence(commodities, **kw) -> ExportControl:
    return ExportControl(exporter="CHN", commodities=commodities, measure="licence_required",
                         start=kw.pop("start", START), **kw)


def fixed(n: int, **values) -> dict:
    return {k: np.full(n, float(v)) for k, v in values.items()}


def paths(net, sc, n=64, months=12, theta=None, seed=3):
    return simulate_paths(net, sc, samples=n, seed=seed, months=months, theta=theta,
                          priors_only=True)


def licensed(commodity: str = "antimony") -> Scenario:
    """China licenses ``commodity``'s exports from START, 45 processing days."""
    return scenario(commodities=[commodity], controls=[licence([commodity],
                                                               processing_days=45)])


def fast_and_reference(prep, d, months: int, output: str) -> dict[str, np.ndarray]:
    """``output`` per month (month, sample, ...) from the compiled kernel ("fast") and from
    the NumPy array form ("ref") on the same draws."""
    got = {}
    for name, run in (("fast", run_samples), ("ref", run_reference)):
        out: list = []
        run(prep, d, months, record=lambda t, o, out=out: out.append(np.array(o[output])))
        got[name] = np.array(out)
    return got


def still_start(net, sc, months: int, S: int, seed: int):
    """(prepared run, parameters, month-0 state) of ``S`` samples with no leakage and no
    regime switching (STILL), for checking a control's pass share month by month."""
    prep = prepare(net, sc, months)
    k = params_from(draws(prep.latent, seed, 0, S, fixed(S, leakage=0.0, **STILL)),
                    prep.market)
    return prep, k, initial_state(prep.market, prep.compiled, k, prep.links, S)


@settings(max_examples=6, deadline=None)
@given(approval=st.floats(0.05, 1.0), days=st.sampled_from([0, 20, 45, 90]),
       start_day=st.integers(1, 28), seed=st.integers(0, 10**6))
def test_zero_persistence_is_the_fixed_ramp(net, approval, days, start_day, seed):
    """With no hold, re-tightening or relaxation the pass share of every month is v2.0's
    ramp: A_eff x clip((t + 1/2 - start - (freeze + 1) L) / (ramp L), 0, 1)."""
    start = dt.date(2026, 1, start_day)
    sc = scenario(commodities=["antimony"], controls=[licence(
        ["antimony"], approval_rate=approval, processing_days=days, start=start)])
    S = 40
    prep, k, s = still_start(net, sc, 12, S, seed)
    m, cp = prep.market, prep.compiled
    c = cp.controls[0]
    A = np.clip(1 - (1 - approval) * k.refusal, 0, 1)
    L = c.processing_months
    i = m.nodes_of("antimony")[0]
    for t in range(12):
        g = _control_effects(cp, m, k, t, S, s)[0]
        if L > 0:
            ramp = np.clip((t + 0.5 - c.start_month - (k.freeze + 1) * L) / (k.ramp * L), 0, 1)
        else:
            ramp = np.ones_like(A)
        for r in np.flatnonzero(EX_CHINA):
            e = np.exp(k.propensity[:, [r]])
            want = 1 - np.clip(c.in_force[t], 0, 1) * (1 - shifted(A, e) * ramp)
            assert np.allclose(g[:, i, r], want[:, 0], rtol=0, atol=1e-12)
    assert not s.held.any() and not s.relaxed.any()


def test_zero_persistence_paths_do_not_depend_on_the_regime_draw(net):
    sc = licensed()
    a = paths(net, sc, theta=fixed(64, regime_draw=0.1, **STILL))
    b = paths(net, sc, theta=fixed(64, regime_draw=0.9, **STILL))
    assert np.array_equal(a["exports_china"].values, b["exports_china"].values)
    c = paths(net, sc, theta=fixed(64, regime_draw=0.1, licence_persistence=0.6))
    d = paths(net, sc, theta=fixed(64, regime_draw=0.9, licence_persistence=0.6))
    assert not np.array_equal(c["exports_china"].values, d["exports_china"].values)


def test_regime_uniforms_are_uniform_and_independent_of_chunking():
    keys = np.floor(np.random.default_rng(0).random((20000, 1)) * 2.0**53).astype(np.uint64)
    u = uniform(keys, 2, 7)[:, 0]
    assert u.min() >= 0 and u.max() < 1
    hist = np.histogram(u, bins=10, range=(0, 1))[0]
    assert hist.min() > 1800 and hist.max() < 2200
    assert np.array_equal(uniform(keys[:5], 2, 7), uniform(keys, 2, 7)[:5])
    assert not np.array_equal(uniform(keys, 2, 7), uniform(keys, 2, 8))


def test_persistent_regimes_keep_exports_down(net):
    """A regime that holds its freeze keeps China's exports lower, for longer."""
    sc = licensed()
    n = 128
    ex = {}
    for rho in (0.0, 0.5, 0.9):
        ds = paths(net, sc, n=n, months=12, theta=fixed(
            n, licence_persistence=rho, persistence_spread=0.0))
        ex[rho] = ds["exports_china"].sel(commodity="antimony").values[:, 6:12].mean()
    assert ex[0.9] < ex[0.5] < ex[0.0]


@pytest.mark.parametrize("region", ["USA", "JPN", "EU", "KOR"])
def test_lower_propensity_raises_that_destinations_shortfall_most(net, region):
    n = 64
    sc = scenario(commodities=["gallium"], controls=[licence(
        ["gallium"], approval_rate=0.6, processing_days=20)])
    # a regime that recovers fully, or leaks through a priced route, approves every
    # destination alike in the end: both held at 0 here; so are home contracts (a region
    # with its own plants, e.g. Japan's gallium, is sheltered by them: test_home.py)
    even = dict({f"propensity_{r}": 0.0 for r in REGIONS if r != "CHN"},
                licence_recovery=0.0, smuggling_elasticity=0.0, home_preference=0.0)
    theta = fixed(n, **even)
    theta[f"propensity_{region}"] = np.full(n, -2.0)
    base = paths(net, sc, n=n, theta=fixed(n, **even))
    ds = paths(net, sc, n=n, theta=theta)
    rise = (ds["shortfall"] - base["shortfall"]).sel(commodity="gallium").mean(
        ("sample", "month"))
    others = [float(rise.sel(region=r)) for r in REGIONS if r not in (region, "CHN")]
    assert float(rise.sel(region=region)) > max(others)
    assert float(rise.sel(region=region)) > 0
    dest = ds["exports_china_dest"].sel(commodity="gallium").mean(("sample", "month"))
    dest0 = base["exports_china_dest"].sel(commodity="gallium").mean(("sample", "month"))
    assert float(dest.sel(region=region)) < float(dest0.sel(region=region))


@pytest.mark.parametrize("commodity", ["tungsten", "antimony"])
def test_binding_domestic_quota_raises_chinas_price(net, commodity):
    """Exports licensed and China's mine output capped below its own use at baseline:
    China's price rises above its baseline, and above the same control's without it."""
    ctl = [licence([commodity], processing_days=45)]
    m = prepare(net, scenario(commodities=[commodity], controls=ctl), 3).market
    i = m.nodes_of(commodity, ["mine"])[0]
    r = REGIONS.index("CHN")
    share = 0.9 * min(1.0, m.use0[i, r] / m.prod0[i, r])
    quota = [ProductionQuota(commodity=commodity, stage="mine", quota_share=share,
                             start=START)]
    # China's other domestic inputs held at 0: without the quota its price falls
    theta = fixed(64, state_buying=0.0, domestic_tightening=0.0, smuggling_elasticity=0.0,
                  licence_recovery=0.0)
    free = paths(net, scenario(commodities=[commodity], controls=ctl), theta=theta)
    capped = paths(net, scenario(commodities=[commodity], controls=ctl,
                                 production_quotas=quota), theta=theta)
    pc_free = free["price_china"].sel(commodity=commodity).values[:, 3:]
    pc_cap = capped["price_china"].sel(commodity=commodity).values[:, 3:]
    assert (pc_cap >= pc_free - 1e-6).all()
    assert np.median(pc_cap) > 1.0 > np.median(pc_free)


def test_state_buying_raises_chinas_price_only_under_a_control(net):
    sc = licensed("tungsten")
    lo = paths(net, sc, theta=fixed(64, state_buying=0.0))
    hi = paths(net, sc, theta=fixed(64, state_buying=0.15))
    a = lo["price_china"].sel(commodity="tungsten").values
    b = hi["price_china"].sel(commodity="tungsten").values
    assert (b >= a - 1e-9).all() and (b > a + 1e-6).any()
    calm = scenario(commodities=["tungsten"])
    assert np.allclose(paths(net, calm, theta=fixed(64, state_buying=0.15))[
        "price_china"].values, 1.0, atol=1e-9)


def test_customs_record_all_but_the_unrecorded_leak(net):
    """Recorded exports equal the physical flow where the fixed leakage is all recorded
    (and no priced route) or nothing leaks, and fall below it by the unrecorded leak
    where an allowance binds; the priced route's flow is never recorded."""
    sc = licensed()
    n = 64

    def run(**kw):
        ds = paths(net, sc, n=n, theta=fixed(n, **kw))
        return (ds["exports_china"].sel(commodity="antimony").values,
                ds["exports_china_recorded"].sel(commodity="antimony").values,
                ds["exports_china_dest_recorded"].sel(commodity="antimony").values)

    phys, rec, _ = run(leakage=0.3, leakage_recorded=1.0, smuggling_elasticity=0.0)
    assert np.allclose(rec, phys, rtol=1e-6)
    # the priced route's extra flow is smuggled or mis-declared: never recorded
    phys, rec, _ = run(leakage=0.3, leakage_recorded=1.0, smuggling_elasticity=2.0)
    assert (rec <= phys + 1e-6 * phys.max()).all() and (rec < 0.99 * phys).any()
    phys, rec, _ = run(leakage=0.0, leakage_recorded=0.0, smuggling_elasticity=0.0)
    assert np.allclose(rec, phys, rtol=1e-6)
    phys, rec, dest = run(leakage=0.3, leakage_recorded=0.0)
    assert (rec <= phys + 1e-6 * phys.max()).all() and (rec < 0.9 * phys).any()
    assert np.allclose(dest.sum(-1), rec, rtol=1e-5, atol=1e-6 * phys.max())


def test_front_running_pulls_exports_forward_only_before_the_start(net):
    """Between a control's announcement and its start date buyers still get China's
    exports and raise their cover (front_running): exports of those months rise with it;
    a control announced on its start date has no such window, so it changes nothing."""
    start = dt.date(2026, 3, 1)
    ahead = scenario(commodities=["antimony"], controls=[licence(
        ["antimony"], processing_days=45, announced=START, start=start)])
    n = 64

    def exports(sc, f):
        ds = paths(net, sc, n=n, months=6, theta=fixed(n, front_running=f, precaution=0.4))
        return ds["exports_china"].sel(commodity="antimony").values  # (S, H)

    lo, hi = exports(ahead, 0.0), exports(ahead, 4.0)
    assert (hi[:, :2] >= lo[:, :2] - 1e-9).all()
    assert np.median(hi[:, :2].sum(1) / lo[:, :2].sum(1)) > 1.02
    same = scenario(commodities=["antimony"], controls=[licence(
        ["antimony"], processing_days=45, announced=start, start=start)])
    assert np.array_equal(exports(same, 0.0), exports(same, 4.0))
    # the compiled month and the NumPy array form agree inside the window
    prep = prepare(net, ahead, 3)
    d = draws(prep.latent, 3, 0, 40, fixed(40, front_running=3.0))
    got = fast_and_reference(prep, d, 3, "exports")
    w = prep.market.world_t
    assert (np.abs(got["fast"] - got["ref"]) <= 1e-5 * w[None, None, :]).all()


def test_exporters_holding_blocked_exports_keep_chinas_price_up(net):
    """China's exporters holding the blocked part of their baseline exports (awaiting
    licences) is demand on China's segment: China's price rises with export_hold where a
    control blocks exports, and nothing moves without one."""
    sc = licensed()

    def china(s, h, n=64):
        ds = paths(net, s, n=n, theta=fixed(n, export_hold=h))
        return ds["price_china"].sel(commodity="antimony").values

    lo, hi = china(sc, 0.0), china(sc, 1.0)
    assert (hi >= lo - 1e-9).all() and np.median(hi[:, 3:]) > np.median(lo[:, 3:]) + 0.05
    calm = scenario(commodities=["antimony"])
    assert np.array_equal(china(calm, 0.0), china(calm, 1.0))
    prep = prepare(net, sc, 3)
    d = draws(prep.latent, 3, 0, 40, fixed(40, export_hold=0.8))
    got = fast_and_reference(prep, d, 3, "pC")
    assert np.abs(got["fast"] - got["ref"]).max() < 1e-5


def _fast_and_reference(net, sc, theta, key, months=4, n=40):
    """(fast, ref): :func:`fast_and_reference` on draws with ``theta``."""
    prep = prepare(net, sc, months)
    got = fast_and_reference(prep, draws(prep.latent, 3, 0, n, theta), months, key)
    return got["fast"], got["ref"]


def test_managed_licences_recover_and_lift_exports(net):
    """A managed regime lifts its remaining refusals at licence_recovery a month: China's
    exports are unchanged until the ramp ends, then higher; the lanes agree with the
    array form."""
    sc = scenario(commodities=["antimony"], controls=[licence(
        ["antimony"], processing_days=45, approval_rate=0.3)])
    n = 64
    base = dict(STILL, freeze_share=0.0, ramp_share=1.0, refusal_factor=1.0)

    def exports(rate):
        ds = paths(net, sc, n=n, months=12, theta=fixed(n, **dict(base,
                                                                  licence_recovery=rate)))
        return ds["exports_china"].sel(commodity="antimony").values  # (S, H)

    lo, hi = exports(0.0), exports(0.2)
    # processing 45 days = 1.48 months: the ramp ends at 2 x 1.48 months, inside month 2
    assert np.array_equal(lo[:, :2], hi[:, :2])
    assert (hi[:, 6:] >= lo[:, 6:] - 1e-9 * lo.max()).all()
    assert np.median(hi[:, 8:].mean(1) / lo[:, 8:].mean(1)) > 1.2
    fast, ref = _fast_and_reference(net, sc, fixed(40, **dict(base, licence_recovery=0.2)),
                                    "exports", months=6)
    w = prepare(net, sc, 3).market.world_t
    assert (np.abs(fast - ref) <= 1e-5 * w[None, None, :]).all()


def test_smuggling_route_narrows_the_price_gap(net):
    """Leakage as a priced route: with smuggling_elasticity > 0, the blocked flow leaks
    more where ex-China prices exceed China's, so China's price is higher and the
    ex-China price lower than with a fixed leakage; at month 0 (no gap yet) and with no
    control nothing changes; the lanes agree with the array form."""
    sc = scenario(commodities=["antimony"], controls=[ExportControl(
        exporter="CHN", commodities=["antimony"], measure="export_ban", start=START)])
    n = 64

    def run(s, e):
        ds = paths(net, s, n=n, months=8, theta=fixed(n, smuggling_elasticity=e,
                                                      leakage=0.05))
        return (ds["price_china"].sel(commodity="antimony").values,
                ds["price_ex_china"].sel(commodity="antimony").values)

    (c0, x0), (c1, x1) = run(sc, 0.0), run(sc, 2.0)
    assert np.array_equal(c0[:, 0], c1[:, 0]) and np.array_equal(x0[:, 0], x1[:, 0])
    assert np.median(c1[:, 2:]) > np.median(c0[:, 2:]) + 0.02
    assert np.median(x1[:, 2:]) < np.median(x0[:, 2:]) - 0.02
    assert np.median(np.log(x1 / c1)[:, 2:]) < np.median(np.log(x0 / c0)[:, 2:])
    calm = scenario(commodities=["antimony"])
    assert np.array_equal(run(calm, 0.0)[0], run(calm, 2.0)[0])
    fast, ref = _fast_and_reference(net, sc, fixed(40, smuggling_elasticity=2.0), "pC")
    assert np.abs(fast - ref).max() < 1e-5


def test_domestic_tightening_raises_chinas_price_under_its_controls(net):
    """China withholding mine output (quotas, consolidation) while its control is in
    force: China's price rises with domestic_tightening, above its baseline at the top
    of the prior with the exporters' hold, and nothing moves without a control; the
    lanes agree with the array form."""
    sc = scenario(commodities=["tungsten"], controls=[licence(["tungsten"],
                                                              processing_days=45)])

    def china(s, x, n=64):
        ds = paths(net, s, n=n, theta=fixed(n, domestic_tightening=x, export_hold=1.0))
        return ds["price_china"].sel(commodity="tungsten").values

    lo, hi = china(sc, 0.0), china(sc, 0.25)
    assert (hi[:, 1:] >= lo[:, 1:] - 1e-9).all()
    assert np.median(hi[:, 3:]) > max(np.median(lo[:, 3:]) + 0.05, 1.0)
    calm = scenario(commodities=["tungsten"])
    assert np.array_equal(china(calm, 0.0), china(calm, 0.25))
    fast, ref = _fast_and_reference(net, sc, fixed(40, domestic_tightening=0.2), "pC")
    assert np.abs(fast - ref).max() < 1e-5


@settings(max_examples=5, deadline=None)
@given(notice=st.integers(0, 80), approval=st.floats(0.1, 0.9), seed=st.integers(0, 10**6))
def test_licence_clock_runs_from_the_announcement(net, notice, approval, seed):
    """Exporters apply on the announced terms: the licence clock counts from the
    announcement where it comes before the start (the start where none is announced), so
    with a notice the pass share in force is v2.0's ramp on that clock, never below the
    ramp of the same control announced on its start day; the lanes agree."""
    start = dt.date(2026, 2, 15)
    announced = start - dt.timedelta(days=notice)
    months = 8
    sc = scenario(commodities=["antimony"], controls=[licence(
        ["antimony"], approval_rate=approval, processing_days=45, start=start,
        announced=announced)])
    S = 24
    prep, k, s = still_start(net, sc, months, S, seed)
    m, cp = prep.market, prep.compiled
    c = cp.controls[0]
    assert c.clock_month == pytest.approx(c.start_month - notice / 30.44, abs=0.04)
    A = np.clip(1 - (1 - approval) * k.refusal, 0, 1)
    L = c.processing_months
    i = m.nodes_of("antimony")[0]
    r = REGIONS.index("JPN")
    e = np.exp(k.propensity[:, [r]])
    for t in range(months):
        g = _control_effects(cp, m, k, t, S, s)[0]
        a = np.clip(c.in_force[t], 0, 1)
        ramp = np.clip((t + 0.5 - c.clock_month - (k.freeze + 1) * L) / (k.ramp * L), 0, 1)
        late = np.clip((t + 0.5 - c.start_month - (k.freeze + 1) * L) / (k.ramp * L), 0, 1)
        assert np.allclose(g[:, i, r], (1 - a * (1 - shifted(A, e) * ramp))[:, 0],
                           rtol=0, atol=1e-12)
        assert (g[:, i, r] >= (1 - a * (1 - shifted(A, e) * late))[:, 0] - 1e-12).all()
    fast, ref = _fast_and_reference(net, sc, fixed(40, **STILL), "exports", months=6)
    w = prep.market.world_t
    assert (np.abs(fast - ref) <= 1e-5 * w[None, None, :]).all()


@settings(max_examples=50, deadline=None)
@given(hold=st.floats(0.0, 1.0), blocked=st.floats(0.0, 1e5), smuggle=st.floats(0.0, 2.0),
       gap=st.floats(-3.0, 3.0), wider=st.floats(0.0, 2.0))
def test_held_exports_rise_with_the_price_gap(hold, blocked, smuggle, gap, wider):
    """Exporters hold blocked exports awaiting licences or the route, more the wider last
    month's ex-China/China gap; the fixed hold where the route's elasticity is 0 or the
    gap is not positive."""
    h = held_of(hold, blocked, smuggle, gap)
    assert held_of(hold, blocked, smuggle, gap + wider) >= h
    if gap <= 0 or smuggle == 0:
        assert h == hold * blocked
    else:
        assert h >= hold * blocked
    if smuggle * gap > 1e-6 and hold * blocked > 1e-3:  # a positive gap adds to the hold
        assert h > hold * blocked * (1 + 0.5 * smuggle * gap)


def test_priced_hold_keeps_chinas_price_up_in_both_kernels(net):
    """Without a control nothing is held (the route's elasticity moves nothing); under a
    licence the lanes agree with the array form at two elasticities."""
    sc = licensed()
    n = 40

    def china(s, e):
        ds = paths(net, s, n=n, months=8,
                   theta=fixed(n, export_hold=0.8, smuggling_elasticity=e, leakage=0.0))
        return ds["price_china"].sel(commodity="antimony").values

    calm = scenario(commodities=["antimony"])
    assert np.array_equal(china(calm, 0.0), china(calm, 2.0))
    prep = prepare(net, sc, 5)
    for e in (0.5, 2.0):
        d = draws(prep.latent, 3, 0, 40, fixed(40, export_hold=0.8, smuggling_elasticity=e))
        got = fast_and_reference(prep, d, 5, "pC")
        assert np.abs(got["fast"] - got["ref"]).max() < 1e-5
