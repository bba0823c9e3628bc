"""Pre-shock market baseline per commodity, built from the Network, with provenance.

Two segments per commodity: China's domestic market and the ex-China market, which is
split into the importers USA, JPN and the rest of the world (ROW). Quantities are t per
year of the commodity's unit, prices USD per t.

Where the data lack a quantity the baseline states the estimate it uses instead
(``*_basis`` columns): China's net export share of its output is a prior range unless a
source gives exports and production; importer shares of ex-China demand use U.S. apparent
consumption (USGS) where known, else shares of world import value (CEPII BACI 2024).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmin.data.benchmark import benchmark_basis, benchmark_rows, benchmark_usd_t
from critmin.metrics.concentration import chokepoints
from critmin.model.network import Network

REGIONS = ("USA", "JPN", "ROW")
EXPORT_SHARE_PRIOR = (0.2, 0.6)
"""Prior range of China's net exports as a share of its output where no source gives it."""

CHINA_EXPORT_SHARE = {
    # commodity: (share, basis) from shipped sources
    "ndfeb_magnet": (58_152 / 260_000, "China magnet exports 2024 58,152 t (Adamas) / "
                     "output 260,000 t (SMM)"),
}


@dataclass(frozen=True)
class MarketBaseline:
    """Arrays indexed by commodity (C) and region (R = USA, JPN, ROW)."""

    commodities: tuple[str, ...]
    table: pd.DataFrame  # one row per commodity with every input and its basis
    region_share: np.ndarray  # (C, R) shares of ex-China demand
    dest_share: np.ndarray  # (C, R) shares of China's exports by destination
    producer_share: pd.DataFrame  # (commodity, country) -> share of world output

    def col(self, name: str) -> np.ndarray:
        return self.table[name].to_numpy(dtype=float)

    def index(self, commodity: str) -> int:
        return self.commodities.index(commodity)

    def select(self, commodities: list[str]) -> MarketBaseline:
        """The baseline restricted to ``commodities`` (in that order)."""
        rows = [self.index(c) for c in commodities]
        ps = self.producer_share
        return MarketBaseline(
            commodities=tuple(commodities), table=self.table.iloc[rows].reset_index(drop=True),
            region_share=self.region_share[rows], dest_share=self.dest_share[rows],
            producer_share=ps[ps.index.get_level_values("commodity").isin(commodities)])


def _price_usd_t(net: Network) -> pd.DataFrame:
    """Benchmark price per commodity in USD/t, with its basis and source; parents' prices for
    rare-earth elements lacking one is not assumed: those stay NaN."""
    p = benchmark_rows(net.prices)
    return pd.DataFrame({"price_usd_t": benchmark_usd_t(net.prices), "price_year": p["year"],
                         "price_basis": benchmark_basis(net.prices),
                         "price_source": p["source_id"]})


def _world_output(net: Network) -> pd.DataFrame:
    """Latest published world total per commodity (largest stage), t per year."""
    w = net.production[net.production["country"].eq("WORLD")]
    w = w.sort_values(["year", "value"]).groupby("commodity").tail(1).set_index("commodity")
    return pd.DataFrame({"world_output_t": w["value"], "output_stage": w["stage"],
                         "output_year": w["year"], "output_source": w["source_id"]})


def _import_value_shares(net: Network) -> pd.DataFrame:
    """Importer shares of world import value excluding China's imports (BACI, latest)."""
    f = net.flows[net.flows["year"].eq(net.flows["year"].max())]
    f = f[~f["importer"].eq("CHN") & ~f["exporter"].eq(f["importer"])]
    tot = f.groupby("commodity")["value"].sum()
    by = f.groupby(["commodity", "importer"])["value"].sum().unstack(fill_value=0.0)
    shares = by.div(tot, axis=0)
    out = pd.DataFrame({r: shares.get(r, 0.0) for r in ("USA", "JPN")})
    china_exp = net.flows[net.flows["year"].eq(net.flows["year"].max())
                          & net.flows["exporter"].eq("CHN")]
    ctot = china_exp.groupby("commodity")["value"].sum()
    cby = china_exp.groupby(["commodity", "importer"])["value"].sum().unstack(fill_value=0.0)
    for r in ("USA", "JPN"):
        out[f"cn_to_{r}"] = cby.get(r, 0.0) / ctot
    return out


def build_baseline(net: Network, commodities: list[str] | None = None) -> MarketBaseline:
    """Baseline for every commodity with a world output and a price (or those asked)."""
    parent = net.commodities.set_index("commodity")["parent"].fillna("")
    chk = chokepoints(net).set_index("commodity")
    t = _world_output(net).join(_price_usd_t(net), how="inner")
    t["china_share"] = chk["china_share"].reindex(t.index).astype(float)
    t["china_share_stage"] = chk["chokepoint_stage"].reindex(t.index)
    low, high = EXPORT_SHARE_PRIOR
    t["export_share_low"], t["export_share_high"] = low, high
    t["export_share_basis"] = f"prior U({low}, {high})"
    for c, (share, why) in CHINA_EXPORT_SHARE.items():
        if c in t.index:
            t.loc[c, ["export_share_low", "export_share_high"]] = share
            t.loc[c, "export_share_basis"] = why
    if commodities:
        missing = sorted(set(commodities) - set(t.index))
        if missing:
            raise ValueError(f"no market baseline (world output and price) for: "
                             f"{', '.join(missing)}")
        t = t.loc[commodities]
    t["export_share_mid"] = (t["export_share_low"] + t["export_share_high"]) / 2
    # ex-China demand at baseline (China's net exports at the prior midpoint)
    t["ex_china_demand_t"] = t["world_output_t"] * (1 - t["china_share"]
                                                    + t["china_share"] * t["export_share_mid"])
    iv = _import_value_shares(net)
    rel = net.import_reliance
    cons = rel[rel["importer"].eq("USA") & rel["measure"].eq("apparent_consumption")]
    cons = cons.sort_values("year").groupby("commodity")["value"].last()
    shares, dest, basis = [], [], []
    for c in t.index:
        src = c if c in iv.index else parent.get(c, "")
        usa = cons.get(c, cons.get(parent.get(c, ""), np.nan))
        if pd.notna(usa) and c in cons.index:
            us_share = min(usa / t.at[c, "ex_china_demand_t"], 0.9)
            b = "USA: USGS apparent consumption / ex-China demand"
        elif src in iv.index:
            us_share = iv.at[src, "USA"]
            b = f"USA: share of world import value ({src}, BACI)"
        elif pd.notna(usa):
            us_share = min(usa / t.at[parent[c], "ex_china_demand_t"], 0.9) if parent[c] in \
                t.index else 0.1
            b = f"USA: parent {parent[c]} consumption share"
        else:
            us_share, b = np.nan, "USA: unknown"
        jp_share = iv.at[src, "JPN"] if src in iv.index else np.nan
        jp_basis = f"share of world import value ({src}, BACI)" if src in iv.index else "unknown"
        b += f"; JPN: {jp_basis}"
        us_share = 0.1 if pd.isna(us_share) else us_share
        jp_share = 0.1 if pd.isna(jp_share) else jp_share
        if "unknown" in b:
            b += " -> 0.1 assumed"
        shares.append([us_share, jp_share, max(0.0, 1 - us_share - jp_share)])
        if src in iv.index and pd.notna(iv.at[src, "cn_to_USA"]):
            d_us, d_jp = iv.at[src, "cn_to_USA"], iv.at[src, "cn_to_JPN"]
        else:
            d_us, d_jp = us_share, jp_share
        dest.append([d_us, d_jp, max(0.0, 1 - d_us - d_jp)])
        basis.append(b)
    t["region_basis"] = basis
    shares_a = np.array(shares, dtype=float)
    shares_a /= shares_a.sum(axis=1, keepdims=True)
    dest_a = np.array(dest, dtype=float)
    dest_a /= dest_a.sum(axis=1, keepdims=True)
    ps = net.production_shares()
    ps = ps[ps["commodity"].isin(t.index)]
    prod_share = ps.groupby(["commodity", "country"])["share"].max()
    t.index.name = "commodity"
    return MarketBaseline(commodities=tuple(t.index), table=t.reset_index(),
                          region_share=shares_a, dest_share=dest_a,
                          producer_share=prod_share.to_frame("share"))
