"""Service benchmark: offered load beside saturation, heavy CSV reads, slow connections,
each against `critmin serve` and a minimal FastAPI app served the same way, in one run.

Phases (loopback only, fixed durations, fixed client counts):

1. offered load, minimal app: CLIENTS clients, each on its own keep-alive connection,
   GET, wait for the answer, pause uniform [0.5, 1.5] x THINK s, again (users of a
   dashboard); the same for `critmin serve` over its cached read routes;
2. the same against `critmin serve` while HEAVY clients (in a process of their own) read
   ``/api/tables/flows?limit=100000&format=csv`` back to back and a simulation job runs
   (with ``--unbounded``, again on a server that writes any number of large answers at
   once: the large-answer bound of :mod:`critmin.api.writers` off, in the same run);
3. saturation: SAT clients with no pause, on ``/api/health`` of both servers and on
   ``/api/summary`` (requests per second and latency at full load);
4. slow connections: SLOW sockets open and send half a request head, never finishing it;
   meanwhile ``/api/health`` is asked PROBES times on fresh connections (status, latency).

Prints p50/p95/p99 (ms), requests, errors, the server's own p99 (``Server-Timing``: from
the request's arrival in the app to its answer; the rest of the latency is waiting for the
event loop, the CPU and the network) and the slowest route by p99, and the ratio of
critmin's p50/p99 to the minimal app's. Phase 2 is measured on the minimal app too, while
the same CSV readers and job load critmin: that p99 is the machine's floor under the same
background load (on a shared machine it says how much of critmin's p99 is the machine).
The minimal app runs under the same uvicorn configuration (:func:`critmin.api.server.config`),
so the ratio is the cost of critmin's own work.

    python benchmarks/bench_service.py [--clients 100] [--think 1] [--duration 15]
        [--heavy 32] [--sat 32] [--slow 2600] [--probes 20] [--skip-slow] [--unbounded]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_load import READS, client, free_port, healthy, start

MINIMAL = textwrap.dedent("""
    import sys
    from fastapi import FastAPI
    app = FastAPI()
    @app.get("/api/health")
    async def health():
        return {"status": "ok"}
    try:
        from critmin.api.server import serve
        from critmin.api.settings import Settings
        serve(app, "127.0.0.1", int(sys.argv[1]), Settings())
    except ImportError:  # critmin before api/server.py: what `critmin serve` ran then
        import uvicorn
        uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                    access_log=False, limit_concurrency=2000)
""")
HEAVY = "/api/tables/flows?limit=100000&format=csv"


VARIANT = textwrap.dedent("""
    import sys
    from critmin.api.app import create_app
    from critmin.api.server import serve
    from critmin.api.settings import Settings
    s = Settings(workers=2, request_timeout_s=60, large_bodies=int(sys.argv[3]))
    serve(create_app(sys.argv[1], None, s), "127.0.0.1", int(sys.argv[2]), s)
""")


def start_variant(db: Path, large_bodies: int) -> tuple[subprocess.Popen, str]:
    """`critmin serve` as :func:`bench_load.start` runs it, with ``large_bodies`` large
    answers written at once (a number past the readers: unbounded)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", VARIANT, str(db), str(port),
                             str(large_bodies)])
    return proc, healthy(proc, f"http://127.0.0.1:{port}", 300, "critmin variant")


def start_minimal() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", MINIMAL, str(port)])
    return proc, healthy(proc, f"http://127.0.0.1:{port}", 60, "minimal app")


def offered(url: str, paths: list[str], clients: int, duration: float, think: float,
            timeout: float) -> list:
    """Rows (path, ms, ok, server ms) of ``clients`` thinking clients."""
    out: list = []
    import bench_load

    bench_load.READS[:] = paths

    async def run():
        until = time.monotonic() + duration
        await asyncio.gather(*(client(url, k, until, think, timeout, out)
                               for k in range(clients)))

    asyncio.run(run())
    bench_load.READS[:] = READS
    return out


HEAVY_LOOP = textwrap.dedent("""
    import asyncio, sys, time
    import httpx
    url, n, until = sys.argv[1], int(sys.argv[2]), time.time() + float(sys.argv[3])
    done = []
    async def one():
        async with httpx.AsyncClient(base_url=url, timeout=120) as c:
            while time.time() < until:
                r = await c.get(sys.argv[4])
                done.append(r.status_code == 200 and len(r.content) > 1_000_000)
    async def main():
        await asyncio.wait_for(asyncio.gather(*(one() for _ in range(n))),
                               float(sys.argv[3]) + 60)
    asyncio.run(main())
    print(len(done), sum(done))
""")


def heavy_readers(url: str, n: int, seconds: float) -> subprocess.Popen:
    """``n`` clients reading the heavy CSV back to back for ``seconds``, in a process of
    their own (their parsing must not stall the measuring clients' event loop)."""
    return subprocess.Popen([sys.executable, "-c", HEAVY_LOOP, url, str(n), str(seconds),
                             HEAVY], stdout=subprocess.PIPE, text=True)


def busy(url: str, token: str, name: str, a) -> dict:
    """Offered load on ``url`` while ``a.heavy`` CSV readers and a simulation job run (the
    minimal app measured meanwhile too when ``a.floor``); the job is cancelled after."""
    head = {"Authorization": f"Bearer {token}"}
    job = httpx.post(url + "/api/jobs/simulate", timeout=60, headers=head,
                     json={"scenario_id": "CN_2025_10_full_controls", "samples": 50_000,
                           "seed": 3}).json()
    end = time.monotonic() + 180  # until a worker runs it (both servers alike)
    while time.monotonic() < end and httpx.get(f"{url}/api/jobs/{job['id']}", timeout=30
                                               ).json()["status"] == "queued":
        time.sleep(0.5)
    d = a.duration
    span = (1.5 if a.floor else 1) * d + 2
    readers = heavy_readers(url, a.heavy, span)
    time.sleep(1)  # the readers are at it
    out = row(name, offered(url, READS, a.clients, d, a.think, a.timeout), d)
    if a.floor:
        out["floor"] = row("offered: minimal app, same readers + job", offered(
            a.floor, ["/api/health"], a.clients, d / 2, a.think, a.timeout), d / 2)
    n, big = readers.communicate(timeout=300)[0].split()
    status = httpx.get(f"{url}/api/jobs/{job['id']}", timeout=30).json()["status"]
    print(f"  heavy CSV reads finished: {n} ({int(n) / span:.0f}/s; {big} of them 200 with "
          f"> 1 MB); job {status}")
    httpx.delete(f"{url}/api/jobs/{job['id']}", timeout=60, headers=head)
    return out


def row(name: str, out: list, duration: float) -> dict:
    ms = np.array([x[1] for x in out])
    err = sum(1 for x in out if not x[2])
    p50, p95, p99 = np.percentile(ms, [50, 95, 99]) if len(ms) else (np.nan,) * 3
    server = np.array([x[3] for x in out if x[3] == x[3]])  # Server-Timing, NaN-free
    s99 = np.percentile(server, 99) if len(server) else np.nan
    paths = {p for p, *_ in out}
    worst = max(paths, key=lambda p: np.percentile([x[1] for x in out if x[0] == p], 99)) \
        if len(paths) > 1 else ""
    print(f"{name:<44} {len(out):>7} {len(out) / duration:>8.1f} {p50:>8.1f} {p95:>8.1f} "
          f"{p99:>8.1f} {err:>6} {s99:>9.1f} {os.getloadavg()[0]:>5.1f}  {worst}")
    return {"p50": p50, "p95": p95, "p99": p99, "errors": err, "server_p99": s99}


def slow_probe(url: str, slow: int, probes: int) -> dict:
    host, port = url.removeprefix("http://").split(":")
    held, refused = [], 0
    for _ in range(slow):
        try:
            s = socket.create_connection((host, int(port)), timeout=5)
            s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
            held.append(s)
        except OSError:
            refused += 1
    lat, codes = [], []
    try:
        for _ in range(probes):
            t = time.perf_counter()
            try:
                codes.append(httpx.get(url + "/api/health", timeout=10).status_code)
            except httpx.HTTPError:
                codes.append(0)
            lat.append(1000 * (time.perf_counter() - t))
            time.sleep(0.1)
    finally:
        for s in held:
            s.close()
    ok = sum(c == 200 for c in codes)
    print(f"{slow} slow connections ({refused} refused at connect): /api/health "
          f"{ok}/{probes} answered 200, max {max(lat):.0f} ms, p50 {np.median(lat):.0f} ms")
    return {"ok": ok, "max_ms": max(lat)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--think", type=float, default=1.0)
    ap.add_argument("--duration", type=float, default=15.0, help="seconds per phase")
    ap.add_argument("--heavy", type=int, default=32)
    ap.add_argument("--sat", type=int, default=32)
    ap.add_argument("--slow", type=int, default=2600)
    ap.add_argument("--probes", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--skip-slow", action="store_true", help="leave out phase 4")
    ap.add_argument("--unbounded", action="store_true",
                    help="phase 2 again on a server writing any number of large answers at "
                         "once (before/after of the large-answer bound, in one run)")
    a = ap.parse_args()
    print(f"{os.cpu_count()} CPUs, load avg {os.getloadavg()[0]:.1f}; loopback only")
    tmp = Path(tempfile.mkdtemp(prefix="critmin-svc-"))
    db = tmp / "r.db"
    token = subprocess.run([sys.executable, "-m", "critmin.cli", "token", "create", "bench",
                            "--db", str(db)], capture_output=True, text=True, check=True
                           ).stdout.strip()
    mproc, murl = start_minimal()
    proc, url = start(db, cache=True)
    print(f"{'phase':<44} {'reqs':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'errors':>6} {'server99':>9} {'load':>5}  slowest route (p99)")
    try:
        for path in [*READS, HEAVY]:
            httpx.get(url + path, timeout=300)
        d, c, t, to = a.duration, a.clients, a.think, a.timeout
        mini = row(f"offered: minimal app, {c} clients", offered(
            murl, ["/api/health"], c, d, t, to), d)
        crit = row(f"offered: critmin cached reads, {c} clients", offered(
            url, READS, c, d, t, to), d)
        a.floor = murl
        hot = busy(url, token, f"offered: critmin + {a.heavy} CSV readers + job", a)
        floor = hot.pop("floor")
        if a.unbounded:  # the same, large answers written at once not bounded
            a.floor = None
            vproc, vurl = start_variant(db, 10**6)
            try:
                for path in [*READS, HEAVY]:
                    httpx.get(vurl + path, timeout=300)
                free = busy(vurl, token, "  same, large answers unbounded", a)
            finally:
                vproc.terminate()
                vproc.wait(timeout=30)
            print(f"  bounded/unbounded p99 x{hot['p99'] / free['p99']:.2f}, server p99 "
                  f"x{hot['server_p99'] / free['server_p99']:.2f}")
        s = a.sat
        smini = row(f"saturation: minimal /api/health, {s} clients", offered(
            murl, ["/api/health"], s, d / 2, 0.0, to), d / 2)
        scrit = row(f"saturation: critmin /api/health, {s} clients", offered(
            url, ["/api/health"], s, d / 2, 0.0, to), d / 2)
        row(f"saturation: critmin /api/summary, {s} clients", offered(
            url, ["/api/summary"], s, d / 2, 0.0, to), d / 2)
        print(f"ratio critmin/minimal: offered p50 x{crit['p50'] / mini['p50']:.1f}, p99 "
              f"x{crit['p99'] / mini['p99']:.1f}; with heavy reads p99 "
              f"x{hot['p99'] / mini['p99']:.1f} (x{hot['p99'] / floor['p99']:.1f} of the "
              f"minimal app under the same readers and job); saturation /api/health p50 "
              f"x{scrit['p50'] / smini['p50']:.1f}")
        ok = hot["p99"] <= 100 and hot["errors"] == 0
        print(f"load avg now {os.getloadavg()[0]:.1f}")
        if a.skip_slow:
            print(f"target: p99 <= 100 ms and 0 errors with heavy reads and a job: "
                  f"{'met' if ok else 'NOT met'}")
            return
        slow = slow_probe(url, a.slow, a.probes)
        fast = slow["ok"] == a.probes and slow["max_ms"] < 1000
        print(f"targets: p99 <= 100 ms and 0 errors with heavy reads and a job: "
              f"{'met' if ok else 'NOT met'}; /api/health under 1 s beside {a.slow} slow "
              f"connections: {'met' if fast else 'NOT met'}")
    finally:
        for p in (proc, mproc):
            p.terminate()
            p.wait(timeout=30)


if __name__ == "__main__":
    main()
