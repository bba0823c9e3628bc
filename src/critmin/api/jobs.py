"""Background jobs (simulations, optimisations) in worker processes, recorded in the store.

The server never computes a job in its own process: :class:`JobManager` submits
:func:`run_job` to a bounded pool of local worker processes (spawned, each dying with the
server, see :mod:`critmin.workers`) or, with ``--scheduler``, to a Dask cluster. A job's
record (owner, request, status, progress, result) lives in the results store, so it
survives a restart: jobs that were queued or running when the server stopped are marked
``interrupted`` at the next start and can be resumed (finished chunks are reused).

Cancellation is a status change in the store: the worker checks it after every chunk and
stops, marking its run ``cancelled``. The queue is bounded (:class:`QueueFull` -> 429) and
each token may hold a limited number of unfinished jobs (:class:`QuotaExceeded` -> 429).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import errno
import importlib
import multiprocessing as mp
import os
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from critmin.store import ResultsStore

if TYPE_CHECKING:
    import distributed

UNFINISHED = ("queued", "running")
FINAL = ("done", "failed", "cancelled", "interrupted")
CHUNK = 1024


class Cancelled(Exception):
    """Raised inside a job when it was cancelled."""


class QueueFull(Exception):
    """No room in the job queue."""


class QuotaExceeded(Exception):
    """The token already has its quota of unfinished jobs."""


# -- in the worker process ----------------------------------------------------------------
_NETS: dict = {}


def _net(data: str | None):
    """The network of ``data``, loaded again when its files changed since."""
    from critmin.api.cache import fingerprint
    from critmin.model.network import load

    key = (data, fingerprint(Path(data) if data else None))
    if key not in _NETS:
        _NETS.clear()
        _NETS[key] = load(data)
    return _NETS[key]


def disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk (or quota) is full: such a job is ``interrupted``, to
    be resumed once space returns, not ``failed``."""
    import sqlite3

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(exc, sqlite3.OperationalError) and "disk is full" in str(exc)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:500]


def known_job(store: ResultsStore, job_id: str) -> dict:
    """The stored record of a job that exists (KeyError naming it where it does not)."""
    job = store.job(job_id)
    if job is None:
        raise KeyError(f"job {job_id!r} is not in the store")
    return job


def run_job(db: str, data: str | None, job_id: str) -> str:
    """Run one job to its end; returns its final status. Runs in a worker process."""
    store = ResultsStore(db)
    if not store.update_job(job_id, status="running", only_if=("queued",)):
        return "skipped"
    job = known_job(store, job_id)
    state: dict[str, str | None] = {"run_id": None}

    def progress(fraction: float, run_id: str | None = None) -> None:
        status = known_job(store, job_id)["status"]
        if status != "running":
            raise Cancelled(status)
        if run_id and state["run_id"] != run_id:
            state["run_id"] = run_id
            store.update_job(job_id, run_id=run_id)
            store.set_run_owner(run_id, job["owner"])
        store.update_job(job_id, progress=round(min(1.0, fraction), 4), only_if=("running",))

    try:
        work = _simulation if job["kind"] == "simulation" else _optimisation
        result = work(_net(data), store, job["request"], progress)
    except Cancelled as stop:
        why = "interrupted" if stop.args and stop.args[0] == "interrupted" else "cancelled"
        if state["run_id"]:
            store.set_run_status(state["run_id"], why)
        return why
    except Exception as exc:  # reported to the client as one line, never a stack trace
        status = "interrupted" if disk_full(exc) else "failed"
        with contextlib.suppress(Exception):  # the disk may still be full: see _settle
            if state["run_id"]:
                store.set_run_status(state["run_id"], "interrupted")
            store.update_job(job_id, status=status, error=_one_line(exc), only_if=("running",))
        return status
    store.update_job(job_id, status="done", progress=1.0, result=result, only_if=("running",))
    return "done"


def _sweep(net, store, req: dict, progress, share: float = 1.0) -> str:
    from critmin.scenarios.spec import Scenario
    from critmin.simulate.engine import BLOCK
    from critmin.simulate.runner import run_key, simulate
    from critmin.store import data_version

    sc = Scenario.model_validate(req["scenario"])
    h = req.get("horizon_quarters") or sc.horizon_quarters
    chunk = max(BLOCK, (CHUNK // BLOCK) * BLOCK)
    rid = run_key(sc, req["samples"], req["seed"], h, chunk, True, data=data_version(net),
                  salt=store.salt)
    return simulate(net, sc, samples=req["samples"], seed=req["seed"], horizon=h,
                    store=store, chunk_size=CHUNK,
                    progress=lambda d, t: progress(share * d / max(t, 1), rid))


def _simulation(net, store, req: dict, progress) -> dict:
    from critmin.api.encode import clean
    from critmin.simulate.report import simulation_report

    return clean(simulation_report(store, _sweep(net, store, req, progress)))


OPT_STEPS = (0.05, 0.6, 0.8)
"""Progress after the optimiser's steps: paths simulated, portfolio solved, costs shared."""


def _optimisation(net, store, req: dict, progress) -> dict:
    """What ``critmin optimize`` computes (model v2): monthly price paths, projects valued
    on them, the multi-period program, cost sharing; then a budget-risk frontier. The
    record is stored as an optimisation run (the job's ``run_id``)."""
    import json

    from critmin.api.encode import clean
    from critmin.optimize.finance import optimise
    from critmin.optimize.report import frontier, save
    from critmin.scenarios.spec import Scenario

    done = iter(OPT_STEPS)
    budgets = {"USA": req["budget_usa"], "JPN": req["budget_jpn"],
               "JPN_vehicle": req["budget_vehicle"]}
    progress(0.01)
    inst, _sol, rec = optimise(
        net, Scenario.model_validate(req["scenario"]), budgets, samples=req["samples"],
        seed=req["seed"], regions=req.get("regions") or ["USA", "JPN"],
        partners=req.get("partners", ["USA", "JPN", "AUS", "KOR", "EU"]),
        partner_budgets={k: req.get(f"budget_{k.lower()}", 0.0) for k in ("AUS", "KOR", "EU")},
        cvar_weight=req["cvar_weight"], china=req.get("china_response", True),
        step=lambda _msg: progress(next(done, 0.8)))
    progress(0.85)
    rec["frontier"] = frontier(inst, (0.0, 0.5, 1.0, 2.0)).to_dict("records")
    rec = clean(json.loads(json.dumps(rec, default=str)))
    rec["optimisation_id"] = save(store, inst, rec)
    progress(0.95, rec["optimisation_id"])
    return rec


WARM_SCENARIO = "CN_2024_antimony_licensing"
"""The preset a starting worker simulates briefly (:func:`_warm`)."""
JOB_MODULES = ("critmin.simulate.runner", "critmin.simulate.report",
               "critmin.optimize.finance", "critmin.optimize.report")
"""What the jobs import on their first run."""


def _warm(net) -> None:
    """Do once, at a worker's start, what its first job would otherwise do first: import
    the jobs' modules, build model v2's market network of every commodity, and load the
    kernels from Numba's cache, by simulating 16 samples of :data:`WARM_SCENARIO` for 3
    months (nothing stored)."""
    from critmin.market.v2.chunks import chunk, make_job
    from critmin.scenarios import get_scenario

    for name in JOB_MODULES:
        importlib.import_module(name)
    chunk(make_job(net, get_scenario(WARM_SCENARIO, net), 3, 0, True), 0, 16, 16)


def _init_worker(parent: int, data: str | None = None, nice: int = 0) -> None:
    """Worker start: die with the server, yield the CPU to it, load the network once and
    warm the jobs' code (:func:`_warm`), so that jobs then start at once."""
    from critmin.workers import watch_parent

    watch_parent(parent)
    with contextlib.suppress(OSError):
        os.nice(nice)
    net = _net(data)
    with contextlib.suppress(Exception):  # user data without the preset: jobs warm up alone
        _warm(net)


def _ready() -> int:
    return os.getpid()


# -- in the server process ----------------------------------------------------------------
class JobManager:
    """Submits jobs to workers; bounds the queue and each owner's unfinished jobs. Local
    workers run at CPU priority ``nice`` (lower than the server's), so reads stay fast
    while jobs take the CPU the server leaves."""

    def __init__(self, store: ResultsStore, data: str | Path | None, workers: int = 2,
                 max_queue: int = 16, quota: int = 4, scheduler: str | None = None,
                 nice: int = 10):
        self.store = store
        self.data = None if data is None else str(data)
        self.max_queue = max_queue
        self.quota = quota
        self.lock = threading.Lock()
        self.futures: dict[str, cf.Future[str] | distributed.Future] = {}
        self.client: distributed.Client | None = None
        self.pool: cf.ProcessPoolExecutor | None = None
        if scheduler:
            from distributed import Client

            self.client = Client(scheduler)
        else:
            self.pool = cf.ProcessPoolExecutor(
                max_workers=workers, mp_context=mp.get_context("spawn"),
                initializer=_init_worker, initargs=(os.getpid(), self.data, nice))
            for _ in range(workers):  # start the workers now, not at the first job
                self.pool.submit(_ready)
        self.recover()

    def recover(self) -> list[str]:
        """Mark jobs left queued or running by a previous server ``interrupted``."""
        left = self.store.jobs(UNFINISHED)
        for r in left.itertuples():
            self.store.update_job(r.job_id, status="interrupted", only_if=UNFINISHED)
            if isinstance(r.run_id, str):
                self.store.set_run_status(r.run_id, "interrupted")
        self.store.reap()
        return list(left["job_id"])

    def _pending(self) -> int:
        return sum(1 for f in self.futures.values() if not f.done())

    def _check_room(self, owner: str) -> None:
        mine = self.store.jobs(UNFINISHED)
        if (mine["owner"] == owner).sum() >= self.quota:
            raise QuotaExceeded(f"token {owner!r} already has {self.quota} unfinished jobs")
        if self._pending() >= self.max_queue:
            raise QueueFull(f"the job queue is full ({self.max_queue} jobs)")

    def submit(self, kind: str, owner: str, request: dict) -> str:
        """Record and queue a job; returns its id."""
        with self.lock:
            self._check_room(owner)
            job_id = uuid.uuid4().hex[:12]
            self.store.put_job(job_id, kind, owner, request)
            self._dispatch(job_id)
        return job_id

    def resume(self, job_id: str, owner: str) -> None:
        """Queue a stopped job again with its stored request."""
        with self.lock:
            self._check_room(owner)
            if not self.store.update_job(job_id, status="queued", error=None,
                                         only_if=("interrupted", "cancelled", "failed")):
                raise ValueError("only interrupted, cancelled or failed jobs can be resumed")
            self._dispatch(job_id)

    def _dispatch(self, job_id: str) -> None:
        args = (str(self.store.path), self.data, job_id)
        fut: cf.Future[str] | distributed.Future
        if self.client is not None:
            fut = self.client.submit(run_job, *args, pure=False, key=f"critmin-job-{job_id}")
        elif self.pool is not None:
            fut = self.pool.submit(run_job, *args)
        else:
            raise RuntimeError("the job manager has neither a worker pool nor a scheduler")
        self.futures[job_id] = fut

        def settle(_: object) -> None:
            self._settle(job_id)

        fut.add_done_callback(settle)

    def _settle(self, job_id: str) -> None:
        """A worker that ended without recording its job's end (its write failed, e.g. on a
        full disk, or it died): the job becomes ``interrupted``, resumable."""
        with contextlib.suppress(Exception):
            if self.store.update_job(job_id, status="interrupted", only_if=("running",)):
                run_id = known_job(self.store, job_id)["run_id"]
                if run_id:
                    self.store.set_run_status(run_id, "interrupted")

    def cancel(self, job_id: str) -> None:
        """Stop a queued or running job; its run (if any) becomes ``cancelled``."""
        self.store.update_job(job_id, status="cancelled", only_if=UNFINISHED)
        fut = self.futures.get(job_id)
        if fut is not None:
            fut.cancel()
        run_id = known_job(self.store, job_id)["run_id"]
        if run_id and fut is not None and fut.done():
            self.store.set_run_status(run_id, "cancelled")

    def shutdown(self) -> None:
        """Stop fast: unfinished jobs become ``interrupted`` (resumable); workers end."""
        for job_id, fut in list(self.futures.items()):
            if not fut.done():
                self.store.update_job(job_id, status="interrupted", only_if=UNFINISHED)
                run_id = known_job(self.store, job_id)["run_id"]
                if run_id:
                    self.store.set_run_status(run_id, "interrupted")
        if self.pool is not None:
            procs = list((self.pool._processes or {}).values())
            self.pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:
                p.kill()
        if self.client is not None:
            for fut in self.futures.values():
                fut.cancel()
            self.client.close()
