"""Criticality scores by two published methods, for any importer whose data is loaded.

**EU-style supply risk** (European Commission, *Methodology for establishing the EU list of
critical raw materials*, 2017; used for the 2023 list)::

    SR = [HHI_WGI,global * IR/2 + HHI_WGI,sourcing * (1 - IR/2)] * (1 - EOL_RIR) * SI_SR

``HHI_WGI = sum_i s_i**2 * w_i`` with shares ``s_i`` (0-1) of world production (global) or
of the importer's imports (sourcing), and ``w_i`` the World Bank Worldwide Governance
Indicators mean of the six estimates rescaled to 0 (best) - 10 (worst):
``w = 10 * (2.5 - mean) / 5``. IR is the importer's net import reliance (0-1), EOL_RIR the
end-of-life recycling input rate, SI_SR the substitution index (1 = no substitute). The
score is taken at the chain's most risky stage (the EU assesses extraction and
processing and keeps the larger). Typical range 0-6; the EU threshold for criticality is 1.

**U.S.-style supply risk** (after Nassar, Alonso & Brainard 2020, *Investigation of U.S.
foreign reliance on critical minerals*, USGS OFR 2020-1127; USGS 2022 list methodology)::

    risk = disruption potential * trade exposure * economic vulnerability

disruption potential ``DP = sum_i s_i**2 * g_i`` (production shares, ``g_i`` = political
stability and absence of violence rescaled 0 best - 1 worst: ``(2.5 - PV) / 5``), trade
exposure = net import reliance (0-1; net exporters 0) and economic vulnerability, for which
critmin uses the EU 2023 economic-importance score / 10 as a documented proxy (USGS uses
industry net operating surplus, which critmin does not ship). Range 0-1.

OTHER (rest of world) shares count as fragmented (no concentration), as in
:func:`critmin.metrics.concentration.hhi`. Unknown governance scores take the median of
the countries that have one; every input and default is returned beside the score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmin.metrics.concentration import chain_stages
from critmin.metrics.trade import _pick_sources, import_dependence
from critmin.model.network import Network

EOL_RIR_DEFAULT = 0.0
SI_DEFAULT = 1.0


def governance_scores(net: Network) -> pd.DataFrame:
    """Latest WGI per country: ``wgi_mean`` (six-indicator mean), ``w_eu`` (0 best - 10
    worst) and ``g_pv`` (political stability, 0 best - 1 worst)."""
    gov = net.governance
    gov = gov[gov["year"].eq(gov.groupby("country")["year"].transform("max"))]
    wide = gov.pivot_table(index="country", columns="indicator", values="value")
    out = pd.DataFrame(index=wide.index)
    out["wgi_mean"] = wide.mean(axis=1)
    out["w_eu"] = (10 * (2.5 - out["wgi_mean"]) / 5).clip(0, 10)
    out["g_pv"] = ((2.5 - wide["PV"]) / 5).clip(0, 1)
    return out


def _weighted_hhi(shares: pd.DataFrame, weight: pd.Series, keys: list[str]) -> pd.Series:
    named = shares[~shares["country"].eq("OTHER")]
    w = named["country"].map(weight).astype(float).fillna(float(weight.median()))
    return (named["share"] ** 2 * w).groupby([named[k] for k in keys]).sum()


def _commodity_param(net: Network, name: str, default: float) -> tuple[pd.Series, pd.Series]:
    """Per-commodity parameter ``name`` from the parameters table, and its provenance."""
    p = net.parameters[net.parameters["parameter"].eq(name)].set_index("scope")
    values = pd.to_numeric(p["value"], errors="coerce").astype(float)
    origin = p["source_id"]
    idx = pd.Index(net.commodities["commodity"])
    return (values.reindex(idx).fillna(default),
            origin.reindex(idx).fillna(f"default {default:g}"))


def stage_shares_long(net: Network) -> pd.DataFrame:
    """Producer shares of every stage along each commodity's chain (see
    :func:`~critmin.metrics.concentration.chain_stages`): commodity, via, stage, country,
    share."""
    shares = net.production_shares()
    stages = chain_stages(net)[["commodity", "via", "stage"]]
    return stages.merge(shares[["commodity", "stage", "country", "share"]].rename(
        columns={"commodity": "via"}), on=["via", "stage"])


def eu_supply_risk(net: Network, importer: str) -> pd.DataFrame:
    """EU-style supply risk per commodity for ``importer`` (formula in the module doc).

    Commodities without a net import reliance for ``importer`` get NaN (unassessed).
    Columns: commodity, eu_supply_risk, eu_stage (stage and commodity of the maximum),
    hhi_wgi_global, hhi_wgi_sourcing, import_reliance, eol_rir, substitution_index,
    eol_rir_source, substitution_source, sourcing_basis ('imports' or 'global' when the
    importer's import shares are unknown).
    """
    gov = governance_scores(net)
    long = stage_shares_long(net)
    g = _weighted_hhi(long, gov["w_eu"], ["commodity", "via", "stage"]).rename("hhi_wgi_global")
    g = g.reset_index()
    src = _pick_sources(net, importer).rename(columns={"exporter": "country"})
    sourcing = _weighted_hhi(src, gov["w_eu"], ["commodity"]).rename("hhi_wgi_sourcing")
    dep = import_dependence(net, importer).set_index("commodity")
    ir = dep["net_import_reliance"].astype(float)
    g["import_reliance"] = g["commodity"].map(ir)
    g["reliance_qualifier"] = g["commodity"].map(dep["qualifier"]).fillna("")
    g["hhi_wgi_sourcing"] = g["commodity"].map(sourcing)
    g["sourcing_basis"] = np.where(g["hhi_wgi_sourcing"].isna(), "global", "imports")
    g["hhi_wgi_sourcing"] = g["hhi_wgi_sourcing"].astype(float).fillna(g["hhi_wgi_global"])
    eol, eol_src = _commodity_param(net, "eol_rir", EOL_RIR_DEFAULT)
    si, si_src = _commodity_param(net, "substitution_index_sr", SI_DEFAULT)
    ir_ = g["import_reliance"]
    g["eu_supply_risk"] = ((g["hhi_wgi_global"] * ir_ / 2
                            + g["hhi_wgi_sourcing"] * (1 - ir_ / 2))
                           * (1 - g["commodity"].map(eol)) * g["commodity"].map(si))
    # the stage of maximum risk; without import reliance the score is unknown (NaN) and the
    # stage shown is the one of maximum global governance-weighted concentration
    order = g["eu_supply_risk"].fillna(-1.0) + 1e-9 * g["hhi_wgi_global"]
    best = g.loc[order.groupby(g["commodity"]).idxmax()].copy()
    best["eu_stage"] = best["stage"] + np.where(best["via"].eq(best["commodity"]), "",
                                                " (" + best["via"] + ")")
    best["eol_rir"] = best["commodity"].map(eol)
    best["substitution_index"] = best["commodity"].map(si)
    best["eol_rir_source"] = best["commodity"].map(eol_src)
    best["substitution_source"] = best["commodity"].map(si_src)
    cols = ["commodity", "eu_supply_risk", "eu_stage", "hhi_wgi_global", "hhi_wgi_sourcing",
            "import_reliance", "eol_rir", "substitution_index", "eol_rir_source",
            "substitution_source", "sourcing_basis", "reliance_qualifier"]
    return best[cols].reset_index(drop=True)


def us_supply_risk(net: Network, importer: str) -> pd.DataFrame:
    """U.S.-style supply risk per commodity for ``importer`` (formula in the module doc).

    Columns: commodity, us_supply_risk (0-1), us_stage, disruption_potential (0-1),
    trade_exposure (0-1), economic_vulnerability (0-1, EU EI / 10 proxy; NaN if unknown).
    """
    gov = governance_scores(net)
    long = stage_shares_long(net)
    dp = _weighted_hhi(long, gov["g_pv"], ["commodity", "via", "stage"])
    dp = dp.rename("disruption_potential").reset_index()
    best = dp.loc[dp.groupby("commodity")["disruption_potential"].idxmax()].copy()
    best["us_stage"] = best["stage"] + np.where(best["via"].eq(best["commodity"]), "",
                                                " (" + best["via"] + ")")
    dep = import_dependence(net, importer).set_index("commodity")
    te = dep["net_import_reliance"].astype(float).clip(0, 1)
    best["trade_exposure"] = best["commodity"].map(te)
    best["reliance_qualifier"] = best["commodity"].map(dep["qualifier"]).fillna("")
    studies = net.criticality_studies
    ei = studies[studies["study"].eq("EU_2023")].set_index("commodity")["economic_importance"]
    best["economic_vulnerability"] = best["commodity"].map(ei / 10).clip(0, 1)
    best["us_supply_risk"] = (best["disruption_potential"] * best["trade_exposure"]
                              * best["economic_vulnerability"])
    cols = ["commodity", "us_supply_risk", "us_stage", "disruption_potential",
            "trade_exposure", "economic_vulnerability", "reliance_qualifier"]
    return best[cols].reset_index(drop=True)


def eu_economic_importance(end_use: dict[str, float], sector_va: dict[str, float],
                           si_ei: float, scale: float) -> float:
    """EU-method economic importance (JRC, EU critical raw materials methodology, 2017,
    used for the 2023 list; RMIS 'JRC revised methodology: Economic Importance')::

        EI = SI_EI * sum_s A_s * Q_s / scale

    ``end_use`` maps NACE Rev. 2 two-digit sectors to the material's end-use shares A_s
    (0-1, summing to at most 1), ``sector_va`` the sectors' value added Q_s (any currency
    unit, the same as ``scale``), ``si_ei`` the substitution index for EI (0-1; 1 = no
    substitute) and ``scale`` the study's normalising value added, which brings EI to the
    study's 0-10 range (an input: the 2023 study's value was not obtained, see ``gaps``).
    """
    if not 0 <= si_ei <= 1:
        raise ValueError(f"si_ei: value {si_ei}; use a share between 0 and 1")
    if scale <= 0:
        raise ValueError(f"scale: value {scale}; use a positive value added")
    bad = [s for s, a in end_use.items() if not 0 <= a <= 1]
    if bad or sum(end_use.values()) > 1 + 1e-9:
        raise ValueError(f"end_use: shares of {', '.join(bad) or 'all sectors'} must lie in "
                         "0-1 and sum to at most 1")
    missing = sorted(set(end_use) - set(sector_va))
    if missing:
        raise ValueError(f"sector_va: no value added for sector(s) {', '.join(missing)}")
    return si_ei * sum(a * sector_va[s] for s, a in end_use.items()) / scale
