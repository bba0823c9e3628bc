"""Full-scale schemathesis against `critmin serve`: every check, every phase, default and
``--private``, with many more examples than the fast suite's test
(tests/api/test_schemathesis.py runs 2 per operation). Too long for the suite: run it by
hand or in a nightly job; the outside probe of 2026-12 ran 2,745 + 3,223 cases.

Each mode gets its own server and store (one job worker, quota 2, queue 2, so generated
jobs cannot take the machine) and the suite's schemathesis.toml (which answers count as
expected, the stateful phase's size). Prints, per mode: cases run, failures, wall time and
the tail of schemathesis' summary; exits 1 when any mode fails.

    python benchmarks/bench_schemathesis.py [--examples 100] [--stateful 100]
        [--modes default,private] [--phases examples,coverage,fuzzing,stateful]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_load import free_port, healthy

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "tests" / "api" / "schemathesis.toml"
ST = Path(sys.executable).with_name("st")


def start_server(db: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    """`critmin serve` on a free loopback port; returns once /api/health answers."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "critmin.cli", "serve", "--port",
                             str(port), "--db", str(db), "--request-timeout", "600",
                             "--no-open-token", "--workers", "1", "--quota", "2",
                             "--queue", "2", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, healthy(proc, f"http://127.0.0.1:{port}", 300, "critmin serve")


def config_file(folder: Path, stateful: int) -> Path:
    """The suite's configuration with the stateful phase's size set to ``stateful``."""
    text = re.sub(r"(\[phases\.stateful\.generation\]\s*\nmax-examples\s*=\s*)\d+",
                  rf"\g<1>{stateful}", CONFIG.read_text())
    out = folder / "schemathesis.toml"
    out.write_text(text)
    return out


def run_mode(mode: str, examples: int, stateful: int, phases: str, logs: Path) -> dict:
    """One server, one schemathesis run (its whole output in ``logs``/st-MODE.log, the
    failures with their curl reproductions); returns cases, failures, seconds, summary."""
    from critmin.api.auth import create_token

    with tempfile.TemporaryDirectory(prefix="critmin-st-") as tmp:
        folder = Path(tmp)
        db = folder / "st.db"
        token = create_token(db, "schemathesis")
        proc, url = start_server(db, *(["--private"] if mode == "private" else []))
        t0 = time.perf_counter()
        try:
            r = subprocess.run(
                [str(ST), "--config-file", str(config_file(folder, stateful)), "run",
                 f"{url}/openapi.json", "--checks", "all", "--max-examples", str(examples),
                 "--header", f"Authorization: Bearer {token}", "--generation-deterministic",
                 "--phases", phases, "--request-timeout", "120", "--no-color"],
                capture_output=True, text=True, cwd=folder)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        seconds = time.perf_counter() - t0
    out = r.stdout
    log = logs / f"st-{mode}.log"
    log.write_text(out + r.stderr)
    cases = sum(int(n) for n in re.findall(r"(\d[\d,]*) generated", out.replace(",", "")))
    failures = re.findall(r"(\d+) (?:unique )?fail(?:ures?|ed)\b", out)
    return {"mode": mode, "rc": r.returncode, "cases": cases,
            "failures": int(failures[-1]) if failures else 0, "seconds": seconds,
            "summary": "\n".join(out.strip().splitlines()[-25:]), "log": str(log)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--examples", type=int, default=100, help="examples per operation")
    p.add_argument("--stateful", type=int, default=100, help="stateful phase examples")
    p.add_argument("--modes", default="default,private")
    p.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    p.add_argument("--logs", type=Path, default=Path("."), help="folder for st-MODE.log")
    a = p.parse_args(argv)
    print(f"schemathesis {a.examples} examples/operation, stateful {a.stateful}, phases "
          f"{a.phases}; load average {os.getloadavg()[0]:.1f}", flush=True)
    a.logs.mkdir(parents=True, exist_ok=True)
    results = [run_mode(m.strip(), a.examples, a.stateful, a.phases, a.logs)
               for m in a.modes.split(",")]
    for res in results:
        print(f"\n== {res['mode']}: exit {res['rc']}, {res['cases']:,} cases generated, "
              f"{res['failures']} failures, {res['seconds']:.0f} s (whole output: "
              f"{res['log']})\n{res['summary']}")
    return 0 if all(r["rc"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
