"""Build the `episode_index` and `episodes` tables from curated transcriptions.

Run from the repository root (alone, or through ``tools/build.py``):

    python tools/build_episodes.py

Inputs, in ``tools/curated/episodes/``:

- ``episode_index.csv``: one row per observed export-control episode (announced terms only);
- ``episodes.csv``: observed prices and export volumes, one row per value as published;
- ``sources.csv``: the publications those values come from (``primary`` true for the
  publisher's own page or data, false for a copy or a quote by someone else);
- ``gaps.csv``: values looked for and not found (table, commodity, country, year, reason),
  for the episodes and for the scenarios' announced terms (table ``scenarios``: a mining
  quota batch not found published).

Outputs: ``episode_index.csv`` and ``episodes.csv`` in ``src/critmin/data/tables/``, written
whole; the curated sources and gaps rows are merged into the shipped ``sources.csv`` and
``gaps.csv`` (rows with the same source id, or gap rows of tables ``episodes``,
``episode_index`` and ``scenarios``, are replaced; every other row is left as it is).
Running it twice gives the same files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "critmin" / "data" / "tables"
CURATED = ROOT / "tools" / "curated" / "episodes"
GAP_TABLES = ("episodes", "episode_index", "scenarios")  # scenarios: announced terms not found


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(CURATED / f"{name}.csv", dtype=str, keep_default_na=False)


def _columns(name: str) -> list[str]:
    sys.path.insert(0, str(ROOT / "src"))
    from critmin.data.schemas import TABLES

    return TABLES[name].names


def _write(df: pd.DataFrame, name: str) -> None:
    df.to_csv(OUT / f"{name}.csv", index=False, lineterminator="\n")
    print(f"{name}: {len(df)} rows")


def episode_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two episode tables from the curated files, columns as declared, sorted."""
    index = _read("episode_index")
    obs = _read("episodes")
    for frame, name in ((index, "episode_index"), (obs, "episodes")):
        missing = [c for c in _columns(name) if c not in frame]
        if missing:
            raise SystemExit(f"{CURATED / (name + '.csv')}: missing columns {missing}")
    index = index[_columns("episode_index")].sort_values("episode", kind="stable")
    obs = obs[_columns("episodes")].sort_values(
        ["episode", "commodity", "observable", "exporter", "destination", "basis", "date"],
        kind="stable")
    return index.reset_index(drop=True), obs.reset_index(drop=True)


def merged_sources(shipped: pd.DataFrame, mine: pd.DataFrame) -> pd.DataFrame:
    """Shipped sources with the curated episode sources replacing rows of the same id."""
    if "primary" not in shipped.columns:
        role = mine["primary"].str.lower().map({"true": "primary", "false": "secondary"})
        mine = mine.assign(note=(role + "; " + mine["note"]).str.rstrip("; "))
    mine = mine.reindex(columns=shipped.columns, fill_value="").set_index("source_id")
    out = shipped.set_index("source_id")
    present = out.index.intersection(mine.index)
    out.loc[present] = mine.loc[present]  # in place: a rebuild changes no row order
    new = mine[~mine.index.isin(out.index)]
    return pd.concat([out, new]).reset_index()


def merged_gaps(shipped: pd.DataFrame, mine: pd.DataFrame) -> pd.DataFrame:
    """Shipped gaps with the episode gap rows replaced by the curated ones, kept where
    the first of them stood (at the end when there was none)."""
    ours = shipped["table"].isin(GAP_TABLES)
    at = int(ours.to_numpy().argmax()) if ours.any() else len(shipped)
    rest = shipped[~ours]
    before = rest[rest.index < shipped.index[at]] if at < len(shipped) else rest
    after = rest.drop(before.index)
    mine = mine.reindex(columns=shipped.columns, fill_value="")
    return pd.concat([before, mine, after], ignore_index=True)


def build() -> None:
    """Write the episode tables and merge their sources and gaps into the shipped ones."""
    index, obs = episode_tables()
    _write(index, "episode_index")
    _write(obs, "episodes")
    shipped = pd.read_csv(OUT / "sources.csv", dtype=str, keep_default_na=False)
    _write(merged_sources(shipped, _read("sources")), "sources")
    shipped = pd.read_csv(OUT / "gaps.csv", dtype=str, keep_default_na=False)
    _write(merged_gaps(shipped, _read("gaps")), "gaps")


if __name__ == "__main__":
    build()
