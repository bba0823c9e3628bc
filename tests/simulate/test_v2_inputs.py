"""Where a v2 sweep's latent inputs come from: its shipped posterior by default (it backtests
better out of sample than its priors), its priors with ``priors``, the posterior resampled
per block so chunking does not change a sample, carried in the run's identity, and the
same samples the report's monthly paths re-simulate."""

from __future__ import annotations

import json

import numpy as np
import pytest

from critmin.market.v2 import simulate_paths
from critmin.scenarios import get_scenario
from critmin.simulate.paths import DEFAULT_INPUTS, posterior_inputs
from critmin.simulate.runner import run_inputs, run_key, simulate
from critmin.store import ResultsStore, data_version
from tests.test_cli import run

SCENARIO = "CN_2024_Sb_licence"


@pytest.fixture(scope="module")
def sc(net):
    return get_scenario(SCENARIO, net).model_copy(update={"horizon_quarters": 4})


def test_defaults_follow_the_backtest():
    assert DEFAULT_INPUTS == {"v1": "posterior", "v2": "posterior"}
    assert run_inputs("v2").key.startswith("v2:all:") and run_inputs("v2", priors=True) is None
    assert run_inputs("v2", posterior=True).key.startswith("v2:all:")
    assert run_inputs("v1").key.startswith("v1:all:") and run_inputs("v1", priors=True) is None
    with pytest.raises(ValueError, match="exclude each other"):
        run_inputs("v2", priors=True, posterior=True)


def test_posterior_sweep_is_its_own_run_and_chunking_free(net, sc, tmp_path):
    store = ResultsStore(tmp_path / "r.db")
    prior_run = simulate(net, sc, samples=2500, seed=4, chunk_size=1024, store=store,
                         priors=True)
    post_a = simulate(net, sc, samples=2500, seed=4, chunk_size=1024, store=store,
                      posterior=True)
    post_b = simulate(net, sc, samples=2500, seed=4, chunk_size=2048, store=store,
                      posterior=True)
    assert len({prior_run, post_a, post_b}) == 3
    assert post_a == run_key(sc, 2500, 4, 4, 1024, True, model="v2", posterior=True,
                             data=data_version(net), salt=store.salt)
    runs = {r: json.loads(store.run(r)["inputs"])["inputs"] for r in (prior_run, post_a)}
    assert runs[prior_run] == "priors"
    assert runs[post_a] == posterior_inputs("v2").key
    a, b, p = store.samples(post_a), store.samples(post_b), store.samples(prior_run)
    col = "peak_price_x|antimony"
    assert np.array_equal(a[col].to_numpy(), b[col].to_numpy())  # chunking changes nothing
    assert not np.array_equal(a[col].to_numpy(), p[col].to_numpy())


def test_report_paths_resimulate_the_runs_samples(net, sc, tmp_path):
    store = ResultsStore(tmp_path / "r.db")
    run = simulate(net, sc, samples=300, seed=4, chunk_size=1024, store=store,
                   posterior=True)
    got = store.samples(run)["peak_price_x|antimony"].to_numpy()
    ds = simulate_paths(net, sc, samples=300, seed=4, months=12, priors_only=False)
    px = ds["price_ex_china"].sel(commodity="antimony").values
    assert np.allclose(got, np.maximum(px.max(axis=1), 1.0), rtol=1e-6)
    default = simulate_paths(net, sc, samples=300, seed=4, months=12)
    priors = simulate_paths(net, sc, samples=300, seed=4, months=12, priors_only=True)
    assert np.array_equal(default["price_ex_china"].values, ds["price_ex_china"].values)
    assert not np.allclose(priors["price_ex_china"].sel(commodity="antimony").values, px)


def test_cli_refuses_priors_with_posterior(tmp_path):
    out = run("simulate", "--scenario", SCENARIO, "--samples", "64", "--priors",
              "--posterior", "--db", str(tmp_path / "x.db"))
    assert out.returncode != 0
    assert "--priors and --posterior exclude each other" in out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "x.db").exists()
