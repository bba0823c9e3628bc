"""Import dependence of a consuming country: net import reliance, supplier concentration,
and the share of imports from countries that restrict exports of the commodity."""

from __future__ import annotations

import pandas as pd

from critmin.metrics.concentration import _summarise
from critmin.model.network import Network


def _parent(net: Network) -> pd.Series:
    return net.commodities.set_index("commodity")["parent"].fillna("")


def _with_parent(df: pd.DataFrame, net: Network, key: str = "commodity") -> pd.DataFrame:
    """Rows for commodities lacking their own, copied from their parent (e.g. NdPr from
    rare earths), marked ``inherited_from``."""
    parent = _parent(net)
    have = set(df[key])
    extra = []
    for child, p in parent.items():
        if p and child not in have and p in have:
            extra.append(df[df[key].eq(p)].assign(**{key: child, "inherited_from": p}))
    out = pd.concat([df.assign(inherited_from=""), *extra], ignore_index=True)
    return out


def net_import_reliance(net: Network, importer: str) -> pd.DataFrame:
    """Latest net import reliance (share of apparent consumption, 0-1) per commodity.

    Columns: commodity, year, net_import_reliance, qualifier ('>'/'<' bound, 'E' net
    exporter), estimated, inherited_from (parent commodity the value is taken from).
    """
    rel = net.import_reliance
    rel = rel[rel["importer"].eq(importer) & rel["measure"].eq("net_import_reliance")]
    rel = rel.sort_values("year").groupby("commodity").tail(1)
    rel = rel.rename(columns={"value": "net_import_reliance"})
    rel = rel[["commodity", "year", "net_import_reliance", "qualifier", "estimated"]]
    return _with_parent(rel, net).reset_index(drop=True)


def restricting_exporters(net: Network, as_of: str | None = None) -> pd.DataFrame:
    """(exporter, commodity) pairs under an export restriction on ``as_of`` (ISO date;
    any restriction ever imposed when None). Products inherit their inputs' controls
    only where listed explicitly (e.g. magnets containing Dy/Tb)."""
    er = net.export_restrictions
    if as_of is not None:
        day = pd.Timestamp(as_of)
        er = er[(er["start"] <= day) & (er["end"].isna() | (er["end"] >= day))]
    return er[["exporter", "commodity"]].drop_duplicates().reset_index(drop=True)


def _pick_sources(net: Network, importer: str) -> pd.DataFrame:
    """One share set per commodity: quantity-based (USGS) before value-based (BACI),
    then the latest period; rare-earth elements inherit the parent's set."""
    src = net.import_sources[net.import_sources["importer"].eq(importer)].copy()
    src["rank_basis"] = src["basis"].map({"quantity": 0, "value": 1})
    src["end"] = src["period"].str.extract(r"(\d{4})(?:-H\d)?$", expand=False).astype(float)
    best = src.sort_values(["rank_basis", "end"], ascending=[True, False]).groupby(
        "commodity")[["period", "basis"]].first()
    keep = src.set_index("commodity")[["period", "basis"]].apply(tuple, axis=1)
    chosen = src[keep.values == best.reindex(src["commodity"]).apply(tuple, axis=1).values]
    return _with_parent(chosen.drop(columns=["rank_basis", "end"]), net)


def import_dependence(net: Network, importer: str, as_of: str | None = None) -> pd.DataFrame:
    """Import dependence of ``importer`` per commodity.

    Columns: commodity, net_import_reliance (0-1), qualifier, reliance_year,
    supplier_hhi (0-10,000 over named suppliers), top_supplier, top_supplier_share,
    china_import_share, restricted_share (share of imports from countries with an
    export restriction on the commodity; see :func:`restricting_exporters`), period and
    basis of the import shares, inherited_from.
    """
    src = _pick_sources(net, importer)
    summary = _summarise(src.rename(columns={"exporter": "country"}),
                         ["commodity"]).set_index("commodity")
    restricted = restricting_exporters(net, as_of)
    pairs = set(map(tuple, restricted.to_numpy()))
    src["restricted"] = pd.Series(
        [(e, c) in pairs for e, c in zip(src["exporter"], src["commodity"], strict=True)],
        index=src.index, dtype=bool)
    rshare = src[src["restricted"]].groupby("commodity")["share"].sum()
    meta = src.groupby("commodity")[["period", "basis", "inherited_from"]].first()
    out = pd.DataFrame({
        "supplier_hhi": summary["hhi"],
        "top_supplier": summary["top_country"],
        "top_supplier_share": summary["top_share"],
        "china_import_share": summary["china_share"],
        "restricted_share": rshare.reindex(summary.index).fillna(0.0),
    }).join(meta)
    rel = net_import_reliance(net, importer).set_index("commodity")
    rel = rel.rename(columns={"year": "reliance_year", "inherited_from": "reliance_from"})
    out = rel[["net_import_reliance", "qualifier", "reliance_year", "reliance_from"]].join(
        out, how="outer")
    out.index.name = "commodity"
    out.attrs["unit"] = "shares 0-1; HHI 0-10,000"
    return out.reset_index()
