"""Benchmark of market model v2 (issue 10): Oct 2025 preset, all commodities and stages,
24 monthly steps.

Prints, measured in one run so ratios compare like with like:
  1. the vectorised v2 kernel vs a plain per-sample loop (the same model run one sample at
     a time: the reference implementation) on the same draws, per-sample times and ratio,
     and a check that both give the same numbers;
  2. a sweep of ``--samples`` samples with ``--workers`` local processes through the runner
     (Parquet parts in a temporary store): wall time, samples/s, coordinator and worker
     peak memory, and the time to the 10^6 target extrapolated from the measured rate;
  3. out-of-core summaries: DuckDB quantiles over the Parquet parts (no pandas frame of
     all samples), with the coordinator's peak memory after them.

    python benchmarks/bench_model_v2.py [--samples 1e6] [--workers 2] [--reference 16]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

import numpy as np

import critmin
from critmin.market.v2.paths import prepare, run_samples
from critmin.market.v2.priors import draws
from critmin.scenarios import get_scenario
from critmin.simulate.runner import make_executor, simulate
from critmin.store import ResultsStore

PRESET = "CN_2025_10_full_controls"
MONTHS = 24
TARGET_SAMPLES = 10**6
TARGET_S = 60.0


def rss_mb() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, kids


def _run(prep, d) -> np.ndarray:
    out = []
    run_samples(prep, d, MONTHS, record=lambda t, o: out.append(o["pX"].copy()))
    return np.stack(out, axis=1)


def per_sample_reference(prep, d) -> np.ndarray:
    """The reference: a plain loop over samples, each run alone through every month."""
    n = next(iter(d.values())).shape[0]
    return np.concatenate([_run(prep, {k: v[i:i + 1] for k, v in d.items()})
                           for i in range(n)])


def compare_reference(net, n_vec: int, n_ref: int) -> None:
    sc = get_scenario(PRESET, net)
    prep = prepare(net, sc, MONTHS)
    d = draws(prep.latent, 1, 0, n_vec)
    _run(prep, {k: v[:8] for k, v in d.items()})  # compile the solver once
    t = time.perf_counter()
    vec = _run(prep, d)
    t_vec = (time.perf_counter() - t) / n_vec
    sub = {k: v[:n_ref] for k, v in d.items()}
    t = time.perf_counter()
    ref = per_sample_reference(prep, sub)
    t_ref = (time.perf_counter() - t) / n_ref
    same = np.allclose(ref, vec[:n_ref], rtol=1e-9, atol=1e-12)
    print(f"1. kernel: {prep.market.n} simulated nodes ({len(prep.market.commodities)} "
          f"commodities reached by the preset's shocks; {prep.full.n} nodes and "
          f"{len(prep.full.commodities)} commodities in all), {MONTHS} months")
    print(f"   vectorised ({n_vec} samples): {t_vec * 1e3:.2f} ms/sample; per-sample loop "
          f"({n_ref} samples): {t_ref * 1e3:.2f} ms/sample; speed-up x{t_ref / t_vec:.1f}; "
          f"same numbers: {same}")


def sweep(net, samples: int, workers: int, chunk: int) -> None:
    sc = get_scenario(PRESET, net)
    with tempfile.TemporaryDirectory() as tmp:
        store = ResultsStore(f"{tmp}/bench.db")
        ex = make_executor(None, workers)
        t = time.perf_counter()
        try:
            rid = simulate(net, sc, samples=samples, seed=2, horizon=MONTHS // 3,
                           chunk_size=chunk, executor=ex, store=store, model="v2")
        finally:
            if ex is not None:
                ex.shutdown()
        wall = time.perf_counter() - t
        me, kids = rss_mb()
        rate = samples / wall
        print(f"2. sweep: {samples:,} samples, {workers} processes, chunks of {chunk}: "
              f"{wall:.1f} s, {rate:,.0f} samples/s; peak memory coordinator {me:.0f} MiB, "
              f"workers {kids:.0f} MiB")
        print(f"   10^6 samples at this rate: {TARGET_SAMPLES / rate:,.0f} s "
              f"(target {TARGET_S:.0f} s: ratio x{TARGET_SAMPLES / rate / TARGET_S:.1f})")
        t = time.perf_counter()
        q = summarise_duckdb(store.parts / rid)
        me2, _ = rss_mb()
        print(f"3. DuckDB quantiles over the Parquet parts: {len(q)} metrics in "
              f"{time.perf_counter() - t:.1f} s; coordinator peak {me2:.0f} MiB")
        for row in q[:6]:
            print("   ", row)


def summarise_duckdb(folder) -> list[tuple]:
    """P5/P50/P95 of a few columns straight from the Parquet parts."""
    import duckdb

    con = duckdb.connect()
    cols = [c for (c,) in con.execute(
        f"SELECT name FROM parquet_schema('{folder}/chunk-*.parquet') "
        "WHERE name LIKE 'peak_ratio|%' OR name LIKE 'shortfall_USA|%'").fetchall()]
    out = []
    for c in cols:
        q = con.execute(f'SELECT quantile_cont("{c}", [0.05, 0.5, 0.95]) '
                        f"FROM read_parquet('{folder}/chunk-*.parquet')").fetchone()[0]
        out.append((c, *[round(float(x), 3) for x in q]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=float, default=1e6)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=8192)
    ap.add_argument("--vectorised", type=int, default=1024)
    ap.add_argument("--reference", type=int, default=16)
    a = ap.parse_args()
    net = critmin.load()
    compare_reference(net, a.vectorised, a.reference)
    sweep(net, int(a.samples), a.workers, a.chunk)


if __name__ == "__main__":
    main()
