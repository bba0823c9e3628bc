"""Project valuation on price paths: reversion, China's response, instruments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import critmin
from critmin.optimize import china
from critmin.optimize.valuation import (
    DISCOUNT_RATE,
    Project,
    Valuation,
    irr,
    opex_rule,
    value_project,
)

S = 64


def _draws(suppress: bool, kappa: float = 0.8):
    return china.ResponseDraws(kappa=np.full(S, kappa), suppress=np.full(S, suppress),
                               depth=np.full(S, 0.5), years=np.full(S, 2.0))


def test_irr_of_a_simple_loan():
    assert irr(np.array([[-100.0, 110.0]]))[0] == pytest.approx(0.10, abs=1e-6)
    assert irr(np.array([[-100.0, -5.0]]))[0] == -1.0  # never returns capital


def test_peak_prices_do_not_hold_over_the_life():
    """A scenario that triples the price for its 24 months: past the horizon the price
    reverts, so a project online after the peak is not viable and its support costs
    money (holding the peak would make it free)."""
    rel = np.full((S, 24), 3.0)
    path = china.life_path(rel, 24 + 160, _draws(False), None)
    assert path[:, 24 + 60].max() < 1.1  # five years on: back near the baseline
    p = Project(capex_usd=5e8, capacity_t=5000.0, price0_usd_t=50_000.0,
                opex_usd_t=opex_rule(5e8, 5000.0, 50_000.0), online_month=36)
    v = value_project(p, path)
    assert v["fiscal_cost_usd"] > 1e7
    held = value_project(p, np.full((S, 36 + 120), 3.0))  # the mistake: peak held
    assert held["fiscal_cost_usd"] == 0.0


def test_china_suppression_lowers_npv_and_raises_support():
    rel = np.ones((S, 24))
    p = Project(capex_usd=3e8, capacity_t=3000.0, price0_usd_t=60_000.0,
                opex_usd_t=opex_rule(3e8, 3000.0, 60_000.0), online_month=24)
    calm = Valuation(p, china.life_path(rel, 24 + 120, _draws(False), 24))
    hit = Valuation(p, china.life_path(rel, 24 + 120, _draws(True), 24))
    assert hit.npv.mean() < calm.npv.mean()
    assert hit.gap() > calm.gap()


def test_floor_payout_matches_hand_computation():
    """Constant price 40 below a strike of 50 for the whole life: the floor pays
    10 x output every month, discounted."""
    p = Project(capex_usd=1e6, capacity_t=120.0, price0_usd_t=40.0, opex_usd_t=10.0,
                online_month=0, floor_usd_t=50.0, floor_share=0.3)
    v = Valuation(p, np.ones((4, 120)))
    menu = v.price_floor()
    t = np.arange(120)
    ramp = np.clip((t / 12 + 1 / 12) / 2.0, 0, 1)
    hand = (10.0 * 10.0 * ramp * (1 + DISCOUNT_RATE) ** (-t / 12)).sum()
    assert menu["expected_payout_usd"] == pytest.approx(hand, rel=1e-9)
    assert menu["expected_receipts_usd"] == 0.0
    assert menu["terms"]["strike_basis"] == "sourced"


def test_offtake_price_makes_the_sponsor_break_even():
    rng = np.random.default_rng(0)
    p = Project(capex_usd=2e8, capacity_t=2000.0, price0_usd_t=30_000.0,
                opex_usd_t=20_000.0, online_month=12)
    v = Valuation(p, rng.lognormal(0, 0.3, size=(S, 132)))
    k = v.offtake()["terms"]["price_usd_t"]
    sponsor = ((k - p.opex_usd_t) * v.q) @ v.disc - v.capex @ v.disc
    assert sponsor == pytest.approx(0.0, abs=1.0)


def test_guarantee_loses_only_when_cash_falls_short():
    p = Project(capex_usd=1e8, capacity_t=1000.0, price0_usd_t=100_000.0,
                opex_usd_t=20_000.0, online_month=0)
    rich = Valuation(p, np.full((4, 120), 2.0)).guarantee()
    poor = Valuation(p, np.full((4, 120), 0.2)).guarantee()
    assert rich["expected_loss_usd"] == 0.0 and rich["dscr_min"]["p50"] > 1
    assert poor["expected_loss_usd"] > 0 and poor["dscr_min"]["p50"] < 1


@settings(max_examples=40, deadline=None)
@given(st.floats(0.2, 5.0), st.floats(0.36, 1.19))
def test_reversion_moves_monotonically_to_the_baseline(last, kappa):
    rel = np.full((S, 24), last)
    path = china.life_path(rel, 24 + 120, _draws(False, kappa), None)[0, 23:]
    gap = np.abs(np.log(path))
    assert (np.diff(gap) <= 1e-12).all()
    assert gap[-1] < abs(np.log(last)) * np.exp(-kappa * 9.9) + 1e-9


def test_episode_priors_are_the_shipped_prices():
    """The priors quote rows of the prices table; a changed row must change them."""
    prices = critmin.load().prices.set_index(["commodity", "year"])["value"]
    prices = prices[~prices.index.duplicated(keep="last")]
    c, _y, a, b, _u, _s = china.EPISODES["ndpr_2023_2024"]
    assert (a, b) == (prices[(c, 2023)], prices[(c, 2024)])
    c, _y, a, b, _u, _s = china.EPISODES["lithium_2023_2024"]
    assert (a, b) == (prices[(c, 2023)], prices[(c, 2024)])
    assert china.KAPPA[0] == pytest.approx(np.log(75 / 55))
    assert pytest.approx(0.8) == china.P_SUPPRESS


def test_draws_are_reproducible_and_off_without_china():
    a, b = china.draw_response(100, 3), china.draw_response(100, 3)
    assert (a.kappa == b.kappa).all() and a.suppress.any()
    assert not china.draw_response(100, 3, china=False).suppress.any()
    assert pd.Series(a.depth).between(*china.DEPTH).all()
