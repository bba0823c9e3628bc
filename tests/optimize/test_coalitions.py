"""Cost-sharing rules: Shapley value and nucleolus on games with known answers."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.optimize.coalitions import in_core, nucleolus, shapley


def _game(players, worth):
    return {frozenset(S): worth(frozenset(S)) for r in range(len(players) + 1)
            for S in itertools.combinations(players, r)}


def test_glove_game():
    """One left glove (A), two right gloves (B, C): a pair is worth 1."""
    players = ["A", "B", "C"]
    v = _game(players, lambda S: float("A" in S and len(S) >= 2))
    phi = shapley(players, v)
    assert phi == pytest.approx({"A": 2 / 3, "B": 1 / 6, "C": 1 / 6})
    nu = nucleolus(players, v)
    assert nu == pytest.approx({"A": 1.0, "B": 0.0, "C": 0.0}, abs=1e-6)
    assert in_core(players, v, nu) and not in_core(players, v, phi)


def test_null_player_gets_nothing():
    players = ["USA", "JPN", "AUS"]
    v = _game(players, lambda S: 3.0 * ("USA" in S) + 2.0 * ("JPN" in S)
              + 4.0 * ({"USA", "JPN"} <= S))
    phi, nu = shapley(players, v), nucleolus(players, v)
    assert phi["AUS"] == pytest.approx(0.0) and nu["AUS"] == pytest.approx(0.0, abs=1e-6)
    assert phi["USA"] == pytest.approx(5.0) and phi["JPN"] == pytest.approx(4.0)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.0, 10.0), min_size=2, max_size=5))
def test_convex_games_share_everything_inside_the_core(weights):
    """v(S) = (sum of weights)^2 is convex: both rules are efficient and in the core."""
    players = [f"p{i}" for i in range(len(weights))]
    w = dict(zip(players, weights, strict=True))
    v = _game(players, lambda S: sum(w[p] for p in S) ** 2)
    grand = v[frozenset(players)]
    for alloc in (shapley(players, v), nucleolus(players, v)):
        assert sum(alloc.values()) == pytest.approx(grand, rel=1e-6, abs=1e-6)
        assert in_core(players, v, alloc)
