"""Issue 12 §4: every observed silent failure or traceback ends in one clear line (or a
warning) instead. Each test runs the real command line; each failed before the fix."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd

from critmin.data.io import shipped_dir
from tests.test_cli import CLI, run


def one_line_error(out: subprocess.CompletedProcess, code: int = 2) -> str:
    assert out.returncode == code, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    lines = [x for x in out.stderr.splitlines() if x.strip() and not x.startswith("warning:")]
    assert len(lines) == 1, out.stderr
    return lines[0]


def scenario_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "sc.yaml"
    path.write_text(textwrap.dedent("""\
        id: test_sc
        name: test scenario
        start: 2025-10-01
        """) + textwrap.dedent(body), encoding="utf-8")
    return path


def test_unknown_exporter_is_an_error_not_a_no_op(tmp_path):
    sc = scenario_file(tmp_path, """\
        controls:
        - {exporter: XXX, commodities: [gallium], measure: export_ban, start: 2025-10-01}
        """)
    out = run("simulate", "--scenario", str(sc), "--samples", "64", "--db",
              str(tmp_path / "r.db"))
    line = one_line_error(out)
    assert "controls.0.exporter" in line and "'XXX'" in line


def test_unknown_destination_is_an_error(tmp_path):
    sc = scenario_file(tmp_path, """\
        controls:
        - {exporter: CHN, commodities: [gallium], measure: destination_ban,
           destinations: [XXY], start: 2025-10-01}
        """)
    out = run("simulate", "--scenario", str(sc), "--samples", "64", "--db",
              str(tmp_path / "r.db"))
    assert "controls.0.destinations.0" in one_line_error(out)


def test_commodity_without_market_data_is_named_in_a_warning(tmp_path):
    from critmin.market.baseline import build_baseline
    from critmin.model.network import load

    net = load()
    have = set(build_baseline(net).commodities)
    lacking = sorted(set(net.commodities["commodity"]) - have)
    assert lacking, "every commodity has market data: pick another case"
    sc = scenario_file(tmp_path, f"""\
        controls:
        - {{exporter: CHN, commodities: [gallium, {lacking[0]}], measure: export_ban,
           start: 2025-10-01}}
        """)
    out = run("simulate", "--scenario", str(sc), "--samples", "64", "--db",
              str(tmp_path / "r.db"), "--json")
    assert out.returncode == 0, out.stderr
    warning = [x for x in out.stderr.splitlines() if x.startswith("warning:")]
    assert len(warning) == 1 and lacking[0] in warning[0] and "not simulated" in warning[0]


def test_validate_rejects_a_misnamed_table_file(tmp_path):
    (tmp_path / "producton.csv").write_text("commodity\n", encoding="utf-8")
    out = run("data", "validate", str(tmp_path))
    line = one_line_error(out, 1)
    assert "producton.csv" in line and "did you mean production.csv" in line


def _user_production(tmp_path: Path, edit) -> Path:
    df = pd.read_csv(shipped_dir() / "production.csv", dtype=str, keep_default_na=False)
    df = edit(df.head(5).copy())
    df.to_csv(tmp_path / "production.csv", index=False)
    return tmp_path / "production.csv"


def test_validate_reports_inf_against_the_users_row(tmp_path):
    def put_inf(df):
        df.loc[2, "value"] = "inf"
        return df

    path = _user_production(tmp_path, put_inf)
    out = run("data", "validate", str(tmp_path))
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert lines[0] == f"{path}:4: value: not a finite number: 'inf'"
    assert str(shipped_dir()) not in out.stderr  # not blamed on the shipped file


def test_validate_names_a_missing_column(tmp_path):
    _user_production(tmp_path, lambda df: df.drop(columns=["unit"]))
    line = one_line_error(run("data", "validate", str(tmp_path)), 1)
    assert line.endswith("production.csv:1: unit: missing column 'unit'")


def test_data_schema_unknown_table():
    line = one_line_error(run("data", "schema", "nope"))
    assert line.startswith("data schema: unknown table 'nope'; choose one of: sources")


def test_optimize_frontier_to_missing_directory_fails_first(tmp_path):
    out = run("optimize", "--frontier", "/nonexistent/x.html", "--db", str(tmp_path / "r.db"))
    assert one_line_error(out) == "optimize --frontier: directory /nonexistent does not exist"
    assert not (tmp_path / "r.db").exists()


def test_unreachable_scheduler_is_one_line(tmp_path):
    out = run("simulate", "--scenario", "CN_2025_10_full_controls", "--samples", "64",
              "--scheduler", "tcp://127.0.0.1:1", "--db", str(tmp_path / "r.db"))
    assert one_line_error(out).startswith(
        "simulate: cannot reach the Dask scheduler at tcp://127.0.0.1:1")


def test_negative_seed_names_the_option():
    for cmd in (["simulate", "--scenario", "CN_2025_10_full_controls"], ["optimize"],
                ["report"]):
        out = run(*cmd, "--seed", "-1")
        assert out.returncode == 2 and "'--seed'" in out.stderr, out.stderr


def test_empty_token_name_is_refused(tmp_path):
    line = one_line_error(run("token", "create", "", "--db", str(tmp_path / "r.db")))
    assert "token name ''" in line


def test_huge_sample_count_is_estimated_and_refused(tmp_path):
    out = run("simulate", "--scenario", "CN_2025_10_full_controls", "--samples",
              "10000000000", "--db", str(tmp_path / "r.db"))
    line = [x for x in out.stderr.splitlines() if not x.startswith("warning:")]
    assert out.returncode == 2 and len(line) == 1, out.stderr
    assert "would take about" in line[0] and " TB " in line[0] and "--yes" in line[0]


def test_ctrl_c_in_simulate_stops_cleanly_without_worker_tracebacks(tmp_path):
    proc = subprocess.Popen(
        [*CLI, "simulate", "--scenario", "CN_2025_10_full_controls", "--samples", "400000",
         "--workers", "2", "--db", str(tmp_path / "r.db"), "--no-compare-response"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    parts = tmp_path / "r.db.parts"
    deadline = time.monotonic() + 90
    while not parts.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)  # the run has begun (its folder of parts exists)
    time.sleep(1.0)
    assert proc.poll() is None, proc.communicate()
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C sends: the whole group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "simulate: interrupted" in err
    listed = run("runs", "list", "--db", str(tmp_path / "r.db"), "--json")
    assert [r["status"] for r in json.loads(listed.stdout)] == ["interrupted"], listed.stdout


def test_second_writer_gets_one_line_naming_the_holder(tmp_path):
    db = tmp_path / "r.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""\
            import sys, time
            from critmin.store import ResultsStore
            from critmin.store.lock import lock_for
            ResultsStore({str(db)!r})
            with lock_for({str(db) + ".lock"!r}).hold():
                print("holding", flush=True)
                time.sleep(60)
            """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        env = {**os.environ, "CRITMIN_STORE_WAIT": "1"}
        out = subprocess.run([*CLI, "simulate", "--scenario", "CN_2025_10_full_controls",
                              "--samples", "64", "--db", str(db)], capture_output=True,
                             text=True, timeout=120, env=env)
        line = one_line_error(out, 1)
        assert "busy" in line and f"pid {holder.pid}" in line
    finally:
        holder.kill()
        holder.wait()
