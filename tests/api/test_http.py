"""The HTTP API against a real server process."""

from __future__ import annotations

import time

import httpx

SPEC = {"id": "test_ga_ban", "name": "test", "start": "2026-01-01", "horizon_quarters": 4,
        "commodities": ["gallium"],
        "controls": [{"exporter": "CHN", "commodities": ["gallium"], "measure": "export_ban",
                      "start": "2026-01-01", "leakage": 0.1}]}


def auth(server):
    return {"Authorization": f"Bearer {server['token']}"}


def test_openapi_and_reads_are_open(server):
    doc = httpx.get(f"{server['url']}/openapi.json").json()
    assert "/api/jobs/simulate" in doc["paths"] and "/api/assessment" in doc["paths"]
    tables = httpx.get(f"{server['url']}/api/tables").json()
    assert {t["name"] for t in tables} >= {"production", "projects", "sources"}
    rows = httpx.get(f"{server['url']}/api/tables/commodities").json()
    assert len(rows) >= 20
    a = httpx.get(f"{server['url']}/api/assessment", params={"stage": "mine"}).json()
    assert a and all(r["stage"] == "mine" for r in a)


def test_writes_need_a_token(server):
    r = httpx.post(f"{server['url']}/api/scenarios", json=SPEC)
    assert r.status_code == 401
    r = httpx.post(f"{server['url']}/api/scenarios", json=SPEC,
                   headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401
    r = httpx.post(f"{server['url']}/api/scenarios", json=SPEC, headers=auth(server))
    assert r.status_code == 201
    assert httpx.get(f"{server['url']}/api/scenarios/test_ga_ban").json()["id"] == "test_ga_ban"


def test_validation_errors_name_field_paths_and_unknown_ids_404(server):
    bad = {**SPEC, "controls": [{**SPEC["controls"][0], "approval_rate": 2}]}
    r = httpx.post(f"{server['url']}/api/scenarios/validate", json=bad)
    assert r.status_code == 422
    assert any(e["path"] == "body.controls.0.approval_rate" for e in r.json()["detail"])
    assert httpx.get(f"{server['url']}/api/scenarios/nope").status_code == 404
    assert httpx.get(f"{server['url']}/api/jobs/nope").status_code == 404
    assert httpx.get(f"{server['url']}/api/tables/nope").status_code == 404
    assert "Traceback" not in r.text


def test_simulation_job_reports_progress_and_completes(server):
    r = httpx.post(f"{server['url']}/api/jobs/simulate", headers=auth(server),
                   json={"scenario_id": "test_ga_ban", "samples": 4096, "seed": 1})
    assert r.status_code == 202
    job = r.json()
    seen = []
    for _ in range(240):
        job = httpx.get(f"{server['url']}/api/jobs/{job['id']}").json()
        seen.append(job["progress"])
        if job["status"] in ("done", "failed", "cancelled"):
            break
        time.sleep(0.25)
    assert job["status"] == "done", job
    assert seen == sorted(seen) and seen[-1] == 1.0
    result = httpx.get(f"{server['url']}/api/jobs/{job['id']}/result").json()
    ga = next(x for x in result["results"] if x["commodity"] == "gallium"
              and x["region"] == "USA")
    assert ga["peak_price_ratio"]["p50"] > 1 and ga["shortfall"]["p50"] > 0
    assert "gallium" in result["paths"]


def test_jobs_can_be_cancelled(server):
    r = httpx.post(f"{server['url']}/api/jobs/simulate", headers=auth(server),
                   json={"scenario_id": "CN_2025_10_full_controls", "samples": 200000})
    job = r.json()
    assert httpx.delete(f"{server['url']}/api/jobs/{job['id']}").status_code == 401
    c = httpx.delete(f"{server['url']}/api/jobs/{job['id']}", headers=auth(server)).json()
    for _ in range(240):
        c = httpx.get(f"{server['url']}/api/jobs/{job['id']}").json()
        if c["status"] != "running" and c["status"] != "queued":
            break
        time.sleep(0.25)
    assert c["status"] == "cancelled"
