"""Benchmark of run summaries (issue 10 §6): out of core (DuckDB over the Parquet parts,
``critmin.simulate.summary.summarise``) vs in memory (every sample loaded into pandas,
NumPy quantiles and sorts per column: how summaries were computed before).

Simulates one run of the Oct 2025 preset into a temporary store, then summarises it in
two fresh processes, one per way, so each reports its own peak memory. Prints time, peak
resident memory (and its growth over the process after imports) and the ratios, measured
in one run, and the largest difference between the two ways' numbers.

    python benchmarks/bench_summary.py [--samples 32768] [--model v2] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time

import numpy as np

PRESET = "CN_2025_10_full_controls"


def peak_mib() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would start from the
    parent's peak after a fork)."""
    with open("/proc/self/status", encoding="ascii") as f:
        line = next(x for x in f if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def in_memory(store, run_id: str) -> dict:
    """(commodity|metric) -> [p5, p50, p95, mean, cvar95] from all samples in pandas."""
    df = store.samples(run_id)
    out = {}
    for col in [c for c in df.columns if "|" in c and not c.startswith("rrg_fired")]:
        v = np.sort(df[col].to_numpy(dtype=np.float64))
        n = len(v)
        low = col.startswith("min_cover")
        tail = v[:max(1, math.ceil(0.05 * n))] if low else v[math.floor(0.95 * n):]
        out[col] = [*np.quantile(v, [0.05, 0.5, 0.95]), v.mean(), tail.mean()]
    return out


def out_of_core(store, run_id: str) -> dict:
    from critmin.simulate.summary import summarise

    s = summarise(store, run_id)
    s = s[s["metric"].ne("rrg_fired") & s["commodity"].ne("ALL")]
    return {f"{r.metric}|{r.commodity}": [r.p5, r.p50, r.p95, r.mean, r.cvar95]
            for r in s.itertuples()}


def measure(way: str, db: str, run_id: str) -> None:
    """Child process: summarise one way, print time, memory and the numbers as JSON."""
    import duckdb  # noqa: F401  (imports are not part of either way's growth)
    import pyarrow.parquet  # noqa: F401

    from critmin.store import ResultsStore

    store = ResultsStore(db)
    before = peak_mib()
    t = time.perf_counter()
    got = (in_memory if way == "in_memory" else out_of_core)(store, run_id)
    wall = time.perf_counter() - t
    print(json.dumps({"wall_s": wall, "peak_mib": peak_mib(), "growth_mib": peak_mib() - before,
                      "values": {k: [float(x) for x in v] for k, v in got.items()}}))


def child(way: str, db: str, run_id: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", way, "--db", db,
                          "--run", run_id], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def simulate_run(db: str, samples: int, model: str, workers: int) -> str:
    import critmin
    from critmin.scenarios import get_scenario
    from critmin.simulate.runner import close_executor, make_executor, simulate
    from critmin.store import ResultsStore

    net = critmin.load()
    ex = make_executor(None, workers) if workers > 1 else None
    t = time.perf_counter()
    try:
        rid = simulate(net, get_scenario(PRESET, net), samples=samples, seed=1,
                       chunk_size=8192, executor=ex, store=ResultsStore(db), model=model)
    finally:
        close_executor(ex)
    print(f"run: {PRESET}, model {model}, {samples:,} samples in "
          f"{time.perf_counter() - t:.0f} s")
    return rid


def largest_difference(a: dict, b: dict) -> float:
    x = np.array([a[k] for k in sorted(a)], dtype=float)
    y = np.array([b[k] for k in sorted(a)], dtype=float)
    both = np.isfinite(x) & np.isfinite(y)
    if not np.array_equal(np.isnan(x), np.isnan(y)):
        return math.inf
    return float(np.max(np.abs(x - y)[both] / np.maximum(np.abs(x[both]), 1e-300)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=32768)
    ap.add_argument("--model", default="v2")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--measure", choices=["in_memory", "out_of_core"], help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--run", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.measure:
        measure(a.measure, a.db, a.run)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = f"{tmp}/bench.db"
        rid = simulate_run(db, a.samples, a.model, a.workers)
        old, new = child("in_memory", db, rid), child("out_of_core", db, rid)
    cols = len(old["values"])
    for name, r in (("in memory (pandas)", old), ("out of core (DuckDB)", new)):
        print(f"{name:>22}: {cols} columns x {a.samples:,} samples, {r['wall_s']:.2f} s, "
              f"peak {r['peak_mib']:.0f} MiB (+{r['growth_mib']:.0f} MiB while summarising)")
    print(f"ratios out of core / in memory: time x{new['wall_s'] / old['wall_s']:.2f}, "
          f"peak memory x{new['peak_mib'] / old['peak_mib']:.2f}, growth "
          f"x{new['growth_mib'] / max(old['growth_mib'], 1e-9):.2f}")
    print(f"largest relative difference of the numbers: "
          f"{largest_difference(old['values'], new['values']):.1e}")


if __name__ == "__main__":
    main()
