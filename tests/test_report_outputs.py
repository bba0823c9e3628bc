"""Model v2's outputs in the simulation report and the brief: regions, stages, dated paths,
and monthly paths that the run stored (its own samples; the brief reads them instead of
simulating them again)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import critmin.market.v2.paths as v2_paths
from critmin.market.v2.paths import simulate_paths
from critmin.report.outputs import long_paths, month_dates, monthly_paths, path_dates
from critmin.scenarios import get_scenario
from critmin.simulate.report import simulation_report
from critmin.simulate.runner import simulate
from critmin.store import ResultsStore
from critmin.workflows.brief import simulate_runs


@pytest.fixture(scope="module")
def v2_run(net, tmp_path_factory):
    store = ResultsStore(tmp_path_factory.mktemp("v2") / "r.sqlite")
    sc = get_scenario("CN_2024_antimony_licensing", net)
    return store, sc, simulate(net, sc, samples=300, seed=4, store=store, chunk_size=1024)


def test_dates_follow_the_step():
    assert month_dates(dt.date(2025, 11, 15), range(3), 1) == [
        "2025-11-01", "2025-12-01", "2026-01-01"]
    assert month_dates(dt.date(2025, 10, 1), [0, 1, 5], 3) == [
        "2025-10-01", "2026-01-01", "2027-01-01"]
    quarterly = pd.DataFrame({"sample": 0, "quarter": [0, 1], "value": 1.0})
    monthly = pd.DataFrame({"sample": 0, "month": [0, 1, 2], "value": 1.0})
    assert path_dates(quarterly, dt.date(2024, 7, 1)) == ("quarter", ["2024-07-01",
                                                                      "2024-10-01"])
    assert path_dates(monthly, dt.date(2024, 7, 1))[1][-1] == "2024-09-01"


def test_default_run_is_v2_with_every_region_and_stage(v2_run):
    store, _, rid = v2_run
    rep = simulation_report(store, rid)
    assert rep["model"] == "v2" and rep["inputs"]["model"] == "v2"
    regions = {r["region"] for r in rep["shortfall_by_region"]
               if r["commodity"] == "antimony"}
    assert regions == {"USA", "JPN", "EU", "KOR", "CHN", "ROW"}
    for r in rep["shortfall_by_region"]:
        q = r["shortfall"]
        assert 0 <= q["p5"] <= q["p50"] <= q["p95"] <= 1
        assert 0 <= r["peak_shortfall_physical"]["p50"] <= 1
    sb = [s for s in rep["stages"] if s["commodity"] == "antimony"]
    assert sb and all(s["stage"] in ("mine", "refining", "metal", "product") for s in sb)
    assert all(s["peak_price_x"]["p5"] >= 1 - 1e-6 for s in sb)  # peaks never below 1
    assert max(s["peak_price_x"]["p95"] for s in sb) > 1.01  # the control moves a stage
    assert {r["region"] for r in rep["results"]} == {"USA", "JPN", "ROW", "CHN"}  # as before
    n = len(next(iter(rep["paths"]["antimony"].values()))["p50"])
    assert len(rep["path_dates"]) == n and rep["path_dates"][0] == "2024-07-01"


def test_v1_run_reports_v1_regions_and_no_stages(net, tmp_path):
    store = ResultsStore(tmp_path / "r.sqlite")
    sc = get_scenario("CN_2024_antimony_licensing", net)
    rep = simulation_report(store, simulate(net, sc, samples=64, seed=4, store=store,
                                            model="v1"))
    assert rep["model"] == "v1" and rep["stages"] == [] and rep["paths_step"] == "quarter"
    assert {r["region"] for r in rep["shortfall_by_region"]} == {"USA", "JPN", "ROW", "CHN"}
    assert rep["exports_by_destination"] == {} and rep["exports_dates"] == []


def test_stored_monthly_paths_are_the_simulated_ones(net, v2_run):
    """The monthly paths a run keeps are, value for value, what simulate_paths gives for
    the same scenario, seed and samples (every variable the brief reads; NaN where a
    commodity has no such stage)."""
    store, sc, rid = v2_run
    ds = monthly_paths(store, rid)
    ref = simulate_paths(net, sc, samples=300, seed=4, months=3 * sc.horizon_quarters)
    assert ds.sizes == {**ref.sizes}
    for name in ds.data_vars:
        assert ds[name].dims == ref[name].dims, name
        assert ds[name].dtype == ref[name].dtype, name
        np.testing.assert_array_equal(ds[name].to_numpy(), ref[name].to_numpy(), name)
    assert ds.attrs["simulated"] == ref.attrs["simulated"] == "antimony"


def test_brief_reads_the_runs_monthly_paths_without_simulating(net, v2_run, monkeypatch):
    """The brief's fans and portfolio scenarios are the run's stored monthly paths; the
    monthly engine is never called (a brief that simulates them again fails here)."""
    store, sc, rid = v2_run

    def again(*_a, **_k):
        raise AssertionError("the brief simulated the monthly paths again")

    monkeypatch.setattr(v2_paths, "run_samples", again)
    monkeypatch.setattr(v2_paths, "run_reference", again)
    run_id, base_id, monthly = simulate_runs(net, sc, store, samples=300, seed=4)
    assert base_id is None and monthly.sizes["sample"] == 300  # the preset has no rules
    stored = monthly_paths(store, run_id)
    other_chunks = monthly_paths(store, rid)  # the same samples in chunks of 1,024
    for name in stored.data_vars:
        np.testing.assert_array_equal(monthly[name].to_numpy(), stored[name].to_numpy())
        np.testing.assert_array_equal(monthly[name].to_numpy(),
                                      other_chunks[name].to_numpy())


def test_monthly_paths_are_the_runs_own_samples(v2_run):
    """The brief's monthly fans: their quarterly means are the run's stored paths."""
    store, _sc, rid = v2_run
    inputs = simulation_report(store, rid)["inputs"]
    ds = monthly_paths(store, rid).isel(sample=slice(0, 100))
    assert ds.sizes["sample"] == 100 and ds.sizes["month"] == 3 * inputs["horizon"]
    long = long_paths(ds, ["antimony"])
    stored = store.paths(rid)
    for metric in ("price_x", "shortfall_USA"):
        m = long[long["metric"].eq(metric)].pivot(index="sample", columns="month",
                                                  values="value").to_numpy()
        quarterly = m.reshape(len(m), -1, 3).mean(axis=2)
        s = stored[stored["metric"].eq(metric) & stored["commodity"].eq("antimony")
                   & stored["sample"].lt(100)]
        want = s.pivot(index="sample", columns="quarter", values="value").to_numpy()
        np.testing.assert_allclose(quarterly, want, rtol=1e-5, atol=1e-6)
    assert {"exports_USA", "cover_JPN", "shortfall_KOR"} <= set(long["metric"])
    assert any(m.startswith("price_x_") for m in long["metric"])
    assert np.isfinite(long["value"]).all()


def test_exports_by_destination_are_the_briefs_monthly_fans(v2_run):
    """The dashboard's fan of China's exports by destination: one dated value a month per
    destination China exported to before, the same quantiles as the brief's fan (its
    monthly paths of the run's own samples)."""
    store, _sc, rid = v2_run
    rep = simulation_report(store, rid)
    ex, dates = rep["exports_by_destination"]["antimony"], rep["exports_dates"]
    assert set(ex) == {"USA", "JPN", "EU", "KOR", "ROW"}  # China exports nothing to itself
    months = 3 * rep["inputs"]["horizon"]
    assert dates == month_dates(dt.date(2024, 7, 1), range(months), 1)
    for q in ex.values():
        assert len(q["p5"]) == len(q["p50"]) == len(q["p95"]) == months
        assert np.all(np.array(q["p5"]) <= np.array(q["p50"]))
        assert np.all(np.array(q["p50"]) <= np.array(q["p95"]))
    assert min(ex["USA"]["p50"]) < 0.95  # the control cuts U.S.-bound exports
    long = long_paths(monthly_paths(store, rid), ["antimony"])
    for r in ("USA", "JPN"):
        m = long[long["metric"].eq(f"exports_{r}")].groupby("month")["value"]
        np.testing.assert_allclose(ex[r]["p50"], m.quantile(0.5).to_numpy(), rtol=1e-4,
                                   atol=1e-6)
        np.testing.assert_allclose(ex[r]["p95"], m.quantile(0.95).to_numpy(), rtol=1e-4,
                                   atol=1e-6)

