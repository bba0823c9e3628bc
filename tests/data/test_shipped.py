"""The shipped dataset: coverage, sources, and agreement with USGS MCS 2025."""

from __future__ import annotations

REQUIRED = {"ndpr", "dy", "tb", "ree_other", "lithium", "cobalt", "nickel", "graphite",
            "manganese", "gallium", "germanium", "antimony", "tungsten", "magnesium",
            "platinum", "palladium", "indium", "tellurium", "bismuth", "molybdenum",
            "vanadium", "ndfeb_magnet"}


def test_commodities_cover_the_required_list(net):
    assert len(net.commodities) >= 20
    assert set(net.commodities["commodity"]) >= REQUIRED


def test_every_row_points_to_a_known_source(net):
    known = set(net.sources["source_id"])
    for name, df in net.tables.items():
        if "source_id" in df and name != "sources":
            assert df["source_id"].isin(known).all(), name


def test_rare_earth_mine_production_2024_matches_usgs_mcs2025(net):
    p = net.production
    ree = p[(p["commodity"] == "ree") & (p["stage"] == "mine") & (p["year"] == 2024)]
    by = ree.set_index("country")["value"]
    expected = {"WORLD": 390_000, "CHN": 270_000, "USA": 45_000, "MMR": 31_000,
                "AUS": 13_000, "NGA": 13_000, "THA": 13_000, "IND": 2_900, "RUS": 2_500,
                "MDG": 2_000, "MYS": 130, "VNM": 300, "BRA": 20, "OTHER": 1_100}
    for country, value in expected.items():
        assert by[country] == value, country
    countries = by.drop("WORLD").sum()
    assert abs(countries / by["WORLD"] - 1) < 0.02  # world total is rounded


def test_estimates_say_how(net):
    for name, df in net.tables.items():
        if "estimated" in df:
            est = df[df["estimated"].astype(bool)]
            assert est["method"].fillna("").str.len().gt(0).all(), name


def test_production_units_match_commodity_units(net):
    units = net.commodities.set_index("commodity")["unit"]
    p = net.production
    assert (p["unit"] == p["commodity"].map(units)).all()


def test_import_shares_sum_to_at_most_one(net):
    s = net.import_sources.groupby(["importer", "commodity", "period"])["share"].sum()
    assert (s <= 1.005).all()
    assert (s > 0).all()


def _price(net, commodity, year, source_prefix=""):
    pr = net.prices
    rows = pr[(pr["commodity"] == commodity) & (pr["year"] == year)
              & pr["source_id"].str.startswith(source_prefix)]
    return sorted(rows["value"])


def test_2024_prices_read_from_mcs2025_chapters(net):
    """MCS 2025 Salient Statistics: borates c.i.f. 560 USD/t; scandium oxide 1.20 USD/g;
    hafnium 4,600 USD/kg; cesium 1-g ampoule 98.00 USD/g; germanium metal 2,100 USD/kg."""
    assert _price(net, "boron", 2024, "usgs_mcs2025_boron") == [560]
    assert _price(net, "scandium", 2024, "usgs_mcs2025_scandium") == [1200]
    assert _price(net, "hafnium", 2024, "usgs_mcs2025_zirconium") == [4600]
    assert _price(net, "cesium", 2024, "usgs_mcs2025_cesium") == [98_000]
    assert _price(net, "rubidium", 2023, "usgs_mcs2025_rubidium") == [121_000]
    # one value per fact: the chapter reading replaces the quoted copy for germanium 2024
    assert _price(net, "germanium", 2024) == [1400, 2100]
    assert _price(net, "germanium", 2024, "usgs_mcs2025_germanium") == [1400, 2100]


def test_2024_prices_quoted_from_mcs2025_are_flagged_secondary(net):
    """Bauxite 30, alumina 570, acid fluorspar 470, phosphate rock 100, ilmenite 340,
    rutile 1,310 USD/t, Y2O3 6 USD/kg (MCS 2025 as quoted, chapters not read)."""
    expected = {"bauxite": 30, "alumina": 570, "fluorspar": 470, "phosphate": 100,
                "ilmenite": 340, "rutile": 1310, "y": 6}
    primary = net.sources.set_index("source_id")["primary"].astype(str).str.lower()
    for c, v in expected.items():
        assert _price(net, c, 2024, "periodic_atlas_verification_") == [v], c
        pr = net.prices
        sid = pr.loc[(pr["commodity"] == c) & (pr["year"] == 2024), "source_id"].iloc[0]
        assert primary[sid] == "false", c


def test_us_trade_from_mcs2025_chapters(net):
    """Boron: net exporter (E), imports Turkey 90 %; hafnium unwrought: Germany 50 %;
    germanium combined: Belgium 42 %; scandium reliance 100 % in 2024."""
    rel = net.import_reliance.set_index(["importer", "commodity", "year", "measure"])
    boron = rel.loc[("USA", "boron", 2024, "net_import_reliance")]
    assert boron["qualifier"] == "E" and boron["value"] == 0
    assert rel.loc[("USA", "scandium", 2024, "net_import_reliance"), "value"] == 1.0
    ge = rel.loc[("USA", "germanium", 2024, "net_import_reliance")]
    assert ge["qualifier"] == ">" and ge["value"] == 0.5
    s = net.import_sources
    s = s[(s["importer"] == "USA") & (s["period"] == "2020-2023")]
    share = s.set_index(["commodity", "exporter"])["share"]
    assert share[("boron", "TUR")] == 0.9
    assert share[("hafnium", "DEU")] == 0.5
    assert share[("germanium", "BEL")] == 0.42


def test_us_trade_for_by_products_read_from_the_chapter_text(net):
    """MCS 2025 Import Sources (2020-23) and Salient Statistics: gallium metal Japan 24 %;
    tungsten China 27 %; tellurium net exporter in 2023 and '<25' in 2024; palladium
    apparent consumption 83,000 kg in 2024; antimony 24,000 t."""
    s = net.import_sources
    s = s[(s["importer"] == "USA") & (s["period"] == "2020-2023")]
    share = s.set_index(["commodity", "exporter"])
    assert share.loc[("gallium", "JPN"), "share"] == 0.24
    assert share.loc[("gallium", "JPN"), "source_id"] == "usgs_mcs2025_gallium"
    assert share.loc[("tungsten", "CHN"), "share"] == 0.27
    assert not s.duplicated(["commodity", "exporter"]).any()
    rel = net.import_reliance.set_index(["importer", "commodity", "year", "measure"])
    te23 = rel.loc[("USA", "tellurium", 2023, "net_import_reliance")]
    te24 = rel.loc[("USA", "tellurium", 2024, "net_import_reliance")]
    assert te23["qualifier"] == "E" and (te24["qualifier"], te24["value"]) == ("<", 0.25)
    assert rel.loc[("USA", "palladium", 2024, "apparent_consumption"), "value"] == 83.0
    assert rel.loc[("USA", "antimony", 2024, "apparent_consumption"), "value"] == 24_000


def test_values_quoted_by_a_verifier_are_flagged_secondary(net):
    """Rows transcribed from nwyin/periodic-atlas verification notes (not the chapter text)
    cite a secondary source."""
    s = net.sources
    quoted = s[s["url"].str.contains("periodic-atlas", na=False)]
    assert len(quoted) >= 5
    assert quoted["primary"].astype(str).str.lower().eq("false").all()


def test_reliance_for_zircon_and_phosphate_rock(net):
    """MCS 2025: zirconium ores and concentrates '<25' (chapter text); phosphate rock 13 %
    in 2024 (as quoted, secondary)."""
    rel = net.import_reliance.set_index(["importer", "commodity", "year", "measure"])
    zr = rel.loc[("USA", "zirconium", 2024, "net_import_reliance")]
    assert (zr["qualifier"], zr["value"]) == ("<", 0.25)
    ph = rel.loc[("USA", "phosphate", 2024, "net_import_reliance")]
    assert ph["value"] == 0.13 and ph["source_id"] == "periodic_atlas_verification_p"
