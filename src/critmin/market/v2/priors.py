"""Latent inputs of model v2, their priors, block-seeded draws and ``theta`` overrides.

Every sampled input is either shared (scope ALL: one value per sample for every commodity
and episode, e.g. how Chinese licensing behaves) or per commodity (``name:commodity``).
Draws come in blocks of ``BLOCK`` samples, block b from ``SeedSequence(seed,
spawn_key=(b,))``, drawn in the fixed order of :data:`SHARED` then :data:`PER_COMMODITY`,
so the numbers of sample i never depend on chunking or executor.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from critmin.simulate.engine import BLOCK

# name, dist, low, high, description, source
SHARED = (
    ("licence_approval", "uniform", 0.2, 0.95,
     "long-run share of civilian licence applications approved where the regime announces "
     "no rate (shared across commodities and episodes)",
     "prior; learned by critmin calibrate from the training episodes"),
    ("refusal_factor", "uniform", 0.6, 1.4,
     "factor on refusals: approval in force = 1 - (1 - announced approval) x factor, so "
     "an announced 100 % stays 100 %", "prior"),
    ("freeze_share", "uniform", 0.0, 1.5,
     "freeze after a licensing regime starts, in units of the announced processing time",
     "prior; MOFCOM's statutory review time is 45 working days"),
    ("ramp_share", "uniform", 0.5, 4.0,
     "time for approvals to ramp to their long-run share after the first processing "
     "time, in units of the announced processing time", "prior"),
    ("leakage", "uniform", 0.0, 0.4,
     "share of blocked Chinese flow reaching its target through third countries",
     "prior (v1 presets used 0.2)"),
    ("mobility", "uniform", 0.2, 0.9,
     "share of a destination's lost Chinese supply that other ex-China supply re-routes "
     "to it within the month", "prior"),
    ("defence_share", "uniform", 0.02, 0.12,
     "share of each importer's demand from defence end users (refused where announced)",
     "prior"),
    ("snapback_prob", "uniform", 0.3, 0.9,
     "probability that a suspended control returns at the end of its suspension",
     "prior"),
    ("snapback_delay_months", "uniform", 0.0, 6.0,
     "months after a suspension window closes until a snap-back takes effect", "prior"),
    ("snapback_draw", "uniform", 0.0, 1.0,
     "uniform draw: a suspended control snaps back where it is below snapback_prob",
     "auxiliary draw"),
    ("cover_days", "uniform", 20.0, 75.0,
     "commercial stocks held by buyers at every stage, days of use at baseline",
     "prior: industry holds weeks to a few months of minor metals and concentrates"),
    ("stock_adjust_months", "uniform", 2.0, 6.0,
     "months over which buyers close the gap between target and actual stocks", "prior"),
    ("cover_price_sensitivity", "uniform", 0.5, 3.0,
     "eta: target stocks scale with price^-eta (buyers run stocks down when prices jump)",
     "prior"),
    ("precaution", "uniform", 0.0, 0.6,
     "extra target cover (share) ex-China buyers seek once a restrictive control is "
     "announced", "prior"),
    ("destruction_curvature", "uniform", 0.1, 0.8,
     "kappa: demand elasticity rises by kappa per unit of log price above baseline "
     "(thrifting, substitution)", "prior"),
    ("adjustment_months", "uniform", 12.0, 48.0,
     "time constant from short- to long-run elasticities, months",
     "parameters table adjustment_quarters (4-16 quarters)"),
    ("restart_months", "uniform", 3.0, 12.0,
     "months to restart idle by-product recovery capacity once a restrictive control is "
     "announced or an outage hits", "prior"),
    ("idle_recovery_share", "uniform", 0.0, 0.15,
     "idle ex-China by-product recovery capacity as a share of world output, where the "
     "recovery_capacity table gives none", "prior"),
    ("fill_shift_USA", "uniform", -0.3, 0.3, "shift of the U.S. stockpile fill rate",
     "prior"),
    ("fill_shift_JPN", "uniform", -0.3, 0.3, "shift of Japan's stockpile fill rate",
     "prior"),
)
PER_COMMODITY = ("demand_elasticity_sr", "demand_elasticity_lr", "supply_elasticity_sr",
                 "supply_elasticity_lr")


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
    """name, dist, low, high, scope, description, source for every latent input."""
    rows = [dict(name=n, dist=d, low=lo, high=hi, scope="ALL", description=desc, source=s)
            for n, d, lo, hi, desc, s in SHARED]
    el = elasticity_ranges(net, commodities)
    for name in PER_COMMODITY:
        lo, hi = el[name]
        for k, c in enumerate(commodities):
            rows.append(dict(name=f"{name}:{c}", dist="uniform", low=float(lo[k]),
                             high=float(hi[k]), scope=c,
                             description=f"{c}: {name.replace('_', ' ')} (long-run values "
                                         "below the short-run draw are raised to it)",
                             source="parameters table (commodity row, else ALL)"))
    return pd.DataFrame(rows)


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
        if r.dist == "loguniform":
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
