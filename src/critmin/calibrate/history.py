"""History matching of model v2 to the training episodes: a calibration that scales.

One bank of N prior draws of every latent input (shared and per commodity, about a
hundred for the training episodes' commodities) is simulated through every training
episode; draws are identified by their sample index (block-seeded draws, so sample i has
the same inputs in every episode and every run with the same seed). A draw is *not
implausible* for a set of observations where its joint implausibility

    I^2(theta) = sum_k (log o_k - log m_k(theta))^2 / s_k^2

stays within the chi-square quantile ``LEVEL`` for that many observations, s_k the stated
model discrepancy of prices or export volumes (:data:`DISCREPANCY`); where fewer than
``MIN_KEPT`` of the bank pass, the tolerance widens to the implausibility of the best
``MIN_KEPT`` share (rejection with a quantile tolerance), so no fit rests on a handful of
draws. The fit ``all`` keeps
the draws not implausible for every episode's observations; ``loo:E`` those not implausible
for the observations of every episode but E, so each leave-one-out fit comes from the same
bank without a new simulation. The posterior weights the kept draws equally: its effective
sample size is the number kept. Hierarchy: commodities' licence persistence is pooled
(``licence_persistence`` with ``persistence_spread`` and per-commodity deviations), so the
shared mean learns from every episode and a commodity without an episode borrows it.

A fit is stored as the sample indices of its kept draws with the prior rows that produced
them (posterior_meta.json); :func:`fit_frame` redraws their values, so the shipped file stays
small and the same seed gives the same posterior.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy.stats import chi2

from critmin import __version__
from critmin.calibrate import scoring
from critmin.calibrate.abc import FLOOR, NOISE, add_noise, noise_name
from critmin.calibrate.episodes import Targets, episode_paths, load_targets, model_values
from critmin.calibrate.posterior import bank_draws

DISCREPANCY = {"noise_price": 0.5, "noise_exports": 1.0}
"""Stated model discrepancy plus observation error, sd of the log relative value: prices
differ from the model's by grade, market and averaging; monthly customs volumes swing
with shipments (used as the posterior's observation error in the backtest)."""
LEVEL = 0.99
MIN_KEPT = 0.05
"""Least share of the bank a fit keeps. Leaving out an episode whose observations the
model fits well lowers the chi-square bound by more than they add, so the other episodes'
misfits can rule out nearly every draw (2 of 65,536 for loo:CN_2025_Oct_controls on the
126 observations of 7 Dec 2026); the quantile floor keeps the best 5 % instead."""
METHOD = "history matching (one wave from the priors, joint chi-square implausibility)"


def bank(net, targets: Targets, theta: pd.DataFrame, chunk: int = 1024) -> np.ndarray:
    """(draws, K) log relative model values of every target (NaN: the model lacks it) for
    the draws ``theta`` (a bank's prior draws), simulated in chunks of ``chunk`` draws."""
    rows = targets.rows
    n = len(theta)
    out = np.full((n, len(rows)), np.nan)
    for ep, sc in targets.scenarios.items():
        sel = rows.index[rows["episode"].eq(ep)]
        if not len(sel):
            continue
        for a in range(0, n, chunk):
            b = min(n, a + chunk)
            th = {c: theta[c].to_numpy()[a:b] for c in theta.columns}
            ds, base = episode_paths(net, sc, months=targets.months[ep], samples=b - a,
                                     seed=0, model="v2", theta=th,
                                     variables=set(rows.loc[sel, "variable"]))
            for i in sel:
                v = model_values(ds, rows.loc[i], base)
                if v is not None:
                    out[a:b, rows.index.get_loc(i)] = np.log(np.maximum(v, FLOOR))
    return out


def discrepancy(rows: pd.DataFrame) -> np.ndarray:
    """(K,) discrepancy sd of each target."""
    return np.array([DISCREPANCY[noise_name(v)] for v in rows["variable"]])


def tolerance(values: np.ndarray, rows: pd.DataFrame, use: np.ndarray
              ) -> tuple[np.ndarray, float, float]:
    """(implausibility I^2 of each draw (N,), chi-square bound, tolerance used: the bound,
    or the MIN_KEPT quantile of I^2 where that is larger) for the targets ``use``."""
    obs = np.log(np.maximum(rows["observed"].to_numpy(dtype=float), FLOOR))
    z2 = ((values - obs[None]) / discrepancy(rows)[None]) ** 2
    ok = use & ~np.isnan(values).any(axis=0)
    i2 = z2[:, ok].sum(axis=1)
    bound = float(chi2.ppf(LEVEL, int(ok.sum())))
    return i2, bound, max(bound, float(np.quantile(i2, MIN_KEPT)))


def kept(values: np.ndarray, rows: pd.DataFrame, use: np.ndarray) -> np.ndarray:
    """Bool (N,): draws not implausible for the targets ``use`` (bool (K,))."""
    i2, _, tol = tolerance(values, rows, use)
    return i2 <= tol


def _predictive(values: np.ndarray, rows: pd.DataFrame, sigma: dict, seed: int
                ) -> np.ndarray:
    """Model values (relative) times the observation error: (draws, K)."""
    out = np.exp(values)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(31337,)))
    for name in NOISE:
        cols = np.array([noise_name(v) == name for v in rows["variable"]])
        if cols.any():
            out[:, cols] = add_noise(out[:, cols], sigma[name], rng)
    return out


def scores(pred: np.ndarray, rows: pd.DataFrame) -> pd.DataFrame:
    """Per target: CRPS and 50 %/90 % coverage of predictive draws ``pred``."""
    out = []
    for j, (i, r) in enumerate(rows.iterrows()):
        v = pred[:, j]
        if np.isnan(v).any():
            continue
        out.append(dict(row=i, episode=r["episode"], crps=scoring.crps(v, r["observed"]),
                        in_50=scoring.inside(v, r["observed"], 0.5),
                        in_90=scoring.inside(v, r["observed"], 0.9)))
    return pd.DataFrame(out)


def contraction(draws: pd.DataFrame, keep: np.ndarray) -> dict[str, float]:
    """1 - posterior variance / prior variance per input (0: nothing learned)."""
    v0 = draws.var(axis=0)
    v1 = draws[keep].var(axis=0)
    return {n: float(1 - v1[n] / v0[n]) if v0[n] > 0 else 0.0 for n in draws.columns}


def prior_rows(net, targets: Targets) -> pd.DataFrame:
    """Prior rows of the inputs a bank draws: shared ones and the per-commodity ones of
    the commodities the episodes simulate."""
    from critmin.market.v2.paths import prepare
    from critmin.market.v2.priors import latent_table

    commodities = []
    for ep, sc in targets.scenarios.items():
        for c in prepare(net, sc, targets.months[ep]).market.commodities:
            if c not in commodities:
                commodities.append(c)
    return latent_table(net, tuple(commodities))


def history_match(net, *, samples: int = 2048, seed: int = 0,
                  episodes: list[str] | None = None, values: np.ndarray | None = None
                  ) -> dict:
    """Fits ``all`` and ``loo:E`` per training episode: fit -> provenance with the kept
    sample indices, effective sample size, contraction per input and predictive checks;
    ``_scores``: LOO and priors scores per target from the bank."""
    targets = load_targets(net, episodes)
    rows = targets.rows.reset_index(drop=True)
    table = prior_rows(net, targets)
    theta = bank_draws(table, seed, samples)
    if values is None:
        values = bank(net, targets, theta)
    eps = list(targets.scenarios)
    sigma_post = {n: np.full(1, s) for n, s in DISCREPANCY.items()}
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(104729,)))
    sigma_prior = {n: rng.uniform(lo, hi, (samples, 1)) for n, (lo, hi) in NOISE.items()}
    prior_pred = _predictive(values, rows, sigma_prior, seed)
    fits, loo_parts, prior_parts = {}, [], []
    for fit in ["all", *[f"loo:{e}" for e in eps]]:
        left = fit[4:] if fit != "all" else None
        use = ~rows["episode"].eq(left).to_numpy() if left else np.ones(len(rows), bool)
        i2, bound, tol = tolerance(values, rows, use)
        keep = i2 <= tol
        n = int(keep.sum())
        ppc_cols = ~use if left else use
        check = (scores(_predictive(values[keep], rows, sigma_post, seed)[:, ppc_cols],
                        rows[ppc_cols]) if n
                 else pd.DataFrame(columns=["row", "episode", "crps", "in_50", "in_90"]))
        if left:
            loo_parts.append(check)
            prior_parts.append(scores(prior_pred[:, ppc_cols], rows[ppc_cols]))
        used = rows[use & ~np.isnan(values).any(axis=0)]
        fits[fit] = dict(
            model="v2", fit=fit, method=METHOD, episodes=[e for e in eps if e != left],
            scenarios={e: targets.scenarios[e].id for e in eps if e != left},
            observations=[[r.episode, r.commodity, r.observable, r.destination, r.date]
                          for r in used.itertuples()],
            discrepancy=DISCREPANCY, level=LEVEL, bank_samples=samples, seed=seed,
            min_kept=MIN_KEPT, chi2_bound=round(bound, 3), tolerance=round(tol, 3),
            draw_index=[int(i) for i in np.flatnonzero(keep)],
            effective_sample_size=n,
            contraction={k: round(v, 4) for k, v in contraction(theta, keep).items()},
            predictive_check=dict(
                scope="out of sample (the left-out episode)" if left else "in sample",
                n=len(check), crps=float(check["crps"].mean()) if len(check) else None,
                coverage_50=float(check["in_50"].mean()) if len(check) else None,
                coverage_90=float(check["in_90"].mean()) if len(check) else None),
            prior_rows=table[["name", "dist", "low", "high", "scope"]].to_dict("records"),
            date=dt.date.today().isoformat(), critmin_version=__version__)
    both = pd.concat(prior_parts).merge(pd.concat(loo_parts), on=["row", "episode"],
                                        how="left", suffixes=("_priors", "_loo"))
    fits["_scores"] = both
    return fits
