"""The API's optimisation job computes what `critmin optimize` does (model v2): projects
valued on monthly price paths with an instrument and a period, the multi-period program,
cost sharing; its record is stored as the job's optimisation run."""

from __future__ import annotations

import pytest

from critmin.api.jobs import run_job
from critmin.api.models import OptimisationRequest
from critmin.model.network import load
from critmin.report.runs import optimisation_result
from critmin.scenarios.presets import get_scenario
from critmin.store import ResultsStore


def test_the_optimisation_job_is_the_multi_period_finance_optimiser(tmp_path):
    store = ResultsStore(tmp_path / "r.db")
    req = OptimisationRequest(samples=16, partners=["USA", "JPN"]).model_dump()
    req |= {"scenario": get_scenario(req["scenario_id"], load()).model_dump(mode="json"),
            "horizon_quarters": None}
    store.put_job("j1", "optimisation", "ann", req)
    assert run_job(str(store.path), None, "j1") == "done"
    job = store.job("j1", with_result=True)
    rec = job["result"]
    assert rec["model"] == "v2" and rec["multi_period"] and rec["samples"] == 16
    assert rec["selected_projects"], "the default budgets fund some project"
    for p in rec["selected_projects"]:
        assert {"npv_usd", "irr", "fiscal_cost_usd", "instrument", "period"} <= set(p)
    shares = rec["cost_sharing"]  # shared among the partners asked for, summing to the total
    assert sorted(shares["by_partner"]) == ["JPN", "USA"]
    assert sum(p["shapley_usd"] for p in shares["by_partner"].values()) == \
        pytest.approx(shares["total_usd"])
    assert [f["factor"] for f in rec["frontier"]] == [0.0, 0.5, 1.0, 2.0]
    assert job["run_id"] == rec["optimisation_id"] and job["progress"] == 1.0
    run = store.run(job["run_id"])
    assert run["kind"] == "optimisation" and run["owner"] == "ann"
    stored = optimisation_result(store, job["run_id"])
    assert stored["selected_projects"] == rec["selected_projects"]


@pytest.mark.parametrize("bad", [{"partners": ["USA", "USA"]}, {"regions": []},
                                 {"regions": ["CHN"]}, {"budget_eu": -1.0}, {"china_response": 0}])
def test_bad_optimisation_options_are_refused(bad):
    with pytest.raises(ValueError):
        OptimisationRequest(**bad)
