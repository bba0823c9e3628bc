"""The backtest's observation-error model: spread growing with the horizon, per kind,
fitted out of sample."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.calibrate import errors, scoring


def _rows(a: float, b: float, n: int = 60, seed: int = 1, kind: str = "price_china"):
    """Synthetic rows: the model's draws are right in the median with spread 0.1; the
    observation error is N(0, a^2 + b^2 h) in logs."""
    rng = np.random.default_rng(seed)
    h = rng.integers(0, 24, n).astype(float)
    values = [np.exp(rng.normal(0, 0.1, 300)) for _ in range(n)]
    obs = np.exp(rng.normal(0, np.hypot(0.1, np.sqrt(a * a + b * b * h))))
    return values, obs, [kind] * n, h


def test_a_growing_error_is_found_and_a_flat_one_is_not():
    grow = errors.fit(*_rows(0.1, 0.12))
    flat = errors.fit(*_rows(0.4, 0.0))
    assert grow.sigma("price_china", 18) > 2 * grow.sigma("price_china", 0)
    assert flat.sigma("price_china", 18) < 1.5 * flat.sigma("price_china", 0)
    assert grow.sigma("price_china", -3) == grow.sigma("price_china", 0)  # before: h = 0


def test_the_fitted_spread_covers_about_as_stated():
    values, obs, kinds, h = _rows(0.15, 0.1, n=200, seed=2)
    model = errors.fit(values[:100], obs[:100], kinds[:100], h[:100])
    rng = np.random.default_rng(3)
    inside = [scoring.inside(v * np.exp(model.sigma(k, hh) * rng.standard_normal(len(v))),
                             y, 0.9)
              for v, y, k, hh in zip(values[100:], obs[100:], kinds[100:], h[100:],
                                     strict=True)]
    assert 0.8 <= np.mean(inside) <= 0.97


def test_each_episode_is_fitted_without_its_own_rows():
    values, obs, kinds, h = _rows(0.2, 0.05, n=40)
    eps = np.array(["A"] * 20 + ["B"] * 20)
    base = errors.leave_one_out(values, obs, kinds, h, eps)
    wild = obs.copy()
    wild[:20] *= 50  # episode A's outcomes change wildly
    moved = errors.leave_one_out(values, wild, kinds, h, eps)
    assert moved["A"].params == base["A"].params  # A's fit saw only B
    assert moved["B"].sigma("price_china", 6) > base["B"].sigma("price_china", 6)


def test_a_kind_with_few_rows_takes_its_group_and_unknown_kinds_all():
    v1, o1, k1, h1 = _rows(0.3, 0.0, n=30, kind="price_china")
    v2, o2, k2, h2 = _rows(0.3, 0.0, n=3, kind="price_ex_china")
    v3, o3, k3, h3 = _rows(1.0, 0.0, n=30, kind="exports")
    rows = (v1 + v2 + v3, np.r_[o1, o2, o3], k1 + k2 + k3, np.r_[h1, h2, h3])
    pooled = errors.fit(*rows)  # the default: one fit for prices, one for exports
    assert set(pooled.params) == {"price", "exports"}
    assert pooled.ab("price_china") == pooled.ab("price_ex_china") == pooled.params["price"]
    model = errors.fit(*rows, by="kind")
    assert "price_ex_china" not in model.params
    assert model.ab("price_ex_china") == model.params["price"]
    assert model.params["price"] != model.params["price_china"]  # fitted on 33 rows
    assert model.ab("exports_by_destination") == model.params["exports"]
    assert model.sigma("exports", 0) > model.sigma("price_china", 0)
    with pytest.raises(ValueError, match="at least"):
        errors.fit(v2, o2, k2, h2)
