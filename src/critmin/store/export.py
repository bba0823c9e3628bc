"""Spreadsheet-safe exports: every CSV/XLSX writer goes through :func:`safe_frame`.

A text cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) is read
as a formula by Excel, LibreOffice and Google Sheets; a commodity id such as
``=cmd|' /C calc'!A0`` would run when the file is opened. Such cells get a leading
apostrophe, which spreadsheets show as text and do not evaluate (the OWASP "CSV
injection" advice); the full-width forms (``＝ ＋ － ＠``) and the small forms (``﹦ ﹢ ﹣
﹫``), which an East Asian input method or Excel's own conversion turns into the ASCII ones,
are treated alike. Numbers stay numbers: only text cells and column names change.

The mark is undone on read (:func:`unmark_cell`, used by ``critmin.data.io``), so an
export is a valid user table again: the USGS qualifier ``--`` leaves as ``'--`` and
comes back as ``--``.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠", "﹦", "﹢", "﹣", "﹫")
MARK = "'"
"""Leading apostrophe that makes a formula-starting cell text (and is removed on read)."""
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Characters XML 1.0, hence an XLSX cell, cannot hold (openpyxl refuses them)."""
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


def check_excel_size(rows: int, cols: int) -> None:
    """Refuse (ExportTooLarge) a table of ``rows`` x ``cols`` that one Excel sheet written by
    critmin cannot hold, before any work is done."""
    if rows + 1 > XLSX_MAX_ROWS:
        raise ExportTooLarge(f"{rows:,} rows do not fit one Excel sheet "
                             f"({XLSX_MAX_ROWS - 1:,} at most); export csv or parquet")
    if rows * cols > XLSX_MAX_CELLS:
        raise ExportTooLarge(f"{rows:,} rows x {cols} columns are more cells than critmin "
                             f"writes to Excel ({XLSX_MAX_CELLS:,}); export csv or parquet")


def excel_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` as a worksheet can hold it: cells neutralised (:func:`safe_frame`), control
    characters that the XLSX format forbids (U+0000-U+001F but tab, LF, CR) replaced by
    U+FFFD, and time-zone-aware times given as naive UTC (Excel has no time zones)."""
    out = safe_frame(df)
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[col] = s.dt.tz_convert("UTC").dt.tz_localize(None)
        elif s.dtype == object or pd.api.types.is_string_dtype(s):
            out[col] = s.map(_excel_text)
    out.columns = [_excel_text(c) for c in out.columns]
    return out


def _excel_text(value):
    return ILLEGAL_XML.sub("\ufffd", value) if isinstance(value, str) else value


def xlsx_bytes(df: pd.DataFrame) -> bytes:
    """One workbook (one sheet) holding ``df``, Excel-safe (:func:`excel_frame`)."""
    check_excel_size(*df.shape)
    out = io.BytesIO()
    excel_frame(df).to_excel(out, index=False, engine="openpyxl")
    return out.getvalue()


def write_export(df: pd.DataFrame, path: str | Path, fmt: str | None = None) -> Path:
    """Write ``df`` as csv, xlsx or parquet (from ``fmt`` or the suffix), atomically
    (temporary file + rename); CSV and XLSX cells are neutralised."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".") or "csv").lower()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if fmt == "csv":
            safe_frame(df).to_csv(tmp, index=False, lineterminator=CSV_EOL)
        elif fmt == "xlsx":
            tmp.write_bytes(xlsx_bytes(df))
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
