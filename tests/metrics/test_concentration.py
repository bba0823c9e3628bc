"""HHI, top shares, chokepoints: hand-computed cases, invariants, and the shipped REE data."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from critmin.metrics.concentration import chokepoints, concentration, hhi

SHARES = st.lists(st.floats(0.001, 1.0), min_size=1, max_size=12).map(
    lambda xs: np.array(xs) / np.sum(xs))


def test_monopoly_is_10000_and_equal_split_is_10000_over_n():
    assert hhi([1.0]) == 10_000
    assert np.isclose(hhi([0.25] * 4), 2_500)


@given(SHARES, st.data())
def test_splitting_a_producer_never_raises_hhi(shares, data):
    i = data.draw(st.integers(0, len(shares) - 1))
    f = data.draw(st.floats(0.0, 1.0))
    split = np.concatenate([np.delete(shares, i), [shares[i] * f, shares[i] * (1 - f)]])
    assert hhi(split) <= hhi(shares) + 1e-6


@given(SHARES)
def test_hhi_bounds(shares):
    assert 10_000 / len(shares) - 1e-6 <= hhi(shares) <= 10_000 + 1e-6


def test_tiny_network_by_hand(tiny):
    c = concentration(tiny).set_index(["commodity", "stage"])
    assert np.isclose(c.at[("x", "mine"), "hhi"], 60**2 + 30**2 + 10**2)
    assert c.at[("x", "mine"), "top_country"] == "CHN"
    assert np.isclose(c.at[("x", "refining"), "china_share"], 0.9)
    assert np.isclose(c.at[("x", "mine"), "top3_share"], 1.0)


def test_product_inherits_most_concentrated_input_stage(tiny):
    ch = chokepoints(tiny).set_index("commodity")
    assert ch.at["widget", "chokepoint_via"] == "x"
    assert ch.at["widget", "chokepoint_stage"] == "refining"
    assert np.isclose(ch.at["widget", "effective_hhi"], 90**2 + 10**2)
    # a child commodity without data inherits its parent's chain
    assert ch.at["x_part", "chokepoint_via"] == "x"


def test_shipped_rare_earth_mine_hhi_matches_usgs_hand_computation(net):
    # USGS MCS 2026 data release, World Mine Production 2025e, t REO; shares are of the
    # published world total 390,000 (issue 11: the published total, not the country sum)
    usgs = {"USA": 51_000, "AUS": 29_000, "BRA": 2_000, "MMR": 22_000, "CHN": 270_000,
            "IND": 2_900, "MDG": 2_700, "MYS": 110, "NGA": 1_500, "RUS": 2_600,
            "THA": 4_800, "VNM": 150}
    total = 390_000
    expected = sum((100 * v / total) ** 2 for v in usgs.values())
    c = concentration(net).set_index(["commodity", "stage"]).loc[("ree", "mine")]
    assert np.isclose(c["hhi"], expected)
    assert np.isclose(c["china_share"], 270_000 / total)
    assert c["year"] == 2025


def test_shares_sum_to_one_for_every_stage(net):
    s = net.production_shares()
    totals = s.groupby(["commodity", "stage"])["share"].sum()
    # of the published world total, or of the country rows where USGS rounded it below them
    assert np.allclose(totals, 1.0), totals[~np.isclose(totals, 1.0)]


def test_a_world_total_rounded_below_its_countries_gives_no_hhi_over_10000(net):
    """MCS 2026 gallium: world 900 t, China 900 t + Japan 3 t + Russia 6 t."""
    c = concentration(net).set_index(["commodity", "stage"])
    assert (c["hhi"] <= 10_000 + 1e-6).all(), c.loc[c["hhi"] > 10_000, "hhi"]
    ga = c.loc[("gallium", "refining")]
    assert ga["year"] == 2025 and np.isclose(ga["china_share"], 900 / 909)
