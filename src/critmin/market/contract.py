"""The contract every market model implements (``critmin.market.v1``, ``critmin.market.v2``),
and the typed values that cross it.

A model is a package exposing:

- ``NAME``: its id in :mod:`critmin.market.registry`; ``RUN_INPUTS``: keys its runs record
  beside the sweep's own (``{"model": "v2"}``; v1 runs record none).
- ``prepare(net, spec: RunSpec) -> job``: everything deterministic a sweep's chunks need,
  compiled once and sent to every worker (picklable; ``job.commodities``: the run's
  commodities in stored column order).
- ``draws(job, start, stop) -> dict``: latent inputs of samples [start, stop), block-seeded
  (:data:`critmin.market.latent.BLOCK`), the shipped posterior's where the spec names one.
- ``chunk(job, start, stop, n_paths) -> Chunk``: run samples [start, stop) and reduce them
  to the stored per-sample columns and the first ``n_paths`` samples' quarterly paths.
- ``simulate_paths(net, scenario, *, samples, seed, months, theta, priors_only)``: monthly
  paths as an :class:`xarray.Dataset` (calibration, backtests, sensitivity, the brief).
- ``latent_priors(net) -> DataFrame``: latent inputs and their priors
  (:data:`critmin.market.latent.PRIOR_COLUMNS`).

Nothing here imports a model; :func:`critmin.market.registry.get` loads one by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import pandas as pd
import xarray as xr

from critmin.market.posterior import PosteriorInputs
from critmin.scenarios.spec import Scenario


@dataclass(frozen=True)
class RunSpec:
    """One sweep's inputs to a model: the scenario, its horizon (quarters; v2 runs three
    months each), the seed, whether the response rules act, the shipped posterior the
    latent inputs come from (None: the priors), and the spin-up: months the run starts
    before the months it reports (the scenario's start is then the first month run; its
    results cover the horizon after them). Only v2 spins up; v1 refuses a spin-up."""

    scenario: Scenario
    horizon_quarters: int
    seed: int
    responses: bool = True
    posterior: PosteriorInputs | None = None
    spin_up_months: int = 0


@dataclass
class Chunk:
    """A chunk's results: the stored columns (sample, fiscal_cost_usd, METRIC|COMMODITY)
    as a table or an encoded Parquet file, the first samples' quarterly paths (name ->
    (samples, quarters, commodities); empty when none), the largest relative mass-balance
    error, and further tables of the first samples the run keeps (name -> DataFrame,
    written with the first chunk; v2: ``exports_china_dest``)."""

    start: int
    stop: int
    table: pd.DataFrame | Any  # a pyarrow Buffer holding a Parquet file
    balance_error: float
    paths: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)


@runtime_checkable
class MarketModel(Protocol):
    """What :func:`critmin.market.registry.get` returns (a model package)."""

    NAME: str
    RUN_INPUTS: dict

    def prepare(self, net: Any, spec: RunSpec) -> Any: ...

    def draws(self, job: Any, start: int, stop: int) -> dict: ...

    def chunk(self, job: Any, start: int, stop: int, n_paths: int) -> Chunk: ...

    def simulate_paths(self, net: Any, scenario: Any, *, samples: int, seed: int,
                       months: int = 24, theta: dict | None = None,
                       priors_only: bool | None = None) -> xr.Dataset: ...

    def latent_priors(self, net: Any) -> pd.DataFrame: ...
