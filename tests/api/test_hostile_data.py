"""Hostile data and exports: the validator is fuzzed with generated cells whose verdict is
known in advance (so a validator letting `-5`, `inf` or `XYZ` through fails), a truncated
CSV is an error, and every CSV/XLSX cell a spreadsheet would evaluate is neutralised."""

from __future__ import annotations

import csv
import math
import re

import openpyxl
import pandas as pd
import pycountry
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.data.io import read_raw
from critmin.data.schemas import COMMODITY_ID, SPECIAL_COUNTRIES, TABLES
from critmin.data.validate import PARAMETER_RANGES, DataValidationError, check_rows
from critmin.store.export import FORMULA_START, neutralise_cell, safe_frame, write_export

from ..test_cli import run


def raw(table: str, rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, dtype=str)
    df["_file"] = f"{table}.csv"
    df["_row"] = range(2, len(df) + 2)
    return df


def param_row(name: str, value: str) -> dict:
    return {"scope": "gallium", "parameter": name, "value": value, "low": "", "high": "",
            "unit": "-", "status": "fact", "method": "", "source_id": "s", "note": ""}


def flagged(problems, column: str) -> bool:
    return any(p.column == column for p in problems)


NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["0", "-5", "1e9", "inf", "-inf", "nan", "5", "5.0000001", "1e-300",
                     "0.3", "XYZ", " 0.2 ", "1,5"]))


def expected_ok(text: str, lo: float, hi: float) -> bool:
    if "," in text and not re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", text):
        return False  # a decimal comma ("1,5") is refused, not read as 15
    try:
        v = float(text.replace(",", ""))
    except ValueError:
        return False
    return math.isfinite(v) and lo < v <= hi


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(PARAMETER_RANGES)), value=NUMBERS)
def test_parameter_ranges_have_a_known_verdict(name, value):
    lo, hi = PARAMETER_RANGES[name]
    _, problems = check_rows(TABLES["parameters"], raw("parameters", [param_row(name, value)]))
    assert flagged(problems, "value") == (not expected_ok(value.strip(), lo, hi)), \
        (value, problems)


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.from_regex(COMMODITY_ID, fullmatch=True),
                       st.text(max_size=12),
                       st.sampled_from(["=cmd|' /C calc'!A0", "rare earths", "Gallium",
                                        "+1", "@x", "_x", "a" * 41, "-5"])))
def test_commodity_ids_have_a_known_verdict(value):
    row = {"commodity": value, "name": "x", "group": "battery", "unit": "t", "basis": "x",
           "parent": "", "hs_codes": "", "source_id": "s"}
    row = {c.name: row.get(c.name, "") for c in TABLES["commodities"].columns}
    _, problems = check_rows(TABLES["commodities"], raw("commodities", [row]))
    import re

    text = value.strip()
    ok = text != "" and text.lower() not in {"nan", "none", "<na>"} and \
        re.fullmatch(COMMODITY_ID, text) is not None
    assert flagged(problems, "commodity") == (not ok), (value, problems)


@settings(max_examples=200, deadline=None)
@given(code=st.one_of(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3),
                      st.sampled_from(["XYZ", "ZZZ", "USA", "usa", "WORLD", "OTHER", "U S"])))
def test_country_codes_have_a_known_verdict(code):
    row = {c.name: "" for c in TABLES["production"].columns}
    row.update(commodity="gallium", stage="refining", country=code, year="2024",
               value="1", unit="t", source_id="s")
    _, problems = check_rows(TABLES["production"], raw("production", [row]))
    ok = code in SPECIAL_COUNTRIES or pycountry.countries.get(alpha_3=code) is not None
    assert flagged(problems, "country") == (not ok), (code, problems)


def test_truncated_csv_is_an_error(tmp_path):
    path = tmp_path / "sources.csv"
    path.write_text('source_id,publisher,title\ns1,USGS,"Mineral Commodity Sum')
    with pytest.raises(DataValidationError) as exc:
        read_raw(path)
    assert "truncated" in str(exc.value) and "sources.csv:2" in str(exc.value)


def test_data_validate_names_file_row_column_for_a_formula_id(tmp_path):
    (tmp_path / "commodities.csv").write_text(
        "commodity,name,group,unit,basis,parent,hs_codes,source_id\n"
        "\"=cmd|' /C calc'!A0\",x,battery,t,x,,,usgs_mcs_2024\n")
    r = run("data", "validate", str(tmp_path))  # in this process, as the command answers
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert any(line.startswith(f"{tmp_path / 'commodities.csv'}:2: commodity: ")
               for line in r.stderr.splitlines()), r.stderr


HOSTILE = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "plain", ""]


def test_neutralise_cell():
    for text in HOSTILE:
        out = neutralise_cell(text)
        assert not str(out).startswith(FORMULA_START)
        assert out.lstrip("'") == text.lstrip("'") or out == text
    assert neutralise_cell(-5.0) == -5.0 and neutralise_cell(3) == 3


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_have_no_formula_cells(tmp_path, fmt):
    df = pd.DataFrame({"commodity": HOSTILE, "value": range(len(HOSTILE)),
                       "=bad column": HOSTILE[::-1]})
    path = write_export(df, tmp_path / f"out.{fmt}")
    if fmt == "csv":
        with open(path, newline="") as f:
            cells = [c for row in csv.reader(f) for c in row]
    else:
        ws = openpyxl.load_workbook(path).active
        cells = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    text = [c for c in cells if isinstance(c, str)]
    assert text and not any(c.startswith(FORMULA_START) for c in text)
    assert "'=cmd|' /C calc'!A0" in text
    assert list(safe_frame(df)["value"]) == list(range(len(HOSTILE)))


def test_assess_csv_cells_are_safe(tmp_path):
    out = tmp_path / "a.csv"
    r = run("assess", "--csv", str(out))
    assert r.returncode == 0, r.stderr
    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    for cell in (c for row in rows for c in row):
        try:
            float(cell)
        except ValueError:
            assert not cell.startswith(FORMULA_START), cell
