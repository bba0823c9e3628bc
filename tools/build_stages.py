"""Build critmin's stage, by-product and Japan tables from curated transcriptions.

Run from the repository root (after ``tools/build.py``, which calls it last):

    python tools/build_stages.py [--shared ../shared/data]

Inputs: ``tools/curated/stages/*.csv`` (figures transcribed from cited publications, one
source per row; source ids start with ``stg_``) and, only for host metals that the main
build does not ship, the USGS MCS 2024 world files in ``../shared/data``.

Outputs (``src/critmin/data/tables/``): the tables ``producers``, ``byproducts``,
``recovery_capacity``, ``stockpiles``, ``trade_volumes``, ``magnet_grades`` and
``separation_feed``; rows added to
``production`` (separation and germanium refining stage rows, never replacing a row the main
build ships), ``import_reliance`` (Japan's consumption), ``gaps`` and ``sources``. Earlier
rows of this script (source id ``stg_*``) are replaced, so reruns give the same files.
Every table is validated before anything is written.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

from build_common import write_csv
from countries import iso3

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "critmin" / "data" / "tables"
STAGES_DIR = ROOT / "tools" / "curated" / "stages"
PREFIX = "stg_"

NEW_TABLES = ("producers", "byproducts", "recovery_capacity", "stockpiles", "trade_volumes",
              "magnet_grades", "separation_feed")
APPENDED = {  # shipped table -> curated file whose rows are added to it
    "production": "stage_production", "import_reliance": "japan_consumption",
    "gaps": "gaps", "sources": "sources",
}
HOSTS = {  # host commodity -> (USGS file code, name, unit basis, {Type prefix: stage})
    "alumina": ("bauxi", "Alumina", "alumina, calcined equivalent weight",
                {"Refinery production": "refining"}),
    "zinc": ("zinc", "Zinc", "zinc content of concentrates and direct shipping ore",
             {"Mine production": "mine"}),
    "copper": ("coppe", "Copper", "copper content (mine: recoverable; refinery: refined)",
               {"Mine production": "mine", "Refinery production": "refining"}),
    "lead": ("lead", "Lead", "lead content of mine output", {"Mine production": "mine"}),
}


def read_csv(path: Path) -> pd.DataFrame:
    """A CSV as strings, cells exactly as written."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def curated() -> dict[str, pd.DataFrame]:
    """The curated transcriptions, by file stem."""
    return {p.stem: read_csv(p) for p in sorted(STAGES_DIR.glob("*.csv"))}


def _key(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    return df[cols].astype(str).agg("|".join, axis=1)


def _number(cell: str) -> float | None:
    text = cell.replace(",", "").strip().lstrip("e")
    try:
        return float(text)
    except ValueError:
        return None


def host_rows(host: str, shared: Path) -> tuple[dict, list[dict], dict]:
    """Commodity row, production rows (2022-2023) and source row of a host metal."""
    code, name, basis, types = HOSTS[host]
    path = shared / "usgs-mcs2024" / "world" / f"mcs2024-{code}_world.csv"
    sid = f"{PREFIX}usgs_mcs2024_{code}"

    rows = []
    with path.open(encoding="utf-8-sig") as fh:
        body = [r for r in csv.reader(fh) if len(r) > 4 and r[1].strip()][1:]
    for r in body:
        stage = next((s for t, s in types.items() if r[2].startswith(t)), None)
        if stage is None:
            continue
        country, est = iso3(r[1])
        for year, cell in ((2022, r[3]), (2023, r[4])):
            value = _number(cell)
            if value is None:
                continue
            flagged = est or year == 2023 or cell.strip().startswith("e")
            rows.append(dict(commodity=host, stage=stage, country=country, year=str(year),
                             value=f"{round(value * 1000, 3):.15g}", unit="t",
                             estimated="true" if flagged else "false",
                             method="USGS estimate" if flagged else "", source_id=sid,
                             note="host metal of by-products (tools/build_stages.py)"))
    commodity = dict(commodity=host, name=name, group="base_metal", unit="t", basis=basis,
                     parent="", hs_codes="", source_id=sid)
    source = dict(source_id=sid, publisher="U.S. Geological Survey",
                  title=f"Mineral Commodity Summaries 2024 - data release ({name})",
                  table=f"world/mcs2024-{code}_world.csv", year="2024",
                  url="https://doi.org/10.3133/mcs2024", licence="public domain",
                  primary="true", note="")
    return commodity, rows, source


def add_missing_hosts(tables: dict[str, pd.DataFrame], cur: dict[str, pd.DataFrame],
                      shared: Path) -> None:
    """Ship host metals of by-products that the main build does not ship (none if it does)."""
    known = set(tables["commodities"]["commodity"])
    for host in sorted(set(cur["byproducts"]["host"]) - known):
        if host not in HOSTS:
            raise SystemExit(f"tools/curated/stages/byproducts.csv: host {host!r} is not a "
                             "commodity and has no USGS fallback in HOSTS")
        commodity, rows, source = host_rows(host, shared)
        tables["commodities"] = pd.concat([tables["commodities"], pd.DataFrame([commodity])])
        tables["production"] = pd.concat([tables["production"], pd.DataFrame(rows)])
        cur["sources"] = pd.concat([cur["sources"], pd.DataFrame([source])])


def without_own(df: pd.DataFrame) -> pd.DataFrame:
    """Rows not written by an earlier run of this script; ``attrs['at']`` is the position of
    our earlier rows (so a rerun puts ours back in place and other rows keep their order)."""
    if "source_id" not in df:
        return df
    own = df["source_id"].str.startswith(PREFIX).to_numpy()
    rest = df[~own].reset_index(drop=True)
    rest.attrs["at"] = int(own.argmax()) if own.any() else len(rest)
    return rest


def merged(name: str, shipped: pd.DataFrame, rows: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Shipped rows with ours inserted where they were (else appended); a key the main
    build already ships keeps its row."""
    have = set(_key(shipped, key))
    fresh = rows[~_key(rows, key).isin(have)]
    at = shipped.attrs.get("at", len(shipped))
    return pd.concat([shipped.iloc[:at], fresh, shipped.iloc[at:]], ignore_index=True)


def build_tables(shared: Path, out_dir: Path = OUT) -> dict[str, pd.DataFrame]:
    """Every table this script writes, as string frames in schema column order."""
    from critmin.data.schemas import TABLES

    cur = curated()
    tables = {n: without_own(read_csv(out_dir / f"{n}.csv"))
              for n in ("commodities", "production", "import_reliance", "gaps", "sources")}
    add_missing_hosts(tables, cur, shared)
    out: dict[str, pd.DataFrame] = {"commodities": tables["commodities"]}
    for name, stem in APPENDED.items():
        key = ["source_id"] if name == "sources" else list(TABLES[name].key)
        out[name] = merged(name, tables[name], cur[stem].reindex(columns=tables[name].columns,
                                                                  fill_value=""), key)
    filled = set(_key(out["production"], ["commodity", "stage", "country", "year"]))
    gaps = out["gaps"]
    stale = (gaps["table"].eq("production")
             & _key(gaps, ["commodity", "stage", "country", "year"]).isin(filled)
             & ~gaps["source_id"].str.startswith(PREFIX))
    out["gaps"] = gaps[~stale]
    for name in NEW_TABLES:
        out[name] = cur[name]
    for name, df in out.items():
        cols = [c for c in TABLES[name].names if c in df.columns or TABLES[name].column(c).required]
        out[name] = df.reindex(columns=cols, fill_value="").sort_values(
            list(TABLES[name].key), kind="stable").reset_index(drop=True) \
            if name in NEW_TABLES else df.reindex(columns=cols, fill_value="")
    return out


def own_rows(out: dict[str, pd.DataFrame]) -> dict[str, set[int]]:
    """Spreadsheet row numbers (header = 1) of the rows this script writes, by table."""
    rows = {}
    for name, df in out.items():
        mine = df.index if name in NEW_TABLES else df.index[
            df.get("source_id", pd.Series("", index=df.index)).str.startswith(PREFIX)]
        rows[name] = {int(i) + 2 for i in mine} | {0, 1}
    return rows


def validate(out: dict[str, pd.DataFrame], out_dir: Path = OUT) -> None:
    """Validate what we write with the tables it refers to; exit 1 if a row of ours has a
    problem. Problems in rows of other builds are printed as warnings and do not block.
    """
    from critmin.data.io import find_table_files, read_raw, validate_raw
    from critmin.data.validate import DataValidationError

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        for path in out_dir.glob("*.csv"):
            shutil.copy(path, tmpdir / path.name)
        for name, df in out.items():
            write_csv(df, tmpdir / f"{name}.csv")
        raw = {n: read_raw(p) for n, p in find_table_files(tmpdir).items()
               if n in out or n in ("commodities", "sources")}
        try:
            validate_raw(raw)
            return
        except DataValidationError as exc:
            problems = exc.problems
        ours = own_rows(out)
        mine = [p for p in problems if p.row in ours.get(Path(p.file).stem, set())]
        others = len(problems) - len(mine)
        if others:
            print(f"build_stages: warning: {others} problem(s) in rows of other builds "
                  "(not ours; run `critmin data validate`)", file=sys.stderr)
        if mine:
            for p in mine:
                print(f"{Path(p.file).name}:{p.row}: {p.column}: {p.reason}", file=sys.stderr)
            print(f"build_stages: not written, {len(mine)} problem(s) in our rows",
                  file=sys.stderr)
            raise SystemExit(1)


def build(shared: Path | None = None, out_dir: Path = OUT) -> dict[str, int]:
    """Build, validate and write the tables in ``out_dir``; returns row counts by table."""
    shared = shared or ROOT.parent / "shared" / "data"
    out = build_tables(shared, out_dir)
    validate(out, out_dir)
    for name, df in out.items():
        write_csv(df, out_dir / f"{name}.csv")
    counts = {name: len(df) for name, df in out.items()}
    for name, n in counts.items():
        print(f"{name}: {n} rows")
    return counts


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data",
                    help="folder of the USGS data release (only read for missing host metals)")
    ap.add_argument("--tables", type=Path, default=OUT,
                    help="folder of the shipped tables to extend (default: the package's)")
    args = ap.parse_args(argv)
    build(args.shared, args.tables)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
