"""Full disks and exports: a job on a full disk ends ``interrupted`` and resumes; jobs that
would not fit are refused (507); exports stream (no file left anywhere) and are bounded per
client; a response's background work is not cancelled when the client leaves."""

from __future__ import annotations

import errno
import io
import tempfile

import pandas as pd
import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from starlette.background import BackgroundTask
from starlette.responses import PlainTextResponse

from critmin.api import service
from critmin.api.app import create_app
from critmin.api.auth import create_token
from critmin.api.jobs import _net, run_job
from critmin.api.limits import Guard
from critmin.api.service import Slots
from critmin.api.settings import Settings
from critmin.scenarios.spec import Scenario
from critmin.simulate.runner import run_key
from critmin.store import ResultsStore, data_version

from ..store.test_integrity import SPEC, stored


def test_a_job_on_a_full_disk_is_interrupted_leaves_the_store_writable_and_resumes(
        tmp_path, monkeypatch):
    db = tmp_path / "r.db"
    store = ResultsStore(db)
    store.put_job("j1", "simulation", "tests", {"scenario": SPEC, "samples": 2048,
                                               "seed": 0, "horizon_quarters": 2})
    real = ResultsStore.write_chunk
    written = []

    def fill_up(self, run_id, chunk_id, *a, **k):
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(chunk_id)
        return real(self, run_id, chunk_id, *a, **k)

    monkeypatch.setattr(ResultsStore, "write_chunk", fill_up)
    assert run_job(str(db), None, "j1") == "interrupted"
    job = store.job("j1")
    assert job["status"] == "interrupted" and "No space left" in job["error"]
    assert store.run(job["run_id"])["status"] == "interrupted"
    monkeypatch.setattr(ResultsStore, "write_chunk", real)  # space is back
    assert store.update_job("j1", status="queued", only_if=("interrupted",))
    assert run_job(str(db), None, "j1") == "done"
    assert store.run(job["run_id"])["status"] == "complete" and store.chunks_done(
        job["run_id"]) == 2
    sc, ver = Scenario.model_validate(SPEC), data_version(_net(None))
    assert job["run_id"] == run_key(sc, 2048, 0, 2, 1024, True, data=ver, salt=store.salt)
    assert job["run_id"] != run_key(sc, 2048, 0, 2, 1024, True, data=ver)  # not guessable


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("disk")
    stored(tmp)  # run1: 3 parts of 4 samples
    app = create_app(tmp / "r.db", settings=Settings(workers=1))
    token = create_token(tmp / "r.db", "disk")
    with TestClient(app) as c:
        yield c, {"Authorization": f"Bearer {token}"}


def test_jobs_that_would_not_fit_the_disk_are_refused(app, monkeypatch):
    client, auth = app
    monkeypatch.setattr(service.shutil, "disk_usage",
                        lambda _p: type("U", (), {"free": 300 * 2**20})())
    r = client.post("/api/jobs/simulate", headers=auth,
                    json={"scenario": SPEC, "samples": 200_000})
    assert r.status_code == 507 and "disk" in r.json()["detail"]


def test_exports_stream_without_leaving_files(app, monkeypatch, tmp_path):
    client, _ = app
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    r = client.get("/api/runs/run1/export", params={"format": "csv"})
    assert r.status_code == 200 and "run1-samples.csv" in r.headers["content-disposition"]
    df = pd.read_csv(io.StringIO(r.text))
    assert list(df["sample"]) == list(range(12))
    r = client.get("/api/runs/run1/export", params={"format": "parquet"})
    assert pd.read_parquet(io.BytesIO(r.content))["sample"].tolist() == list(range(12))
    r = client.get("/api/runs/run1/export", params={"format": "xlsx"})
    assert len(pd.read_excel(io.BytesIO(r.content))) == 12
    assert list(tmp_path.iterdir()) == []


def test_exports_are_bounded_per_client_and_freed_when_done():
    slots = Slots(per_client=2, total=3)
    a1, a2 = slots.take("a"), slots.take("a")
    with pytest.raises(HTTPException) as exc:
        slots.take("a")
    assert exc.value.status_code == 429
    b1 = slots.take("b")
    with pytest.raises(HTTPException):
        slots.take("c")
    a1()
    a1()  # freeing twice frees once
    slots.take("c")
    with pytest.raises(HTTPException):
        slots.take("d")
    a2(), b1()
    assert slots.open == {"c": 1}


def test_background_work_of_an_answered_request_is_not_cancelled():
    ran = []
    inner = FastAPI()

    @inner.get("/x")
    async def x():
        return PlainTextResponse("ok", background=BackgroundTask(lambda: ran.append(1)))

    with TestClient(Guard(inner, max_body=1000, max_query=1000, timeout_s=10)) as c:
        assert c.get("/x").text == "ok"
    assert ran == [1]


def test_a_table_not_stored_is_a_clean_409_not_a_cut_stream(app):
    """run1 has per-sample parts but no monthly paths (as a job still running): the
    export answers 409 before any byte is sent (it was a 200 cut mid-body)."""
    client, _ = app
    for fmt in ("csv", "parquet", "xlsx"):
        r = client.get("/api/runs/run1/export", params={"table": "paths", "format": fmt})
        assert r.status_code == 409, (fmt, r.status_code)
        assert "no stored paths" in r.json()["detail"]


def test_a_small_table_too_big_for_excel_is_a_409_before_any_byte(app, monkeypatch):
    """Summaries and paths are checked against Excel's limits like per-sample parts (a
    paths table past them was a 200 cut mid-body under schemathesis)."""
    client, _ = app
    r = client.get("/api/runs/run1/export", params={"table": "summary", "format": "xlsx"})
    assert r.status_code == 200 and len(pd.read_excel(io.BytesIO(r.content))) > 0
    monkeypatch.setattr("critmin.store.export.XLSX_MAX_CELLS", 4)
    r = client.get("/api/runs/run1/export", params={"table": "summary", "format": "xlsx"})
    assert r.status_code == 409 and "csv or parquet" in r.json()["detail"]
    r = client.get("/api/runs/run1/export", params={"table": "summary", "format": "csv"})
    assert r.status_code == 200


def test_the_export_route_counts_against_the_token_and_frees_its_slot(app):
    """Two exports streaming for a token: its third is 429, another client's is not; a
    finished export gives its slot back."""
    client, auth = app
    slots = client.app.state.service.exports
    held = [slots.take("token 'disk'") for _ in range(slots.per_client)]
    r = client.get("/api/runs/run1/export", headers=auth)
    assert r.status_code == 429 and "already streams" in r.json()["detail"]
    assert client.get("/api/runs/run1/export").status_code == 200  # by address: free
    for done in held:
        done()
    assert client.get("/api/runs/run1/export", headers=auth).status_code == 200
    assert slots.open == {}
