"""`critmin serve --private`: every route but /api/health and the static pages needs the
read scope, and a token sees only its own and its group's scenarios, runs and jobs. In
process (no server start), the job pool is never started."""

from __future__ import annotations

import stat

import pytest
from fastapi.testclient import TestClient

from critmin.api.app import create_app
from critmin.api.auth import create_token
from critmin.api.settings import Settings
from critmin.scenarios.spec import Scenario

from ..store.test_integrity import SPEC, part


@pytest.fixture(scope="module")
def private(tmp_path_factory):
    db = tmp_path_factory.mktemp("private") / "r.db"
    app = create_app(db, settings=Settings(private=True, workers=1))
    tokens = {"read": create_token(db, "reader", ("read",)),
              "write": create_token(db, "writer", ("write",)),
              "ann": create_token(db, "ann", ("read", "write"), group="agency1"),
              "bob": create_token(db, "bob", ("read", "write"), group="agency1"),
              "cy": create_token(db, "cy", ("read", "write"), group="agency2")}
    store = app.state.store
    store.begin("run_ann", Scenario.model_validate(SPEC), {"samples": 4}, ["gallium"], 1,
                owner="ann")
    store.write_chunk("run_ann", 0, part(0), None, 0.0)
    store.complete("run_ann")
    with TestClient(app) as client:
        yield client, tokens, db


def bearer(tokens, who):
    return {"Authorization": f"Bearer {tokens[who]}"}


@pytest.mark.parametrize("path", ["/api/runs", "/api/runs/abc", "/api/jobs/abc",
                                  "/api/jobs/abc/result"])
def test_results_need_a_read_token(private, path):
    client, tokens, _ = private
    assert client.get(path).status_code == 401
    r = client.get(path, headers=bearer(tokens, "write"))
    assert r.status_code == 403 and "read" in r.json()["detail"]
    r = client.get(path, headers=bearer(tokens, "read"))
    assert r.status_code == (200 if path == "/api/runs" else 404)


@pytest.mark.parametrize("path", ["/api/scenarios", "/api/scenarios/CN_2024_Sb_licence",
                                  "/api/tables", "/api/tables/commodities", "/api/summary",
                                  "/api/sources", "/api/assessment",
                                  "/api/dashboard/countries"])
def test_every_data_route_needs_a_read_token(private, path):
    client, tokens, _ = private
    assert client.get(path).status_code == 401
    assert client.get(path, headers=bearer(tokens, "read")).status_code == 200


def test_health_and_pages_stay_open_and_openapi_declares_the_bearer(private):
    client, _, _ = private
    for path in ("/api/health", "/", "/country", "/compare", "/sankey", "/scenario", "/glossary",
                 "/static/app.js"):  # pages hold no data; browsers cannot send the token
        assert client.get(path).status_code == 200, path
    doc = client.get("/openapi.json").json()
    for path in ("/api/runs", "/api/tables", "/api/scenarios", "/api/runs/{run_id}/export",
                 "/api/runs/{run_id}/results"):
        assert doc["paths"][path]["get"].get("security"), path
        assert "401" in doc["paths"][path]["get"]["responses"], path
    assert not doc["paths"]["/api/health"]["get"].get("security")


def test_work_is_seen_by_its_owner_and_group_only(private):
    client, tokens, _ = private
    spec = {**SPEC, "id": "t_ann_private"}
    assert client.post("/api/scenarios", json=spec,
                       headers=bearer(tokens, "ann")).status_code == 201
    for who, sees in (("ann", True), ("bob", True), ("cy", False)):
        h = bearer(tokens, who)
        listed = {s["id"] for s in client.get("/api/scenarios", headers=h).json()}
        assert ("t_ann_private" in listed) is sees, who
        assert client.get("/api/scenarios/t_ann_private", headers=h).status_code == \
            (200 if sees else 404), who
        runs = {r["run_id"] for r in client.get("/api/runs", headers=h).json()}
        assert ("run_ann" in runs) is sees, who
        for tail in ("", "/export"):
            r = client.get(f"/api/runs/run_ann{tail}", headers=h)
            assert r.status_code == (200 if sees else 404), (who, tail, r.status_code)
    assert client.get("/api/runs/run_ann/results",
                      headers=bearer(tokens, "cy")).status_code == 404


def test_store_files_are_owner_only(private):
    _, _, db = private
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.with_name(db.name + ".parts").stat().st_mode) == 0o700


def test_drivers_not_computed_need_a_token_to_start(tmp_path):
    app = create_app(tmp_path / "r.db", settings=Settings(workers=1))
    with TestClient(app) as client:
        r = client.get("/api/dashboard/drivers/CN_2024_Sb_licence?wait=0")
        assert r.status_code == 401 and "token" in r.json()["detail"]
