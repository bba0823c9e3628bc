"""The model-path contract on the v1 engine."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from critmin.scenarios.spec import ExportControl, Scenario
from critmin.simulate.paths import latent_priors, simulate_paths


def licence(approval, days=45.0):
    return Scenario(id="t", name="t", start="2024-07-01", commodities=["antimony"],
                    controls=[ExportControl(exporter="CHN", commodities=["antimony"],
                                            measure="licence_required", approval_rate=approval,
                                            processing_days=days, start="2024-07-01")])


def test_dims_and_variables(net):
    ds = simulate_paths(net, licence(None), samples=64, seed=1, months=12, model="v1",
                        priors_only=True)
    assert dict(ds.sizes) == {"sample": 64, "month": 12, "commodity": 1, "region": 4}
    for v in ("price_ex_china", "price_china", "exports_china", "exports_china_dest",
              "shortfall"):
        assert v in ds
    # quarterly engine: months of one quarter share a value
    px = ds["price_ex_china"].to_numpy()
    assert np.array_equal(px[:, 0], px[:, 2]) and (px > 0).all()


def test_theta_replaces_draws_and_is_deterministic(net):
    names = latent_priors(net, "v1")
    shared = names[names["scope"].eq("ALL")]
    theta = {r["name"]: np.full(8, (r["low"] + r["high"]) / 2) for _, r in shared.iterrows()}
    theta["approval_logit_shift"] = np.linspace(-3, 3, 8)
    a = simulate_paths(net, licence(0.5), samples=8, seed=1, months=6, model="v1", theta=theta)
    b = simulate_paths(net, licence(0.5), samples=8, seed=99, months=6, model="v1",
                       theta=theta)
    assert np.allclose(a["price_ex_china"], b["price_ex_china"])  # every draw from theta
    peak = a["price_ex_china"].max("month").isel(commodity=0).to_numpy()
    assert np.all(np.diff(peak) <= 1e-12)  # more approval, lower peak price


def test_announced_full_approval_without_delay_is_the_baseline(net):
    theta = {"approval_logit_shift": np.linspace(-3, 3, 16)}
    free = simulate_paths(net, licence(1.0, 0.0), samples=16, seed=3, months=12, model="v1",
                          theta=theta)
    assert np.allclose(free["price_ex_china"], 1.0) and np.allclose(free["price_china"], 1.0)


def test_unknown_model_and_latent_names_are_errors(net):
    with pytest.raises(ValueError, match="unknown model"):
        simulate_paths(net, licence(None), samples=4, seed=0, model="v9")
    with pytest.raises(ValueError, match="unknown v1 latent inputs: nope"):
        simulate_paths(net, licence(None), samples=4, seed=0, model="v1",
                       theta={"nope": np.zeros(4)})


def test_one_prior_table_serves_both_models(net):
    """Shared inputs of v1 and v2 come from latent_priors.csv, each with a source."""
    from critmin.simulate.paths import PRIOR_COLUMNS

    for model in ("v1", "v2"):
        t = latent_priors(net, model)
        assert list(t.columns) == PRIOR_COLUMNS and t["name"].is_unique
        shared = t[t["scope"].eq("ALL")]
        assert len(shared) >= 14 and (shared["low"] < shared["high"]).all()
        assert shared["source"].str.strip().ne("").all()
        assert len(t) > len(shared)  # and per-commodity inputs after them
        assert t["scope"].ne("ALL").to_numpy()[len(shared):].all()
    assert "choke" in set(latent_priors(net, "v1")["name"])
    assert "choke" not in set(latent_priors(net, "v2")["name"])


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("dist", "triangular", "dist: 'triangular' is not one of"),
    ("low", "9", "low/high: low 9 is not below high"),
    ("high", "x", "low/high: not numbers"),
    ("source", " ", "source: empty"),
])
def test_a_bad_prior_row_names_file_row_and_field(tmp_path, field, value, reason):
    import pandas as pd

    from critmin.simulate.paths import read_prior_table

    src = pd.read_csv(Path(str(resources.files("critmin.data") / "tables"
                               / "latent_priors.csv")), dtype=str, keep_default_na=False)
    src.loc[3, field] = value
    bad = tmp_path / "latent_priors.csv"
    src.to_csv(bad, index=False)
    with pytest.raises(ValueError, match=f"^latent_priors.csv:5: {reason}"):
        read_prior_table(bad)
