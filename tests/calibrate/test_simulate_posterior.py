"""`critmin simulate` samples the shipped posterior by default; --priors keeps the priors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from critmin.calibrate.posterior import ENV, write_fits
from critmin.scenarios import get_scenario
from critmin.simulate.paths import latent_priors, posterior_inputs, simulate_paths
from critmin.simulate.runner import simulate
from critmin.store import ResultsStore


@pytest.fixture
def posterior_dir(net, tmp_path, monkeypatch):
    """A posterior whose draws pin every shared input at its prior midpoint except a
    strongly negative approval shift (licences mostly refused), plus a noise term."""
    pri = latent_priors(net, "v1")
    shared = pri[pri["scope"].eq("ALL")]
    rows = {r["name"]: np.full(4, (r["low"] + r["high"]) / 2) for _, r in shared.iterrows()}
    rows["approval_logit_shift"] = np.array([-3.0, -2.9, -2.8, -2.7])
    rows["noise_price"] = np.full(4, 0.3)
    wide = pd.DataFrame(rows)
    write_fits({"all": (wide, np.full(4, 0.25), {"episodes": ["T"], "fit": "all"})}, "v1",
               tmp_path)
    monkeypatch.setenv(ENV, str(tmp_path))
    return tmp_path


def test_posterior_inputs_drop_the_observation_error(posterior_dir):
    post = posterior_inputs("v1")
    assert "noise_price" not in post.names and "approval_logit_shift" in post.names
    a = post.theta(5, 0, 3000)["approval_logit_shift"]
    b = np.concatenate([post.theta(5, 0, 1024)["approval_logit_shift"],
                        post.theta(5, 1024, 3000)["approval_logit_shift"]])
    assert np.array_equal(a, b)  # a sample's draw does not depend on chunking


def test_simulate_uses_the_posterior_unless_priors(net, posterior_dir, tmp_path):
    sc = get_scenario("CN_2024_antimony_licensing", net)
    store = ResultsStore(tmp_path / "runs.sqlite")
    v1 = {"store": store, "model": "v1"}  # the sweep samples the v1 posterior only
    post = simulate(net, sc, samples=1500, seed=2, chunk_size=1024, **v1)
    again = simulate(net, sc, samples=1500, seed=2, chunk_size=2048, **v1)
    prior = simulate(net, sc, samples=1500, seed=2, chunk_size=1024, priors=True, **v1)
    assert len({post, again, prior}) == 3
    col = "peak_price_x|antimony"
    p, a, q = (store.samples(r)[col].to_numpy() for r in (post, again, prior))
    assert np.array_equal(p, a)
    # licences mostly refused in the posterior: higher ex-China prices than the priors give
    assert np.median(p) > np.median(q)
    ds = simulate_paths(net, sc, samples=200, seed=2, months=12, model="v1")
    dp = simulate_paths(net, sc, samples=200, seed=2, months=12, model="v1", priors_only=True)
    assert float(ds["price_ex_china"].max("month").median()) > \
        float(dp["price_ex_china"].max("month").median())
