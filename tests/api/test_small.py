"""Smaller findings of the outside probe: lone surrogates refused, integral floats taken as
integers, the schema saying what the service refuses, run ids that cannot be guessed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from critmin.api.app import create_app
from critmin.api.models import SimulationRequest
from critmin.api.settings import Settings
from critmin.scenarios.spec import Scenario
from critmin.simulate.runner import run_key
from critmin.store import ResultsStore

from ..store.test_integrity import SPEC


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("small") / "r.db", settings=Settings(workers=1))
    with TestClient(app) as c:
        yield c


def test_a_lone_surrogate_in_a_scenario_is_refused(client):
    body = '{"id": "t_sur", "name": "bad \\ud800", "start": "2026-01-01", ' \
           '"horizon_quarters": 4, "commodities": ["gallium"]}'
    r = client.post("/api/scenarios/validate", content=body,
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["path"] == "body.name"
    from critmin.api.auth import create_token

    auth = {"Authorization": "Bearer " + create_token(client.app.state.store.path, "sur"),
            "Content-Type": "application/json"}
    r = client.post("/api/scenarios", content=body, headers=auth)  # stored, its GET was 500
    assert r.status_code == 422 and r.json()["detail"][0]["path"] == "body.name"
    assert client.get("/api/scenarios/t_sur").status_code == 404
    r = client.post("/api/jobs/simulate", content='{"samples": 16, "scenario": ' + body + "}",
                    headers=auth)
    assert r.status_code == 422 and r.json()["detail"][0]["path"] == "body.scenario.name"


def test_integral_floats_are_integers_and_others_are_refused():
    assert SimulationRequest.model_validate({"scenario_id": "x", "samples": 20000.0}
                                            ).samples == 20000
    for bad in (20000.5, True, "20000"):
        with pytest.raises(ValidationError):
            SimulationRequest.model_validate({"scenario_id": "x", "samples": bad})


def test_the_schema_says_what_is_refused(client):
    comp = client.get("/openapi.json").json()["components"]["schemas"]
    one = comp["SimulationRequest"]["oneOf"]
    assert [b["required"] for b in one] == [["scenario_id"], ["scenario"]]
    triggers = [b["required"][0] for b in comp["ResponseRule"]["anyOf"]]
    assert triggers == ["price_ratio_above", "cover_days_below", "approval_rate_below"]


def test_run_ids_cannot_be_guessed_from_inputs(tmp_path):
    a, b = ResultsStore(tmp_path / "a.db"), ResultsStore(tmp_path / "b.db")
    assert len(a.salt) == 32 and a.salt != b.salt
    assert ResultsStore(tmp_path / "a.db").salt == a.salt  # same store: runs resume
    sc = Scenario.model_validate(SPEC)
    keys = {run_key(sc, 64, 0, 4, 1024, True, data="d", salt=s) for s in ("", a.salt, b.salt)}
    assert len(keys) == 3


def test_a_filter_on_a_column_the_table_lacks_is_422(client):
    r = client.get("/api/tables/sources", params={"country": "USA"})
    assert r.status_code == 422 and "no country column" in r.json()["detail"][0]["reason"]
    r = client.get("/api/tables/sources", params={"commodity": "gallium", "format": "csv"})
    assert r.status_code == 422 and "no commodity column" in r.json()["detail"][0]["reason"]


def test_simulate_needs_exactly_one_scenario_and_a_rule_needs_a_trigger(client):
    from critmin.api.auth import create_token

    auth = {"Authorization": "Bearer " + create_token(client.app.state.store.path, "small")}
    both = {"scenario_id": "CN_2024_antimony_licensing", "scenario": SPEC, "samples": 16}
    for body in ({"samples": 16}, both):
        r = client.post("/api/jobs/simulate", json=body, headers=auth)
        assert r.status_code == 422 and "exactly one" in r.json()["detail"][0]["reason"]
    rule = {"name": "r", "actions": ["coordinated_release"]}
    r = client.post("/api/scenarios/validate", json={**SPEC, "responses": [rule]})
    assert r.status_code == 422 and "trigger" in r.text
