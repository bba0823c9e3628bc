"""Benchmark of loading the shipped data (``critmin.load()``: read, validate, build the
network), which every CLI command, server and worker process pays at its start. Compares,
in the same run, the reference checks with pandas' ``Series.isin`` (the old path: on
Arrow-backed strings it turns every known id into an Arrow scalar on each call) against
set lookups (:func:`critmin.data.validate._isin`, the default); best of ``--repeat``.

    python benchmarks/bench_data_load.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import time

import critmin
from critmin.data import validate


def best(repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        critmin.load()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    critmin.load()  # imports and caches warm
    fast = validate._isin
    new = best(a.repeat)
    validate._isin = lambda values, known: values.isin(known)
    try:
        old = best(a.repeat)
    finally:
        validate._isin = fast
    print(f"critmin.load(): pandas isin {old:.3f} s, set lookups {new:.3f} s: "
          f"{old / new:.1f}x faster")


if __name__ == "__main__":
    main()
