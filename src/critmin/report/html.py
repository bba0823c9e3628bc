"""The self-contained HTML report: supply, vulnerabilities, a simulated disruption,
sources and assumptions, with Plotly figures embedded (plotly.js inline, no network)."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from critmin import __version__
from critmin.metrics.assessment import assess
from critmin.metrics.summary import commodity_summary
from critmin.report.figures import concentration_heatmap, ranking_chart
from critmin.simulate.report import simulation_report
from critmin.store.results import ResultsStore

FAN_COMMODITIES = 6


def fan_chart(store: ResultsStore, run_id: str, metric: str, title: str) -> go.Figure:
    """P5-P95 band and median per quarter of a path metric for the most affected
    commodities (largest median peak)."""
    paths = store.paths(run_id)
    p = paths[paths["metric"] == metric]
    q = p.groupby(["commodity", "quarter"])["value"].quantile([0.05, 0.5, 0.95]).unstack()
    top = q[0.5].groupby("commodity").max().sort_values(ascending=False).head(FAN_COMMODITIES)
    fig = go.Figure()
    for c in top.index:
        d = q.loc[c]
        x = list(d.index) + list(d.index[::-1])
        fig.add_trace(go.Scatter(x=x, y=list(d[0.95]) + list(d[0.05][::-1]), fill="toself",
                                 opacity=0.2, line={"width": 0}, showlegend=False,
                                 hoverinfo="skip", legendgroup=c))
        fig.add_trace(go.Scatter(x=list(d.index), y=list(d[0.5]), mode="lines+markers",
                                 name=c, legendgroup=c))
    fig.update_layout(title=title, xaxis_title="quarter from scenario start")
    return fig


def _table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, border=0, classes="t", na_rep="—", float_format=lambda
                      v: f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}")


def build_report(net, store: ResultsStore, run_id: str, path: Path) -> None:
    """Write the report to ``path`` atomically."""
    a = assess(net)
    summary = commodity_summary(net)
    sim = simulation_report(store, run_id)
    run = store.run(run_id)
    figs = [concentration_heatmap(a), ranking_chart(a, "eu"),
            fan_chart(store, run_id, "price_ratio", "Ex-China / China price ratio, P5-P50-P95"),
            fan_chart(store, run_id, "shortfall_USA", "U.S. shortfall (share of demand), "
                                                      "P5-P50-P95"),
            fan_chart(store, run_id, "shortfall_JPN", "Japan shortfall (share of demand), "
                                                      "P5-P50-P95")]
    parts = [f.to_html(full_html=False, include_plotlyjs=(i == 0), default_height="520px")
             for i, f in enumerate(figs)]
    rows = [r for r in sim["results"] if r["region"] in ("USA", "JPN")]
    simtab = pd.DataFrame([{
        "commodity": r["commodity"], "importer": r["region"],
        "peak price ratio P50": r["peak_price_ratio"]["p50"],
        "P95": r["peak_price_ratio"]["p95"], "shortfall P50": r["shortfall"]["p50"],
        "shortfall P95": r["shortfall"]["p95"], "CVaR95": r["shortfall"]["cvar95"]}
        for r in rows])
    sources = net.sources[["source_id", "publisher", "title", "table", "year", "url"]]
    summ = summary[["commodity", "year", "world_output", "unit", "top_country", "top_share",
                    "china_share_mine", "china_share_refining", "usa_import_reliance",
                    "jpn_import_reliance"]]
    ranks = a.countries[["importer", "commodity", "import_reliance", "eu_supply_risk",
                         "eu_rank", "eu_driver", "us_supply_risk", "us_rank"]].sort_values(
        ["importer", "eu_rank"])
    assumptions = [
        "Quantities are tonnes of contained content (t REO for rare earths); shares 0-1.",
        "Rows marked estimated in the data carry their method; gaps are listed, not guessed.",
        "HHI counts the rest of the world as fragmented (a lower bound); criticality "
        "formulas are in critmin.metrics.criticality.",
        "Market model: two segments (China, ex-China), constant elasticities moving from "
        "short to long run, choke price 2-6x (rationing above it), Chinese stockpiling floor "
        "0.8-0.95x; China's export share of output is a prior U(0.2, 0.6) except magnets.",
        f"Simulation: scenario {sim['scenario']}, {sim['samples']:,} samples, inputs "
        f"{html.escape(str(run['inputs']))}; calibration: docs/calibration.md.",
    ]
    doc = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>critmin report — {html.escape(sim['scenario'])}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#222}}
table.t{{border-collapse:collapse;font-size:.85rem}} table.t td,table.t th{{padding:.2rem .5rem;
border-bottom:1px solid #ddd;text-align:right}} h2{{margin-top:2.5rem}}</style></head><body>
<h1>critmin — critical-minerals supply security report</h1>
<p>Generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by critmin {__version__}.
Scenario: <b>{html.escape(sim['scenario'])}</b>; simulation run <code>{run_id}</code>.</p>
<h2>1. Supply by commodity</h2>{_table(summ)}
<h2>2. Concentration and criticality</h2>{parts[0]}{parts[1]}{_table(ranks)}
<h2>3. Disruption simulation</h2>{parts[2]}{parts[3]}{parts[4]}{_table(simtab)}
<h2>4. Assumptions</h2><ul>{''.join(f'<li>{html.escape(x)}</li>' for x in assumptions)}</ul>
<h2>5. Sources</h2>{_table(sources)}
</body></html>"""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(doc, encoding="utf-8")
    tmp.replace(path)
