"""Spreadsheet-safe exports: every CSV/XLSX writer goes through :func:`safe_frame`.

A text cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) is read
as a formula by Excel, LibreOffice and Google Sheets; a commodity id such as
``=cmd|' /C calc'!A0`` would run when the file is opened. Such cells get a leading
apostrophe, which spreadsheets show as text and do not evaluate (the OWASP "CSV
injection" advice); the full-width forms (``＝ ＋ － ＠``, which an East Asian input method
or Excel's own conversion turns into the ASCII ones) are treated alike. Numbers stay
numbers: only text cells and column names change.

The mark is undone on read (:func:`unmark_cell`, used by ``critmin.data.io``), so an
export is a valid user table again: the USGS qualifier ``--`` leaves as ``'--`` and
comes back as ``--``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
MARK = "'"
"""Leading apostrophe that makes a formula-starting cell text (and is removed on read)."""
CSV_EOL = "\r\n"
"""RFC 4180 line end; with it a cell holding a lone CR is quoted too (with "\n" pandas would
leave it bare, and a spreadsheet would start a new row, and maybe a formula, there)."""
XLSX_MAX_ROWS = 1_048_576
"""Rows of one Excel sheet, the header included (Excel specifications and limits)."""
XLSX_MAX_CELLS = 1_000_000
"""Cells critmin writes to one workbook: openpyxl writes some 10^4-10^5 cells a second, so
larger tables go to csv or parquet instead of tying up a server for minutes."""


class ExportTooLarge(ValueError):
    """The table does not fit the format (Excel: 1,048,576 rows per sheet)."""


def neutralise_cell(value):
    """``value`` made inert for spreadsheets: text starting a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return MARK + value
    return value


def unmark_cell(value):
    """Inverse of :func:`neutralise_cell`: ``'=x`` -> ``=x``; other values unchanged."""
    if isinstance(value, str) and value.startswith(MARK) and \
            value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names cannot start a formula."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise_cell)
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return out


def write_export(df: pd.DataFrame, path: str | Path, fmt: str | None = None) -> Path:
    """Write ``df`` as csv, xlsx or parquet (from ``fmt`` or the suffix), atomically
    (temporary file + rename); CSV and XLSX cells are neutralised."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".") or "csv").lower()
    if fmt == "xlsx" and len(df) + 1 > XLSX_MAX_ROWS:
        raise ExportTooLarge(f"{len(df):,} rows do not fit one Excel sheet "
                             f"({XLSX_MAX_ROWS - 1:,} at most); export csv or parquet")
    if fmt == "xlsx" and df.size > XLSX_MAX_CELLS:
        raise ExportTooLarge(f"{df.size:,} cells are more than critmin writes to Excel "
                             f"({XLSX_MAX_CELLS:,}); export csv or parquet")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if fmt == "csv":
            safe_frame(df).to_csv(tmp, index=False, lineterminator=CSV_EOL)
        elif fmt == "xlsx":
            safe_frame(df).to_excel(tmp, index=False, engine="openpyxl")
        elif fmt == "parquet":
            df.to_parquet(tmp, index=False)
        else:
            raise ValueError(f"unknown export format {fmt!r}; choose csv, xlsx or parquet")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (temporary file + rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
