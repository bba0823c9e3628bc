"""User runs of a scenario spin up like the backtest and ``forecast freeze``: a preset that
lists controls started before its start month (CN_2025_10_full_controls: Ga/Ge Aug 2023,
graphite Dec 2023, ...) is run from the earliest of them and reported from its start on
(``spin_up_months``), so graphite's Dec 2023 licence does not replay at month 0; without
an earlier control a run, its id and its record are what they were, bit for bit.

The end-to-end checks (``critmin simulate`` and the HTTP job) compare graphite, whose only
control in the preset is the Dec 2023 licence, with the run that starts it from the
pre-licence baseline; the mutation tests switch the spin-up off and see them fail."""

from __future__ import annotations

import json

import numpy as np
import pytest

import critmin.simulate.paths as sim
from critmin.market.v2 import simulate_paths as v2_paths
from critmin.scenarios import get_scenario
from critmin.simulate.outputs import monthly_paths
from critmin.simulate.paths import scenario_paths, spin_up_months
from critmin.simulate.report import simulation_report
from critmin.simulate.runner import run_key, simulate
from critmin.store import ResultsStore
from tests.test_cli import run as run_cli

FULL = "CN_2025_10_full_controls"
LEAD = 26  # Aug 2023 (the Ga/Ge licence, the earliest it lists) to Oct 2025
S, SEED, QUARTERS = 64, 0, 2


@pytest.fixture(scope="module")
def full(net):
    return get_scenario(FULL, net)


@pytest.fixture(scope="module")
def graphite_q0(net, full):
    """China's graphite exports in the first quarter (P50 over the samples, t/yr, as the
    report's paths give them): spun up (the reference, through scenario_paths) and
    started from the pre-licence baseline (model v2 without spin-up)."""
    def q0(ds):
        x = ds["exports_china"].sel(commodity="graphite").isel(month=slice(0, 3))
        return float(np.quantile(x.astype(np.float64).mean("month").to_numpy(), 0.5))

    spun = scenario_paths(net, full, samples=S, seed=SEED, months=3 * QUARTERS)
    plain = v2_paths(net, full, samples=S, seed=SEED, months=3 * QUARTERS)
    return {"spun": q0(spun), "plain": q0(plain)}


def assert_no_replay(report: dict, q0: dict) -> None:
    """The run was spun up from Aug 2023 and graphite starts in the state 22 months of its
    licence produced (the reference's), below the run that replays the licence from the
    pre-licence baseline at month 0."""
    assert report["spin_up_months"] == LEAD
    got = report["paths"]["graphite"]["exports_china"]["p50"][0]
    assert got == pytest.approx(q0["spun"], rel=1e-5)
    assert got < q0["plain"]


def test_presets_spin_up_from_their_earliest_earlier_control(net, full):
    assert spin_up_months(full) == LEAD
    assert sim.run_spin_up(full, "v2") == LEAD
    assert sim.run_spin_up(full, "v1") == 0  # v1 has none
    assert sim.run_spin_up(full, "v2", spin_up=False) == 0
    assert sim.run_spin_up(get_scenario("CN_2024_antimony_licensing", net), "v2") == 0


def test_without_an_earlier_control_a_run_is_what_it_was(net, tmp_path):
    """Same run id, same record, same numbers with the spin-up on and off (the sweep's
    months are not shifted: L = 0 is the run without spin-up)."""
    sc = get_scenario("CN_2024_antimony_licensing", net)
    assert spin_up_months(sc) == 0
    args = (sc, S, SEED, QUARTERS, 8192, True)
    assert run_key(*args) == run_key(*args, spin_up=False)
    runs = {}
    for on in (True, False):
        store = ResultsStore(tmp_path / f"{on}.sqlite")
        rid = simulate(net, sc, samples=S, seed=SEED, horizon=QUARTERS, store=store,
                       spin_up=on, progress=False)
        runs[on] = (store, rid)
    (a, ra), (b, rb) = runs[True], runs[False]
    ia, ib = (json.loads(s.run(r)["inputs"]) for s, r in ((a, ra), (b, rb)))
    assert ia == ib and "spin_up_months" not in ia
    assert a.samples(ra).equals(b.samples(rb))
    pa, pb = monthly_paths(a, ra), monthly_paths(b, rb)
    for name in pa.data_vars:
        np.testing.assert_array_equal(pa[name].to_numpy(), pb[name].to_numpy(), name)
    assert simulation_report(a, ra)["spin_up_months"] == 0


def test_paths_of_a_scenario_without_an_earlier_control_are_the_models_own(net):
    """scenario_paths (the optimiser's, impact's, the club's and sensitivity's runs) is the
    model's simulate_paths, bit for bit, where nothing is spun up."""
    sc = get_scenario("CN_2024_antimony_licensing", net)
    got = scenario_paths(net, sc, samples=S, seed=SEED, months=6)
    ref = v2_paths(net, sc, samples=S, seed=SEED, months=6)
    assert got.attrs["spin_up_months"] == 0
    for name in ref.data_vars:
        np.testing.assert_array_equal(got[name].to_numpy(), ref[name].to_numpy(), name)
    assert list(got["month"].values) == list(range(6))


def test_a_spun_up_sweep_reports_the_months_after_the_start(net, tmp_path):
    """The sweep keeps the months from the scenario's start on, value for value the spun-up
    paths (scenario_paths); its id and record name the spin-up, so a run stored without it
    is never taken for this one."""
    sc = get_scenario("CN_2025_Oct_controls", net)
    lead = spin_up_months(sc)
    assert lead == 22  # graphite's Dec 2023 licence to Oct 2025
    store = ResultsStore(tmp_path / "r.sqlite")
    rid = simulate(net, sc, samples=S, seed=SEED, horizon=QUARTERS, store=store,
                   progress=False)
    plain = simulate(net, sc, samples=S, seed=SEED, horizon=QUARTERS, store=store,
                     spin_up=False, progress=False)
    assert rid != plain
    assert json.loads(store.run(rid)["inputs"])["spin_up_months"] == lead
    assert "spin_up_months" not in json.loads(store.run(plain)["inputs"])
    rep = simulation_report(store, rid)
    assert rep["spin_up_months"] == lead and rep["path_dates"][0] == "2025-10-01"
    assert simulation_report(store, plain)["spin_up_months"] == 0
    got = monthly_paths(store, rid)  # what the brief values its portfolio on
    ref = scenario_paths(net, sc, samples=S, seed=SEED, months=3 * QUARTERS)
    assert ref.attrs["spin_up_months"] == got.attrs["spin_up_months"] == lead
    assert list(ref["month"].values) == list(got["month"].values) == list(range(6))
    for name in got.data_vars:
        np.testing.assert_array_equal(got[name].to_numpy(), ref[name].to_numpy(), name)
    other = monthly_paths(store, plain)
    assert not np.array_equal(other["price_ex_china"].to_numpy(),
                              got["price_ex_china"].to_numpy())


def _cli(tmp_path, *extra):
    out = run_cli("simulate", "--scenario", FULL, "--samples", str(S), "--seed", str(SEED),
                  "--horizon", str(QUARTERS), "--no-compare-response", "--db",
                  str(tmp_path / "r.sqlite"), *extra)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_cli_simulate_of_a_preset_with_2023_controls_does_not_replay_them(tmp_path,
                                                                          graphite_q0):
    assert_no_replay(json.loads(_cli(tmp_path, "--json")), graphite_q0)
    text = _cli(tmp_path)  # the stored run again, as a table
    assert "Spin-up: 26 months (spin_up_months), from Aug 2023" in " ".join(text.split())
    plain = json.loads(_cli(tmp_path, "--json", "--no-spin-up"))
    assert plain["spin_up_months"] == 0
    assert plain["paths"]["graphite"]["exports_china"]["p50"][0] == pytest.approx(
        graphite_q0["plain"], rel=1e-5)


def test_cli_check_fails_with_the_spin_up_switched_off(tmp_path, graphite_q0, monkeypatch):
    monkeypatch.setattr(sim, "spin_up_months", lambda sc: 0)
    with pytest.raises(AssertionError):
        assert_no_replay(json.loads(_cli(tmp_path, "--json")), graphite_q0)


def _job(api, server, body) -> dict:
    from tests.api.test_http import auth, wait_job

    r = api.post("/api/jobs/simulate", headers=auth(server), json=body)
    assert r.status_code == 202, r.text
    job, _ = wait_job(api, r.json()["id"], limit_s=600)
    assert job["status"] == "done", job
    return api.get(f"/api/jobs/{job['id']}/result").json()


BODY = {"scenario_id": FULL, "samples": S, "seed": SEED, "horizon_quarters": QUARTERS}


def test_http_simulation_job_of_a_preset_with_2023_controls_does_not_replay_them(
        server, graphite_q0):
    import httpx

    with httpx.Client(base_url=server["url"], timeout=60) as api:
        result = _job(api, server, BODY)
        assert_no_replay(result, graphite_q0)
        run = api.get(f"/api/runs/{result['run_id']}").json()
    inputs = run["inputs"]
    assert (json.loads(inputs) if isinstance(inputs, str) else inputs)["spin_up_months"] == LEAD


def test_http_job_runner_check_fails_with_the_spin_up_switched_off(net, tmp_path,
                                                                  graphite_q0, monkeypatch):
    """The API's job runner (api.jobs, in this process) with the spin-up switched off."""
    from critmin.api import jobs

    store = ResultsStore(tmp_path / "r.sqlite")
    result = jobs._simulation(net, store, BODY | {"scenario": full_dump(net)},
                              lambda *_a: None)
    assert_no_replay(result, graphite_q0)  # as the server runs it
    monkeypatch.setattr(sim, "spin_up_months", lambda sc: 0)
    result = jobs._simulation(net, store, BODY | {"scenario": full_dump(net)},
                              lambda *_a: None)
    with pytest.raises(AssertionError):
        assert_no_replay(result, graphite_q0)


def full_dump(net) -> dict:
    return get_scenario(FULL, net).model_dump(mode="json")
