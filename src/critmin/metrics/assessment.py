"""One call that assembles the vulnerability assessment behind ``critmin assess``."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pycountry

from critmin.data.hints import country_hint
from critmin.data.schemas import STAGES
from critmin.metrics.concentration import chokepoints, concentration, reserves_concentration
from critmin.metrics.rankings import criticality
from critmin.metrics.trade import import_dependence
from critmin.model.network import Network


@dataclass
class Assessment:
    """Tables of an assessment; every share is 0-1, every HHI 0-10,000.

    ``stages``: concentration per (commodity, stage) incl. stage 'reserves';
    ``chokepoints``: most concentrated stage of each chain; ``countries``: per importer
    and commodity: import dependence, EU- and U.S.-style scores, ranks, drivers;
    ``lists``: every commodity on an official list or assessed, its list membership and
    per importer its ranks or why it is unranked (:func:`list_ranking`).
    """

    stages: pd.DataFrame
    chokepoints: pd.DataFrame
    countries: pd.DataFrame
    lists: pd.DataFrame = field(default_factory=pd.DataFrame)

    def _repr_html_(self) -> str:
        """A notebook's view: per importer its ten highest EU-style supply risks, with
        import reliance (%), the rank (ties marked =) and the U.S.-style score."""
        import html

        parts = ["<div><b>critmin Assessment</b> (.stages, .chokepoints, .countries, "
                 ".lists are DataFrames; shares 0-1 there, % here)"]
        for imp, d in self.countries.groupby("importer", sort=False):
            d = d.dropna(subset=["eu_supply_risk"]).sort_values("eu_supply_risk",
                                                               ascending=False)
            ties = d["eu_rank"].value_counts()
            rows = "".join(
                f"<tr><td>{html.escape(str(r.commodity))}</td>"
                f"<td style='text-align:right'>{_pct(r.import_reliance)}</td>"
                f"<td style='text-align:right'>{r.eu_supply_risk:.2f}</td>"
                f"<td style='text-align:right'>{_rank(r.eu_rank, ties)}</td>"
                f"<td style='text-align:right'>{_num(r.us_supply_risk, 3)}</td></tr>"
                for r in d.head(10).itertuples())
            parts.append(f"<p><b>{html.escape(str(imp))}</b>: top {min(10, len(d))} of "
                         f"{len(d)} scored</p><table><thead><tr><th>commodity</th>"
                         "<th>net import reliance</th><th>EU supply risk</th><th>rank</th>"
                         f"<th>U.S. score</th></tr></thead><tbody>{rows}</tbody></table>")
        return "".join(parts) + "</div>"

    def records(self) -> list[dict]:
        """JSON-ready records: one per (commodity, stage), each with per-country values."""
        per_country = {
            (imp, c): row for (imp, c), row in
            self.countries.set_index(["importer", "commodity"]).iterrows()
        }
        importers = list(self.countries["importer"].unique())
        member = (self.lists.set_index("commodity")["official_lists"].to_dict()
                  if len(self.lists) else {})
        out = []
        for r in self.stages.to_dict("records"):
            rec = {k: _clean(v) for k, v in r.items()}
            rec["official_lists"] = member.get(r["commodity"], [])
            rec["countries"] = {
                imp: {k: _clean(v) for k, v in per_country[(imp, r["commodity"])].items()}
                for imp in importers if (imp, r["commodity"]) in per_country
            }
            out.append(rec)
        return out


def _clean(v):
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def _importer_codes(importers: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``"JPN"`` or ``("usa", "JPN")`` as upper-case ISO3 codes; ValueError (with a "did
    you mean") for anything else, so one code is never read as its letters."""
    codes = (importers,) if isinstance(importers, str) else tuple(importers)
    out = []
    for code in codes:
        text = str(code).strip().upper()
        if len(text) != 3 or pycountry.countries.get(alpha_3=text) is None:
            raise ValueError(f"importer {code!r}: not an ISO 3166 alpha-3 code"
                             f"{country_hint(code)}")
        out.append(text)
    if not out:
        raise ValueError("importers: give at least one ISO3 code, e.g. ('USA', 'JPN')")
    return tuple(out)


def assess(net: Network, importers: str | tuple[str, ...] = ("USA", "JPN"),
           stage: str | None = None) -> Assessment:
    """Concentration by stage (production and reserves), chokepoints, and per importer the
    import dependence and both criticality scores with ranks and their drivers.
    ``importers``: one ISO3 code or several (any case); ``stage``: one of STAGES."""
    importers = _importer_codes(importers)
    if stage is not None and stage not in STAGES:
        raise ValueError(f"stage {stage!r}: not a stage; use one of {', '.join(STAGES)}")
    stages = pd.concat([concentration(net), reserves_concentration(net)], ignore_index=True)
    if stage is not None:
        stages = stages[stages["stage"].eq(stage)]
    frames = []
    for imp in importers:
        dep = import_dependence(net, imp).set_index("commodity")
        eu = criticality(net, imp, "eu").set_index("commodity")
        us = criticality(net, imp, "us").set_index("commodity")
        table = dep[["net_import_reliance", "qualifier", "supplier_hhi", "top_supplier",
                     "top_supplier_share", "china_import_share", "restricted_share"]]
        table = table.rename(columns={"net_import_reliance": "import_reliance",
                                      "qualifier": "import_reliance_qualifier"})
        table = table.join(eu[["eu_supply_risk", "eu_stage", "rank", "driver",
                               "most_sensitive_input"]].rename(columns={
                                   "rank": "eu_rank", "driver": "eu_driver",
                                   "most_sensitive_input": "eu_most_sensitive_input"}),
                           how="outer")
        table = table.join(us[["us_supply_risk", "us_stage", "rank", "driver",
                               "most_sensitive_input"]].rename(columns={
                                   "rank": "us_rank", "driver": "us_driver",
                                   "most_sensitive_input": "us_most_sensitive_input"}),
                           how="outer")
        table.index.name = "commodity"
        frames.append(table.reset_index().assign(importer=imp))
    countries = pd.concat(frames, ignore_index=True)
    return Assessment(stages=stages.reset_index(drop=True), chokepoints=chokepoints(net),
                      countries=countries, lists=list_ranking(net, countries))


def list_ranking(net: Network, countries: pd.DataFrame) -> pd.DataFrame:
    """Every commodity that is on an official list or assessed: ``official_lists`` (list
    ids, e.g. ['EU_2023', 'USGS_2025']), and per importer ``<ISO3>_eu_rank`` /
    ``<ISO3>_us_rank`` (1 = most critical) or ``<ISO3>_unranked`` saying which input is
    missing (production shares, net import reliance, EU economic importance)."""
    lists = net.critical_lists.groupby("commodity")["list"].agg(lambda s: sorted(set(s)))
    names = net.commodities.set_index("commodity")["name"]
    produced = set(net.production["commodity"])
    out = pd.DataFrame({"commodity": sorted(set(lists.index) | set(countries["commodity"]))})
    out["name"] = out["commodity"].map(names)
    out["official_lists"] = out["commodity"].map(lists).apply(
        lambda v: v if isinstance(v, list) else [])
    for imp, g in countries.groupby("importer", sort=False):
        g = g.set_index("commodity")
        for m in ("eu", "us"):
            out[f"{imp}_{m}_rank"] = out["commodity"].map(g[f"{m}_rank"])
        out[f"{imp}_unranked"] = [
            _why_unranked(c, g, produced) for c in out["commodity"]]
    return out


def _why_unranked(commodity: str, g: pd.DataFrame, produced: set[str]) -> str:
    if commodity in g.index and pd.notna(g.at[commodity, "eu_rank"]) and pd.notna(
            g.at[commodity, "us_rank"]):
        return ""
    if commodity not in produced:
        return "no production by country (see gaps)"
    if commodity not in g.index or pd.isna(g.at[commodity, "import_reliance"]):
        return "no net import reliance published"
    if pd.isna(g.at[commodity, "us_rank"]):
        return "U.S.-style score lacks the EU economic-importance score"
    return "EU-style score incomplete"


def _pct(x) -> str:
    return "—" if pd.isna(x) else f"{100 * float(x):.0f} %"


def _num(x, digits: int) -> str:
    return "—" if pd.isna(x) else f"{float(x):.{digits}f}"


def _rank(r, ties: pd.Series) -> str:
    if pd.isna(r):
        return "—"
    n = int(ties.get(r, 1))
    return f"{r:.0f}" + (f"= ({n} tied)" if n > 1 else "")
