"""A tiny network built in code: one mineral, two stages, two importers."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.model.network import Network


def prod(rows):
    return pd.DataFrame([dict(commodity=c, stage=s, country=k, year=2024, value=v, unit="t",
                              estimated=False, method="", source_id="s", note="")
                         for c, s, k, v in rows])


@pytest.fixture
def tiny() -> Network:
    tables = {
        "commodities": pd.DataFrame([
            dict(commodity="x", name="X", group="minor_metal", unit="t", basis="x content",
                 parent="", hs_codes="", source_id="s"),
            dict(commodity="x_part", name="X part", group="minor_metal", unit="t",
                 basis="x", parent="x", hs_codes="", source_id="s"),
            dict(commodity="widget", name="W", group="product", unit="t", basis="w",
                 parent="", hs_codes="", source_id="s")]),
        "production": prod([("x", "mine", "CHN", 60), ("x", "mine", "AUS", 30),
                            ("x", "mine", "USA", 10), ("x", "mine", "WORLD", 100),
                            ("x", "refining", "CHN", 90), ("x", "refining", "JPN", 10),
                            ("widget", "product", "CHN", 50), ("widget", "product", "JPN", 50)]),
        "bom": pd.DataFrame([dict(product="widget", variant="v", input="x", value=1.0,
                                  unit="kg/t", estimated=False, method="", source_id="s",
                                  note="")]),
        "import_reliance": pd.DataFrame([
            dict(importer=i, commodity="x", year=2024, measure="net_import_reliance",
                 value=v, qualifier="", unit="share", estimated=False, method="",
                 source_id="s", note="") for i, v in (("USA", 0.5), ("JPN", 1.0))]),
        "import_sources": pd.DataFrame([
            dict(importer="JPN", commodity="x", period="2024", exporter=e, share=s,
                 basis="quantity", estimated=False, method="", source_id="s", note="")
            for e, s in (("CHN", 0.8), ("AUS", 0.2))]),
        "export_restrictions": pd.DataFrame([
            dict(exporter="CHN", commodity="x", measure="licence_required",
                 start=pd.Timestamp("2025-01-01"), end=pd.NaT, destinations="ALL",
                 reference="r", estimated=False, method="", source_id="s", note="")]),
        "governance": pd.DataFrame([
            dict(country=c, year=2023, indicator=ind, value=v, source_id="s")
            for c, v in (("CHN", -0.5), ("AUS", 1.5), ("USA", 1.0), ("JPN", 1.5))
            for ind in ("VA", "PV", "GE", "RQ", "RL", "CC")]),
        "criticality_studies": pd.DataFrame([
            dict(study="EU_2023", commodity="x", material="X", supply_risk=1.0,
                 economic_importance=5.0, source_id="s", note="")]),
    }
    return Network(tables)
