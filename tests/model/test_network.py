"""Network views: producer shares."""

from __future__ import annotations


def test_production_shares_sum_to_one(net):
    s = net.production_shares()
    totals = s.groupby(["commodity", "stage", "year"])["share"].sum()
    # shares of the published world total; USGS rounding lets rows pass it by up to 5 %
    assert ((totals > 1 - 1e-9) & (totals <= 1.05 + 1e-9)).all()
    assert (s["country"] != "WORLD").all()


def test_uncovered_world_output_becomes_other(net):
    s = net.production_shares(year=2023)
    mn = s[(s["commodity"] == "manganese") & (s["stage"] == "mine")]
    p = net.production
    world = p[(p["commodity"] == "manganese") & (p["stage"] == "mine") & (p["year"] == 2023)
              & (p["country"] == "WORLD")]["value"].iloc[0]
    assert mn["value"].sum() >= world * 0.999


def test_production_shares_are_computed_once_per_data_and_year(monkeypatch):
    """A network computes its shares once per year and content of production and
    stage_shares (a brief asks 16 times): the same answer as computing them, a copy the
    caller may change, and a new computation after the tables change, in place or not."""
    import pandas as pd

    import critmin
    from critmin.model import network

    net = critmin.load()
    direct = network.production_shares(net.production, net.stage_shares)
    calls = []
    compute = network.production_shares
    monkeypatch.setattr(network, "production_shares",
                        lambda *a, **k: calls.append(a[2:] + tuple(k.values())) or compute(*a, **k))
    first = net.production_shares()
    pd.testing.assert_frame_equal(first, direct)
    first.loc[:, "share"] = 0.0  # the caller's copy
    pd.testing.assert_frame_equal(net.production_shares(), direct)
    assert net.production_shares().attrs == direct.attrs
    assert len(calls) == 1
    pd.testing.assert_frame_equal(net.production_shares(year=2023),
                                  compute(net.production, net.stage_shares, 2023))
    assert len(calls) == 2
    # an edit in place: cobalt's largest mine producer halved
    cob = net.production.query("commodity == 'cobalt' and stage == 'mine' "
                               "and country != 'WORLD'")
    row = cob.loc[cob["year"].eq(cob["year"].max()), "value"].idxmax()
    net.production.loc[row, "value"] /= 2
    edited = net.production_shares()
    assert len(calls) == 3
    pd.testing.assert_frame_equal(edited, compute(net.production, net.stage_shares))
    assert not edited.equals(direct)
    net.stage_shares = net.stage_shares.iloc[:0]  # a new table
    net.production_shares()
    assert len(calls) == 4
