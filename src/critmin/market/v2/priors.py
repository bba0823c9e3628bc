"""Latent inputs of model v2, their priors, block-seeded draws and ``theta`` overrides.

Every sampled input is either shared (scope ALL: one value per sample for every commodity
and episode, e.g. how Chinese licensing behaves) or per commodity (``name:commodity``).
Draws come in blocks of ``BLOCK`` samples, block b from ``SeedSequence(seed,
spawn_key=(b,))``, drawn in the fixed order of the shared inputs (data table
``latent_priors.csv``, model v2, with their sources) then :data:`PER_COMMODITY`, so the
numbers of sample i never depend on chunking or executor.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
from scipy.special import ndtri

from critmin.simulate.engine import BLOCK

PER_COMMODITY = ("demand_elasticity_sr", "demand_elasticity_lr", "supply_elasticity_sr",
                 "supply_elasticity_lr")
PERSIST_Z = "licence_persistence_z"
"""Per-commodity standard-normal deviation of the log licence persistence (hierarchical:
persistence of commodity c = licence_persistence ^ exp(-persistence_spread x z_c))."""


def elasticity_ranges(net, commodities: tuple[str, ...]) -> dict[str, tuple]:
    """(low (C,), high (C,)) per elasticity from the parameters table (commodity rows,
    else ALL rows; +-50 % where a row has no range)."""
    p = net.parameters.set_index(["scope", "parameter"])
    out = {}
    for name in PER_COMMODITY:
        lo, hi = [], []
        for c in commodities:
            row = p.loc[(c, name) if (c, name) in p.index else ("ALL", name)]
            v = float(row["value"])
            lo.append(float(row["low"]) if pd.notna(row["low"]) else 0.5 * v)
            hi.append(float(row["high"]) if pd.notna(row["high"]) else 1.5 * v)
        out[name] = (np.array(lo), np.array(hi))
    return out


def latent_table(net, commodities: tuple[str, ...]) -> pd.DataFrame:
    """name, dist, low, high, scope, description, source for every latent input: the
    shared ones of latent_priors.csv (model v2), then the per-commodity elasticities and
    licence-persistence deviations."""
    from critmin.simulate.paths import prior_table

    el = elasticity_ranges(net, commodities)
    rows = [
        dict(name=f"{name}:{c}", dist="uniform", low=float(el[name][0][k]),
             high=float(el[name][1][k]), scope=c,
             description=f"{c}: {name.replace('_', ' ')} (long-run values below the "
                         "short-run draw are raised to it)",
             source="parameters table (commodity row, else ALL)")
        for name in PER_COMMODITY for k, c in enumerate(commodities)]
    rows += [dict(name=f"{PERSIST_Z}:{c}", dist="normal", low=-1.96, high=1.96, scope=c,
                  description=f"{c}: deviation of the log licence persistence, in units "
                              "of persistence_spread", source="prior (hierarchical)")
             for c in commodities]
    return prior_table("v2", rows)


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
            z = ndtri(np.maximum(u, 1e-16))
            out[r.name] = (r.low + r.high) / 2 + (r.high - r.low) / 3.92 * z
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


def per_commodity(d: dict, name: str, commodities: tuple[str, ...]) -> np.ndarray:
    """(S, C) array of a per-commodity latent input."""
    return np.column_stack([d[f"{name}:{c}"] for c in commodities])
