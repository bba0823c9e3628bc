"""Hierarchical calibration of v2: the explicit likelihood, tempered SMC, partial pooling
(a commodity without episodes borrows the shared posterior), stored fits."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import norm

from critmin.calibrate import hierarchical as hier
from critmin.calibrate.episodes import load_targets
from critmin.calibrate.posterior import fit_draws, read_posterior, write_particle_fits
from critmin.market import pooling
from critmin.market.posterior import PosteriorInputs

EPISODES = ["CN_2024_Sb_licence", "COD_2025_cobalt_ban"]


def test_same_seed_same_posterior_and_fits_round_trip(net, tmp_path):
    """Same seed -> the same particles, ESS and contraction (tiny budget); the shipped
    form (meta + float16 particles) reads back as the same inputs."""
    kw = dict(particles=24, loo_particles=16, moves=1, max_moves=2, seed=5,
              episodes=EPISODES)
    a, pa = hier.calibrate_hierarchical(net, **kw)
    b, pb = hier.calibrate_hierarchical(net, **kw)
    assert set(a) == {"all", *(f"loo:{e}" for e in EPISODES)}
    for fit in a:
        assert np.array_equal(pa[fit], pb[fit])
        assert a[fit]["contraction"] == b[fit]["contraction"]
        assert a[fit]["effective_sample_size"] == b[fit]["effective_sample_size"]
        assert a[fit]["steps"][-1]["beta"] == 1.0
        # each random-walk step is followed by a fresh draw of the path's seed
        moved = sum(len(s["acceptance"]) + len(s["fresh_acceptance"])
                    for s in a[fit]["steps"])
        assert all(len(s["fresh_acceptance"]) == len(s["acceptance"])
                   for s in a[fit]["steps"])
        assert a[fit]["simulations"] == len(pa[fit]) * (1 + moved)
        assert a[fit]["fresh"] == ["regime_draw"]
    assert len(pa["all"]) == 24 and len(pa["loo:CN_2024_Sb_licence"]) == 16
    # the leave-one-out fit is fitted without the left-out episode's observations
    assert {o[0] for o in a["loo:CN_2024_Sb_licence"]["observations"]} == {
        "COD_2025_cobalt_ban"}
    c, _ = hier.calibrate_hierarchical(net, **{**kw, "seed": 6})
    assert c["all"]["contraction"] != a["all"]["contraction"]
    write_particle_fits(a, pa, "v2", tmp_path)
    wide, w = fit_draws("v2", "loo:COD_2025_cobalt_ban", tmp_path)
    p = a["all"]
    u = pa["loo:COD_2025_cobalt_ban"]
    assert p["episodic"] and p["episode_order"] == EPISODES
    # shipped: a new episode's values of the episodic inputs, the rest as fitted
    z = pooling.new_episode(5, len(u), len(p["episodic"]))
    want = pooling.inputs(p["prior_rows"], p["pooled"], u, p["episodic"], EPISODES, None, z)
    fresh = list(pooling.NEW_DRAWS)
    same = [c for c in want.columns if c not in fresh]
    assert np.allclose(wide[same].to_numpy(), want[same].to_numpy())
    # a new episode's luck: its regime and snap-back draws are new uniform draws
    assert not np.allclose(wide[fresh].to_numpy(), want[fresh].to_numpy())
    assert wide[fresh].to_numpy().min() >= 0 and wide[fresh].to_numpy().max() <= 1
    assert np.isclose(w.sum(), 1) and "pool_mu:supply_elasticity_lr" in wide.columns
    in_sb = pooling.inputs(p["prior_rows"], p["pooled"], u, p["episodic"], EPISODES,
                           "CN_2024_Sb_licence")
    assert not np.allclose(wide["export_hold"], in_sb["export_hold"])


@given(st.floats(-2, 2), st.floats(0.05, 1.0), st.integers(0, 18))
def test_loglik_is_the_error_model_integrated_over_its_grid(r, scale, h):
    """One target per series: sd = sqrt(a^2 + b^2 h + s^2) per group, (a, b, s) uniform
    on the grid. Kills b*h in place of b^2*h and a likelihood without its
    log-determinant."""
    obs = np.array([0.0, 0.0])
    vals = np.array([[r, r * scale]])
    rows_h = np.array([h, 0.0])
    grp = np.array(["price", "exports"])
    got = hier.loglik(vals, obs, rows_h, grp, np.array([True, True]))[0]
    a, b, s = hier.grid()
    want = 0.0
    for x, hh in ((r, h), (r * scale, 0.0)):
        lp = norm.logpdf(x, 0, np.sqrt(a**2 + b**2 * hh + s**2))
        want += logsumexp(lp) - np.log(lp.size)
    assert np.isclose(got, want)
    # a target outside ``use`` does not count
    only = hier.loglik(vals, obs, rows_h, grp, np.array([False, True]))[0]
    lp = norm.logpdf(r * scale, 0, np.sqrt(a**2 + s**2))
    assert np.isclose(only, logsumexp(lp) - np.log(lp.size))


@given(st.lists(st.floats(-2, 2), min_size=3, max_size=3), st.integers(0, 12))
def test_a_series_shares_one_offset(res, h):
    """Targets of one series: covariance diag(a^2 + b^2 h) + s^2 (all pairs), the
    other series independent. Kills a Sherman-Morrison term with the wrong sign and
    series treated as independent targets."""
    from scipy.stats import multivariate_normal

    vals = np.array([res])
    hs = np.array([h, h + 1, 0.0])
    grp = np.array(["price"] * 3)
    series = np.array([7, 7, 9])
    got = hier.loglik(vals, np.zeros(3), hs, grp, np.ones(3, bool), series)[0]
    a, b, s = hier.grid()
    lp = []
    for ai, bi, si in zip(a, b, s, strict=True):
        cov = np.diag(ai**2 + bi**2 * hs)
        cov[:2, :2] += si**2
        cov[2, 2] += si**2
        lp.append(multivariate_normal.logpdf(res, np.zeros(3), cov))
    assert np.isclose(got, logsumexp(lp) - np.log(len(lp)))


def test_smc_recovers_a_known_gaussian_posterior():
    """Prior N(0, I), likelihood N(y; u_0, 0.1^2): posterior of u_0 is N(y 100/101,
    1/101), the other coordinates stay N(0, 1); several temperatures are needed. Kills a
    reweighting by L^beta in place of the step's L^(beta' - beta) and a Metropolis ratio
    without the prior."""
    y = 1.0

    def logl(v):
        return norm.logpdf(y, v[:, 0], 0.1)

    run = hier.smc(lambda u: u[:, :1].copy(), 3, logl, particles=2000, moves=8, seed=1)
    u = run["u"]
    assert len(run["steps"]) >= 3 and run["steps"][-1]["beta"] == 1.0
    # each reweighting keeps half the particles effective (the temperatures' rule)
    assert all(s["ess"] >= 999 for s in run["steps"])
    assert abs(u[:, 0].mean() - y * 100 / 101) < 0.02
    assert abs(u[:, 0].var() / (1 / 101) - 1) < 0.25
    assert abs(u[:, 1].mean()) < 0.1 and abs(u[:, 1].var() - 1.0) < 0.2


def _linear_gaussian(d: int = 40, k: int = 4, noise: float = 0.15):
    """Prior N(0, I_d), y = A u + N(0, noise^2 I_k): (A, y, posterior mean, covariance)."""
    rng = np.random.default_rng(3)
    a = rng.standard_normal((k, d)) / np.sqrt(d) * 3
    y = rng.standard_normal(k)
    cov = np.linalg.inv(np.eye(d) + a.T @ a / noise**2)
    return a, y, cov @ a.T @ y / noise**2, cov


def test_moves_adapt_to_acceptance_on_a_correlated_posterior():
    """A 40-dimensional linear-Gaussian posterior, informed along 4 correlated
    directions: the SMC recovers its mean and variance along them, and a temperature
    takes more than ``moves`` steps exactly while its particles have accepted fewer than
    ``moves`` x ACCEPTANCE on average (kills a fixed number of moves, and moves that
    never stop before ``max_moves``); the correlation left with the resampled
    positions is reported after each move and falls."""
    a, y, mean, cov = _linear_gaussian()
    noise = 0.15

    def logl(v):
        return -0.5 * np.sum((v - y) ** 2, axis=1) / noise**2

    run = hier.smc(lambda u: u @ a.T, a.shape[1], logl, particles=1000, moves=3,
                   max_moves=8, seed=2)
    u = run["u"]
    proj = np.linalg.svd(a)[2][:4]  # the informed directions
    assert np.abs(proj @ u.mean(axis=0) - proj @ mean).max() < 0.05
    ratio = np.diag(proj @ np.cov(u, rowvar=False) @ proj.T) / np.diag(proj @ cov @ proj.T)
    assert np.all((ratio > 0.8) & (ratio < 1.25))
    need = 3 * hier.ACCEPTANCE
    for s in run["steps"]:
        acc, k = s["acceptance"], len(s["acceptance"])
        assert 3 <= k <= 8 and len(s["correlation"]) == k
        assert k == 8 or sum(acc) >= need
        assert k == 3 or sum(acc[:-1]) < need
        assert s["correlation"][-1] < s["correlation"][0] <= 1
    assert any(len(s["acceptance"]) > 3 for s in run["steps"])


def test_pooled_prior_keeps_each_commodity_range_and_centre():
    """Under the prior a pooled input stays in its range, centred, with about the
    uniform's spread (probit-scale variance MU_SD^2 + TAU_MAX^2 / 3 = 1: sd 95 % of the
    uniform's): kills a scale that widens (TAU_MAX 2.5: 112 %) or narrows it (1.0: 82 %)."""
    rows = [dict(name="demand_elasticity_sr:x", dist="uniform", low=0.1, high=0.3,
                 scope="x"),
            dict(name="leakage", dist="uniform", low=0.0, high=0.4, scope="ALL")]
    u = np.random.default_rng(0).standard_normal((40000, 4))
    x = pooling.inputs(rows, ["demand_elasticity_sr"], u)
    v = x["demand_elasticity_sr:x"]
    assert v.between(0.1, 0.3).all() and abs(v.mean() - 0.2) < 0.003
    assert 0.92 < v.std() / (0.2 / np.sqrt(12)) < 0.97
    assert abs(x["leakage"].mean() - 0.2) < 0.005


def test_episode_effects_pool_toward_the_population():
    """An episodic input's value in an episode reads that episode's own deviation; a
    new episode's reads the population mean and scale at a new draw. Kills reading
    another episode's coordinate and ignoring the fitted scale."""
    rows = [dict(name="leakage", dist="uniform", low=0.0, high=0.4, scope="ALL")]
    eps = ["a", "b"]
    names = pooling.coordinates(rows, [], ["leakage"], eps)
    assert names == ["leakage", "pool_tau:leakage", "episode_z:leakage@a",
                     "episode_z:leakage@b"]
    u = np.array([[0.4, 0.0, -1.0, 2.0]])
    mu, tau = 0.5 * 0.4, 1.5 * 0.5
    for e, z in (("a", -1.0), ("b", 2.0)):
        got = pooling.inputs(rows, [], u, ["leakage"], eps, e)["leakage"].iloc[0]
        assert np.isclose(got, 0.4 * norm.cdf(mu + tau * z))
    new = pooling.inputs(rows, [], u, ["leakage"], eps, None, np.array([[0.5]]))
    assert np.isclose(new["leakage"].iloc[0], 0.4 * norm.cdf(mu + tau * 0.5))
    assert np.isclose(new["pool_tau:leakage"].iloc[0], tau)


def test_a_commodity_without_episodes_borrows_the_shared_posterior():
    """A run with a commodity the fit lacks draws its pooled inputs from the fit's
    shared mean and scale (not the prior); commodities in the fit keep their draws.
    Kills falling back to the prior and ignoring tau."""
    n = 4096
    names = ("pool_mu:supply_elasticity_sr", "pool_tau:supply_elasticity_sr",
             "supply_elasticity_sr:cobalt")
    vals = np.column_stack([np.full(n, 1.0), np.full(n, 0.2), np.full(n, 0.15)])
    post = PosteriorInputs(names, vals, np.full(n, 1 / n), "t")
    table = pd.DataFrame([
        dict(name="supply_elasticity_sr:cobalt", dist="uniform", low=0.1, high=0.38,
             scope="cobalt"),
        dict(name="supply_elasticity_sr:lithium", dist="uniform", low=0.0, high=1.0,
             scope="lithium"),
        dict(name="leakage", dist="uniform", low=0.0, high=0.4, scope="ALL")])
    th = post.theta(0, 0, n, table)
    lith = th["supply_elasticity_sr:lithium"]
    z = norm.ppf(lith)
    assert abs(z.mean() - 1.0) < 0.02 and abs(z.std() - 0.2) < 0.02
    assert (th["supply_elasticity_sr:cobalt"] == 0.15).all() and "leakage" not in th
    # a sample's borrowed value does not depend on chunking
    part = post.theta(0, 1024, 2048, table)["supply_elasticity_sr:lithium"]
    assert np.array_equal(part, lith[1024:2048])
    assert "supply_elasticity_sr:lithium" not in post.theta(0, 0, n)


def test_a_path_seed_is_drawn_anew_and_the_rest_still_mixes():
    """A coordinate that seeds a random path (the likelihood is noise in it, up to 8 log
    units, as regime_draw's median 11 in v2) beside one informed coordinate: with it marked
    ``fresh`` the walk on the rest accepts near its target and recovers the posterior
    N(y 100/101, 1/101), and the seed keeps its N(0, 1) prior (the noise averages out).
    Kills a walk that moves the seed too (acceptance 0.26 -> 0.13) and a fresh draw
    accepted with the prior's ratio on top of the prior proposal (seed variance 1/2)."""
    y = 1.0

    def logl(v):
        return norm.logpdf(y, v[:, 0], 0.1) + 8 * np.sin(1e7 * v[:, 1])

    sim = lambda u: u[:, [0, 2]].copy()  # noqa: E731
    fresh = np.array([False, False, True])
    run = hier.smc(sim, 3, logl, particles=2000, moves=6, seed=4, fresh=fresh)
    u, last = run["u"], run["steps"][-1]
    assert last["beta"] == 1.0 and len(last["fresh_acceptance"]) == len(last["acceptance"])
    assert np.mean(last["acceptance"]) > 0.2
    assert abs(u[:, 0].mean() - y * 100 / 101) < 0.02
    assert abs(u[:, 0].var() / (1 / 101) - 1) < 0.25
    assert abs(u[:, 2].mean()) < 0.1 and abs(u[:, 2].var() - 1.0) < 0.2
    assert len(np.unique(u[:, 2])) > 1000  # seeds drawn anew, not the resampled few
    stuck = hier.smc(sim, 3, logl, particles=500, moves=6, seed=4)
    assert np.mean(stuck["steps"][-1]["acceptance"]) < 0.2


def test_only_the_path_seeds_make_v2_a_new_path(net):
    """Every v2 latent input moved by 1e-9 (of its range) on the Sb licence episode:
    the targets move by more than 1e-3 (log) only for the inputs in ``SEEDS`` (a new
    random path), so the random walk may move every other input. Kills a SEEDS list
    missing regime_draw, or holding an input the model reads smoothly."""
    from critmin.calibrate.history import bank

    ep = ["CN_2024_Sb_licence"]
    targets = load_targets(net, ep)
    rows = hier.prior_rows(net, targets)
    rng = np.random.default_rng(0)
    base = pd.DataFrame({r["name"]: np.full(8, r["low"]) + (r["high"] - r["low"])
                         * rng.uniform(0.2, 0.8, 8) for r in rows})
    v0 = bank(net, targets, base)
    jumpy = []
    for r in rows:
        moved = base.copy()
        moved[r["name"]] += 1e-9 * (r["high"] - r["low"])
        if np.nanmax(np.abs(bank(net, targets, moved) - v0)) > 1e-3:
            jumpy.append(r["name"])
    assert jumpy == list(hier.SEEDS)


def test_a_tempered_posterior_stops_at_its_power():
    """``power`` 0.5 on the Gaussian case: the posterior of prior x L^0.5, N(y 50/51,
    1/51), and the last temperature is 0.5, reached within the ESS rule. Kills a
    sampler that goes on to 1 and a last reweighting past the cap."""
    y = 1.0

    def logl(v):
        return norm.logpdf(y, v[:, 0], 0.1)

    run = hier.smc(lambda u: u[:, :1].copy(), 2, logl, particles=2000, moves=8, seed=1,
                   power=lambda v: 0.5)
    u = run["u"]
    assert run["beta"] == 0.5 and run["steps"][-1]["beta"] == 0.5
    assert all(s["ess"] >= 999 and s["power"] == 0.5 for s in run["steps"])
    assert abs(u[:, 0].mean() - y * 50 / 51) < 0.02
    assert abs(u[:, 0].var() / (1 / 51) - 1) < 0.25


def test_residual_autocorrelation_takes_each_series_offset_out():
    """AR(1) residuals (rho 0.6, 40 months) under a large offset per draw: about 0.6
    (the estimator's bias is -(1 + 3 rho) / n); white noise under the same offset: about
    -1/n, not 1; series of fewer than 3 targets and targets outside ``use`` do not count;
    the order is the months'. effective_share is (1 - rho) / (1 + rho), clipped. Kills
    residuals without their offset taken out and an order by row."""
    rng = np.random.default_rng(0)
    n, rho, draws = 40, 0.6, 2000
    e = np.zeros((draws, n))
    e[:, 0] = rng.standard_normal(draws)
    for t in range(1, n):
        e[:, t] = rho * e[:, t - 1] + np.sqrt(1 - rho**2) * rng.standard_normal(draws)
    off = 3 * rng.standard_normal((draws, 1))
    perm = rng.permutation(n)  # rows out of month order
    white = rng.standard_normal((draws, n)) + off
    vals = np.c_[(e + off)[:, perm], white, off + rng.standard_normal((draws, 2))]
    series = np.r_[np.zeros(n, int), np.ones(n, int), [2, 2]]
    when = np.r_[np.arange(n)[perm], np.arange(n), [0, 1]].astype(float)
    obs = np.zeros(len(series))
    use = np.r_[np.ones(n, bool), np.zeros(n, bool), [True, True]]
    got = hier.residual_autocorrelation(vals, obs, series, when, use)
    assert 0.6 - (1 + 3 * 0.6) / n - 0.05 < got < 0.6 + 0.02
    w = hier.residual_autocorrelation(vals, obs, series, when, ~use)
    assert -1 / n - 0.02 < w < 0.02
    assert hier.effective_share(0.6) == 0.4 / 1.6 and hier.effective_share(-0.3) == 1.0
    assert np.isclose(hier.effective_share(0.99), 0.1 / 1.9)


def test_reserved_episodes_stay_out_of_the_calibration(net):
    """The training targets the calibration reads hold no reserved window's rows."""
    rows = load_targets(net, None).rows
    heavy = {"dy", "tb", "ree_other", "ndfeb_magnet", "sm", "gd", "lu", "scandium", "y"}
    d = pd.to_datetime(rows["date"])
    assert not (rows["commodity"].isin(heavy)
                & d.between("2025-04-01", "2025-09-30")).any()
    assert not (rows["commodity"].isin({"gallium", "germanium"})
                & d.between("2023-07-01", "2024-11-30")).any()


def test_every_shipped_fit_has_an_effective_sample_size_of_1000():
    """The shipped v2 posterior: ``all`` and one leave-one-out fit per episode it was
    fitted on, each with an effective sample size of at least 1,000 and its particles
    shipped. Kills shipping leave-one-out fits of 1,024 particles (ESS 602-1,014) and a
    refit that leaves out an episode's LOO fit."""
    _, meta = read_posterior()
    fits = meta["v2"]
    assert set(fits) == {"all", *(f"loo:{e}" for e in fits["all"]["episodes"])}
    for fit, prov in fits.items():
        assert prov["effective_sample_size"] >= 1000, fit
        assert fit_draws("v2", fit)[0].shape[0] == prov["particles"]


def test_cli_reports_ess_contraction_and_checks(tmp_path):
    """``critmin calibrate --method hierarchical --json``: per fit the effective sample
    size, the contraction table and the predictive check, and the files it wrote; v1
    is refused with one line naming the choices."""
    import json

    from typer.testing import CliRunner

    from critmin.cli import app

    runner = CliRunner()
    post = tmp_path / "post"
    res = runner.invoke(app, ["calibrate", "--method", "hierarchical", "--samples", "12",
                              "--moves", "1", "--episodes", ",".join(EPISODES), "--seed",
                              "2", "--output", str(post), "--json", "--loo-samples",
                              "10", "--max-moves", "2"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert set(out["fits"]) == {"all", *(f"loo:{e}" for e in EPISODES)}
    fit = out["fits"]["all"]
    assert fit["particles"] == 12 and 0 < fit["effective_sample_size"] <= 12
    assert all(1 <= len(s["acceptance"]) <= 2 for s in fit["steps"])
    assert -1 <= fit["correlation"] <= 1 and fit["unique_particles"] <= 12
    # tempered by default: the power measured on the fit's own residuals
    assert 0 < fit["power"] == fit["steps"][-1]["beta"] <= 1
    assert fit["power"] >= fit["steps"][-1]["power"] - 1e-4  # stopped on reaching it
    assert all(s["beta"] < s["power"] + 1e-4 for s in fit["steps"][:-1])
    assert out["fits"][f"loo:{EPISODES[0]}"]["particles"] == 10
    assert "pool_tau:demand_elasticity_sr" in fit["contraction"]
    assert fit["predictive_check"]["n"] > 0 and "coverage_90" in fit["predictive_check"]
    assert (post / "posterior_particles.npz").exists()
    assert fit_draws("v2", "all", post)[0].shape[0] == 12
    res = runner.invoke(app, ["calibrate", "--method", "hierarchical", "--model", "v1",
                              "--output", str(post)])
    assert res.exit_code == 2 and "hierarchical with v2" in res.output
