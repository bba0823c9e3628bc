"""Model v2.1, buyers' precaution under other exporters' controls (``precaution_other``):
once a non-Chinese exporter's control is announced, buyers in every region seek extra
cover of the share it blocks, as they do under China's controls."""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pytest

from critmin.market.v2.paths import run_reference, run_samples
from critmin.scenarios.spec import ExportControl, Scenario
from tests.market_v2.recorded import record_months

START = dt.date(2026, 1, 1)
IN_FORCE = dt.date(2026, 4, 1)  # month 3
CO = "cobalt"


def drc(measure: str = "export_ban", quota_t: float | None = None) -> Scenario:
    ctl = ExportControl(exporter="COD", commodities=[CO], measure=measure, quota_t=quota_t,
                        announced=START, start=IN_FORCE, end=dt.date(2026, 9, 1))
    return Scenario(id="t", name="t", start=START, commodities=[CO], controls=[ctl])


record = functools.partial(record_months, seed=11, n=24)


def same(a, b):
    for x, y in zip(a, b, strict=True):
        for key in x:
            assert np.array_equal(x[key], y[key], equal_nan=True), key


@pytest.mark.parametrize("runner", [run_samples, run_reference])
def test_at_zero_other_exporters_controls_bring_no_precaution(net, runner):
    # precaution_other 0: precaution and front-running, which act through China's controls
    # only, change nothing under a DRC ban, bit for bit (mutant: the factor left out)
    _, a = record(net, drc(), 6, runner, precaution_other=0.0, precaution=0.0,
                  front_running=0.0)
    _, b = record(net, drc(), 6, runner, precaution_other=0.0, precaution=0.6,
                  front_running=4.0)
    same(a, b)


def test_buyers_build_cover_once_announced_in_both_kernels(net):
    # announced at month 0, in force from month 3: with the factor on, buyers in every
    # region (China's included) raise their cover targets, so the price is higher in the
    # window than without; both kernels agree (mutants: one kernel only, China's buyers
    # left out, cover sought before the announcement)
    vals = dict(precaution=0.6, front_running=2.0, transit_months=0.0)
    prep, on = record(net, drc(), 5, run_samples, precaution_other=1.0, **vals)
    _, ref = record(net, drc(), 5, run_reference, precaution_other=1.0, **vals)
    _, off = record(net, drc(), 5, run_samples, precaution_other=0.0, **vals)
    nodes = prep.market.nodes_of(CO)
    w = prep.market.world_t
    for t in range(3):
        assert (on[t]["pX"][:, nodes] >= off[t]["pX"][:, nodes] - 1e-12).all()
        assert np.median(on[t]["pX"][:, nodes[0]] - off[t]["pX"][:, nodes[0]]) > 0
        more = on[t]["stocks"][:, nodes] - off[t]["stocks"][:, nodes]
        assert (more >= -1e-9 * w[nodes][None, :, None]).all()
        assert (np.median(more, axis=0) > 0).all()  # every region's buyers, China's too
    for a, b in zip(on, ref, strict=True):
        assert np.abs(a["pX"] - b["pX"]).max() < 1e-5
        assert np.abs(a["pC"] - b["pC"]).max() < 1e-5
        for k in ("produced", "deliv", "cons"):
            assert (np.abs(a[k] - b[k]) <= 1e-5 * w[None, :, None]).all(), k


@pytest.mark.parametrize("runner", [run_samples, run_reference])
def test_a_quota_that_blocks_nothing_brings_no_precaution(net, runner):
    # extra cover scales with the blocked share: a quota above the exporter's whole flow
    # blocks nothing, so the factor changes nothing (mutant: cover sought regardless)
    sc = drc("quota", quota_t=1e9)
    _, a = record(net, sc, 6, runner, precaution_other=0.0, precaution=0.6)
    _, b = record(net, sc, 6, runner, precaution_other=1.0, precaution=0.6)
    same(a, b)
