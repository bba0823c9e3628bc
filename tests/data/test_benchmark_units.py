"""Benchmark prices are per t of what the commodity counts (issue 20): a commodity counted as
contained element but priced as a compound (lithium carbonate, V2O5, WO3, Ta2O5) is
converted by stoichiometry, so price x tonnage is the same money in either form."""

from __future__ import annotations

import pytest

import critmin
from critmin.data.benchmark import (
    PRICED_AS_COMPOUND,
    benchmark_basis,
    benchmark_rows,
    benchmark_usd_t,
    content_factor,
)


@pytest.fixture(scope="module")
def net():
    return critmin.load()


def test_lithium_project_revenue_is_the_same_in_carbonate_and_in_li(net):
    """Thacker Pass phase 1: 40,000 t/yr lithium carbonate = 7,513.872 t/yr Li (projects
    table). At the MCS 2026 carbonate price the two revenues agree; without the factor the
    Li-counted revenue is 5.3 x too small."""
    pj = net.projects.set_index("project_id").loc["thacker_pass_lithium_project_phase_1"]
    carbonate_usd_t = float(benchmark_rows(net.prices).at["lithium", "value"])
    by_li = float(pj["capacity"]) * float(benchmark_usd_t(net.prices)["lithium"])
    assert by_li == pytest.approx(40_000 * carbonate_usd_t, rel=2e-3)


def test_factors_are_the_molar_mass_ratios():
    assert PRICED_AS_COMPOUND["lithium"][2] == pytest.approx(73.89 / 13.88, rel=1e-3)
    assert PRICED_AS_COMPOUND["vanadium"][2] == pytest.approx(181.88 / 101.88, rel=1e-3)
    assert PRICED_AS_COMPOUND["tungsten"][2] == pytest.approx(231.84 / 183.84, rel=1e-3)
    assert PRICED_AS_COMPOUND["tantalum"][2] == pytest.approx(441.89 / 361.89, rel=1e-3)


def test_only_compound_priced_content_commodities_are_converted(net):
    f = content_factor(net.prices)
    assert set(f[f != 1.0].index) == {"lithium", "vanadium", "tungsten", "tantalum"}
    units = net.commodities.set_index("commodity")["basis"]
    for c in f[f != 1.0].index:
        assert "content" in units[c], c
    assert "x 5.323 t Li2CO3 per t lithium content" in benchmark_basis(net.prices)["lithium"]
    assert benchmark_usd_t(net.prices)["nickel"] == float(
        benchmark_rows(net.prices).at["nickel", "value"])
