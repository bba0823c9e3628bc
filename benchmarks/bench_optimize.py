"""Benchmark of the portfolio optimiser (issue: projects, instruments and optimiser).

Candidate sets of 50, 200 and 500 projects are drawn from the shipped project pipeline
(resampled with +/-50 % noise on output and cost, so larger sets stay realistic but are
synthetic); scenarios are the first 100 or 1,000 samples of a simulation of the Oct 2025
preset. For each size the benchmark prints build and solve time, the MIP gap reached,
and the objective (expected loss + CVaR + fiscal cost) against a greedy benefit-per-dollar
ranking on the same instance (projects only, no stockpiles, so both choose from the same
set), plus the full optimiser with stockpiles.

    python benchmarks/bench_optimize.py [--sizes 50,200,500] [--scenarios 100,1000]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import pandas as pd

import critmin
from critmin.optimize.instance import build_instance
from critmin.optimize.portfolio import Instance, build_model, greedy, solve
from critmin.scenarios import get_scenario
from critmin.simulate.runner import make_executor, simulate
from critmin.store import ResultsStore

BUDGETS = {"USA": 1e9, "JPN": 1e9, "JPN_vehicle": 2e9}


def resample(projects: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    useful = projects[projects["output_t"] > 0]
    pick = useful.sample(n, replace=True, random_state=seed)
    pick = pick.assign(output_t=pick["output_t"] * rng.uniform(0.5, 1.5, n),
                       cost_usd=pick["cost_usd"].clip(lower=1e6) * rng.uniform(0.5, 1.5, n))
    pick.index = pd.Index([f"{i}_{k}" for k, i in enumerate(pick.index)], name="project_id")
    return pick


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="50,200,500")
    ap.add_argument("--scenarios", default="100,1000")
    args = ap.parse_args()
    net = critmin.load()
    store = ResultsStore(tempfile.mkdtemp(prefix="critmin-opt-") + "/r.duckdb")
    scenarios = [int(s) for s in args.scenarios.split(",")]
    ex = make_executor(workers=2)
    run_id = simulate(net, get_scenario("CN_2025_10_full_controls", net),
                      samples=max(scenarios), seed=0, store=store, executor=ex)
    ex.shutdown()
    base = build_instance(net, store, run_id, BUDGETS)
    print(f"{'projects':>8} {'scen':>5} {'build s':>8} {'solve s':>8} {'gap':>7} "
          f"{'opt obj $bn':>12} {'greedy $bn':>11} {'opt/greedy':>10} {'w/ stocks $bn':>13}")
    for n in (int(s) for s in args.sizes.split(",")):
        for s in scenarios:
            inst = Instance(projects=resample(base.projects, n, seed=n),
                            gap_t=base.gap_t.isel(scenario=slice(0, s)),
                            input_availability=None,
                            value_usd_t=base.value_usd_t,
                            stock_cost_usd_t=base.stock_cost_usd_t, budgets=BUDGETS,
                            allow_stocks=False)
            t = time.perf_counter()
            build_model(inst)
            t_build = time.perf_counter() - t
            t = time.perf_counter()
            opt = solve(inst, mip_gap=0.01)
            t_solve = time.perf_counter() - t - t_build
            heur = greedy(inst)
            full = solve(Instance(**{**inst.__dict__, "allow_stocks": True}), mip_gap=0.01)
            gap = "n/a" if opt.mip_gap is None else f"{100 * opt.mip_gap:.2f}%"
            print(f"{n:>8} {s:>5} {t_build:8.2f} {max(t_solve, 0):8.2f} {gap:>7} "
                  f"{opt.objective_usd / 1e9:12.3f} {heur.objective_usd / 1e9:11.3f} "
                  f"{opt.objective_usd / heur.objective_usd:10.3f} "
                  f"{full.objective_usd / 1e9:13.3f}")


if __name__ == "__main__":
    main()
