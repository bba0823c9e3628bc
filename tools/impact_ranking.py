"""Compute the impact-based criticality ranking shipped for the brief.

Usage: ``python tools/impact_ranking.py [SAMPLES] [COUNTRY ...]`` (default 16 samples, USA
and JPN; 10-25 minutes per country on two shared cores). Writes
``src/critmin/data/io_tables/impact_ranking.csv``: the output of
:func:`critmin.workflows.criticality.rank_commodities`, seed 0, replacing the rows of the
countries named and keeping the others. Rerun after the data or the market model change.
"""

from __future__ import annotations

import sys

import pandas as pd

from critmin.metrics.impact import io_dir
from critmin.model.network import load
from critmin.workflows.criticality import RANKING_FILE, rank_commodities


def main(samples: int = 16, countries: tuple[str, ...] = ("USA", "JPN")) -> None:
    net = load()
    path = io_dir() / RANKING_FILE
    old = pd.read_csv(path) if path.exists() else pd.DataFrame({"country": []})
    out = [old[~old["country"].isin(countries)]]
    for country in countries:
        r = rank_commodities(net, country, samples=samples, seed=0)
        r.insert(0, "country", country)
        out.append(r)
        pd.concat(out).to_csv(path, index=False, float_format="%.6g")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 16,
         tuple(sys.argv[2:]) or ("USA", "JPN"))
