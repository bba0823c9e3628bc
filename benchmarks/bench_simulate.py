"""Benchmark of the Monte Carlo engine (issue: disruption scenarios and market model).

Prints, measured in one run so ratios compare like with like:
  1. vectorised engine vs a plain per-sample loop over the same draws (speed-up);
  2. samples per second for every preset scenario (all its commodities, 8 quarters);
  3. the Oct 2025 preset across all commodities at 10^4, 10^5, 10^6 samples on local
     processes: wall time, samples/s, peak memory (coordinator and workers);
  4. the same sweep on a Dask LocalCluster with 1 and 2 workers (scale-out speed-up).

    python benchmarks/bench_simulate.py [--sizes 1e4,1e5,1e6] [--dask-samples 1e5]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

import critmin
from critmin.market.baseline import build_baseline
from critmin.scenarios import get_scenario, presets
from critmin.simulate.compile import compile_scenario
from critmin.simulate.engine import draws_for, priors_from, run
from critmin.simulate.reference import run_per_sample
from critmin.simulate.runner import make_executor, simulate
from critmin.store import ResultsStore

PRESET = "CN_2025_10_full_controls"


def rss_mb() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, kids


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def vectorised_vs_reference(net, n: int = 256) -> None:
    base = build_baseline(net)
    sc = get_scenario(PRESET, net)
    comp = compile_scenario(sc, base, net)
    d = draws_for(priors_from(net, base), comp, 0, 0, n)
    _, t_vec = timed(lambda: run(comp, base, d))
    _, t_ref = timed(lambda: run_per_sample(comp, base, d))
    print(f"[1] {PRESET}, {n} samples x {len(base.commodities)} commodities x 8 quarters")
    print(f"    vectorised {t_vec:8.3f} s  ({n / t_vec:12,.0f} samples/s)")
    print(f"    per-sample {t_ref:8.3f} s  ({n / t_ref:12,.0f} samples/s)")
    print(f"    speed-up of vectorised over per-sample: {t_ref / t_vec:,.1f}x")


def preset_set(net, n: int, store: ResultsStore) -> None:
    print(f"[2] every preset, {n:,} samples each, 2 local processes")
    ex = make_executor(workers=2)
    total_t, total_n = 0.0, 0
    for sid, sc in presets().items():
        _, t = timed(lambda sc=sc: simulate(net, sc, samples=n, seed=1, store=store,
                                            executor=ex))
        total_t += t
        total_n += n
        print(f"    {sid:32s} {t:7.2f} s  {n / t:12,.0f} samples/s")
    ex.shutdown()
    print(f"    all presets: {total_n / total_t:,.0f} samples/s")


def scaling(net, sizes: list[int], store: ResultsStore) -> None:
    sc = get_scenario(PRESET, net)
    print(f"[3] {PRESET}, all commodities, 8 quarters, 2 local processes")
    for n in sizes:
        ex = make_executor(workers=2)
        _, t = timed(lambda n=n, ex=ex: simulate(net, sc, samples=n, seed=2, store=store,
                                                executor=ex, chunk_size=16384))
        ex.shutdown()
        me, kids = rss_mb()
        print(f"    {n:>9,} samples {t:8.2f} s  {n / t:12,.0f} samples/s  "
              f"peak RSS coordinator {me:,.0f} MB, largest worker {kids:,.0f} MB")


def dask_scaling(net, n: int, store: ResultsStore) -> None:
    from distributed import Client, LocalCluster

    sc = get_scenario(PRESET, net)
    print(f"[4] {PRESET}, {n:,} samples on a Dask LocalCluster")
    times = {}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            _, times[workers] = timed(lambda c=client, w=workers: simulate(
                net, sc, samples=n, seed=10 + w, store=store, executor=c.get_executor(),
                chunk_size=8192))
        print(f"    {workers} worker(s): {times[workers]:7.2f} s  "
              f"{n / times[workers]:12,.0f} samples/s")
    print(f"    speed-up 2 vs 1 workers: {times[1] / times[2]:.2f}x (ideal 2.00x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="1e4,1e5,1e6")
    ap.add_argument("--preset-samples", type=float, default=1e4)
    ap.add_argument("--dask-samples", type=float, default=1e5)
    args = ap.parse_args()
    net = critmin.load()
    store = ResultsStore(tempfile.mkdtemp(prefix="critmin-bench-") + "/bench.duckdb")
    vectorised_vs_reference(net)
    preset_set(net, int(args.preset_samples), store)
    scaling(net, [int(float(s)) for s in args.sizes.split(",")], store)
    dask_scaling(net, int(args.dask_samples), store)


if __name__ == "__main__":
    main()
