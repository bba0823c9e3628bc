"""The coalition game's programs cut from the grand coalition's (staged.Program.cut) are
the programs linopy builds for each coalition, array for array, and HiGHS answers them
the same: the same portfolio, stocks, risk and MIP gap (model v2 paths of the Oct 2025
preset on four commodities)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from critmin.optimize import staged
from critmin.optimize.coalitions import GAME_GAP, coalition_instance, game
from critmin.scenarios import get_scenario

PLAYERS = ["USA", "JPN", "EU"]
MONEY = {"USA": 1e9, "JPN": 1e9, "EU": 5e8}
SAMPLES = 48


@pytest.fixture(scope="module")
def full(net):
    sc = get_scenario("CN_2025_10_full_controls", net)
    sc = sc.model_copy(update={"commodities": ["graphite", "gallium", "antimony", "tungsten"]})
    return staged.build_staged_instance(net, sc, {"USA": 1e9, "JPN": 1e9}, samples=SAMPLES,
                                        seed=3, regions=staged.COUNTABLE)


def _same_arrays(a: staged.Program, b: staged.Program) -> None:
    for f in ("c", "lb", "ub", "binary", "b", "sense", "var", "vkey", "con", "ckey"):
        x, y = getattr(a, f), getattr(b, f)
        assert x.dtype == y.dtype and x.shape == y.shape and (x == y).all(), f
    for f in ("indptr", "indices", "data"):
        x, y = getattr(a.A, f), getattr(b.A, f)
        assert x.dtype == y.dtype and x.shape == y.shape and (x == y).all(), f"A.{f}"


def test_every_coalition_program_is_cut_exactly_and_solves_the_same(full):
    grand = staged.program(coalition_instance(full, frozenset(PLAYERS), MONEY, SAMPLES))
    solved = 0
    for r in range(1, len(PLAYERS) + 1):
        for combo in itertools.combinations(PLAYERS, r):
            inst = coalition_instance(full, frozenset(combo), MONEY, SAMPLES)
            m = staged.build_model(inst)
            own = staged.program(inst, m)
            cut = grand.cut(inst)
            _same_arrays(own, cut)
            assert (cut.con == "budget").sum() == 1
            assert cut.b[cut.con == "budget"][0] == sum(MONEY[p] for p in combo) / staged.MONEY
            ref = staged.solve_model(inst, m, mip_gap=GAME_GAP)
            got = staged.solve_program(inst, cut, mip_gap=GAME_GAP)
            pd.testing.assert_frame_equal(got.selected, ref.selected, check_exact=True)
            pd.testing.assert_frame_equal(got.stocks, ref.stocks, check_exact=True)
            for f in ("objective_usd", "expected_loss_usd", "cvar_usd", "fiscal_usd",
                      "spend_by_funder", "binding_budgets", "mip_gap", "status"):
                assert getattr(got, f) == getattr(ref, f), f
            solved += len(ref.selected) > 0
    assert solved >= 3, "the budgets buy projects in most coalitions"


def test_the_game_cut_and_built_agree_on_the_first_coalitions(full):
    """game(cut=True) against game(cut=False) on two partners (three programs)."""
    two = PLAYERS[:2]
    v_cut, parts_cut = game(full, two, MONEY, SAMPLES)
    v_built, parts_built = game(full, two, MONEY, SAMPLES, cut=False)
    assert v_cut == v_built and parts_cut == parts_built
    assert v_cut[frozenset(two)] > 0


def test_an_instance_the_program_does_not_hold_is_refused(full):
    """A program cut from a smaller coalition's cannot serve a larger one: refused (the
    game then builds that program)."""
    usa = staged.program(coalition_instance(full, frozenset(["USA"]), MONEY, SAMPLES))
    bigger = coalition_instance(full, frozenset(["USA", "EU"]), MONEY, SAMPLES)
    with pytest.raises(ValueError, match="lacks"):
        usa.cut(bigger)
    fewer = coalition_instance(full, frozenset(["USA"]), MONEY, SAMPLES // 2)
    with pytest.raises(ValueError, match="scenarios"):
        usa.cut(fewer)
    assert np.isfinite(usa.b).all()
