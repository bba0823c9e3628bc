"""Scores: CRPS (scoringrules) and interval coverage, as properties."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.calibrate import scoring

finite = st.floats(-1e3, 1e3, allow_nan=False)
ensembles = st.lists(finite, min_size=1, max_size=40)


@given(x=finite, y=finite)
def test_crps_of_a_point_mass_is_the_absolute_error(x, y):
    assert np.isclose(scoring.crps(np.array([x]), y), abs(x - y), atol=1e-9)


@given(xs=ensembles, y=finite)
def test_crps_is_non_negative_and_at_most_the_mean_absolute_error(xs, y):
    c = scoring.crps(np.array(xs), y)
    assert -1e-9 <= c <= np.mean(np.abs(np.array(xs) - y)) + 1e-9


@given(xs=ensembles, y=finite)
def test_equal_weights_give_the_unweighted_crps(xs, y):
    x = np.array(xs)
    assert np.isclose(scoring.crps(x, y, np.ones(len(x))), scoring.crps(x, y), atol=1e-9)


@given(xs=ensembles, y=finite)
def test_the_90_interval_holds_the_50_interval(xs, y):
    x = np.array(xs)
    if scoring.inside(x, y, 0.5):
        assert scoring.inside(x, y, 0.9)
    lo, hi = scoring.quantiles(x, qs=(0.05, 0.95))
    assert lo <= np.median(x) <= hi


@settings(max_examples=50)
@given(flags=st.lists(st.booleans(), min_size=1, max_size=50))
def test_coverage_is_a_share(flags):
    c = scoring.coverage(flags)
    assert 0.0 <= c <= 1.0
    assert np.isclose(c, sum(flags) / len(flags))


def test_coverage_of_a_wide_ensemble_is_full_and_of_a_far_one_empty():
    x = np.linspace(-10, 10, 1001)
    assert scoring.inside(x, 0.0, 0.5) and scoring.inside(x, 8.0, 0.9)
    assert not scoring.inside(x, 9.8, 0.9) and not scoring.inside(x, 50.0, 0.9)
