"""Partial pooling of per-commodity latent inputs, and the whitened space in which the
hierarchical calibration (:mod:`critmin.calibrate.hierarchical`) works.

Every coordinate u of the space is standard normal under the prior. A shared input (scope
ALL) and an unpooled per-commodity one take their prior's quantile at Phi(u). A pooled
family f (one input per commodity, ``f:commodity``) has a shared mean
``mu_f = MU_SD * u_mu`` and scale ``tau_f = TAU_MAX * Phi(u_tau)`` on the probit scale of
each commodity's own prior range [low_c, high_c]:

    x_c = low_c + (high_c - low_c) * Phi(mu_f + tau_f * z_c),  z_c ~ N(0, 1)

With ``MU_SD^2 + TAU_MAX^2 / 3 = 1`` (variance 1 on the probit scale) each commodity's
marginal prior keeps its range and centre, its sd 95 % of the uniform's (a scale mixture
of normals, a little more mass in the middle). The
fitted (mu_f, tau_f) say what the commodities share; a commodity without episodes
borrows them (:func:`borrow`). An *episodic* shared input (how one control regime was
run and answered: approval, leakage, export holds...) is pooled the same way across
episodes: its value in episode e is its range at Phi(mu + tau z_e); a new episode's
draws a new z (:func:`new_episode`). A fit's draws are its final particles
(:data:`PARTICLES`, :func:`fit_frame`), episodic inputs at a new episode's values."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

MU_SD = 0.5
TAU_MAX = 1.5
MU, TAU = "pool_mu:", "pool_tau:"
"""Column prefixes of a fit's shared mean and scale of each pooled family (or episodic
input)."""
EP_Z = "episode_z:"
"""Coordinate prefix of an episodic input's deviation in one episode (``name@episode``)."""


def coordinates(rows: list[dict], pooled: list[str], episodic: Sequence[str] = (),
                episodes: Sequence[str] = ()) -> list[str]:
    """Names of the space's coordinates: one per prior row (a pooled row's is its z; an
    episodic input's is its population mean), each pooled family's mean and scale, each
    episodic input's scale, then its z in every episode."""
    return ([r["name"] for r in rows] + [p + f for f in pooled for p in (MU, TAU)]
            + [TAU + n for n in episodic]
            + [f"{EP_Z}{n}@{e}" for n in episodic for e in episodes])


def family(name: str) -> str:
    return name.split(":", 1)[0]


def _quantile(r: dict, u: np.ndarray) -> np.ndarray:
    """Prior quantile of row ``r`` at Phi(u) (normal rows: low/high the 2.5/97.5 %)."""
    lo, hi = float(r["low"]), float(r["high"])
    if r["dist"] == "normal":
        return (lo + hi) / 2 + (hi - lo) / 3.92 * u
    p = ndtr(u)
    if r["dist"] == "loguniform":
        return np.exp(np.log(lo) + p * (np.log(hi) - np.log(lo)))
    return lo + p * (hi - lo)


def hyper(u_mu: np.ndarray, u_tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mu, tau) of a pooled family from its two coordinates."""
    return MU_SD * np.asarray(u_mu), TAU_MAX * ndtr(np.asarray(u_tau))


def pooled_value(mu, tau, z, low: float, high: float) -> np.ndarray:
    """A pooled commodity's input: its prior range at Phi(mu + tau z)."""
    return low + (high - low) * ndtr(np.asarray(mu) + np.asarray(tau) * np.asarray(z))


def inputs(rows: list[dict], pooled: list[str], u: np.ndarray,
           episodic: Sequence[str] = (), episodes: Sequence[str] = (),
           episode: str | None = None, z_new: np.ndarray | None = None) -> pd.DataFrame:
    """Input values (draws x prior rows, then ``pool_mu:``/``pool_tau:`` of each pooled
    family and episodic input) of the coordinates ``u`` (draws x :func:`coordinates`).
    An episodic input takes its value in ``episode``, or without one a new episode's:
    its population mean and scale at ``z_new`` (draws x episodic inputs; default 0)."""
    u = np.atleast_2d(np.asarray(u, dtype=float))
    names = coordinates(rows, pooled, episodic, episodes)
    col = {n: j for j, n in enumerate(names)}
    hyp = {f: hyper(u[:, col[MU + f]], u[:, col[TAU + f]]) for f in pooled}
    out, top = {}, {}
    for j, r in enumerate(rows):
        f, name = family(r["name"]), r["name"]
        if name in episodic:
            if r["dist"] != "uniform":
                raise ValueError(f"episodic input {name}: uniform priors only")
            mu, tau = hyper(u[:, j], u[:, col[TAU + name]])
            i = list(episodic).index(name)
            z = (u[:, col[f"{EP_Z}{name}@{episode}"]] if episode is not None
                 else np.zeros(len(u)) if z_new is None else z_new[:, i])
            out[name] = pooled_value(mu, tau, z, r["low"], r["high"])
            top[MU + name], top[TAU + name] = mu, tau
        elif r["scope"] != "ALL" and f in hyp and r["dist"] == "uniform":
            out[name] = pooled_value(*hyp[f], u[:, j], r["low"], r["high"])
        else:
            out[name] = _quantile(r, u[:, j])
    for f, (mu, tau) in hyp.items():
        out[MU + f], out[TAU + f] = mu, tau
    return pd.DataFrame({**out, **top})


def new_episode(seed: int, n: int, k: int) -> np.ndarray:
    """(n, k) standard-normal deviations of a new episode's episodic inputs."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(31,))
                                 ).standard_normal((n, k))


NEW_DRAWS = ("regime_draw", "snapback_draw")
"""Uniform draws that seed a sample's random path (regime transitions, a snap-back): one
episode's own luck, so a new episode draws them afresh (:func:`fit_frame`)."""
PARTICLES = "posterior_particles.npz"
"""File beside posterior_meta.json holding each hierarchical fit's particles (the
whitened coordinates, float16, one array per fit named by :func:`key`)."""


def key(fit: str) -> str:
    """A fit's array name in :data:`PARTICLES` (``:`` is not kept in names)."""
    return fit.replace(":", "__")


def fit_frame(prov: dict, u: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """(particles x inputs, equal weights) of a hierarchical fit's particles ``u``; its
    episodic inputs take a new episode's values (population mean and scale, a new
    deviation per particle from :func:`new_episode`), and :data:`NEW_DRAWS` new draws
    from their priors."""
    epi = list(prov.get("episodic", []))
    z = new_episode(int(prov["seed"]), len(u), len(epi))
    wide = inputs(prov["prior_rows"], prov["pooled"], np.asarray(u, dtype=float), epi,
                  list(prov.get("episode_order", [])), None, z)
    rng = np.random.default_rng(np.random.SeedSequence(int(prov["seed"]), spawn_key=(37,)))
    for r in prov["prior_rows"]:
        if r["name"] in NEW_DRAWS:
            wide[r["name"]] = _quantile(r, ndtri(rng.random(len(wide))))
    return wide, np.full(len(wide), 1.0 / max(len(wide), 1))


def borrow(table: pd.DataFrame, theta: dict, seed: int, start: int, stop: int,
           block: int) -> dict:
    """``theta`` with the pooled inputs of commodities it lacks (rows of ``table``) drawn
    from its shared means and scales: z from a stream per block and input name, so a
    sample's value never depends on chunking."""
    fams = {k[len(MU):] for k in theta if k.startswith(MU)}
    out = dict(theta)
    for r in table.itertuples(index=False):
        f = family(r.name)
        if r.scope == "ALL" or f not in fams or r.name in theta or r.dist != "uniform":
            continue
        z = []
        for b in range(start // block, -(-stop // block)):
            ss = np.random.SeedSequence(seed, spawn_key=(b, zlib.crc32(r.name.encode()), 17))
            e = np.random.default_rng(ss).standard_normal(block)
            lo, hi = max(start, b * block) - b * block, min(stop, (b + 1) * block) - b * block
            z.append(e[lo:hi])
        out[r.name] = pooled_value(theta[MU + f], theta[TAU + f], np.concatenate(z),
                                   r.low, r.high)
    return out


def prior_density(u: np.ndarray) -> np.ndarray:
    """log N(u; 0, I) per draw."""
    u = np.atleast_2d(u)
    return -0.5 * np.sum(u * u, axis=1) - 0.5 * u.shape[1] * np.log(2 * np.pi)


__all__ = ["EP_Z", "MU", "MU_SD", "NEW_DRAWS", "PARTICLES", "TAU", "TAU_MAX", "borrow",
           "coordinates", "fit_frame", "hyper", "inputs", "key", "new_episode", "pooled_value",
           "prior_density"]
