"""ABC calibration of model v1 (the backtest baseline; v2 fits by history matching): same
seed -> same posterior; provenance keeps reserved episodes out."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from critmin.calibrate.abc import calibrate
from critmin.calibrate.episodes import RESERVED, reserved_match
from critmin.calibrate.posterior import fit_draws, posterior_theta, read_posterior, write_fits

MINE = ["T_Sb_licence", "T_US_ban"]


@pytest.fixture(scope="module")
def tiny(ep_net, episode_dir):
    return calibrate(ep_net, episodes=MINE, model="v1", population=40, generations=2, seed=5,
                     data=str(episode_dir))


def test_same_seed_same_posterior(ep_net, episode_dir, tiny):
    again = calibrate(ep_net, episodes=MINE, model="v1", population=40, generations=2, seed=5,
                      data=str(episode_dir))
    assert tiny[0].equals(again[0]) and np.array_equal(tiny[1], again[1])
    other = calibrate(ep_net, episodes=MINE, model="v1", population=40, generations=1, seed=6,
                      data=str(episode_dir))
    assert not other[0].equals(tiny[0])


def test_posterior_respects_short_run_below_long_run_and_prior_bounds(ep_net, tiny):
    from critmin.simulate.paths import latent_priors

    draws, w, prov = tiny
    assert np.isclose(w.sum(), 1.0) and len(draws) == 40
    pri = latent_priors(ep_net, "v1").set_index("name")
    for name in ("demand_sr_share", "supply_sr_share", "approval_logit_shift", "choke"):
        assert draws[name].between(pri.at[name, "low"], pri.at[name, "high"]).all()
    assert (draws["demand_sr_share"] <= 1).all()  # SR elasticity = share x LR <= LR
    assert prov["episodes"] == MINE and prov["seed"] == 5
    assert prov["settings"]["generations_run"] == 2
    ess = prov["settings"]["effective_sample_size"]
    assert 1.0 <= ess <= 40 and ess == pytest.approx(1 / np.sum((w / w.sum()) ** 2))


def test_effective_sample_size():
    from critmin.calibrate.abc import effective_sample_size

    assert effective_sample_size(np.full(8, 3.0)) == pytest.approx(8.0)
    assert effective_sample_size([1.0, 1e-12, 1e-12]) == pytest.approx(1.0)
    assert effective_sample_size([2.0, 1.0, 1.0]) == pytest.approx(16 / 6)


def test_write_and_read_back(tmp_path, tiny):
    draws, w, _prov = tiny
    write_fits({"all": tiny}, "v1", tmp_path)
    got, gw = fit_draws("v1", "all", tmp_path)
    assert np.allclose(got.to_numpy(), draws.to_numpy(), rtol=1e-5)
    assert np.allclose(gw, w / w.sum(), rtol=1e-5)
    a = posterior_theta("v1", 100, 1, directory=tmp_path)
    assert set(a) == {c for c in draws.columns if not c.startswith("noise_")}
    assert len(a["choke"]) == 100
    assert {"noise_price", "noise_exports"} <= set(
        posterior_theta("v1", 10, 1, directory=tmp_path, noise=True))
    assert np.array_equal(a["choke"], posterior_theta("v1", 100, 1, directory=tmp_path)["choke"])
    assert fit_draws("v2", "all", tmp_path) is None


def _clean(prov: dict) -> None:
    for e in prov["episodes"]:
        assert reserved_match(e) is None, e
    for e, sc in prov["scenarios"].items():
        assert reserved_match(sc) is None, (e, sc)
    for ep, commodity, _obs, _dest, day in prov["observations"]:
        d = dt.date.fromisoformat(day)
        for r in RESERVED:
            assert not (commodity in r.commodities and r.start <= d <= r.end), (ep, day)


def test_reserved_episodes_are_in_no_calibration_input_of_the_shipped_posterior():
    """Every shipped fit (all and LOO, every model) lists its episodes and observations."""
    df, meta = read_posterior()
    fits = {(m, f) for m, f in zip(df["model"], df["fit"], strict=True)}
    fits |= {(m, f) for m, got in meta.items() for f, prov in got.items()
             if "draw_index" in prov or "particles" in prov}  # history, hierarchical: no rows
    assert fits, "no posterior shipped (run critmin calibrate)"
    for model, fit in fits:
        prov = meta[model][fit]
        assert prov["fit"] == fit and prov["episodes"]
        _clean(prov)


def test_provenance_of_a_fresh_fit_is_clean(tiny):
    _clean(tiny[2])
