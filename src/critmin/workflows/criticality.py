"""Impact-based criticality (after the USGS 2025 method, OFR 2025-1047): for each commodity
with a market baseline, each of its major suppliers (the largest producer other than the
country, and the largest source of the country's imports where published) halts exports
for a year; the market model and :mod:`critmin.workflows.impact` give the country's
expected GDP loss; risk = sum over these scenarios of annual probability x expected loss.
docs/impact.md.

Probability (critmin estimate, not a published model): ``p = min(0.9, (0.02 + 0.18 g) h)``
with ``g`` the supplier's World Bank WGI political-stability score rescaled 0 (best) - 1
(worst) and ``h`` = 2 where the supplier has restricted exports of the commodity before
(``export_restrictions`` table), else 1.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from critmin.market.v2.paths import prepare
from critmin.metrics.criticality import governance_scores
from critmin.metrics.impact import io_dir
from critmin.scenarios.spec import ExportControl, Scenario
from critmin.workflows.impact import impact_loss

START = dt.date(2026, 1, 1)
P_BASE, P_GOV, P_HISTORY, P_MAX = 0.02, 0.18, 2.0, 0.9


def disruption_probability(g_pv: float, restricted_before: bool) -> float:
    """Annual probability of a supplier halting exports (module formula)."""
    g = 0.5 if g_pv is None or np.isnan(g_pv) else float(np.clip(g_pv, 0, 1))
    return float(min(P_MAX, (P_BASE + P_GOV * g) * (P_HISTORY if restricted_before else 1)))


def top_suppliers(net, country: str) -> pd.DataFrame:
    """Major suppliers of each commodity of the market network: the top producing country
    other than ``country`` at the headline stage (role ``producer``) and the top source of
    the country's imports in ``import_sources`` (the parent's where the commodity has none;
    role ``import source``) where that is another country: columns commodity, stage,
    supplier, share, role."""
    full = prepare(net, Scenario(id="baseline", name="baseline", start=START), 12).full
    heads = {full.nodes[h].commodity: full.nodes[h].stage for h in full.headline}
    sh = net.production_shares()
    sh = sh[~sh["country"].isin(["OTHER", country])]
    rows = []
    for c, stage in heads.items():
        s = sh[sh["commodity"].eq(c) & sh["stage"].eq(stage)]
        if s.empty:
            continue
        top = s.sort_values("share", ascending=False).iloc[0]
        rows.append({"commodity": c, "stage": stage, "supplier": top["country"],
                     "share": float(top["share"]), "role": "producer"})
        src = _import_source(net, country, c)
        if src is not None and src[0] != top["country"]:
            rows.append({"commodity": c, "stage": stage, "supplier": src[0],
                         "share": src[1], "role": "import source"})
    return pd.DataFrame(rows)


def _import_source(net, country: str, commodity: str) -> tuple[str, float] | None:
    """(exporter, share) of the country's largest published import source of the
    commodity, or of its parent (e.g. rare earths for Dy); None where none is published."""
    parent = net.commodities.set_index("commodity")["parent"].get(commodity)
    s = net.import_sources[net.import_sources["importer"].eq(country)
                           & ~net.import_sources["exporter"].isin(["OTHER", country])]
    for c in (commodity, parent):
        g = s[s["commodity"].eq(c)] if isinstance(c, str) and c else s.iloc[0:0]
        if len(g):
            g = g[g["period"].eq(g["period"].max())].sort_values("share", ascending=False)
            return str(g["exporter"].iloc[0]), float(g["share"].iloc[0])
    return None


def supplier_scenario(commodity: str, supplier: str) -> Scenario:
    """The supplier halts all exports of the commodity for four quarters from START."""
    return Scenario(
        id=f"supplier:{commodity}:{supplier}", name=f"{supplier} halts {commodity} exports",
        start=START, horizon_quarters=4, commodities=[commodity],
        controls=[ExportControl(exporter=supplier, commodities=[commodity],
                                measure="export_ban", start=START,
                                end=dt.date(2026, 12, 31))])


def rank_commodities(net, country: str = "USA", samples: int = 16, seed: int = 0,
                     commodities: list[str] | None = None) -> pd.DataFrame:
    """Ranked table of mineral commodities (derived products such as magnets and battery
    cells left out: their inputs carry them): commodity, supplier (the scenario adding most
    risk), scenarios ('CHN producer; CAN import source'), probability, expected_loss_usd
    (mean over samples, 12 months), quantity_usd, price_usd, producer_gain_usd (all of
    that scenario), risk_usd (sum over the scenarios), net_exporter, via_price, rank."""
    sup = top_suppliers(net, country)
    products = set(net.commodities.loc[net.commodities["group"].eq("product"), "commodity"])
    sup = sup[~sup["commodity"].isin(products)]
    if commodities is not None:
        sup = sup[sup["commodity"].isin(commodities)]
    gov = governance_scores(net)["g_pv"]
    er = net.export_restrictions
    rows = []
    for r in sup.itertuples(index=False):
        sc = supplier_scenario(r.commodity, r.supplier)
        loss, _, keys, use = impact_loss(net, sc, country, samples, seed, 12)
        before = bool(((er["exporter"] == r.supplier) & (er["commodity"] == r.commodity)).any())
        p = disruption_probability(gov.get(r.supplier, np.nan), before)
        exp = float(loss.gdp.sum(axis=1).mean())
        qty = float(loss.physical.sum(axis=(1, 2)).mean())
        price = float((loss.price.sum(axis=(1, 2)) + loss.price_final.sum(axis=1)).mean())
        gain = float(loss.gain.sum(axis=(1, 2)).mean())
        prod = _production_usd(net, r.commodity, r.stage, country)
        own_use = float(sum(u for (c, _), u in zip(keys, use, strict=True) if c == r.commodity))
        rows.append({"commodity": r.commodity, "supplier": r.supplier,
                     "scenario": f"{r.supplier} {r.role}",
                     "supplier_share": r.share, "restricted_before": before,
                     "probability": p, "expected_loss_usd": exp, "quantity_usd": qty,
                     "price_usd": price, "producer_gain_usd": gain, "risk_usd": p * exp,
                     "net_exporter": prod > own_use > 0 or (own_use == 0 and prod > 0),
                     "via_price": price - gain > qty})
    return _by_commodity(pd.DataFrame(rows))


def _by_commodity(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per commodity: the scenario adding most risk, the scenarios' names and the
    summed risk; ranked by risk."""
    rows = rows.sort_values("risk_usd", ascending=False)
    names = rows.groupby("commodity")["scenario"].agg("; ".join)
    total = rows.groupby("commodity")["risk_usd"].sum()
    out = rows.drop_duplicates("commodity").drop(columns="scenario").set_index("commodity")
    out["scenarios"], out["risk_usd"] = names, total
    out = out.reset_index().sort_values("risk_usd", ascending=False, ignore_index=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out


def _production_usd(net, commodity: str, stage: str, country: str) -> float:
    from critmin.market.v2.network import REGIONS

    full = prepare(net, Scenario(id="baseline", name="baseline", start=START), 12).full
    where = {(nd.commodity, nd.stage): i for i, nd in enumerate(full.nodes)}
    i = where[(commodity, stage)]
    return float(full.prod0[i, REGIONS.index(country)]
                 * full.price_usd_t[full.node_commodity[i]])


RANKING_FILE = "impact_ranking.csv"


def shipped_ranking(country: str) -> pd.DataFrame:
    """The ranking `tools/impact_ranking.py` computed for the shipped data (16 samples per
    supplier scenario, seed 0), for the brief, which cannot afford the sweep."""
    t = pd.read_csv(io_dir() / RANKING_FILE)
    return t[t["country"].eq(country)].drop(columns="country").reset_index(drop=True)


def usgs_ranking() -> pd.DataFrame:
    """The published USGS 2025 top ten (rank, commodity critmin id or '', mineral)."""
    return pd.read_csv(io_dir() / "usgs_2025_top10.csv", keep_default_na=False)


def compare_usgs(ranked: pd.DataFrame) -> dict:
    """Spearman rank correlation between critmin's ranking and the USGS 2025 top ten over
    the commodities both rank, with the pairs."""
    u = usgs_ranking()
    u = u[u["commodity"].isin(set(ranked["commodity"]))]
    ours = ranked.set_index("commodity")["rank"]
    pairs = [(c, int(r), int(ours[c])) for c, r in zip(u["commodity"], u["rank"], strict=True)]
    rho = float(spearmanr([p[1] for p in pairs], [p[2] for p in pairs]).statistic) \
        if len(pairs) >= 3 else float("nan")
    return {"spearman": rho, "n": len(pairs),
            "pairs": [{"commodity": c, "usgs_rank": a, "critmin_rank": b}
                      for c, a, b in pairs]}
