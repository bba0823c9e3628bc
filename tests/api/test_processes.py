"""Processes sharing a store and dying hard: SIGKILL of `critmin simulate` mid-sweep leaves
no worker and resumes to identical bytes; SIGKILL of the server mid-job leaves the job
`interrupted` and resumable after a restart; two CLIs and a server write one store at once;
a writer kept out too long gets one line naming the process that holds the store."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import psutil
import pytest

from critmin.api.auth import create_token
from critmin.store import ResultsStore

from ..conftest import free_port
from .test_http import spec

SCENARIO = "CN_2024_antimony_licensing"
SAMPLES = 16 * 1024  # 16 chunks of 1,024 (the CLI is frozen after 2; 4 are in flight)
JOB_CHUNKS = 16  # the server job's chunks of 1,024 samples: frozen after the first, the
# other 15 (about 0.2 s each, more at the workers' nice 10) are its margin before the kill


def critmin(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "critmin.cli", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def simulate_args(db: Path, samples: int, seed: int = 0, workers: int = 2) -> list[str]:
    return ["simulate", "--scenario", SCENARIO, "--samples", str(samples), "--seed",
            str(seed), "--chunk-size", "1024", "--workers", str(workers), "--db", str(db),
            "--no-compare-response", "--json"]


def wait_for(cond, limit_s: float = 300.0, step: float = 0.1):
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        value = cond()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"condition not reached in {limit_s} s")


def chunks(db: Path) -> int:
    if not db.exists():
        return 0
    df = ResultsStore(db).runs()
    return sum(ResultsStore(db).chunks_done(r) for r in df["run_id"])


def gone(pids: list[int], limit_s: float = 10.0) -> bool:
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        alive = [p for p in pids if psutil.pid_exists(p)
                 and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return True
        time.sleep(0.1)
    return False


def test_sigkill_of_simulate_leaves_no_worker_and_resumes_to_identical_bytes(tmp_path):
    # The compiled kernel sweeps a chunk in a fraction of a second: the CLI is frozen
    # (SIGSTOP; it alone writes chunks) the moment two are stored, so it cannot finish the
    # sweep between that check and the kill. Its workers keep running until it dies.
    db = tmp_path / "killed.db"
    proc = critmin(*simulate_args(db, SAMPLES))
    wait_for(lambda: chunks(db) >= 2, step=0.02)
    proc.send_signal(signal.SIGSTOP)
    workers = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
    assert workers
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert gone(workers), "worker processes outlived the killed CLI"
    store = ResultsStore(db)
    run_id = store.runs()["run_id"].iloc[0]
    done_before = store.chunks_done(run_id)
    assert 0 < done_before < store.run(run_id)["n_chunks"]
    assert store.reap() == [run_id] and store.run(run_id)["status"] == "interrupted"
    again = critmin(*simulate_args(db, SAMPLES))
    _, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert store.run(run_id)["status"] == "complete"
    fresh = tmp_path / "fresh.db"
    ref = critmin(*simulate_args(fresh, SAMPLES))
    _, err = ref.communicate(timeout=600)
    assert ref.returncode == 0, err
    a = store.samples(run_id)
    other = ResultsStore(fresh)  # its own salt: its own run id, the same numbers
    b = other.samples(other.runs()["run_id"].iloc[0])
    assert list(a.columns) == list(b.columns) and len(a) == len(b) == SAMPLES
    for col in a.columns:  # byte for byte, column by column (each has one numeric dtype)
        assert a[col].dtype == b[col].dtype
        assert a[col].to_numpy().tobytes() == b[col].to_numpy().tobytes(), col


def start_server(db: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "critmin.cli", "serve", "--port", str(port),
                             "--db", str(db), "--request-timeout", "600", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: _up(url), 180, 0.25)
    return proc, url


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_server_sigkill_mid_job_then_restart_shows_interrupted_and_resumes(tmp_path):
    db = tmp_path / "srv.db"
    token = create_token(db, "alice")
    head = {"Authorization": f"Bearer {token}"}
    proc, url = start_server(db)
    try:
        r = httpx.post(f"{url}/api/jobs/simulate", headers=head, timeout=60,
                       json={"scenario": spec(), "samples": JOB_CHUNKS * 1024, "seed": 2})
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        wait_for(lambda: httpx.get(f"{url}/api/jobs/{job_id}").json()["progress"] > 0,
                 step=0.02)
        # freeze the server (its job's worker is its child) so the job cannot finish
        # between that check and the kill: the compiled kernel runs a chunk in ~0.2 s
        frozen = [proc.pid, *(c.pid for c in psutil.Process(proc.pid).children(True))]
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        workers = frozen[1:]
        for pid in workers:  # running again when the server dies, as in a real crash
            os.kill(pid, signal.SIGCONT)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert gone(workers), "job workers outlived the killed server"
    proc, url = start_server(db)
    try:
        job = httpx.get(f"{url}/api/jobs/{job_id}").json()
        assert job["status"] == "interrupted" and 0 < job["progress"] < 1
        run = httpx.get(f"{url}/api/runs/{job['run_id']}").json()
        assert run["status"] == "interrupted" and 0 < run["chunks_done"] < run["n_chunks"]
        r = httpx.post(f"{url}/api/jobs/{job_id}/resume", headers=head, timeout=60)
        assert r.status_code == 202, r.text
        done = wait_for(lambda: (j := httpx.get(f"{url}/api/jobs/{job_id}").json())["status"]
                        in ("done", "failed") and j, 600, 0.25)
        assert done["status"] == "done", done
        run = httpx.get(f"{url}/api/runs/{job['run_id']}").json()
        assert run["status"] == "complete" and run["chunks_done"] == run["n_chunks"] == \
            JOB_CHUNKS
        assert httpx.post(f"{url}/api/jobs/{job_id}/resume", headers=head).status_code == 409
    finally:
        proc.terminate()
        # a clean stop: exit 0, or uvicorn's re-raised SIGTERM after its graceful shutdown
        assert proc.wait(timeout=15) in (0, -signal.SIGTERM), proc.returncode


def test_two_clis_and_a_server_write_one_store_at_once(tmp_path):
    db = tmp_path / "shared.db"
    token = create_token(db, "alice")
    proc, url = start_server(db)
    try:
        r = httpx.post(f"{url}/api/jobs/simulate", timeout=60,
                       headers={"Authorization": f"Bearer {token}"},
                       json={"scenario": spec(), "samples": 4 * 1024, "seed": 9})
        assert r.status_code == 202, r.text
        clis = [critmin(*simulate_args(db, 4 * 1024, seed=s, workers=1)) for s in (1, 2)]
        for c in clis:
            _, err = c.communicate(timeout=600)
            assert c.returncode == 0, err
            assert "Traceback" not in err
        job = wait_for(lambda: (j := httpx.get(f"{url}/api/jobs/{r.json()['id']}").json())
                       ["status"] in ("done", "failed") and j, 600, 0.25)
        assert job["status"] == "done", job
        runs = httpx.get(f"{url}/api/runs").json()
        assert len(runs) == 3 and {x["status"] for x in runs} == {"complete"}
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_a_writer_kept_out_gets_one_line_naming_the_holder(tmp_path):
    db = tmp_path / "busy.db"
    ResultsStore(db)
    lock = os.open(f"{db}.lock", os.O_RDWR)
    fcntl.flock(lock, fcntl.LOCK_EX)
    os.ftruncate(lock, 0)
    os.pwrite(lock, f"pid {os.getpid()} (pytest holding the store)\n".encode(), 0)
    try:
        r = subprocess.run([sys.executable, "-m", "critmin.cli", "token", "create", "bob",
                            "--db", str(db)], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "CRITMIN_STORE_WAIT": "1"})
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        os.close(lock)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and f"pid {os.getpid()}" in lines[0] and "busy" in lines[0]


@pytest.mark.parametrize("bad", ["missing", "invalid"])
def test_serve_with_bad_data_prints_one_line_errors(tmp_path, bad):
    data = tmp_path / "data"
    if bad == "invalid":
        data.mkdir()
        (data / "commodities.csv").write_text(
            "commodity,name,group,unit,basis,parent,hs_codes,source_id\n"
            "\"=cmd|' /C calc'!A0\",x,battery,t,x,,,usgs_mcs_2024\n")
    r = subprocess.run([sys.executable, "-m", "critmin.cli", "serve", "--data", str(data),
                        "--db", str(tmp_path / "r.db"), "--port", str(free_port())],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip() and all(":" in line for line in r.stderr.strip().splitlines())


def test_writes_from_threads_of_many_stores_do_not_collide(tmp_path):
    import threading

    db = tmp_path / "threads.db"
    stores = [ResultsStore(db) for _ in range(4)]
    errors = []

    def write(k: int) -> None:
        try:
            for i in range(25):
                stores[k].put_job(f"j{k}-{i}", "simulation", f"u{k}", {"i": i})
                stores[k].update_job(f"j{k}-{i}", progress=0.5)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    jobs = stores[0].jobs()
    assert len(jobs) == 100 and np.allclose(jobs["progress"], 0.5)


def test_sigterm_stops_the_server_fast_and_marks_running_jobs_interrupted(tmp_path):
    db = tmp_path / "term.db"
    token = create_token(db, "alice")
    proc, url = start_server(db)
    r = httpx.post(f"{url}/api/jobs/simulate", timeout=60,
                   headers={"Authorization": f"Bearer {token}"},
                   json={"scenario": spec(), "samples": 100 * 1024, "seed": 4})
    job_id = r.json()["id"]
    wait_for(lambda: httpx.get(f"{url}/api/jobs/{job_id}").json()["progress"] > 0)
    workers = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)  # graceful shutdown is bounded (3 s for open requests)
    assert gone(workers)
    job = ResultsStore(db).job(job_id)
    assert job["status"] == "interrupted"
    assert ResultsStore(db).run(job["run_id"])["status"] == "interrupted"
