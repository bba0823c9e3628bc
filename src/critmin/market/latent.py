"""Latent inputs shared by every market model: the prior table (data table
``latent_priors.csv`` plus a model's per-commodity rows), block-seeded draws from such a
table (:func:`draws`, ``BLOCK`` samples per stream) and where a run's inputs come from
(priors or the shipped posterior, :mod:`critmin.market.posterior`)."""

from __future__ import annotations

import functools
import zlib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtri

BLOCK = 1024
"""Samples per random stream: block b draws from ``SeedSequence(seed, spawn_key=(b,))``."""

DEFAULT_INPUTS = {"v1": "posterior", "v2": "posterior"}
"""Where each model's latent inputs come from unless a run says otherwise: the variant
with the lower leave-one-episode-out CRPS in `critmin backtest` (docs/calibration.md,
1,000 samples, seed 0), as ``default_rule`` decides: v1's posterior (0.679) beats its
priors (0.690); v2.2's hierarchical posterior (refit of 7 Dec 2026 on 168 observations,
spun-up runs, 2,048 particles per fit) beats its priors out of sample, LOO CRPS 0.399 vs
0.406 (skill vs no change +0.473 vs +0.463), LOO 90 % coverage 85 %, P95/P5 3.47. Until
that refit v2's priors won (0.392 vs 0.414 on 158 observations)."""


def use_posterior(model: str, priors_only: bool | None) -> bool:
    """Whether a run of ``model`` samples its shipped posterior (``priors_only`` None:
    the model's default, :data:`DEFAULT_INPUTS`)."""
    if priors_only is None:
        return DEFAULT_INPUTS[model] == "posterior"
    return not priors_only


PRIOR_COLUMNS = ["name", "dist", "low", "high", "scope", "description", "source"]
DISTS = ("uniform", "loguniform", "normal")


def read_prior_table(path: Path) -> pd.DataFrame:
    """A table of shared latent inputs (model, name, dist, low, high, description,
    source), checked: one-line ValueError naming file, row, field and reason."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for i, r in df.iterrows():
        where = f"{path.name}:{i + 2}"
        if r["dist"] not in DISTS:
            raise ValueError(f"{where}: dist: {r['dist']!r} is not one of {', '.join(DISTS)}")
        try:
            low, high = float(r["low"]), float(r["high"])
        except ValueError as exc:
            raise ValueError(f"{where}: low/high: not numbers ({exc})") from None
        if not low < high:
            raise ValueError(f"{where}: low/high: low {r['low']} is not below high {r['high']}")
        if not r["source"].strip():
            raise ValueError(f"{where}: source: empty (every prior names its source)")
    return df.astype({"low": float, "high": float})


@functools.cache
def _shared_priors() -> pd.DataFrame:
    return read_prior_table(Path(str(resources.files("critmin.data") / "tables"
                                     / "latent_priors.csv")))


def prior_table(model: str, per_commodity: Sequence[dict] = ()) -> pd.DataFrame:
    """Latent inputs of ``model`` and their priors (columns :data:`PRIOR_COLUMNS`): the
    shared ones (scope ALL) in the order of latent_priors.csv, then ``per_commodity``
    rows (dicts with those columns). The order fixes the order of the draws."""
    shared = _shared_priors()
    rows = shared[shared["model"].eq(model)].assign(scope="ALL")[PRIOR_COLUMNS]
    return pd.concat([rows, pd.DataFrame(list(per_commodity), columns=PRIOR_COLUMNS)],
                     ignore_index=True)


def draw_block(table: pd.DataFrame, seed: int, block: int, n: int) -> dict:
    """Draws for samples [block*BLOCK, block*BLOCK + n): name -> (n,) array. Shared inputs
    come from the block's stream in table order; each per-commodity input from its own
    stream keyed by its name, so a commodity's draws do not depend on which other
    commodities a run includes."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
    out = {}
    for r in table.itertuples(index=False):
        if r.scope == "ALL":
            u = rng.random(BLOCK)[:n]
        else:
            own = np.random.SeedSequence(seed, spawn_key=(block, zlib.crc32(r.name.encode())))
            u = np.random.default_rng(own).random(BLOCK)[:n]
        if r.dist == "normal":  # low/high: the 2.5 % and 97.5 % quantiles
            out[r.name] = ((r.low + r.high) / 2
                           + (r.high - r.low) / 3.92 * ndtri(np.maximum(u, 1e-16)))
        elif r.dist == "loguniform":
            out[r.name] = np.exp(np.log(r.low) + u * (np.log(r.high) - np.log(r.low)))
        else:
            out[r.name] = r.low + u * (r.high - r.low)
    return out


def draws(table: pd.DataFrame, seed: int, start: int, stop: int,
          theta: dict | None = None) -> dict:
    """Draws for samples [start, stop) (``start`` a multiple of BLOCK); names in ``theta``
    (arrays over the same samples) replace the draws."""
    if start % BLOCK:
        raise ValueError(f"chunks must start at a multiple of {BLOCK} samples")
    parts = [draw_block(table, seed, b, min(BLOCK, stop - b * BLOCK))
             for b in range(start // BLOCK, -(-stop // BLOCK))]
    d = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    if theta:
        bad = sorted(set(theta) - set(d))
        if bad:
            raise ValueError(f"unknown v2 latent inputs: {', '.join(bad)}")
        for k, v in theta.items():
            v = np.asarray(v, dtype=float).reshape(-1)
            if v.shape[0] != stop - start:
                raise ValueError(f"theta[{k!r}] has {v.shape[0]} values for "
                                 f"{stop - start} samples")
            d[k] = v
    return d
