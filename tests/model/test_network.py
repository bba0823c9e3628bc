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
