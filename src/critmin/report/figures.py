"""Plotly figures of assessments, simulations and portfolios; written as self-contained
HTML (plotly.js inline once, map geometry bundled, no network)."""

from __future__ import annotations

import datetime as dt
import functools
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from critmin.data.schemas import STAGES
from critmin.metrics.assessment import Assessment
from critmin.report.fmt import country, label, missing, pct
from critmin.simulate.outputs import STEP_MONTHS, month_dates, path_step

WIDTH = 680
"""Figure width in px: fits an A4 page (186 mm printable) and a 1366 px screen."""
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#17becf")
GEO_SHIM = ("<script>window.PlotlyGeoAssets=window.PlotlyGeoAssets||{topojson:{}};"
            "window.PlotlyGeoAssets.topojson.world_110m={type:'Topology',objects:{},"
            "arcs:[]};</script>")
"""The map draws bundled GeoJSON only; an empty base topology stops plotly.js fetching its
own from a CDN."""


def _base(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(title={"text": title, "font": {"size": 15}}, width=WIDTH, height=height,
                      margin={"l": 60, "r": 20, "t": 50, "b": 50}, template="plotly_white",
                      font={"size": 11}, separators=".,")
    return fig


def concentration_heatmap(a: Assessment, commodities: list[str] | None = None,
                          names: dict | None = None) -> go.Figure:
    """Commodity x stage heatmap of HHI (0-10,000); China's share and the top producer in
    the hover text; empty cells stay blank. Rows sorted by the highest HHI."""
    names = names or {}
    st = a.stages if commodities is None else a.stages[a.stages["commodity"].isin(commodities)]
    stages = [s for s in (*STAGES, "reserves") if s in set(st["stage"])]
    hhi = st.pivot_table(index="commodity", columns="stage", values="hhi").reindex(
        columns=stages)
    hhi = hhi.loc[hhi.max(axis=1).sort_values(ascending=False).index]
    info = st.drop_duplicates(["commodity", "stage"]).set_index(["commodity", "stage"])
    text, hover = [], []
    for c in hhi.index:
        trow, hrow = [], []
        for s in stages:
            v = hhi.at[c, s]
            if missing(v):
                trow.append("")
                hrow.append(f"{names.get(c, c)}, {label(s)}: no data")
                continue
            r = info.loc[(c, s)]
            trow.append(f"{v:,.0f}")
            hrow.append(f"{names.get(c, c)}, {label(s)}<br>HHI {v:,.0f}<br>China "
                        f"{pct(r['china_share'])}<br>top producer {country(r['top_country'])} "
                        f"{pct(r['top_share'])}")
        text.append(trow)
        hover.append(hrow)
    fig = go.Figure(go.Heatmap(
        z=hhi.to_numpy(dtype=float), x=[label(s) for s in stages],
        y=[names.get(c, c) for c in hhi.index], zmin=0, zmax=10000, colorscale="YlOrRd",
        text=text, texttemplate="%{text}", hovertext=hover, hoverinfo="text",
        hoverongaps=False, colorbar={"title": "HHI"}))
    fig.update_yaxes(autorange="reversed")
    return _base(fig, "Supply concentration by stage (HHI, 0–10,000)",
                 max(360, 60 + 20 * len(hhi)))


def ranking_chart(a: Assessment, method: str = "eu") -> go.Figure:
    """Horizontal bars of the supply-risk score per commodity, one panel per importer."""
    col = f"{method}_supply_risk"
    importers = list(a.countries["importer"].unique())
    fig = make_subplots(rows=1, cols=len(importers),
                        subplot_titles=[country(i) for i in importers], shared_xaxes=True)
    for i, imp in enumerate(importers, start=1):
        d = a.countries[a.countries["importer"].eq(imp)].dropna(subset=[col])
        d = d.sort_values(col)
        drivers = [label(x) for x in d[f"{method}_driver"]]
        fig.add_trace(go.Bar(x=d[col], y=d["commodity"], orientation="h", name=country(imp),
                             customdata=np.array(drivers, dtype=object)[:, None],
                             hovertemplate="%{y}: %{x:.2f}<br>driver %{customdata[0]}"
                                           "<extra></extra>"), row=1, col=i)
    name = "EU-style supply risk" if method == "eu" else "U.S.-style supply risk (0–1)"
    return _base(fig, f"Criticality ranking — {name}",
                 max(400, 22 * a.countries["commodity"].nunique())).update_layout(
        showlegend=False)


@functools.cache
def world_geojson() -> dict:
    """Natural Earth 1:110m countries keyed by ISO3 (bundled with the dashboard)."""
    path = resources.files("critmin.web") / "static" / "world-110m.geojson"
    geo = json.loads(path.read_text(encoding="utf-8"))
    geo["features"] = [f for f in geo["features"] if f.get("id") not in (None, "ATA", "-99")]
    return geo


def production_map(shares: pd.DataFrame, names: dict, order: list[str]) -> go.Figure:
    """World map of each country's share of world output (%), one commodity at a time
    (menu), every country drawn (grey where it produces none). ``shares``: commodity,
    stage, country, share (0-1), optionally qualifier; ``order``: commodities in menu
    order, the first shown."""
    geo = world_geojson()
    ids = [f["id"] for f in geo["features"]]
    label_of = {f["id"]: f["properties"].get("name", f["id"]) for f in geo["features"]}

    def arrays(c: str):
        s = shares[shares["commodity"].eq(c)]
        by = s.groupby("country")["share"].sum()
        qual = (s.drop_duplicates("country").set_index("country")["qualifier"]
                if "qualifier" in s else pd.Series(dtype=object))
        z = [100 * float(by.get(i, 0.0)) for i in ids]
        stage = label(s["stage"].iloc[0]) if len(s) else ""
        def line(i):
            if i not in by.index:
                return f"{label_of[i]}: no recorded output"
            q = qual.get(i) if i in qual.index else None
            note = " (estimated)" if q == "e" else ""
            return f"{label_of[i]}: {pct(by[i], q)} of world {stage}{note}"

        txt = [line(i) for i in ids]
        return z, txt, stage

    z, txt, stage = arrays(order[0])
    fig = go.Figure(go.Choropleth(
        geojson=geo, locations=ids, featureidkey="id", z=z, text=txt, hoverinfo="text",
        zmin=0, zmax=100, colorscale=[[0, "#eeeeee"], [1e-6, "#fee8c8"], [0.3, "#fdbb84"],
                                      [1, "#b30000"]],
        marker={"line": {"color": "#999999", "width": 0.4}},
        colorbar={"title": "% of world", "ticksuffix": " %", "len": 0.8}))
    buttons = []
    for c in order:
        zc, tc, sc = arrays(c)
        buttons.append({"label": names.get(c, c), "method": "update",
                        "args": [{"z": [zc], "text": [tc]},
                                 {"title.text": f"Share of world {sc} output: "
                                                f"{names.get(c, c)}"}]})
    fig.update_geos(visible=False, projection_type="natural earth", lataxis_range=[-58, 85])
    fig.update_layout(updatemenus=[{"buttons": buttons, "x": 0, "y": 1.0, "xanchor": "left",
                                    "yanchor": "top", "direction": "down"}])
    fig = _base(fig, f"Share of world {stage} output: {names.get(order[0], order[0])}", 340)
    fig.update_layout(margin={"l": 0, "r": 0, "t": 50, "b": 0})
    return fig


def fan_quantiles(paths: pd.DataFrame, metric: str, commodities: list[str]) -> pd.DataFrame:
    """P5/P50/P95 per (commodity, step) of one path metric (columns 0.05, 0.5, 0.95)."""
    step = path_step(paths)
    p = paths[(paths["metric"] == metric) & paths["commodity"].isin(commodities)]
    return p.groupby(["commodity", step])["value"].quantile([0.05, 0.5, 0.95]).unstack()


def add_fan(fig: go.Figure, x: list[str], d: pd.DataFrame, name: str, colour: str,
            scale: float = 1.0, showlegend: bool = True, mode: str = "lines",
            **cell) -> None:
    """One series: its P5-P95 band (no legend entry) and its median line, grouped so the
    legend toggles both. ``d``: columns 0.05, 0.5, 0.95 over the steps of ``x``;
    ``cell``: row/col of a subplot."""
    fig.add_trace(go.Scatter(
        x=x + x[::-1], y=list(scale * d[0.95]) + list(scale * d[0.05])[::-1],
        fill="toself", fillcolor=colour, opacity=0.15, line={"width": 0},
        legendgroup=name, showlegend=False, hoverinfo="skip"), **cell)
    fig.add_trace(go.Scatter(x=x, y=list(scale * d[0.5]), mode=mode, name=name,
                             legendgroup=name, showlegend=showlegend,
                             line={"color": colour}), **cell)


def _commodity_fans(fig: go.Figure, paths: pd.DataFrame, metric: str,
                    commodities: list[str], start: dt.date, names: dict, scale: float,
                    mode: str = "lines", showlegend: bool = True, **cell) -> None:
    """A fan per commodity of one path metric, dated from ``start`` by the run's step."""
    q = fan_quantiles(paths, metric, commodities)
    months = STEP_MONTHS[path_step(paths)]
    for i, c in enumerate(commodities):
        if c not in q.index.get_level_values(0):
            continue
        d = q.loc[c]
        add_fan(fig, month_dates(start, d.index, months), d, names.get(c, c),
                PALETTE[i % len(PALETTE)], scale, showlegend, mode, **cell)


def fan_chart(paths: pd.DataFrame, metric: str, commodities: list[str], start: dt.date,
              title: str, names: dict, percent: bool = False) -> go.Figure:
    """P5-P95 band and median over time (dates on the axis) for the given commodities.
    ``paths``: stored paths (sample, quarter or month, commodity, metric, value)."""
    fig = go.Figure()
    _commodity_fans(fig, paths, metric, commodities, start, names,
                    100.0 if percent else 1.0, mode="lines+markers")
    fig.update_xaxes(title_text=None, tickformat="%b %Y")
    fig.update_yaxes(ticksuffix=" %" if percent else "×", rangemode="tozero")
    fig.update_layout(legend={"orientation": "h", "y": -0.15})
    return _base(fig, title + " — median and P5–P95 band", 300)


def merge_identical(fans: list[tuple[str, pd.DataFrame]]) -> list[tuple[str, pd.DataFrame]]:
    """Fans whose quantiles are equal (to 1e-9) drawn once, named together ('United States
    = Japan'), so identical lines are not hidden under each other; order kept."""
    out: list[tuple[list[str], pd.DataFrame]] = []
    for name, d in fans:
        for names, seen in out:
            if d.shape == seen.shape and np.allclose(d.to_numpy(), seen.to_numpy(),
                                                     rtol=0, atol=1e-9, equal_nan=True):
                names.append(name)
                break
        else:
            out.append(([name], d))
    return [(" = ".join(names), d) for names, d in out]


def series_fans(paths: pd.DataFrame, commodity: str, series: list[tuple[str, str]],
                start: dt.date, title: str, suffix: str, scale: float = 1.0) -> go.Figure:
    """Fans of several path metrics of one commodity (one per region or stage): median
    and P5-P95 band each, dated by the paths' step. ``series``: (metric, legend name)."""
    fig = go.Figure()
    p = paths[paths["commodity"].eq(commodity)]
    months = STEP_MONTHS[path_step(paths)]
    fans = [(name, q.loc[commodity]) for metric, name in series
            if not (q := fan_quantiles(p, metric, [commodity])).empty]
    for i, (name, d) in enumerate(merge_identical(fans)):
        add_fan(fig, month_dates(start, d.index, months), d, name,
                PALETTE[i % len(PALETTE)], scale)
    fig.update_xaxes(title_text=None, tickformat="%b %Y")
    fig.update_yaxes(ticksuffix=suffix, rangemode="tozero")
    fig.update_layout(legend={"orientation": "h", "y": -0.15}, showlegend=True)
    return _base(fig, title + " — median and P5–P95 band", 300)


def shortfall_fans(paths: pd.DataFrame, commodities: list[str], start: dt.date,
                   names: dict) -> go.Figure:
    """U.S. and Japan shortfall (% of demand) side by side: median and P5-P95 band."""
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=["United States", "Japan"])
    for col, region in enumerate(("USA", "JPN"), start=1):
        _commodity_fans(fig, paths, f"shortfall_{region}", commodities, start, names,
                        100.0, showlegend=col == 1, row=1, col=col)
    fig.update_xaxes(tickformat="%b %Y", nticks=5)
    fig.update_yaxes(ticksuffix=" %", rangemode="tozero")
    fig.update_layout(legend={"orientation": "h", "y": -0.18})
    return _base(fig, "Shortfall, share of demand — median and P5–P95 band", 320)


def frontier_chart(front: pd.DataFrame, current_total_usd: float) -> go.Figure:
    """Budget-risk frontier in USD m: optimised expected loss and CVaR 95 %, and the
    greedy benefit-per-dollar ranking for comparison."""
    x = front["total_budget_usd"] / 1e6
    fig = go.Figure()
    for col, name, dash in (("expected_loss_usd", "expected loss (optimised)", None),
                            ("cvar_usd", "CVaR 95 % (optimised)", None),
                            ("greedy_expected_loss_usd", "expected loss (greedy ranking)",
                             "dot")):
        fig.add_trace(go.Scatter(x=x, y=front[col] / 1e6, mode="lines+markers", name=name,
                                 line={"dash": dash}))
    fig.add_vline(x=current_total_usd / 1e6, line={"dash": "dash", "color": "#888"},
                  annotation_text="stated budgets", annotation_position="top right")
    fig.update_xaxes(title_text="total budget, USD m", tickformat=",.0f")
    fig.update_yaxes(title_text="U.S.+Japan unmet demand, USD m", tickformat=",.0f",
                     rangemode="tozero")
    fig.update_layout(legend={"orientation": "h", "y": -0.25})
    return _base(fig, "Budget–risk frontier", 320)


def figure_html(fig: go.Figure, first: bool) -> str:
    """One figure as an HTML fragment; plotly.js inlined with the first only."""
    return fig.to_html(full_html=False, include_plotlyjs=first,
                       config={"displayModeBar": False, "responsive": False})


def write_html(figures: list[go.Figure], path: Path, title: str) -> None:
    """Write figures into one self-contained HTML file (no network needed to view it).

    Written to a temporary file first and renamed, so a failure leaves no partial file.
    """
    parts = [figure_html(f, i == 0) for i, f in enumerate(figures)]
    html = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>"
            f"{GEO_SHIM}</head><body>{''.join(parts)}</body></html>")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
