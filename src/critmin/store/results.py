"""DuckDB results store. One coordinating process writes; any number may read.

Layout: ``<db>`` holds tables ``runs`` (one immutable record per run: scenario, inputs,
code version, seed, status) and ``chunks`` (finished chunks); per-sample results live in
Parquet parts under ``<db>.parts/<run_id>/``, each written to a temporary name and renamed,
so a crash never leaves a partial part that counts as finished.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
  run_id VARCHAR PRIMARY KEY, kind VARCHAR, scenario_id VARCHAR, scenario JSON,
  inputs JSON, commodities JSON, n_chunks INTEGER, status VARCHAR,
  created_at TIMESTAMP, completed_at TIMESTAMP, code_version VARCHAR);
CREATE TABLE IF NOT EXISTS chunks (
  run_id VARCHAR, chunk_id INTEGER, path VARCHAR, n_rows INTEGER, balance_error DOUBLE,
  written_at TIMESTAMP, PRIMARY KEY (run_id, chunk_id));
"""


_WRITE_LOCK = threading.RLock()
"""DuckDB takes one writer per file; jobs running in threads of one process take turns."""


def default_db_path() -> Path:
    """``$CRITMIN_DB``, else ``$XDG_DATA_HOME/critmin/results.duckdb`` (~/.local/share)."""
    if os.environ.get("CRITMIN_DB"):
        return Path(os.environ["CRITMIN_DB"])
    base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "critmin" / "results.duckdb"


class ResultsStore:
    """Runs, their chunks and their per-sample parts."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.parts = self.path.with_name(self.path.name + ".parts")
        with self._write(), self._connect() as con:
            con.execute(SCHEMA)

    def _connect(self, read_only: bool = False):
        return duckdb.connect(str(self.path), read_only=read_only)

    def _write(self):
        """Serialise writes from threads of this process."""
        return _WRITE_LOCK

    # -- writing (coordinator only) ------------------------------------------------------
    def begin(self, run_id: str, scenario, inputs: dict, commodities, n_chunks: int,
              kind: str = "simulation") -> None:
        """Record a run unless it exists (same id = same inputs: resume)."""
        from critmin import __version__

        with self._write(), self._connect() as con:
            if con.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchone():
                return
            con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, NULL, ?)",
                [run_id, kind, scenario.id, scenario.model_dump_json(), json.dumps(inputs),
                 json.dumps(list(commodities)), n_chunks, dt.datetime.now(dt.UTC)
                 .replace(tzinfo=None), __version__])

    def has_chunk(self, run_id: str, chunk_id: int) -> bool:
        with self._connect() as con:
            row = con.execute("SELECT path FROM chunks WHERE run_id = ? AND chunk_id = ?",
                              [run_id, chunk_id]).fetchone()
        return bool(row) and Path(row[0]).exists()

    def write_chunk(self, run_id: str, chunk_id: int, frame: pd.DataFrame,
                    paths: dict | None, balance_error: float) -> None:
        """Write a finished chunk atomically, then record it."""
        folder = self.parts / run_id
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"chunk-{chunk_id:06d}.parquet"
        tmp = target.with_suffix(".parquet.tmp")
        frame.to_parquet(tmp, index=False)
        tmp.replace(target)
        if paths is not None:
            self._write_paths(folder, paths)
        with self._write(), self._connect() as con:
            con.execute("INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?, ?)",
                        [run_id, chunk_id, str(target), len(frame), balance_error,
                         dt.datetime.now(dt.UTC).replace(tzinfo=None)])

    def _write_paths(self, folder: Path, paths: dict) -> None:
        commodities = self.commodities_of(folder.name)
        rows = []
        for name, arr in paths.items():
            n, h, c = arr.shape
            idx = np.indices((n, h, c)).reshape(3, -1)
            rows.append(pd.DataFrame({"sample": idx[0], "quarter": idx[1],
                                      "commodity": np.array(commodities)[idx[2]],
                                      "metric": name, "value": arr.reshape(-1)}))
        df = pd.concat(rows, ignore_index=True)
        tmp = folder / "paths.parquet.tmp"
        df.to_parquet(tmp, index=False)
        tmp.replace(folder / "paths.parquet")

    def write_table(self, run_id: str, name: str, frame: pd.DataFrame) -> None:
        """Write a named result table of a run atomically (optimisations, reports)."""
        folder = self.parts / run_id
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"{name}.parquet.tmp"
        frame.to_parquet(tmp, index=False)
        tmp.replace(folder / f"{name}.parquet")

    def read_table(self, run_id: str, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.parts / run_id / f"{name}.parquet")

    def complete_table(self, run_id: str) -> None:
        """Mark a single-table run (an optimisation) complete."""
        with self._write(), self._connect() as con:
            con.execute("INSERT OR REPLACE INTO chunks VALUES (?, 0, ?, 1, 0.0, ?)",
                        [run_id, str(self.parts / run_id),
                         dt.datetime.now(dt.UTC).replace(tzinfo=None)])
        self.complete(run_id)

    def complete(self, run_id: str) -> None:
        with self._write(), self._connect() as con:
            done, total = con.execute(
                "SELECT (SELECT count(*) FROM chunks WHERE run_id = ?), n_chunks FROM runs "
                "WHERE run_id = ?", [run_id, run_id]).fetchone()
            if done == total:
                con.execute("UPDATE runs SET status = 'complete', completed_at = ? "
                            "WHERE run_id = ? AND status <> 'complete'",
                            [dt.datetime.now(dt.UTC).replace(tzinfo=None), run_id])

    # -- reading -------------------------------------------------------------------------
    def run(self, run_id: str) -> dict:
        with self._connect() as con:
            row = con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id]).fetchone()
            cols = [d[0] for d in con.description]
        if row is None:
            raise KeyError(f"unknown run {run_id!r}")
        return dict(zip(cols, row, strict=True))

    def runs(self) -> pd.DataFrame:
        with self._connect() as con:
            return con.execute("SELECT run_id, kind, scenario_id, status, n_chunks, created_at,"
                               " completed_at FROM runs ORDER BY created_at").df()

    def commodities_of(self, run_id: str) -> list[str]:
        return json.loads(self.run(run_id)["commodities"])

    def samples(self, run_id: str, columns: list[str] | None = None) -> pd.DataFrame:
        """Per-sample results of a run, ordered by sample."""
        files = sorted((self.parts / run_id).glob("chunk-*.parquet"))
        if not files:
            raise KeyError(f"run {run_id!r} has no stored chunks")
        df = pd.concat([pd.read_parquet(f, columns=columns and ["sample", *columns])
                        for f in files], ignore_index=True)
        return df.sort_values("sample").reset_index(drop=True)

    def paths(self, run_id: str) -> pd.DataFrame:
        return pd.read_parquet(self.parts / run_id / "paths.parquet")

    def balance_error(self, run_id: str) -> float:
        with self._connect() as con:
            return float(con.execute("SELECT max(balance_error) FROM chunks WHERE run_id = ?",
                                     [run_id]).fetchone()[0])
