"""`critmin serve --private`: results, runs and jobs need a token with the read scope;
data reads stay open. In process (no server start), the job pool is never started."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from critmin.api.app import create_app
from critmin.api.auth import create_token
from critmin.api.settings import Settings


@pytest.fixture(scope="module")
def private(tmp_path_factory):
    db = tmp_path_factory.mktemp("private") / "r.db"
    app = create_app(db, settings=Settings(private=True))
    tokens = {"read": create_token(db, "reader", ("read",)),
              "write": create_token(db, "writer", ("write",))}
    with TestClient(app) as client:
        yield client, tokens


@pytest.mark.parametrize("path", ["/api/runs", "/api/runs/abc", "/api/jobs/abc",
                                  "/api/jobs/abc/result"])
def test_results_need_a_read_token(private, path):
    client, tokens = private
    assert client.get(path).status_code == 401
    r = client.get(path, headers={"Authorization": f"Bearer {tokens['write']}"})
    assert r.status_code == 403 and "read" in r.json()["detail"]
    r = client.get(path, headers={"Authorization": f"Bearer {tokens['read']}"})
    assert r.status_code == (200 if path == "/api/runs" else 404)


def test_data_reads_stay_open_and_openapi_declares_the_bearer(private):
    client, _ = private
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/tables").status_code == 200
    doc = client.get("/openapi.json").json()
    assert doc["paths"]["/api/runs"]["get"].get("security")
    assert "401" in doc["paths"]["/api/runs"]["get"]["responses"]
    assert not doc["paths"]["/api/tables"]["get"].get("security")
