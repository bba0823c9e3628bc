"""Compute the impact-based criticality ranking shipped for the brief.

Usage: ``python tools/impact_ranking.py [SAMPLES]`` (default 16; about 3-4 minutes per
country on two cores). Writes ``src/critmin/data/io_tables/impact_ranking.csv``: the output
of :func:`critmin.workflows.criticality.rank_commodities` for the USA and Japan, seed 0.
Rerun after the data or the market model change.
"""

from __future__ import annotations

import sys

import pandas as pd

from critmin.metrics.impact import io_dir
from critmin.model.network import load
from critmin.workflows.criticality import RANKING_FILE, rank_commodities


def main(samples: int = 16) -> None:
    net = load()
    out = []
    for country in ("USA", "JPN"):
        r = rank_commodities(net, country, samples=samples, seed=0)
        r.insert(0, "country", country)
        out.append(r)
    pd.concat(out).to_csv(io_dir() / RANKING_FILE, index=False, float_format="%.6g")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 16)
