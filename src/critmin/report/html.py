"""The decision brief as one self-contained HTML file (plotly.js inline once, map geometry
bundled, no network): executive summary and key findings from the computed numbers,
evidence, portfolio, caveats, methods, then appendices (full tables, sources, run record).
Printable on A4 (see :mod:`critmin.report.pdf`)."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pandas as pd

from critmin import __version__
from critmin.report import explain as X
from critmin.report import figures as F
from critmin.report import sections_finance as FIN
from critmin.report import sections_v2 as V2
from critmin.report.brief import (
    DEFAULT_BUDGETS,
    IMPORTERS,
    Brief,
    exposure,
    exposure_reason,
    impact_exposure,
    impact_table,
    response_value,
    run_inputs,
    tie_counts,
)
from critmin.report.fmt import (
    DASH,
    country,
    date,
    index_text,
    label,
    missing,
    num,
    pct,
    pct_range,
    rank_text,
    times,
    times_range,
    tonnes,
    usd,
    usd_m,
)
from critmin.report.markup import Markup
from critmin.report.markup import esc as _e
from critmin.report.markup import gloss as _g
from critmin.report.markup import table as _table
from critmin.simulate.outputs import long_paths
from critmin.store.results import ResultsStore

TOP_ROWS = 10
TOP_EXPOSED = 8
FAN_COMMODITIES = 5
APPENDIX_MARK = "Appendix A"
"""Heading text that opens the appendices (the PDF body ends on the page before it)."""

CSS = """
@page{size:A4;margin:13mm 12mm}
body{font-family:'DejaVu Sans',system-ui,sans-serif;font-size:10.5pt;line-height:1.35;
color:#1b1b1b;max-width:760px;margin:1.5rem auto;padding:0 1rem}
h1{font-size:19pt;margin:.2rem 0 .3rem} h2{font-size:14pt;margin:1.4rem 0 .4rem;
border-bottom:2px solid #1f4e79;color:#1f4e79} h3{font-size:11.5pt;margin:.9rem 0 .3rem}
p,li{margin:.25rem 0} .meta{color:#555;font-size:9pt} .kpi{display:flex;gap:.5rem;
flex-wrap:wrap;margin:.6rem 0} .kpi div{flex:1 1 150px;border:1px solid #c8d3e0;
border-radius:4px;padding:.35rem .5rem;background:#f4f7fb} .kpi b{display:block;font-size:13pt}
.kpi span{font-size:8.5pt;color:#444} table.t{border-collapse:collapse;font-size:8.5pt;
width:100%;margin:.4rem 0} table.t th{background:#eef2f7;text-align:left;font-weight:600}
table.t td,table.t th{padding:.15rem .35rem;border-bottom:1px solid #dde;vertical-align:top;
overflow-wrap:break-word}
table.src{table-layout:fixed} table.src td{overflow-wrap:anywhere}
table.t td.n,table.t th.n{text-align:right} .note{font-size:8.5pt;
color:#444} a{color:#1f4e79;overflow-wrap:anywhere;word-break:break-word}
.fig{break-inside:avoid;page-break-inside:avoid;margin:.3rem 0} .warn{background:#fff4e5;
border-left:4px solid #f0a020;padding:.3rem .6rem;font-size:9pt}
.appendix{break-before:page;page-break-before:always}
a.g{color:inherit;text-decoration:underline dotted} dl.gl dt{margin-top:.3rem}
dl.gl dd{margin:0 0 0 1rem}
table.t tr{break-inside:avoid;page-break-inside:avoid}
@media print{body{margin:0;max-width:none;padding:0;font-size:9.5pt} h2{margin-top:.9rem}
table.t{font-size:8pt}}
"""


def _explanations(b: Brief) -> list[str]:
    """Price rationing and re-routing sentences for this run, each linked to its glossary
    entry (none where the numbers show neither)."""
    shown = [r for r in b.sim["results"] if r["region"] in IMPORTERS]
    short = {(r["commodity"], r["region"]): r["shortfall"] for r in b.sim["results"]}
    short.update({(x["commodity"], x["region"]): x["shortfall"]
                  for x in b.sim.get("shortfall_by_region") or []})
    out = []
    if note := X.rationing_note(X.price_rationed(shown), b.names):
        out.append(f"{_e(note)} ({_g('glossary', 'price-rationing')})")
    if note := X.rerouting_note(X.rerouted(b.scenario.controls, short), b.names, country):
        out.append(f"{_e(note)} ({_g('glossary', 're-routing')})")
    return out


def _glossary() -> str:
    items = "".join(f"<dt id={X.anchor(t.key)}><b>{_e(t.term)}</b></dt><dd>{_e(t.text)}</dd>"
                    for t in X.GLOSSARY)
    return ("<h2 class=appendix id=glossary>Appendix E. Glossary</h2><p class=note>What each "
            "measure in this brief means (dotted underlines link here; also "
            f"<code>critmin glossary</code>).</p><dl class=gl>{items}</dl>")


def _link(url, text) -> str:
    if missing(url) or not str(url).startswith(("http://", "https://")):
        return _e(text)
    return Markup(f'<a href="{html.escape(str(url), quote=True)}">{_e(text)}</a>')


# -- executive summary -------------------------------------------------------------------
def _headline_findings(b: Brief) -> list[str]:
    names, out = b.names, []
    for imp in IMPORTERS:
        top = impact_exposure(b, imp, 3)
        if len(top):
            out.append(f"<b>{_e(country(imp))}</b> is most exposed, by probability-weighted "
                       "GDP impact, on " + "; ".join(_e(_impact_reason(r, names))
                                                      for r in top.itertuples()) + ".")
        elif len(top := exposure(b.assessment, imp, 3)):
            out.append(f"<b>{_e(country(imp))}</b> is most exposed (EU-style supply risk) on "
                       + "; ".join(_e(exposure_reason(r, names)) for r in top.itertuples())
                       + ".")
    if b.impact_rank:
        out.append(_net_exporter_note(b))
    gdp = [f"{_e(country(imp))} {usd(r['gdp_loss_usd']['p50'])} (P95 "
           f"{usd(r['gdp_loss_usd']['p95'])})" for imp, r in b.impact.items()]
    if gdp:
        out.append("GDP (value added) at risk over the first 12 months of the scenario: "
                   + "; ".join(gdp) + " (median; input-output model, section 1).")
    imp = impact_table(b.sim)
    price = imp.assign(p50=imp["price"].map(lambda q: q["p50"] if q else 1.0)).sort_values(
        "p50", ascending=False).head(3)
    if len(price):
        out.append("Under the scenario, ex-China prices peak highest for " + ", ".join(
            f"{_e(names.get(r.commodity, r.commodity))} at "
            f"{times_range(r.price['p5'], r.price['p50'], r.price['p95'])}"
            for r in price.itertuples()) + " of their pre-scenario level (median, P5–P95).")
    for reg in IMPORTERS:
        col = f"short_{reg}"
        s = imp.assign(m=imp[col].map(lambda q: q["mean"])).sort_values("m", ascending=False)
        s = s[s["m"] > 0.0005].head(3)
        if len(s):
            out.append(f"{_e(country(reg))} shortfalls are largest for " + ", ".join(
                f"{_e(names.get(r.commodity, r.commodity))} "
                f"{pct_range(r[col]['p5'], r[col]['p50'], r[col]['p95'])} of demand "
                f"(mean {pct(r[col]['mean'])})" for _, r in s.iterrows()) + ".")
        else:
            out.append(f"{_e(country(reg))}: no shortfall above 0.05 % of demand in the mean.")
    regional = V2.region_finding(b, imp["commodity"].iloc[0]) if len(imp) else None
    if regional:
        out.append(regional)
    loss = b.loss_usd["with"]
    out.append(f"The value of U.S. and Japanese demand left unmet over the horizon is "
               f"{usd(loss['p50'])} (P5–P95 {usd(loss['p5'])} to {usd(loss['p95'])}; mean "
               f"{usd(loss['mean'])}) at pre-scenario prices.")
    out += _explanations(b)
    if b.portfolio:
        out.append(_portfolio_sentence(b))
    if "without" in b.loss_usd:
        saved = b.loss_usd["without"]["mean"] - loss["mean"]
        out.append(f"The Rapid Response Group rules in the scenario avoid {usd(saved)} of "
                   f"unmet demand in expectation ({usd(b.loss_usd['without']['mean'])} "
                   f"without them).")
    return out


def _impact_reason(r, names: dict) -> str:
    """'gallium (USD 0.46 bn/yr at risk; China halting exports; EU-style SR 2.1)'."""
    eu = DASH if missing(r.eu_supply_risk) else num(r.eu_supply_risk, 1)
    prods = getattr(r, "products", "")
    also = (" and of " + ", ".join(names.get(p, p) for p in str(prods).split())
            if isinstance(prods, str) and prods.strip() else "")
    return (f"{names.get(r.commodity, r.commodity)} ({usd(r.risk_usd)}/yr at risk: "
            f"{country(r.supplier)} halting exports{also}, probability "
            f"{pct(r.probability)}/yr; EU-style supply risk {eu})")


def _net_exporter_note(b: Brief) -> str:
    """Which net exporters, if any, each impact-based top 10 holds, and through what."""
    held = []
    for imp in b.impact_rank:
        top = impact_exposure(b, imp, 10)
        held += [f"{_e(b.names.get(r.commodity, r.commodity))} for {_e(country(imp))} "
                 f"(through {'price effects' if r.via_price else 'lost output of its users'})"
                 for r in top[top["net_exporter"].astype(bool)].itertuples()]
    if not held:
        return ("No net exporter is in either impact-based top 10: a net exporter's "
                "producers gain from a price rise.")
    return "Net exporters in an impact-based top 10: " + ", ".join(held) + "."


def _portfolio_sentence(b: Brief) -> str:
    p, names = b.portfolio or {}, b.names
    spend = sum(p["cost_by_funder_usd"].values())
    before, after = p["risk_before"], p["risk_after"]
    cut = 1 - after["expected_loss_usd"] / before["expected_loss_usd"] \
        if before["expected_loss_usd"] > 0 else 0.0
    stocks = pd.DataFrame(p["stockpiles"])
    bits = []
    if p["selected_projects"]:
        bits.append(f"{len(p['selected_projects'])} project(s) ("
                    + ", ".join(_e(names.get(r["commodity"], r["commodity"]))
                                for r in p["selected_projects"][:4]) + ")")
    if len(stocks):
        top = stocks.groupby("commodity")["cost_usd"].sum().sort_values(ascending=False)
        bits.append("stockpiles led by " + ", ".join(
            f"{_e(names.get(c, c))} ({tonnes(stocks[stocks['commodity'].eq(c)]['stock_t'].sum())})"
            for c in top.index[:3]))
    buys = " and ".join(bits) or "nothing (no candidate helps within the horizon)"
    return (f"The recommended portfolio spends {usd(spend)} of the "
            f"{usd(sum(p['budgets_usd'].values()))} budget on {buys}; it cuts the expected "
            f"U.S.+Japan loss from {usd(before['expected_loss_usd'])} to "
            f"{usd(after['expected_loss_usd'])} ({pct(cut)} less) and the worst-5 % average "
            f"(CVaR 95 %) from {usd(before['cvar_usd'])} to {usd(after['cvar_usd'])}.")


def _summary(b: Brief) -> str:
    sc, sim = b.scenario, b.sim
    loss = b.loss_usd["with"]
    kpis: list[tuple[str, str]] = [
        (usd(loss["mean"]), _g("expected value of unmet U.S.+Japan demand", "unmet-demand"))]
    imp = impact_table(sim)
    if len(imp):
        r = imp.sort_values("ratio", key=lambda s: s.map(lambda q: q["p50"]),
                            ascending=False).iloc[0]
        kpis.append((times(r["ratio"]["p50"]), _g(
            f"highest peak ex-China/China price ratio "
            f"({b.names.get(r['commodity'], r['commodity'])})", "price-ratio")))
    if b.portfolio:
        p = b.portfolio
        kpis.append((usd(sum(p["cost_by_funder_usd"].values())), "portfolio spend"))
        kpis.append((f"{usd(p['risk_before']['expected_loss_usd'])} → "
                     f"{usd(p['risk_after']['expected_loss_usd'])}",
                     _g("expected loss before → after the portfolio", "expected-loss")))
    box = "".join(f"<div><b>{_e(v)}</b><span>{_e(t)}</span></div>" for v, t in kpis)
    intro = (f"This brief assesses how exposed the United States and Japan are to supply "
             f"disruptions of critical minerals and rare earths, simulates the scenario "
             f"<b>{_e(sc.name)}</b> (from {date(sc.start)}, {_e(V2.horizon_text(b))}, "
             f"{_e(V2.model_text(b))}, {sim['samples']:,} Monte Carlo samples) and "
             f"recommends what the two governments should fund and stockpile within a "
             f"stated budget.")
    items = "".join(f"<li>{x}</li>" for x in _headline_findings(b))
    warn = "".join(f"<p class=warn>Note: {_e(w)}</p>" for w in b.warnings)
    return (f"<h2 id=summary>Executive summary</h2><p>{intro}</p><div class=kpi>{box}</div>"
            f"<h3>Key findings</h3><ul>{items}</ul>{warn}")


# -- evidence ----------------------------------------------------------------------------
def _impact_tables(b: Brief) -> list[str]:
    """Impact-based exposure lists (EU-style score beside, labelled) and GDP at risk by
    industry."""
    parts = ["<p>Commodities ranked by probability-weighted GDP impact (after the USGS 2025 "
             "method): each commodity's largest foreign supplier halts exports for a year; "
             "the market model and the input-output tables give the expected GDP loss; the "
             "probability follows the supplier's governance and restriction history "
             "(docs/impact.md). The EU-style supply-risk score is shown beside it for "
             "comparison; it does not enter the ranking.</p>"]
    for imp in IMPORTERS:
        d = impact_exposure(b, imp, TOP_EXPOSED)
        if not len(d):
            continue
        rows = [[b.names.get(r.commodity, r.commodity), country(r.supplier),
                 pct(r.probability), usd(r.expected_loss_usd), usd(r.risk_usd),
                 "price" if r.via_price else "output",
                 "yes" if r.net_exporter else "",
                 DASH if missing(r.eu_supply_risk) else num(r.eu_supply_risk, 2)]
                for r in d.itertuples()]
        parts.append(f"<h3>{_e(country(imp))}: top {len(rows)} by GDP impact</h3>")
        parts.append(_table(["commodity", "supplier halting exports", "probability / yr",
                             "expected GDP loss", "risk / yr", "main channel",
                             "net exporter", "EU-style supply risk (beside)"],
                            rows, {2, 3, 4, 7}))
    if b.impact:
        rows = [[r["name"], country(imp), f"{usd(r['p50'])} / {usd(r['p95'])}"]
                for imp, res in b.impact.items() for r in res["by_industry"][:5]]
        parts.append("<h3>GDP at risk by industry under the scenario (P50 / P95, 12 "
                     "months)</h3>")
        parts.append(_table(["industry", "country", "GDP loss P50 / P95"], rows, {2}))
        parts.append("<p>Industries are the U.S. BEA 2017 detail industries and Japan's MIC "
                     "2015 basic-table sectors (Japan's 2020 tables were not available to "
                     "this build).</p>")
    return parts


def _exposure_section(b: Brief, figs: list) -> str:
    if b.impact_rank:
        parts = ["<h2 id=exposure>1. Exposure of the United States and Japan</h2>",
                 *_impact_tables(b)]
        parts.append(figs.pop(0))
        return "".join(parts)
    parts = ["<h2 id=exposure>1. Exposure of the United States and Japan</h2>",
             "<p>Commodities ranked by the EU-style supply-risk score (governance-weighted "
             "concentration of the binding stage times substitution, adjusted for import "
             "reliance and recycling). Reliance is shown as published (\">\" bounds, E = net "
             "exporter).</p>"]
    for imp in IMPORTERS:
        d = exposure(b.assessment, imp, TOP_EXPOSED)
        rows = [[b.names.get(r.commodity, r.commodity),
                 pct(r.import_reliance, r.import_reliance_qualifier),
                 f"{pct(r.china_stage_share)} ({label(r.eu_stage)})",
                 f"{country(r.top_supplier)} {pct(r.top_supplier_share)}"
                 if not missing(r.top_supplier) else DASH,
                 num(r.eu_supply_risk, 2), label(r.eu_driver)] for r in d.itertuples()]
        parts.append(f"<h3>{_e(country(imp))}: top {len(rows)}</h3>")
        parts.append(_table(["commodity", _g("net import reliance", "import-reliance"),
                             "China's share (stage)", "main supplier (share of imports)",
                             _g("supply risk", "eu-supply-risk"), "main driver"],
                            rows, {1, 2, 4}))
    parts.append(figs.pop(0))
    return "".join(parts)


def _control_text(ctl, names: dict) -> str:
    what = ", ".join(names.get(c, c) for c in ctl.commodities)
    dest = "all destinations" if ctl.destinations == ["ALL"] else ", ".join(
        country(d) for d in ctl.destinations)
    terms = []
    if ctl.measure == "licence_required":
        rate = getattr(ctl, "approval_rate", None)
        terms.append((f"{pct(rate)} of licences approved, " if rate is not None else
                      "approval rate not announced (drawn by the model), ")
                     + f"{ctl.processing_days:.0f} days processing")
    if ctl.leakage:
        terms.append(f"{pct(ctl.leakage)} leakage via third countries")
    if ctl.quota_t is not None:
        terms.append(f"quota {tonnes(ctl.quota_t)}/yr")
    return (f"From {date(ctl.start)}: {country(ctl.exporter)} — {label(ctl.measure)} for "
            f"{what} to {dest}" + (f" ({'; '.join(terms)})" if terms else "") + ".")


def _scenario_section(b: Brief, figs: list) -> str:
    sc, names = b.scenario, b.names
    imp = impact_table(b.sim)
    rows = []
    for r in imp.head(TOP_ROWS).itertuples():
        rows.append([names.get(r.commodity, r.commodity),
                     times_range(r.price["p5"], r.price["p50"], r.price["p95"])
                     if r.price else DASH,
                     times_range(r.ratio["p5"], r.ratio["p50"], r.ratio["p95"]),
                     *(pct_range(q["p5"], q["p50"], q["p95"])
                       for q in (r.short_USA, r.short_JPN)), usd(r.loss_usd)])
    controls = "".join(f"<li>{_e(_control_text(c, names))}</li>" for c in sc.controls[:8])
    more = len(sc.controls) - 8
    if more > 0:
        controls += f"<li>… and {more} more (Appendix D)</li>"
    rules = "".join(f"<li>Response rule “{_e(r.name)}”: " + _e(", ".join(
        label(a) for a in r.actions)) + "</li>" for r in sc.responses)
    return (f"<h2 id=scenario>2. The scenario: {_e(sc.name)}</h2>"
            f"<p>{_e(sc.description)}</p><ul>{controls}{rules}</ul>"
            f"<h3>What it does to prices and shortfalls</h3><p class=note>Median and P5–P95 "
            f"over {b.sim['samples']:,} samples; top {len(rows)} of {len(imp)} simulated "
            f"commodities by expected value of unmet U.S.+Japan demand (all in Appendix "
            f"B).</p>"
            + _table(["commodity", _g("peak ex-China price vs. before", "price-ratio"),
                      _g("peak ex-China/China price", "price-ratio"),
                      _g("U.S. shortfall", "shortfall"), _g("Japan shortfall", "shortfall"),
                      _g("expected unmet demand", "unmet-demand")],
                     rows, {1, 2, 3, 4, 5})
            + V2.region_table(b, imp["commodity"].head(TOP_ROWS).tolist())
            + "".join(figs[:3]) + f"<p class=note>{_e(V2.fan_note(b))}</p>")


def budgets_text(budgets: dict[str, float]) -> str:
    """'United States USD 1.00 bn, Japan USD 1.00 bn; no budget from Japan (US$550 bn
    vehicle)': funders with a budget, then those without one (never 'USD 0')."""
    have = [f"{country(f)} {usd(v)}" for f, v in budgets.items() if v > 0]
    none = [country(f) for f, v in budgets.items() if not v > 0]
    text = ", ".join(have) or "none"
    return text + (f"; no budget from {', '.join(none)}" if none else "")


def _portfolio_section(b: Brief, figs: list) -> str:
    p, names = b.portfolio, b.names
    budgets = budgets_text(p["budgets_usd"] if p else DEFAULT_BUDGETS)
    head = (f"<h2 id=portfolio>3. Portfolio: what to fund and stockpile</h2>"
            f"<p>The optimiser (two-stage stochastic programme, expected loss plus CVaR 95 %, "
            f"HiGHS) chooses projects, instruments and stockpiles against the same scenario. "
            f"Budgets over the horizon: {_e(budgets)}.")
    if not p:
        return head + "</p>" + "".join(f"<p class=warn>{_e(w)}</p>" for w in b.warnings)
    if "multi_period" in p:
        head = head.replace("two-stage stochastic programme", "multi-stage stochastic "
                            "programme")
        head += (" Decisions are taken now or a year later, once the first year's losses "
                 "are seen (a multi-stage programme over loss-tercile branches); projects "
                 "are valued on the price paths over their life.")
    head += (f" It used {p['samples']:,} simulated scenarios; {p['candidates']} candidate "
             f"projects, {p['candidates_online_in_horizon']} producing within the horizon.</p>")
    proj = sorted(p["selected_projects"], key=lambda r: -r["output_t"])
    prow = [[r["name"], names.get(r["commodity"], r["commodity"]), _instrument(r),
             country(r["funder"]), usd_m(r["cost_usd"]), tonnes(r["output_t"])] for r in proj]
    body = "<h3>Projects supported</h3>" + (_table(
        ["project", "commodity", "instrument", "funder", "expected fiscal cost",
         "output in horizon"], prow, {4, 5}) if prow else
        "<p>No candidate project delivers enough within the horizon for its cost.</p>")
    stocks = FIN.stock_view(pd.DataFrame(p["stockpiles"]))
    if len(stocks):
        stocks = stocks.sort_values(["holder", "cost_usd"], ascending=[True, False])
        srow = [[country(r.holder), names.get(r.commodity, r.commodity), tonnes(r.stock_t),
                 usd_m(r.cost_usd)] for r in stocks.itertuples()]
        multi = "multi_period" in p
        body += "<h3>Stockpiles by holder</h3>" + _table(
            ["holder", "commodity", "stock" + (" (expected)" if multi else ""),
             "cost incl. carrying" + (" (expected)" if multi else "")], srow, {2, 3})
        if multi:
            body += ("<p class=note>Largest 6; bought now or a year later where the first "
                     "year's losses were larger.</p>")
    before, after = p["risk_before"], p["risk_after"]
    risk_rows = [["expected loss", usd(before["expected_loss_usd"]),
                  usd(after["expected_loss_usd"])],
                 ["CVaR 95 % (mean of the worst 5 %)", usd(before["cvar_usd"]),
                  usd(after["cvar_usd"])]]
    by_b, by_a = before["by_commodity"], after["by_commodity"]
    top = sorted(by_b, key=lambda c: -(by_b[c]["expected_unmet_t"]
                                       - by_a[c]["expected_unmet_t"]))[:5]
    risk_rows += [[f"expected unmet {names.get(c, c)}", tonnes(by_b[c]["expected_unmet_t"]),
                   tonnes(by_a[c]["expected_unmet_t"])] for c in top
                  if by_b[c]["expected_unmet_t"] > 1e-6]
    spend = ", ".join(f"{country(f)} {usd(v)}" for f, v in p["cost_by_funder_usd"].items()
                      if v > 0) or "nothing"
    body += ("<h3>Risk before and after</h3>" + _table(["measure", "before", "after"],
                                                       risk_rows, {1, 2})
             + f"<p class=note>Spend by funder: {_e(spend)}; binding budgets: "
               f"{_e(_binding(p['binding_constraints']))}; fiscal cost "
               f"{_e(usd(p['fiscal_cost_usd']))}. Expected loss here is the mean over the "
               f"optimiser's {p['samples']:,} scenarios; the expected unmet demand in the "
               f"summary and section 2 is the mean over the simulation's "
               f"{b.sim['samples']:,} samples, so the two differ by sampling error and by "
               f"the optimiser's own loss model (see the methods section).</p>")
    body += "".join(figs[:1])
    body += FIN.render(b, figs[1:])
    body += _rules_table(b)
    return head + body


def _instrument(r: dict) -> str:
    """The instrument; a zero cost is shown only with its reason (valued on the paths:
    bankable at P10 and no contingent payout)."""
    if "npv_usd" in r:
        return FIN._instrument_cell(r)
    if r["cost_usd"] < 5e4:
        return "none needed: viable at the scenario's prices (v1, one price)"
    return label(r["instrument"])


def _binding(items: list[str]) -> str:
    """'budget[USA]' -> 'United States'."""
    names = [country(x.removeprefix("budget[").removesuffix("]")) for x in items]
    return ", ".join(names) or "none"


def _rules_table(b: Brief) -> str:
    if "without" not in b.loss_usd:
        return ("<h3>Value of the Rapid Response Group rules</h3><p>The scenario has no "
                "response rules to value.</p>")
    rv, names = response_value(b.sim), b.names
    with_, without = b.loss_usd["with"], b.loss_usd["without"]
    rows = [[names.get(r.commodity, r.commodity), country(r.region),
             pct(r.shortfall_p50_without, digits=1), pct(r.shortfall_p50_with, digits=1),
             f"{100 * r.shortfall_mean_avoided:.1f} pp"]
            for r in rv[rv["shortfall_mean_avoided"] > 0.0005].head(8).itertuples()]
    text = (f"<h3>Value of the Rapid Response Group rules</h3><p>Same draws with and without "
            f"the scenario's response rules: the expected value of unmet U.S.+Japan demand "
            f"is {usd(without['mean'])} without and {usd(with_['mean'])} with them "
            f"(median {usd(without['p50'])} → {usd(with_['p50'])}).</p>")
    if not rows:
        return text + "<p>No commodity's mean shortfall changes by more than 0.05 pp.</p>"
    return text + _table(["commodity", "importer", "median shortfall without",
                          "median shortfall with", "mean shortfall avoided"], rows,
                         {2, 3, 4})


OUTPUT_LABELS = {"shortfall": "U.S. shortfall", "peak_price_ratio": "peak price ratio"}


def _drivers_section(b: Brief) -> str:
    if b.drivers is None or b.drivers.empty:
        return ""
    rows = [[b.names.get(r.commodity, r.commodity), OUTPUT_LABELS.get(r.output, r.output),
             r.description or label(r.input),
             index_text(r.ST, r.ST_conf, getattr(r, "ST_estimate", None))]
            for r in b.drivers.itertuples()]
    return ("<h2 id=drivers>4. What drives the results</h2><p>Uncertain model inputs that "
            "move the most affected results most: Sobol total-order index (share of the "
            "result's variance due to the input, with its interactions; ± 95 % "
            f"confidence, from {b.drivers_samples} base samples: read the order, not the "
            f"decimals; market model {_e(b.model)}).</p>"
            + _table(["commodity", "result", "input", _g("total-order index", "sobol")],
                     rows, {3}))


def _balance_text(err) -> str:
    if missing(err):
        return "Market-clearing balance error not recorded."
    if err < 1e-6:
        return "Market clearing holds to better than one part in a million of demand."
    return f"Largest market-clearing mismatch: {pct(err, digits=2)} of demand."


def _caveats(b: Brief) -> str:
    items = [
        V2.model_caveat(b),
        "Scenario inputs are announced policy (what, when, whom, licence terms), never "
        "observed outcomes; approval rates and leakage are assumptions stated in the "
        "scenario.",
        "Concentration (HHI) counts the rest of the world as fragmented, a lower bound; "
        "stage shares come from the most recent year with data for each commodity.",
        "Value of unmet demand is priced at pre-scenario prices, so it understates losses "
        "when prices spike; it ignores downstream output lost for want of an input.",
        "The portfolio uses a subset of the simulated scenarios and projects' stated "
        "capacity and timelines; projects without a first-production year are assumed to "
        "start three years from now; instrument costs are expected fiscal costs.",
        _balance_text(b.sim.get("balance_error")),
    ]
    gaps = b.net.tables.get("gaps")
    if gaps is not None:
        items.append(f"{len(gaps)} data gaps are recorded rather than guessed "
                     f"(`critmin data list gaps`).")
    est = sum(int(df["estimated"].astype(bool).sum()) for df in b.net.tables.values()
              if "estimated" in df.columns)
    items.append(f"{est:,} data rows are estimates and carry their method.")
    items += b.warnings
    return ("<h2 id=caveats>Caveats and model limits</h2><ul>"
            + "".join(f"<li>{_e(x)}</li>" for x in items) + "</ul>")


def _methods(b: Brief, inputs: dict) -> str:
    return (
        "<h2 id=methods>Methods</h2>"
        "<p><b>Data.</b> Production, reserves, trade, import reliance, prices and projects from "
        "USGS Mineral Commodity Summaries, UN Comtrade/BACI and company and government "
        "releases (Appendix C); each row cites its source.</p>"
        "<p><b>Exposure.</b> Herfindahl–Hirschman index of each stage; EU-style supply risk "
        "(governance-weighted concentration, substitution, import reliance, recycling) and "
        "a U.S.-style score (disruption potential × trade exposure × economic "
        "vulnerability); formulas in <code>critmin.metrics.criticality</code>.</p>"
        f"<p><b>Simulation.</b> {b.sim['samples']:,} Monte Carlo samples, seed "
        f"{_e(inputs.get('seed', DASH))}, horizon {_e(V2.horizon_text(b))}; "
        f"{_e(V2.simulation_method(b))} Run "
        f"<code>{_e(b.run_id)}</code>, reproducible with the same seed.</p>"
        "<p><b>Portfolio.</b> Two-stage stochastic mixed-integer programme (linopy, HiGHS): "
        "first stage projects by funder and stockpiles by holder within budgets; second "
        "stage stock releases per scenario; objective expected loss + CVaR 95 % + fiscal "
        "cost (Rockafellar and Uryasev 2000). The frontier re-solves at scaled budgets and "
        "compares a greedy benefit-per-dollar ranking.</p>")


# -- appendices ----------------------------------------------------------------------------
def _appendix_supply(b: Brief) -> str:
    s = b.summary.copy()
    s["max_china"] = s[[c for c in s.columns if c.startswith("china_share_")]].max(axis=1)
    s = s.sort_values("max_china", ascending=False)
    stages = [c.removeprefix("china_share_") for c in s.columns
              if c.startswith("china_share_")]
    rows = [[r["name"], str(r["year"]),
             DASH if missing(r["world_output"]) else tonnes(r["world_output"], r["unit"]),
             f"{country(r['top_country'])} {pct(r['top_share'])}",
             *[pct(r[f"china_share_{st}"]) for st in stages],
             *[pct(r[f"{m}_import_reliance"], r[f"{m}_reliance_qualifier"])
               for m in ("usa", "jpn", "eu", "kor")]]
            for _, r in s.iterrows()]
    return (f"<h2 class=appendix id=appendix-a>{APPENDIX_MARK}. Supply by commodity</h2>"
            "<p class=note>Latest year with data; China's share of world output by stage; "
            "net import reliance (E = net exporter): the U.S. as USGS publishes it; Japan, "
            "the EU (extra-EU trade) and Korea computed the USGS way from CEPII BACI trade "
            "(estimates; a dash where the trade extract has no HS line).</p>"
            + _table(["commodity", "year", "world output", "top producer",
                      *[f"China {label(st)}" for st in stages], "U.S. reliance",
                      "Japan reliance", "EU reliance", "Korea reliance"], rows,
                     set(range(1, 8 + len(stages)))))


def _appendix_results(b: Brief, figs: list) -> str:
    names = b.names
    imp = impact_table(b.sim)
    rows = [[names.get(r.commodity, r.commodity),
             times_range(r.ratio["p5"], r.ratio["p50"], r.ratio["p95"]),
             *(pct_range(q["p5"], q["p50"], q["p95"], 1) for q in (r.short_USA, r.short_JPN)),
             pct(r.fired) if not missing(r.fired) else DASH, usd(r.loss_usd)]
            for r in imp.itertuples()]
    rank = []
    for imp_c in IMPORTERS:
        d = exposure(b.assessment, imp_c)
        tied = {m: tie_counts(b.assessment, imp_c, m) for m in ("eu", "us")}
        rank += [[country(imp_c), names.get(r.commodity, r.commodity),
                  num(r.eu_supply_risk, 2), rank_text(r.eu_rank, tied["eu"]),
                  num(r.us_supply_risk, 3), rank_text(r.us_rank, tied["us"]),
                  label(r.eu_driver)] for r in d.itertuples()]
    return ("<h2 class=appendix id=appendix-b>Appendix B. Simulation results and criticality "
            "ranking</h2>"
            + _table(["commodity", _g("peak ex-China/China price", "price-ratio"),
                      _g("U.S. shortfall", "shortfall"), _g("Japan shortfall", "shortfall"),
                      "response fired", _g("expected unmet demand", "unmet-demand")], rows,
                     {1, 2, 3, 4, 5})
            + V2.stage_table(b, imp["commodity"].head(TOP_ROWS).tolist())
            + "".join(figs) + "<p class=note>Single rare earths scored through their group "
              "share its rank and are not listed: ranks marked = are tied.</p>"
            + _table(["importer", "commodity", _g("EU supply risk", "eu-supply-risk"),
                      _g("rank", "rank"), _g("U.S. score", "us-score"), _g("rank", "rank"),
                      "driver"], rank, {2, 3, 4, 5}))


def _appendix_sources(b: Brief) -> str:
    net = b.net
    src = net.sources.assign(rows=net.citations())
    src = src.sort_values(["rows", "publisher"], ascending=[False, True])
    rows = [[_e(r.publisher), _link(r.url, r.title), _e("" if missing(r.table) else r.table),
             str(r.year), f"{r.rows:,}", _e(r.source_id)] for r in src.itertuples()]
    head = "".join(f"<th{' class=n' if h in ('year', 'rows') else ''}>{h}</th>" for h in
                   ("publisher", "title (link)", "table", "year", "rows", "id"))
    body = "".join("<tr>" + "".join(f"<td{' class=n' if i in (3, 4) else ''}>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return ("<h2 class=appendix id=appendix-c>Appendix C. Sources</h2>"
            f"<p class=note>{len(src)} sources, most cited first; rows = data rows citing "
            f"each.</p><table class='t src'><colgroup><col style='width:17%'>"
            "<col style='width:37%'><col style='width:15%'><col style='width:7%'>"
            "<col style='width:7%'><col style='width:17%'></colgroup>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
            "</table>")


def _appendix_run(b: Brief, store: ResultsStore, inputs: dict) -> str:
    rows = [["scenario", b.scenario.id], ["simulation run", b.run_id],
            ["baseline run (no response rules)", b.baseline_run_id or DASH],
            ["code version", __version__]]
    rows += [[k.replace("_", " "), str(v)] for k, v in inputs.items()]
    if b.portfolio:
        rows.append(["stored optimisation", b.portfolio.get("optimisation_id", DASH)])
        rows.append(["optimiser status", f"{b.portfolio['status']}, MIP gap "
                                         f"{pct(b.portfolio['mip_gap'] or 0, digits=1)}"])
    controls = "".join(f"<li>{_e(_control_text(c, b.names))}</li>" for c in b.scenario.controls)
    return ("<h2 class=appendix id=appendix-d>Appendix D. Run record</h2>"
            + _table(["item", "value"], rows)
            + f"<h3>All controls in the scenario</h3><ul>{controls}</ul>")


# -- assembly ------------------------------------------------------------------------------
def _figures(b: Brief, store: ResultsStore) -> dict:
    names = b.names
    shares = b.net.production_shares()
    ranked = exposure(b.assessment, "USA")["commodity"].tolist()
    have = set(shares["commodity"])
    order = [c for c in ranked if c in have] + sorted(have - set(ranked))
    first_stage = shares.groupby("commodity")["stage"].transform(
        lambda s: min(s, key=lambda x: ("mine", "refining", "metal", "product").index(x)
                      if x in ("mine", "refining", "metal", "product") else 9))
    shares = shares[shares["stage"].eq(first_stage) & ~shares["country"].isin(
        ["OTHER", "WORLD"])]
    ymax = shares.groupby(["commodity"])["year"].transform("max")
    shares = shares[shares["year"].eq(ymax)]
    prod = b.net.production
    if "qualifier" in prod:  # show values as published (">", estimated)
        q = prod[["commodity", "stage", "year", "country", "qualifier"]].drop_duplicates(
            ["commodity", "stage", "year", "country"])
        shares = shares.merge(q, on=["commodity", "stage", "year", "country"], how="left")
    ranked_sim = impact_table(b.sim)["commodity"].tolist()
    top = ranked_sim[:FAN_COMMODITIES]
    paths = (store.paths(b.run_id) if b.monthly is None
             else long_paths(b.monthly, top))
    start = b.scenario.start
    out = {"exposure": [F.production_map(shares, names, order)],
           "scenario": [
               F.fan_chart(paths, "price_x", top, start, "Ex-China price vs. pre-scenario "
                                                         "level", names),
               F.shortfall_fans(paths, top, start, names)],
           "portfolio": [], "appendix": [*V2.detail_figures(b, ranked_sim),
                                         F.concentration_heatmap(b.assessment, names=names)]}
    if b.frontier is not None and b.portfolio:
        out["portfolio"].append(F.frontier_chart(b.frontier,
                                                 sum(b.portfolio["budgets_usd"].values())))
    fans = FIN.npv_fans(b.portfolio or {})
    if fans is not None and out["portfolio"]:
        out["portfolio"].append(fans)
    return out


def render(b: Brief, store: ResultsStore) -> str:
    """The brief as one HTML document."""
    figs = _figures(b, store)
    html_figs: dict[str, list[str]] = {}
    first = True
    for key in ("exposure", "scenario", "portfolio", "appendix"):
        html_figs[key] = []
        for f in figs[key]:
            html_figs[key].append(f"<div class=fig>{F.figure_html(f, first)}</div>")
            first = False
    inputs = run_inputs(store, b.run_id)
    now = dt.datetime.now(dt.UTC)
    sc = b.scenario
    return (
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>critmin brief — {_e(sc.name)}</title><style>{CSS}</style>{F.GEO_SHIM}"
        f"</head><body><header><h1>Critical minerals: supply-security brief</h1>"
        f"<p class=meta>United States and Japan · scenario {_e(sc.id)} · generated "
        f"{now:%d %b %Y %H:%M} UTC by critmin {__version__}</p></header>"
        + _summary(b) + _exposure_section(b, html_figs["exposure"])
        + _scenario_section(b, html_figs["scenario"])
        + _portfolio_section(b, html_figs["portfolio"]) + _drivers_section(b)
        + _caveats(b) + _methods(b, inputs)
        + "<h2 id=sources>Sources</h2><p>Every number cites a source row; the "
          f"{len(b.net.sources)} sources are listed with links in Appendix C "
          "(<code>critmin data sources</code> prints them). Appendix E defines each "
          "measure.</p>"
        + _appendix_supply(b) + _appendix_results(b, html_figs["appendix"])
        + _appendix_sources(b) + _appendix_run(b, store, inputs) + _glossary()
        + "</body></html>")


def write_report(b: Brief, store: ResultsStore, path: Path) -> None:
    """Write the brief to ``path`` atomically (temporary file, then rename)."""
    doc = render(b, store)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(doc, encoding="utf-8")
    tmp.replace(path)
