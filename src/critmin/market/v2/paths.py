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
from critmin.market.latent import use_posterior
from critmin.market.posterior import posterior_inputs
from critmin.market.v2.kernel import Links, initial_state, links_of, params_from, step
from critmin.market.v2.lanes import run_months
from critmin.market.v2.network import REGIONS, MarketNetwork, build_market_network
from critmin.market.v2.packed import net_arrays, par_arrays, scen_arrays
from critmin.market.v2.policy import CompiledV2, compile_v2, gov_stocks
from critmin.market.v2.priors import draws, latent_table
from critmin.scenarios.spec import Scenario

_CACHE: dict = {}


@dataclass
class Prepared:
    """Everything deterministic a run needs (small; sent once per chunk to workers)."""

    market: MarketNetwork  # the nodes simulated: commodities a shock reaches
    links: Links
    compiled: CompiledV2
    latent: pd.DataFrame
    full: MarketNetwork  # every commodity of the run (the others stay at baseline)
    scenario: Scenario
    cols: np.ndarray  # (C_market,) index of each simulated commodity in ``full``


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
    mw = full if wanted is None else _market(net, wanted)
    known = set(net.commodities["commodity"])
    compiled = compile_v2(mw, scenario, months, known)  # validates every commodity named
    active = reached(mw, scenario)
    m = mw
    if active and len(active) < len(mw.commodities):  # simulate only what a shock reaches
        m = _market(net, active)
        compiled = compile_v2(m, scenario, months, known)
    return Prepared(market=m, links=links_of(m), compiled=compiled,
                    latent=latent_table(net, m.commodities), full=mw, scenario=scenario,
                    cols=np.array([mw.commodities.index(c) for c in m.commodities]))


def reached(m: MarketNetwork, scenario) -> tuple[str, ...]:
    """Commodities of ``m`` that a shock of the scenario reaches: named by a control, outage,
    capacity addition or demand shock, closed over bills of materials (inputs and products
    of one product move together) and by-product hosts. The others stay exactly at their
    baseline (no stock release or response rule acts without a disruption), so a run
    simulates only these and fills the rest (same draws: per-commodity streams)."""
    names = set()
    for c in scenario.controls:
        names |= set(c.commodities)
    names |= {o.commodity for o in scenario.outages}
    names |= {q.commodity for q in scenario.production_quotas}
    names |= {q.commodity for q in scenario.mine_quotas}
    names |= {a.commodity for a in scenario.capacity}
    names |= {d.commodity for d in scenario.demand_shocks}
    names |= {t.commodity for t in scenario.tariffs}
    if "ALL" in names:
        return m.commodities
    idx = {m.node_commodity[i] for i, nd in enumerate(m.nodes) if nd.commodity in names}
    links = []
    for d in range(m.n):
        for u in m.inputs[d]:
            if u >= 0:
                links.append((m.node_commodity[u], m.node_commodity[d], True))
        for h in m.hosts[d]:
            if h < m.n:
                links.append((m.node_commodity[h], m.node_commodity[d], False))
    grew = True
    while grew:
        n0 = len(idx)
        for a, b, both in links:
            if a in idx:
                idx.add(b)
            if both and b in idx:
                idx.add(a)
        grew = len(idx) > n0
    return tuple(c for k, c in enumerate(m.commodities) if k in idx)


def latent_priors(net, model: str = "v2") -> pd.DataFrame:
    """Latent inputs of v2 over every commodity with a v2 baseline: name, dist, low, high,
    scope, description, source."""
    return latent_table(net, _market(net, None).commodities)


def run_samples(prep: Prepared, d: dict, months: int, responses: bool = True,
                record=None) -> None:
    """Run the samples of draws ``d`` month by month through the compiled month
    (:mod:`critmin.market.v2.lanes`); ``record(t, out)`` receives each month's outputs
    (the keys of kernel.step; arrays are reused between months, copy what you keep)."""
    m = prep.market
    k = params_from(d, m)
    run_months(net_arrays(m, prep.links), scen_arrays(m, prep.compiled, responses),
               par_arrays(k), k.cover.shape[0], months, record)


def run_reference(prep: Prepared, d: dict, months: int, responses: bool = True,
                  record=None) -> None:
    """As :func:`run_samples` through the NumPy array form (kernel.step): the reference
    the benchmark and the tests compare the compiled month against."""
    m, L, cp = prep.market, prep.links, prep.compiled
    k = params_from(d, m)
    s = initial_state(m, cp, k, L, k.cover.shape[0])
    for t in range(months):
        out = step(m, cp, k, L, s, t, responses)
        if record is not None:
            record(t, out)


def restrict_theta(theta: dict | None, table: pd.DataFrame) -> dict | None:
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
                   priors_only: bool | None = None) -> xr.Dataset:
    """Monthly paths of ``scenario`` for ``samples`` samples (module notes list the
    variables). Without ``theta``, draws come from the priors (v2's default inputs,
    :data:`critmin.market.latent.DEFAULT_INPUTS`) or, with ``priors_only`` False, from
    the shipped v2 posterior resampled as a sweep's chunks resample it (the same samples
    as ``critmin simulate --posterior``)."""
    if samples < 1 or months < 1:
        raise ValueError("samples and months must be at least 1")
    prep = prepare(net, scenario, months)
    if theta is None and use_posterior("v2", priors_only):
        theta = posterior_theta(seed, 0, samples, prep.latent)
    d = draws(prep.latent, seed, 0, samples, restrict_theta(theta, prep.latent))
    m, full = prep.market, prep.full
    S, H, R = samples, months, len(REGIONS)
    f32 = np.float32
    base = baseline_arrays(prep, d, S)
    hl = m.headline
    nodes = node_map(prep)  # simulated node -> node of ``full``
    st = {"pX": np.ones((S, H, full.n), f32), "pC": np.ones((S, H, full.n), f32),
          "phys": np.zeros((S, H, full.n, R), f32),
          "exports": np.broadcast_to(base["exports"], (S, H, *base["exports"].shape)).copy(),
          "exports_dest": np.broadcast_to(base["exports_dest"],
                                          (S, H, *base["exports_dest"].shape)).copy(),
          "exports_rec": np.broadcast_to(base["exports"], (S, H, *base["exports"].shape)).copy(),
          "exports_dest_rec": np.broadcast_to(base["exports_dest"],
                                              (S, H, *base["exports_dest"].shape)).copy(),
          "shortfall": np.zeros((S, H, len(full.commodities), R), f32),
          "cover": np.repeat(base["cover"][:, None], H, axis=1)}
    cols = prep.cols

    def record(t, out):
        st["pX"][:, t, nodes] = np.exp(out["pX"])
        st["pC"][:, t, nodes] = np.exp(out["pC"])
        st["exports"][:, t, cols] = out["exports"][:, hl]
        st["exports_dest"][:, t, cols] = out["exports_dest"][:, hl]
        st["exports_rec"][:, t, cols] = out["exports_recorded"][:, hl]
        st["exports_dest_rec"][:, t, cols] = out["exports_dest_recorded"][:, hl]
        st["shortfall"][:, t, cols] = out["shortfall"][:, hl]
        st["phys"][:, t, nodes] = out["short_physical"]
        st["cover"][:, t, cols] = out["cover"][:, hl]

    run_samples(prep, d, months, record=record)
    fhl = full.headline
    stage_ix: dict[str, int] = {s: i for i, s in enumerate(STAGES)}
    node_stage = np.array([stage_ix[nd.stage] for nd in full.nodes])
    C = len(full.commodities)

    def by_stage(a):  # (S, H, N, ...) -> (S, H, C, K, ...)
        out = np.full((*a.shape[:2], C, len(STAGES), *a.shape[3:]), np.nan, dtype=f32)
        out[:, :, full.node_commodity, node_stage] = a
        return out

    dims3 = ("sample", "month", "commodity")
    ds = xr.Dataset(
        {"price_ex_china": (dims3, st["pX"][:, :, fhl]),
         "price_china": (dims3, st["pC"][:, :, fhl]),
         "exports_china": (dims3, np.maximum(st["exports"], 0).astype(f32)),
         "exports_china_dest": ((*dims3, "region"), st["exports_dest"].astype(f32)),
         "exports_china_recorded": (dims3, np.maximum(st["exports_rec"], 0).astype(f32)),
         "exports_china_dest_recorded": ((*dims3, "region"),
                                         st["exports_dest_rec"].astype(f32)),
         "shortfall": ((*dims3, "region"), st["shortfall"]),
         "shortfall_physical": ((*dims3, "region"), st["phys"][:, :, fhl]),
         "cover_days": ((*dims3, "region"), st["cover"].astype(f32)),
         "price_ex_china_stage": ((*dims3, "stage"), by_stage(st["pX"])),
         "price_china_stage": ((*dims3, "stage"), by_stage(st["pC"])),
         "shortfall_stage": ((*dims3, "stage", "region"), by_stage(st["phys"]))},
        coords={"sample": np.arange(samples), "month": np.arange(months),
                "commodity": list(full.commodities), "region": list(REGIONS),
                "stage": list(STAGES)},
        attrs={"model": "v2", "scenario": scenario.id, "seed": seed,
               "headline_stage": ",".join(full.nodes[i].stage for i in fhl),
               "simulated": ",".join(m.commodities),
               "note": "prices relative to baseline; exports t/yr; month 0 = the "
                       "scenario's start month; commodities no shock reaches stay at "
                       "their baseline"})
    ds["exports_china_base"] = (("commodity",), base["exports"])
    ds["exports_china_dest_base"] = (("commodity", "region"), base["exports_dest"])
    return ds


def node_map(prep: Prepared) -> np.ndarray:
    """(N_market,) index in ``prep.full`` of each simulated node."""
    where = {(nd.commodity, nd.stage): i for i, nd in enumerate(prep.full.nodes)}
    return np.array([where[(nd.commodity, nd.stage)] for nd in prep.market.nodes])


def baseline_arrays(prep: Prepared, d: dict, S: int) -> dict:
    """Baseline values of every commodity of ``prep.full`` at its headline stage: China's
    net exports (C,), by destination (C, R), and stock cover in days (S, C, R) from the
    draws (:func:`baseline_cover`)."""
    full = prep.full
    hl = full.headline
    c_idx = REGIONS.index("CHN")
    exports = np.maximum(full.prod0[hl, c_idx] - full.use0[hl, c_idx], 0.0)
    return {"exports": exports, "exports_dest": full.dest0[hl],
            "cover": baseline_cover(prep, d, S, REGIONS)}


def baseline_cover(prep: Prepared, d: dict, S: int, regions) -> np.ndarray:
    """(S, C, len(regions)) stock cover in days of every commodity of ``prep.full`` at its
    headline stage: commercial cover plus government stocks at their drawn fill; NaN where
    a region uses none."""
    full = prep.full
    hl = full.headline
    gd = gov_stocks(full, prep.scenario)
    ri = [REGIONS.index(r) for r in regions]
    gf = gd["gov_fill"][ri][None]
    shift = np.column_stack([d.get(f"fill_shift_{r}", np.zeros(S)) if r in ("USA", "JPN")
                             else np.zeros(S) for r in regions])  # (S, len(regions))
    fill = np.clip(gf + shift * (gf > 0), 0, 1)
    cover = (np.asarray(d["cover_days"])[:, None, None]
             + gd["gov_days"][hl][:, ri][None] * fill[:, None, :])
    return np.where(full.use0[hl][:, ri][None] > 0, cover, np.nan)


def posterior_theta(seed: int, start: int, stop: int, table=None) -> dict | None:
    """Draws of samples [start, stop) from the shipped v2 posterior, resampled per block
    of samples (a sample's draw does not depend on chunking); None when none is shipped."""
    post = posterior_inputs("v2")
    return None if post is None else post.theta(seed, start, stop, table)
