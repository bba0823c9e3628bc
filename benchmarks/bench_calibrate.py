"""Calibration wall time: one process vs a 2-worker Dask LocalCluster, same settings.

    python benchmarks/bench_calibrate.py [--population 200] [--generations 4] [--model v1]

Both runs fit the same ABC-SMC posterior (the batched sampler draws every proposal in the
coordinating process, so the posterior is identical; the script checks it); the Dask run
splits each batch of particles over the workers. Prints both wall times and their ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import critmin
from critmin.calibrate.abc import calibrate


def timed(net, executor, args) -> tuple[float, tuple]:
    t0 = time.perf_counter()
    out = calibrate(net, model=args.model, population=args.population,
                    generations=args.generations, seed=args.seed, executor=executor)
    return time.perf_counter() - t0, out


def main() -> None:
    from distributed import Client, LocalCluster

    ap = argparse.ArgumentParser()
    ap.add_argument("--population", type=int, default=200)
    ap.add_argument("--generations", type=int, default=4)
    ap.add_argument("--model", default="v1")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    net = critmin.load()
    timed(net, None, argparse.Namespace(**{**vars(args), "population": 20,
                                           "generations": 1}))  # imports, caches
    single, a = timed(net, None, args)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        executor = client.get_executor()
        executor._critmin_client = client
        client.submit(sum, [1]).result()  # workers up before timing
        dask, b = timed(net, executor, args)
    same = a[0].equals(b[0]) and np.array_equal(a[1], b[1])
    sims = a[2]["settings"]["simulations"]
    print(f"calibration ({args.model}, population {args.population}, "
          f"{a[2]['settings']['generations_run']} generations, {sims:,} simulations of "
          f"{len(a[2]['episodes'])} episodes)")
    print(f"  single process     {single:8.2f} s")
    print(f"  Dask, 2 workers    {dask:8.2f} s")
    print(f"  ratio single/dask  {single / dask:8.2f}  (same posterior: {same})")


if __name__ == "__main__":
    main()
