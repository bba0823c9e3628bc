"""Parts of the brief that show model v2's outputs: shortfall per region (body), peak
prices and physical shortfall per stage, and monthly fans of one commodity's prices by
stage, China's exports by destination, stock cover and shortfall per region (appendix).
Also the words that differ between the models (run description, methods, caveat)."""

from __future__ import annotations

from critmin.data.schemas import STAGES
from critmin.report import figures as F
from critmin.report.fmt import DASH, country, label, pct, pct_range, times_range
from critmin.report.markup import esc, gloss, table
from critmin.simulate.outputs import MONTHLY_SAMPLES, REGIONS, long_paths

DETAIL_COMMODITIES = 2
"""Commodities (largest expected unmet demand first) with monthly detail fans."""


def horizon_text(b) -> str:
    """The run's horizon in its model's steps: '24 months' (v2) or '8 quarters' (v1)."""
    h = int(b.sim["inputs"]["horizon"])
    return f"{3 * h} months" if b.model == "v2" else f"{h} quarters"


def model_text(b) -> str:
    """'market model v2 (monthly, by stage and region)' or v1's words."""
    if b.model == "v2":
        return "market model v2 (monthly, by stage and region)"
    return "market model v1 (quarterly, two price segments)"


def _regions(sim: dict) -> list[str]:
    have = {x["region"] for x in sim.get("shortfall_by_region") or []}
    return [r for r in REGIONS if r in have]


def region_finding(b, commodity: str) -> str | None:
    """Key finding: the median shortfall of ``commodity`` in every region (v2 only)."""
    if b.model != "v2":
        return None
    by = {x["region"]: x["shortfall"] for x in b.sim["shortfall_by_region"]
          if x["commodity"] == commodity}
    parts = [f"{country(r)} {pct(by[r]['p50'], digits=1)}" for r in _regions(b.sim)
             if r in by]
    if not parts:
        return None
    return (f"By region, the median shortfall of {esc(b.names.get(commodity, commodity))} "
            f"is {esc(', '.join(parts))} (model v2: controls by destination, re-routing "
            f"and stocks differ by region).")


def region_table(b, commodities: list[str]) -> str:
    """Shortfall per region of ``commodities``: median (P5–P95)."""
    regions = _regions(b.sim)
    by = {(x["commodity"], x["region"]): x["shortfall"]
          for x in b.sim.get("shortfall_by_region") or []}
    rows = [[b.names.get(c, c), *(pct_range(q["p5"], q["p50"], q["p95"])
                                  if (q := by.get((c, r))) else DASH for r in regions)]
            for c in commodities]
    return ("<h3>Shortfall by region</h3><p class=note>Share of the demand wanted at "
            "pre-scenario prices left unmet over the horizon, median (P5–P95), in every "
            f"importing region the model has ({gloss('shortfall', 'shortfall')}; a region "
            f"a control names can stay supplied: {gloss('re-routing', 're-routing')}).</p>"
            + table(["commodity", *(country(r) for r in regions)], rows,
                    set(range(1, len(regions) + 1))))


def stage_table(b, commodities: list[str]) -> str:
    """Peak ex-China price and physical shortfall per stage (v2 runs; empty for v1)."""
    recs = [x for x in b.sim.get("stages") or [] if x["commodity"] in commodities]
    if not recs:
        return ""
    order = {c: i for i, c in enumerate(commodities)}
    recs.sort(key=lambda x: (order[x["commodity"]], STAGES.index(x["stage"])))
    rows = [[b.names.get(x["commodity"], x["commodity"]), label(x["stage"]),
             times_range(*(x["peak_price_x"][k] for k in ("p5", "p50", "p95"))),
             pct_range(x["shortfall_physical"]["p5"], x["shortfall_physical"]["p50"],
                       x["shortfall_physical"]["p95"], 1)
             if x["shortfall_physical"] else DASH] for x in recs]
    return ("<h3>Prices and shortfalls along the supply chain</h3><p class=note>Per stage "
            "(model v2): peak ex-China price vs. before the scenario, and the share of the "
            "stage's use that buyers could not get at the going price (mean over the "
            "months); median (P5–P95).</p>"
            + table(["commodity", "stage", gloss("peak ex-China price", "price-ratio"),
                     gloss("physical shortfall", "physical-shortfall")],
                    rows, {2, 3}))


def detail_figures(b, commodities: list[str]) -> list:
    """Monthly fans of the first ``DETAIL_COMMODITIES`` commodities (v2 runs; none for
    v1): ex-China price by stage, China's exports by destination (share of its exports
    there before the scenario), stock cover and shortfall by region."""
    if b.monthly is None:
        return []
    start, figs = b.scenario.start, []
    for c in commodities[:DETAIL_COMMODITIES]:
        p = long_paths(b.monthly, [c])
        have = set(p["metric"])
        name = b.names.get(c, c)

        def series(prefix, keys, word, have=have):
            return [(f"{prefix}_{k}", word(k)) for k in keys if f"{prefix}_{k}" in have]

        figs += [
            F.series_fans(p, c, series("price_x", STAGES, label), start,
                          f"{name}: ex-China price by stage vs. before", "×"),
            F.series_fans(p, c, series("exports", [r for r in REGIONS if r != "CHN"],
                                       country), start,
                          f"{name}: China's exports by destination, % of before", " %",
                          100.0),
            F.series_fans(p, c, series("cover", REGIONS, country), start,
                          f"{name}: stock cover by region, days of use", " d"),
            F.series_fans(p, c, series("shortfall", REGIONS, country), start,
                          f"{name}: shortfall by region, % of demand", " %", 100.0)]
    return figs


def fan_note(b) -> str:
    """Where the fans' paths come from."""
    if b.monthly is None:
        return ("Fans: quarterly paths of the run's first "
                f"{min(b.sim['samples'], 1000):,} samples.")
    n = b.monthly.sizes["sample"]
    return (f"Fans: monthly paths of the run's first {n:,} samples (same draws as the "
            f"run; at most {MONTHLY_SAMPLES:,}).")


def simulation_method(b) -> str:
    """The Methods paragraph's description of the market model."""
    if b.model == "v2":
        return ("market model v2 (docs/model.md): a monthly multi-stage network (mine, "
                "refining, metal, products) with regions USA, JPN, EU, KOR, CHN and rest "
                "of world; commercial and government stocks, processing lags, licensing as "
                "a process (freeze, queue, approval ramp by destination and end use), "
                "by-products following their hosts, and demand destruction that rises with "
                "price (no price ceiling); response rules fire on simulated triggers.")
    return ("market model v1: export controls cut China's exports by licence approval and "
            "delay; ex-China supply, stocks and demand respond with short- and long-run "
            "elasticities; response rules fire on simulated triggers.")


def model_caveat(b) -> str:
    """The caveat on where the model's uncertain inputs come from."""
    drawn = ("their priors (docs/model.md)" if b.sim["inputs"].get("inputs") == "priors"
             else "their calibrated distributions (docs/calibration.md)")
    if b.model == "v2":
        return ("Shortfalls and prices come from market model v2 (elasticities that rise "
                f"with price, stocks and lags); its uncertain inputs are drawn from {drawn}"
                ", so the P5–P95 bands express input uncertainty, not forecast error. Out "
                "of sample it scores better than v1 on the training episodes (docs/"
                "calibration.md), but misses some spikes (bismuth 2025).")
    return ("Shortfalls and prices come from market model v1 with constant elasticities; "
            f"its uncertain inputs are drawn from {drawn}, so the P5–P95 bands express "
            "input uncertainty, not forecast error.")
