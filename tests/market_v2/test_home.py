"""Model v2.1: buyers' contracts with their own region's plants (``home_preference``)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from critmin.market.v2 import simulate_paths
from critmin.market.v2.kernel import home_contracts
from critmin.market.v2.network import HOME, REGIONS
from critmin.market.v2.paths import prepare, run_reference, run_samples
from critmin.market.v2.priors import draws
from critmin.scenarios.spec import ExportControl, Scenario

START = dt.date(2026, 1, 1)
MAGNET = "ndfeb_magnet"


def magnet_licence() -> Scenario:
    ctl = ExportControl(exporter="CHN", commodities=[MAGNET], measure="licence_required",
                        start=START, approval_rate=0.3, processing_days=45)
    return Scenario(id="t", name="t", start=START, commodities=[MAGNET], controls=[ctl])


def run(net, home: float, n: int = 32):
    return simulate_paths(net, magnet_licence(), samples=n, seed=2, months=9,
                          theta={"home_preference": np.full(n, home)}, priors_only=True)


@settings(max_examples=25, deadline=None)
@given(home=st.floats(0.0, 1.0),
       out=arrays(float, (3, 2, len(REGIONS)), elements=st.floats(0.0, 1e6)),
       use=arrays(float, (3, 2, len(REGIONS)), elements=st.floats(0.0, 1e6)))
def test_contracts_stay_within_home_output_and_use(home, out, use):
    k = home_contracts(np.full((3, 1), home), out, np.zeros_like(out), use)
    assert (k >= 0).all()
    assert (k <= out + 1e-9).all() and (k <= use + 1e-9).all()
    assert (k[:, :, ~HOME] == 0).all()  # China and ROW hold no home contracts
    assert np.allclose(k[:, :, HOME], home * np.minimum(out, use)[:, :, HOME])


def test_home_contracts_shelter_the_region_with_its_own_plants(net):
    # Japan makes magnets (JSNM tonnage); the U.S., the EU and Korea have no magnet
    # output in the baseline, so contracts shelter Japan's buyers alone
    base, home = run(net, 0.0), run(net, 1.0)
    rise = (home["shortfall"] - base["shortfall"]).sel(commodity=MAGNET).mean(
        ("sample", "month"))
    jpn = float(rise.sel(region="JPN"))
    others = [float(rise.sel(region=r)) for r in ("USA", "EU", "KOR", "ROW")]
    assert jpn < -0.02
    assert min(others) > -1e-6  # no one else is sheltered; they pay a higher spot price
    p0 = base["price_ex_china"].sel(commodity=MAGNET).median("sample").max()
    p1 = home["price_ex_china"].sel(commodity=MAGNET).median("sample").max()
    assert float(p1) > float(p0)


@pytest.mark.parametrize("runner", [run_samples, run_reference])
def test_home_contracts_conserve_mass(net, runner):
    # contracted use is delivered from the same pool: deliveries still equal output and
    # stocks change by deliveries less use, with every home region fully contracted
    # (compiled lanes and the NumPy array form alike)
    prep = prepare(net, magnet_licence(), 6)
    d = draws(prep.latent, 4, 0, 32)
    d["home_preference"] = np.ones(32)
    rec = []
    runner(prep, d, 6, record=lambda t, o: rec.append({k: np.copy(v)
                                                             for k, v in o.items()}))
    w = prep.market.world_t.max()
    for t, o in enumerate(rec):
        assert np.allclose(o["deliv"].sum(-1), o["produced"].sum(-1), rtol=1e-9,
                           atol=1e-9 * w)
        if t:
            change = o["stocks"].sum(-1) - rec[t - 1]["stocks"].sum(-1)
            flow = (o["deliv"] - o["cons"]).sum(-1) / 12.0
            assert np.allclose(change, flow, rtol=1e-7, atol=1e-7 * w)
