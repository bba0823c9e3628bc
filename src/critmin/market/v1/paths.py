"""Model v1's monthly paths and latent inputs: the quarterly engine
(:mod:`critmin.market.v1.engine`) behind the model contract, each quarter's value repeated
over its three months; ``theta`` (latent input name -> (samples,) array) replaces the
engine's own draws."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import xarray as xr

from critmin.market.baseline import build_baseline
from critmin.market.latent import prior_table, use_posterior
from critmin.market.posterior import posterior_inputs
from critmin.market.v1.compile import compile_scenario
from critmin.market.v1.engine import draws_for, priors_from, run
from critmin.scenarios.spec import Scenario

V1_REGIONS = ("USA", "JPN", "ROW", "CHN")
Z_PREFIX = "demand_lr_z:"
"""Per-commodity standard-normal deviation of the log demand factor (hierarchical)."""


def latent_priors(net) -> pd.DataFrame:
    """Latent inputs of v1 and their priors (columns of
    :data:`critmin.market.latent.PRIOR_COLUMNS`)."""
    return prior_table("v1", [
        dict(name=Z_PREFIX + c, dist="normal", low=-1.96, high=1.96, scope=c,
             description=f"{c}: deviation of the log demand factor, in units of "
                         "demand_lr_spread", source="prior")
        for c in _baseline(net).commodities])


def simulate_paths(net, scenario, *, samples: int, seed: int, months: int = 24,
                   theta: dict[str, np.ndarray] | None = None,
                   priors_only: bool | None = None) -> xr.Dataset:
    """Monthly paths of ``scenario`` (see :mod:`critmin.simulate.paths`); without ``theta``
    the shipped v1 posterior unless ``priors_only``."""
    if theta is None and use_posterior("v1", priors_only):
        post = posterior_inputs("v1")
        theta = None if post is None else post.theta(seed, 0, samples)
    return _simulate_v1(net, scenario, samples, seed, months, theta)


def market_commodities(net, scenario: Scenario, have: tuple[str, ...]) -> list[str] | None:
    """The scenario's commodities among ``have`` (those with a market baseline), plus
    inputs of listed products; None (all) when the scenario lists none."""
    if not scenario.commodities:
        return None
    wanted = [c for c in scenario.commodities if c in have]
    inputs = net.bom[net.bom["product"].isin(wanted)]["input"]
    wanted += [c for c in inputs if c in have and c not in wanted]
    if not wanted:
        raise ValueError(f"scenario {scenario.id}: none of {', '.join(scenario.commodities)} "
                         "has a market baseline (world output and price)")
    return wanted


_CACHE: dict = {}


def _baseline(net):
    key = ("baseline", id(net))
    if key not in _CACHE:
        _CACHE[key] = (net, build_baseline(net))
    return _CACHE[key][1]


def prepare_v1(net, scenario, months: int):
    """(baseline, compiled, priors) of a scenario for the v1 engine, cached per network."""
    h = math.ceil(months / 3)
    key = ("v1", id(net), scenario.model_dump_json(), h)
    if key not in _CACHE:
        full = _baseline(net)
        wanted = market_commodities(net, scenario, full.commodities)
        base = full if wanted is None else full.select(wanted)
        compiled = compile_scenario(scenario, base, net, h)
        _CACHE[key] = (net, (base, compiled, priors_from(net, base, calibrated=False)))
    return _CACHE[key][1]


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def apply_theta_v1(d: dict, theta: dict, compiled, baseline, priors) -> tuple[dict, object]:
    """Engine draws and compiled scenario with the latent inputs in ``theta`` (arrays of
    shape (S,)) replacing the engine's own draws; names not in ``theta`` keep them."""
    d = dict(d)
    S = d["tau"].shape[0]
    col = {k: np.asarray(v, dtype=float).reshape(S, 1) for k, v in theta.items()}
    commodities = baseline.commodities
    if "demand_lr_scale" in col or Z_PREFIX + commodities[0] in col:
        z = np.column_stack([col.get(Z_PREFIX + c, np.zeros((S, 1)))[:, 0]
                             for c in commodities])
        spread = col.get("demand_lr_spread", np.zeros((S, 1)))
        scale = col.get("demand_lr_scale", np.ones((S, 1))) * np.exp(spread * z)
        lo, hi = priors.elasticity["demand_elasticity_lr"]
        d["demand_elasticity_lr"] = scale * (lo + hi) / 2
    if "supply_lr_scale" in col:
        lo, hi = priors.elasticity["supply_elasticity_lr"]
        d["supply_elasticity_lr"] = col["supply_lr_scale"] * (lo + hi) / 2
    for kind in ("demand", "supply"):
        if f"{kind}_sr_share" in col:
            d[f"{kind}_elasticity_sr"] = col[f"{kind}_sr_share"] * d[f"{kind}_elasticity_lr"]
    if "adjustment_months" in col:
        d["tau"] = col["adjustment_months"] / 3.0
    for name in ("leakage_scale", "duration_scale", "choke", "china_floor"):
        if name in col:
            d[name] = col[name]
    if "export_share_q" in col:
        lo, hi = priors.export_share
        d["export_share"] = lo + col["export_share_q"] * (hi - lo)
    for k, r in enumerate(("USA", "JPN")):
        if f"fill_shift_{r}" in col:
            d["fill_scale"] = d["fill_scale"].copy()
            d["fill_scale"][:, k] = col[f"fill_shift_{r}"][:, 0]
    if "approval_logit_shift" in col:
        shift = col["approval_logit_shift"]
        controls = []
        for t in compiled.controls:
            if t.kind == "licence_required" and 0 < t.approval < 1:
                a = 1 / (1 + np.exp(-(_logit(t.approval) + shift)))
                t = dataclasses.replace(t, approval=a)
            elif t.kind == "licence_required" and t.approval == 0:
                t = dataclasses.replace(t, approval=np.zeros((S, 1)))
            controls.append(t)
        compiled = dataclasses.replace(compiled, controls=controls)
        d["approval_scale"] = np.ones((S, 1))
    return d, compiled


def _simulate_v1(net, scenario, samples: int, seed: int, months: int,
                 theta: dict | None) -> xr.Dataset:
    base, compiled, priors = prepare_v1(net, scenario, months)
    d = draws_for(priors, compiled, seed, 0, samples)
    if theta:
        bad = sorted(set(theta) - set(latent_priors(net)["name"]))
        if bad:
            raise ValueError(f"unknown v1 latent inputs: {', '.join(bad)}")
        d, compiled = apply_theta_v1(d, theta, compiled, base, priors)
    out = run(compiled, base, d, responses=True, n_paths=samples)
    p = out.paths
    month_q = np.arange(months) // 3  # each quarter's value over its three months

    def monthly(a):
        return a[:, month_q, :]

    exports = monthly(p["exports_china"])
    dest = base.dest_share  # (C, 3) USA, JPN, ROW
    short = np.stack([monthly(p[f"shortfall_{r}"]) for r in V1_REGIONS], axis=-1)
    coords = {"sample": np.arange(samples), "month": np.arange(months),
              "commodity": list(base.commodities), "region": list(V1_REGIONS)}
    price_x = monthly(p["price_x"])
    n0 = base.col("world_output_t") * np.nan_to_num(base.col("china_share")) \
        * d["export_share"]  # (S, C) China's pre-scenario net exports, t/yr
    return xr.Dataset(
        {"price_ex_china": (("sample", "month", "commodity"), price_x),
         "price_china": (("sample", "month", "commodity"), price_x / monthly(p["price_ratio"])),
         "exports_china": (("sample", "month", "commodity"), exports),
         "exports_china_dest": (("sample", "month", "commodity", "region"),
                                np.concatenate([exports[..., None] * dest[None, None],
                                                np.full((*exports.shape, 1), np.nan)],
                                               axis=-1)),
         "shortfall": (("sample", "month", "commodity", "region"), short),
         "exports_china_base": (("sample", "commodity"), n0),
         "exports_china_dest_base": (("sample", "commodity", "region"), np.concatenate(
             [n0[..., None] * dest[None], np.full((*n0.shape, 1), np.nan)], axis=-1))},
        coords=coords,
        attrs={"model": "v1", "scenario": scenario.id, "seed": seed,
               "note": "v1 is quarterly (values repeated over each quarter's months); "
                       "exports by destination follow baseline shares"})
