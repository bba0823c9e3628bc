"""Run a Monte Carlo sweep in chunks on an executor, streaming chunks into the store.

Executors are standard ``concurrent.futures`` executors: serial (in process), local
processes (default), or a Dask distributed cluster (``Client(address).get_executor()``).
Each chunk is a whole number of draw blocks, so results are identical for the same seed
whatever the executor, worker count or chunk size. Finished chunks are written as
Parquet parts (temporary file + rename) and recorded in the store's SQLite catalog by this
coordinating process; a run started again with the same inputs skips the chunks already
stored.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import functools
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmin import __version__
from critmin.market.baseline import build_baseline
from critmin.market.registry import DEFAULT_MODEL
from critmin.scenarios.spec import Scenario
from critmin.simulate.compile import compile_scenario
from critmin.simulate.engine import BLOCK, draws_for, priors_from, run
from critmin.store.results import ResultsStore
from critmin.store.version import data_version

METRICS = ("peak_ratio", "peak_price_x", "shortfall_USA", "shortfall_JPN", "shortfall_ROW",
           "shortfall_CHN", "min_cover_USA", "min_cover_JPN", "var_usd_USA", "var_usd_JPN")
N_PATHS = 1000


@dataclass
class Job:
    """Everything a worker needs, sent once per chunk (small: arrays of C elements)."""

    compiled: object
    baseline: object
    priors: object
    seed: int
    responses: bool
    posterior: object = None  # critmin.simulate.paths.PosteriorInputs, or None (priors)


@functools.cache
def _tune_malloc() -> None:
    """Keep glibc from mmap-ing every temporary array.

    Dask's nanny sets MALLOC_TRIM_THRESHOLD_, which freezes glibc's mmap threshold at
    128 KiB: each temporary array of a chunk is then mapped and unmapped, and the engine
    runs about 4x slower (measured: 6.2 s vs 1.5 s per 8,192-sample chunk). Raising the
    threshold at run time restores normal speed on any worker; no-op off glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 64 * 2**20)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


def _chunk(job: Job, start: int, stop: int, n_paths: int) -> dict:
    """Run samples [start, stop); returns flat per-sample arrays (float32) and paths."""
    _tune_malloc()
    d = draws_for(job.priors, job.compiled, job.seed, start, stop)
    compiled = job.compiled
    if job.posterior is not None:  # calibrated latent inputs replace their prior draws
        from critmin.simulate.paths import apply_theta_v1

        d, compiled = apply_theta_v1(d, job.posterior.theta(job.seed, start, stop), compiled,
                                     job.baseline, job.priors)
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
    return {"start": start, "stop": stop, "columns": cols, "fiscal": out.fiscal_cost_usd,
            "balance_error": float(out.balance_error.max()), "paths": out.paths}


def _frame(result: dict, commodities: tuple[str, ...]) -> pd.DataFrame:
    """Wide per-sample table: sample, fiscal_cost_usd, METRIC|COMMODITY columns."""
    data = {"sample": np.arange(result["start"], result["stop"]),
            "fiscal_cost_usd": result["fiscal"].astype(np.float64)}
    for name, arr in result["columns"].items():
        for j, c in enumerate(commodities):
            data[f"{name}|{c}"] = arr[:, j].astype(np.float32 if arr.dtype != bool else bool)
    return pd.DataFrame(data)


def make_executor(scheduler: str | None = None, workers: int | None = None
                  ) -> cf.Executor | None:
    """None (serial) for workers == 1, a Dask executor for a scheduler address, else local
    processes."""
    if scheduler:
        from distributed import Client

        client = Client(scheduler)
        ex = client.get_executor()
        ex._critmin_client = client  # keep the client alive with the executor
        return ex
    if workers == 1:
        return None
    from critmin.workers import pool_initializer

    init, args = pool_initializer()  # workers die with this process (kill -9 included)
    return cf.ProcessPoolExecutor(max_workers=workers or os.cpu_count(), initializer=init,
                                  initargs=args)


def close_executor(executor: cf.Executor | None) -> None:
    """Shut an executor down, and the Dask client behind it if there is one."""
    if executor is None:
        return
    executor.shutdown()
    client = getattr(executor, "_critmin_client", None)
    if client is not None:
        client.close()


def run_key(scenario: Scenario, samples: int, seed: int, horizon: int, chunk: int,
            responses: bool, priors: bool = False, model: str = DEFAULT_MODEL,
            data: str | None = None, posterior: bool = False, salt: str = "") -> str:
    """Identity of a run: same key = same numbers, so finished chunks can be reused. Runs
    on a shipped posterior (v1 unless ``priors``; v2 with ``posterior``) carry its
    fingerprint. ``data`` is the loaded data's version (:func:`critmin.store.data_version`):
    a run resumed after the data changed starts afresh under a new key instead of mixing
    chunks. ``salt``: the store's secret (:attr:`ResultsStore.salt`), so that ids of a
    store's runs cannot be guessed from their inputs."""
    post = run_inputs(model, priors, posterior)
    payload = json.dumps({"scenario": scenario.model_dump(mode="json"), "samples": samples,
                          "seed": seed, "horizon": horizon, "chunk": chunk,
                          "responses": responses, "version": __version__,
                          **({"posterior": post.key} if post else {}),
                          **({"model": model} if model != "v1" else {}),
                          **({"data": data} if data else {}),
                          **({"salt": salt} if salt else {})}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def simulate(net, scenario: Scenario, samples: int = 10_000, seed: int = 0,
             horizon: int | None = None, chunk_size: int = 8 * BLOCK,
             executor: cf.Executor | None = None, store: ResultsStore | None = None,
             responses: bool = True,
             progress: Callable[[int, int], None] | None = None,
             priors: bool = False, model: str = DEFAULT_MODEL,
             posterior: bool = False) -> str:
    """Run (or resume) a sweep; returns the run id. Results go to ``store``. ``model``
    "v2" (the default) runs the multi-stage monthly model (critmin.market.v2) over the
    horizon (3 months per quarter) on its priors, or on its shipped posterior with
    ``posterior``; "v1" the quarterly two-segment model, whose latent inputs come from
    the shipped posterior (``critmin calibrate``) unless ``priors``. Why these defaults:
    :data:`critmin.simulate.paths.DEFAULT_INPUTS`."""
    if samples < 1:
        raise ValueError("samples must be at least 1")
    if model not in ("v1", "v2"):
        raise ValueError(f"unknown model {model!r}; choose v1 or v2")
    chunk = max(BLOCK, (chunk_size // BLOCK) * BLOCK)
    h = horizon or scenario.horizon_quarters
    post = run_inputs(model, priors, posterior)
    store = store or ResultsStore()
    if model == "v2":
        from critmin.simulate.runner_v2 import simulate_v2

        return simulate_v2(scenario, net, samples, seed, h, chunk, executor,
                           store, responses, progress,
                           run_key(scenario, samples, seed, h, chunk, responses, priors,
                                   "v2", data_version(net), posterior, store.salt), post)
    full = build_baseline(net)
    wanted = _market_commodities(net, scenario, full.commodities)
    baseline = full if wanted is None else full.select(wanted)
    compiled = compile_scenario(scenario, baseline, net, h)
    # --priors means the uncalibrated priors: no per-episode short-run scales either
    job = Job(compiled=compiled, baseline=baseline,
              priors=priors_from(net, baseline, calibrated=False),
              seed=seed, responses=responses, posterior=post)
    run_id = run_key(scenario, samples, seed, h, chunk, responses, priors, "v1",
                     data_version(net), salt=store.salt)
    bounds = [(s, min(s + chunk, samples)) for s in range(0, samples, chunk)]
    store.begin(run_id, scenario, dict(samples=samples, seed=seed, horizon=h, chunk=chunk,
                                       responses=responses, version=__version__,
                                       inputs=post.key if post else "priors"),
                commodities=baseline.commodities, n_chunks=len(bounds))
    todo = [(i, b) for i, b in enumerate(bounds) if not store.has_chunk(run_id, i)]
    done = len(bounds) - len(todo)
    if progress:
        progress(done, len(bounds))

    def finish(i: int, result: dict) -> None:
        store.write_chunk(run_id, i, _frame(result, baseline.commodities),
                          result["paths"] if result["start"] == 0 else None,
                          result["balance_error"])

    if executor is None:
        for i, (s, e) in todo:
            finish(i, _chunk(job, s, e, N_PATHS))
            done += 1
            if progress:
                progress(done, len(bounds))
    else:
        futures = {executor.submit(_chunk, job, s, e, N_PATHS): i for i, (s, e) in todo}
        for fut in cf.as_completed(futures):
            finish(futures[fut], fut.result())
            done += 1
            if progress:
                progress(done, len(bounds))
    store.complete(run_id)
    return run_id


def run_inputs(model: str, priors: bool = False, posterior: bool = False):
    """The shipped posterior a run of ``model`` samples (a
    :class:`critmin.simulate.paths.PosteriorInputs`), or None for its priors: v1 its
    posterior unless ``priors``, v2 its priors unless ``posterior``
    (:data:`critmin.simulate.paths.DEFAULT_INPUTS`); either falls back to the priors where
    no posterior is shipped."""
    from critmin.simulate.paths import posterior_inputs, use_posterior

    if priors and posterior:
        raise ValueError("priors and posterior exclude each other: choose one")
    if model not in ("v1", "v2"):
        raise ValueError(f"unknown model {model!r}; choose v1 or v2")
    wanted = use_posterior(model, True if priors else (False if posterior else None))
    return posterior_inputs(model) if wanted else None


def _market_commodities(net, scenario: Scenario, have: tuple[str, ...]) -> list[str] | None:
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
