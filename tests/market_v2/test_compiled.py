"""The compiled month (market.v2.lanes, samples as SIMD lanes) against the NumPy array form
it replaces, and the runner's compiled reductions against the paths they summarise."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.market.v2 import simulate_paths
from critmin.market.v2.network import REGIONS
from critmin.market.v2.paths import prepare, run_reference, run_samples
from critmin.market.v2.priors import draws
from critmin.scenarios import get_scenario

PRICES = ("pX", "pC")
FLOWS = ("exports", "exports_dest", "deliv", "cons", "produced", "released", "processed",
         "exports_recorded", "exports_dest_recorded",
         "stocks")


def _months(run, prep, d, months):
    out = []
    run(prep, d, months, record=lambda t, o: out.append({k: np.array(v) for k, v in o.items()}))
    return out


@pytest.mark.parametrize("preset", ["CN_2025_10_full_controls", "Truce_2025_11",
                                    "DRC_cobalt_ban_then_quota", "CN_2010_REE_quota"])
def test_compiled_month_matches_the_numpy_array_form(net, preset):
    sc = get_scenario(preset, net)
    prep = prepare(net, sc, 12)
    d = draws(prep.latent, 3, 0, 96)
    fast, ref = _months(run_samples, prep, d, 12), _months(run_reference, prep, d, 12)
    w = prep.market.world_t
    moved = False
    for a, b in zip(fast, ref, strict=True):
        assert np.array_equal(a["binding"], b["binding"])
        for k in PRICES:  # log prices: both within the solver's 1e-8 of the root
            assert np.abs(a[k] - b[k]).max() < 1e-5, k
            moved |= bool(np.abs(b[k]).max() > 1e-3)
        for k in FLOWS:  # t/yr and t, against each node's world tonnage
            scale = w[None, :, None] if a[k].ndim == 3 else w[None, :]
            assert (np.abs(a[k] - b[k]) <= 1e-5 * scale).all(), k
        for k in ("shortfall", "short_physical"):
            assert np.abs(a[k] - b[k]).max() < 1e-6, k
        ok = ~np.isnan(b["cover"])
        assert np.array_equal(ok, ~np.isnan(a["cover"]))
        assert np.allclose(a["cover"][ok], b["cover"][ok], rtol=1e-5, atol=1e-6)
    assert moved  # the comparison is not between two flat baselines


def test_runner_reductions_match_the_paths(net, tmp_path):
    from critmin.simulate.runner import simulate
    from critmin.store import ResultsStore

    sc = get_scenario("CN_2024_Sb_licence", net).model_copy(update={"horizon_quarters": 4})
    store = ResultsStore(tmp_path / "r.db")
    run = simulate(net, sc, samples=300, seed=4, chunk_size=1024, store=store, model="v2",
                   priors=True)
    got = store.samples(run)
    ds = simulate_paths(net, sc, samples=300, seed=4, months=12, priors_only=True)
    px = ds["price_ex_china"].sel(commodity="antimony").values  # (S, H)
    pc = ds["price_china"].sel(commodity="antimony").values
    peak = np.maximum(px.max(axis=1), 1.0)
    assert np.allclose(got["peak_price_x|antimony"], peak, rtol=1e-6)
    assert np.allclose(got["peak_ratio|antimony"], np.maximum((px / pc).max(axis=1), 1.0),
                       rtol=1e-5)
    assert (peak > 1.01).mean() > 0.5
    short = ds["shortfall"].sel(commodity="antimony", region="USA").values
    # the run's shortfall weighs months by use wanted; antimony's is flat over the year
    assert np.allclose(got["shortfall_USA|antimony"], short.mean(axis=1), atol=1e-5)


def test_runner_stores_the_baseline_of_commodities_no_shock_reaches(net, tmp_path):
    """The Oct 2025 preset reaches 14 of 46 commodities; the others' columns are their
    baseline (shared arrays in the chunk's table): no price move, no shortfall, no rule
    fired, and stock cover drawn per sample."""
    from critmin.market.v2.paths import baseline_arrays
    from critmin.simulate.runner import simulate
    from critmin.store import ResultsStore

    sc = get_scenario("CN_2025_10_full_controls", net).model_copy(
        update={"horizon_quarters": 1})
    store = ResultsStore(tmp_path / "r.db")
    run = simulate(net, sc, samples=100, seed=5, chunk_size=1024, store=store, model="v2",
                   priors=True)
    got = store.samples(run)
    prep = prepare(net, sc, 3)
    quiet = [c for c in prep.full.commodities if c not in prep.market.commodities]
    assert len(quiet) > 10
    base = baseline_arrays(prep, draws(prep.latent, 5, 0, 100), 100)["cover"]
    for c in quiet:
        assert (got[f"peak_price_x|{c}"] == 1.0).all()
        assert (got[f"peak_ratio|{c}"] == 1.0).all()
        assert (got[f"shortfall_USA|{c}"] == 0.0).all()
        assert not got[f"rrg_fired|{c}"].any()
        for r in ("USA", "JPN"):
            want = np.nan_to_num(base[:, prep.full.commodities.index(c), REGIONS.index(r)])
            assert np.allclose(got[f"min_cover_{r}|{c}"], want, rtol=1e-6), (c, r)
    assert got[f"min_cover_USA|{quiet[0]}"].nunique() > 1
