"""Skill, sharpness, coverage, PIT and the reference forecasts: properties, and hand-worked
numbers that fail if a score is computed the wrong way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.calibrate import scoring
from critmin.calibrate.backtest import add_references, default_rule, summary

positive = st.floats(0.01, 100.0, allow_nan=False)
ensembles = st.lists(positive, min_size=2, max_size=40)


@given(y=positive, xs=ensembles)
def test_a_perfect_forecast_has_skill_one_against_anything_worse(y, xs):
    perfect = scoring.crps(np.full(50, y), y)
    other = scoring.crps(np.array(xs), y)
    if other > 1e-9:
        assert scoring.skill([perfect], [other]) == pytest.approx(1.0)
    assert scoring.skill([other], [other]) == pytest.approx(0.0) or other == 0


@given(xs=ensembles, y=positive, k=st.floats(1.0, 10.0), level=st.sampled_from([.5, .8, .9]))
def test_a_wider_interval_never_lowers_coverage(xs, y, k, level):
    x = np.array(xs)
    m = np.median(x)
    wider = m + k * (x - m)
    lo, hi = scoring.quantiles(wider, qs=((1 - level) / 2, (1 + level) / 2))
    if scoring.inside(x, y, level):  # up to rounding of the widened samples
        assert scoring.inside(wider, y, level) or min(abs(y - lo), abs(y - hi)) < 1e-9


@given(xs=ensembles, y=positive)
def test_pit_is_a_probability_and_orders_with_the_observation(xs, y):
    x = np.array(xs)
    p = scoring.pit(x, y)
    assert 0.0 <= p <= 1.0
    assert scoring.pit(x, x.min() - 1) == 0.0 and scoring.pit(x, x.max() + 1) == 1.0
    assert scoring.pit(x, y) <= scoring.pit(x, y + 1.0)


@given(st.lists(st.floats(0.01, 100), min_size=1, max_size=30),
       st.floats(0.1, 20))
def test_bias_is_the_median_log_ratio_and_flips_with_a_scaled_forecast(ys, k):
    """Forecast medians k times the outcomes: bias -log k (too high is negative)."""
    y = np.asarray(ys)
    assert scoring.bias(y, y * k) == pytest.approx(-np.log(k), abs=1e-9)
    assert scoring.bias(y, y) == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(scoring.bias([], []))


@settings(max_examples=25)
@given(y=positive)
def test_a_random_walk_without_spread_is_no_change(y):
    assert scoring.crps_random_walk(y, 0.0, 6) == pytest.approx(scoring.crps_no_change(y))
    assert scoring.crps_random_walk(y, 1e-12, 6) == pytest.approx(abs(y - 1), abs=1e-6)


def test_random_walk_crps_matches_its_own_samples():
    rng = np.random.default_rng(0)
    s, h, y = 0.1, 9.0, 1.8
    draws = np.exp(rng.normal(0, s * 3, 200_000))
    assert scoring.crps_random_walk(y, s, h) == pytest.approx(scoring.crps(draws, y), rel=0.01)


def test_skill_is_one_minus_the_ratio_of_mean_crps():
    # mean of ratios would be 1 - (0.5 + 0.3) / 2 = 0.6; a ratio of sums 0.667
    assert scoring.skill([0.1, 0.3], [0.2, 1.0]) == pytest.approx(1 - 0.2 / 0.6)
    assert scoring.skill([0.4, 0.8], [0.2, 0.2]) == pytest.approx(-2.0)
    assert np.isnan(scoring.skill([0.1], [0.0]))


def test_sharpness_is_the_median_ratio_and_median_width():
    ratio, width = scoring.sharpness([1.0, 2.0, 0.5], [4.0, 4.0, 5.0], [1.5, 2.5, 1.0],
                                     [2.0, 3.5, 4.0])
    assert ratio == pytest.approx(4.0)  # ratios 4, 2, 10: median 4 (mean 5.3)
    assert width == pytest.approx(1.0)  # widths 0.5, 1.0, 3.0
    assert scoring.sharpness([0.0], [2.0], [0.0], [1.0])[0] == np.inf


def test_monthly_log_volatility_by_hand():
    m = 30.4375
    sigma = scoring.monthly_log_volatility([0, m, 4 * m], [100, 110, 99])
    r = np.array([np.log(1.1) ** 2 / 1, np.log(0.9) ** 2 / 3])
    assert sigma == pytest.approx(np.sqrt(r.mean()))
    assert np.isnan(scoring.monthly_log_volatility([0], [1]))


def _rows():
    base = dict(variant="loo", commodity="x", variable="price_ex_china", region="",
                basis="b", unit="USD/t", destination="WORLD", observable="price_ex_china")
    spec = [  # episode, kind, band, observed, p5, p25, p50, p75, p95, crps, pre_sigma
        ("A", "price_ex_china", "0-3", 1.5, 0.8, 1.0, 1.2, 1.4, 2.0, 0.20, 0.10),
        ("A", "price_ex_china", "10-24", 3.0, 0.9, 1.1, 1.3, 1.6, 2.7, 1.20, 0.10),
        ("B", "exports", "0-3", 0.2, 0.1, 0.3, 0.6, 0.9, 1.2, 0.25, np.nan),
        ("B", "exports", "4-9", 0.5, 0.2, 0.4, 0.7, 1.0, 1.4, 0.15, 0.30),
    ]
    rows = []
    for ep, kind, band, y, p5, p25, p50, p75, p95, c, s in spec:
        rows.append(dict(base, episode=ep, kind=kind, band=band, observed=y, p5=p5, p25=p25,
                         p50=p50, p75=p75, p95=p95, crps=c, pre_sigma=s, rw_months=6.0,
                         pit=0.5, in_50=p25 <= y <= p75, in_80=p5 <= y <= p95,
                         in_90=p5 <= y <= p95))
    df = pd.DataFrame(rows)
    df["variable"] = np.where(df["kind"].eq("exports"), "exports_china", "price_ex_china")
    df.loc[3, "commodity"] = "y"  # B's two observations are two series
    return df


def test_summary_scores_by_hand():
    rows = add_references(_rows())
    # no change: |y - 1|; the exports series without its own volatility borrows its
    # kind's median (0.30) and says so
    assert rows["crps_no_change"].tolist() == pytest.approx([0.5, 2.0, 0.8, 0.5])
    assert rows["rw_sigma"].tolist() == pytest.approx([0.1, 0.1, 0.3, 0.3])
    assert rows["rw_sigma_pooled"].tolist() == [False, False, True, False]
    t = summary(rows).set_index(["episode", "band", "kind"])
    every = t.loc[("ALL", "ALL", "ALL")]
    assert every["n"] == 4
    assert every["crps"] == pytest.approx(np.mean([0.2, 1.2, 0.25, 0.15]))
    assert every["skill_no_change"] == pytest.approx(1 - 1.8 / 3.8)
    rw = rows["crps_random_walk"].to_numpy()
    assert every["skill_random_walk"] == pytest.approx(1 - 1.8 / rw.sum())
    assert every["p95_p5"] == pytest.approx(np.median([2.5, 3.0, 12.0, 7.0]))
    assert every["width_50"] == pytest.approx(np.median([0.4, 0.5, 0.6, 0.6]))
    assert every["coverage_90"] == pytest.approx(0.75)
    assert every["pit_histogram"] == [0, 0, 0, 0, 0, 4, 0, 0, 0, 0]
    # bias: median of log(observed / P50) = log of 1.5/1.2, 3.0/1.3, 0.2/0.6, 0.5/0.7
    assert every["bias"] == pytest.approx(np.median(np.log([1.25, 3 / 1.3, 1 / 3, 5 / 7])))
    assert t.loc[("A", "ALL", "ALL"), "bias"] > 0 > t.loc[("B", "ALL", "ALL"), "bias"]
    a = t.loc[("A", "ALL", "ALL")]
    assert a["n"] == 2 and a["skill_no_change"] == pytest.approx(1 - 1.4 / 2.5)
    late = t.loc[("ALL", "10-24", "ALL")]
    assert late["n"] == 1 and late["coverage_90"] == 0.0
    ex = t.loc[("ALL", "ALL", "exports")]
    assert ex["n"] == 2 and ex["crps"] == pytest.approx(0.2)
    assert t.loc[("B", "4-9", "exports"), "n"] == 1


def _every(variant: str, n: int, crps: float, cover: float) -> dict:
    return dict(variant=variant, episode="ALL", band="ALL", kind="ALL", n=n, crps=crps,
                coverage_90=cover)


def test_the_posterior_becomes_default_only_where_its_loo_scores_beat_the_priors():
    def picks(*rows):
        return default_rule(pd.DataFrame(list(rows)))["picks"]

    assert picks(_every("loo", 10, 0.40, 0.90), _every("priors", 10, 0.45, 0.95)) \
        == "posterior"
    # worse CRPS, or coverage outside 80-95 %, or other observations: the priors stay
    assert picks(_every("loo", 10, 0.50, 0.90), _every("priors", 10, 0.45, 0.95)) \
        == "priors"
    assert picks(_every("loo", 10, 0.40, 0.70), _every("priors", 10, 0.45, 0.95)) \
        == "priors"
    assert picks(_every("loo", 9, 0.40, 0.90), _every("priors", 10, 0.45, 0.95)) \
        == "priors"
    assert picks(_every("priors", 10, 0.45, 0.95)) == "priors"
