"""Load test of `critmin serve` on loopback: 100 concurrent clients on the read endpoints.

Three phases, each against a real server process on 127.0.0.1 with a fresh store:

1. cached reads: CLIENTS clients for DURATION seconds, each sending a read, waiting for
   the answer, pausing THINK seconds (a dashboard user), and again;
2. the same while two simulation jobs run in the server's worker processes (their
   progress is reported: the jobs must keep moving);
3. baseline: the same clients against a server with the read cache off
   (``CRITMIN_READ_CACHE=0``: every request recomputes, as before issue 13), for a
   shorter window, with the client timeout TIMEOUT.

Prints p50/p95/p99 latency (ms), requests, errors (non-200 or no answer), and the
uncached/cached ratios. Bounded: loopback only, fixed duration, fixed client count.

    python benchmarks/bench_load.py [--clients 100] [--duration 30] [--think 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

READS = ["/api/health", "/api/summary", "/api/scenarios", "/api/assessment",
         "/api/assessment?country=USA", "/api/assessment?stage=mine", "/api/tables",
         "/api/sources", "/api/tables/commodities"]
JOB = {"scenario_id": "CN_2024_antimony_licensing", "samples": 100_000, "seed": 11}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(db: Path, cache: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "CRITMIN_READ_CACHE": "1" if cache else "0"}
    proc = subprocess.Popen([sys.executable, "-m", "critmin.cli", "serve", "--port", str(port),
                             "--db", str(db), "--workers", "2", "--request-timeout", "60"],
                            env=env, stdout=subprocess.DEVNULL,
                            stderr=open(db.with_suffix(".log"), "w"))  # noqa: SIM115
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 600
    while time.monotonic() < end and proc.poll() is None:
        try:
            if httpx.get(url + "/api/health", timeout=5).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"server did not start: {db.with_suffix('.log').read_text()[-2000:]}")


async def client(c: httpx.AsyncClient, k: int, until: float, think: float, out: list,
                 connect: list):
    t = time.perf_counter()
    with contextlib.suppress(httpx.HTTPError):  # open the connection first, timed apart
        await c.get("/api/health")
    connect.append(1000 * (time.perf_counter() - t))
    i = k
    while time.monotonic() < until:
        path = READS[i % len(READS)]
        i += 1
        t = time.perf_counter()
        try:
            r = await c.get(path)
            ok = r.status_code == 200
        except httpx.HTTPError:
            ok = False
        out.append((path, 1000 * (time.perf_counter() - t), ok))
        await asyncio.sleep(think)


async def load(url: str, clients: int, duration: float, think: float,
               timeout: float) -> list:
    out: list = []
    connect: list = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as c:
        until = time.monotonic() + duration
        await asyncio.gather(*(client(c, k, until, think, out, connect)
                               for k in range(clients)))
    print(f"  (connection setup of {clients} clients: p50 {np.percentile(connect, 50):.0f} ms,"
          f" max {max(connect):.0f} ms; not counted below)")
    return out


def stats(name: str, out: list, duration: float) -> dict:
    ms = np.array([x[1] for x in out])
    errors = sum(1 for x in out if not x[2])
    p50, p95, p99 = np.percentile(ms, [50, 95, 99]) if len(ms) else (np.nan,) * 3
    health = np.array([x[1] for x in out if x[0] == "/api/health"])
    h99 = np.percentile(health, 99) if len(health) else np.nan
    print(f"{name:<34} {len(out):>7} {len(out) / duration:>8.1f} {p50:>9.1f} {p95:>9.1f} "
          f"{p99:>9.1f} {errors:>7} {h99:>11.1f}")
    return {"p50": p50, "p95": p95, "p99": p99, "errors": errors, "n": len(out)}


def header() -> None:
    print(f"{'phase':<34} {'reqs':>7} {'req/s':>8} {'p50 ms':>9} {'p95 ms':>9} "
          f"{'p99 ms':>9} {'errors':>7} {'health p99':>11}")


def job_progress(url: str, ids: list[str]) -> list[float]:
    return [httpx.get(f"{url}/api/jobs/{j}", timeout=30).json()["progress"] for j in ids]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--duration", type=float, default=30.0, help="seconds per phase")
    ap.add_argument("--baseline-duration", type=float, default=15.0)
    ap.add_argument("--think", type=float, default=0.5, help="pause between requests, s")
    ap.add_argument("--timeout", type=float, default=10.0, help="client timeout, s")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="critmin-load-"))
    db = tmp / "r.db"
    token = subprocess.run([sys.executable, "-m", "critmin.cli", "token", "create", "bench",
                            "--db", str(db)], capture_output=True, text=True, check=True
                           ).stdout.strip()
    print(f"{args.clients} clients, {args.duration:g} s per phase, think {args.think:g} s, "
          f"client timeout {args.timeout:g} s, {os.cpu_count()} CPUs, loopback only")
    proc, url = start(db, cache=True)
    results = {}
    try:
        for path in READS:  # warm: one computation per key, as the first users would
            httpx.get(url + path, timeout=300)
        header()
        results["cached"] = stats("cached reads", asyncio.run(
            load(url, args.clients, args.duration, args.think, args.timeout)), args.duration)
        head = {"Authorization": f"Bearer {token}"}
        ids = [httpx.post(f"{url}/api/jobs/simulate", headers=head, timeout=60,
                          json={**JOB, "seed": JOB["seed"] + k}).json()["id"]
               for k in range(2)]
        time.sleep(5)
        before = job_progress(url, ids)
        t0 = time.monotonic()
        results["jobs"] = stats("cached reads + 2 simulation jobs", asyncio.run(
            load(url, args.clients, args.duration, args.think, args.timeout)), args.duration)
        after = job_progress(url, ids)
        for j, (a, b) in enumerate(zip(before, after, strict=True)):
            print(f"  job {j + 1}: progress {100 * a:.1f} % -> {100 * b:.1f} % in "
                  f"{time.monotonic() - t0:.0f} s under load")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    proc, url = start(tmp / "base.db", cache=False)
    try:
        results["uncached"] = stats("uncached reads (baseline)", asyncio.run(
            load(url, args.clients, args.baseline_duration, args.think, args.timeout)),
            args.baseline_duration)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    c, u, j = results["cached"], results["uncached"], results["jobs"]

    def verdict(r: dict) -> str:
        return "met" if r["p99"] <= 100 and r["errors"] == 0 else "NOT met"

    print(f"uncached/cached: p50 x{u['p50'] / c['p50']:.0f}, p99 x{u['p99'] / c['p99']:.0f}; "
          f"target cached p99 <= 100 ms with 0 errors: {verdict(c)} (no jobs), "
          f"{verdict(j)} (with jobs)")


if __name__ == "__main__":
    main()
