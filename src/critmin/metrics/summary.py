"""Per-commodity overview of the loaded network: output, leaders, China, import reliance."""

from __future__ import annotations

import pandas as pd

from critmin.data.schemas import STAGES
from critmin.metrics.trade import net_import_reliance
from critmin.model.network import Network


def commodity_summary(net: Network) -> pd.DataFrame:
    """One row per commodity with production data.

    Columns: commodity, name, unit, stage (most upstream stage with data), year,
    world_output (commodity unit; the published world total where there is one),
    top_country, top_share (0-1), china_share_<stage> for every stage,
    usa_, jpn_, eu_ and kor_import_reliance (0-1; '>'/'<' kept in *_reliance_qualifier; the
    U.S. as USGS publishes it, Japan, the EU and Korea computed from BACI trade the USGS way;
    rare-earth elements show their parent's reliance, see
    :func:`critmin.metrics.trade.net_import_reliance`).
    """
    shares = net.production_shares()
    order = {s: i for i, s in enumerate(STAGES)}
    records = []
    comm = net.commodities.set_index("commodity")
    reliance = {c: net_import_reliance(net, c).set_index("commodity")
                for c in ("USA", "JPN", "EU", "KOR")}
    for commodity, g in shares.groupby("commodity"):
        first_stage = min(g["stage"], key=lambda s: order.get(s, len(order)))
        head = g[g["stage"].eq(first_stage)].sort_values("share", ascending=False)
        leader = head[~head["country"].eq("OTHER")].iloc[0]
        year = int(head["year"].iloc[0])
        published = net.production[
            net.production["commodity"].eq(commodity) & net.production["stage"].eq(first_stage)
            & net.production["year"].eq(year) & net.production["country"].eq("WORLD")]["value"]
        rec = {
            "commodity": commodity,
            "name": comm.at[commodity, "name"],
            "unit": comm.at[commodity, "unit"],
            "stage": first_stage,
            "year": year,
            "world_output": (float(published.iloc[0]) if len(published)
                             else float(head["value"].sum(min_count=1))),
            "top_country": leader["country"],
            "top_share": float(leader["share"]),
        }
        for stage in STAGES:
            s = g[g["stage"].eq(stage)]
            china = s.loc[s["country"].eq("CHN"), "share"].sum()
            rec[f"china_share_{stage}"] = float(china) if len(s) else None
        for importer, rel in reliance.items():
            key = importer.lower()
            hit = rel.loc[commodity] if commodity in rel.index else None
            rec[f"{key}_import_reliance"] = (None if hit is None
                                             else float(hit["net_import_reliance"]))
            rec[f"{key}_reliance_qualifier"] = None if hit is None else hit["qualifier"]
        records.append(rec)
    return pd.DataFrame.from_records(records)
