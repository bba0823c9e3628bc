"""Input-output impact maths: a hand-computed two-industry case, the shipped BEA tables and
the commodity -> industry map."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.data.io import shipped_dir
from critmin.metrics.impact import (
    DEPENDENCE,
    IOTable,
    Shock,
    gdp_loss,
    industry_flows,
    io_dir,
    io_from_flows,
    io_table_usa,
    make_links,
    read_map,
)


def two_industries() -> IOTable:
    """A sells 20 to B, B sells 10 to A; outputs 100 and 50, value added 90 and 30."""
    z = np.array([[0.0, 20.0], [10.0, 0.0]])
    x = np.array([100.0, 50.0])
    return io_from_flows(("A", "B"), ("a", "b"), z, x, np.array([90.0, 30.0]), "test")


def test_two_industry_case_by_hand():
    io = two_industries()
    # Ghosh: B = [[0, .2], [.2, 0]], (I - B)^-1 = [[1, .2], [.2, 1]] / 0.96
    assert io.ghosh == pytest.approx(np.array([[1, 0.2], [0.2, 1]]) / 0.96)
    # one commodity used by A (dependence 0.25), use 10 USD/yr; B produces it, 6 USD/yr
    links = make_links(io, np.array([0]), np.array([0]), np.array([0.25]),
                       use_ref=np.array([10.0]), producer=np.array([1]))
    assert links.k == pytest.approx([2.5])  # 0.25 * 100 / 10
    shock = Shock(s_total=np.full((1, 1, 1), 0.4), price=np.full((1, 1, 1), 1.5),
                  use_usd=np.array([10.0]), prod_usd=np.array([6.0]))
    loss = gdp_loss(io, links, shock)
    dx = 25 * 0.4 / 12  # k * use * s / 12 = 0.8333 USD lost output of A in the month
    assert loss.direct[0, 0] == pytest.approx([dx * 0.9, 0.0])
    # damped Ghosh (rho 0.5): (I - .5 B)^-1 = [[1, .1], [.1, 1]] / .99
    assert loss.physical[0, 0] == pytest.approx([dx / 0.99 * 0.9, dx * 0.1 / 0.99 * 0.6])
    # price cost at A on what it still buys: 10 * 0.5 * (1 - 0.4) / 12 = c; half passed
    # on round after round: (1 - .5) (I - .5 B)^-1 = .5 [[1, .1], [.1, 1]] / .99
    c = 3.0 / 12
    assert loss.price[0, 0] == pytest.approx([0.5 * c / 0.99, 0.05 * c / 0.99])
    assert loss.price_final[0, 0] == pytest.approx(c * 0.44 / 0.99)
    assert loss.gain[0, 0] == pytest.approx([0.0, 0.25])  # 0.5 * 6 / 12 at B
    assert loss.gdp.sum() == pytest.approx(dx / 0.99 * (0.9 + 0.06) + c - 0.25)


def test_net_exporter_gains_from_a_price_rise():
    io = two_industries()
    links = make_links(io, np.array([0]), np.array([0]), np.array([0.01]),
                       use_ref=np.array([10.0]), producer=np.array([1]))
    shock = Shock(np.zeros((1, 12, 1)), np.full((1, 12, 1), 2.0),
                  use_usd=np.array([10.0]), prod_usd=np.array([30.0]))
    assert gdp_loss(io, links, shock).gdp.sum() == pytest.approx(10.0 - 30.0)


def test_loss_never_exceeds_output():
    io = two_industries()
    links = make_links(io, np.array([0, 1]), np.array([0, 0]), np.array([0.25, 0.25]),
                       use_ref=np.array([1e-3, 1e-3]), producer=np.array([-1, -1]))
    shock = Shock(np.ones((1, 1, 2)), np.ones((1, 1, 2)),
                  use_usd=np.array([1.0, 1.0]), prod_usd=np.zeros(2))
    assert gdp_loss(io, links, shock).direct[0, 0, 0] == pytest.approx(100 / 12 * 0.9)


@settings(max_examples=30, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1), st.floats(1, 5))
def test_more_shortfall_or_price_never_lowers_the_loss(s, extra, p):
    io = two_industries()
    links = make_links(io, np.array([0]), np.array([0]), np.array([0.05]),
                       use_ref=np.array([10.0]), producer=np.array([-1]))

    def total(s_phys, price):
        sh = Shock(np.full((1, 1, 1), s_phys), np.full((1, 1, 1), price), np.array([10.0]),
                   np.zeros(1))
        return gdp_loss(io, links, sh).physical.sum()

    assert total(min(1, s + extra), p) >= total(s, p) - 1e-12
    assert total(s, p) >= 0


def test_cut_falls_first_on_the_user_with_least_value_added():
    io = two_industries()  # value added per USD of output: A 0.9, B 0.6
    links = make_links(io, np.array([0, 0]), np.array([0, 1]), np.array([0.1, 0.2]),
                       use_ref=np.array([10.0]), producer=np.array([-1]))
    assert links.w == pytest.approx([0.5, 0.5])  # dependent output 10 and 10
    shock = Shock(np.full((1, 1, 1), 0.3), np.ones((1, 1, 1)), np.array([10.0]),
                  np.zeros(1))
    # B (v 0.6) gives up the whole 30 % cut: 0.3 / 0.5 of its 10 USD dependent output
    assert gdp_loss(io, links, shock).direct[0, 0] == pytest.approx([0.0, 6 / 12 * 0.6])


def test_industry_flows_split_secondary_products_by_market_share():
    # industry X makes 30 of commodity X and 10 of commodity Y; Y makes 30 of Y
    make = pd.DataFrame({"industry": ["X", "X", "Y"], "commodity": ["X", "Y", "Y"],
                         "musd": [30.0, 10.0, 30.0]})
    use = pd.DataFrame({"commodity": ["Y"], "industry": ["X"], "musd": [8.0]})
    z = industry_flows(use, make, ["X", "Y"])
    assert z == pytest.approx(np.array([[2.0, 0.0], [6.0, 0.0]]))  # 8 * 1/4, 8 * 3/4


def test_bea_2017_table_matches_published_totals():
    io = io_table_usa()
    assert len(io.industries) == 402
    # BEA 2017 detail: total industry output 34.47 T USD, value added (= GDP) 19.61 T USD
    assert io.output.sum() / 1e12 == pytest.approx(34.468, abs=0.01)
    assert io.value_added.sum() / 1e12 == pytest.approx(19.612, abs=0.01)
    assert np.all(np.diag(io.ghosh) >= 1 - 1e-9)


def test_map_names_known_industries_commodities_and_sources():
    m = read_map()
    io = io_table_usa()
    assert set(m["industry"]) <= set(io.industries)
    comm = set(pd.read_csv(shipped_dir() / "commodities.csv")["commodity"])
    assert set(m["commodity"]) <= comm
    assert set(m["dependence"]) <= set(DEPENDENCE)
    sources = set(pd.read_csv(shipped_dir() / "sources.csv")["source_id"])
    top10 = pd.read_csv(io_dir() / "usgs_2025_top10.csv")
    assert set(top10["source_id"]) <= sources and "bea_io_2017_detail" in sources


def test_bad_dependence_names_row_field_and_value(tmp_path):
    p = tmp_path / "map.csv"
    p.write_text("commodity,stage,role,industry,dependence,use\n"
                 "dy,,user,335312,hgh,motors\n")
    with pytest.raises(ValueError, match=r"row 2: field dependence: value 'hgh'; use one of"):
        read_map(p)


def test_eu_economic_importance_by_hand():
    from critmin.metrics.criticality import eu_economic_importance

    # 60 % of use in C27 (VA 80), 40 % in C29 (VA 200); SI_EI 0.9; scale 20
    ei = eu_economic_importance({"C27": 0.6, "C29": 0.4}, {"C27": 80.0, "C29": 200.0},
                                si_ei=0.9, scale=20.0)
    assert ei == pytest.approx(0.9 * (0.6 * 80 + 0.4 * 200) / 20)  # 5.76
    with pytest.raises(ValueError, match="sector_va: no value added for sector"):
        eu_economic_importance({"C28": 1.0}, {"C27": 1.0}, 1.0, 1.0)
    with pytest.raises(ValueError, match="sum to at most 1"):
        eu_economic_importance({"C27": 0.7, "C29": 0.6}, {"C27": 1, "C29": 1}, 1.0, 1.0)


def test_mic_2015_table_matches_published_totals():
    from critmin.metrics.impact import JPY_PER_USD_2015, io_table_jpn

    io = io_table_jpn()
    assert len(io.industries) == 391
    # MIC 2015 basic table: domestic output 1,017.8 trillion yen; gross value added
    # (incl. household-external consumption) 548.2 trillion yen
    assert io.output.sum() * JPY_PER_USD_2015 / 1e12 == pytest.approx(1017.8, abs=0.5)
    assert io.value_added.sum() * JPY_PER_USD_2015 / 1e12 == pytest.approx(548.2, abs=0.5)
    # imports removed from intermediate use: crude oil use no longer lands on Japan's tiny
    # mining sector (row sum of allocation coefficients was 94 before), and the damped
    # Ghosh inverse exists
    mining = io.index("061101")
    assert io.alloc[mining].sum() < 1.5
    assert np.abs(np.linalg.eigvals(io.alloc)).max() < 1


def test_jpn_concordance_names_industries_of_both_tables():
    from critmin.metrics.impact import io_table_jpn, jpn_concordance

    conc = jpn_concordance()
    assert set(read_map()["industry"]) <= set(conc)
    assert {m for ms in conc.values() for m in ms} <= set(io_table_jpn().industries)
    assert set(conc) <= set(io_table_usa().industries)
