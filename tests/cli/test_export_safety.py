"""Spreadsheet-safe exports on the CLI paths, against a fixed literal oracle (not the
source's own prefix list): every payload that a spreadsheet would run leaves with a leading
apostrophe, everything else as it was, and an export reads back as the table it came from
(`data list T --csv` -> `data validate`: the USGS qualifier `--` included)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest

from critmin.data.io import shipped_dir
from critmin.store.export import neutralise_cell, unmark_cell
from tests.test_cli import run

# payload -> the cell a spreadsheet must receive (written out by hand, not derived)
ORACLE = {
    "=1+2": "'=1+2",
    "+1+1": "'+1+1",
    "-2+3": "'-2+3",
    "@SUM(A1)": "'@SUM(A1)",
    "\t=1": "'\t=1",
    "\r=1": "'\r=1",
    "＝1+2": "'＝1+2",
    "＋1": "'＋1",
    "－1": "'－1",
    "＠SUM(A1)": "'＠SUM(A1)",
    "﹦1+2": "'﹦1+2",
    "﹢1": "'﹢1",
    "﹣1": "'﹣1",
    "﹫SUM(A1)": "'﹫SUM(A1)",
    "x\r=1": "x\r=1",  # a lone CR inside a cell: kept, and quoted (else a new row there)
    "=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0",
    "--": "'--",
    "a=b": "a=b",
    " =1": " =1",
    "'quoted": "'quoted",
    "plain": "plain",
}


def test_neutralise_cell_matches_the_literal_oracle():
    assert {k: neutralise_cell(k) for k in ORACLE} == ORACLE
    assert neutralise_cell(-5.0) == -5.0 and neutralise_cell(3) == 3


def test_unmark_undoes_only_the_mark():
    assert {v: unmark_cell(v) for v in ORACLE.values()} == {v: k for k, v in ORACLE.items()}
    assert unmark_cell("'quoted") == "'quoted" and unmark_cell("''=1") == "''=1"


@pytest.fixture
def hostile_dir(tmp_path):
    """A user production table whose notes carry every payload of the oracle."""
    df = pd.read_csv(shipped_dir() / "production.csv", dtype=str, keep_default_na=False)
    rows = df[df["commodity"] == "gallium"].head(len(ORACLE)).copy()
    assert len(rows) == len(ORACLE)
    rows["note"] = list(ORACLE)
    rows.to_csv(tmp_path / "production.csv", index=False, lineterminator="\r\n")
    return tmp_path


# loading strips a cell's surrounding blanks, so these reach a table export as "=1"
STRIPPED = {" =1", "'\t=1", "'\r=1"}


def _notes_in(cells: list[list[str]]) -> set[str]:
    header, *rows = cells
    i = header.index("note")
    return {r[i] for r in rows}


def test_csv_on_stdout_and_in_a_file_carry_the_oracle_cells(hostile_dir, tmp_path):
    out = run("data", "list", "production", "--commodity", "gallium", "--csv",
              "--data", str(hostile_dir))
    assert out.returncode == 0, out.stderr
    from_stdout = _notes_in(list(csv.reader(io.StringIO(out.stdout, newline=""))))
    path = tmp_path / "g.csv"
    done = run("data", "list", "production", "--commodity", "gallium", "--csv", "-o",
               str(path), "--data", str(hostile_dir))
    assert done.returncode == 0, done.stderr
    with open(path, newline="", encoding="utf-8") as f:
        from_file = _notes_in(list(csv.reader(f)))
    assert set(ORACLE.values()) - STRIPPED <= from_file
    assert set(ORACLE.values()) - STRIPPED <= from_stdout


def test_xlsx_carries_the_oracle_cells_and_no_formula(hostile_dir, tmp_path):
    path = tmp_path / "g.xlsx"
    done = run("data", "list", "production", "--commodity", "gallium", "--xlsx", "-o",
               str(path), "--data", str(hostile_dir))
    assert done.returncode == 0, done.stderr
    ws = openpyxl.load_workbook(path).active
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    cells = [["" if c.value is None else str(c.value) for c in row] for row in ws.iter_rows()]
    # XML reads a CR inside a cell back as LF (XML 1.0 end-of-line handling)
    assert set(ORACLE.values()) - STRIPPED - {"x\r=1"} <= _notes_in(cells)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_round_trips_through_data_validate(tmp_path, fmt):
    """The documented own-data workflow: export a table, validate it untouched, load it
    with the same rows (qualifiers such as `--` as published)."""
    work = tmp_path / "mine"
    work.mkdir()
    done = run("data", "list", "production", f"--{fmt}", "-o",
               str(work / f"production.{fmt}"))
    assert done.returncode == 0, done.stderr
    checked = run("data", "validate", str(work))
    assert checked.returncode == 0, checked.stderr[:2000]
    shipped = pd.read_csv(shipped_dir() / "production.csv", dtype=str,
                          keep_default_na=False)
    assert "--" in set(shipped["qualifier"])  # the case the round trip is about
    again = run("data", "list", "production", "--csv", "--data", str(work))
    assert again.returncode == 0, again.stderr
    first = run("data", "list", "production", "--csv")
    assert again.stdout == first.stdout


def test_excel_workbooks_hold_control_characters_and_zoned_times():
    """openpyxl refuses XML-illegal control characters and pandas refuses zoned times: the
    workbook gets U+FFFD and naive UTC instead of failing part-way."""
    import io

    import pandas as pd

    from critmin.store.export import xlsx_bytes

    df = pd.DataFrame({"commodity\x01": ["anti\x00mony", "=1+1"],
                       "at": pd.to_datetime(["2025-10-09 12:00", "2025-11-07 00:00"]
                                            ).tz_localize("Asia/Shanghai")})
    back = pd.read_excel(io.BytesIO(xlsx_bytes(df)))
    assert list(back.columns) == ["commodity\ufffd", "at"]
    assert back.iloc[:, 0].tolist() == ["anti\ufffdmony", "'=1+1"]
    assert back["at"].tolist() == [pd.Timestamp("2025-10-09 04:00"),
                                   pd.Timestamp("2025-11-06 16:00")]
