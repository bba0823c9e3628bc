"""Network views: producer shares."""

from __future__ import annotations

import numpy as np


def test_production_shares_sum_to_one(net):
    s = net.production_shares()
    totals = s.groupby(["commodity", "stage", "year"])["share"].sum()
    assert np.allclose(totals, 1.0)
    assert (s["country"] != "WORLD").all()


def test_uncovered_world_output_becomes_other(net):
    s = net.production_shares(year=2023)
    mn = s[(s["commodity"] == "manganese") & (s["stage"] == "mine")]
    p = net.production
    world = p[(p["commodity"] == "manganese") & (p["stage"] == "mine") & (p["year"] == 2023)
              & (p["country"] == "WORLD")]["value"].iloc[0]
    assert mn["value"].sum() >= world * 0.999
