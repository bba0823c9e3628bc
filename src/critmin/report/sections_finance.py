"""Parts of the brief's portfolio section that a treasury reads: projects' NPV fans on the
price paths, each instrument's valuation, who pays (cost sharing among partners), and
the fair-markets club against a stockpile and projects at the same cost."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from critmin.report import figures as F
from critmin.report.fmt import country, label, pct, tonnes, usd, usd_m
from critmin.report.markup import esc, table


def stock_view(stocks: pd.DataFrame, rows: int = 6) -> pd.DataFrame:
    """Multi-period stockpiles as the brief shows them: per holder and commodity, the
    expected tonnes and cost over the tree (probability-weighted; 'now' and 'in a year'
    summed), the largest ``rows`` by cost. Single-period records pass through."""
    if not len(stocks) or "probability" not in stocks:
        return stocks
    s = stocks.assign(stock_t=stocks["stock_t"] * stocks["probability"],
                      cost_usd=stocks["cost_usd"] * stocks["probability"])
    out = s.groupby(["holder", "commodity"], as_index=False)[["stock_t", "cost_usd"]].sum()
    return out.sort_values("cost_usd", ascending=False).head(rows)


def npv_fans(p: dict) -> go.Figure | None:
    """Per selected project: NPV P5-P95 on the paths (bar), P50 (marker), USD m."""
    rows = p.get("selected_projects") or []
    if not rows or "npv_usd" not in rows[0]:
        return None
    names = [r["name"][:40] for r in rows]
    lo = [r["npv_usd"]["p5"] / 1e6 for r in rows]
    hi = [r["npv_usd"]["p95"] / 1e6 for r in rows]
    mid = [r["npv_usd"]["p50"] / 1e6 for r in rows]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=names, x=[h - low for h, low in zip(hi, lo, strict=True)],
                         base=lo, orientation="h", name="P5-P95", opacity=0.45))
    fig.add_trace(go.Scatter(y=names, x=mid, mode="markers", name="P50",
                             marker={"symbol": "line-ns-open", "size": 18}))
    fig.add_vline(x=0, line={"color": "#888", "dash": "dash"})
    fig.update_xaxes(title_text="project NPV without support, USD m", tickformat=",.0f")
    fig.update_layout(legend={"orientation": "h", "y": -0.3})
    return F._base(fig, "NPV on the model's price paths over the project life",
                   110 + 28 * len(rows))


def _instrument_cell(r: dict) -> str:
    """'price floor USD 61.4 m' or 'grant USD 0 (bankable at P10, no contingent payout)'."""
    if r["fiscal_cost_usd"] < 5e4 and not r.get("contingent_payout", True):
        return f"{label(r['instrument'])} USD 0 (bankable at P10 on the paths)"
    return label(r["instrument"])


def valuation_table(p: dict) -> str:
    """Selected projects: NPV and IRR fans, instrument, its valuation on the paths."""
    rows = []
    for r in p.get("selected_projects") or []:
        if "npv_usd" not in r:
            return ""
        v = r["instrument_valuation"]
        when = "now" if r["period"] == 0 else f"in a year ({pct(r['probability'])} of paths)"
        parts = [(k, v[f]) for k, f in (("payouts", "expected_payout_usd"),
                                         ("receipts", "expected_receipts_usd"),
                                         ("expected loss", "expected_loss_usd"),
                                         ("top-up grant", "topup_grant_usd")) if v[f] > 0]
        rows.append([r["name"], when, _instrument_cell(r),
                     f"{usd_m(r['npv_usd']['p5'], 0)} / {usd_m(r['npv_usd']['p50'], 0)} / "
                     f"{usd_m(r['npv_usd']['p95'], 0)}",
                     f"{pct(r['irr']['p5'])} / {pct(r['irr']['p50'])} / "
                     f"{pct(r['irr']['p95'])}",
                     "; ".join(f"{k} {usd(x)}" for k, x in parts) or "none",
                     usd_m(r["fiscal_cost_usd"])])
    if not rows:
        return ""
    return ("<h3>Projects valued on the price paths</h3>" + table(
        ["project", "commit", "instrument", "NPV P5 / P50 / P95", "IRR P5 / P50 / P95",
         "instrument's valuation (expected PV)", "fiscal cost"], rows, {3, 4, 6})
        + "<p class=note>Without support, on the monthly price paths, reverting to the "
          "pre-shock price, with China's response to new capacity; fiscal cost = expected "
          "PV of payouts and capital at risk.</p>")


def sharing_table(p: dict) -> str:
    """Who pays: Shapley and nucleolus shares of the portfolio's fiscal cost."""
    cs = p.get("cost_sharing")
    if not cs:
        return ""
    rows = []
    for who, r in cs["by_partner"].items():
        per = r.get("loss_avoided_per_dollar")
        rows.append([country(who), usd_m(r["budget_usd"]), usd_m(r["shapley_usd"]),
                     usd_m(r["nucleolus_usd"]), usd_m(r["expected_loss_avoided_usd"]),
                     "-" if per is None else f"{per:,.2f}"])
    rows.append(["total", "", usd_m(sum(r["shapley_usd"] for r in cs["by_partner"].values())),
                 usd_m(sum(r["nucleolus_usd"] for r in cs["by_partner"].values())), "", ""])
    core = ("in the core" if cs["shapley_in_core"] else "outside the core")
    return ("<h3>Who pays: cost sharing among partners</h3>" + table(
        ["partner", "budget", "Shapley share", "nucleolus share",
         "expected loss avoided", "USD avoided per USD paid"], rows, {1, 2, 3, 4, 5})
        + f"<p class=note>{esc(usd(cs['total_usd']))} shared by Shapley value in the "
          f"joint-funding game ({cs['samples']} scenarios; {core}).</p>")


def club_table(club: dict | None) -> str:
    """The club against a stockpile and projects at the same fiscal cost."""
    if not club:
        return ""
    c, same = club["club"], club["same_cost"]

    def band(d, fmt):
        return f"{fmt(d['p5'])} / {fmt(d['p50'])} / {fmt(d['p95'])}"

    def row(name, r, fiscal):
        return [name, band(r["cost_to_buyers_usd"], usd_m), fiscal,
                band(r["shortfall_avoided_t"], tonnes),
                band(r["volatility_avoided"], lambda x: f"{100 * x:.1f}")]

    rows = [row("club", c, band(c["fiscal_cost_usd"], usd_m)),
            row(f"stockpile ({tonnes(same['stockpile']['stock_t'])})", same["stockpile"],
                usd_m(same["budget_usd"])),
            row(f"projects ({len(same['projects']['funded'])} funded)", same["projects"],
                usd_m(same["projects"]["fiscal_cost_usd"]))]
    floor_kg = c["floor_usd_t"] / 1000
    return (f"<h3>Fair-markets club for {esc(club['commodity'])}</h3>" + table(
        ["policy", "cost to buyers P5 / P50 / P95", "fiscal cost",
         "shortfall avoided", "volatility avoided (points)"], rows, {1, 2, 3, 4})
        + f"<p class=note>Partners {esc(', '.join(club['partners']))}: floor "
          f"{floor_kg:,.1f} USD/kg ({esc(c['floor_basis'])}) "
          f"on {esc(tonnes(c['covered_t_per_yr']))}/yr, {pct(c['tariff_rate'])} charge on "
          f"Chinese supply (tariff revenue {esc(usd(c['tariff_revenue_usd']['mean']))}); "
          f"{club['samples']} samples per run, `critmin club`.</p>")


def render(b, figs: list) -> str:
    """The finance parts of the portfolio section (empty for a v1 portfolio)."""
    p = b.portfolio or {}
    return valuation_table(p) + "".join(figs) + sharing_table(p) + club_table(b.club)
