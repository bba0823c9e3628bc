"""Run a Monte Carlo sweep in chunks on an executor, streaming chunks into the store.

Executors are standard ``concurrent.futures`` executors: serial (in process), local
processes (default), or a Dask distributed cluster (``Client(address).get_executor()``).
Each chunk is a whole number of draw blocks, so results are identical for the same seed
whatever the executor, worker count or chunk size. Finished chunks are written as
Parquet parts (temporary file + rename) and recorded in the store's SQLite catalog by this
coordinating process; a run started again with the same inputs skips the chunks already
stored.

A scenario that lists a control started before its start month is spun up (v2): the run
starts at the earliest such control and reports the months from the scenario's start on
(:func:`critmin.simulate.paths.run_spin_up`); the run records ``spin_up_months`` in its
inputs and its key, so a run stored before (or without) the spin-up is never taken for one
with it. Without an earlier control the run, its key and its inputs are as before.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import os
from collections.abc import Callable

from critmin import __version__
from critmin.market import registry
from critmin.market.contract import Chunk, RunSpec
from critmin.market.latent import BLOCK, use_posterior
from critmin.market.posterior import posterior_inputs
from critmin.market.registry import DEFAULT_MODEL, check_model
from critmin.market.v1.chunks import Job
from critmin.scenarios.spec import Scenario
from critmin.simulate.paths import run_spin_up, spun_up
from critmin.simulate.progress import progress_bar
from critmin.store.results import ResultsStore
from critmin.store.version import data_version

__all__ = ["BLOCK", "DEFAULT_MODEL", "METRICS", "N_PATHS", "Job", "close_executor",
           "make_executor", "run_inputs", "run_key", "simulate", "sweep"]

METRICS = ("peak_ratio", "peak_price_x", "shortfall_USA", "shortfall_JPN", "shortfall_ROW",
           "shortfall_CHN", "min_cover_USA", "min_cover_JPN", "var_usd_USA", "var_usd_JPN")
N_PATHS = 1000


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
            data: str | None = None, posterior: bool = False, salt: str = "",
            spin_up: bool = True) -> str:
    """Identity of a run: same key = same numbers, so finished chunks can be reused. Runs
    on a shipped posterior (v1 unless ``priors``; v2 with ``posterior``) carry its
    fingerprint. ``data`` is the loaded data's version (:func:`critmin.store.data_version`):
    a run resumed after the data changed starts afresh under a new key instead of mixing
    chunks. ``salt``: the store's secret (:attr:`ResultsStore.salt`), so that ids of a
    store's runs cannot be guessed from their inputs. ``spin_up``: as :func:`simulate`'s; the
    months spun up are part of the key where there are any."""
    post = run_inputs(model, priors, posterior)
    lead = run_spin_up(scenario, model, spin_up)
    payload = json.dumps({"scenario": scenario.model_dump(mode="json"), "samples": samples,
                          "seed": seed, "horizon": horizon, "chunk": chunk,
                          "responses": responses, "version": __version__,
                          **({"posterior": post.key} if post else {}),
                          **({"model": model} if model != "v1" else {}),
                          **({"data": data} if data else {}),
                          **({"spin_up_months": lead} if lead else {}),
                          **({"salt": salt} if salt else {})}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def simulate(net, scenario: Scenario, samples: int = 10_000, seed: int = 0,
             horizon: int | None = None, chunk_size: int = 8 * BLOCK,
             executor: cf.Executor | None = None, store: ResultsStore | None = None,
             responses: bool = True,
             progress: Callable[[int, int], None] | bool | None = None,
             priors: bool = False, model: str = DEFAULT_MODEL,
             posterior: bool = False, spin_up: bool = True) -> str:
    """Run (or resume) a sweep; returns the run id. Results go to ``store``. ``model``
    "v2" (the default) runs the multi-stage monthly model (critmin.market.v2) over the
    horizon (3 months per quarter) on its priors, or on its shipped posterior with
    ``posterior``; "v1" the quarterly two-segment model, whose latent inputs come from
    the shipped posterior (``critmin calibrate``) unless ``priors``. Why these defaults:
    :data:`critmin.market.latent.DEFAULT_INPUTS`. ``progress``: a bar on stderr by default
    when a person watches (terminal or notebook; ``False`` off, ``True`` always), or a
    callable ``(chunks done, chunks)`` (:mod:`critmin.simulate.progress`). ``spin_up``
    (default): a scenario listing controls that started before its start month runs from
    the earliest of them and reports from its start on (module notes); False runs it from
    its start month, those controls' opening shock included."""
    if samples < 1:
        raise ValueError("samples must be at least 1")
    check_model(model)
    chunk = max(BLOCK, (chunk_size // BLOCK) * BLOCK)
    h = horizon or scenario.horizon_quarters
    post = run_inputs(model, priors, posterior)
    impl = registry.get(model)
    lead = run_spin_up(scenario, model, spin_up)
    job = impl.prepare(net, RunSpec(scenario=spun_up(scenario, lead), horizon_quarters=h,
                                    seed=seed, responses=responses, posterior=post,
                                    spin_up_months=lead))
    store = store or ResultsStore()
    run_id = run_key(scenario, samples, seed, h, chunk, responses, priors, model,
                     data_version(net), posterior, store.salt, spin_up)
    inputs = dict(samples=samples, seed=seed, horizon=h, chunk=chunk, responses=responses,
                  version=__version__, inputs=post.key if post else "priors",
                  **impl.RUN_INPUTS, **({"spin_up_months": lead} if lead else {}))
    with progress_bar(progress, f"simulating {scenario.id}") as report:
        return sweep(impl.chunk, job, run_id, scenario, inputs, samples, chunk, store,
                     executor, report)


def sweep(chunk_fn: Callable[..., Chunk], job, run_id: str, scenario: Scenario,
          inputs: dict, samples: int, chunk: int, store: ResultsStore,
          executor: cf.Executor | None = None,
          progress: Callable[[int, int], None] | None = None) -> str:
    """The one sweep, whatever the model: chunks of ``chunk`` samples run by ``chunk_fn(job,
    start, stop, N_PATHS)`` serially or on ``executor`` (a bounded window in flight, so
    finished tables are not kept), each written as it arrives; chunks already stored are
    skipped (resume). Returns ``run_id``."""
    bounds = [(s, min(s + chunk, samples)) for s in range(0, samples, chunk)]
    store.begin(run_id, scenario, inputs, commodities=job.commodities, n_chunks=len(bounds))
    todo = [(i, b) for i, b in enumerate(bounds) if not store.has_chunk(run_id, i)]
    done = len(bounds) - len(todo)
    if progress:
        progress(done, len(bounds))

    def finish(i: int, result: Chunk) -> None:
        nonlocal done
        first = result.start == 0  # the first chunk carries the paths and named tables
        store.write_chunk(run_id, i, result.table, result.paths if first else None,
                          result.balance_error, result.tables if first else None)
        done += 1
        if progress:
            progress(done, len(bounds))

    if executor is None:
        for i, (s, e) in todo:
            finish(i, chunk_fn(job, s, e, N_PATHS))
    else:
        window = 2 * (getattr(executor, "_max_workers", None) or 32)
        queue, pending = iter(todo), {}

        def submit() -> None:
            for i, (s, e) in queue:
                pending[executor.submit(chunk_fn, job, s, e, N_PATHS)] = i
                if len(pending) >= window:
                    break

        submit()
        while pending:
            ready, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for fut in ready:
                finish(pending.pop(fut), fut.result())
            submit()
    store.complete(run_id)
    return run_id


def run_inputs(model: str, priors: bool = False, posterior: bool = False):
    """The shipped posterior a run of ``model`` samples (a
    :class:`critmin.market.posterior.PosteriorInputs`), or None for its priors: the model's
    default (:data:`critmin.market.latent.DEFAULT_INPUTS`: v1 and v2 their shipped posteriors)
    unless ``priors`` or ``posterior`` says otherwise; either falls back to the priors where
    no posterior is shipped."""
    if priors and posterior:
        raise ValueError("priors and posterior exclude each other: choose one")
    check_model(model)
    wanted = use_posterior(model, True if priors else (False if posterior else None))
    return posterior_inputs(model) if wanted else None
