"""Plotly figures of assessments; written as self-contained HTML (plotly.js inline)."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from critmin.data.schemas import STAGES
from critmin.metrics.assessment import Assessment


def concentration_heatmap(a: Assessment) -> go.Figure:
    """Commodity x stage heatmap of HHI (0-10,000), China's share in the hover text."""
    stages = [s for s in (*STAGES, "reserves") if s in set(a.stages["stage"])]
    hhi = a.stages.pivot_table(index="commodity", columns="stage", values="hhi")
    china = a.stages.pivot_table(index="commodity", columns="stage", values="china_share")
    top = a.stages.pivot(index=["commodity"], columns="stage", values="top_country") \
        if not a.stages.duplicated(["commodity", "stage"]).any() else None
    hhi = hhi.reindex(columns=stages)
    text = hhi.round(0).astype("Int64").astype(str).replace("<NA>", "")
    hover = (
        "commodity %{y}<br>stage %{x}<br>HHI %{z:.0f}<br>China %{customdata[0]:.0%}"
        "<br>top %{customdata[1]}<extra></extra>")
    custom = [[[china.reindex(columns=stages).loc[c, s],
                top.reindex(columns=stages).loc[c, s] if top is not None else ""]
               for s in stages] for c in hhi.index]
    fig = go.Figure(go.Heatmap(z=hhi.values, x=stages, y=list(hhi.index), zmin=0, zmax=10000,
                               colorscale="YlOrRd", text=text.values, texttemplate="%{text}",
                               customdata=custom, hovertemplate=hover,
                               colorbar={"title": "HHI"}))
    fig.update_layout(title="Supply concentration by commodity and stage (HHI, 0-10,000)",
                      height=max(400, 24 * len(hhi)), yaxis={"autorange": "reversed"})
    return fig


def ranking_chart(a: Assessment, method: str = "eu") -> go.Figure:
    """Horizontal bars of the supply-risk score per commodity, one panel per importer."""
    col = f"{method}_supply_risk"
    importers = list(a.countries["importer"].unique())
    fig = make_subplots(rows=1, cols=len(importers), subplot_titles=importers,
                        shared_xaxes=True)
    for i, imp in enumerate(importers, start=1):
        d = a.countries[a.countries["importer"].eq(imp)].dropna(subset=[col])
        d = d.sort_values(col)
        fig.add_trace(go.Bar(x=d[col], y=d["commodity"], orientation="h", name=imp,
                             customdata=d[[f"{method}_driver"]].fillna("").values,
                             hovertemplate="%{y}: %{x:.2f}<br>driver %{customdata[0]}"
                                           "<extra></extra>"), row=1, col=i)
    label = "EU-style supply risk" if method == "eu" else "U.S.-style supply risk (0-1)"
    fig.update_layout(title=f"Criticality ranking — {label}", showlegend=False,
                      height=max(400, 22 * a.countries["commodity"].nunique()))
    return fig


def write_html(figures: list[go.Figure], path: Path, title: str) -> None:
    """Write figures into one self-contained HTML file (no network needed to view it).

    Written to a temporary file first and renamed, so a failure leaves no partial file.
    """
    parts = [f.to_html(full_html=False, include_plotlyjs=(i == 0))
             for i, f in enumerate(figures)]
    html = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>"
            f"</head><body>{''.join(parts)}</body></html>")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
