"""Shared fixtures: the shipped network, writable copies of shipped tables, and a real
`critmin serve` process on 127.0.0.1 with a fresh store and a write token."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest

import critmin
from critmin.data.io import shipped_dir


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
