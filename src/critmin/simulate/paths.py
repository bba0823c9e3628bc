"""Monthly model paths behind one interface, for calibration, backtests and sensitivity.

``simulate_paths(net, scenario, samples=, seed=, months=, model=, theta=, priors_only=)``
returns an :class:`xarray.Dataset` with dims ``sample``, ``month`` (0 = the scenario's
start month) and ``commodity`` (plus ``region`` where relevant). Prices are relative to
the pre-scenario baseline; exports are t per year.

``spin_up`` True starts the run at the first month of the earliest control the scenario
announces (or has in force) before its start month, so stocks, prices and licence clocks
are in the state those controls produce when the scenario starts; the months before
month 0 come back with negative labels (-lead..-1). Off, or without such a control, the
run is the one without spin-up, bit for bit.

A user's run of a scenario (``critmin simulate``, the API's jobs, the brief, the optimiser,
impact, the club) spins up wherever the scenario lists a control that started before its
start month: :func:`scenario_paths` here, ``spin_up`` of
:func:`critmin.simulate.runner.simulate` for the sweep. Both report the months from the
scenario's start on, prices relative to the pre-scenario baseline as before (the market
before any of the scenario's controls), and name the months spun up
(``spin_up_months``; :func:`run_spin_up` says how many). v1 does not spin up.

``theta`` maps latent input names (see :func:`latent_priors`) to arrays of shape
(samples,) that replace the model's own draws, so one call evaluates many parameter
vectors at once (one particle per sample). Without ``theta`` the samples come from the
model's default inputs (:data:`DEFAULT_INPUTS`: v1 and v2 their shipped posteriors);
``priors_only`` True samples the priors, False the shipped posterior (the priors where
none is shipped).

Each model implements both functions behind the model contract
(:mod:`critmin.market.contract`; v1 in :mod:`critmin.market.v1.paths`, v2 in
:mod:`critmin.market.v2.paths`); this module picks the model from the registry. The prior
tables live in :mod:`critmin.market.latent`, the shipped posterior in
:mod:`critmin.market.posterior` (both re-exported here).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import xarray as xr

from critmin.market import registry
from critmin.market.latent import (
    DEFAULT_INPUTS,
    DISTS,
    PRIOR_COLUMNS,
    prior_table,
    read_prior_table,
    use_posterior,
)
from critmin.market.posterior import PosteriorInputs, posterior_inputs
from critmin.market.registry import DEFAULT_MODEL, MODELS
from critmin.market.v1.paths import (
    V1_REGIONS,
    Z_PREFIX,
    apply_theta_v1,
    prepare_v1,
)

__all__ = ["DEFAULT_INPUTS", "DISTS", "MODELS", "PRIOR_COLUMNS", "V1_REGIONS", "Z_PREFIX",
           "PosteriorInputs", "apply_theta_v1", "latent_priors", "posterior_inputs",
           "prepare_v1", "prior_table", "read_prior_table", "run_spin_up", "scenario_paths",
           "simulate_paths", "spin_up_months", "spun_up", "use_posterior"]


def latent_priors(net, model: str = DEFAULT_MODEL) -> pd.DataFrame:
    """Latent inputs and their priors: name, dist (uniform | loguniform | normal; for
    normal, low/high are the 2.5 % and 97.5 % quantiles), low, high, scope (ALL or a
    commodity), description, source."""
    return registry.get(model).latent_priors(net)


def simulate_paths(net, scenario, *, samples: int, seed: int, months: int = 24,
                   model: str = DEFAULT_MODEL, theta: dict[str, np.ndarray] | None = None,
                   priors_only: bool | None = None, spin_up: bool = False) -> xr.Dataset:
    """Monthly paths of ``scenario`` for ``samples`` samples (see the module notes)."""
    if samples < 1 or months < 1:
        raise ValueError("samples and months must be at least 1")
    lead = spin_up_months(scenario) if spin_up else 0
    scenario = spun_up(scenario, lead)
    ds = registry.get(model).simulate_paths(net, scenario, samples=samples, seed=seed,
                                            months=months + lead, theta=theta,
                                            priors_only=priors_only)
    if lead:
        ds = ds.assign_coords(month=np.arange(-lead, months))
        ds.attrs["spin_up_months"] = lead
    return ds


def scenario_paths(net, scenario, *, samples: int, seed: int, months: int = 24,
                   model: str = DEFAULT_MODEL, theta: dict[str, np.ndarray] | None = None,
                   priors_only: bool | None = None, spin_up: bool = True) -> xr.Dataset:
    """Monthly paths of a user's run of ``scenario``: spun up from the earliest earlier
    control it lists (:func:`run_spin_up`), months 0..months-1 from its start month
    (attrs ``spin_up_months``, 0 without). Without an earlier control (or with ``spin_up``
    False, or v1) the run is :func:`simulate_paths`' without spin-up, bit for bit."""
    lead = run_spin_up(scenario, model, spin_up)
    ds = simulate_paths(net, scenario, samples=samples, seed=seed, months=months,
                        model=model, theta=theta, priors_only=priors_only, spin_up=lead > 0)
    if lead:
        ds = ds.sel(month=slice(0, None))
    ds.attrs["spin_up_months"] = lead
    return ds


def run_spin_up(scenario, model: str = DEFAULT_MODEL, spin_up: bool = True) -> int:
    """Months a user's run of ``scenario`` through ``model`` spins up: those of
    :func:`spin_up_months` for v2 (and any model but v1, which has none) unless
    ``spin_up`` is False."""
    return spin_up_months(scenario) if spin_up and model != "v1" else 0


def spun_up(scenario, lead: int):
    """``scenario`` starting ``lead`` months earlier (the first day of that month): the
    run a spin-up of ``lead`` months simulates; ``scenario`` itself for 0."""
    if not lead:
        return scenario
    k = scenario.start.month - 1 - lead
    start = dt.date(scenario.start.year + k // 12, k % 12 + 1, 1)
    return scenario.model_copy(update={"start": start})


def spin_up_months(scenario) -> int:
    """Months from the earliest control the scenario announces (or has in force) before
    its start month to that month; 0 where none comes before it."""
    first = scenario.start.replace(day=1)
    dates = [c.announced or c.start for c in scenario.controls]
    early = min((d for d in dates if d < first), default=None)
    if early is None:
        return 0
    return (first.year - early.year) * 12 + first.month - early.month
