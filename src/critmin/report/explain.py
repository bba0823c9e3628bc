"""Words for what the numbers mean: the glossary every output links to, and the two
explanations an analyst needs most — a price rise without a shortfall (price rationing) and
a targeted destination without a shortfall (re-routing) — detected from the run's numbers.

One source for the brief (its Glossary section), the command line (`critmin glossary`,
`simulate`'s notes) and the docs page (`docs/concepts/glossary.md`, written from here)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

RATIONING_X = 1.5
"""Median peak price ratio (×) from which a price rise counts as large."""
NO_SHORTFALL = 0.005
"""Median shortfall (share of demand, 0-1) under which buyers count as served (0.5 %)."""


@dataclass(frozen=True)
class Term:
    key: str
    term: str
    text: str


GLOSSARY: tuple[Term, ...] = (
    Term("shortfall", "Shortfall (% of demand)",
         "The share of the use buyers wanted at pre-scenario prices that they did not get, "
         "over the horizon (0 % = every tonne wanted arrived). It counts tonnes, not cost: "
         "see price rationing."),
    Term("physical-shortfall", "Physical shortfall (% of use)",
         "The share of use that buyers could not get at the going price, whatever they "
         "offered (model v2, per region and per supply-chain stage). A physical shortfall "
         "means the goods were not there; a price rise alone is not one."),
    Term("price-ratio", "Peak price ratio (×)",
         "The highest monthly ex-China price over the horizon divided by the pre-scenario "
         "price (\"vs. before\"), or by China's domestic price (\"ex-China/China\"). 2.0× = "
         "twice the price."),
    Term("price-rationing", "Price rationing (price up, no shortfall)",
         "When supply tightens, buyers outside China bid for the same tonnes and the price "
         "rises until the use that can wait or switch steps back. Where short-run use "
         "barely responds to price and stocks, other producers and re-routed flows still "
         "deliver, the price can double while the shortfall stays near 0 %: the cost of the "
         "scenario shows in the price ratio, not in the shortfall."),
    Term("re-routing", "Re-routing",
         "A control that names some destinations cuts China's shipments to them only. "
         "Part of the lost supply comes back from other ex-China producers and traders "
         "within the month (the model's mobility: 20–90 %, drawn per sample) and part leaks "
         "through third countries; the tightness spreads to every importer through the "
         "shared ex-China price. A targeted destination can therefore show little or no "
         "shortfall while prices rise everywhere."),
    Term("unmet-demand", "Value of unmet demand (USD)",
         "Tonnes of U.S. and Japanese demand left unmet over the horizon, priced at "
         "pre-scenario prices; its expected value is the mean over the simulation's "
         "samples. It understates losses when prices spike."),
    Term("expected-loss", "Expected loss before → after (USD)",
         "The portfolio optimiser's value of unmet demand, averaged over the subset of "
         "samples it optimises on (fewer than the simulation's, so it differs from the "
         "value of unmet demand by sampling), without and with the chosen projects and "
         "stockpiles."),
    Term("quantiles", "Median, P5–P95",
         "Over the Monte Carlo samples: the median (P50) and the 5th and 95th percentiles; "
         "nine in ten samples fall between P5 and P95."),
    Term("samples", "Samples",
         "Monte Carlo draws of the uncertain model inputs (elasticities, approval rates, "
         "leakage, mobility ...), each simulated month by month; every output names its "
         "model and sample count."),
    Term("stock-cover", "Stock cover (days of use)",
         "Commercial and government stocks a region holds, in days of its pre-scenario "
         "use."),
    Term("import-reliance", "Net import reliance (%)",
         "Imports minus exports as a share of apparent consumption, as published (USGS), "
         "or derived the same way from trade data where the brief says so; E = net "
         "exporter."),
    Term("hhi", "Concentration (HHI)",
         "Herfindahl–Hirschman index of a stage's country shares, 0–10,000; the rest of the "
         "world counts as fragmented, so it is a lower bound."),
    Term("eu-supply-risk", "EU-style supply risk",
         "Governance-weighted concentration of supply, adjusted for import reliance, "
         "substitution and recycling (EU criticality method); higher = riskier."),
    Term("us-score", "U.S.-style score",
         "Disruption potential × trade exposure × economic vulnerability (USGS critical "
         "minerals method); higher = riskier."),
    Term("rank", "Rank",
         "Position by score, 1 = most at risk. Equal scores share a rank, marked = with "
         "the number tied (12= (14 tied)), and the next rank skips them (1, 2=, 2=, 4): a "
         "jump in the ranks shown means commodities tied, such as single rare earths scored "
         "through their group."),
    Term("sobol", "Sobol index (first order, total)",
         "The share of an output's variance due to one uncertain input alone (first order) "
         "or with its interactions (total), 0–1. Estimates outside 0–1 are sampling noise "
         "and are shown clipped, with their confidence interval."),
    Term("cvar", "CVaR 95 %",
         "The mean loss over the worst 5 % of samples."),
    Term("leakage", "Leakage (%)",
         "The share of a blocked flow that still reaches its buyers through third "
         "countries (smuggled or mis-declared)."),
)
TERMS: dict[str, Term] = {t.key: t for t in GLOSSARY}


def anchor(key: str) -> str:
    """The HTML id of a glossary entry (``g-shortfall``); KeyError for an unknown term."""
    return f"g-{TERMS[key].key}"


def glossary_markdown() -> str:
    """The glossary as a Markdown definition list (docs page and `critmin glossary --md`)."""
    return "\n".join(f"{t.term}\n:   {t.text}\n" for t in GLOSSARY)


def _p50(q) -> float:
    return float(q["p50"]) if q else float("nan")


def price_rationed(rows: Iterable[Mapping], key: str = "peak_price_ratio") -> list[str]:
    """Commodities whose median peak price ratio (``key``) is at least ``RATIONING_X``
    while every given region's median shortfall stays under ``NO_SHORTFALL``. ``rows``:
    one per commodity and region with ``commodity``, ``key`` and ``shortfall`` quantile
    dicts (a simulation report's ``results``, filtered to the regions shown)."""
    ratio: dict[str, float] = {}
    served: dict[str, bool] = {}
    for r in rows:
        c = r["commodity"]
        ratio[c] = max(ratio.get(c, 0.0), _p50(r.get(key)))
        served[c] = served.get(c, True) and _p50(r["shortfall"]) < NO_SHORTFALL
    return [c for c in ratio if ratio[c] >= RATIONING_X and served[c]]


def rerouted(controls: Iterable, shortfall: Mapping[tuple[str, str], Mapping]) -> list[
        tuple[str, str]]:
    """(commodity, destination) pairs that a control targets by name (not ``ALL``) whose
    median shortfall stays under ``NO_SHORTFALL``. ``shortfall``: (commodity, region) →
    quantiles; pairs the run does not report are left out."""
    out: list[tuple[str, str]] = []
    for ctl in controls:  # ALL is no region of the run: never matched
        for c in ctl.commodities:
            for d in ctl.destinations:
                q = shortfall.get((c, d))
                if q and _p50(q) < NO_SHORTFALL and (c, d) not in out:
                    out.append((c, d))
    return out


def rationing_note(commodities: list[str], names: Mapping[str, str]) -> str:
    """One sentence for the commodities :func:`price_rationed` found ('' for none)."""
    if not commodities:
        return ""
    what = ", ".join(names.get(c, c) for c in commodities)
    return (f"Price without shortfall ({what}): a median peak price ratio of "
            f"{RATIONING_X:g}× or more while the median shortfall stays under "
            f"{100 * NO_SHORTFALL:g} % — buyers pay more and still get the tonnes (price "
            f"rationing, not a physical shortage).")


def rerouting_note(pairs: list[tuple[str, str]], names: Mapping[str, str],
                   country=lambda c: c) -> str:
    """One sentence for the pairs :func:`rerouted` found ('' for none)."""
    if not pairs:
        return ""
    what = ", ".join(f"{names.get(c, c)} to {country(d)}" for c, d in pairs)
    return (f"Targeted but supplied ({what}): the control names the destination, yet its "
            f"median shortfall stays under {100 * NO_SHORTFALL:g} % — other ex-China "
            f"supply is re-routed to it and some leaks through third countries; the cost "
            f"shows as a higher price for every importer (re-routing).")
