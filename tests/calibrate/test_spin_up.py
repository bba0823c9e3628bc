"""Spin-up: an episode that starts while older controls are in force is simulated from the
earliest of them, and its targets are relative to the model's own value at the series'
baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from critmin.calibrate.backtest import spin_ups
from critmin.calibrate.episodes import load_targets, model_values
from critmin.scenarios import presets
from critmin.scenarios.spec import ExportControl, Scenario
from critmin.simulate.paths import simulate_paths, spin_up_months


def _licence(start: str, announced: str | None = None, sc_start: str = "2025-01-01"):
    return Scenario(id="t", name="t", start=sc_start, commodities=["antimony"],
                    controls=[ExportControl(exporter="CHN", commodities=["antimony"],
                                            measure="licence_required", processing_days=45,
                                            start=start, announced=announced)])


def test_the_lead_runs_from_the_earliest_control_before_the_start():
    known = presets()
    # Oct 2025: graphite's licence since 1 Dec 2023 comes first
    assert spin_up_months(known["CN_2025_Oct_controls"]) == 22
    # the U.S. ban: the Ga/Ge licence since 1 Aug 2023
    assert spin_up_months(known["CN_2024_US_ban"]) == 16
    # graphite's own episode: announced 20 Oct 2023, inside its start month
    assert spin_up_months(known["CN_2023_graphite_licence"]) == 0
    # the announcement counts where it comes first
    assert spin_up_months(_licence("2024-11-15", announced="2024-09-03")) == 4
    assert spin_up_months(_licence("2025-01-20")) == 0


def test_spin_up_without_an_earlier_control_is_the_run_without_it(net):
    sc = _licence("2025-01-20")
    a = simulate_paths(net, sc, samples=16, seed=2, months=6, model="v2")
    b = simulate_paths(net, sc, samples=16, seed=2, months=6, model="v2", spin_up=True)
    assert a.identical(b)


def test_a_spun_up_run_is_the_run_from_the_earliest_control(net):
    sc = _licence("2024-10-10", sc_start="2025-01-01")
    ds = simulate_paths(net, sc, samples=16, seed=2, months=6, model="v2", spin_up=True)
    assert list(ds["month"].values) == list(range(-3, 6))
    early = simulate_paths(net, sc.model_copy(update={"start": pd.Timestamp("2024-10-01")
                                                      .date()}),
                           samples=16, seed=2, months=9, model="v2")
    for v in ("price_ex_china", "price_china", "exports_china_recorded"):
        assert np.array_equal(ds[v].to_numpy(), early[v].to_numpy())
    # the licence has acted for three months at the scenario's start
    px = ds["price_ex_china"].sel(commodity="antimony")
    assert float(px.sel(month=-1).median()) > 1.01
    # without the spin-up month 0 starts from the baseline: the transient plays again
    off = simulate_paths(net, sc, samples=16, seed=2, months=6, model="v2")
    assert not np.array_equal(off["price_ex_china"].to_numpy(),
                              ds["price_ex_china"].sel(month=slice(0, 5)).to_numpy())


def _ds(months, price, exports, base=10.0):
    m = np.asarray(months)
    return xr.Dataset(
        {"price_china": (("sample", "month", "commodity"), np.asarray(price)[None, :, None]),
         "exports_china": (("sample", "month", "commodity"),
                           np.asarray(exports)[None, :, None]),
         "exports_china_base": (("commodity",), [base])},
        coords={"sample": [0], "month": m, "commodity": ["x"]})


def _row(var, lo, hi, basis):
    return {"commodity": "x", "variable": var, "region": "", "month_from": lo,
            "month_to": hi, "basis_month": basis}


def test_values_are_relative_to_the_model_at_the_basis_month():
    ds = _ds([-2, -1, 0, 1], [1.2, 1.5, 1.8, 3.0], [10.0, 5.0, 4.0, 2.0])
    assert np.isclose(model_values(ds, _row("price_china", 1, 1, -1))[0], 2.0)
    assert np.isclose(model_values(ds, _row("exports_china", 0, 0, -1))[0], 0.8)
    # a baseline before the run: the pre-scenario baseline (1 for prices, the base flow)
    assert np.isclose(model_values(ds, _row("price_china", 1, 1, -5))[0], 3.0)
    assert np.isclose(model_values(ds, _row("exports_china", 1, 1, -5))[0], 0.2)
    # an annual mean from month -4: two months before the run at the baseline
    assert np.isclose(model_values(ds, _row("price_china", -4, 1, -5))[0],
                      (2 + 1.2 + 1.5 + 1.8 + 3.0) / 6)


def test_without_spin_up_the_basis_is_the_pre_scenario_baseline():
    ds = _ds([0, 1, 2], [1.5, 1.8, 3.0], [5.0, 4.0, 2.0])
    for basis in (-1, -12, None):
        assert np.isclose(model_values(ds, _row("price_china", 1, 2, basis))[0], 2.4)
        assert np.isclose(model_values(ds, _row("exports_china", -3, 0, basis))[0],
                          (3 + 0.5) / 4)


@pytest.mark.parametrize("commodity, variable, basis", [
    ("dy", "price_china", -1),  # SMM of 9 Oct 2025: the state at the end of September
    ("ndfeb_magnet", "exports_china", -12),  # October 2024: before the Apr 2025 licence
])
def test_the_basis_month_is_the_series_baseline(net, commodity, variable, basis):
    rows = load_targets(net, ["CN_2025_Oct_controls"]).rows
    got = rows[rows["commodity"].eq(commodity) & rows["variable"].eq(variable)]
    assert len(got) and set(got["basis_month"]) == {basis}


def test_the_backtest_names_each_episodes_spin_up(net):
    got = spin_ups(net, None, "v2")
    assert {e: m for e, m in got.items() if m} == {"CN_2025_Oct_controls": 22,
                                                   "CN_2024_US_ban": 16}
    assert set(spin_ups(net, None, "v1").values()) == {0}
    # the backtest passes the scenarios its targets already built: the same months
    assert spin_ups(net, None, "v2", load_targets(net, None).scenarios) == got
