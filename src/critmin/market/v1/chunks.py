"""Model v1's sweep chunks: draws (priors, or the shipped posterior's), the quarterly
engine, and the per-sample columns the store keeps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from critmin.market.baseline import MarketBaseline, build_baseline
from critmin.market.contract import Chunk, RunSpec
from critmin.market.posterior import PosteriorInputs
from critmin.market.v1.compile import Compiled, compile_scenario
from critmin.market.v1.engine import Priors, draws_for, priors_from, run
from critmin.market.v1.paths import apply_theta_v1, market_commodities
from critmin.workers import tune_malloc


@dataclass
class Job:
    """Everything a worker needs, sent once per chunk (small: arrays of C elements)."""

    compiled: Compiled
    baseline: MarketBaseline
    priors: Priors
    seed: int
    responses: bool
    posterior: PosteriorInputs | None = None  # None: the priors

    @property
    def commodities(self) -> tuple[str, ...]:
        return self.baseline.commodities


def prepare(net, spec: RunSpec) -> Job:
    """The run's market baseline (the scenario's commodities and their inputs; all when
    it lists none), its compiled scenario and the uncalibrated priors (a run on the
    shipped posterior replaces the calibrated inputs per chunk). v1 has no spin-up."""
    if spec.spin_up_months:
        raise ValueError("model v1 does not spin up: run it from the scenario's start")
    full = build_baseline(net)
    wanted = market_commodities(net, spec.scenario, full.commodities)
    baseline = full if wanted is None else full.select(wanted)
    compiled = compile_scenario(spec.scenario, baseline, net, spec.horizon_quarters)
    # --priors means the uncalibrated priors: no per-episode short-run scales either
    return Job(compiled=compiled, baseline=baseline,
               priors=priors_from(net, baseline, calibrated=False),
               seed=spec.seed, responses=spec.responses, posterior=spec.posterior)


def _inputs(job: Job, start: int, stop: int) -> tuple[dict, Any]:
    """(draws, compiled scenario) of samples [start, stop): the priors' draws, with the
    shipped posterior's values in place of the calibrated inputs when the run names it."""
    d = draws_for(job.priors, job.compiled, job.seed, start, stop)
    if job.posterior is None:
        return d, job.compiled
    return apply_theta_v1(d, job.posterior.theta(job.seed, start, stop), job.compiled,
                          job.baseline, job.priors)


def draws(job: Job, start: int, stop: int) -> dict:
    """Latent draws of samples [start, stop) (see :func:`_inputs`)."""
    return _inputs(job, start, stop)[0]


def chunk(job: Job, start: int, stop: int, n_paths: int) -> Chunk:
    """Run samples [start, stop): the stored per-sample columns (float32; rrg_fired bool)
    and the first ``n_paths`` samples' quarterly paths."""
    tune_malloc()
    d, compiled = _inputs(job, start, stop)
    out = run(compiled, job.baseline, d, responses=job.responses,
              n_paths=max(0, min(n_paths - start, stop - start)))
    cols = {
        "peak_ratio": out.peak_ratio, "peak_price_x": out.peak_price_x,
        **{f"shortfall_{r}": out.shortfall[..., i]
           for i, r in enumerate(("USA", "JPN", "ROW", "CHN"))},
        **{f"min_cover_{r}": out.min_cover_days[..., i] for i, r in enumerate(("USA", "JPN"))},
        **{f"var_usd_{r}": out.value_at_risk_usd[..., i] for i, r in enumerate(("USA", "JPN"))},
        "rrg_fired": out.rrg_fired,
    }
    return Chunk(start=start, stop=stop,
                 table=_frame(start, stop, cols, out.fiscal_cost_usd, job.commodities),
                 balance_error=float(out.balance_error.max()), paths=out.paths)


def _frame(start: int, stop: int, columns: dict, fiscal: np.ndarray,
           commodities: tuple[str, ...]) -> pd.DataFrame:
    """Wide per-sample table: sample, fiscal_cost_usd, METRIC|COMMODITY columns."""
    data = {"sample": np.arange(start, stop), "fiscal_cost_usd": fiscal.astype(np.float64)}
    for name, arr in columns.items():
        for j, c in enumerate(commodities):
            data[f"{name}|{c}"] = arr[:, j].astype(np.float32 if arr.dtype != bool else bool)
    return pd.DataFrame(data)


