"""The HTTP API against a real server process. Every test makes what it needs (no test
relies on another's scenario or job), so the file passes alone and in any order."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest


def spec(sid: str | None = None) -> dict:
    return {"id": sid or f"t_{uuid.uuid4().hex[:10]}", "name": "test", "start": "2026-01-01",
            "horizon_quarters": 4, "commodities": ["gallium"],
            "controls": [{"exporter": "CHN", "commodities": ["gallium"],
                          "measure": "export_ban", "start": "2026-01-01", "leakage": 0.1}]}


@pytest.fixture
def api(server):
    with httpx.Client(base_url=server["url"], timeout=60) as c:
        yield c


def auth(server):
    return {"Authorization": f"Bearer {server['token']}"}


def wait_job(api, job_id: str, limit_s: float = 120) -> tuple[dict, list[float]]:
    seen = []
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        job = api.get(f"/api/jobs/{job_id}").json()
        seen.append(job["progress"])
        if job["status"] in ("done", "failed", "cancelled", "interrupted"):
            return job, seen
        time.sleep(0.2)
    return job, seen


def test_openapi_and_reads_are_open(api):
    doc = api.get("/openapi.json").json()
    assert "/api/jobs/simulate" in doc["paths"] and "/api/assessment" in doc["paths"]
    tables = api.get("/api/tables").json()
    assert {t["name"] for t in tables} >= {"production", "projects", "sources"}
    rows = api.get("/api/tables/commodities").json()
    assert len(rows) >= 20
    a = api.get("/api/assessment", params={"stage": "mine"}).json()
    assert a and all(r["stage"] == "mine" for r in a)


def test_writes_need_a_token(api, server):
    body = spec()
    assert api.post("/api/scenarios", json=body).status_code == 401
    r = api.post("/api/scenarios", json=body, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and r.json()["detail"]
    r = api.post("/api/scenarios", json=body, headers=auth(server))
    assert r.status_code == 201, r.text
    assert api.get(f"/api/scenarios/{body['id']}").json()["id"] == body["id"]
    listed = {s["id"]: s for s in api.get("/api/scenarios").json()}
    assert listed[body["id"]]["user"] is True and listed[body["id"]]["owner"] == "tests"


def test_validation_errors_name_field_paths_and_unknown_ids_404(api):
    body = spec()
    bad = {**body, "controls": [{**body["controls"][0], "approval_rate": 2}]}
    r = api.post("/api/scenarios/validate", json=bad)
    assert r.status_code == 422
    assert any(e["path"] == "body.controls.0.approval_rate" for e in r.json()["detail"])
    assert "Traceback" not in r.text
    for path in ("/api/scenarios/nope", "/api/jobs/nope", "/api/tables/nope",
                 "/api/runs/nope", "/api/jobs/nope/result"):
        r = api.get(path)
        assert r.status_code == 404, path
        assert isinstance(r.json()["detail"], str)


def test_simulation_job_reports_progress_and_completes(api, server):
    body = spec()
    assert api.post("/api/scenarios", json=body, headers=auth(server)).status_code == 201
    r = api.post("/api/jobs/simulate", headers=auth(server),
                 json={"scenario_id": body["id"], "samples": 4096, "seed": 1})
    assert r.status_code == 202, r.text
    job, seen = wait_job(api, r.json()["id"])
    assert job["status"] == "done", job
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert job["owner"] == "tests" and job["run_id"]
    result = api.get(f"/api/jobs/{job['id']}/result").json()
    ga = next(x for x in result["results"] if x["commodity"] == "gallium"
              and x["region"] == "USA")
    assert ga["peak_price_ratio"]["p50"] > 1 and ga["shortfall"]["p50"] > 0
    assert "gallium" in result["paths"]
    run = api.get(f"/api/runs/{job['run_id']}").json()
    assert run["status"] == "complete" and run["owner"] == "tests"
    assert run["chunks_done"] == run["n_chunks"] == 4


def test_jobs_can_be_cancelled_and_their_run_is_marked_cancelled(api, server):
    r = api.post("/api/jobs/simulate", headers=auth(server),
                 json={"scenario": spec(), "samples": 200000, "seed": 5})
    assert r.status_code == 202, r.text
    job = r.json()
    assert api.delete(f"/api/jobs/{job['id']}").status_code == 401
    while api.get(f"/api/jobs/{job['id']}").json()["progress"] == 0 and \
            api.get(f"/api/jobs/{job['id']}").json()["status"] in ("queued", "running"):
        time.sleep(0.1)
    c = api.delete(f"/api/jobs/{job['id']}", headers=auth(server))
    assert c.status_code == 200 and c.json()["status"] == "cancelled"
    job, _ = wait_job(api, job["id"], 5)
    assert job["status"] == "cancelled"
    for _ in range(100):  # the worker notices at its next chunk
        if api.get(f"/api/runs/{job['run_id']}").json()["status"] == "cancelled":
            break
        time.sleep(0.1)
    assert api.get(f"/api/runs/{job['run_id']}").json()["status"] == "cancelled"
    assert api.get(f"/api/jobs/{job['id']}/result").status_code == 409


def test_cached_reads_carry_an_etag_and_answer_304_to_a_client_holding_it(api):
    r = api.get("/api/summary")
    assert r.status_code == 200 and r.headers["server-timing"].startswith("app;dur=")
    tag = r.headers["etag"]
    again = api.get("/api/summary", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    other = api.get("/api/summary", headers={"If-None-Match": '"elsewhere"'})
    assert other.status_code == 200 and other.json() == r.json()
