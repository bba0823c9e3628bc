"""The dashboard's read endpoints as functions: Sankey allocation, country profile, cache key."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.api import dashboard as d

COUNTRIES = ["CHN", "AUS", "USA", "JPN", "MMR", "OTHER"]


def shares(draw_values) -> pd.Series:
    s = pd.Series(draw_values, index=COUNTRIES[:len(draw_values)], dtype=float)
    return s / s.sum()


share_lists = st.lists(st.floats(0.01, 1.0), min_size=1, max_size=len(COUNTRIES))


@settings(max_examples=200, deadline=None)
@given(up=share_lists, down=share_lists, trade=st.floats(0, 10))
def test_allocation_meets_every_downstream_share(up, down, trade):
    up, down = shares(up), shares(down)
    weights = pd.Series({("AUS", "CHN"): trade}, dtype=float)
    links = d._allocate(up, down, weights)
    assert all(v >= 0 for v in links.values())
    into = pd.Series(links).groupby(level=1).sum()
    pd.testing.assert_series_equal(into.reindex(down.index).fillna(0), down,
                                   check_names=False, atol=1e-9)
    # a country uses its own upstream output first
    for j in down.index:
        if j != "OTHER" and j in up.index:
            assert links.get((j, j), 0) == pytest.approx(min(up[j], down[j]))


def test_sankey_of_a_product_follows_its_input(net):
    s = d.sankey(net, "ndfeb_magnet", "ndpr")
    assert s["stages"][0] == "mine" and s["stages"][-1] == "product"
    for stage in s["stages"]:
        total = sum(n["share"] for n in s["nodes"] if n["stage"] == stage)
        assert total == pytest.approx(1.0)
    nodes = {(n["stage"], n["country"]) for n in s["nodes"]}
    for link in s["links"]:
        assert (link["source_stage"], link["source"]) in nodes
        assert (link["target_stage"], link["target"]) in nodes


def test_country_profile_of_japan_ranks_its_exposure(net):
    p = d.country_profile(net, "JPN")
    ranks = [r["eu_rank"] for r in p["exposure"] if r["eu_rank"] is not None]
    assert ranks == sorted(ranks) and len(ranks) >= 5
    assert p["imports_published"] and p["imports_trade"]
    assert all(0 <= r["share"] <= 1 for r in p["imports_trade"])


def test_country_profile_ranks_the_us_by_gdp_impact_with_eu_rank_beside(net):
    p = d.country_profile(net, "USA")
    ir = p["impact_ranking"]
    assert [r["rank"] for r in ir] == list(range(1, len(ir) + 1)) and len(ir) >= 40
    risks = [r["risk_usd"] for r in ir]
    assert risks == sorted(risks, reverse=True)
    assert any(r["eu_rank"] is not None for r in ir)
    assert not any(r["net_exporter"] for r in ir[:10])
    assert d.country_profile(net, "DEU")["impact_ranking"] == []


def test_data_version_follows_the_data(net):
    v = d.data_version(net)
    tables = dict(net.tables)
    prod = tables["production"].copy()
    prod.loc[prod.index[0], "value"] = prod["value"].iloc[0] + 1
    tables["production"] = prod
    assert d.data_version(type(net)(tables)) != v
    assert d.data_version(net) == v


def test_cache_computes_once_per_key(net):
    cache = d.Cache(net)
    calls = []
    for _ in range(3):
        assert cache.get(("k",), lambda: calls.append(1) or {"x": float("nan")}) == {"x": None}
    assert calls == [1]


def test_every_listed_country_has_a_name_small_ones_included(net):
    """Countries too small for the 1:110m map (Hong Kong, Singapore) are named too."""
    names = {c["iso3"]: c["name"] for c in d.country_list(net)}
    assert names["HKG"] == "Hong Kong" and names["SGP"] == "Singapore"
    assert names["CHN"] == "China" and names["JPN"] == "Japan"
    assert [c for c, n in names.items() if n == c] == []
