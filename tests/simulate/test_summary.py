"""Out-of-core summaries (DuckDB over the Parquet parts) equal the definitions computed on
all samples in memory, for any chunking of the run and any batching of the columns."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from critmin.scenarios import get_scenario
from critmin.simulate import summary
from critmin.simulate.engine import BLOCK
from critmin.simulate.runner import simulate
from critmin.simulate.summary import summarise
from critmin.store import ResultsStore

N = BLOCK + 101  # two parts in chunks of BLOCK, one in chunks of 3 BLOCK


@pytest.fixture(scope="module")
def runs(net, tmp_path_factory):
    """One v1 run stored in chunks of BLOCK (two parts) and again in chunks of 3 BLOCK (one)."""
    store = ResultsStore(tmp_path_factory.mktemp("summary") / "r.db")
    sc = get_scenario("CN_2025_10_full_controls", net)
    a = simulate(net, sc, samples=N, seed=11, chunk_size=BLOCK, store=store, model="v1")
    other = ResultsStore(tmp_path_factory.mktemp("summary3") / "r.db")
    b = simulate(net, sc, samples=N, seed=11, chunk_size=3 * BLOCK, store=other,
                 model="v1")
    return (store, a), (other, b)


def expected(v: np.ndarray, worst_low: bool) -> dict:
    """The summary's definitions on one column held in memory."""
    s = np.sort(v.astype(np.float64))
    n = len(s)
    tail = s[:max(1, math.ceil(0.05 * n))] if worst_low else s[math.floor(0.95 * n):]
    q = np.quantile(s, [0.05, 0.5, 0.95])
    return dict(p5=q[0], p50=q[1], p95=q[2], mean=s.mean(), cvar95=tail.mean())


def test_summary_equals_the_in_memory_definitions(runs):
    (store, rid), _ = runs
    got = summarise(store, rid, cover_days=45.0).set_index(["commodity", "metric"])
    df = store.samples(rid)
    assert got.attrs["samples"] == N
    checked = 0
    for col in df.columns:
        if "|" not in col:
            continue
        metric, commodity = col.split("|")
        row = got.loc[(commodity, metric)]
        if metric == "rrg_fired":
            assert row["mean"] == df[col].sum() / N
            continue
        want = expected(df[col].to_numpy(), metric.startswith("min_cover"))
        for k, w in want.items():  # quantiles: same interpolation, rounding to 1e-15
            assert row[k] == pytest.approx(w, rel=1e-13, abs=1e-300, nan_ok=True), (col, k)
        if metric.startswith("min_cover"):
            assert row["prob_below"] == (df[col].to_numpy(np.float64) < 45.0).sum() / N
        checked += 1
    fiscal = got.loc[("ALL", "fiscal_cost_usd")]
    for k, w in expected(df["fiscal_cost_usd"].to_numpy(), False).items():
        assert fiscal[k] == pytest.approx(w, rel=1e-13, abs=1e-300)
    assert checked >= 40 and got.loc[("dy", "shortfall_USA"), "p95"] > 0


def test_summary_is_identical_for_any_chunking_and_column_batching(runs, monkeypatch):
    (store, a), (other, b) = runs
    whole = summarise(store, a)
    pd.testing.assert_frame_equal(whole, summarise(other, b), check_exact=True)
    monkeypatch.setattr(summary, "BATCH_BYTES", 7 * 8 * N)  # seven columns a query
    pd.testing.assert_frame_equal(whole, summarise(store, a), check_exact=True)


def test_metrics_the_model_lacks_report_nan(net, tmp_path):
    store = ResultsStore(tmp_path / "v2.db")
    sc = get_scenario("CN_2025_10_full_controls", net)
    rid = simulate(net, sc, samples=300, seed=2, chunk_size=BLOCK, store=store, model="v2")
    got = summarise(store, rid)
    df = store.samples(rid)
    empty = [c for c in df.columns if "|" in c and df[c].isna().all()]
    assert empty, "model v2 reports some metric without values (a stage it lacks)"
    s = got.set_index(["commodity", "metric"])
    for col in empty:
        metric, commodity = col.split("|")
        assert s.loc[(commodity, metric), ["p5", "p50", "p95", "mean", "cvar95"]].isna().all()
    full = got.dropna(subset=["p50"])
    assert len(full) > len(got) / 2 and (full["p5"] <= full["p95"]).all()


def test_a_run_without_parts_is_a_key_error(tmp_path):
    with pytest.raises(KeyError, match="no stored chunks"):
        summarise(ResultsStore(tmp_path / "e.db"), "nope")
