"""Run exports carry their units and show shares as the tables do (%): every stored metric
has a unit (a new metric without one fails here), per-sample headers name it, summary and
path rows get a ``unit`` column, and shares are scaled to % exactly once."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from critmin.market.v2.chunks import PATH_NAMES, metric_names
from critmin.report.runs import as_shown, unit_of

V1_METRICS = ["peak_ratio", "peak_price_x", "shortfall_USA", "shortfall_JPN", "shortfall_ROW",
              "shortfall_CHN", "min_cover_USA", "min_cover_JPN", "var_usd_USA", "var_usd_JPN",
              "rrg_fired"]


@pytest.mark.parametrize("metric", sorted({*metric_names(), *PATH_NAMES, *V1_METRICS,
                                           "fiscal_cost_usd"}))
def test_every_stored_metric_has_a_unit(metric):
    unit, factor = unit_of(metric)
    assert unit and factor in (1.0, 100.0)
    if "shortfall" in metric:
        assert (unit, factor) == ("%", 100.0)


def test_unknown_metric_is_refused_not_exported_unitless():
    with pytest.raises(KeyError, match="no unit for metric 'mystery'"):
        unit_of("mystery")


def test_samples_headers_name_units_and_shares_are_percent():
    df = pd.DataFrame({"sample": [0, 1], "fiscal_cost_usd": [1e6, 2e6],
                       "shortfall_USA|gallium": [0.25, 0.5],
                       "peak_ratio|gallium": [2.2, 1.0],
                       "min_cover_JPN|gallium": [30.0, 12.0],
                       "rrg_fired|gallium": [True, False]})
    out = as_shown(df, "samples")
    assert list(out.columns) == ["sample", "fiscal_cost_usd [USD]",
                                 "shortfall_USA|gallium [%]", "peak_ratio|gallium [x]",
                                 "min_cover_JPN|gallium [days]", "rrg_fired|gallium [0/1]"]
    np.testing.assert_allclose(out["shortfall_USA|gallium [%]"], [25.0, 50.0])
    np.testing.assert_allclose(out["peak_ratio|gallium [x]"], [2.2, 1.0])
    assert df["shortfall_USA|gallium"].tolist() == [0.25, 0.5]  # input untouched


def test_summary_and_paths_get_a_unit_column_and_percent_values():
    s = pd.DataFrame({"commodity": ["ga", "ga", "ga"],
                      "metric": ["shortfall_JPN", "min_cover_USA", "rrg_fired"],
                      "p5": [0.1, 10.0, np.nan], "p50": [0.2, 20.0, np.nan],
                      "p95": [0.3, 30.0, np.nan], "mean": [0.2, 20.0, 0.4],
                      "cvar95": [0.35, 5.0, np.nan], "prob_below": [np.nan, 0.25, np.nan]})
    out = as_shown(s, "summary")
    assert list(out.columns[:3]) == ["commodity", "metric", "unit"]
    assert out["unit"].tolist() == ["%", "days", "% of samples"]
    np.testing.assert_allclose(out["p50"].iloc[:2], [20.0, 20.0])
    np.testing.assert_allclose(out["mean"], [20.0, 20.0, 40.0])
    assert out["prob_below [%]"].iloc[1] == pytest.approx(25.0)
    p = pd.DataFrame({"sample": [0, 0], "quarter": [0, 0], "commodity": ["ga", "ga"],
                      "metric": ["shortfall_USA", "price_x"], "value": [0.05, 1.8]})
    shown = as_shown(p, "paths")
    assert shown["unit"].tolist() == ["%", "x"]
    np.testing.assert_allclose(shown["value"], [5.0, 1.8])


def test_cli_and_api_export_the_same_samples_table(tmp_path):
    import io

    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from critmin.api.app import create_app
    from critmin.cli import app
    from tests.store.test_integrity import stored

    stored(tmp_path)  # run1: 12 samples of peak_ratio|gallium and fiscal_cost_usd
    out = tmp_path / "s.csv"
    r = CliRunner().invoke(app, ["runs", "export", "run1", "-o", str(out), "--db",
                                 str(tmp_path / "r.db")])
    assert r.exit_code == 0, r.output
    cli = pd.read_csv(out)
    with TestClient(create_app(tmp_path / "r.db")) as c:
        api = pd.read_csv(io.StringIO(c.get("/api/runs/run1/export",
                                            params={"format": "csv"}).text))
    assert list(cli.columns) == list(api.columns) == [
        "sample", "peak_ratio|gallium [x]", "fiscal_cost_usd [USD]"]
    pd.testing.assert_frame_equal(cli, api)


def test_path_exports_date_each_step(tmp_path):
    """A stored path table's quarter index comes with the first day of that quarter, from
    the run's scenario start (2026-01-01 in the stored test run)."""
    from critmin.report.runs import dated, export_frame
    from critmin.store import ResultsStore
    from tests.store.test_integrity import stored

    p = pd.DataFrame({"sample": [0, 0, 0], "quarter": [0, 1, 4], "commodity": ["ga"] * 3,
                      "metric": ["shortfall_USA"] * 3, "value": [0.1, 0.2, 0.3]})
    got = dated(p, dt.date(2025, 10, 9))
    assert list(got.columns[:3]) == ["sample", "quarter", "quarter_start"]
    assert got["quarter_start"].tolist() == ["2025-10-01", "2026-01-01", "2026-10-01"]
    store: ResultsStore = stored(tmp_path)
    p.to_parquet(store.parts / "run1" / "paths.parquet")
    out = export_frame(store, store.run("run1"), "paths")
    assert out["quarter_start"].tolist() == ["2026-01-01", "2026-04-01", "2027-01-01"]
    assert out["unit"].tolist() == ["%"] * 3 and out["value"].tolist() == [10.0, 20.0, 30.0]
