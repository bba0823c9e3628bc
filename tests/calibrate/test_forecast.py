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

from critmin.calibrate import errors
from critmin.calibrate.backtest import default_variant
from critmin.cli import app
from critmin.market.registry import DEFAULT_MODEL, model_version
from critmin.workflows.forecast import (
    LEVELS,
    RELATIVE_TO,
    UNRECORDED,
    _score_one,
    content_hash,
    crps_quantiles,
    freeze,
)
from tests.calibrate.conftest import INDEX, write_episodes

runner = CliRunner()
NARROW = {"price": (0.05, 0.02), "exports": (0.10, 0.05)}
WIDE = {"price": (0.60, 0.30), "exports": (1.20, 0.50)}


def _fit(params: dict, seed: int = 0) -> errors.FittedError:
    """A hand-made entry of the error table for the default model and inputs."""
    meta = dict(fitted_on="2026-12-01", model=DEFAULT_MODEL,
                model_version=model_version(DEFAULT_MODEL),
                inputs=default_variant(DEFAULT_MODEL), inputs_version="priors",
                data_version="test", samples=100, seed=seed, episodes="T", by="group")
    return errors.fitted(meta, errors.ErrorModel(params))


def _freeze(sc_file, out, table, samples=40, months=None) -> dict:
    args = ["forecast", "freeze", "--scenario", str(sc_file), "--samples", str(samples),
            "--seed", "1", "--output", str(out), "--errors", str(table)]
    res = runner.invoke(app, args + (["--months", str(months)] if months else []))
    assert res.exit_code == 0, res.output
    (path,) = sorted(out.glob("*.json"), key=lambda p: p.stat().st_mtime)[-1:]
    return json.loads(path.read_text())


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
    errors.append_table(_fit(NARROW), tmp / "error_model.csv")
    _freeze(tmp / "sc.yaml", out, tmp / "error_model.csv")
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


def _observed_later(start: dt.date, tmp_path):
    """An episode of the frozen scenario observed at its start (22,000 USD/t, the
    baseline) and 45 days from today (33,000 USD/t, 1.5x): (that later day, data dir)."""
    later = dt.date.today() + dt.timedelta(days=45)
    row = dict(INDEX[0], episode="T_Sb_now", scenario="T_Sb_now",
               announced=start.isoformat(), in_force=start.isoformat(),
               baseline_date=start.isoformat())
    obs = [("T_Sb_now", "price_ex_china", "WORLD", start.isoformat(), 22000, "USD/t", "R"),
           ("T_Sb_now", "price_ex_china", "WORLD", later.isoformat(), 33000, "USD/t", "R")]
    return later, write_episodes(tmp_path / "data", index=[row], obs=obs)


def test_score_counts_only_observations_after_the_freeze(frozen, tmp_path):
    _, start, path = frozen
    later, data = _observed_later(start, tmp_path)
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


def test_freeze_takes_the_error_tables_last_fit_and_records_it(frozen, tmp_path):
    """The record holds the table's last fit for its model and inputs, and its quantiles
    carry that sd: sqrt(a^2 + b^2 h) by month (kills: freeze keeping the calibration's
    noise, or the table's first fit, or recording a fit it does not apply)."""
    tmp, _, path = frozen
    narrow = json.loads(path.read_text())
    assert narrow["format"] == 3 and narrow["error_model"]["version"] == _fit(NARROW).version
    assert narrow["spin_up_months"] == 0 and narrow["relative_to"] == RELATIVE_TO[0]
    table = tmp_path / "error_model.csv"
    for params in (NARROW, WIDE):  # WIDE is the later fit
        errors.append_table(_fit(params), table)
    wide = _freeze(tmp / "sc.yaml", tmp_path / "out", table)
    assert wide["error_model"]["version"] == _fit(WIDE).version
    assert wide["error_model"]["params"]["price"]["a"] == 0.6
    (p,) = [s for s in wide["series"] if s["variable"] == "price_ex_china"]
    a, b = WIDE["price"]
    assert p["sigma_obs"] == pytest.approx([np.sqrt(a * a + b * b * m) for m in range(12)],
                                           abs=1e-4)
    spread = {}
    for name, rec in (("narrow", narrow), ("wide", wide)):
        (s,) = [s for s in rec["series"] if s["variable"] == "price_ex_china"]
        q = np.asarray(s["quantiles"])
        spread[name] = np.median(q[:, -1] / q[:, 0])
    assert spread["wide"] > 2 * spread["narrow"]


def test_score_uses_the_records_own_error_not_the_tables_latest(frozen, tmp_path):
    """A later refit (a wider fit appended to the table) changes no frozen record's
    score: rows carry the record's error version and sd (kills: score re-deriving the
    error from the table, or dropping the record's)."""
    tmp, start, path = frozen
    rec = json.loads(path.read_text())
    later, data = _observed_later(start, tmp_path)

    def scored() -> dict:
        res = runner.invoke(app, ["forecast", "score", "--json", "--dir", str(path.parent),
                                  "--data", str(data)])
        assert res.exit_code == 0, res.output
        (r,) = [r for r in json.loads(res.output)["rows"] if r["variant"] == path.stem]
        return r

    before = scored()
    errors.append_table(_fit(WIDE), tmp / "error_model.csv")  # a refit after the freeze
    after = scored()
    assert after["crps"] == before["crps"] and after["p95"] == before["p95"]
    (s,) = [s for s in rec["series"] if s["variable"] == "price_ex_china"]
    month = (later.year - start.year) * 12 + later.month - start.month
    assert after["sigma_obs"] == pytest.approx(s["sigma_obs"][month])
    assert after["error_version"] == rec["error_model"]["version"] == _fit(NARROW).version


def test_an_edited_error_table_is_refused_and_changes_nothing(frozen, tmp_path):
    """A fit whose rows were edited after it was written no longer matches its version:
    freeze names the file, row and field and writes no record (kills: no version check)."""
    tmp, _, _ = frozen
    table = tmp_path / "error_model.csv"
    errors.append_table(_fit(WIDE), table)
    text = table.read_text()
    table.write_text(text.replace(",0.6000,", ",0.2000,"))  # a quieter sd, after the fact
    out = tmp_path / "out"
    res = runner.invoke(app, ["forecast", "freeze", "--scenario", str(tmp / "sc.yaml"),
                              "--samples", "20", "--output", str(out), "--errors", str(table)])
    assert res.exit_code == 2
    assert "edited after the fit" in res.output and "row 2" in res.output
    assert not out.exists() or not list(out.glob("*.json"))
    missing = tmp_path / "none.csv"
    res = runner.invoke(app, ["forecast", "freeze", "--scenario", str(tmp / "sc.yaml"),
                              "--samples", "20", "--output", str(out), "--errors", str(missing)])
    assert res.exit_code == 2 and "critmin forecast errors" in res.output


def test_forecast_errors_appends_versions_and_never_rewrites_earlier_ones(tmp_path):
    """``critmin forecast errors`` fits (a, b) per group on the default model's draws and
    appends a version; a refit with another seed adds one after it, the earlier rows kept
    byte for byte; the same fit again writes nothing (kills: rewriting the table)."""
    table = tmp_path / "error_model.csv"
    args = ["forecast", "errors", "--samples", "20", "--episode", "CN_2024_Sb_licence",
            "--episode", "CN_2024_US_ban", "--output", str(table)]
    res = runner.invoke(app, [*args, "--seed", "0"])
    assert res.exit_code == 0, res.output
    first = table.read_text()
    (fit,) = errors.read_table(table)
    assert (fit.meta["model"], fit.meta["inputs"]) == (DEFAULT_MODEL,
                                                       default_variant(DEFAULT_MODEL))
    assert fit.meta["model_version"] == model_version(DEFAULT_MODEL)
    assert set(fit.model.params) == {"price", "exports"}
    assert fit.meta["episodes"] == "CN_2024_Sb_licence;CN_2024_US_ban"
    res = runner.invoke(app, [*args, "--seed", "1"])
    assert res.exit_code == 0, res.output
    assert table.read_text().startswith(first)
    assert [f.meta["seed"] for f in errors.read_table(table)] == [0, 1]
    again = table.read_text()
    res = runner.invoke(app, [*args, "--seed", "1"])
    assert res.exit_code == 0 and "nothing written" in res.output
    assert table.read_text() == again


def test_the_shipped_error_table_fits_the_default_model_and_inputs():
    """Freezing works by default: the shipped table holds a fit of the default model on
    its default inputs, over every training episode; every shipped record names a fit
    the table still holds, or says it was frozen before the table."""
    from critmin.workflows.forecast import list_records

    fit = errors.latest(DEFAULT_MODEL, default_variant(DEFAULT_MODEL))
    assert fit is not None and len(fit.meta["episodes"].split(";")) >= 7
    assert set(fit.model.params) == {"price", "exports"}
    versions = {f.version for f in errors.read_table()}
    records = list_records()
    assert records["error_version"].isin(versions | {UNRECORDED}).all()
    assert (records["error_version"] == fit.version).any()


ZERO = {"price": (0.0, 0.0), "exports": (0.0, 0.0)}


def _spun_up_scenario():
    """Antimony licensing from Oct 2026 under a licence in force since Oct 2025: a run
    spun up 12 months before its start."""
    from critmin.scenarios.spec import Scenario

    ctl = {"exporter": "CHN", "commodities": ["antimony"], "measure": "licence_required"}
    return Scenario(id="T_Sb_under_old", name="antimony under an older licence",
                    start="2026-10-01", horizon_quarters=2, commodities=["antimony"],
                    controls=[dict(ctl, start="2025-10-01", end="2026-09-30"),
                              dict(ctl, start="2026-10-01")])


def test_a_scenario_under_an_earlier_control_is_frozen_spun_up(tmp_path, monkeypatch):
    """Its record states the spin-up (12 months, as the backtest's run of it) and holds
    months 0..5 from the start, each the model's own draw over its level in month -1
    (kills: quantiles over the spin-up months too, or relative to the pre-scenario level,
    or freeze not spinning up: then the same record comes back with spin_up_months 0)."""
    import critmin.simulate.paths as sim
    from critmin.calibrate.backtest import _paths, _theta
    from critmin.calibrate.scoring import quantiles
    from critmin.model.network import load

    net, sc = load(None), _spun_up_scenario()
    table = tmp_path / "zero.csv"
    errors.append_table(_fit(ZERO), table)
    kw = dict(samples=40, seed=1, months=6, today=dt.date(2026, 12, 7), errors_path=table)
    rec = json.loads(freeze(net, sc, directory=tmp_path / "a", **kw).read_text())
    assert sim.spin_up_months(sc) == 12 and rec["spin_up_months"] == 12
    assert rec["format"] == 3 and rec["relative_to"] == RELATIVE_TO[1]
    (s,) = [s for s in rec["series"] if s["variable"] == "price_ex_china"]
    assert len(s["quantiles"]) == 6
    variant = default_variant(DEFAULT_MODEL)
    theta, _ = _theta(variant, DEFAULT_MODEL, sc.id, 40, 1)
    ds, _ = _paths(net, sc, 6, 40, 1, DEFAULT_MODEL, theta, {"price_ex_china"})
    x = ds["price_ex_china"].sel(commodity="antimony").to_numpy()  # (sample, month)
    assert list(ds["month"].values[:1]) == [-12]
    want = [[float(f"{q:.4g}") for q in quantiles(x[:, 12 + m] / x[:, 11], qs=LEVELS)]
            for m in range(6)]
    np.testing.assert_allclose(s["quantiles"], want, rtol=2e-3)
    monkeypatch.setattr(sim, "spin_up_months", lambda sc: 0)  # the run as before
    old = json.loads(freeze(net, sc, directory=tmp_path / "b", **kw).read_text())
    assert old["spin_up_months"] == 0 and old["relative_to"] == RELATIVE_TO[0]
    (o,) = [o for o in old["series"] if o["variable"] == "price_ex_china"]
    assert o["quantiles"] != s["quantiles"]


def test_a_spun_up_record_scores_only_observations_on_its_basis():
    """A spun-up record (relative to month -1) scores an observation whose baseline is the
    month before its start and leaves out one based earlier or an annual value reaching
    before the start; a record without spin-up (format 2 or 3) scores all three as before
    (kills: score ignoring the basis the record was frozen on)."""
    q = [[0.9 + 0.01 * i for i in range(19)]] * 6
    rec = {"levels": list(LEVELS), "series": [
        {"commodity": "antimony", "variable": "price_ex_china", "region": "",
         "quantiles": q, "sigma_obs": [0.1] * 6}]}
    base = dict(episode="E", commodity="antimony", observable="price_ex_china",
                destination="WORLD", variable="price_ex_china", region="", kind="price",
                basis="spot", unit="USD/t", date="2026-12-01", horizon=2, band="0-3",
                observed=1.0, month_from=2, month_to=2, basis_month=-1, rw_months=2.0,
                pre_sigma=0.1, source_id="R", estimated=False)
    rows = [pd.Series(base), pd.Series(dict(base, basis_month=-3)),
            pd.Series(dict(base, month_from=-9, basis_month=-12))]
    spun = {**rec, "spin_up_months": 12}
    assert [_score_one(spun, t, 0) is not None for t in rows] == [True, False, False]
    for plain in (rec, {**rec, "spin_up_months": 0}):
        assert all(_score_one(plain, t, 0) is not None for t in rows)
    assert _score_one(spun, rows[0], 0) == _score_one(rec, rows[0], 0)
