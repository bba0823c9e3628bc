"""Latent inputs of model v2, their priors, block-seeded draws and ``theta`` overrides.

Every sampled input is either shared (scope ALL: one value per sample for every commodity
and episode, e.g. how Chinese licensing behaves) or per commodity (``name:commodity``).
Draws come in blocks of ``BLOCK`` samples, block b from ``SeedSequence(seed,
spawn_key=(b,))``, drawn in the fixed order of the shared inputs (data table
``latent_priors.csv``, model v2, with their sources) then :data:`PER_COMMODITY`, so the
numbers of sample i never depend on chunking or executor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmin.market.latent import draw_block, draws, prior_table

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


def per_commodity(d: dict, name: str, commodities: tuple[str, ...]) -> np.ndarray:
    """(S, C) array of a per-commodity latent input."""
    return np.column_stack([d[f"{name}:{c}"] for c in commodities])


__all__ = ["PERSIST_Z", "PER_COMMODITY", "draw_block", "draws", "elasticity_ranges",
           "latent_table", "per_commodity"]
