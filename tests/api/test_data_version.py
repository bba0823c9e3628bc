"""Runs, jobs and the dashboard follow the loaded data version: a sweep on changed data
gets a new run key (its chunks are computed afresh, never mixed with the old ones), a job
is not resumed on changed data (409, one line), and the dashboard answers from the data
the server reloaded."""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import critmin
from critmin.api.app import create_app
from critmin.api.auth import create_token
from critmin.api.settings import Settings
from critmin.data.io import shipped_dir
from critmin.scenarios.spec import Scenario
from critmin.simulate.runner import run_key, simulate
from critmin.store import ResultsStore, data_version

from .test_http import spec
from .test_processes import wait_for


def _data_dir(tmp_path, table: str):
    """A --data directory holding a copy of one shipped table; returns (dir, csv path)."""
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(shipped_dir() / f"{table}.csv", folder / f"{table}.csv")
    return folder, folder / f"{table}.csv"


def _halve_production(path, commodity: str, stage: str, country: str, year: int,
                      zero: str | None = None) -> float:
    """Halve one production value in a CSV copy (and with ``zero``, set that country's
    output of the same commodity and stage to 0 in every year); returns the new value."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = (df["commodity"].eq(commodity) & df["stage"].eq(stage) & df["country"].eq(country)
           & df["year"].eq(str(year)))
    assert row.sum() == 1
    new = float(df.loc[row, "value"].iloc[0]) / 2
    df.loc[row, "value"] = repr(new)
    if zero is not None:
        df.loc[df["commodity"].eq(commodity) & df["stage"].eq(stage)
               & df["country"].eq(zero), "value"] = "0"
    # written beside and moved into place, as an editor saves: a data check that runs
    # while the file is half written must not see it (that would be a different test)
    tmp = path.with_name(path.name + ".tmp")
    df.to_csv(tmp, index=False)
    os.replace(tmp, path)
    return new


def test_run_key_carries_the_data_version_and_changed_data_starts_afresh(tmp_path, net):
    folder, csv = _data_dir(tmp_path, "production")
    first = net.production.iloc[0]
    _halve_production(csv, first["commodity"], first["stage"], first["country"],
                      int(first["year"]))
    changed = critmin.load(folder)
    assert data_version(changed) != data_version(net)
    sc = Scenario.model_validate(spec("dv"))
    assert run_key(sc, 64, 0, 4, 1024, True, data=data_version(net)) != run_key(
        sc, 64, 0, 4, 1024, True, data=data_version(changed))
    store = ResultsStore(tmp_path / "r.db")
    kw = dict(samples=64, seed=0, store=store, model="v1", priors=True)
    old = simulate(net, sc, **kw)
    assert simulate(net, sc, **kw) == old  # same data: the same run, resumable
    new = simulate(changed, sc, **kw)
    assert new != old
    runs = store.runs().set_index("run_id")
    assert runs.loc[old, "status"] == runs.loc[new, "status"] == "complete"
    assert store.chunks_done(new) == store.chunks_done(old) == 1


@pytest.fixture
def reloading(tmp_path):
    """A server app on a --data directory re-checked every 0.2 s, with a write token."""
    folder, csv = _data_dir(tmp_path, "production")
    db = tmp_path / "r.db"
    app = create_app(db, folder, Settings(workers=1, data_check_s=0.2))
    token = create_token(db, "alice")
    with TestClient(app) as client:
        yield app, client, csv, {"Authorization": f"Bearer {token}"}


def _reloaded(app, before: str) -> bool:
    return app.state.cache.state.content != before


def test_dashboard_follows_a_data_reload(reloading):
    app, client, csv, _ = reloading
    rows = client.get("/api/dashboard/country/AUS").json()["production"]
    r = rows[0]
    before = app.state.cache.state.content
    new = _halve_production(csv, r["commodity"], r["stage"], "AUS", r["year"])
    wait_for(lambda: _reloaded(app, before), 120)
    rows = client.get("/api/dashboard/country/AUS").json()["production"]
    now = next(x for x in rows if (x["commodity"], x["stage"], x["year"]) == (
        r["commodity"], r["stage"], r["year"]))
    assert now["value"] == pytest.approx(new) and new != pytest.approx(r["value"])


def test_a_job_is_not_resumed_on_changed_data(reloading):
    app, client, csv, head = reloading
    r = client.post("/api/jobs/simulate", headers=head,
                    json={"scenario_id": "CN_2024_antimony_licensing", "samples": 200_000})
    assert r.status_code == 202, r.text
    job = r.json()["id"]
    assert client.delete(f"/api/jobs/{job}", headers=head).json()["status"] == "cancelled"
    before = app.state.cache.state.content
    first = app.state.cache.state.net.production.iloc[0]
    _halve_production(csv, first["commodity"], first["stage"], first["country"],
                      int(first["year"]))
    wait_for(lambda: _reloaded(app, before), 120)
    r = client.post(f"/api/jobs/{job}/resume", headers=head)
    assert r.status_code == 409
    detail = r.json()["detail"]
    assert "data" in detail and before in detail and "\n" not in detail


def test_recent_reads_are_ready_for_new_data_before_it_is_served(reloading):
    """... and the N-1 scenarios (built once per served network) are built again: with
    the largest producer's output at zero, the next producer is the one lost."""
    app, client, csv, _ = reloading
    cache = app.state.cache
    old = client.get("/api/summary")
    assert old.status_code == 200
    before = cache.state.content
    first = cache.state.net.production.iloc[0]
    n1 = f"/api/scenarios/n1:{first['commodity']}:{first['stage']}"
    lost = client.get(n1).json()["outages"][0]["country"]
    _halve_production(csv, first["commodity"], first["stage"], first["country"],
                      int(first["year"]), zero=lost)
    wait_for(lambda: _reloaded(app, before), 120)
    assert client.get(n1).json()["outages"][0]["country"] != lost
    assert (cache.state.version, "summary") in cache.entries  # computed before the switch
    started = cache.started
    new = client.get("/api/summary")
    assert new.status_code == 200 and cache.started == started
    assert new.headers["etag"] == cache.entries[(cache.state.version, "summary")].etag

