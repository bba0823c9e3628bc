"""The store under failures: a full disk while taking the lock or writing a part, changed
or missing parts, an empty catalog, leftover temporary files, file modes."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from critmin.scenarios.spec import Scenario
from critmin.store import CorruptPart, ResultsStore, StoreError
from critmin.store import lock as lock_mod
from critmin.store import results as results_mod
from critmin.store.lock import FileLock

SPEC = {"id": "t_store", "name": "test", "start": "2026-01-01", "horizon_quarters": 4,
        "commodities": ["gallium"],
        "controls": [{"exporter": "CHN", "commodities": ["gallium"],
                      "measure": "export_ban", "start": "2026-01-01", "leakage": 0.1}]}


def part(i: int) -> pd.DataFrame:
    return pd.DataFrame({"sample": np.arange(4 * i, 4 * i + 4),
                         "peak_ratio|gallium": np.arange(4.0) + i,
                         "fiscal_cost_usd": np.zeros(4)})


def stored(tmp_path, chunks: int = 3) -> ResultsStore:
    tmp_path.mkdir(parents=True, exist_ok=True)
    store = ResultsStore(tmp_path / "r.db")
    store.begin("run1", Scenario.model_validate(SPEC), {"samples": 4 * chunks}, ["gallium"],
                chunks)
    for i in range(chunks):
        store.write_chunk("run1", i, part(i), None, 0.0)
    store.complete("run1")
    return store


def enospc(*_a, **_k):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_lock_is_released_when_naming_the_holder_fails(tmp_path, monkeypatch):
    path = tmp_path / "x.lock"
    with monkeypatch.context() as m:
        m.setattr(lock_mod.os, "pwrite", enospc)
        with pytest.raises(OSError), FileLock(path).hold(wait_s=1):
            pass
    with FileLock(path).hold(wait_s=0.5):  # another holder gets it: nothing leaked
        pass


def test_an_empty_catalog_is_an_error_not_an_empty_store(tmp_path):
    db = tmp_path / "r.db"
    db.write_bytes(b"")
    with pytest.raises(StoreError, match="empty"):
        ResultsStore(db)


def test_changed_and_missing_parts_are_errors_naming_the_file(tmp_path):
    store = stored(tmp_path)
    assert len(store.samples("run1")) == 12 and store.verify("run1") == []
    files = store.part_files("run1")
    raw = bytearray(files[1].read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    files[1].write_bytes(bytes(raw))
    with pytest.raises(CorruptPart, match=files[1].name):
        store.samples("run1")
    files[2].unlink()
    bad = store.verify("run1")
    assert [(b["chunk_id"], b["problem"][:7]) for b in bad] == [(1, "changed"), (2, "missing")]
    assert not store.has_chunk("run1", 1) and store.has_chunk("run1", 0)
    store.forget_bad("run1", bad)  # repair: the same command recomputes chunks 1 and 2
    assert store.run("run1")["status"] == "interrupted" and store.chunks_done("run1") == 1
    for i in (1, 2):
        store.write_chunk("run1", i, part(i), None, 0.0)
    store.complete("run1")
    assert store.run("run1")["status"] == "complete" and len(store.samples("run1")) == 12


def test_a_full_disk_while_writing_a_part_leaves_no_tmp_and_a_writable_store(tmp_path,
                                                                             monkeypatch):
    store = stored(tmp_path, chunks=1)
    before = store.part_files("run1")[0].read_bytes()
    with monkeypatch.context() as m:
        m.setattr(results_mod.os, "fsync", enospc)
        with pytest.raises(OSError):
            store.write_chunk("run1", 0, part(5), None, 0.0)
    folder = store.parts / "run1"
    assert [f.name for f in folder.iterdir() if f.name.endswith(".tmp")] == []
    assert store.part_files("run1")[0].read_bytes() == before  # old part untouched, valid
    store.write_chunk("run1", 1, part(1), None, 0.0)  # the lock is free, the store writable


def test_leftover_tmp_of_a_dead_writer_is_removed_when_the_run_starts_again(tmp_path):
    store = stored(tmp_path, chunks=1)
    dead = 2**22 + 12345  # above the default pid_max of 4,194,304: never a live process
    left = store.parts / "run1" / f".chunk-000001.parquet.{dead}.tmp"
    left.write_bytes(b"partial")
    mine = store.parts / "run1" / f".chunk-000002.parquet.{os.getpid()}.tmp"
    mine.write_bytes(b"being written")
    store.begin("run1", Scenario.model_validate(SPEC), {"samples": 4}, ["gallium"], 1)
    assert not left.exists() and mine.exists()


def test_store_files_are_owner_only(tmp_path):
    store = stored(tmp_path, chunks=1)
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(store.path) == 0o600
    assert mode(store.parts) == 0o700 and mode(store.parts / "run1") == 0o700
    assert mode(store.part_files("run1")[0]) == 0o600
    wal = store.path.with_name(store.path.name + "-wal")
    assert not wal.exists() or mode(wal) == 0o600


def test_a_moved_store_still_finds_and_checks_its_parts(tmp_path):
    import shutil

    stored(tmp_path / "a")
    shutil.move(tmp_path / "a", tmp_path / "b")
    store = ResultsStore(tmp_path / "b" / "r.db")
    assert len(store.samples("run1")) == 12 and store.verify("run1") == []


def flip(path) -> None:
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))


def with_paths_and_table(tmp_path) -> ResultsStore:
    """A run whose first chunk carries its stored paths and a named table (as model v2's
    first chunk does)."""
    store = ResultsStore(tmp_path / "r.db")
    store.begin("run1", Scenario.model_validate(SPEC), {"samples": 8}, ["gallium"], 2)
    paths = {"price_x": np.ones((2, 4, 1))}
    monthly = pd.DataFrame({"month": [0, 1], "value": [1.0, 2.0]})
    store.write_chunk("run1", 0, part(0), paths, 0.0, {"monthly": monthly})
    store.write_chunk("run1", 1, part(1), None, 0.0)
    store.complete("run1")
    return store


@pytest.mark.parametrize("name", ["paths.parquet", "monthly.parquet"])
def test_paths_and_named_tables_are_checked_and_repaired_like_parts(tmp_path, name):
    store = with_paths_and_table(tmp_path)
    assert store.verify("run1") == [] and store.parts_recorded("run1") == 4
    assert len(store.paths("run1")) == 8 and len(store.read_table("run1", "monthly")) == 2
    target = store.parts / "run1" / name
    flip(target)
    read = store.paths if name == "paths.parquet" else \
        (lambda r: store.read_table(r, "monthly"))
    with pytest.raises(CorruptPart, match=name):
        read("run1")
    bad = store.verify("run1")
    assert [(b["chunk_id"], Path(b["path"]).name, b["problem"][:7]) for b in bad] == \
        [(0, name, "changed")]
    assert not store.has_chunk("run1", 0) and store.has_chunk("run1", 1)  # chunk 0 redone
    store.forget_bad("run1", bad)
    assert store.run("run1")["status"] == "interrupted" and not target.exists()
    store.write_chunk("run1", 0, part(0), {"price_x": np.ones((2, 4, 1))}, 0.0,
                      {"monthly": pd.DataFrame({"month": [0], "value": [1.0]})})
    store.complete("run1")
    assert store.verify("run1") == [] and store.run("run1")["status"] == "complete"
    target.unlink()
    with pytest.raises(CorruptPart, match="missing"):
        read("run1")


def test_an_optimisation_result_is_checked(tmp_path):
    store = ResultsStore(tmp_path / "r.db")
    store.begin("opt-1", Scenario.model_validate(SPEC), {"budgets": 1}, ["gallium"], 1,
                kind="optimisation")
    store.write_table("opt-1", "result", pd.DataFrame([{"json": "{}"}]))
    store.complete_table("opt-1")
    assert store.verify("opt-1") == [] and store.parts_recorded("opt-1") == 1
    flip(store.parts / "opt-1" / "result.parquet")
    with pytest.raises(CorruptPart, match=r"result\.parquet"):
        store.read_table("opt-1", "result")
    assert [b["chunk_id"] for b in store.verify("opt-1")] == [0]
    with pytest.raises(FileNotFoundError):  # a table the run never had is no corruption
        store.read_table("opt-1", "portfolio")
