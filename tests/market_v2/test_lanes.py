"""The SIMD-lane pieces of model v2's compiled month: the vectorisable exponential, and the
lane price solver against the scalar solver it must reproduce lane by lane."""

from __future__ import annotations

import numba
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.market.v2 import lanes
from critmin.market.v2.kernel import LOG_P_HI, LOG_P_LO, solve_at

L = lanes.LANES


@numba.njit
def _exps(x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = lanes.lane_exp(x[i])
    return out


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-690, 690), min_size=1, max_size=64))
def test_lane_exp_is_within_one_ulp_of_libm(xs):
    x = np.array(xs)
    got, ref = _exps(x), np.exp(x)
    assert (np.abs(got - ref) <= np.spacing(ref)).all()


def test_lane_exp_is_exact_where_exp_is():
    assert _exps(np.array([0.0]))[0] == 1.0  # es = 0 leaves output unscaled


@numba.njit
def _lane_solve(x):
    lanes.solve(x)


def _random_terms(seed: int) -> np.ndarray:
    """Clearing terms of LANES lanes as the month forms them: falling f, some roots
    beyond the solver's range (orders exceed supply even at 200x)."""
    rng = np.random.default_rng(seed)
    rows = np.zeros((lanes.X_ROWS, L))
    rows[lanes.XA] = rng.uniform(0.2, 1.5, L)
    rows[lanes.XB] = -rng.uniform(0.0, 2.0, L) + rng.choice([0.0, 5.0], L, p=[0.9, 0.1])
    rows[lanes.XC] = rng.uniform(0.0, 0.3, L)
    rows[lanes.XM] = rng.choice([0.0, 1.0], L) * rng.uniform(0.1, 1.0, L)
    rows[lanes.XEPS] = rng.uniform(0.05, 0.8, L)
    rows[lanes.XKAP] = rng.uniform(0.0, 1.0, L)
    rows[lanes.XETA] = rng.uniform(0.1, 2.0, L)
    rows[lanes.XES] = rng.uniform(0.0, 0.5, L)
    rows[lanes.XP] = rng.normal(0.0, 1.0, L)
    return rows


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**6))
def test_lane_solver_reproduces_the_scalar_solver(seed):
    rows = _random_terms(seed)
    x = rows.reshape(-1).copy()
    _lane_solve(x)
    out = x.reshape(lanes.X_ROWS, L)
    for ln in range(L):
        a, b, c, m, eps, kap, eta, es, p0 = rows[:9, ln]
        p, h, e1, e2 = solve_at(a, b, c, m, eps, kap, eta, es, p0)
        assert LOG_P_LO <= out[lanes.XRP, ln] <= LOG_P_HI
        # the same steps, but exponentials an ulp apart (lane_exp vs libm) can end a lane
        # one step earlier or later: both points lie within the 1e-8 tolerance of the root
        assert abs(out[lanes.XRP, ln] - p) < 5e-8, ln
        assert np.allclose(out[[lanes.XRH, lanes.XR1, lanes.XR2], ln], [h, e1, e2],
                           rtol=1e-7), ln


def _f(p, a, b, c, m, eps, kap, eta, es):
    pp = max(p, 0.0)
    return a * np.exp(-eps * p - 0.5 * kap * pp * pp) + b + c * np.exp(-eta * p) - m * np.exp(
        es * p)


def _root(args) -> float:
    """The root by bisection to the last bit (f falls in p), or the bound beyond it."""
    lo, hi = LOG_P_LO, LOG_P_HI
    if _f(hi, *args) > 0:
        return hi
    if _f(lo, *args) < 0:
        return lo
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if _f(mid, *args) > 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**6))
def test_scalar_solver_ends_near_the_root_with_the_terms_of_its_end_point(seed):
    """Solves that end on a short Halley step (kernel.ACCEPT_STEP) return its end point,
    whose terms come from a series, not from exponentials: the point lies within the
    solver's tolerance of the root and the terms equal the exponentials there."""
    rows = _random_terms(seed)
    for ln in range(L):
        a, b, c, m, eps, kap, eta, es, p0 = rows[:9, ln]
        p, h, e1, e2 = solve_at(a, b, c, m, eps, kap, eta, es, p0)
        assert abs(p - _root((a, b, c, m, eps, kap, eta, es))) < 1e-8, ln
        pp = max(p, 0.0)
        want = [np.exp(-eps * p - 0.5 * kap * pp * pp), np.exp(-eta * p),
                np.exp(es * p) if m != 0.0 else 1.0]
        assert np.allclose([h, e1, e2], want, rtol=1e-12, atol=0), ln


def test_solvers_do_not_bounce_across_the_kink_at_p_zero():
    """Terms whose root (log price 1.38) lies beyond the kink of h at p = 0, started from
    below it: Halley's steps used to jump from side to side of the root (-0.85, 3.69,
    -0.70, ...), each landing inside the bracket, and the solve ended after 40 steps at
    -0.21. Steps across more than half the bracket now bisect."""
    a, b, c, m, eps, kap, eta, es, p0 = (1.236608792749444, -0.0931859294079378,
                                         0.1005063968942841, 0.2694960451505533,
                                         0.10230451209838558, 0.8737953245684423,
                                         0.13128806847240876, 0.37956570392011263,
                                         -1.09580820165937)
    root = _root((a, b, c, m, eps, kap, eta, es))
    assert abs(root - 1.38367) < 1e-5
    assert abs(solve_at(a, b, c, m, eps, kap, eta, es, p0)[0] - root) < 1e-8
    rows = np.zeros((lanes.X_ROWS, L))
    for i, v in enumerate((a, b, c, m, eps, kap, eta, es, p0)):
        rows[i] = v
    x = rows.reshape(-1).copy()
    _lane_solve(x)
    assert np.abs(x.reshape(lanes.X_ROWS, L)[lanes.XRP] - root).max() < 5e-8
