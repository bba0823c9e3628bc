"""`critmin runs verify RUN [--repair]`: every part checked against its recorded SHA-256;
a changed or missing part named and exit 1; --repair drops it so the run is recomputed."""

from __future__ import annotations

from typer.testing import CliRunner

from critmin.cli import app

from ..store.test_integrity import flip, stored, with_paths_and_table


def verify(store, *flags: str):
    """`critmin runs verify run1 [flags]` on ``store``'s database."""
    return CliRunner().invoke(app, ["runs", "verify", "run1", *flags, "--db", str(store.path)])


def test_verify_names_changed_parts_and_repair_drops_them(tmp_path):
    store = stored(tmp_path)
    ok = verify(store)
    assert ok.exit_code == 0 and "3 parts intact" in ok.output
    bad = store.part_files("run1")[2]
    bad.write_bytes(bad.read_bytes()[:-9] + b"corrupted")
    r = verify(store)
    assert r.exit_code == 1 and bad.name in r.output and "changed" in r.output
    r = verify(store, "--repair")
    assert r.exit_code == 0 and "dropped 1 parts" in r.output
    assert store.run("run1")["status"] == "interrupted" and not store.has_chunk("run1", 2)
    assert verify(store).exit_code == 0


def test_verify_checks_the_stored_paths_too(tmp_path):
    store = with_paths_and_table(tmp_path)
    ok = verify(store)
    assert ok.exit_code == 0 and "4 parts intact" in ok.output
    flip(store.parts / "run1" / "paths.parquet")
    r = verify(store)
    assert r.exit_code == 1 and "paths.parquet" in r.output and "changed" in r.output
    assert verify(store, "--repair").exit_code == 0
    assert store.chunks_done("run1") == 1 and not store.has_chunk("run1", 0)
