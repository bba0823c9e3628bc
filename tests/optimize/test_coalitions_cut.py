"""The coalition game's programs cut from the grand coalition's (staged.Program.cut), and
the budget-risk frontier's programs re-budgeted from one build (Program.rebudget), are
the programs linopy builds for each, array for array, and HiGHS answers them the same:
the same portfolio, stocks, risk and MIP gap (model v2 paths of the Oct 2025 preset on
four commodities)."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest

from critmin.optimize import staged
from critmin.optimize.coalitions import GAME_GAP, coalition_instance, game
from critmin.optimize.report import frontier
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


def _same_solution(got, ref) -> None:
    pd.testing.assert_frame_equal(got.selected, ref.selected, check_exact=True)
    pd.testing.assert_frame_equal(got.stocks, ref.stocks, check_exact=True)
    for f in ("objective_usd", "expected_loss_usd", "cvar_usd", "fiscal_usd",
              "spend_by_funder", "binding_budgets", "mip_gap", "status"):
        assert getattr(got, f) == getattr(ref, f), f


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
            _same_solution(got, ref)
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


def test_the_frontier_solves_one_program_with_each_budget(full):
    """Each factor's program is the one built for its budgets; the frontier's rows are
    those of programs built anew."""
    factors = (0.0, 0.5, 1.0, 2.0)
    once = staged.program(full)
    rows = []
    for f in factors:
        scaled = dataclasses.replace(full, budgets={k: v * f for k, v in full.budgets.items()})
        m = staged.build_model(scaled)
        _same_arrays(staged.program(scaled, m), once.rebudget(scaled))
        ref = staged.solve_model(scaled, m)
        _same_solution(staged.solve_program(scaled, once.rebudget(scaled)), ref)
        rows.append((ref.expected_loss_usd, ref.cvar_usd, ref.fiscal_usd))
    front = frontier(full, factors)
    assert list(zip(front["expected_loss_usd"], front["cvar_usd"], front["fiscal_usd"],
                    strict=True)) == rows
    assert rows[0][2] == 0.0 and rows[-1][2] > 0, "no budget buys nothing; some buys"
    with pytest.raises(ValueError, match="funders"):
        once.rebudget(dataclasses.replace(full, budgets={"USA": 1e9}))
    with pytest.raises(ValueError, match="funders"):
        once.rebudget(dataclasses.replace(full, budgets={**full.budgets, "JPN_vehicle": 1e9}))
