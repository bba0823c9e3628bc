"""Benchmark of the cost-sharing game (critmin.optimize.coalitions): the worth of every
coalition of the partners, each coalition's program built anew in linopy (the old path,
``game(cut=False)``) against each cut from the grand coalition's program
(``game(cut=True)``, the default), in the same run, on the same instance: model v2 paths
of the Oct 2025 preset, every countable region, the brief's default budgets. Prints the
time of each path, their ratio, and whether the worths and parts are identical.

    python benchmarks/bench_coalitions.py [--samples 64] [--partners USA,JPN,AUS,KOR,EU]
        [--repeat 1]
"""

from __future__ import annotations

import argparse
import time

import critmin
from critmin.market.v2 import simulate_paths
from critmin.optimize import staged
from critmin.optimize.coalitions import game
from critmin.optimize.finance import DEFAULT_PARTNER_BUDGETS
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


if __name__ == "__main__":
    main()
