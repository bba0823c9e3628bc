"""Model v2.2, China's announced annual mining quota: the quota-holding mines' output in a
calendar year cannot exceed the batches announced for that year so far, counted from
January; the model's own output path decides when the cap binds."""

from __future__ import annotations

import datetime as dt
import functools
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.market.v2.kernel import mine_quota
from critmin.market.v2.network import R_CHN
from critmin.market.v2.paths import prepare, run_reference, run_samples
from critmin.market.v2.policy import MineQuotasV2, _year_quota
from critmin.scenarios.presets import presets
from critmin.scenarios.spec import MineQuota, QuotaBatch, Scenario, ScenarioError, parse_scenario
from tests.market_v2.recorded import assert_kernels_agree, record_months

W = "tungsten"
START = dt.date(2025, 9, 1)
record = functools.partial(record_months, seed=5, n=32)


def quota(*batches: tuple[str, int, float], reference_t: float = 114000.0) -> MineQuota:
    return MineQuota(commodity=W, basis="t concentrate, 65 % WO3", content=0.5154,
                     reference_year=2024, reference_t=reference_t, reference_source="x",
                     batches=[QuotaBatch(announced=dt.date.fromisoformat(a), year=y,
                                         tonnes=t, source="x") for a, y, t in batches])


def scenario(*quotas: MineQuota) -> Scenario:
    return Scenario(id="t", name="t", start=START, commodities=[W], mine_quotas=list(quotas))


def _mine(prep) -> int:
    return prep.market.nodes_of(W, ["mine"])[0]


@settings(max_examples=200, deadline=None)
@given(q=st.floats(0.0, 1e6), cov=st.floats(0.0, 1.0), allow=st.floats(0.0, 1e6),
       mined=st.floats(0.0, 1e6), es=st.floats(0.0, 1.0), pc=st.floats(-1.0, 3.0))
def test_the_cap_holds_only_the_quota_share_and_never_adds(q, cov, allow, mined, es, pc):
    # capacity stays between the share outside the quota and q; q itself where the cap is
    # slack or no batch is announced (mutants: the cap on all of China's output, the room
    # not read at last month's price, a slack cap that still rounds q)
    mq = MineQuotasV2(allow=np.array([[allow], [np.inf]]), covered=np.array([cov]),
                      january=np.zeros(2, bool), mined0=np.zeros(1))
    a = (np.array([[mined]]), np.array([[q]]), np.array([[es]]), np.array([[pc]]))
    out, share = mine_quota(mq, *a, 0)
    assert (1 - cov) * q * (1 - 1e-12) <= out[0, 0] <= q
    room = max(allow - mined, 0.0) * 12 * np.exp(-es * pc)
    if room >= cov * q:
        assert out[0, 0] == q
    else:
        assert out[0, 0] == pytest.approx(q - cov * q + room, rel=1e-12, abs=1e-9)
    free, fshare = mine_quota(mq, *a, 1)
    assert free[0, 0] == q and fshare[0, 0] == cov
    assert 0.0 <= share[0, 0] <= 1.0 + 1e-12


@pytest.mark.parametrize("runner", [run_samples, run_reference])
def test_a_slack_quota_changes_nothing(net, runner):
    # batches far above any output: every path identical bit for bit to no quota (the
    # count runs but never binds; mutant: q - held + held rounding, the count reset wrong)
    big = quota(("2025-03-01", 2025, 1e9), ("2026-02-01", 2026, 1e9))
    _, a = record(net, scenario(), 10, runner)
    _, b = record(net, scenario(big), 10, runner)
    for x, y in zip(a, b, strict=True):
        for key in x:
            assert np.array_equal(x[key], y[key], equal_nan=True), key


def test_the_cap_binds_when_the_years_output_reaches_the_batches_and_lifts_in_january(net):
    # a first batch of 40 % of the reference year's total, announced in March 2025: from
    # September, the quota holders' output this year (baseline pace: 8/12 of a year by
    # then) is past it, so only the mines outside the quota produce until January, when
    # the count restarts and no 2026 batch is announced (mutants: no January reset, the
    # count not carried from before the start, the cap on all of China's output)
    sc = scenario(quota(("2025-03-20", 2025, 0.4 * 114000)))
    prep, rec = record(net, sc, 6, run_samples)
    i = _mine(prep)
    cov = prep.compiled.mine.covered[i]
    assert 0.5 < cov < 1.0
    base = prep.market.prod0[i, R_CHN]
    assert prep.compiled.mine.mined0[i] == pytest.approx(cov * base * 8 / 12)
    _, free = record(net, scenario(), 6, run_samples)
    for t in range(4):  # Sep-Dec 2025: only the share outside the quota
        q = rec[t]["produced"][:, i, R_CHN]
        assert (q > 0).all()
        assert (q < 0.5 * free[t]["produced"][:, i, R_CHN]).all()
    for t in (4, 5):  # Jan-Feb 2026: no 2026 batch, the count restarted
        assert rec[t]["produced"][:, i, R_CHN].min() > (1 - cov) * base * 1.05
    assert (rec[3]["pC"] > free[3]["pC"]).mean() > 0.9


def test_a_later_batch_lifts_the_cap_within_the_year(net):
    # a second batch announced in November restores the quota holders' output from that
    # month (mutant: batches not summed, or counted from their year's start)
    one = scenario(quota(("2025-03-20", 2025, 0.4 * 114000)))
    two = scenario(quota(("2025-03-20", 2025, 0.4 * 114000), ("2025-11-10", 2025, 60000.0)))
    prep, a = record(net, one, 4, run_samples)
    _, b = record(net, two, 4, run_samples)
    i = _mine(prep)
    for t in (0, 1):
        assert np.array_equal(a[t]["produced"], b[t]["produced"])
    assert (b[2]["produced"][:, i, R_CHN] > 2 * a[2]["produced"][:, i, R_CHN]).all()


def test_both_kernels_agree_under_a_binding_quota(net):
    sc = scenario(quota(("2025-03-20", 2025, 0.45 * 114000), ("2026-03-01", 2026, 50000.0)))
    prep, fast = record(net, sc, 12, run_samples)
    _, ref = record(net, sc, 12, run_reference)
    assert_kernels_agree(prep, fast, ref, ["produced", "exports", "deliv"], 1e-6)


def test_the_feb_2025_presets_carry_the_ministrys_batches_with_sources(net):
    for sid in ("CN_2025_Feb_W_Te_Bi_Mo_In", "CN_2025_02_five_metals"):
        sc = presets()[sid]
        (q,) = sc.mine_quotas
        got = {(b.year, b.announced.isoformat(), b.tonnes, b.total) for b in q.batches}
        assert got == {(2024, "2024-03-18", 62000, False), (2024, "2024-08-23", 114000, True),
                       (2025, "2025-04-21", 58000, False)}
        cited = {b.source for b in q.batches} | {q.reference_source}
        assert cited <= set(net.sources["source_id"]) and cited <= set(sc.sources)
    cp = prepare(net, presets()["CN_2025_Feb_W_Te_Bi_Mo_In"], 14).compiled
    i = prepare(net, presets()["CN_2025_Feb_W_Te_Bi_Mo_In"], 14).market.nodes_of(W, ["mine"])[0]
    # Feb-Mar 2025 uncapped; from April 58,000 x 114,000 / 62,000 t of concentrate; 2026 free
    assert np.isinf(cp.mine.allow[:2, i]).all() and np.isinf(cp.mine.allow[11:, i]).all()
    assert cp.mine.allow[2:11, i] == pytest.approx(58000 * 114000 / 62000 * 0.5154)


def test_a_years_quota_is_its_total_else_its_batches_scaled_as_the_reference_year():
    # mutants: a total summed with the batches before it, no scaling, the reference
    # year's own batches scaled, a batch counted before its announcement
    q = quota(("2024-03-18", 2024, 62000.0), ("2025-04-21", 2025, 58000.0),
              ("2025-11-10", 2025, 40000.0))
    q.batches.insert(1, QuotaBatch(announced=dt.date(2024, 8, 23), year=2024, tonnes=114000,
                                   total=True, source="x"))
    d = dt.date.fromisoformat
    assert _year_quota(q, 2024, d("2024-04-01")) == 62000
    assert _year_quota(q, 2024, d("2024-09-01")) == 114000
    assert np.isinf(_year_quota(q, 2025, d("2025-04-21")))
    assert _year_quota(q, 2025, d("2025-05-01")) == pytest.approx(58000 * 114000 / 62000)
    assert _year_quota(q, 2025, d("2025-12-01")) == pytest.approx(98000 * 114000 / 62000)
    assert np.isinf(_year_quota(q, 2026, d("2026-06-01")))
    lone = quota(("2025-04-21", 2025, 58000.0))  # no reference-year batches: as announced
    assert _year_quota(lone, 2025, d("2025-05-01")) == 58000


@pytest.mark.parametrize("batch, says", [
    ({"announced": "2026-01-05", "year": 2025, "tonnes": 5.0, "source": "x"},
     "batches.0: announced 2026-01-05 after its year 2025 ended"),
    ({"announced": "2025-04-21", "year": 2025, "tonnes": 0, "source": "x"},
     "batches.0.tonnes"),
    ({"announced": "2025-04-21", "year": 2025, "tonnes": 5.0, "total": 0, "source": "x"},
     "total: 0 is not true or false"),
])
def test_bad_batches_are_refused_with_their_field(batch, says):
    data = dict(id="t", name="t", start="2025-01-01", mine_quotas=[dict(
        commodity=W, basis="t", content=0.5, reference_year=2024, reference_t=1.0,
        reference_source="x", batches=[batch])])
    with pytest.raises(ScenarioError, match=re.escape(says)):
        parse_scenario(data, "presets.yaml")


def test_batches_out_of_order_and_unknown_commodities_are_refused(net):
    q = dict(commodity=W, basis="t", content=0.5, reference_year=2024, reference_t=1.0,
             reference_source="x", batches=[
                 {"announced": "2025-04-21", "year": 2025, "tonnes": 5.0, "source": "x"},
                 {"announced": "2025-03-01", "year": 2025, "tonnes": 5.0, "source": "x"}])
    says = "batches.1: announced 2025-03-01 before batch 0"
    with pytest.raises(ScenarioError, match=re.escape(says)):
        parse_scenario(dict(id="t", name="t", start="2025-01-01", mine_quotas=[q]), "s")
    bad = scenario(quota(("2025-03-20", 2025, 1000.0))).model_copy(update={"mine_quotas": [
        quota(("2025-03-20", 2025, 1000.0)).model_copy(update={"commodity": "ndfeb_magnet"})],
        "commodities": ["ndfeb_magnet"]})
    with pytest.raises(ValueError, match="ndfeb_magnet has no mine stage"):
        prepare(net, bad, 4)


@pytest.mark.parametrize("value", [0, 1, "yes", "true", None])
def test_a_yes_no_field_takes_only_true_or_false(value):
    data = dict(id="t", name="t", start="2025-01-01", controls=[dict(
        exporter="CHN", commodities=[W], measure="export_ban", start="2025-02-01",
        reexport_rule=value)])
    with pytest.raises(ScenarioError, match=re.escape("reexport_rule")):
        parse_scenario(data, "s")
    data["controls"][0]["reexport_rule"] = True
    assert parse_scenario(data, "s").controls[0].reexport_rule is True
