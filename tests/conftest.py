"""Shared fixtures: the shipped network, writable copies of shipped tables, a real
`critmin serve` process on 127.0.0.1 with a fresh store and a write token, and the one
decision brief the report tests share. Also the suite's run settings: a capped Hypothesis
profile, and the grouping that lets pytest-xdist (`-n 2`, pyproject) build each module's
fixtures once."""

from __future__ import annotations

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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """One xdist group per test file (`--dist loadgroup`): a file's module fixtures are
    built once, on one worker. Tests that share a session fixture name a common group."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


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


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("store") / "r.duckdb"
    token = subprocess.run([sys.executable, "-m", "critmin.cli", "token", "create", "tests",
                            "--db", str(db)], capture_output=True, text=True, check=True
                           ).stdout.strip()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "critmin.cli", "serve", "--port", str(port),
                             "--db", str(db), "--request-timeout", "600"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.25)
    else:
        proc.kill()
        raise RuntimeError(proc.stdout.read().decode())
    yield {"url": url, "token": token, "db": db}
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def brief(tmp_path_factory) -> dict:
    """One `critmin report` run (HTML, and the PDF where Chromium is installed) for every
    test of the brief; the tests that use it share the xdist group "brief"."""
    tmp = tmp_path_factory.mktemp("brief")
    out = tmp / "brief.html"
    args = ["report", "-o", str(out), "--samples", "256", "--portfolio-samples", "64",
            "--drivers-samples", "8", "--db", str(tmp / "r.duckdb")]
    if HAS_CHROMIUM:
        args.append("--pdf")
    done = subprocess.run([sys.executable, "-m", "critmin.cli", *args], capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return {"dir": tmp, "html": out.read_text(encoding="utf-8"), "stderr": done.stderr,
            "stdout": done.stdout, "pdf": tmp / "brief.pdf", "path": out}
