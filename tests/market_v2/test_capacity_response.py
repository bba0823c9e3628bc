"""Model v2.1, ex-China side: new non-Chinese capacity that a lasting ex-China price
triggers, online after a lead time, and a premium for non-Chinese supply that stays after
a control and fades as that capacity comes online."""

from __future__ import annotations

import datetime as dt
import functools
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.market.v2.kernel import CAPACITY_RAMP_MONTHS, NEVER, new_capacity
from critmin.market.v2.network import EX_CHINA
from critmin.market.v2.paths import run_reference, run_samples
from critmin.scenarios import get_scenario
from critmin.scenarios.spec import ExportControl, Scenario
from tests.market_v2.recorded import assert_kernels_agree, record_months

START = dt.date(2026, 1, 1)
SB = "antimony"
OFF = dict(capacity_share=0.0, premium=0.0)


def sb_licence(months_in_force: int | None = None) -> Scenario:
    end = None if months_in_force is None else dt.date(2026, 1 + months_in_force, 1)
    ctl = ExportControl(exporter="CHN", commodities=[SB], measure="licence_required",
                        start=START, end=end, approval_rate=0.05, processing_days=45)
    return Scenario(id="t", name="t", start=START, commodities=[SB], controls=[ctl])


record = functools.partial(record_months, seed=5, n=32)


@settings(max_examples=60, deadline=None)
@given(path=st.lists(st.tuples(st.one_of(st.floats(-1.0, 2.0), st.just(1.5)),
                               st.sampled_from([0.0, 0.0, 0.4, 1.0])), min_size=1, max_size=60),
       hold=st.floats(3.0, 12.0), lead=st.floats(11.0, 48.0), cap=st.floats(0.0, 0.3),
       trig=st.floats(1.25, 3.0), prem=st.floats(0.0, 0.6), months=st.floats(1.0, 12.0))
def test_capacity_waits_for_a_lasting_price_and_the_premium_fades_only_with_it(
        path, hold, lead, cap, trig, prem, months):
    # any path of ex-China clearing prices and control severity: no capacity before the
    # price buyers see (clearing + premium) has held above the trigger for hold months and
    # the lead time has passed, then a ramp to the share; the premium never falls by itself,
    # stays within its level, and the premium in effect is what capacity online leaves
    k = SimpleNamespace(cap_trig=np.full((1, 1), np.log(trig)), cap_hold=np.full((1, 1), hold),
                        cap_lead=np.full((1, 1), lead), cap_share=np.full((1, 1), cap),
                        prem_max=np.full((1, 1), prem), prem_m=np.full((1, 1), months))
    s = SimpleNamespace(pX=np.zeros((1, 1)), above=np.zeros((1, 1)), prem=np.zeros((1, 1)),
                        pe=np.zeros((1, 1)), decided=np.full((1, 1), float(NEVER)))
    run, prev, decided, prev_prem, top = 0, 0.0, None, 0.0, 0.0
    for t, (p, cn) in enumerate(path):
        seen = p + float(s.pe[0, 0])
        s.pX = np.full((1, 1), p)
        new = float(new_capacity(s, k, t, np.full((1, 1), cn))[0, 0])
        top = max(top, cn)
        pr, pe = float(s.prem[0, 0]), float(s.pe[0, 0])
        assert prev_prem - 1e-15 <= pr <= prem * top + 1e-15
        on = new / cap if cap > 0 else 0.0
        assert pe == pytest.approx(pr * (1 - on), rel=1e-9, abs=1e-15)
        prev_prem = pr
        run = run + 1 if seen >= np.log(trig) else 0
        if decided is None and run >= hold:
            decided = t
        assert 0.0 <= new <= cap + 1e-15 and new >= prev - 1e-15
        if decided is None or t + 0.5 - decided - lead <= 0:
            assert new == 0.0
        else:
            ramp = min(1.0, (t + 0.5 - decided - lead) / CAPACITY_RAMP_MONTHS)
            assert new == pytest.approx(cap * ramp, rel=1e-12, abs=1e-15)
        prev = new


@pytest.mark.parametrize("runner", [run_samples, run_reference])
def test_zero_shares_leave_the_model_as_it_was(net, runner):
    # with capacity_share and premium 0 the trigger, hold, lead and premium_months change
    # nothing, bit for bit (the second run's inputs would act within the 8 months at any
    # share or premium above 0)
    _, a = record(net, sb_licence(), 8, runner, **OFF)
    _, b = record(net, sb_licence(), 8, runner, **OFF, capacity_trigger=1.01,
                  capacity_hold_months=1.0, capacity_lead_months=0.0, premium_months=1.0)
    for x, y in zip(a, b, strict=True):
        for key in x:
            assert np.array_equal(x[key], y[key], equal_nan=True), key


def test_capacity_comes_online_after_the_lead_time_in_both_kernels(net):
    # trigger 1.1x held 3 months, lead 4 months: month t reads month t-1's price, so the
    # earliest decision is month 3 and nothing arrives before month 7; output is higher
    # after, the ex-China price lower, both kernels agree, and mass holds
    values = dict(capacity_trigger=1.1, capacity_hold_months=3.0, capacity_lead_months=4.0,
                  capacity_share=0.3, premium=0.0)
    prep, on = record(net, sb_licence(), 16, run_samples, **values)
    _, ref = record(net, sb_licence(), 16, run_reference, **values)
    _, off = record(net, sb_licence(), 16, run_samples, **OFF)
    nodes = prep.market.nodes_of(SB)
    w = prep.market.world_t
    for t in range(16):
        q_on = on[t]["produced"][:, nodes][:, :, EX_CHINA].sum((1, 2))
        q_off = off[t]["produced"][:, nodes][:, :, EX_CHINA].sum((1, 2))
        if t < 7:
            assert np.allclose(q_on, q_off, rtol=1e-9)
        for k in ("produced", "deliv", "cons"):
            assert (np.abs(on[t][k] - ref[t][k]) <= 1e-5 * w[None, :, None]).all(), (t, k)
        assert np.abs(on[t]["pX"] - ref[t]["pX"]).max() < 1e-5
        assert np.allclose(on[t]["deliv"].sum(-1), on[t]["produced"].sum(-1), rtol=1e-9,
                           atol=1e-9 * w.max())
    late = on[15]["produced"][:, nodes][:, :, EX_CHINA].sum((1, 2))
    late0 = off[15]["produced"][:, nodes][:, :, EX_CHINA].sum((1, 2))
    assert (late > late0 * 1.05).mean() > 0.5
    assert np.median(on[15]["pX"][:, nodes[-1]]) < np.median(off[15]["pX"][:, nodes[-1]])


def test_both_kernels_agree_on_the_oct_2025_preset_with_capacity_on(net):
    # every stage of magnets and their inputs can add capacity; the compiled lanes and the
    # NumPy array form give the same months
    sc = get_scenario("CN_2025_10_full_controls", net)
    values = dict(capacity_trigger=1.25, capacity_hold_months=3.0, capacity_lead_months=4.0,
                  capacity_share=0.3, premium=0.4, premium_months=3.0)
    prep, fast = record(net, sc, 12, run_samples, **values)
    _, ref = record(net, sc, 12, run_reference, **values)
    _, off = record(net, sc, 12, run_samples, **OFF)
    assert_kernels_agree(prep, fast, ref, ("produced", "deliv", "cons", "processed", "exports"),
                         1e-5)
    ex_out = [r[11]["produced"][:, :, EX_CHINA].sum() for r in (fast, off)]
    assert ex_out[0] > ex_out[1]


def test_premium_stays_after_the_control_and_fades_as_capacity_comes_online(net):
    # a 6-month antimony licence: the ex-China price buyers pay stays above the no-premium
    # run's after the control ends; with new capacity online it falls back toward it
    sc = sb_licence(months_in_force=6)
    prem = dict(premium=0.5, premium_months=2.0)
    prep, base = record(net, sc, 24, run_samples, **OFF)
    _, kept = record(net, sc, 24, run_samples, **prem, capacity_share=0.0)
    _, faded = record(net, sc, 24, run_samples, **prem, capacity_share=0.3,
                      capacity_trigger=1.1, capacity_hold_months=2.0, capacity_lead_months=3.0)
    _, ref = record(net, sc, 24, run_reference, **prem, capacity_share=0.0)
    i = prep.market.nodes_of(SB)[-1]

    def px(rec, t):
        return float(np.median(rec[t]["pX"][:, i]))

    for t in (9, 15, 23):  # after the control ended
        assert px(kept, t) > px(base, t) + 0.2
    assert px(faded, 23) - px(base, 23) < 0.5 * (px(kept, 23) - px(base, 23))
    for a, b in zip(kept, ref, strict=True):  # both kernels report the same price
        assert np.abs(a["pX"] - b["pX"]).max() < 1e-5


def test_premium_holds_after_the_control_and_is_gone_once_capacity_is_all_online():
    # 40 months at 2.7x with a control in force for the first 6: the premium built then
    # holds, and is fully faded once the triggered capacity has ramped up (decided in
    # month 2, the third above the trigger; online from month 13; full from month 25)
    k = SimpleNamespace(cap_trig=np.full((1, 1), np.log(1.5)), cap_hold=np.full((1, 1), 3.0),
                        cap_lead=np.full((1, 1), 11.0), cap_share=np.full((1, 1), 0.2),
                        prem_max=np.full((1, 1), 0.5), prem_m=np.full((1, 1), 2.0))
    s = SimpleNamespace(pX=np.ones((1, 1)), above=np.zeros((1, 1)), prem=np.zeros((1, 1)),
                        pe=np.zeros((1, 1)), decided=np.full((1, 1), float(NEVER)))
    pe = []
    for t in range(40):
        new_capacity(s, k, t, np.full((1, 1), 1.0 if t < 6 else 0.0))
        pe.append(float(s.pe[0, 0]))
    assert pe[5] > 0.4 and pe[12] == pytest.approx(pe[5])  # held after the control ended
    assert pe[20] < pe[12] and pe[25:] == [0.0] * 15  # faded as the capacity came online
