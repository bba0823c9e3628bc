"""The decision brief's numbers: exposure of the U.S. and Japan, what a scenario does to
prices and shortfalls (P5-P95), what the optimised portfolio buys, the value of the Rapid
Response Group rules. :mod:`critmin.workflows.brief` computes them (assess, simulate,
summarise, the optimiser); :mod:`critmin.report.html` renders them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.market.registry import DEFAULT_MODEL
from critmin.metrics.assessment import Assessment
from critmin.model.network import Network
from critmin.report.fmt import country, label, pct
from critmin.scenarios.spec import Scenario
from critmin.store.results import ResultsStore

IMPORTERS = ("USA", "JPN")
DEFAULT_BUDGETS = {"USA": 1e9, "JPN": 1e9, "JPN_vehicle": 0.0}
"""Budgets the brief states and optimises for (USD): U.S. and Japan USD 1 bn each over the
scenario horizon, nothing from Japan's investment vehicle (the `critmin optimize`
defaults)."""


Progress = Callable[[str], None]


@dataclass
class Brief:
    """Inputs of the rendered brief."""

    net: Network
    scenario: Scenario
    run_id: str
    baseline_run_id: str | None
    assessment: Assessment
    summary: pd.DataFrame
    sim: dict
    loss_usd: dict  # quantiles of U.S.+Japan value of unmet demand, with and without rules
    portfolio: dict | None
    frontier: pd.DataFrame | None
    drivers: pd.DataFrame | None
    names: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    drivers_samples: int = 0
    model: str = DEFAULT_MODEL
    monthly: object = None  # xarray Dataset: monthly v2 paths of the run's first samples
    impact: dict = field(default_factory=dict)  # country -> `critmin impact` result
    impact_rank: dict = field(default_factory=dict)  # country -> impact-based ranking
    club: dict | None = None  # `critmin club` record for the brief's club comparison


def names_of(net) -> dict:
    """commodity id -> readable name."""
    return dict(zip(net.commodities["commodity"], net.commodities["name"], strict=True))



def exposure(a: Assessment, importer: str, n: int | None = None) -> pd.DataFrame:
    """Most exposed commodities of an importer, by EU-style supply risk (highest first),
    with the numbers that explain it: reliance (as published), China's share of the
    binding stage, main supplier. Elements scored only through their parent (stage shown
    as 'refining (ree)') are left out: the parent's row stands for them."""
    d = a.countries[a.countries["importer"].eq(importer)].dropna(subset=["eu_supply_risk"])
    own = ~d["eu_stage"].astype(str).str.contains("(", regex=False)
    d = d[own].sort_values("eu_supply_risk", ascending=False)
    st = a.stages.drop_duplicates(["commodity", "stage"]).set_index(["commodity", "stage"])
    china = [st["china_share"].get((c, str(s).split(" ")[0]), np.nan)
             for c, s in zip(d["commodity"], d["eu_stage"], strict=True)]
    out = d.assign(china_stage_share=china)
    return out if n is None else out.head(n)


def tie_counts(a: Assessment, importer: str, method: str) -> dict[float, int]:
    """How many of the importer's commodities share each ``method`` ('eu' | 'us') rank,
    listed or not (single rare earths scored through their group count)."""
    r = a.countries.loc[a.countries["importer"].eq(importer), f"{method}_rank"].dropna()
    return {float(k): int(v) for k, v in r.value_counts().items()}


def impact_exposure(b: Brief, importer: str, n: int | None = None) -> pd.DataFrame:
    """The importer's impact-based ranking (critmin impact-rank) with the EU-style supply
    risk beside it (NaN where the assessment has none)."""
    r = b.impact_rank.get(importer)
    if r is None or not len(r):
        return pd.DataFrame()
    d = b.assessment.countries
    eu = d[d["importer"].eq(importer)].set_index("commodity")["eu_supply_risk"]
    out = r.assign(eu_supply_risk=r["commodity"].map(eu))
    return out if n is None else out.head(n)


def exposure_reason(r, names: dict) -> str:
    """'gallium (net import reliance 100 %; China 98 % of world refining; ...)'."""
    bits = [f"net import reliance {pct(r.import_reliance, r.import_reliance_qualifier)}"]
    if pd.notna(r.china_stage_share) and r.china_stage_share > 0:
        bits.append(f"China {pct(r.china_stage_share)} of world {label(r.eu_stage)}")
    if pd.notna(r.top_supplier) and pd.notna(r.top_supplier_share):
        bits.append(f"main supplier {country(r.top_supplier)} "
                    f"{pct(r.top_supplier_share)} of imports")
    return f"{names.get(r.commodity, r.commodity)} ({'; '.join(bits)})"


def impact_table(sim: dict) -> pd.DataFrame:
    """One row per simulated commodity: price and U.S./Japan shortfall quantiles and the
    expected value of unmet demand; sorted by that value (most important first)."""
    rows: dict[str, dict] = {}
    for r in sim["results"]:
        row = rows.setdefault(r["commodity"], {"commodity": r["commodity"],
                                               "ratio": r["peak_price_ratio"],
                                               "price": r.get("peak_ex_china_price"),
                                               "fired": r.get("response_fired_share"),
                                               "loss_usd": 0.0})
        if r["region"] in IMPORTERS:
            row[f"short_{r['region']}"] = r["shortfall"]
            row["loss_usd"] += (r.get("value_at_risk_usd") or {}).get("mean", 0.0)
    df = pd.DataFrame(list(rows.values()))
    worst = df[[f"short_{i}" for i in IMPORTERS]].map(lambda q: q["mean"]).max(axis=1)
    return df.assign(worst_mean=worst).sort_values(
        ["loss_usd", "worst_mean"], ascending=False).reset_index(drop=True)


def response_value(sim: dict) -> pd.DataFrame:
    """Per commodity and importer: shortfall (mean) with and without the response rules
    and the share of demand they save; largest saving first."""
    rv = sim.get("response_value") or []
    df = pd.DataFrame(rv)
    if df.empty:
        return df
    return df.sort_values("shortfall_mean_avoided", ascending=False).reset_index(drop=True)



def run_inputs(store: ResultsStore, run_id: str) -> dict:
    """A run's inputs as a JSON object (the store keeps them as JSON text)."""
    raw = store.run(run_id)["inputs"]
    return json.loads(raw) if isinstance(raw, str) else dict(raw)
