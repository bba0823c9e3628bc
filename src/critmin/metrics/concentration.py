"""Market concentration: Herfindahl-Hirschman index, top-k shares, China's share, chokepoints.

All functions are pure: they take a :class:`~critmin.model.network.Network` (or share
tables) and return new DataFrames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmin.data.schemas import STAGES
from critmin.model.network import Network

GROUP = ["commodity", "stage", "year"]


def hhi(shares: np.ndarray | pd.Series) -> float:
    """Herfindahl-Hirschman index of market shares (0-1 each): sum of squared percent shares.

    Ranges from 10,000 / n (n equal producers) to 10,000 (a monopoly).
    """
    s = np.asarray(shares, dtype=float)
    return float(np.sum((100.0 * s) ** 2))


def _summarise(shares: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """HHI and top-k statistics per group of a share table (columns country, share).

    ``hhi`` treats the OTHER remainder as fragmented among many small producers (it adds
    nothing), a lower bound; ``hhi_upper`` counts OTHER as one producer, an upper bound.
    """
    stats = ["hhi", "n_countries", "hhi_upper", "top_country", "top_share", "top3_share",
             "china_share", "other_share"]
    if shares.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c in (*keys, "top_country")
                                          else float) for c in [*keys, *stats]})
    named = shares[~shares["country"].eq("OTHER")].copy()
    named["sq"] = (100.0 * named["share"]) ** 2
    other = shares[shares["country"].eq("OTHER")].groupby(keys)["share"].sum()
    out = named.groupby(keys).agg(hhi=("sq", "sum"), n_countries=("country", "nunique"))
    out["hhi_upper"] = out["hhi"] + (100.0 * other.reindex(out.index).fillna(0.0)) ** 2
    ranked = named.sort_values("share", ascending=False)
    top = ranked.groupby(keys).head(1).set_index(keys)
    out["top_country"] = top["country"]
    out["top_share"] = top["share"]
    out["top3_share"] = ranked.groupby(keys).head(3).groupby(keys)["share"].sum()
    china = named[named["country"].eq("CHN")].groupby(keys)["share"].sum()
    out["china_share"] = china.reindex(out.index).fillna(0.0)
    out["other_share"] = other.reindex(out.index).fillna(0.0)
    return out.reset_index()


def concentration(net: Network, year: int | None = None) -> pd.DataFrame:
    """Concentration of production per (commodity, stage), latest year unless ``year``.

    Columns: commodity, stage, year, basis ('tonnage' or 'published share'), hhi (0-10,000,
    OTHER as fragmented), hhi_upper (OTHER as one producer), n_countries, top_country,
    top_share, top3_share, china_share, other_share (shares 0-1).
    """
    shares = net.production_shares(year)
    basis = shares.groupby(GROUP)["basis"].first()
    out = _summarise(shares, GROUP).set_index(GROUP)
    out["basis"] = basis
    order = {s: i for i, s in enumerate(STAGES)}
    out = out.reset_index().sort_values(
        ["commodity", "stage"], key=lambda s: s.map(order) if s.name == "stage" else s)
    out.attrs["unit"] = "HHI 0-10,000; shares 0-1"
    return out.reset_index(drop=True)


def reserves_concentration(net: Network) -> pd.DataFrame:
    """Concentration of reserves per commodity (latest year), same columns as
    :func:`concentration` with stage 'reserves'."""
    res = net.reserves
    res = res[res["year"].eq(res.groupby("commodity")["year"].transform("max"))]
    world = res[res["country"].eq("WORLD")].set_index("commodity")["value"]
    rows = res[~res["country"].eq("WORLD")][["commodity", "year", "country", "value"]]
    covered = rows.groupby("commodity")["value"].sum()
    total = np.maximum(world.reindex(covered.index).fillna(0.0), covered)
    rest = (total - covered).clip(lower=0)
    rest = rest[rest > 0].rename("value").reset_index()
    rest["country"] = "OTHER"
    rest["year"] = rest["commodity"].map(rows.groupby("commodity")["year"].first())
    rows = pd.concat([rows, rest], ignore_index=True)
    rows = rows.groupby(["commodity", "year", "country"], as_index=False)["value"].sum()
    rows["share"] = rows["value"] / rows["commodity"].map(total)
    out = _summarise(rows, ["commodity", "year"])
    out.insert(1, "stage", "reserves")
    out["basis"] = "tonnage"
    return out


def chain_stages(net: Network) -> pd.DataFrame:
    """Concentration of every stage of each commodity's chain.

    A rare-earth element (NdPr, Dy, Tb) inherits the stages of its parent (rare earths)
    that it has no data for; a derivative product inherits, through its bill of
    materials, every stage of every input's chain. Columns: commodity, via (the commodity
    whose stage it is), stage, year, hhi, top_country, top_share, china_share.
    """
    conc = concentration(net)
    cols = ["stage", "year", "hhi", "top_country", "top_share", "china_share"]
    own = {c: g[cols].assign(via=c) for c, g in conc.groupby("commodity")}
    parent = net.commodities.set_index("commodity")["parent"].fillna("")
    chains: dict[str, pd.DataFrame] = {}
    for c in net.commodities["commodity"]:
        frames = [own.get(c, pd.DataFrame(columns=[*cols, "via"]))]
        p = parent.get(c, "")
        if p and p in own:
            inherited = own[p][~own[p]["stage"].isin(frames[0]["stage"])]
            frames.append(inherited)
        chains[c] = pd.concat(frames, ignore_index=True)
    inputs = net.bom.groupby("product")["input"].unique()
    for product, ins in inputs.items():
        chains[product] = pd.concat([chains[product], *[chains[i] for i in ins]],
                                    ignore_index=True)
    out = pd.concat([df.assign(commodity=c) for c, df in chains.items() if len(df)],
                    ignore_index=True)
    return out[["commodity", "via", *cols]]


def chokepoints(net: Network) -> pd.DataFrame:
    """The most concentrated stage of each commodity's chain (its chokepoint).

    Columns: commodity, chokepoint_stage, chokepoint_via (the input or parent commodity
    the stage belongs to), year, effective_hhi (HHI at the chokepoint, 0-10,000; a product
    inherits the concentration of its most concentrated input stage), top_country,
    top_share, china_share, n_stages (stages seen along the chain).
    """
    stages = chain_stages(net)
    stages = stages.astype({"hhi": float})
    idx = stages.groupby("commodity")["hhi"].idxmax()
    top = stages.loc[idx].rename(columns={"stage": "chokepoint_stage", "via": "chokepoint_via",
                                          "hhi": "effective_hhi"})
    top["n_stages"] = top["commodity"].map(stages.groupby("commodity").size())
    return top.sort_values("effective_hhi", ascending=False).reset_index(drop=True)
