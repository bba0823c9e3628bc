"""Monthly paths of model v2 as an xarray Dataset, and its latent priors.

Variables (relative to the pre-scenario baseline unless named otherwise), dims in brackets:
``price_ex_china``, ``price_china`` [sample, month, commodity] at each commodity's headline
(last) stage; ``exports_china`` (t/yr) and ``exports_china_dest`` [.., region];
``shortfall`` [.., region] (share of use wanted at the pre-scenario price not met at the
headline stage: physical shortage plus demand given up at higher prices, as in v1);
``shortfall_physical`` [.., region] (share of use at the going price that buyers could not
get: physically short);
``cover_days`` [.., region] (commercial + government stocks, days of baseline use); and per
stage ``price_ex_china_stage``, ``price_china_stage`` [sample, month, commodity, stage],
``shortfall_stage`` [sample, month, commodity, stage, region] (physical shortfall per
stage; NaN where a commodity has no such stage).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from critmin.data.schemas import STAGES
from critmin.market.v2.kernel import Links, initial_state, links_of, params_from, step
from critmin.market.v2.network import REGIONS, MarketNetwork, build_market_network
from critmin.market.v2.policy import CompiledV2, compile_v2
from critmin.market.v2.priors import draws, latent_table

_CACHE: dict = {}


@dataclass
class Prepared:
    """Everything deterministic a run needs (small; sent once per chunk to workers)."""

    market: MarketNetwork
    links: Links
    compiled: CompiledV2
    latent: pd.DataFrame


def _market(net, commodities: tuple[str, ...] | None) -> MarketNetwork:
    key = ("market", id(net), commodities)
    if key not in _CACHE:
        _CACHE[key] = (net, build_market_network(net, list(commodities) if commodities
                                                 else None))
    return _CACHE[key][1]


def prepare(net, scenario, months: int = 24) -> Prepared:
    """Market network of the scenario's commodities (all when it lists none), compiled
    scenario and latent table."""
    full = _market(net, None)
    wanted = None
    if scenario.commodities:
        wanted = tuple(c for c in scenario.commodities if c in full.commodities)
        if not wanted:
            raise ValueError(f"scenario {scenario.id}: none of "
                             f"{', '.join(scenario.commodities)} has a v2 market baseline")
    m = full if wanted is None else _market(net, wanted)
    known = set(net.commodities["commodity"])
    return Prepared(market=m, links=links_of(m), compiled=compile_v2(m, scenario, months, known),
                    latent=latent_table(net, m.commodities))


def latent_priors(net, model: str = "v2") -> pd.DataFrame:
    """Latent inputs of v2 over every commodity with a v2 baseline: name, dist, low, high,
    scope, description, source."""
    return latent_table(net, _market(net, None).commodities)


def run_samples(prep: Prepared, d: dict, months: int, responses: bool = True,
                record=None) -> None:
    """Run the samples of draws ``d`` month by month; ``record(t, out)`` receives each
    month's outputs (see kernel.step)."""
    m, L, cp = prep.market, prep.links, prep.compiled
    k = params_from(d, m)
    S = k.cover.shape[0]
    s = initial_state(m, cp, k, L, S)
    for t in range(months):
        out = step(m, cp, k, L, s, t, responses)
        if record is not None:
            record(t, out)


def _restrict(theta: dict | None, table: pd.DataFrame) -> dict | None:
    """theta entries of this run's latent inputs (others belong to commodities not in it)."""
    if not theta:
        return theta
    names = set(table["name"])
    full_ok = {n for n in theta if n in names or ":" in n}
    bad = sorted(set(theta) - full_ok)
    if bad:
        raise ValueError(f"unknown v2 latent inputs: {', '.join(bad)}")
    return {n: v for n, v in theta.items() if n in names}


def simulate_paths(net, scenario, *, samples: int, seed: int, months: int = 24,
                   model: str = "v2", theta: dict | None = None,
                   priors_only: bool = False) -> xr.Dataset:
    """Monthly paths of ``scenario`` for ``samples`` samples (module notes list the
    variables). Without ``theta``, draws come from the priors (model v2 ships no posterior
    until ``critmin calibrate`` writes one; then it is used unless ``priors_only``)."""
    if samples < 1 or months < 1:
        raise ValueError("samples and months must be at least 1")
    prep = prepare(net, scenario, months)
    if theta is None and not priors_only:
        theta = _posterior(samples, seed)
    d = draws(prep.latent, seed, 0, samples, _restrict(theta, prep.latent))
    m = prep.market
    C, N, R = len(m.commodities), m.n, len(REGIONS)
    hl = m.headline
    f32 = np.float32
    keys = ("pX", "pC", "exports", "exports_dest", "shortfall", "phys", "cover")
    buf = {k: [] for k in keys}

    def record(t, out):
        buf["pX"].append(np.exp(out["pX"]).astype(f32))
        buf["pC"].append(np.exp(out["pC"]).astype(f32))
        buf["exports"].append(out["exports"][:, hl].astype(f32))
        buf["exports_dest"].append(out["exports_dest"][:, hl].astype(f32))
        buf["shortfall"].append(out["shortfall"][:, hl].astype(f32))
        buf["phys"].append(out["short_physical"].astype(f32))
        buf["cover"].append(out["cover"][:, hl].astype(f32))

    run_samples(prep, d, months, record=record)
    st = {k: np.stack(v, axis=1) for k, v in buf.items()}  # (S, H, ...)
    stage_ix = {s: i for i, s in enumerate(STAGES)}
    node_stage = np.array([stage_ix[nd.stage] for nd in m.nodes])

    def by_stage(a):  # (S, H, N, ...) -> (S, H, C, K, ...)
        out = np.full(a.shape[:2] + (C, len(STAGES)) + a.shape[3:], np.nan, dtype=f32)
        out[:, :, m.node_commodity, node_stage] = a
        return out

    dims3 = ("sample", "month", "commodity")
    ds = xr.Dataset(
        {"price_ex_china": (dims3, st["pX"][:, :, hl]),
         "price_china": (dims3, st["pC"][:, :, hl]),
         "exports_china": (dims3, np.maximum(st["exports"], 0)),
         "exports_china_dest": ((*dims3, "region"), st["exports_dest"]),
         "shortfall": ((*dims3, "region"), st["shortfall"]),
         "shortfall_physical": ((*dims3, "region"), st["phys"][:, :, hl]),
         "cover_days": ((*dims3, "region"), st["cover"]),
         "price_ex_china_stage": ((*dims3, "stage"), by_stage(st["pX"])),
         "price_china_stage": ((*dims3, "stage"), by_stage(st["pC"])),
         "shortfall_stage": ((*dims3, "stage", "region"), by_stage(st["phys"]))},
        coords={"sample": np.arange(samples), "month": np.arange(months),
                "commodity": list(m.commodities), "region": list(REGIONS),
                "stage": list(STAGES)},
        attrs={"model": "v2", "scenario": scenario.id, "seed": seed,
               "headline_stage": ",".join(m.nodes[i].stage for i in hl),
               "note": "prices relative to baseline; exports t/yr; month 0 = the "
                       "scenario's start month"})
    ds["exports_china_base"] = (("commodity",), np.maximum(
        m.prod0[hl, REGIONS.index("CHN")] - m.use0[hl, REGIONS.index("CHN")], 0.0))
    ds["exports_china_dest_base"] = (("commodity", "region"), m.dest0[hl])
    return ds


def _posterior(samples: int, seed: int) -> dict | None:
    """Posterior draws for v2 where critmin calibrate has shipped them, else None."""
    try:
        from critmin.calibrate.posterior import posterior_theta
    except ImportError:
        return None
    try:
        return posterior_theta("v2", samples, seed)
    except (FileNotFoundError, KeyError, ValueError, LookupError):
        return None
