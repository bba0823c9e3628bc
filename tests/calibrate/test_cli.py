"""critmin calibrate / backtest / sensitivity end to end through the CLI."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from typer.testing import CliRunner

from critmin.calibrate.posterior import ENV
from critmin.cli import app
from critmin.market.registry import model_version

runner = CliRunner()
KEYS = {"episode", "observable", "date", "observed", "p5", "p50", "p95", "crps", "in_90",
        "in_50", "commodity", "variant", "model"}


def test_calibrate_then_backtest(episode_dir, tmp_path):
    post = tmp_path / "post"
    res = runner.invoke(app, ["calibrate", "--data", str(episode_dir), "--episodes",
                              "T_Sb_licence,T_US_ban", "--samples", "30", "--generations",
                              "1", "--loo", "--seed", "3", "--output", str(post),
                              "--model", "v1"])
    assert res.exit_code == 0, res.output
    meta = json.loads((post / "posterior_meta.json").read_text())
    assert set(meta["v1"]) == {"all", "loo:T_Sb_licence", "loo:T_US_ban"}
    assert meta["v1"]["loo:T_US_ban"]["episodes"] == ["T_Sb_licence"]
    html = tmp_path / "bt.html"
    res = runner.invoke(app, ["backtest", "--data", str(episode_dir), "--episode",
                              "T_Sb_licence", "--episode", "T_US_ban", "--json",
                              "--samples", "100", "--posterior", str(post),
                              "--html", str(html), "--model", "v1"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert (out["model"], out["default_variant"]) == ("v1", "posterior")
    assert out["model_version"] == model_version("v1")  # the code that scored
    assert len(out["data_version"]) == 16
    every = [s for s in out["summary"] if (s["episode"], s["band"], s["kind"]) ==
             ("ALL", "ALL", "ALL")]
    assert {s["variant"] for s in every} == {"priors_v1", "posterior", "loo"}
    for s in every:
        assert s["n"] == len(out["rows"]) // 3 and sum(s["pit_histogram"]) == s["n"]
        assert s["coverage_50"] <= s["coverage_80"] <= s["coverage_90"]
        assert s["skill_no_change"] == pytest.approx(1 - s["crps"] / s["crps_no_change"])
    rows = out["rows"]
    assert rows and all(set(r) >= KEYS | {"sigma_obs"} for r in rows)
    # each episode's observation error is fitted on the other episode's rows (too few
    # here: the stated discrepancy, price sd 0.5, exports 1.0)
    assert set(out["error_model"]) == {"priors_v1", "posterior", "loo"}
    rule = out["default_rule"]  # v1's priors are priors_v1
    assert rule["picks"] in {"priors", "posterior"} and rule["n"] == len(rows) // 3
    assert set(out["error_model"]["loo"]) == {"T_Sb_licence", "T_US_ban"}
    assert out["spin_up_months"] == {"T_Sb_licence": 0, "T_US_ban": 0}  # v1: none
    assert {r["sigma_obs"] for r in rows} <= {0.5, 1.0}
    assert {r["variant"] for r in rows} == {"priors_v1", "posterior", "loo"}
    for r in rows:
        assert r["p5"] <= r["p50"] <= r["p95"] and r["crps"] >= 0
    n = {v: sum(r["variant"] == v for r in rows) for v in ("priors_v1", "posterior", "loo")}
    assert n["priors_v1"] == n["posterior"] == n["loo"]
    text = html.read_text()
    assert text.count("<script") >= 2 and "T_Sb_licence" in text and "src=\"http" not in text
    assert "PIT histogram" in text and "skill_no_change" in text
    # --posterior applied to that command only: later callers in this process read the
    # shipped posterior again (the setting once leaked into every later test)
    assert ENV not in os.environ


def test_reserved_episode_is_refused(episode_dir, tmp_path):
    res = runner.invoke(app, ["calibrate", "--data", str(episode_dir), "--episodes",
                              "CN_2025_04_heavyREE_licensing", "--output", str(tmp_path)])
    assert res.exit_code == 2
    assert "reserved for out-of-sample evaluation" in res.output
    assert not (tmp_path / "posterior.csv").exists()


def test_sensitivity_json_names_drivers():
    res = runner.invoke(app, ["sensitivity", "--scenario", "DRC_cobalt_ban_then_quota",
                              "--json", "--samples", "32", "--model", "v1"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    top = out["top_drivers"]
    assert top and {"output", "commodity", "input", "ST", "S1"} <= set(top[0])
    assert {t["output"] for t in top} >= {"peak_price_ex_china", "shortfall"}


def test_bad_samples_for_sensitivity_is_a_usage_error():
    res = runner.invoke(app, ["sensitivity", "--scenario", "DRC_cobalt_ban_then_quota",
                              "--samples", "30"])
    assert res.exit_code == 2 and "power of 2" in res.output


def test_limited_sobol_outputs_equal_the_full_analysis():
    """The brief analyses only the outputs it shows; their indices are the full run's."""
    import critmin
    from critmin.calibrate.sensitivity import sobol_indices
    from critmin.scenarios import get_scenario

    net = critmin.load()
    sc = get_scenario("DRC_cobalt_ban_then_quota", net)
    full = sobol_indices(net, sc, samples=8, seed=3, model="v1")
    part = sobol_indices(net, sc, samples=8, seed=3, model="v1", commodities=["cobalt"],
                         outputs=("shortfall",), regions=("USA",))
    assert not part.empty and set(part["output"]) == {"shortfall"}
    assert set(part["commodity"]) == {"cobalt"} and set(part["region"]) == {"USA"}
    same = full.merge(part, on=["output", "commodity", "region", "input"], suffixes=("", "_p"))
    assert len(same) == len(part)
    np.testing.assert_array_equal(same["ST"], same["ST_p"])
