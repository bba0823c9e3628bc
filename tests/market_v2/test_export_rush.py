"""Model v2, China's exports beyond the clearing: the exporters' rush between a control's
announcement and its start, while exports are still free."""

from __future__ import annotations

import datetime as dt
import functools
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.market.v2 import kernel
from critmin.market.v2.kernel import rush_exports
from critmin.market.v2.paths import run_reference, run_samples
from critmin.market.v2.regime import held_of
from critmin.scenarios.spec import ExportControl, Scenario
from tests.market_v2.recorded import assert_kernels_agree, record_months

START = dt.date(2026, 1, 1)
SB = "antimony"
OFF = dict(export_rush=0.0)
ON = dict(export_rush=1.5)


def scenario(*controls: ExportControl) -> Scenario:
    return Scenario(id="t", name="t", start=START, commodities=[SB], controls=list(controls))


def licence(start: dt.date, announced: dt.date | None = None, **kw) -> ExportControl:
    return ExportControl(exporter="CHN", commodities=[SB], measure="licence_required",
                         start=start, announced=announced, approval_rate=0.3,
                         processing_days=45, **kw)


record = functools.partial(record_months, seed=3, n=32)


def same(a, b) -> bool:
    return all(np.array_equal(x[k], y[k], equal_nan=True) for x, y in zip(a, b, strict=True)
               for k in x)


@settings(max_examples=40, deadline=None)
@given(window=st.floats(0.0, 1.0), sev=st.floats(0.0, 1.0), under=st.floats(0.0, 1.0),
       rush=st.floats(0.0, 2.0))
def test_the_rush_is_its_share_of_baseline_exports_and_0_at_0(window, sev, under, rush):
    # the kernel's rush: rush x window share x severity x baseline exports to the cells
    # not under another control in force; exactly 0 where rush is 0 (mechanism at 0)
    m = SimpleNamespace(dest0=np.array([[2.0, 1.0]]))
    k = SimpleNamespace(hold=np.zeros((1, 1)), smuggle=np.zeros((1, 1)),
                        rush=np.full((1, 1), rush))
    s = SimpleNamespace(pX=np.zeros((1, 1)), pC=np.zeros((1, 1)))
    rsh = np.full((1, 1, 2), window * sev) * (1 - under)
    extra, _ = rush_exports(m, k, s, np.ones((1, 1, 2)), rsh)
    assert float(extra[0, 0]) == pytest.approx(rush * window * sev * (1 - under) * 3.0)
    if rush == 0.0:
        assert float(extra[0, 0]) == 0.0


def test_at_0_the_array_form_is_v2_1_exactly(net, monkeypatch):
    # the rush at 0 gives the v2.1 month bit for bit: the same run with rush_exports
    # replaced by v2.1's hold alone (no extra exports) is identical (kills a mechanism
    # that acts at 0)
    sc = scenario(licence(dt.date(2026, 3, 1), announced=dt.date(2026, 1, 20)))
    _, a = record(net, sc, 8, run_reference, **OFF)

    def v21(m, k, s, g, rsh):
        hflow = held_of(k.hold, (m.dest0[None] * (1 - g)).sum(-1), k.smuggle, s.pX - s.pC)
        return np.zeros_like(hflow), hflow

    monkeypatch.setattr(kernel, "rush_exports", v21)
    _, b = record(net, sc, 8, run_reference, **OFF)
    assert same(a, b)


@pytest.mark.parametrize("values", [OFF, ON], ids=["off", "on"])
def test_both_kernels_agree(net, values):
    # a notice window, a freeze and licences that follow, a later ban that ends: the
    # compiled lanes and the NumPy array form give the same months (kills a change made
    # in one kernel only, e.g. the rush left out of the lanes' ex-China supply)
    sc = scenario(licence(dt.date(2026, 3, 1), announced=dt.date(2026, 1, 20)),
                  ExportControl(exporter="CHN", commodities=[SB], measure="destination_ban",
                                destinations=["USA"], start=dt.date(2026, 6, 1),
                                end=dt.date(2026, 9, 1)))
    prep, fast = record(net, sc, 12, run_samples, **values)
    _, ref = record(net, sc, 12, run_reference, **values)
    assert_kernels_agree(prep, fast, ref, ("exports", "exports_recorded", "deliv", "cons",
                                           "exports_dest_recorded"), 1e-6)


@pytest.mark.parametrize("runner", [run_samples, run_reference])
def test_the_rush_ships_in_the_notice_window_only_while_exports_are_free(net, runner):
    # announced 10 Mar, in force 1 May: nothing changes before the announcement (months
    # 0-1, bit for bit), exports rise in the window (months 2-3); a second licence
    # announced while the first is in force adds no rush (exports not free)
    first = licence(dt.date(2026, 5, 1), announced=dt.date(2026, 3, 10))
    prep, on = record(net, scenario(first), 5, runner, **ON)
    _, off = record(net, scenario(first), 5, runner, **OFF)
    i = prep.market.headline[prep.market.commodities.index(SB)]
    assert same(on[:2], off[:2])
    for t in (2, 3):
        assert (on[t]["exports_recorded"][:, i] > off[t]["exports_recorded"][:, i]).all()
        assert (on[t]["exports_dest_recorded"][:, i].sum(-1)
                == pytest.approx(on[t]["exports_recorded"][:, i], rel=1e-9))
    later = licence(dt.date(2026, 6, 1), announced=dt.date(2026, 3, 10))
    in_force = licence(dt.date(2026, 1, 1))
    _, on2 = record(net, scenario(in_force, later), 5, runner, **ON)
    _, off2 = record(net, scenario(in_force, later), 5, runner, **OFF)
    assert same(on2, off2)
