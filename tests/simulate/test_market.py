"""Market model and engine invariants: clearing, conservation, zero shock, monotonicity."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.market.baseline import build_baseline
from critmin.market.model import LOG_PRICE_BOUNDS, solve_log_price
from critmin.scenarios import get_scenario
from critmin.scenarios.spec import ExportControl, Scenario
from critmin.simulate.compile import compile_scenario
from critmin.simulate.engine import draws_for, priors_from, run

POS = st.floats(0.01, 1e6)


@settings(max_examples=500, deadline=None)
@given(d0=POS, s0=POS, e_d=st.floats(0.01, 2.0), e_s=st.floats(0.0, 2.0),
       a_frac=st.floats(-0.9, 0.9))
def test_solver_clears_or_hits_a_bound(d0, s0, e_d, e_s, a_frac):
    a = a_frac * s0
    p = float(solve_log_price(np.array(d0), np.array(s0), np.array(e_d), np.array(e_s),
                              np.array(a)))
    lo, hi = LOG_PRICE_BOUNDS
    residual = d0 * np.exp(-e_d * p) - s0 * np.exp(e_s * p) - a
    if lo < p < hi:
        assert abs(residual) <= 1e-8 * max(d0, s0)
    elif p >= hi:
        assert residual >= -1e-8 * max(d0, s0)  # excess demand remains at the top
    else:
        assert residual <= 1e-8 * max(d0, s0)


@pytest.fixture(scope="module")
def base(net):
    return build_baseline(net)


def simulate(net, base, scenario, n=2048, seed=3, responses=True):
    comp = compile_scenario(scenario, base, net)
    d = draws_for(priors_from(net, base), comp, seed, 0, n)
    return run(comp, base, d, responses=responses)


def control(approval: float) -> Scenario:
    return Scenario(id="t", name="t", start=dt.date(2026, 1, 1), horizon_quarters=4,
                    controls=[ExportControl(exporter="CHN", commodities=["gallium", "dy"],
                                            measure="licence_required",
                                            approval_rate=approval, start=dt.date(2026, 1, 1))])


def test_zero_shock_gives_the_baseline(net, base):
    quiet = Scenario(id="q", name="q", start=dt.date(2026, 1, 1), horizon_quarters=4)
    out = simulate(net, base, quiet)
    assert np.allclose(out.peak_ratio, 1.0)
    assert np.allclose(out.peak_price_x, 1.0)
    assert np.allclose(out.shortfall, 0.0, atol=1e-9)
    assert not out.rrg_fired.any()


@pytest.mark.parametrize("sid", ["CN_2025_10_full_controls", "CN_2025_04_heavyREE_licensing",
                                 "DRC_cobalt_ban_then_quota", "n1:gallium:refining"])
def test_consumption_never_exceeds_supply_plus_released_stock(net, base, sid):
    out = simulate(net, base, get_scenario(sid, net), n=1024)
    assert out.balance_error.max() < 1e-9
    assert (out.shortfall >= -1e-12).all() and (out.shortfall <= 1 + 1e-12).all()


def test_harsher_control_never_lowers_price_or_shortfall(net, base):
    mild, harsh = (simulate(net, base, control(a), responses=False) for a in (0.8, 0.3))
    assert (harsh.peak_price_x >= mild.peak_price_x - 1e-9).all()
    assert (harsh.shortfall >= mild.shortfall - 1e-9).all()
    g = base.index("gallium")
    assert np.median(harsh.peak_ratio[:, g]) > np.median(mild.peak_ratio[:, g]) > 1.0


def test_stocks_lower_the_holders_shortfall(net, base):
    sc = get_scenario("CN_2025_04_heavyREE_licensing", net)
    with_stock = simulate(net, base, sc, responses=False)
    bare = simulate(net, base, sc.model_copy(update={"stocks": []}), responses=False)
    j = base.index("dy")
    assert with_stock.shortfall[:, j, 1].mean() < bare.shortfall[:, j, 1].mean()


def test_magnets_inherit_input_shortfalls(net, base):
    out = simulate(net, base, get_scenario("CN_2025_04_heavyREE_licensing", net))
    m = base.index("ndfeb_magnet")
    assert np.median(out.shortfall[:, m, 0]) > 0.05


def test_vectorised_engine_equals_per_sample_reference(net, base):
    from critmin.simulate.reference import run_per_sample

    sc = get_scenario("CN_2025_10_full_controls", net)
    comp = compile_scenario(sc, base, net)
    d = draws_for(priors_from(net, base), comp, 11, 0, 16)
    vec = run(comp, base, d)
    ref = run_per_sample(comp, base, d)
    for f in ("peak_ratio", "shortfall", "min_cover_days", "fiscal_cost_usd", "rrg_fired"):
        assert np.allclose(getattr(vec, f), getattr(ref, f), rtol=1e-10, atol=1e-12), f
