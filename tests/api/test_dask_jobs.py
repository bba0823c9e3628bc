"""`critmin serve --scheduler ADDR`: jobs go to a Dask cluster and are recorded alike."""

from __future__ import annotations

import time

import pytest

from critmin.api.jobs import JobManager
from critmin.store import ResultsStore

distributed = pytest.importorskip("distributed")


def test_jobs_run_on_a_dask_cluster(tmp_path, net):
    from critmin.scenarios import scenario_catalogue

    sc = scenario_catalogue(net)["CN_2024_antimony_licensing"]
    store = ResultsStore(tmp_path / "r.db")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        jobs = JobManager(store, None, scheduler=cluster.scheduler_address)
        try:
            job_id = jobs.submit("simulation", "alice", {
                "scenario": sc.model_dump(mode="json"), "samples": 2048, "seed": 1,
                "horizon_quarters": None})
            for _ in range(1200):
                job = store.job(job_id)
                if job["status"] in ("done", "failed"):
                    break
                time.sleep(0.25)
        finally:
            jobs.shutdown()
    assert job["status"] == "done", job
    assert store.run(job["run_id"])["owner"] == "alice"
    assert store.job(job_id, with_result=True)["result"]["run_id"] == job["run_id"]
