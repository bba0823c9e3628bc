"""Read shipped and user tables (CSV, Parquet, Excel), merge overrides, validate.

A user directory may hold any of the tables as ``<table>.csv``, ``<table>.parquet`` or
``<table>.xlsx``. Its rows override shipped rows with the same key and extend the table
with new keys. Nothing is loaded unless every table passes validation.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from critmin.data.schemas import TABLES
from critmin.data.validate import (
    BOOK,
    DataValidationError,
    Problem,
    check_benchmark_prices,
    check_references,
    check_rows,
    check_totals,
)
from critmin.store.export import MARK, unmark_cell

SUFFIXES = (".csv", ".parquet", ".xlsx")


def shipped_dir() -> Path:
    """Directory of the tables shipped inside the package."""
    return Path(str(resources.files("critmin.data") / "tables"))


def check_csv_syntax(path: Path) -> None:
    """Raise DataValidationError for malformed CSV: a quoted field cut off by the end of
    the file (a truncated file) or text after a closing quote; pandas would read both
    silently as a shortened or merged value."""
    import csv

    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, strict=True)
        try:
            for _ in reader:
                pass
        except csv.Error as exc:
            reason = str(exc)
            if "unexpected end of data" in reason or "EOF" in reason:
                reason = "file ends inside a quoted field (truncated file?)"
            raise DataValidationError([Problem(str(path), reader.line_num, "-",
                                               f"malformed CSV: {reason}")]) from exc


def read_raw(path: Path) -> pd.DataFrame:
    """Read one table file as strings, adding ``_file`` and ``_row`` (header = row 1)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            check_csv_syntax(path)
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        elif suffix == ".parquet":
            df = pd.read_parquet(path).astype("string").fillna("").astype(str)
        elif suffix == ".xlsx":
            df = pd.read_excel(path, dtype=str, keep_default_na=False)
        else:
            raise DataValidationError([Problem(str(path), 0, "-", f"unsupported format {suffix}")])
    except DataValidationError:
        raise
    except Exception as exc:  # unreadable file: report it in the standard form
        raise DataValidationError([Problem(str(path), 0, "-", f"cannot read file: {exc}")]) from exc
    df.columns = [str(c).strip() for c in df.columns]
    df = _unmark(df)
    df["_file"] = str(path)
    df["_row"] = range(2, len(df) + 2)
    return df


def _unmark(df: pd.DataFrame) -> pd.DataFrame:
    """Undo the spreadsheet-safety mark of critmin's own exports (``'--`` -> ``--``,
    store.export), so an exported table validates and loads as it was."""
    marked = [c for c in df.columns if df[c].str.startswith(MARK).any()]
    for c in marked:
        df[c] = df[c].map(unmark_cell)
    return df


def normalise_raw(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """A user table's spellings that mean the shipped value, written as it is: country
    codes in upper case (``chn`` is ``CHN``), whole numbers without a fraction (``2022.0``
    is ``2022``), so the row replaces the shipped row with the same key instead of being
    a second row beside it."""
    for col in TABLES[name].columns:
        if col.name not in df:
            continue
        if col.country:
            df[col.name] = df[col.name].astype(str).str.strip().str.upper()
        elif col.dtype == "int":
            df[col.name] = df[col.name].astype(str).str.strip().str.replace(
                r"^([+-]?\d+)\.0*$", r"\1", regex=True)
    return df


def find_table_files(directory: Path) -> dict[str, Path]:
    """Table files in a directory, by table name; two formats of one table is an error."""
    found: dict[str, Path] = {}
    problems = []
    for name in TABLES:
        paths = [directory / f"{name}{s}" for s in SUFFIXES if (directory / f"{name}{s}").exists()]
        if len(paths) > 1:
            problems.append(Problem(str(paths[1]), 0, "-",
                                    f"table '{name}' given twice (also {paths[0].name})"))
        elif paths:
            found[name] = paths[0]
    if problems:
        raise DataValidationError(problems)
    return found


def _merge(shipped: pd.DataFrame | None, user: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """User rows replace shipped rows with the same key and add new ones."""
    if shipped is None:
        return user
    ukeys = set(map(tuple, user.reindex(columns=key).astype(str).apply(
        lambda s: s.str.strip()).to_numpy()))
    skeys = shipped.reindex(columns=key).astype(str).apply(lambda s: s.str.strip())
    keep = [tuple(k) not in ukeys for k in skeys.to_numpy()]
    return pd.concat([shipped[keep], user], ignore_index=True)


def read_tables(path: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """Typed tables from the shipped data, overridden/extended by ``path`` if given.

    Raises :class:`DataValidationError` listing every problem; returns nothing partial.
    """
    shipped = {name: _shipped(name, p) for name, p in find_table_files(shipped_dir()).items()}
    raw = {name: t[0] for name, t in shipped.items()}
    if path is not None:
        directory = Path(path)
        if not directory.is_dir():
            raise DataValidationError([Problem(str(directory), 0, "-", "not a directory")])
        problems = unknown_table_files(directory)
        user = {name: normalise_raw(name, read_raw(p))
                for name, p in find_table_files(directory).items()}
        for name, df in user.items():
            problems += [Problem(str(df["_file"].iloc[0]) if len(df) else name, 1, c.name,
                                 f"missing column {c.name!r}")
                         for c in TABLES[name].columns if c.required and c.name not in df]
        if problems:
            raise DataValidationError(problems)
        for name, df in user.items():
            raw[name] = _merge(raw.get(name), df, list(TABLES[name].key))
    return validate_raw(raw, {name: t[1:] for name, t in shipped.items()
                              if raw[name] is t[0]})


_SHIPPED: dict[tuple, tuple] = {}
"""Shipped tables read and row-checked once per process: (table, file, mtime, size) ->
(raw, typed, problems). A data directory that overrides a table is checked afresh; the
cross-table checks run on every load."""


def _shipped(name: str, path: Path) -> tuple:
    """(raw, typed, row problems) of the shipped table ``name`` in ``path``."""
    st = path.stat()
    key = (name, str(path), st.st_mtime_ns, st.st_size)
    if key not in _SHIPPED:
        raw = read_raw(path)
        _SHIPPED[key] = (raw, *check_rows(TABLES[name], raw))
    return _SHIPPED[key]


def unknown_table_files(directory: Path) -> list[Problem]:
    """Data files whose name is no table (``producton.csv``): an error, not ignored."""
    import difflib

    problems = []
    for p in sorted(directory.iterdir()):
        if p.suffix.lower() not in SUFFIXES or p.stem in TABLES or p.name.startswith("."):
            continue
        near = difflib.get_close_matches(p.stem, list(TABLES), n=1)
        hint = f"did you mean {near[0]}{p.suffix}?" if near else \
            f"tables: {', '.join(TABLES)}"
        problems.append(Problem(str(p), 0, "-", f"not a table name ({hint})"))
    return problems


def validate_raw(raw: dict[str, pd.DataFrame],
                 checked: dict[str, tuple] | None = None) -> dict[str, pd.DataFrame]:
    """Check raw tables; return typed tables (without bookkeeping columns) or raise.
    ``checked``: (typed, row problems) of tables whose rows were checked before."""
    typed: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for name, df in raw.items():
        typed[name], found = (checked or {}).get(name) or check_rows(TABLES[name], df)
        problems += found
    problems += check_references(typed)
    problems += check_totals(typed)
    problems += check_benchmark_prices(typed)
    if problems:
        raise DataValidationError(problems)
    return {
        name: df.drop(columns=BOOK).reset_index(drop=True)
        for name, df in typed.items()
    }
