"""Producer shares in a decision brief: how often the brief asks for
``Network.production_shares``, how often they are computed, and the time, with the
network's cache (computed once per data and year) and without it, measured in one run.

Builds one brief (``critmin.workflows.brief.prepare`` and ``write_report``, the sizes of
the report tests: 256 samples, 64 portfolio samples, 8 Sobol base samples) with the method
and the computation counted and timed in this process (sweep workers, if any, are not
seen); then, in the same process, replays that many calls on a freshly loaded network:
computed each time (as before the cache) and through the cached method.

    python benchmarks/bench_production_shares.py [--samples 256]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import critmin
from critmin.model import network
from critmin.report.html import write_report
from critmin.scenarios import get_scenario
from critmin.store import ResultsStore
from critmin.workflows.brief import prepare

PRESET = "CN_2025_10_full_controls"


def load() -> str:
    return "load " + "/".join(f"{x:.1f}" for x in os.getloadavg())


def instrument() -> dict:
    """Count and time the method's calls and the computations behind them."""
    seen = {"calls": 0, "calls_s": 0.0, "computed": 0}
    method, compute = network.Network.production_shares, network.production_shares

    def counted_method(self, year=None):
        t = time.perf_counter()
        try:
            return method(self, year)
        finally:
            seen["calls"] += 1
            seen["calls_s"] += time.perf_counter() - t

    def counted_compute(*args, **kwargs):
        seen["computed"] += 1
        return compute(*args, **kwargs)

    network.Network.production_shares = counted_method  # type: ignore[method-assign]
    network.production_shares = counted_compute
    return seen


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=256)
    a = ap.parse_args()
    compute = network.production_shares
    seen = instrument()
    net = critmin.load()
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        store = ResultsStore(f"{tmp}/r.duckdb")
        brief = prepare(net, get_scenario(PRESET, net), store, samples=a.samples, seed=0,
                        portfolio_samples=64, drivers_samples=8)
        write_report(brief, store, Path(tmp) / "brief.html")
    wall = time.perf_counter() - t
    n = seen["calls"]
    print(f"brief ({PRESET}, {a.samples} samples): {wall:.1f} s; production_shares called "
          f"{n} times, computed {seen['computed']} times, {seen['calls_s']:.2f} s in the "
          f"calls; {load()}")
    fresh = critmin.load()
    t = time.perf_counter()
    for _ in range(n):
        compute(fresh.production, fresh.stage_shares)
    before = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(n):
        fresh.production_shares()
    after = time.perf_counter() - t
    print(f"replay of {n} calls, same process: computed each time {before:.2f} s "
          f"({1e3 * before / n:.0f} ms a call), cached {after:.2f} s (one computation, "
          f"then {1e3 * (after - before / n) / max(n - 1, 1):.0f} ms a call): "
          f"x{before / after:.1f}; {load()}")


if __name__ == "__main__":
    main()
