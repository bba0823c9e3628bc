"""Shared fixtures: the shipped network, writable copies of shipped tables, a real
`critmin serve` process on 127.0.0.1 with a fresh store and a write token, and the one
decision brief the report tests share (built once per run, also across pytest-xdist
workers). Also the suite's capped Hypothesis profile."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest
from hypothesis import settings

import critmin
from critmin.data.io import shipped_dir

# Tests that say max_examples keep it; the rest run 50 examples, without deadlines (shared
# CI cores make wall-clock deadlines flaky). HYPOTHESIS_PROFILE=thorough for a long hunt.
settings.register_profile("ci", max_examples=50, deadline=None, print_blob=True)
settings.register_profile("thorough", max_examples=1000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

HAS_CHROMIUM = Path("/usr/bin/chromium").exists() or shutil.which("chromium") is not None


@pytest.fixture(scope="session")
def net() -> critmin.Network:
    return critmin.load()


@pytest.fixture
def user_dir(tmp_path: Path):
    """Copy shipped tables into a user directory; returns a function(table) -> DataFrame path."""

    def copy(table: str) -> Path:
        target = tmp_path / f"{table}.csv"
        shutil.copy(shipped_dir() / f"{table}.csv", target)
        return target

    return copy


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def write(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(db: Path, *extra: str, seconds: float = 120):
    """`critmin serve` on a free loopback port over the store ``db`` with a write token:
    yields {url, token, db} once ``/api/health`` answers (else the server's output is the
    error); stopped afterwards."""
    token = subprocess.run([sys.executable, "-m", "critmin.cli", "token", "create", "tests",
                            "--db", str(db)], capture_output=True, text=True, check=True
                           ).stdout.strip()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "critmin.cli", "serve", "--port", str(port),
                             "--db", str(db), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > end:
            proc.kill()
            raise RuntimeError(proc.stdout.read().decode())
        time.sleep(0.25)
    try:
        yield {"url": url, "token": token, "db": db}
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    with served(tmp_path_factory.mktemp("store") / "r.duckdb", "--request-timeout",
                "600") as s:
        yield s


@contextlib.contextmanager
def shared_folder(tmp_path_factory, name: str):
    """A folder of this test run that the pytest-xdist workers share, held under a file
    lock: the first to enter builds what it needs, the others wait and find it built."""
    base = tmp_path_factory.getbasetemp()
    tmp = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / name
    tmp.mkdir(exist_ok=True)
    with open(tmp / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield tmp


@pytest.fixture(scope="session")
def hostile_html(tmp_path_factory) -> Path:
    """The brief with markup in its scenario and sources (tests/test_report_hostile.py),
    built once per run for the tests that read it as text and in Chromium."""
    from tests.test_report_hostile import hostile_brief

    with shared_folder(tmp_path_factory, "hostile") as tmp:
        if not (tmp / "b.html").exists():
            hostile_brief(tmp)
    return tmp / "b.html"


@pytest.fixture(scope="session")
def brief(tmp_path_factory) -> dict:
    """One `critmin report` run (HTML, and the PDF where Chromium is installed) for every
    test of the brief. Under pytest-xdist the workers share it: the first to ask builds it
    under a file lock, the others wait and read it."""
    with shared_folder(tmp_path_factory, "brief") as tmp:
        if not (tmp / "run.json").exists():
            out = tmp / "brief.html"
            args = ["report", "-o", str(out), "--samples", "256", "--portfolio-samples",
                    "64", "--drivers-samples", "8", "--db", str(tmp / "r.duckdb")]
            if HAS_CHROMIUM:
                args.append("--pdf")
            done = subprocess.run([sys.executable, "-m", "critmin.cli", *args],
                                  capture_output=True, text=True, timeout=900)
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
            (tmp / "run.json").write_text(json.dumps({"stdout": done.stdout,
                                                      "stderr": done.stderr}))
    run = json.loads((tmp / "run.json").read_text())
    return {"dir": tmp, "html": (tmp / "brief.html").read_text(encoding="utf-8"),
            "stderr": run["stderr"], "stdout": run["stdout"], "pdf": tmp / "brief.pdf",
            "path": tmp / "brief.html"}
