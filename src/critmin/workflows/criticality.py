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

Halt size (docs/impact.md): a halt removes the supplier's exports. China's are sourced where
a source gives them (CEPII BACI export value of the HS6 code that is the headline stage's
form / critmin's benchmark price, or ``io_tables/china_exports.csv``): the scenario is then
an export quota leaving China's modelled exports less the sourced tonnage; where none does,
the halt removes the market baseline's China net exports (the prior midpoint, unsourced),
and the ranking row says so (``halt_basis``). A halt also stops the supplier's exports of
the derived products that embed the commodity (bill of materials) where those exports are
sourced (China's NdFeB magnets): the USGS groups commodities into supply chains.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from critmin.data.benchmark import benchmark_usd_t
from critmin.market.baseline import CHINA_EXPORT_SHARE
from critmin.market.v2.network import REGIONS
from critmin.market.v2.paths import prepare
from critmin.metrics.criticality import governance_scores
from critmin.metrics.impact import io_dir, read_map
from critmin.scenarios.spec import ExportControl, Scenario
from critmin.workflows.impact import impact_loss

START = dt.date(2026, 1, 1)
P_BASE, P_GOV, P_HISTORY, P_MAX = 0.02, 0.18, 2.0, 0.9
CHINA_EXPORT_HS = {
    # commodity: CEPII BACI HS6 code whose form is the commodity's headline stage
    "copper": "740311",  # refined copper cathodes (refining)
    "silicon": "280469",  # silicon < 99.99 % Si (metal)
    "magnesium": "810411",  # unwrought magnesium >= 99.8 % Mg (metal; alloys not covered)
    "titanium": "810820",  # unwrought titanium, sponge (metal)
    "fluorspar": "252922",  # acid grade > 97 % CaF2 (mine; metallurgical grade not covered)
    "barite": "251110",  # natural barium sulphate (mine)
    "phosphate": "251010",  # natural calcium phosphates (mine)
    "feldspar": "252910",  # feldspar (mine)
    "bauxite": "260600",  # aluminium ores and concentrates (mine)
}


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


def china_exports_t(net) -> pd.DataFrame:
    """China's exports of each commodity's headline-stage form where a source gives them:
    export_t (t/yr), basis, source_id; indexed by commodity. BACI: latest year's export
    value to all importers of the ``CHINA_EXPORT_HS`` code / the benchmark price (USD/t), a
    critmin estimate (prices and trade years may differ); then ``io_tables/china_exports.csv``."""
    f = net.flows[net.flows["exporter"].eq("CHN")]
    f = f[f["year"].eq(f["year"].max())]
    price = benchmark_usd_t(net.prices)
    rows = []
    for c, hs in CHINA_EXPORT_HS.items():
        g = f[f["hs6"].astype(str).eq(hs)]
        if g.empty or c not in price.index:
            continue
        usd = float(g["value"].sum())
        rows.append({"commodity": c, "export_t": usd / float(price[c]),
                     "basis": f"BACI {int(g['year'].iloc[0])} HS {hs} export value "
                              f"{usd / 1e6:,.0f} M USD / benchmark {float(price[c]):,.0f} "
                              f"USD/t (estimate)",
                     "source_id": str(g["source_id"].iloc[0])})
    t = pd.read_csv(io_dir() / "china_exports.csv")
    for r in t.itertuples(index=False):
        rows.append({"commodity": r.commodity, "export_t": float(r.export_t),
                     "basis": f"{r.form} {r.year}: {r.method}", "source_id": r.source_id})
    return pd.DataFrame(rows).drop_duplicates("commodity").set_index("commodity")


def halt_of(net, full, commodity: str, stage: str, supplier: str,
            exports: pd.DataFrame) -> dict:
    """How a supplier's halt is sized: quota_t (China's exports left, t/yr; None = full
    halt), halt_t (t/yr removed at baseline), halt_basis, products (derived products whose
    sourced exports stop too)."""
    where = {(nd.commodity, nd.stage): i for i, nd in enumerate(full.nodes)}
    i = where[(commodity, stage)]
    bom = net.bom
    products = sorted(p for p in set(bom.loc[bom["input"].eq(commodity), "product"])
                      if supplier == "CHN" and p in CHINA_EXPORT_SHARE
                      and p in full.commodities)
    if supplier != "CHN":
        share = full.country_share.get((i, supplier), 0.0)
        return {"quota_t": None, "halt_t": share * full.world_t[i], "products": products,
                "halt_basis": "the supplier's output (the market model stops a non-China "
                              "exporter's output share)"}
    modelled = float(full.dest0[i].sum())
    if commodity in exports.index:
        s = float(exports.at[commodity, "export_t"])
        if s < modelled:
            return {"quota_t": modelled - s, "halt_t": s, "products": products,
                    "halt_basis": f"China's exports, sourced: {exports.at[commodity, 'basis']}"}
        return {"quota_t": None, "halt_t": modelled, "products": products,
                "halt_basis": f"China's modelled net exports (sourced exports "
                              f"{s:,.0f} t/yr are larger: {exports.at[commodity, 'basis']})"}
    return {"quota_t": None, "halt_t": modelled, "products": products,
            "halt_basis": "China's net exports in the market baseline (prior midpoint of "
                          "U(0.2, 0.6) of its output; unsourced)"}


def supplier_scenario(commodity: str, supplier: str, stage: str | None = None,
                      quota_t: float | None = None,
                      products: list[str] | tuple = ()) -> Scenario:
    """The supplier halts exports of the commodity for four quarters from START: all of
    them, or (``quota_t``, t/yr) down to an export quota at ``stage``; and all exports of
    ``products`` (derived products embedding it)."""
    end = dt.date(2026, 12, 31)
    if quota_t is None:
        ctl = [ExportControl(exporter=supplier, commodities=[commodity],
                             measure="export_ban", start=START, end=end)]
    else:
        ctl = [ExportControl(exporter=supplier, commodities=[commodity], stages=[stage],
                             measure="quota", quota_t=quota_t, start=START, end=end)]
    if products:
        ctl.append(ExportControl(exporter=supplier, commodities=list(products),
                                 measure="export_ban", start=START, end=end))
    return Scenario(
        id=f"supplier:{commodity}:{supplier}", name=f"{supplier} halts {commodity} exports",
        start=START, horizon_quarters=4, commodities=[commodity, *products], controls=ctl)


def rank_commodities(net, country: str = "USA", samples: int = 16, seed: int = 0,
                     commodities: list[str] | None = None) -> pd.DataFrame:
    """Ranked table of mineral commodities (derived products such as magnets and battery
    cells left out: their inputs carry them; commodities without a using industry in
    ``io_tables/impact_map.csv`` left out too): commodity, supplier (the scenario adding most
    risk), scenarios ('CHN producer; CAN import source'), probability, expected_loss_usd
    (mean over samples, 12 months), quantity_usd, price_usd, producer_gain_usd (all of
    that scenario), risk_usd (sum over the scenarios), net_exporter (domestic output above
    domestic use, direct and inside the derived products halted), via_price, halt_t
    (t/yr the halt removes at baseline), halt_basis, products (derived products halted
    too), rank."""
    sup = top_suppliers(net, country)
    products = set(net.commodities.loc[net.commodities["group"].eq("product"), "commodity"])
    sup = sup[~sup["commodity"].isin(products)]
    mapped = read_map()
    sup = sup[sup["commodity"].isin(set(mapped.loc[mapped["role"].eq("user"), "commodity"]))]
    if commodities is not None:
        sup = sup[sup["commodity"].isin(commodities)]
    gov = governance_scores(net)["g_pv"]
    er = net.export_restrictions
    full = prepare(net, Scenario(id="baseline", name="baseline", start=START), 12).full
    exports = china_exports_t(net)
    rows = []
    for r in sup.itertuples(index=False):
        h = halt_of(net, full, r.commodity, r.stage, r.supplier, exports)
        sc = supplier_scenario(r.commodity, r.supplier, r.stage, h["quota_t"], h["products"])
        loss, _, keys, use, _ = impact_loss(net, sc, country, samples, seed, 12)
        before = bool(((er["exporter"] == r.supplier) & (er["commodity"] == r.commodity)).any())
        p = disruption_probability(gov.get(r.supplier, np.nan), before)
        exp = float(loss.gdp.sum(axis=1).mean())
        qty = float(loss.physical.sum(axis=(1, 2)).mean())
        price = float((loss.price.sum(axis=(1, 2)) + loss.price_final.sum(axis=1)).mean())
        gain = float(loss.gain.sum(axis=(1, 2)).mean())
        prod = _production_usd(net, r.commodity, r.stage, country)
        own_use = float(sum(u for (c, _), u in zip(keys, use, strict=True) if c == r.commodity))
        own_use += embedded_use_usd(full, r.commodity, country, h["products"])
        rows.append({"commodity": r.commodity, "supplier": r.supplier,
                     "scenario": f"{r.supplier} {r.role}",
                     "supplier_share": r.share, "restricted_before": before,
                     "probability": p, "expected_loss_usd": exp, "quantity_usd": qty,
                     "price_usd": price, "producer_gain_usd": gain, "risk_usd": p * exp,
                     "net_exporter": prod > own_use > 0 or (own_use == 0 and prod > 0),
                     "via_price": price - gain > qty, "halt_t": h["halt_t"],
                     "halt_basis": h["halt_basis"], "products": " ".join(h["products"])})
    return _by_commodity(pd.DataFrame(rows))


def embedded_use_usd(full, commodity: str, country: str, products) -> float:
    """USD/yr of the commodity the country uses inside the derived ``products`` it buys
    (final use of each product, t/yr, x the bill-of-materials intensity, t/t, x the
    commodity's price): with a halt that stops those products, a country that exports the
    raw commodity but imports it inside products is not a net exporter of the chain."""
    r = REGIONS.index(country)
    c_ix = full.commodities.index(commodity)
    price = full.price_usd_t[c_ix]
    out = 0.0
    for p in products:
        pn = full.headline[full.commodities.index(p)]
        for j, u in enumerate(full.inputs[pn]):
            if u >= 0 and full.node_commodity[u] == c_ix:
                out += full.final0[pn, r] * full.intensity[pn, j] * price
    return float(out)


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


def compare_lists(ranked: pd.DataFrame, net, lists=("USGS_2025", "USGS_2022")) -> dict:
    """How far up critmin's ranking the members of published critical-mineral lists sit
    (``critical_lists`` table): per list, the members and non-members among the ranked
    commodities, and the AUC, the probability that a member ranks above a non-member
    (ties count half; 0.5 = no better than chance, 1 = every member above every
    non-member)."""
    cl = net.critical_lists
    out = {}
    for name in lists:
        members = set(cl.loc[cl["list"].eq(name), "commodity"])
        r = ranked.set_index("commodity")["rank"]
        inside, outside = r[r.index.isin(members)], r[~r.index.isin(members)]
        pairs = [(a < b) + 0.5 * (a == b) for a in inside for b in outside]
        out[name] = {"members": len(inside), "non_members": sorted(outside.index),
                     "auc": float(np.mean(pairs)) if pairs else float("nan")}
    return out

