"""Rank commodities by criticality for one importer or jointly, with drivers and a
one-at-a-time sensitivity that names the input most able to move each rank."""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmin.metrics.criticality import eu_supply_risk, us_supply_risk
from critmin.model.network import Network

PERTURBATION = 0.2
"""Relative change applied to each input in the sensitivity (+/- 20 %)."""

EU_INPUTS = ["hhi_wgi_global", "hhi_wgi_sourcing", "import_reliance", "eol_rir",
             "substitution_index"]
US_INPUTS = ["disruption_potential", "trade_exposure", "economic_vulnerability"]


def _eu_score(x: pd.DataFrame) -> pd.Series:
    ir = x["import_reliance"].clip(0, 1)
    return ((x["hhi_wgi_global"] * ir / 2 + x["hhi_wgi_sourcing"] * (1 - ir / 2))
            * (1 - x["eol_rir"].clip(0, 1)) * x["substitution_index"])


def _us_score(x: pd.DataFrame) -> pd.Series:
    return (x["disruption_potential"] * x["trade_exposure"].clip(0, 1)
            * x["economic_vulnerability"])


METHODS = {"eu": (eu_supply_risk, _eu_score, EU_INPUTS),
           "us": (us_supply_risk, _us_score, US_INPUTS)}


def _rank(score: pd.Series) -> pd.Series:
    return score.rank(ascending=False, method="min")


def _drivers(x: pd.DataFrame, inputs: list[str]) -> pd.Series:
    """The input in which the commodity stands highest among commodities (percentile);
    for recycling the driver is a *low* recycling rate."""
    pct = pd.DataFrame({c: x[c].rank(pct=True) for c in inputs})
    if "eol_rir" in pct:
        pct["eol_rir"] = x["eol_rir"].rank(pct=True, ascending=False)
    if "substitution_index" in pct and x["substitution_index"].nunique() <= 1:
        pct = pct.drop(columns="substitution_index")
    if "eol_rir" in pct and x["eol_rir"].nunique() <= 1:
        pct = pct.drop(columns="eol_rir")
    return pct.idxmax(axis=1)


def _ranges(x: pd.DataFrame, col: str) -> tuple[pd.Series, pd.Series]:
    """Plausible low/high values of one input per commodity.

    Concentration, governance and vulnerability inputs: +/- PERTURBATION (relative).
    Import reliance: the published bound where USGS gives one ('>50 %' means 0.5-1),
    else +/- 0.1. Recycling and substitution held at critmin's defaults (no data) do not
    move: they are assumptions, shown in the score table, not measured inputs.
    """
    v = x[col]
    if col in ("import_reliance", "trade_exposure"):
        q = x.get("reliance_qualifier", pd.Series("", index=x.index)).fillna("")
        low = (v - 0.1).where(~q.eq(">"), v).where(~q.eq("<"), 0.0).clip(0, 1)
        high = (v + 0.1).where(~q.eq(">"), 1.0).where(~q.eq("<"), v).clip(0, 1)
        return low, high
    if col in ("eol_rir", "substitution_index"):
        origin = x["eol_rir_source" if col == "eol_rir" else "substitution_source"]
        measured = ~origin.str.startswith("default")
        top = 1.0 if col == "eol_rir" else None
        low = (v * (1 - PERTURBATION)).where(measured, v).clip(0, top)
        high = (v * (1 + PERTURBATION)).where(measured, v).clip(0, top)
        return low, high
    low, high = v * (1 - PERTURBATION), v * (1 + PERTURBATION)
    if col == "economic_vulnerability":
        return low.clip(0, 1), high.clip(0, 1)
    return low, high


def _sensitivity(x: pd.DataFrame, score, inputs: list[str]) -> pd.DataFrame:
    """Rank swing of each commodity when one of its inputs moves across its plausible
    range (:func:`_ranges`) while every other commodity keeps its values; the input with
    the widest swing is ``most_sensitive_input``."""
    base_score = score(x)
    base = _rank(base_score)
    others = base_score.to_numpy()
    swing = {}
    for col in inputs:
        worst = pd.Series(0.0, index=x.index)
        for bound in _ranges(x, col):
            y = x.copy()
            y[col] = bound
            moved = score(y).to_numpy()
            # rank of commodity i when only its own input moved: 1 + others scoring above
            above = others[None, :] > moved[:, None]
            np.fill_diagonal(above, False)
            ranks = pd.Series(1 + above.sum(axis=1), index=x.index)
            worst = np.maximum(worst, (ranks - base).abs())
        swing[col] = worst
    sw = pd.DataFrame(swing)
    return pd.DataFrame({"most_sensitive_input": sw.idxmax(axis=1),
                         "rank_swing": sw.max(axis=1)})


def criticality(net: Network, importer: str, method: str = "eu") -> pd.DataFrame:
    """Scores, ranks, drivers and sensitivity for ``importer`` by ``method`` ('eu' | 'us').

    Columns: the method's score table (see :mod:`critmin.metrics.criticality`) plus
    rank (1 = most critical; commodities lacking an input are unranked), driver,
    most_sensitive_input and rank_swing (largest rank change for a +/-20 % move of one
    input of that commodity alone).
    """
    compute, score, inputs = METHODS[method]
    table = compute(net, importer)
    scored = table.dropna(subset=[f"{method}_supply_risk"]).set_index("commodity")
    ranked = table.set_index("commodity")
    ranked["rank"] = _rank(scored[f"{method}_supply_risk"])
    ranked["driver"] = _drivers(scored, inputs)
    extra = [c for c in ("reliance_qualifier", "eol_rir_source", "substitution_source")
             if c in scored]
    ranked = ranked.join(_sensitivity(scored[inputs + extra], score, inputs))
    return ranked.sort_values("rank").reset_index()


def rankings(net: Network, importers: tuple[str, ...] = ("USA", "JPN"),
             method: str = "eu") -> pd.DataFrame:
    """Long table of ranks per importer and jointly ('+'.join(importers): the mean score
    of the importers that have one). Columns: importer, commodity, score, rank, driver,
    most_sensitive_input, rank_swing."""
    frames = []
    for imp in importers:
        c = criticality(net, imp, method)
        c = c.rename(columns={f"{method}_supply_risk": "score"})
        frames.append(c[["commodity", "score", "rank", "driver", "most_sensitive_input",
                         "rank_swing"]].assign(importer=imp))
    each = pd.concat(frames, ignore_index=True)
    joint = each.groupby("commodity")["score"].mean().rename("score").reset_index()
    joint = joint.dropna(subset=["score"])
    joint["rank"] = _rank(joint["score"])
    joint["importer"] = "+".join(importers)
    joint["driver"] = joint["commodity"].map(
        each.sort_values("score").groupby("commodity")["driver"].last())
    out = pd.concat([each, joint], ignore_index=True)
    out["method"] = method
    return out.sort_values(["importer", "rank"]).reset_index(drop=True)
