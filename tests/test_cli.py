"""End-to-end: the `critmin` command. `run` invokes it in this process (a fresh
interpreter per call adds ~2.5 s of imports and tests nothing more); `run_process` starts
the real `python -m critmin.cli` where the process itself is under test."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import traceback
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from critmin.cli import app
from critmin.data.io import shipped_dir

CLI = [sys.executable, "-m", "critmin.cli"]


def run(*args: str) -> subprocess.CompletedProcess:
    """`critmin ARGS` in this process, returned as a finished process would be: an uncaught
    exception becomes exit status 1 with its traceback on stderr, as the real command's."""
    result = CliRunner().invoke(app, list(args), prog_name="critmin")
    stderr, code = result.stderr, result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
        code = 1
    return subprocess.CompletedProcess(["critmin", *args], code, result.stdout, stderr)


def run_process(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m critmin.cli ARGS` as a real process."""
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout)


def test_list_commodities_json():
    out = run("data", "list", "commodities", "--json")
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)) >= 20


def test_validate_passes_on_shipped_data():
    out = run("data", "validate")
    assert out.returncode == 0, out.stderr
    assert "valid" in out.stdout


def test_validate_fails_on_corrupted_copy_with_one_line_per_problem(tmp_path: Path):
    shutil.copy(shipped_dir() / "production.csv", tmp_path / "production.csv")
    df = pd.read_csv(tmp_path / "production.csv", dtype=str, keep_default_na=False)
    df.loc[0, "unit"] = "kg"
    df.loc[1, "value"] = "-1"
    df.to_csv(tmp_path / "production.csv", index=False)
    out = run("data", "validate", str(tmp_path))
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 2
    pattern = re.compile(r"^.+production\.csv:(\d+): (\w+): .+$")
    assert [pattern.match(x).groups() for x in lines] == [("2", "unit"), ("3", "value")]


def test_summary_and_sources_json():
    out = run("data", "summary", "--json")
    assert out.returncode == 0, out.stderr
    rows = {r["commodity"]: r for r in json.loads(out.stdout)}
    assert rows["ree"]["top_country"] == "CHN"
    assert rows["ree"]["world_output"] == 390000
    src = json.loads(run("data", "sources", "--json").stdout)
    assert all(s["rows"] >= 0 for s in src)
    assert any(s["source_id"] == "usgs_mcs2025_ree" and s["rows"] > 0 for s in src)


def test_module_entry_point_has_every_command():
    """`python -m critmin.cli` runs the same app as the `critmin` script: the commands
    registered by the command modules (calibrate, backtest, sensitivity) included."""
    out = run_process("--help")
    assert out.returncode == 0, out.stderr
    for command in ("backtest", "calibrate", "sensitivity", "report", "serve", "simulate"):
        assert re.search(rf"^\W*{command}\b", out.stdout, flags=re.M), command
