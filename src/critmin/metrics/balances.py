"""Supply-use balances along the chains (issue 20): does each stage's supply cover the next
stage's use, as the shipped rows say?

Rows: chain, step, year, supply and use (t, t REO for rare earths), gap = use - supply (t),
gap_share = gap / supply, status and explanation:

* ``ok``: |gap| within ``TOLERANCE`` of supply, counting sourced secondary feed (scrap and
  recycling rows) as supply;
* ``explained``: a stage without data has a ``gaps`` row saying why (cited), or the gap is
  closed by a sourced secondary-feed row;
* ``fail``: neither: a row is wrong or a flow is missing.

Mined -> separated compares world mine output with the REO that the ``separation_feed``
table sends to a named separator (mine output, concentrate sold, or separated output as a
lower bound), because no publisher gives world separated output: the remainder is mine
output with no cited separation destination.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import pandas as pd

from critmin.model.network import Network

TOLERANCE = 0.10
"""Relative gap accepted as rounding and year mismatch of different publishers."""
USE_RANGES = {  # (product, input) -> (low, high) kg oxide per t, from published content ranges
    ("ndfeb_magnet", "ndpr"): ((290 - 9) * 1.177, (325 - 9) * 1.177),
    ("ndfeb_magnet", "dy"): (6 * 1.1477, 12 * 1.1477),
}
"""courage_magnet_faq: 29-32.5 wt % rare earths less 0.9 % Dy, Nd+Pr metal to oxide x 1.177;
Dy 0.6-1.2 wt %, metal to Dy2O3 x 1.1477 (the bom table's typical rows are the midpoints)."""


@dataclass(frozen=True)
class Step:
    chain: str
    step: str
    supply: tuple[str, str]  # (commodity, stage) of the supplying stage, WORLD row
    use: tuple[str, str]  # (commodity, stage) of the using stage, WORLD row
    bom: tuple[str, str] | None = None  # (variant, input): use = use rows x kg/t / 1000
    secondary: tuple[str, str] | None = None  # (scope, parameter): sourced secondary feed
    feed: str | None = None  # table of sourced flows from the supply stage to the user


STEPS = (
    Step("rare earths", "mined -> separated", ("ree", "mine"), ("ree", "refining"),
         feed="separation_feed"),
    Step("rare earths", "NdPr oxide -> NdFeB magnets", ("ndpr", "refining"),
         ("ndfeb_magnet", "product"), ("sintered typical", "ndpr"),
         ("ndpr", "recycled_oxide_CHN_2024")),
    Step("rare earths", "Dy oxide -> NdFeB magnets", ("dy", "refining"),
         ("ndfeb_magnet", "product"), ("sintered typical", "dy")),
    Step("rare earths", "Tb oxide -> NdFeB magnets", ("tb", "refining"),
         ("ndfeb_magnet", "product"), ("sintered typical", "tb")),
    *(Step(c, "mined -> refined", (c, "mine"), (c, "refining"))
      for c in ("lithium", "cobalt", "graphite", "nickel")),
)


def _world(net: Network, commodity: str, stage: str) -> pd.DataFrame:
    p = net.production
    return p[(p["commodity"] == commodity) & (p["stage"] == stage) & (p["country"] == "WORLD")]


def _gap_reason(net: Network, commodity: str, stage: str, table: str = "production"):
    g = net.gaps
    g = g[(g["table"] == table) & (g["commodity"] == commodity) & (g["stage"].isin((stage, "")))
          & g["country"].isin(("WORLD",))]
    if g.empty:
        return None
    r = g.sort_values("year").iloc[-1]
    return f"{r['reason']} [{r['source_id']}]"


def _row(step: Step, **kw) -> dict:
    base = dict(chain=step.chain, step=step.step, year=None, supply_t=None, use_t=None,
                use_low_t=None, use_high_t=None, secondary_t=None, gap_t=None, gap_share=None,
                status="explained", explanation="", sources="")
    return {**base, **kw}


def _unplaced(net: Network, step: Step, feed: pd.DataFrame, year: int, top: int = 3) -> str:
    """Mine countries whose output exceeds their cited flows, largest first (t)."""
    p = net.production
    p = p[(p["commodity"] == step.supply[0]) & (p["stage"] == step.supply[1])
          & (p["year"].astype(int) == year) & ~p["country"].isin(("WORLD",))]
    mined = p.groupby("country")["value"].apply(lambda v: v.astype(float).sum())
    sent = feed.groupby("mine_country")["value"].apply(lambda v: v.astype(float).sum())
    left = (mined - sent.reindex(mined.index, fill_value=0.0)).sort_values(ascending=False)
    return ", ".join(f"{c} {v:,.0f} t" for c, v in left[left > 0].head(top).items())


def _feed_one(net: Network, step: Step) -> dict:
    """Supply (WORLD row) against the sum of sourced flows to named users, latest common year."""
    sup = _world(net, *step.supply)
    feed = net.tables[str(step.feed)]  # called where step.feed is set
    feed = feed[feed["commodity"] == step.supply[0]]
    years = sorted(set(sup["year"].astype(int)) & set(feed["year"].astype(int)))
    if not years:
        return _row(step, status="fail", explanation=f"no year with both a WORLD "
                    f"{step.supply[0]}/{step.supply[1]} row and {step.feed} rows")
    year = years[-1]
    s_row = sup[sup["year"].astype(int) == year].iloc[0]
    f = feed[feed["year"].astype(int) == year]
    supply, used = float(s_row["value"]), float(f["value"].astype(float).sum())
    gap = used - supply
    share = gap / supply
    by = f.groupby("separator_country")["value"].apply(lambda v: v.astype(float).sum())
    parts = ", ".join(f"{c} {v:,.0f} t" for c, v in by.sort_values(ascending=False).items())
    within = abs(gap) <= TOLERANCE * supply
    if gap > 0:
        rest = f"the destinations exceed mine output by {gap:,.0f} t ({share:+.1%})"
    else:
        rest = (f"{-gap:,.0f} t ({-share:.1%}) has none in the sources read (largest: "
                f"{_unplaced(net, step, f, year)})")
    why = (f"{used:,.0f} t of the {supply:,.0f} t mined has a cited separation destination "
           f"({parts}; table {step.feed}); {rest}"
           + (f"; within the {TOLERANCE:.0%} tolerance" if within else ""))
    return _row(step, year=year, supply_t=round(supply, 1), use_t=round(used, 1),
                use_low_t=round(used, 1), use_high_t=round(used, 1), gap_t=round(gap, 1),
                gap_share=round(share, 4), status="ok" if within else "fail", explanation=why,
                sources=", ".join(dict.fromkeys([s_row["source_id"], *f["source_id"]])))


def _one(net: Network, step: Step) -> dict:
    if step.feed is not None:
        return _feed_one(net, step)
    sup, use = _world(net, *step.supply), _world(net, *step.use)
    missing = [(c, s) for (c, s), df in ((step.supply, sup), (step.use, use)) if df.empty]
    if step.bom is not None:
        b = net.tables["bom"]
        b = b[(b["product"] == step.use[0]) & (b["variant"] == step.bom[0])
              & (b["input"] == step.bom[1])]
        if b.empty:
            return _row(step, status="explained", explanation=(
                f"no {step.bom[0]} content of {step.bom[1]} per t of {step.use[0]} is "
                "published in the sources read (the bom table has only grade-specific "
                "bounds), so use is not computed"), sources="bom")
    if missing:
        reasons = [_gap_reason(net, c, s) for c, s in missing]
        if all(reasons):
            return _row(step, status="explained", explanation="; ".join(reasons))
        return _row(step, status="fail", explanation="no WORLD row and no gaps row for "
                    + ", ".join(f"{c}/{s}" for c, s in missing))
    years = sorted(set(sup["year"].astype(int)) & set(use["year"].astype(int)))
    if not years:
        return _row(step, status="fail", explanation="supply and use have no common year "
                    f"(supply {sorted(sup['year'])}, use {sorted(use['year'])})")
    year = years[-1]
    s_row = sup[sup["year"].astype(int) == year].iloc[0]
    u_row = use[use["year"].astype(int) == year].iloc[0]
    supply, used = float(s_row["value"]), float(u_row["value"])
    sources = [s_row["source_id"], u_row["source_id"]]
    if step.bom is not None:
        kg = float(b["value"].iloc[0])
        used = used * kg / 1000.0
        sources.append(b["source_id"].iloc[0])
    secondary = 0.0
    if step.secondary is not None:
        par = net.parameters
        hit = par[(par["scope"] == step.secondary[0]) & (par["parameter"] == step.secondary[1])]
        if len(hit):
            secondary = float(hit["value"].iloc[0])
            sources.append(hit["source_id"].iloc[0])
    gap = used - supply
    share = gap / supply if supply else None
    low, high = used, used
    if step.bom is not None and (step.use[0], step.bom[1]) in USE_RANGES:
        lo, hi = USE_RANGES[(step.use[0], step.bom[1])]
        low, high = float(u_row["value"]) * lo / 1000, float(u_row["value"]) * hi / 1000

    def covers(x: float) -> bool:
        return low * (1 - TOLERANCE) <= x <= high * (1 + TOLERANCE)

    if covers(supply):
        status, why = "ok", (f"supply within the use range {low:,.0f}-{high:,.0f} t (published "
                             f"content range, tolerance {TOLERANCE:.0%})")
    elif secondary and covers(supply + secondary):
        status, why = "explained", (f"primary supply {supply:,.0f} t plus sourced secondary "
                                    f"feed {secondary:,.0f} t = {supply + secondary:,.0f} t, "
                                    f"within the use range {low:,.0f}-{high:,.0f} t")
    else:
        short = cast(float, share)  # for mypy only: share is None only where supply is 0
        status, why = "fail", (f"use exceeds supply by {gap:,.0f} t ({share:+.1%})" if gap > 0
                               else f"supply exceeds use by {-gap:,.0f} t ({-short:.1%} of "
                                    "supply): no flow takes it")
    return _row(step, year=year, supply_t=round(supply, 1), use_t=round(used, 1),
                use_low_t=round(low, 1), use_high_t=round(high, 1),
                secondary_t=round(secondary, 1) if secondary else None,
                gap_t=round(gap, 1), gap_share=None if share is None else round(share, 4),
                status=status, explanation=why, sources=", ".join(dict.fromkeys(sources)))


def balances(net: Network) -> pd.DataFrame:
    """One row per chain step (see module docstring)."""
    return pd.DataFrame([_one(net, s) for s in STEPS])
