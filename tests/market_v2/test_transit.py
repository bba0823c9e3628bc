"""Model v2.1, shipments in transit: a non-Chinese exporter's lost flow reaches its buyers
through two in-transit stages (``transit_months``), so a ban is felt only as the cargo
already shipped runs out, and resumed exports arrive months after they restart."""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.market.v2.kernel import in_transit, transit_decay
from critmin.market.v2.network import REGIONS
from critmin.market.v2.paths import run_reference, run_samples
from critmin.scenarios.spec import ExportControl, Scenario
from tests.market_v2.recorded import record_months

START = dt.date(2026, 1, 1)
CO = "cobalt"
ROW = REGIONS.index("ROW")


def drc_ban(months: int = 5) -> Scenario:
    ban = ExportControl(exporter="COD", commodities=[CO], measure="export_ban", start=START,
                        end=dt.date(2026, 1 + months, 1))
    return Scenario(id="t", name="t", start=START, commodities=[CO], controls=[ban])


def china_licence() -> Scenario:
    ctl = ExportControl(exporter="CHN", commodities=[CO], measure="licence_required",
                        start=START, approval_rate=0.2, processing_days=45)
    return Scenario(id="t", name="t", start=START, commodities=[CO], controls=[ctl])


record = functools.partial(record_months, seed=7, n=32)


@settings(max_examples=80, deadline=None)
@given(path=st.lists(st.floats(0.0, 1e5), min_size=1, max_size=40),
       months=st.floats(0.0, 6.0))
def test_arrivals_follow_the_loss_within_its_range_and_zero_months_is_the_loss(path, months):
    # any path of lost flow: what arrives is a weighted mean of the losses so far (and of
    # the 0 before them), so it stays within their range; at 0 months it is the loss itself
    # (mutants: one stage fed the other's old value, a decay above 1, transit ignored)
    d = transit_decay(np.array([months]))
    tr1 = tr2 = np.zeros(1)
    for t, x in enumerate(path):
        tr1, tr2 = in_transit(np.array([x]), tr1, tr2, d)
        lo, hi = min([0.0, *path[:t + 1]]), max(path[:t + 1])
        assert lo - 1e-9 * hi <= tr2[0] <= hi * (1 + 1e-12)
        if months == 0.0:
            assert tr2[0] == x and tr1[0] == x


@settings(max_examples=40, deadline=None)
@given(months=st.floats(0.25, 6.0), size=st.floats(1.0, 1e4))
def test_a_lasting_loss_arrives_with_the_stated_mean_delay(months, size):
    # a loss that starts at month 0 and lasts: the flow still arriving sums to size x
    # months (the mean delay is transit_months; mutants: one stage only, a decay of
    # exp(-1/months), the stages' delays not halved)
    d = transit_decay(np.array([months]))
    tr1 = tr2 = np.zeros(1)
    spared = 0.0
    for _ in range(4000):
        tr1, tr2 = in_transit(np.array([size]), tr1, tr2, d)
        spared += size - tr2[0]
    assert spared == pytest.approx(size * months, rel=1e-6)


def test_without_a_non_china_control_transit_changes_nothing(net):
    # China's controls never pass through the in-transit stages: bit for bit at any months
    for runner in (run_samples, run_reference):
        _, a = record(net, china_licence(), 8, runner, transit_months=0.0)
        _, b = record(net, china_licence(), 8, runner, transit_months=4.0)
        for x, y in zip(a, b, strict=True):
            for key in x:
                assert np.array_equal(x[key], y[key], equal_nan=True), key


def test_a_ban_is_felt_as_cargo_runs_out_and_resumed_exports_arrive_late(net):
    # a 5-month DRC ban: with 3 months in transit the exporter's flow to buyers falls
    # gradually (more arrives than at 0 months while the ban holds, the price is lower in
    # its first months) and recovers late (less arrives once the ban ends); both kernels
    # agree and every tonne delivered was produced
    prep, on = record(net, drc_ban(), 10, run_samples, transit_months=3.0)
    _, ref = record(net, drc_ban(), 10, run_reference, transit_months=3.0)
    _, off = record(net, drc_ban(), 10, run_samples, transit_months=0.0)
    mine = prep.market.nodes_of(CO)[0]
    w = prep.market.world_t
    for t in range(10):
        q_on, q_off = (r[t]["produced"][:, mine, ROW] for r in (on, off))
        if t < 5:
            assert (q_on > q_off).all(), t
        elif t > 5:
            assert (q_on < q_off).all(), t
        for k in ("produced", "deliv", "cons"):
            assert (np.abs(on[t][k] - ref[t][k]) <= 1e-5 * w[None, :, None]).all(), (t, k)
        assert np.abs(on[t]["pX"] - ref[t]["pX"]).max() < 1e-5
        assert np.allclose(on[t]["deliv"].sum(-1), on[t]["produced"].sum(-1), rtol=1e-9,
                           atol=1e-9 * w.max())
    assert (on[1]["pX"][:, mine] <= off[1]["pX"][:, mine] + 1e-12).all()
    assert np.median(on[1]["pX"][:, mine]) < np.median(off[1]["pX"][:, mine])
