"""Benchmark of market model v2 (issue 10): Oct 2025 preset, all commodities and stages,
24 monthly steps.

Prints, measured in one run so ratios compare like with like (with the machine's load
average beside each figure; timings on a shared machine are noisy, ratios less so):
  1. the compiled kernel (the runner's chunk: one Numba loop over blocks of samples as
     SIMD lanes and months, with the per-sample reductions) against the NumPy array form
     run on all samples at once and against the per-sample reference (that array form
     run one sample at a time): microseconds per sample, speed-ups, and the largest
     difference in monthly prices between the compiled and the reference paths on the
     same draws;
  2. a sweep of ``--samples`` samples with ``--workers`` local processes through the runner
     (Parquet parts in a temporary store): wall time, samples/s, coordinator and worker
     peak memory, and the time for 10^6 samples extrapolated from the measured rate
     (``--samples 1000000`` runs them);
  3. out-of-core summaries: DuckDB quantiles over the Parquet parts (no pandas frame of
     all samples), with the coordinator's peak memory after them;
  4. the spin-up's cost: the preset lists controls in force since before its start, so
     ``critmin simulate`` runs it from the earliest of them (``spin_up_months``) and reports
     its 24 months after them. The kernel chunk with and without the spin-up on the same
     draws, and (``--spin-up both``, the default) the sweep of item 2 without it, beside
     the sweep with it: times and their ratio, measured in the same run.

    python benchmarks/bench_model_v2.py [--samples 65536] [--workers 2] [--reference 8]
                                        [--spin-up both|on|off]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time

import numpy as np

import critmin
from critmin.market.v2.paths import prepare, run_reference, run_samples
from critmin.market.v2.priors import draws
from critmin.scenarios import get_scenario
from critmin.simulate.paths import run_spin_up, spun_up
from critmin.simulate.runner import make_executor, simulate
from critmin.simulate.runner_v2 import chunk_v2, make_job
from critmin.store import ResultsStore

PRESET = "CN_2025_10_full_controls"
MONTHS = 24
TARGET_SAMPLES = 10**6
TARGET_S = 60.0


def rss_mb() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, kids


def load() -> str:
    return "load " + "/".join(f"{x:.1f}" for x in os.getloadavg())


def _prices(run, prep, d) -> np.ndarray:
    out = []
    run(prep, d, MONTHS, record=lambda t, o: out.append(np.array(o["pX"])))
    return np.stack(out, axis=1)


def _per_sample(prep, d) -> np.ndarray:
    """The reference: the NumPy array form, one sample at a time through every month."""
    n = next(iter(d.values())).shape[0]
    return np.concatenate([_prices(run_reference, prep, {k: v[i:i + 1] for k, v in d.items()})
                           for i in range(n)])


def _timed(f, *args) -> tuple[tuple[float, float], object]:
    """(wall s, CPU s of this process) and the result of ``f(*args)``."""
    t, c = time.perf_counter(), time.process_time()
    out = f(*args)
    return (time.perf_counter() - t, time.process_time() - c), out


def cpu_s(who) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def compare_kernels(net, n: int, n_ref: int) -> None:
    sc = get_scenario(PRESET, net)
    prep = prepare(net, sc, MONTHS)
    job = make_job(net, sc, MONTHS, 1, True)
    d = draws(prep.latent, 1, 0, n)
    sub = {k: v[:8] for k, v in d.items()}
    _prices(run_samples, prep, sub), _prices(run_reference, prep, sub)  # compile once
    chunk_v2(job, 0, 64, 0)
    t_chunk, _ = _timed(chunk_v2, job, 0, n, 0)
    t_months, months = _timed(_prices, run_samples, prep, d)
    t_array, array = _timed(_prices, run_reference, prep, d)
    ref_d = {k: v[:n_ref] for k, v in d.items()}
    t_ref, ref = _timed(_per_sample, prep, ref_d)
    pairs = ((t_chunk, n), (t_months, n), (t_array, n), (t_ref, n_ref))
    us = [1e6 * t[0] / k for t, k in pairs]  # wall
    cu = [1e6 * t[1] / k for t, k in pairs]  # CPU of this process (less sensitive to load)
    diff = float(np.abs(months - array).max())
    same = np.allclose(array[:n_ref], ref, rtol=1e-9, atol=1e-12)
    print(f"1. kernel: {prep.market.n} simulated nodes ({len(prep.market.commodities)} "
          f"commodities reached by the preset's shocks; {prep.full.n} nodes and "
          f"{len(prep.full.commodities)} commodities in all), {MONTHS} months; {load()}")
    print("   us/sample, wall (CPU):")
    print(f"   compiled runner chunk ({n} samples, reductions included): {us[0]:,.0f} "
          f"({cu[0]:,.0f})")
    print(f"   compiled month by month (paths interface): {us[1]:,.0f} ({cu[1]:,.0f})")
    print(f"   NumPy array form, {n} samples at once: {us[2]:,.0f} ({cu[2]:,.0f}); compiled "
          f"chunk x{us[2] / us[0]:.1f} (x{cu[2] / cu[0]:.1f}) faster")
    print(f"   per-sample reference ({n_ref} samples one at a time): {us[3]:,.0f} "
          f"({cu[3]:,.0f}); compiled chunk x{us[3] / us[0]:,.0f} (x{cu[3] / cu[0]:,.0f}) faster")
    print(f"   largest difference in monthly log prices, compiled vs array form ({n} "
          f"samples): {diff:.1e} (solver tolerance 1e-8; libm's exponentials vs NumPy's); "
          f"array form one sample at a time gives the same numbers: {same}")


def compare_spin_up(net, n: int) -> None:
    """The kernel chunk of the preset's spin-up run against the run without it (same
    draws; CPU of this process, us per sample; best of three)."""
    sc = get_scenario(PRESET, net)
    lead = run_spin_up(sc, "v2")
    plain = make_job(net, sc, MONTHS, 1, True)
    spun = make_job(net, spun_up(sc, lead), MONTHS, 1, True, lead)
    chunk_v2(spun, 0, 64, 0)
    best = {}
    for _ in range(3):
        for name, job in (("without", plain), ("with", spun)):
            t, _out = _timed(chunk_v2, job, 0, n, 0)
            best[name] = min(best.get(name, (np.inf, np.inf)), t, key=lambda x: x[1])
    cu = {k: 1e6 * v[1] / n for k, v in best.items()}
    print(f"4. spin-up: {PRESET} spins up {lead} months before its {MONTHS}; kernel chunk "
          f"({n} samples), us/sample CPU: without {cu['without']:,.0f}, with "
          f"{cu['with']:,.0f}: ratio x{cu['with'] / cu['without']:.2f} (months run "
          f"x{(lead + MONTHS) / MONTHS:.2f}); {load()}")


def sweep(net, samples: int, workers: int, chunk: int, spin_up: bool = True) -> float:
    """Item 2 (with the spin-up the preset gets by default, or without it); returns the
    wall time."""
    sc = get_scenario(PRESET, net)
    with tempfile.TemporaryDirectory() as tmp:
        store = ResultsStore(f"{tmp}/bench.db")
        ex = make_executor(None, workers)
        t = time.perf_counter()
        c0, k0 = cpu_s(resource.RUSAGE_SELF), cpu_s(resource.RUSAGE_CHILDREN)
        try:
            rid = simulate(net, sc, samples=samples, seed=2, horizon=MONTHS // 3,
                           chunk_size=chunk, executor=ex, store=store, model="v2",
                           spin_up=spin_up)
        finally:
            if ex is not None:
                ex.shutdown()
        wall = time.perf_counter() - t
        coord = cpu_s(resource.RUSAGE_SELF) - c0
        kids_cpu = cpu_s(resource.RUSAGE_CHILDREN) - k0
        me, kids = rss_mb()
        rate = samples / wall
        lead = json.loads(store.run(rid)["inputs"]).get("spin_up_months", 0)
        print(f"2. sweep (spin_up_months {lead}): {samples:,} samples, {workers} processes, "
              f"chunks of {chunk}: "
              f"{wall:.1f} s, {rate:,.0f} samples/s; peak memory coordinator {me:.0f} MiB, "
              f"workers {kids:.0f} MiB; {load()}")
        print(f"   10^6 samples at this rate: {TARGET_SAMPLES / rate:,.0f} s "
              f"(target {TARGET_S:.0f} s: ratio x{TARGET_SAMPLES / rate / TARGET_S:.1f})")
        idle = max((kids_cpu + coord) / 2, kids_cpu / max(workers, 1)) * TARGET_SAMPLES / samples
        print(f"   CPU: workers {kids_cpu:.1f} s ({1e6 * kids_cpu / samples:,.0f} us/sample), "
              f"coordinator {coord:.1f} s; 10^6 samples on 2 otherwise idle cores at this "
              f"CPU cost: about {idle:,.0f} s")
        t = time.perf_counter()
        q = summarise_duckdb(store.parts / rid)
        me2, _ = rss_mb()
        print(f"3. DuckDB quantiles over the Parquet parts: {len(q)} metrics in "
              f"{time.perf_counter() - t:.1f} s; coordinator peak {me2:.0f} MiB; {load()}")
        for row in q[:6]:
            print("   ", row)
    return wall


def summarise_duckdb(folder) -> list[tuple]:
    """P5/P50/P95 of a few columns straight from the Parquet parts, in one scan. (The
    schema query lists each part's columns: DISTINCT, or every column is summarised once
    per part.)"""
    import duckdb

    con = duckdb.connect()
    cols = [c for (c,) in con.execute(
        f"SELECT DISTINCT name FROM parquet_schema('{folder}/chunk-*.parquet') "
        "WHERE name LIKE 'peak_ratio|%' OR name LIKE 'shortfall_USA|%' ORDER BY name"
    ).fetchall()]
    if not cols:
        return []
    terms = ", ".join(f'quantile_cont("{c}", [0.05, 0.5, 0.95])' for c in cols)
    row = con.execute(f"SELECT {terms} FROM read_parquet('{folder}/chunk-*.parquet')"
                      ).fetchone()
    return [(c, *[round(float(x), 3) for x in q]) for c, q in zip(cols, row, strict=True)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=float, default=65536)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=16384)
    ap.add_argument("--kernel", type=int, default=2048, help="samples of the kernel timing")
    ap.add_argument("--reference", type=int, default=8)
    ap.add_argument("--spin-up", choices=("both", "on", "off"), default="both")
    a = ap.parse_args()
    net = critmin.load()
    compare_kernels(net, a.kernel, a.reference)
    compare_spin_up(net, a.kernel)
    walls = {}
    for on in {"both": (False, True), "on": (True,), "off": (False,)}[a.spin_up]:
        walls[on] = sweep(net, int(a.samples), a.workers, a.chunk, on)
    if len(walls) == 2:
        print(f"4. sweep with spin-up / without: x{walls[True] / walls[False]:.2f} (wall, "
              "same run)")


if __name__ == "__main__":
    main()
