"""Benchmark of the portfolio optimiser (issue: projects, instruments and optimiser).

Candidate sets of 50, 200 and 500 projects are drawn from the shipped project pipeline
(resampled with +/-50 % noise on output and cost, so larger sets stay realistic but are
synthetic); scenarios are the first 100 or 1,000 samples of a simulation of the Oct 2025
preset. For each size the benchmark prints build and solve time, the MIP gap reached,
and the objective (expected loss + CVaR + fiscal cost) against a greedy benefit-per-dollar
ranking on the same instance (projects only, no stockpiles, so both choose from the same
set), plus the full optimiser with stockpiles.

Model v2 case (``--model v2`` or ``both``): scenarios are v2 monthly sample paths of the
same preset (all commodities and stages; needs by commodity, stage and region, U.S. and
Japan counted); candidates are the shipped pipeline rows of commodities v2 models,
resampled the same way (capacity and capex x U(0.5, 1.5)). The v2 simulation time is
printed first; the same ratios against the greedy ranking follow.

    python benchmarks/bench_optimize.py [--sizes 50,200,500] [--scenarios 100,1000]
        [--model v1|v2|both|multi] [--v2-scenarios 100,500]

Multi-period case (``--model multi``): the program of :mod:`critmin.optimize.multiperiod`
(two 12-month periods, loss-tercile branches, stockpiles on, candidates valued on the
paths) on the shipped candidates (size 0) or resampled sets: binaries, variables,
constraints, build and solve time, MIP gap, and its objective against committing the
single-period program's choice now.
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


def resample_raw(projects: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` rows drawn from the raw projects table with capacity and capex x U(0.5, 1.5)
    (model v2 builds its own candidates from them)."""
    rng = np.random.default_rng(seed)
    pick = projects.sample(n, replace=True, random_state=seed).reset_index(drop=True)
    pick["capacity"] = pick["capacity"] * rng.uniform(0.5, 1.5, n)
    pick["capex_usd"] = pick["capex_usd"].astype(float) * rng.uniform(0.5, 1.5, n)
    pick["project_id"] = [f"{p}_{k}" for k, p in enumerate(pick["project_id"])]
    return pick


def bench_v2(net, sizes: list[int], scenarios: list[int]) -> None:
    from critmin.market.v2 import simulate_paths
    from critmin.optimize import staged
    from critmin.optimize.instance import CANDIDATE_STATUS

    sc = get_scenario("CN_2025_10_full_controls", net)
    t = time.perf_counter()
    paths = simulate_paths(net, sc, samples=max(scenarios), seed=0,
                           months=3 * sc.horizon_quarters)
    print(f"model v2: {max(scenarios)} sample paths of {sc.id} "
          f"({paths.sizes['commodity']} commodities, {paths.sizes['month']} months) "
          f"in {time.perf_counter() - t:.1f} s")
    modelled = set(staged.run_network(net, sc, 3 * sc.horizon_quarters)[0].commodities)
    raw = net.projects[net.projects["commodity"].isin(modelled)
                       & net.projects["status"].isin(CANDIDATE_STATUS)]
    print(f"{'projects':>8} {'options':>7} {'needs':>5} {'scen':>5} {'build s':>8} "
          f"{'solve s':>8} {'greedy s':>8} {'gap':>7} {'opt obj $bn':>12} {'greedy $bn':>11} "
          f"{'opt/greedy':>10} {'w/ stocks $bn':>13}")
    for n in sizes:
        for s in scenarios:
            sub = paths.isel(sample=slice(0, s))
            t = time.perf_counter()
            inst = staged.build_staged_instance(net, sc, BUDGETS, paths=sub,
                                                projects=resample_raw(raw, n, seed=n),
                                                allow_stocks=False)
            t_build = time.perf_counter() - t
            t = time.perf_counter()
            opt = staged.solve(inst, mip_gap=0.01)
            t_solve = time.perf_counter() - t
            t = time.perf_counter()
            heur = staged.greedy(inst)
            t_greedy = time.perf_counter() - t
            import dataclasses

            full = staged.solve(dataclasses.replace(inst, allow_stocks=True), mip_gap=0.01)
            gap = "n/a" if opt.mip_gap is None else f"{100 * opt.mip_gap:.2f}%"
            print(f"{n:>8} {len(inst.options):>7} {len(inst.needs):>5} {s:>5} "
                  f"{t_build:8.2f} {t_solve:8.2f} {t_greedy:8.2f} {gap:>7} "
                  f"{opt.objective_usd / 1e9:12.3f} {heur.objective_usd / 1e9:11.3f} "
                  f"{opt.objective_usd / heur.objective_usd:10.3f} "
                  f"{full.objective_usd / 1e9:13.3f}")


def bench_multi(net, sizes: list[int], scenarios: list[int]) -> None:
    """The multi-period program (:mod:`critmin.optimize.multiperiod`, stockpiles on):
    size (binaries, variables, constraints), build and solve time, MIP gap, and its
    objective against committing everything now (the single-period program's choice
    evaluated on the same periods)."""
    import dataclasses

    from critmin.market.v2 import simulate_paths
    from critmin.optimize import multiperiod as mp
    from critmin.optimize import staged
    from critmin.optimize.instance import CANDIDATE_STATUS

    sc = get_scenario("CN_2025_10_full_controls", net)
    paths = simulate_paths(net, sc, samples=max(scenarios), seed=0,
                           months=3 * sc.horizon_quarters)
    modelled = set(staged.run_network(net, sc, 3 * sc.horizon_quarters)[0].commodities)
    raw = net.projects[net.projects["commodity"].isin(modelled)
                       & net.projects["status"].isin(CANDIDATE_STATUS)]
    budgets = {"USA": 1e9, "JPN": 1e9}
    print(f"{'projects':>8} {'scen':>5} {'periods':>7} {'nodes':>5} {'binaries':>8} "
          f"{'vars':>8} {'cons':>8} {'build s':>8} {'solve s':>8} {'gap':>7} "
          f"{'multi $bn':>10} {'all-now $bn':>11} {'multi/now':>9}")
    for n in sizes:
        for s in scenarios:
            sub = paths.isel(sample=slice(0, s))
            projects = raw if n <= 0 else resample_raw(raw, n, seed=n)
            t = time.perf_counter()
            inst = staged.build_staged_instance(net, sc, budgets, paths=sub,
                                                projects=projects)
            mi = mp.build_multi(inst)
            m = mp.build_model(mi)
            t_build = time.perf_counter() - t
            sol = mp.solve(mi, mip_gap=0.01)
            single = staged.solve(dataclasses.replace(inst), mip_gap=0.01)
            x = [np.zeros((len(inst.options), k)) for k in mi.nodes]
            pos = {o: i for i, o in enumerate(inst.options.index)}
            for p, f in zip(single.selected["project_id"], single.selected["funder"],
                            strict=True):
                x[0][pos[f"{p}@{f}"], 0] = 1.0
            st = [np.zeros((len(inst.stock_options), k)) for k in mi.nodes]
            kpos = {k: i for i, k in enumerate(inst.stock_options.index)}
            for r in single.stocks.itertuples():
                st[0][kpos[f"{r.holder}|{r.commodity}"], 0] = r.stock_t
            now = mp.evaluate(mi, x, st)["objective_usd"]
            gap = "n/a" if sol.mip_gap is None else f"{100 * sol.mip_gap:.2f}%"
            binaries = sum(m.variables[v].size for v in m.variables if v.startswith("commit"))
            print(f"{len(inst.projects):>8} {s:>5} {mi.periods:>7} {sum(mi.nodes):>5} "
                  f"{binaries:>8} {m.nvars:>8} {m.ncons:>8} {t_build:8.2f} "
                  f"{sol.seconds:8.2f} {gap:>7} {sol.objective_usd / 1e9:10.3f} "
                  f"{now / 1e9:11.3f} {sol.objective_usd / now:9.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="50,200,500")
    ap.add_argument("--scenarios", default="100,1000")
    ap.add_argument("--model", default="both", choices=("v1", "v2", "both", "multi"))
    ap.add_argument("--v2-scenarios", default="100,500")
    args = ap.parse_args()
    net = critmin.load()
    if args.model == "multi":  # sizes 0 = the shipped candidates as they are
        bench_multi(net, [int(s) for s in args.sizes.split(",")],
                    [int(s) for s in args.v2_scenarios.split(",")])
        return
    if args.model in ("v2", "both"):
        bench_v2(net, [int(s) for s in args.sizes.split(",")],
                 [int(s) for s in args.v2_scenarios.split(",")])
    if args.model == "v2":
        return
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
