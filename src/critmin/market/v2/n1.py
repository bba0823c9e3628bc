"""N-1 table of model v2: share of demand met per region when the largest supplier of each
stage is lost for a year (the generated ``n1:COMMODITY:STAGE`` scenarios).

Share met = consumption over the year of the outage / use wanted at pre-scenario prices
(1 - the ``shortfall`` of :func:`critmin.market.v2.simulate_paths`), at the commodity's
headline (last) stage, median over samples ("—" where the region uses none at baseline);
the peak ex-China price multiple beside it.

    python -m critmin.market.v2.n1 [--samples 128]   # prints the Markdown table
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from critmin.market.v2.network import REGIONS
from critmin.market.v2.paths import prepare, simulate_paths
from critmin.scenarios.presets import N1_QUARTERS, n1_scenarios


def n1_table(net, samples: int = 128, seed: int = 0) -> pd.DataFrame:
    """One row per (commodity, stage) with a v2 market: lost country and share, share of
    demand met per region (P50), peak ex-China price (P50)."""
    rows = []
    months = 3 * N1_QUARTERS
    shares = net.production_shares()
    for sid, sc in n1_scenarios(net).items():
        _, commodity, stage = sid.split(":")
        try:
            ds = simulate_paths(net, sc, samples=samples, seed=seed, months=months,
                                priors_only=True)
        except ValueError:
            continue  # no v2 baseline for this commodity
        if commodity not in ds.commodity.values:
            continue
        s = shares[(shares["commodity"] == commodity) & (shares["stage"] == stage)
                   & ~shares["country"].eq("OTHER")].sort_values("share").iloc[-1]
        short = ds["shortfall"].sel(commodity=commodity).values  # (S, H, R)
        m = prepare(net, sc, months).market
        uses = m.use0[m.headline[m.commodities.index(commodity)]] > 0
        met = np.where(uses[None], 1 - short.mean(axis=1), np.nan)  # NaN: region uses none
        row = dict(commodity=commodity, stage=stage, lost=s["country"],
                   lost_share=float(s["share"]))
        for k, r in enumerate(REGIONS):
            row[f"met_{r}"] = float(np.median(met[:, k]))
        row["peak_price_ex_china"] = float(np.median(
            ds["price_ex_china"].sel(commodity=commodity).values.max(axis=1)))
        rows.append(row)
    return pd.DataFrame(rows)


def markdown(t: pd.DataFrame) -> str:
    head = ("| commodity | stage | lost (share) | " + " | ".join(REGIONS)
            + " | peak ex-China price |")
    lines = [head, "|" + "---|" * (4 + len(REGIONS))]
    for r in t.itertuples(index=False):
        met = " | ".join("—" if np.isnan(getattr(r, f"met_{g}")) else
                         f"{getattr(r, f'met_{g}'):.0%}" for g in REGIONS)
        lines.append(f"| {r.commodity} | {r.stage} | {r.lost} ({r.lost_share:.0%}) | {met} "
                     f"| {r.peak_price_ex_china:.2f}x |")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    import critmin

    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=128)
    a = ap.parse_args()
    print(markdown(n1_table(critmin.load(), a.samples)))
