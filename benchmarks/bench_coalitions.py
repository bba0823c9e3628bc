"""Benchmark of the cost-sharing game (critmin.optimize.coalitions): the worth of every
coalition of the partners, each coalition's program built anew in linopy (the old path,
``game(cut=False)``) against each cut from the grand coalition's program
(``game(cut=True)``, the default), in the same run, on the same instance: model v2 paths
of the Oct 2025 preset, every countable region, the brief's default budgets. Prints the
time of each path, their ratio, and whether the worths and parts are identical. Then the
budget-risk frontier (U.S. and Japan, the CLI's six budget factors): a program built per
factor (the old path) against one program solved with each factor's budgets
(``critmin.optimize.report.frontier``), the same way.

    python benchmarks/bench_coalitions.py [--samples 64] [--partners USA,JPN,AUS,KOR,EU]
        [--repeat 1]
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import critmin
from critmin.market.v2 import simulate_paths
from critmin.optimize import staged
from critmin.optimize.coalitions import game
from critmin.optimize.finance import DEFAULT_PARTNER_BUDGETS
from critmin.optimize.report import frontier
from critmin.report.brief import DEFAULT_BUDGETS
from critmin.scenarios import get_scenario


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="CN_2025_10_full_controls")
    ap.add_argument("--samples", type=int, default=64)
    ap.add_argument("--partners", default="USA,JPN,AUS,KOR,EU")
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    net = critmin.load()
    sc = get_scenario(a.scenario, net)
    t = time.perf_counter()
    paths = simulate_paths(net, sc, samples=a.samples, seed=0, months=3 * sc.horizon_quarters)
    print(f"v2 paths: {a.samples} samples of {sc.id} in {time.perf_counter() - t:.1f} s")
    budgets = {k: v for k, v in DEFAULT_BUDGETS.items() if v > 0}
    full = staged.build_staged_instance(net, sc, budgets, samples=a.samples, seed=0,
                                        regions=staged.COUNTABLE, paths=paths)
    money = {**DEFAULT_PARTNER_BUDGETS, "USA": DEFAULT_BUDGETS.get("USA", 0.0),
             "JPN": DEFAULT_BUDGETS.get("JPN", 0.0) + DEFAULT_BUDGETS.get("JPN_vehicle", 0.0)}
    players = [p.strip().upper() for p in a.partners.split(",") if p.strip()]
    print(f"instance: {full.gap_t.sizes['scenario']} scenarios, {len(full.needs)} needs, "
          f"{len(full.projects)} candidates; partners {', '.join(players)} "
          f"({2 ** len(players) - 1} coalitions)")
    for k in range(a.repeat):
        t = time.perf_counter()
        v_old, p_old = game(full, players, money, a.samples, cut=False)
        old = time.perf_counter() - t
        t = time.perf_counter()
        v_new, p_new = game(full, players, money, a.samples, cut=True)
        new = time.perf_counter() - t
        same = v_old == v_new and p_old == p_new
        print(f"run {k + 1}: built anew {old:.1f} s, cut from the grand coalition's "
              f"{new:.1f} s: {old / new:.1f}x faster; worths and parts identical: {same}")
        if not same:
            raise SystemExit("the two paths disagree")
    inst = staged.build_staged_instance(net, sc, budgets, samples=a.samples, seed=0,
                                        paths=paths)
    factors = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
    for k in range(a.repeat):
        t = time.perf_counter()
        rows = []
        for f in factors:
            scaled = dataclasses.replace(inst, budgets={b: v * f for b, v in budgets.items()})
            sol, g = staged.solve(scaled), staged.greedy(scaled)
            rows.append((sol.expected_loss_usd, sol.cvar_usd, sol.fiscal_usd,
                         g.expected_loss_usd))
        old = time.perf_counter() - t
        t = time.perf_counter()
        front = frontier(inst, factors)
        new = time.perf_counter() - t
        same = rows == list(zip(front["expected_loss_usd"], front["cvar_usd"],
                                front["fiscal_usd"], front["greedy_expected_loss_usd"],
                                strict=True))
        print(f"frontier run {k + 1}: a program per factor {old:.1f} s, one program "
              f"{new:.1f} s: {old / new:.1f}x faster; rows identical: {same}")
        if not same:
            raise SystemExit("the two paths disagree")


if __name__ == "__main__":
    main()
