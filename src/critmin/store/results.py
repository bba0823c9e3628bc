"""Results store: a SQLite catalog (WAL) with Parquet parts; many processes share one store.

Layout: ``<db>`` is a SQLite database in write-ahead-log mode holding ``runs`` (one record
per run: scenario, inputs, code version, seed, status, owner), ``chunks`` (finished chunks),
``jobs`` (API jobs: owner, request, status, progress, result) and ``scenarios`` (scenarios
created over the API). Per-sample results live in Parquet parts under
``<db>.parts/<run_id>/``, each written to a temporary name, flushed to disk (fsync) and
renamed, so a crash never leaves a partial part that counts as finished; leftover temporary
files of dead writers are removed when the run starts again. The SHA-256 of every part is
recorded (per-sample parts in ``chunks``; the stored paths and named tables, such as an
optimisation's result, in ``files``, with the chunk that wrote them) and checked when the
part is read: a changed or missing part is an error naming the file (:class:`CorruptPart`),
never a silently different result;
:meth:`ResultsStore.verify` checks a whole run and :meth:`ResultsStore.forget_bad` drops bad
parts so that running the same command again recomputes just those chunks. Files are
created owner-only (0600, folders 0700): results may be private.

Concurrency: the server, several CLIs and workers may use one store at once. Readers never
wait (WAL readers see the last commit). Writes are short transactions under a file lock
(:mod:`critmin.store.lock`) with bounded waiting; a writer kept out longer than the limit
gets :class:`StoreBusy` with one line naming the process that holds the store.

Run status: ``running`` -> ``complete``; ``cancelled`` when stopped on request;
``interrupted`` when its process died (found by :meth:`ResultsStore.reap`). A run started
again with the same inputs resumes from its finished chunks.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import socket
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.store.lock import StoreBusy, lock_for, wait_limit

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY, kind TEXT, scenario_id TEXT, scenario TEXT, inputs TEXT,
  commodities TEXT, n_chunks INTEGER, status TEXT, created_at TEXT, completed_at TEXT,
  code_version TEXT, owner TEXT, pid INTEGER, host TEXT);
CREATE TABLE IF NOT EXISTS chunks (
  run_id TEXT, chunk_id INTEGER, path TEXT, n_rows INTEGER, balance_error REAL,
  written_at TEXT, sha256 TEXT, PRIMARY KEY (run_id, chunk_id));
CREATE TABLE IF NOT EXISTS jobs (
  job_id TEXT PRIMARY KEY, kind TEXT, owner TEXT, status TEXT, progress REAL, error TEXT,
  request TEXT, run_id TEXT, result TEXT, created_at TEXT, updated_at TEXT);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (
  run_id TEXT, name TEXT, chunk_id INTEGER, sha256 TEXT, written_at TEXT,
  PRIMARY KEY (run_id, name));
CREATE TABLE IF NOT EXISTS scenarios (
  scenario_id TEXT PRIMARY KEY, owner TEXT, spec TEXT, created_at TEXT, updated_at TEXT);
"""

RUN_STATUSES = ("running", "complete", "cancelled", "interrupted")
JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled", "interrupted")
SQLITE_MAGIC = b"SQLite format 3\x00"


class StoreError(RuntimeError):
    """The store file cannot be used (not a critmin store); one-line message."""


class CorruptPart(StoreError):
    """A stored part is missing or differs from its recorded checksum."""

    def __init__(self, message: str, run_id: str = "", name: str = ""):
        super().__init__(message)
        self.run_id, self.name = run_id, name


FILE_MODE = 0o600
DIR_MODE = 0o700
TMP_NAME = re.compile(r"^\..+\.(\d+)\.tmp$")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_atomic(target: Path, data: bytes) -> str:
    """Write ``data`` to ``target`` atomically and durably (temporary file, fsync, rename,
    fsync of the folder); returns its SHA-256. A failure (a full disk) removes the
    temporary file and leaves ``target`` as it was."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    dfd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
    return hashlib.sha256(data).hexdigest()


def _parquet_bytes(frame) -> bytes:
    import io

    if isinstance(frame, pd.DataFrame):
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        return buf.getvalue()
    return bytes(frame)


def default_db_path() -> Path:
    """``$CRITMIN_DB``, else ``$XDG_DATA_HOME/critmin/results.db`` (~/.local/share)."""
    if os.environ.get("CRITMIN_DB"):
        return Path(os.environ["CRITMIN_DB"])
    base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "critmin" / "results.db"


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def _time(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def _alive(pid: int | None, host: str | None) -> bool:
    """Whether process ``pid`` on ``host`` still runs (other hosts: assumed alive)."""
    if pid is None:
        return False
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ResultsStore:
    """Runs, their chunks and per-sample parts; API jobs and scenarios."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        self.parts = self.path.with_name(self.path.name + ".parts")
        self._lock = lock_for(self.path.with_name(self.path.name + ".lock"))
        with self._lock.hold():  # a store being created is never seen half made
            self._check_format()
            if not self.path.exists():  # SQLite gives its WAL the database's mode
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
            con = self._connect()
            try:
                con.execute("PRAGMA journal_mode=WAL")
                con.executescript(SCHEMA)
                cols = [r[1] for r in con.execute("PRAGMA table_info(chunks)")]
                if "sha256" not in cols:  # stores made before checksums: parts unchecked
                    con.execute("ALTER TABLE chunks ADD COLUMN sha256 TEXT")
                con.execute("INSERT OR IGNORE INTO meta VALUES ('salt', ?)",
                            [secrets.token_hex(16)])
                self.salt = con.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]
                """A secret of this store, part of every run id: ids cannot be guessed."""
            finally:
                con.close()

    def _check_format(self) -> None:
        if not self.path.exists():
            return
        if self.path.stat().st_size == 0:
            raise StoreError(f"{self.path} is empty (0 bytes), not a results store: it was "
                             "truncated (a full disk?) or is not critmin's; restore it from a "
                             "backup, or give a new --db path")
        with open(self.path, "rb") as f:
            head = f.read(16)
        if head != SQLITE_MAGIC:
            raise StoreError(f"{self.path} is not a critmin results store (a SQLite file); "
                             "stores made by critmin before 0.2 (DuckDB) are not read: give "
                             "a new --db path")

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=wait_limit(), isolation_level=None,
                              check_same_thread=False)
        con.execute(f"PRAGMA busy_timeout = {int(1000 * wait_limit())}")
        return con

    @contextlib.contextmanager
    def _write(self):
        """One write transaction under the store's cross-process lock."""
        with self._lock.hold():
            con = self._connect()
            try:
                con.execute("BEGIN IMMEDIATE")
                yield con
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
            finally:
                con.close()

    @contextlib.contextmanager
    def _read(self):
        con = self._connect()
        try:
            yield con
        finally:
            con.close()

    def _one(self, sql: str, args=()) -> dict | None:
        with self._read() as con:
            cur = con.execute(sql, args)
            row = cur.fetchone()
            cols = [d[0] for d in cur.description]
        return None if row is None else dict(zip(cols, row, strict=True))

    def _scalar(self, sql: str, args=()):
        """The one value an aggregate query (count, sum, max) returns; None for no rows."""
        with self._read() as con:
            return con.execute(sql, args).fetchone()[0]

    def _all(self, sql: str, args=()) -> pd.DataFrame:
        with self._read() as con:
            cur = con.execute(sql, args)
            rows = cur.fetchall()
            cols = [d[0] for d in cur.description]
        return pd.DataFrame(rows, columns=cols)

    # -- runs: writing -------------------------------------------------------------------
    def begin(self, run_id: str, scenario, inputs: dict, commodities, n_chunks: int,
              kind: str = "simulation", owner: str | None = None) -> None:
        """Record a run, or mark an unfinished one running again (same id = same inputs)."""
        from critmin._version import __version__

        self._clean_tmp(self.parts / run_id)
        with self._write() as con:
            row = con.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchone()
            if row is not None:
                if row[0] != "complete":
                    con.execute("UPDATE runs SET status = 'running', pid = ?, host = ? "
                                "WHERE run_id = ?", [os.getpid(), socket.gethostname(), run_id])
                return
            con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, NULL, ?, ?, ?, ?)",
                [run_id, kind, scenario.id, scenario.model_dump_json(), json.dumps(inputs),
                 json.dumps(list(commodities)), n_chunks, _now(), __version__, owner,
                 os.getpid(), socket.gethostname()])

    def _clean_tmp(self, folder: Path) -> list[Path]:
        """Remove temporary files left in ``folder`` by writers that died."""
        gone = []
        if folder.is_dir():
            for f in folder.iterdir():
                m = TMP_NAME.match(f.name)
                if m and not _alive(int(m.group(1)), socket.gethostname()):
                    f.unlink(missing_ok=True)
                    gone.append(f)
        return gone

    def _part(self, run_id: str, recorded: str) -> Path:
        """Where a recorded part is now: by name in this store's parts folder (a store
        moved or copied elsewhere keeps working)."""
        return self.parts / run_id / Path(recorded).name

    def _folder(self, run_id: str) -> Path:
        self.parts.mkdir(exist_ok=True, mode=DIR_MODE)
        folder = self.parts / run_id
        folder.mkdir(exist_ok=True, mode=DIR_MODE)
        return folder

    def has_chunk(self, run_id: str, chunk_id: int) -> bool:
        """Whether the chunk and the files written with it (paths, tables) are stored and
        intact (a changed or missing one makes the chunk be computed again)."""
        row = self._one("SELECT path, sha256 FROM chunks WHERE run_id = ? AND chunk_id = ?",
                        [run_id, chunk_id])
        if row is None:
            return False
        files = self._all("SELECT name, sha256 FROM files WHERE run_id = ? AND chunk_id = ?",
                          [run_id, chunk_id])
        parts = [(self._part(run_id, row["path"]), row["sha256"])]
        parts += [(self.parts / run_id / n, d) for n, d in zip(files["name"], files["sha256"],
                                                               strict=True)]
        return all(p.exists() and (d is None or _verified(p, d)) for p, d in parts)

    def write_chunk(self, run_id: str, chunk_id: int, frame, paths: dict | None,
                    balance_error: float, tables: dict | None = None) -> None:
        """Write a finished chunk atomically with its checksum, with the paths and named
        tables it carries (``tables``: name -> DataFrame), then record them all in one
        transaction. ``frame``: a DataFrame (v1), or a chunk already encoded as Parquet
        (bytes or a pyarrow Buffer: model v2's workers encode their own chunks, so the
        coordinator only writes them)."""
        import pyarrow.parquet as pq

        folder = self._folder(run_id)
        target = folder / f"chunk-{chunk_id:06d}.parquet"
        data = _parquet_bytes(frame)
        rows = len(frame) if isinstance(frame, pd.DataFrame) else \
            pq.ParquetFile(pa_reader(data)).metadata.num_rows
        digest = write_atomic(target, data)
        files = {f"{name}.parquet": write_atomic(folder / f"{name}.parquet",
                                                 _parquet_bytes(table))
                 for name, table in (tables or {}).items()}
        if paths is not None:
            files["paths.parquet"] = self._write_paths(folder, paths)
        with self._write() as con:
            con.execute("INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [run_id, chunk_id, str(target), rows, float(balance_error),
                         _now(), digest])
            self._record_files(con, run_id, chunk_id, files)

    @staticmethod
    def _record_files(con, run_id: str, chunk_id: int, files: dict[str, str]) -> None:
        con.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                        [[run_id, name, chunk_id, digest, _now()]
                         for name, digest in files.items()])

    def _write_paths(self, folder: Path, paths: dict) -> str:
        commodities = self.commodities_of(folder.name)
        rows = []
        for name, arr in paths.items():
            n, h, c = arr.shape
            idx = np.indices((n, h, c)).reshape(3, -1)
            rows.append(pd.DataFrame({"sample": idx[0], "quarter": idx[1],
                                      "commodity": np.array(commodities)[idx[2]],
                                      "metric": name, "value": arr.reshape(-1)}))
        return write_atomic(folder / "paths.parquet",
                            _parquet_bytes(pd.concat(rows, ignore_index=True)))

    def write_table(self, run_id: str, name: str, frame: pd.DataFrame,
                    chunk_id: int = 0) -> None:
        """Write a named result table of a run atomically (optimisations, reports) and
        record its checksum; ``chunk_id``: the chunk recomputed when it is damaged."""
        digest = write_atomic(self._folder(run_id) / f"{name}.parquet", _parquet_bytes(frame))
        with self._write() as con:
            self._record_files(con, run_id, chunk_id, {f"{name}.parquet": digest})

    def read_table(self, run_id: str, name: str) -> pd.DataFrame:
        """A named table of a run, checked against its recorded SHA-256 (CorruptPart)."""
        return pd.read_parquet(self._checked_file(run_id, f"{name}.parquet"))

    def _checked_file(self, run_id: str, name: str) -> Path:
        """A run's recorded file, checked; FileNotFoundError when it was never recorded nor
        written (a table the run does not have)."""
        path = self.parts / run_id / name
        row = self._one("SELECT sha256 FROM files WHERE run_id = ? AND name = ?",
                        [run_id, name])
        if row is None:  # never written (or by a store made before file checksums)
            if not path.exists():
                raise FileNotFoundError(f"run {run_id} has no stored {name}")
            return path
        check_part(path, row["sha256"], run_id)
        return path

    def complete_table(self, run_id: str) -> None:
        """Mark a single-table run (an optimisation) complete."""
        with self._write() as con:
            con.execute("INSERT OR REPLACE INTO chunks VALUES (?, 0, ?, 1, 0.0, ?, NULL)",
                        [run_id, str(self.parts / run_id), _now()])
        self.complete(run_id)

    def complete(self, run_id: str) -> None:
        with self._write() as con:
            done, total = con.execute(
                "SELECT (SELECT count(*) FROM chunks WHERE run_id = ?), n_chunks FROM runs "
                "WHERE run_id = ?", [run_id, run_id]).fetchone()
            if done == total:
                con.execute("UPDATE runs SET status = 'complete', completed_at = ? "
                            "WHERE run_id = ? AND status <> 'complete'", [_now(), run_id])

    def set_run_status(self, run_id: str, status: str) -> None:
        """Mark an unfinished run ``cancelled`` or ``interrupted`` (complete runs stay)."""
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        with self._write() as con:
            con.execute("UPDATE runs SET status = ? WHERE run_id = ? AND status <> 'complete'",
                        [status, run_id])

    def set_run_owner(self, run_id: str, owner: str) -> None:
        """Record who asked for a run (API jobs set it once the run exists)."""
        with self._write() as con:
            con.execute("UPDATE runs SET owner = ? WHERE run_id = ? AND owner IS NULL",
                        [owner, run_id])

    def reap(self) -> list[str]:
        """Mark runs whose writing process died ``interrupted``; returns their ids."""
        running = self._all("SELECT run_id, pid, host FROM runs WHERE status = 'running'")
        dead = [r.run_id for r in running.itertuples() if not _alive(r.pid, r.host)]
        for run_id in dead:
            self.set_run_status(run_id, "interrupted")
        return dead

    # -- runs: reading -------------------------------------------------------------------
    def run(self, run_id: str) -> dict:
        row = self._one("SELECT * FROM runs WHERE run_id = ?", [run_id])
        if row is None:
            raise KeyError(f"unknown run {run_id!r}")
        row["created_at"] = _time(row["created_at"])
        row["completed_at"] = _time(row["completed_at"])
        return row

    def runs(self) -> pd.DataFrame:
        df = self._all("SELECT run_id, kind, scenario_id, status, n_chunks, created_at, "
                       "completed_at, owner FROM runs ORDER BY created_at")
        for c in ("created_at", "completed_at"):
            df[c] = pd.to_datetime(df[c])
        return df

    def chunks_done(self, run_id: str) -> int:
        return int(self._scalar("SELECT count(*) FROM chunks WHERE run_id = ?", [run_id]))

    def commodities_of(self, run_id: str) -> list[str]:
        return json.loads(self.run(run_id)["commodities"])

    def part_files(self, run_id: str) -> list[Path]:
        """The run's per-sample parts in sample order, each checked against its recorded
        SHA-256 (CorruptPart names a missing or changed file)."""
        rows = self._all("SELECT chunk_id, path, sha256 FROM chunks WHERE run_id = ? "
                         "ORDER BY chunk_id", [run_id])
        rows = rows[rows["path"].str.endswith(".parquet")]
        if rows.empty:
            raise KeyError(f"run {run_id!r} has no stored chunks")
        for r in rows.itertuples():
            check_part(self._part(run_id, r.path), r.sha256, run_id)
        return [self._part(run_id, p) for p in rows["path"]]

    def samples(self, run_id: str, columns: list[str] | None = None) -> pd.DataFrame:
        """Per-sample results of a run, ordered by sample."""
        df = pd.concat([pd.read_parquet(f, columns=columns and ["sample", *columns])
                        for f in self.part_files(run_id)], ignore_index=True)
        return df.sort_values("sample").reset_index(drop=True)

    def shape(self, run_id: str) -> tuple[int, int]:
        """(rows, columns) of the run's per-sample table, from the catalog and one part."""
        import pyarrow.parquet as pq

        files = self.part_files(run_id)
        rows = int(self._scalar("SELECT sum(n_rows) FROM chunks WHERE run_id = ?", [run_id]))
        return rows, len(pq.ParquetFile(files[0]).schema_arrow.names)

    def verify(self, run_id: str) -> list[dict]:
        """Every recorded part of the run checked (SHA-256 read afresh, no cache): the
        per-sample parts, paths and named tables (an optimisation's result). One
        ``{chunk_id, path, problem}`` per missing or changed part (``chunk_id``: the chunk
        whose recomputation rewrites it); empty when intact."""
        rows = self._all("SELECT chunk_id, path, sha256 FROM chunks WHERE run_id = ? "
                         "ORDER BY chunk_id", [run_id])
        rows = rows[rows["path"].str.endswith(".parquet")]
        files = self._all("SELECT chunk_id, name AS path, sha256 FROM files "
                          "WHERE run_id = ? ORDER BY chunk_id, name", [run_id])
        bad = []
        for r in (r for frame in (rows, files) for r in frame.itertuples()):
            p = self._part(run_id, r.path)
            if not p.exists():
                bad.append({"chunk_id": r.chunk_id, "path": str(p), "problem": "missing"})
            elif isinstance(r.sha256, str) and sha256_of(p) != r.sha256:
                bad.append({"chunk_id": r.chunk_id, "path": str(p),
                            "problem": "changed (SHA-256 differs from the one recorded)"})
        return bad

    def forget_bad(self, run_id: str, bad: list[dict]) -> None:
        """Drop the catalog records (and files) of ``bad`` parts and of the chunks that
        wrote them; the run becomes ``interrupted``, so running it again recomputes just
        those chunks."""
        with self._write() as con:
            for b in bad:
                con.execute("DELETE FROM chunks WHERE run_id = ? AND chunk_id = ?",
                            [run_id, b["chunk_id"]])
                con.execute("DELETE FROM files WHERE run_id = ? AND name = ?",
                            [run_id, Path(b["path"]).name])
            con.execute("UPDATE runs SET status = 'interrupted', completed_at = NULL "
                        "WHERE run_id = ?", [run_id])
        for b in bad:
            Path(b["path"]).unlink(missing_ok=True)

    def parts_recorded(self, run_id: str) -> int:
        """Stored parts with a record: per-sample parts, paths and named tables."""
        return int(self._scalar("SELECT (SELECT count(*) FROM chunks WHERE run_id = ? AND path "
                                "LIKE '%.parquet') + (SELECT count(*) FROM files WHERE "
                                "run_id = ?)", [run_id, run_id]))

    def paths(self, run_id: str) -> pd.DataFrame:
        """The run's stored monthly/quarterly paths, checked against their SHA-256."""
        return pd.read_parquet(self._checked_file(run_id, "paths.parquet"))

    def balance_error(self, run_id: str) -> float:
        return float(self._scalar("SELECT max(balance_error) FROM chunks WHERE run_id = ?",
                                  [run_id]))

    # -- API jobs ------------------------------------------------------------------------
    def put_job(self, job_id: str, kind: str, owner: str, request: dict) -> None:
        with self._write() as con:
            con.execute("INSERT INTO jobs VALUES (?, ?, ?, 'queued', 0.0, NULL, ?, NULL, NULL,"
                        " ?, ?)", [job_id, kind, owner, json.dumps(request), _now(), _now()])

    def update_job(self, job_id: str, *, only_if: tuple[str, ...] | None = None,
                   **fields) -> bool:
        """Set fields of a job (status, progress, error, run_id, result); ``only_if``
        limits the change to jobs in those statuses. Returns whether a row changed."""
        if "result" in fields and fields["result"] is not None:
            fields["result"] = json.dumps(fields["result"])
        sets = ", ".join(f"{k} = ?" for k in fields) + ", updated_at = ?"
        sql = f"UPDATE jobs SET {sets} WHERE job_id = ?"
        args = [*fields.values(), _now(), job_id]
        if only_if:
            sql += f" AND status IN ({', '.join('?' * len(only_if))})"
            args += list(only_if)
        with self._write() as con:
            return con.execute(sql, args).rowcount > 0

    def job(self, job_id: str, with_result: bool = False) -> dict | None:
        cols = "*" if with_result else ("job_id, kind, owner, status, progress, error, "
                                        "request, run_id, result IS NOT NULL AS has_result, "
                                        "created_at, updated_at")
        row = self._one(f"SELECT {cols} FROM jobs WHERE job_id = ?", [job_id])
        if row is None:
            return None
        row["request"] = json.loads(row["request"])
        if with_result:
            row["has_result"] = row["result"] is not None
            row["result"] = None if row["result"] is None else json.loads(row["result"])
        row["has_result"] = bool(row["has_result"])
        return row

    def jobs(self, statuses: tuple[str, ...] | None = None) -> pd.DataFrame:
        sql = "SELECT job_id, kind, owner, status, progress, run_id FROM jobs"
        if statuses:
            sql += f" WHERE status IN ({', '.join('?' * len(statuses))})"
        return self._all(sql + " ORDER BY created_at", statuses or ())

    def delete_job(self, job_id: str) -> None:
        with self._write() as con:
            con.execute("DELETE FROM jobs WHERE job_id = ?", [job_id])

    # -- API scenarios -------------------------------------------------------------------
    def put_scenario(self, scenario_id: str, owner: str, spec: dict) -> None:
        with self._write() as con:
            con.execute("INSERT INTO scenarios VALUES (?, ?, ?, ?, ?) ON CONFLICT(scenario_id)"
                        " DO UPDATE SET owner = excluded.owner, spec = excluded.spec, "
                        "updated_at = excluded.updated_at",
                        [scenario_id, owner, json.dumps(spec), _now(), _now()])

    def scenario_record(self, scenario_id: str) -> dict | None:
        row = self._one("SELECT * FROM scenarios WHERE scenario_id = ?", [scenario_id])
        if row is not None:
            row["spec"] = json.loads(row["spec"])
        return row

    def scenario_records(self) -> list[dict]:
        df = self._all("SELECT scenario_id, owner, spec FROM scenarios ORDER BY created_at")
        return [{"scenario_id": r.scenario_id, "owner": r.owner, "spec": json.loads(r.spec)}
                for r in df.itertuples()]

    def delete_scenario(self, scenario_id: str) -> None:
        with self._write() as con:
            con.execute("DELETE FROM scenarios WHERE scenario_id = ?", [scenario_id])


_CHECKED: dict[tuple, str] = {}
"""Parts whose SHA-256 was checked in this process: (path, size, mtime, inode) -> digest."""


def _verified(path: Path, digest: str) -> bool:
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns, st.st_ino)
    if _CHECKED.get(key) != digest:
        if sha256_of(path) != digest:
            return False
        _CHECKED[key] = digest
    return True


def check_part(path: Path, digest: str | None, run_id: str) -> None:
    """Raise CorruptPart unless ``path`` exists and matches ``digest`` (None: unchecked)."""
    if not path.exists():
        raise CorruptPart(f"part {path} of run {run_id} is missing; `critmin runs verify "
                          f"{run_id} --repair` drops it, then run the same command again to "
                          "recompute it", run_id, path.name)
    if digest is not None and not _verified(path, digest):
        raise CorruptPart(f"part {path} of run {run_id} has changed since it was written "
                          f"(SHA-256 differs); `critmin runs verify {run_id} --repair` drops "
                          "it, then run the same command again to recompute it", run_id,
                          path.name)


def pa_reader(data: bytes):
    import pyarrow as pa

    return pa.BufferReader(data)


__all__ = ["CorruptPart", "ResultsStore", "StoreBusy", "StoreError", "default_db_path"]
