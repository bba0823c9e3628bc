"""How the impact ranking sizes a supplier's halt: sourced China exports, derived products,
and the check against published critical-mineral lists."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from critmin.data.benchmark import benchmark_usd_t
from critmin.market.v2.paths import prepare
from critmin.scenarios.spec import Scenario
from critmin.workflows.criticality import (
    CHINA_EXPORT_HS,
    china_exports_t,
    compare_lists,
    halt_of,
    supplier_scenario,
)


@pytest.fixture(scope="module")
def full(net):
    return prepare(net, Scenario(id="b", name="b", start=dt.date(2026, 1, 1)), 12).full


def _node(full, commodity):
    h = next(h for h in full.headline if full.nodes[h].commodity == commodity)
    return h, full.nodes[h].stage


def test_china_copper_exports_are_baci_value_over_price(net):
    f = net.flows
    f = f[f["exporter"].eq("CHN") & f["hs6"].astype(str).eq(CHINA_EXPORT_HS["copper"])]
    f = f[f["year"].eq(net.flows[net.flows["exporter"].eq("CHN")]["year"].max())]
    want = f["value"].sum() / benchmark_usd_t(net.prices)["copper"]
    got = china_exports_t(net).at["copper", "export_t"]
    assert got == pytest.approx(want) and 1e5 < got < 1e6  # refined copper, t/yr


def test_sourced_china_halt_is_a_quota_leaving_the_rest(net, full):
    ex = china_exports_t(net)
    h, stage = _node(full, "copper")
    modelled = full.dest0[h].sum()
    got = halt_of(net, full, "copper", stage, "CHN", ex)
    assert got["halt_t"] == pytest.approx(ex.at["copper", "export_t"])
    assert got["quota_t"] == pytest.approx(modelled - got["halt_t"])
    assert got["halt_t"] < 0.2 * modelled  # the prior overstated China's copper exports
    assert "sourced" in got["halt_basis"]
    sc = supplier_scenario("copper", "CHN", stage, got["quota_t"], got["products"])
    (ctl,) = sc.controls
    assert ctl.measure == "quota" and ctl.stages == [stage]
    assert ctl.quota_t == pytest.approx(got["quota_t"])


def test_unsourced_china_halt_says_so(net, full):
    h, stage = _node(full, "gallium")
    got = halt_of(net, full, "gallium", stage, "CHN", china_exports_t(net))
    assert got["quota_t"] is None and "unsourced" in got["halt_basis"]
    assert got["halt_t"] == pytest.approx(full.dest0[h].sum())


def test_china_halt_of_dysprosium_stops_magnets_too(net, full):
    ex = china_exports_t(net)
    _, stage = _node(full, "dy")
    got = halt_of(net, full, "dy", stage, "CHN", ex)
    assert got["products"] == ["ndfeb_magnet"]
    sc = supplier_scenario("dy", "CHN", stage, got["quota_t"], got["products"])
    assert [c.commodities for c in sc.controls] == [["dy"], ["ndfeb_magnet"]]
    assert all(c.measure == "export_ban" for c in sc.controls)
    # a supplier whose magnet exports are not sourced stops only the commodity
    assert halt_of(net, full, "dy", stage, "MMR", ex)["products"] == []


def test_list_auc_by_hand(net):
    cl = net.critical_lists
    on = set(cl.loc[cl["list"].eq("USGS_2022"), "commodity"])
    assert "gallium" in on and "copper" not in on and "potash" not in on
    r = pd.DataFrame({"commodity": ["gallium", "copper", "potash"], "rank": [2, 1, 3]})
    got = compare_lists(r, net, lists=("USGS_2022",))["USGS_2022"]
    assert got["members"] == 1 and got["non_members"] == ["copper", "potash"]
    assert got["auc"] == pytest.approx(0.5)  # above potash, below copper


def test_us_imports_ndpr_inside_magnets_so_the_chain_is_not_exported(full):
    from critmin.workflows.criticality import embedded_use_usd

    # the U.S. makes NdPr oxide but buys magnets: with magnets halted too, its use of NdPr
    # inside them counts (final use of magnets x BOM intensity x NdPr price)
    assert embedded_use_usd(full, "ndpr", "USA", ["ndfeb_magnet"]) > 0
    assert embedded_use_usd(full, "ndpr", "USA", []) == 0


def test_shipped_ranking_meets_the_issue():
    from critmin.workflows.criticality import compare_usgs, shipped_ranking

    for country in ("USA", "JPN"):
        r = shipped_ranking(country)
        top = r.head(10)
        # a net exporter only through price effects
        assert not (top["net_exporter"].astype(bool) & ~top["via_price"].astype(bool)).any()
        assert r["halt_basis"].notna().all()
    usa = shipped_ranking("USA")
    assert {"tb", "dy"} <= set(usa.head(10)["commodity"])
    assert compare_usgs(usa)["spearman"] > 0
