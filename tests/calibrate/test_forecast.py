"""critmin forecast freeze / list / score end to end: freeze a forecast, add an observation
dated after the freeze to a copy of the data (a user data folder), score it; an edited
record is refused."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from critmin.calibrate.backtest import default_variant
from critmin.cli import app
from critmin.market.registry import DEFAULT_MODEL, model_version
from critmin.workflows.forecast import content_hash, crps_quantiles
from tests.calibrate.conftest import INDEX, write_episodes

runner = CliRunner()


def _quarter_start(d: dt.date) -> dt.date:
    return dt.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


@pytest.fixture(scope="module")
def frozen(tmp_path_factory):
    """A record of an antimony licensing scenario starting this quarter."""
    tmp = tmp_path_factory.mktemp("forecast")
    start = _quarter_start(dt.date.today())
    spec = {"id": "T_Sb_now", "name": "antimony licensing from this quarter",
            "start": start.isoformat(), "horizon_quarters": 4, "commodities": ["antimony"],
            "controls": [{"exporter": "CHN", "commodities": ["antimony"],
                          "measure": "licence_required", "start": start.isoformat()}]}
    (tmp / "sc.yaml").write_text(yaml.safe_dump(spec))
    out = tmp / "records"
    res = runner.invoke(app, ["forecast", "freeze", "--scenario", str(tmp / "sc.yaml"),
                              "--samples", "40", "--seed", "1", "--output", str(out)])
    assert res.exit_code == 0, res.output
    (path,) = out.glob("*.json")
    return tmp, start, path


def test_a_record_is_dated_hashed_and_listed(frozen):
    _, _, path = frozen
    rec = json.loads(path.read_text())
    assert rec["frozen_on"] == dt.date.today().isoformat() and rec["scenario"] == "T_Sb_now"
    assert (rec["model"], rec["inputs"]) == (DEFAULT_MODEL, default_variant(DEFAULT_MODEL))
    assert rec["months"] == 12
    assert rec["sha256"] == content_hash(rec) and path.name.startswith(rec["frozen_on"])
    kinds = {(s["variable"], s["region"]) for s in rec["series"]}
    assert {("price_ex_china", ""), ("exports_china", ""), ("exports_china_dest", "USA")
            } <= kinds
    for s in rec["series"]:
        q = np.asarray(s["quantiles"])
        assert q.shape == (12, 19) and (np.diff(q, axis=1) >= 0).all()
    res = runner.invoke(app, ["forecast", "list", "--json", "--dir", str(path.parent)])
    assert res.exit_code == 0, res.output
    listed = {r["id"]: r for r in json.loads(res.output)}
    assert listed[path.stem]["model_version"] == rec["model_version"]
    assert listed[path.stem]["data_version"] == rec["data_version"]


def test_a_record_names_the_code_and_data_that_made_it(frozen):
    _, _, path = frozen
    rec = json.loads(path.read_text())
    assert rec["model_version"] == model_version(DEFAULT_MODEL)
    assert rec["model_version"].startswith(f"{DEFAULT_MODEL}@")
    assert rec["inputs_version"] == "priors" or rec["inputs_version"].startswith(
        f"{DEFAULT_MODEL}:all:")
    assert len(rec["data_version"]) == 16
    res = runner.invoke(app, ["forecast", "list", "--dir", str(path.parent)])
    assert res.exit_code == 0 and rec["model_version"] in res.output.replace("\n", "")


def test_the_model_version_follows_the_model_code(tmp_path, monkeypatch):
    import critmin.market.registry as reg

    root = tmp_path / "market"
    for name in ("v2", *reg.VERSIONED):
        src = reg.Path(reg.__file__).parent / name
        if src.is_dir():
            (root / name).mkdir(parents=True)
            for f in src.glob("*.py"):
                (root / name / f.name).write_bytes(f.read_bytes())
        else:
            (root / name).write_bytes(src.read_bytes())
    monkeypatch.setattr(reg, "__file__", str(root / "registry.py"))
    before = reg.model_version("v2")
    assert before == model_version("v2")  # the copy hashes as the package does
    kernel = root / "v2" / "kernel.py"
    kernel.write_text(kernel.read_text() + "\n# a changed kernel\n")
    assert reg.model_version("v2") != before
    (root / "v2" / "kernel.py").unlink()
    assert reg.model_version("v2") != before


def test_score_counts_only_observations_after_the_freeze(frozen, tmp_path):
    _, start, path = frozen
    later = dt.date.today() + dt.timedelta(days=45)
    row = dict(INDEX[0], episode="T_Sb_now", scenario="T_Sb_now",
               announced=start.isoformat(), in_force=start.isoformat(),
               baseline_date=start.isoformat())
    obs = [("T_Sb_now", "price_ex_china", "WORLD", start.isoformat(), 22000, "USD/t", "R"),
           ("T_Sb_now", "price_ex_china", "WORLD", later.isoformat(), 33000, "USD/t", "R")]
    data = write_episodes(tmp_path / "data", index=[row], obs=obs)
    res = runner.invoke(app, ["forecast", "score", "--json", "--dir", str(path.parent),
                              "--data", str(data)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    mine = [r for r in out["rows"] if r["variant"] == path.stem]
    assert len(mine) == 1  # the baseline observation is no target; the later one is
    (r,) = mine
    assert r["observed"] == pytest.approx(1.5) and r["date"] == later.isoformat()
    assert r["p5"] <= r["p50"] <= r["p95"] and r["crps"] >= 0
    assert r["crps_no_change"] == pytest.approx(0.5)
    assert r["model_version"] == json.loads(path.read_text())["model_version"]
    assert r["data_version"] == json.loads(path.read_text())["data_version"]
    assert path.stem in {x["id"] for x in out["records"]}
    every = [s for s in out["summary"] if s["variant"] == path.stem
             and (s["episode"], s["band"], s["kind"]) == ("ALL", "ALL", "ALL")]
    assert every[0]["n"] == 1
    assert every[0]["skill_no_change"] == pytest.approx(1 - r["crps"] / 0.5)
    # without the added observation nothing is scored yet
    res = runner.invoke(app, ["forecast", "score", "--dir", str(path.parent)])
    assert res.exit_code == 0 and "no observations dated after" in res.output


def test_an_edited_record_is_refused(frozen, tmp_path):
    _, _, path = frozen
    rec = json.loads(path.read_text())
    rec["series"][0]["quantiles"][3][9] *= 0.5  # a quieter median, after the fact
    bad = tmp_path / "edited"
    bad.mkdir()
    (bad / path.name).write_text(json.dumps(rec))
    for cmd in (["list"], ["score"]):
        res = runner.invoke(app, ["forecast", *cmd, "--dir", str(bad)])
        assert res.exit_code == 2
        assert "edited after it was frozen" in res.output and path.name in res.output


def test_crps_from_quantiles_approaches_the_closed_form():
    from scipy import stats

    levels = np.round(np.arange(1, 20) * 0.05, 2)
    q = stats.norm.ppf(levels)
    for y in (0.0, 0.7, -2.0):
        exact = y * (2 * stats.norm.cdf(y) - 1) + 2 * stats.norm.pdf(y) - 1 / np.sqrt(np.pi)
        assert crps_quantiles(levels, q, y) == pytest.approx(exact, rel=0.15, abs=0.02)
    assert crps_quantiles(levels, np.full(19, 2.0), 2.0) == 0.0


def test_shipped_records_pass_their_hash_check():
    from critmin.workflows.forecast import list_records

    table = list_records()
    assert isinstance(table, pd.DataFrame)
    assert {"Truce_2025_11", "Snapback_2026_11"} <= set(table["scenario"])
