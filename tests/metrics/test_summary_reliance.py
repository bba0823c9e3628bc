"""Issue 20: the overview and the brief's supply appendix carry the reliance critmin
computes for Japan, the EU and Korea from trade, beside the U.S. as USGS publishes it."""

from __future__ import annotations

from types import SimpleNamespace

from critmin.metrics.summary import commodity_summary
from critmin.metrics.trade import net_import_reliance
from critmin.report.html import _appendix_supply


def test_summary_has_each_importers_reliance_from_the_table(net):
    s = commodity_summary(net).set_index("commodity")
    for importer in ("USA", "JPN", "EU", "KOR"):
        rel = net_import_reliance(net, importer).set_index("commodity")
        col = f"{importer.lower()}_import_reliance"
        both = sorted(set(rel.index) & set(s.index))
        assert len(both) >= 10, importer
        for c in both:
            assert s.at[c, col] == float(rel.at[c, "net_import_reliance"]), (importer, c)


def test_brief_supply_appendix_shows_eu_and_korea(net):
    html = _appendix_supply(SimpleNamespace(summary=commodity_summary(net)))
    assert "EU reliance" in html and "Korea reliance" in html
    assert "CEPII BACI" in html
