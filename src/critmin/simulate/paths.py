"""Monthly model paths behind one interface, for calibration, backtests and sensitivity.

``simulate_paths(net, scenario, samples=, seed=, months=, model=, theta=, priors_only=)``
returns an :class:`xarray.Dataset` with dims ``sample``, ``month`` (0 = the scenario's
start month) and ``commodity`` (plus ``region`` where relevant). Prices are relative to
the pre-scenario baseline; exports are t per year.

``theta`` maps latent input names (see :func:`latent_priors`) to arrays of shape
(samples,) that replace the model's own draws, so one call evaluates many parameter
vectors at once (one particle per sample). Without ``theta`` the samples come from the
model's default inputs (:data:`DEFAULT_INPUTS`: v1 its shipped posterior, v2 its priors);
``priors_only`` True samples the priors, False the shipped posterior (the priors where
none is shipped).

model="v1" adapts the quarterly engine (:mod:`critmin.simulate.engine`): each quarter's
value is repeated over its three months. model="v2" hands over to
:mod:`critmin.market.v2`, which has the same two functions.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from importlib import import_module, resources
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from critmin.market.registry import DEFAULT_MODEL, MODELS

V1_REGIONS = ("USA", "JPN", "ROW", "CHN")

Z_PREFIX = "demand_lr_z:"
"""Per-commodity standard-normal deviation of the log demand factor (hierarchical)."""


DEFAULT_INPUTS = {"v1": "posterior", "v2": "priors"}
"""Where each model's latent inputs come from unless a run says otherwise: the variant
with the lower leave-one-episode-out CRPS in `critmin backtest` (docs/calibration.md,
1,000 samples): v1's posterior (0.679) beats its priors (0.690); v2.1's priors (0.480 on
the 85 scored observations, 90 % coverage 92 %) beat its history-matched leave-one-out
posterior (0.486, 81 %; on the earlier 64 observations the posterior won, 0.510 vs 0.515)."""


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


def prior_table(model: str, per_commodity: list[dict] = ()) -> pd.DataFrame:
    """Latent inputs of ``model`` and their priors (columns :data:`PRIOR_COLUMNS`): the
    shared ones (scope ALL) in the order of latent_priors.csv, then ``per_commodity``
    rows (dicts with those columns). The order fixes the order of the draws."""
    shared = _shared_priors()
    rows = shared[shared["model"].eq(model)].assign(scope="ALL")[PRIOR_COLUMNS]
    return pd.concat([rows, pd.DataFrame(list(per_commodity), columns=PRIOR_COLUMNS)],
                     ignore_index=True)


def latent_priors(net, model: str = DEFAULT_MODEL) -> pd.DataFrame:
    """Latent inputs and their priors: name, dist (uniform | loguniform | normal; for
    normal, low/high are the 2.5 % and 97.5 % quantiles), low, high, scope (ALL or a
    commodity), description, source."""
    if model == "v2":
        return _v2().latent_priors(net, model)
    _check_model(model)
    return prior_table("v1", [
        dict(name=Z_PREFIX + c, dist="normal", low=-1.96, high=1.96, scope=c,
             description=f"{c}: deviation of the log demand factor, in units of "
                         "demand_lr_spread", source="prior")
        for c in _baseline(net).commodities])


def simulate_paths(net, scenario, *, samples: int, seed: int, months: int = 24,
                   model: str = DEFAULT_MODEL, theta: dict[str, np.ndarray] | None = None,
                   priors_only: bool | None = None) -> xr.Dataset:
    """Monthly paths of ``scenario`` for ``samples`` samples (see the module notes)."""
    if samples < 1 or months < 1:
        raise ValueError("samples and months must be at least 1")
    if model == "v2":
        return _v2().simulate_paths(net, scenario, samples=samples, seed=seed, months=months,
                                    model=model, theta=theta, priors_only=priors_only)
    _check_model(model)
    if theta is None and use_posterior(model, priors_only):
        post = posterior_inputs(model)
        theta = None if post is None else post.theta(seed, 0, samples)
    return _simulate_v1(net, scenario, samples, seed, months, theta)


@dataclass(frozen=True)
class PosteriorInputs:
    """The shipped posterior's draws of a model's latent inputs (critmin calibrate)."""

    names: tuple[str, ...]
    values: np.ndarray  # (draws, inputs)
    weights: np.ndarray  # (draws,) summing to 1
    key: str  # fingerprint of the fit, part of a run's identity

    def theta(self, seed: int, start: int, stop: int) -> dict[str, np.ndarray]:
        """Theta arrays for samples [start, stop): draws resampled by weight in blocks of
        BLOCK samples, each block from its own stream, so a sample's draw never depends
        on chunking."""
        from critmin.simulate.engine import BLOCK

        idx = []
        for b in range(start // BLOCK, -(-stop // BLOCK)):
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(b, 7919)))
            block = rng.choice(len(self.weights), size=BLOCK, p=self.weights)
            lo, hi = max(start, b * BLOCK) - b * BLOCK, min(stop, (b + 1) * BLOCK) - b * BLOCK
            idx.append(block[lo:hi])
        rows = self.values[np.concatenate(idx)]
        return {n: rows[:, j] for j, n in enumerate(self.names)}


def posterior_inputs(model: str = "v1", fit: str = "all") -> PosteriorInputs | None:
    """The model's shipped posterior of its latent inputs (less the observation-error
    terms ``noise_*`` of the calibration), or None when none is shipped."""
    import hashlib

    from critmin.calibrate.posterior import fit_draws

    got = fit_draws(model, fit)
    if got is None:
        return None
    wide, w = got
    wide = wide[[c for c in wide.columns if not c.startswith("noise_")]]
    values = wide.to_numpy(dtype=float)
    key = hashlib.sha256(values.tobytes() + w.tobytes() + ",".join(wide.columns).encode())
    return PosteriorInputs(tuple(wide.columns), values, w, f"{model}:{fit}:"
                           f"{key.hexdigest()[:12]}")


def _check_model(model: str) -> None:
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of: {', '.join(MODELS)}")


def _v2():
    try:
        return import_module("critmin.market.v2")
    except ImportError as exc:
        raise ValueError("model v2 is not available: critmin.market.v2 cannot be imported "
                         f"({exc}); use model v1") from exc


# --- v1 adapter -------------------------------------------------------------------------

_CACHE: dict = {}


def _baseline(net):
    from critmin.market.baseline import build_baseline

    key = ("baseline", id(net))
    if key not in _CACHE:
        _CACHE[key] = (net, build_baseline(net))
    return _CACHE[key][1]


def prepare_v1(net, scenario, months: int):
    """(baseline, compiled, priors) of a scenario for the v1 engine, cached per network."""
    from critmin.simulate.compile import compile_scenario
    from critmin.simulate.engine import priors_from
    from critmin.simulate.runner import _market_commodities

    h = math.ceil(months / 3)
    key = ("v1", id(net), scenario.model_dump_json(), h)
    if key not in _CACHE:
        full = _baseline(net)
        wanted = _market_commodities(net, scenario, full.commodities)
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
    from critmin.simulate.engine import draws_for, run

    base, compiled, priors = prepare_v1(net, scenario, months)
    d = draws_for(priors, compiled, seed, 0, samples)
    if theta:
        bad = sorted(set(theta) - set(latent_priors(net, "v1")["name"]))
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
