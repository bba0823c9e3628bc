"""One call that assembles the vulnerability assessment behind ``critmin assess``."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from critmin.metrics.concentration import chokepoints, concentration, reserves_concentration
from critmin.metrics.rankings import criticality
from critmin.metrics.trade import import_dependence
from critmin.model.network import Network


@dataclass
class Assessment:
    """Tables of an assessment; every share is 0-1, every HHI 0-10,000.

    ``stages``: concentration per (commodity, stage) incl. stage 'reserves';
    ``chokepoints``: most concentrated stage of each chain; ``countries``: per importer
    and commodity: import dependence, EU- and U.S.-style scores, ranks, drivers.
    """

    stages: pd.DataFrame
    chokepoints: pd.DataFrame
    countries: pd.DataFrame

    def records(self) -> list[dict]:
        """JSON-ready records: one per (commodity, stage), each with per-country values."""
        per_country = {
            (imp, c): row for (imp, c), row in
            self.countries.set_index(["importer", "commodity"]).iterrows()
        }
        importers = list(self.countries["importer"].unique())
        out = []
        for r in self.stages.to_dict("records"):
            rec = {k: _clean(v) for k, v in r.items()}
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


def assess(net: Network, importers: tuple[str, ...] = ("USA", "JPN"),
           stage: str | None = None) -> Assessment:
    """Concentration by stage (production and reserves), chokepoints, and per importer the
    import dependence and both criticality scores with ranks and their drivers."""
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
                      countries=countries)
