"""Load test of `critmin serve` on loopback: 100 concurrent clients on the read endpoints.

Three phases, each against a real server process on 127.0.0.1 with a fresh store:

1. cached reads: CLIENTS clients for DURATION seconds, each sending a read on its own
   keep-alive connection, waiting for the answer, pausing about THINK seconds (a dashboard
   user: uniform in [0.5, 1.5] x THINK, first request within THINK, so the clients do not
   act in lock step), and again;
2. the same while two simulation jobs run in the server's worker processes; the phase
   starts once both have finished a chunk, the jobs are sized to outlast it, and their
   progress at its start and end is reported (they must keep moving);
3. baseline: the same clients against a server with the read cache off
   (``CRITMIN_READ_CACHE=0``: every request recomputes, as before issue 13), for a
   shorter window, with the client timeout TIMEOUT.

Prints p50/p95/p99 latency as the client saw it (ms), the server's own share (its
``Server-Timing`` header: arrival to answer inside the server process), requests, errors
(non-200 or no answer), the load average before and after each phase, and the
uncached/cached ratios. The clients speak plain HTTP/1.1 over asyncio streams (uvloop when
installed) so that the load generator, which shares the machine's cores with the server,
costs little CPU per request. Bounded: loopback only, fixed duration, fixed client count.

    python benchmarks/bench_load.py [--clients 100] [--duration 30] [--think 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
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
JOB = {"scenario_id": "CN_2025_10_full_controls", "samples": 200_000, "seed": 11}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(proc: subprocess.Popen, url: str, seconds: float, what: str,
            log: Path | None = None) -> str:
    """``url`` once its ``/api/health`` answers 200, polled every 0.25 s for at most
    ``seconds``; else (time out, or the process ended) the process is killed and the error
    names ``what``, its exit status and the tail of ``log``. One poll for every benchmark's
    server (bench_load, bench_service, bench_schemathesis)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and proc.poll() is None:
        try:
            if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                return url
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    status = proc.poll()
    proc.kill()
    why = f"exited with {status}" if status is not None else f"no answer in {seconds:.0f} s"
    tail = log.read_text()[-2000:] if log is not None and log.exists() else ""
    raise RuntimeError(f"{what} did not start ({why}) {tail}".rstrip())


def start(db: Path, cache: bool) -> tuple[subprocess.Popen, str]:
    """`critmin serve` on a free loopback port (2 job workers, its log beside ``db``),
    with the read cache on or off; returns once it is healthy."""
    port = free_port()
    env = {**os.environ, "CRITMIN_READ_CACHE": "1" if cache else "0"}
    log = db.with_suffix(".log")
    proc = subprocess.Popen([sys.executable, "-m", "critmin.cli", "serve", "--port", str(port),
                             "--db", str(db), "--workers", "2", "--request-timeout", "60"],
                            env=env, stdout=subprocess.DEVNULL,
                            stderr=open(log, "w"))  # noqa: SIM115
    return proc, healthy(proc, f"http://127.0.0.1:{port}", 600, "critmin serve", log)


class Connection:
    """One keep-alive HTTP/1.1 connection: GET, read status, headers and body."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def get(self, path: str) -> tuple[int, float]:
        """(status, server ms from Server-Timing, NaN when absent)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        status = int((await self.reader.readline()).split()[1])
        length, chunked, server = 0, False, math.nan
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"server-timing":
                server = float(value.split(b"dur=")[1].split(b",")[0])
        if chunked:
            while (size := int((await self.reader.readline()).strip(), 16)) > 0:
                await self.reader.readexactly(size + 2)
            await self.reader.readline()
        else:
            await self.reader.readexactly(length)
        return status, server

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def client(url: str, k: int, until: float, think: float, timeout: float, out: list):
    host, port = url.removeprefix("http://").split(":")
    conn = Connection(host, int(port))
    rng = random.Random(k)
    with contextlib.suppress(OSError, asyncio.TimeoutError):  # connect first, not timed
        await asyncio.wait_for(conn.get("/api/health"), timeout)
    await asyncio.sleep(rng.uniform(0, think))
    i = k
    while time.monotonic() < until:
        path = READS[i % len(READS)]
        i += 1
        t = time.perf_counter()
        try:
            status, server = await asyncio.wait_for(conn.get(path), timeout)
        except (TimeoutError, OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            conn.close()
            status, server = 0, math.nan
        out.append((path, 1000 * (time.perf_counter() - t), status == 200, server))
        await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
    conn.close()


def load(url: str, clients: int, duration: float, think: float, timeout: float) -> list:
    """Run the clients for ``duration`` s; returns (path, client ms, ok, server ms) rows."""
    out: list = []

    async def run():
        until = time.monotonic() + duration
        await asyncio.gather(*(client(url, k, until, think, timeout, out)
                               for k in range(clients)))

    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    asyncio.run(run())
    return out


def loadavg() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def stats(name: str, out: list, duration: float, before: str) -> dict:
    ms = np.array([x[1] for x in out])
    srv = np.array([x[3] for x in out if not math.isnan(x[3])])
    errors = sum(1 for x in out if not x[2])
    p50, p95, p99 = np.percentile(ms, [50, 95, 99]) if len(ms) else (np.nan,) * 3
    s50, s99 = np.percentile(srv, [50, 99]) if len(srv) else (np.nan,) * 2
    health = np.array([x[1] for x in out if x[0] == "/api/health"])
    h99 = np.percentile(health, 99) if len(health) else np.nan
    print(f"{name:<34} {len(out):>7} {len(out) / duration:>8.1f} {p50:>9.1f} {p95:>9.1f} "
          f"{p99:>9.1f} {errors:>7} {h99:>11.1f} {s50:>8.2f} {s99:>8.1f} "
          f"{before:>5}->{loadavg()}")
    return {"p50": p50, "p95": p95, "p99": p99, "errors": errors, "n": len(out)}


def header() -> None:
    print(f"{'phase':<34} {'reqs':>7} {'req/s':>8} {'p50 ms':>9} {'p95 ms':>9} "
          f"{'p99 ms':>9} {'errors':>7} {'health p99':>11} {'srv p50':>8} {'srv p99':>8} "
          f"{'load avg':>10}")


def job_progress(url: str, ids: list[str]) -> list[tuple[float, str]]:
    recs = [httpx.get(f"{url}/api/jobs/{j}", timeout=30).json() for j in ids]
    return [(r["progress"], r["status"]) for r in recs]


def with_jobs(url: str, token: str, args) -> dict:
    """Phase 2: two simulation jobs submitted, then the clients; job progress reported."""
    head = {"Authorization": f"Bearer {token}"}
    ids = [httpx.post(f"{url}/api/jobs/simulate", headers=head, timeout=60,
                      json={**JOB, "seed": JOB["seed"] + k}).json()["id"] for k in range(2)]
    end = time.monotonic() + 300  # until both have finished a chunk (workers warmed up)
    while time.monotonic() < end and not all(p > 0 for p, _ in job_progress(url, ids)):
        time.sleep(1)
    before = job_progress(url, ids)
    t0, avg = time.monotonic(), loadavg()
    result = stats("cached reads + 2 simulation jobs", load(
        url, args.clients, args.duration, args.think, args.timeout), args.duration, avg)
    after = job_progress(url, ids)
    for j, ((a, s0), (b, s1)) in enumerate(zip(before, after, strict=True)):
        print(f"  job {j + 1}: progress {100 * a:.1f} % ({s0}) -> {100 * b:.1f} % ({s1}) "
              f"in {time.monotonic() - t0:.0f} s under load")
    result["jobs_moved"] = all(b > a and s == "running" for (a, _), (b, s) in
                               zip(before, after, strict=True))
    for j in ids:  # stop them: the baseline phase needs the CPU
        httpx.delete(f"{url}/api/jobs/{j}", headers=head, timeout=60)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--duration", type=float, default=30.0, help="seconds per phase")
    ap.add_argument("--baseline-duration", type=float, default=15.0)
    ap.add_argument("--think", type=float, default=0.5, help="mean pause between requests, s")
    ap.add_argument("--timeout", type=float, default=10.0, help="client timeout, s")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="critmin-load-"))
    db = tmp / "r.db"
    token = subprocess.run([sys.executable, "-m", "critmin.cli", "token", "create", "bench",
                            "--db", str(db)], capture_output=True, text=True, check=True
                           ).stdout.strip()
    print(f"{args.clients} clients, {args.duration:g} s per phase, think {args.think:g} s, "
          f"client timeout {args.timeout:g} s, {os.cpu_count()} CPUs, loopback only; "
          f"load avg {loadavg()}")
    proc, url = start(db, cache=True)
    results = {}
    try:
        for path in READS:  # warm: one computation per key, as the first users would
            httpx.get(url + path, timeout=300)
        header()
        avg = loadavg()
        results["cached"] = stats("cached reads", load(
            url, args.clients, args.duration, args.think, args.timeout), args.duration, avg)
        results["jobs"] = with_jobs(url, token, args)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    proc, url = start(tmp / "base.db", cache=False)
    try:
        avg = loadavg()
        results["uncached"] = stats("uncached reads (baseline)", load(
            url, args.clients, args.baseline_duration, args.think, args.timeout),
            args.baseline_duration, avg)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    c, u, j = results["cached"], results["uncached"], results["jobs"]

    def verdict(r: dict) -> str:
        return "met" if r["p99"] <= 100 and r["errors"] == 0 else "NOT met"

    print(f"uncached/cached: p50 x{u['p50'] / c['p50']:.0f}, p99 x{u['p99'] / c['p99']:.0f}; "
          f"target cached p99 <= 100 ms with 0 errors: {verdict(c)} (no jobs), "
          f"{verdict(j)} (with jobs; jobs kept progressing: "
          f"{'yes' if j['jobs_moved'] else 'NO'})")


if __name__ == "__main__":
    main()
