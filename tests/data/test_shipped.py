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


def test_rare_earth_mine_production_2024_matches_usgs_mcs2026(net):
    """MCS 2026 revised 2024 (records 6069-6086 of the release); MCS 2025 had 390,000 t."""
    p = net.production
    ree = p[(p["commodity"] == "ree") & (p["stage"] == "mine") & (p["year"] == 2024)]
    by = ree.set_index("country")["value"]
    expected = {"WORLD": 380_000, "CHN": 270_000, "USA": 45_500, "MMR": 27_000,
                "AUS": 29_000, "NGA": 1_500, "THA": 2_100, "IND": 2_900, "RUS": 2_600,
                "MDG": 1_400, "MYS": 140, "VNM": 300, "BRA": 560, "OTHER": 1_000}
    for country, value in expected.items():
        assert by[country] == value, country
    assert "superseded: usgs_mcs2025_ree gave 390,000" in ree.set_index("country").at[
        "WORLD", "note"]
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
    """MCS 2025 Salient Statistics: scandium oxide 1.20 USD/g; cesium 1-g ampoule 98.00
    USD/g; germanium metal 2,100 USD/kg. Borates and hafnium are MCS 2026 now (revised
    574 and 4,560), the MCS 2025 values kept in the note."""
    assert _price(net, "boron", 2024) == [574]
    pr = net.prices
    note = pr.loc[(pr["commodity"] == "boron") & (pr["year"] == 2024), "note"].iloc[0]
    assert "usgs_mcs2025_boron gave 560" in note
    assert _price(net, "scandium", 2024, "usgs_mcs2025_scandium") == [1200]
    assert _price(net, "hafnium", 2024, "usgs_mcs2026_zirconium") == [4560]
    assert _price(net, "cesium", 2024, "usgs_mcs2025_cesium") == [98_000]
    assert _price(net, "rubidium", 2023, "usgs_mcs2025_rubidium") == [121_000]
    # germanium 2023-2024: MCS 2026 values withheld (reserved Ga/Ge episode window)
    assert _price(net, "germanium", 2024) == [1400, 2100]
    assert _price(net, "germanium", 2024, "usgs_mcs2025_germanium") == [1400, 2100]


def test_2024_prices_quoted_from_mcs2025_were_replaced_by_the_release(net):
    """The copies quoted from a verifier (secondary) gave way to MCS 2026's own series:
    bauxite 31, alumina 580, acid fluorspar 464, phosphate rock 96, ilmenite 330, rutile
    1,300 USD/t, Y2O3 6 USD/kg; the quoted values stay in the note where they differ."""
    expected = {"bauxite": 31, "alumina": 580, "fluorspar": 464, "phosphate": 96,
                "ilmenite": 330, "rutile": 1300, "y": 6}
    pr = net.prices
    for c, v in expected.items():
        rows = pr[(pr["commodity"] == c) & (pr["year"] == 2024)]
        assert list(rows["value"]) == [v], c
        assert rows["source_id"].iloc[0].startswith("usgs_mcs2026_"), c
    assert not pr["source_id"].str.startswith("periodic_atlas").any()


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
    """MCS 2026: zirconium ores and concentrates '<25' and phosphate rock 18 % in 2024
    (MCS 2025, quoted by a verifier, had 13 %: kept in the note)."""
    rel = net.import_reliance.set_index(["importer", "commodity", "year", "measure"])
    zr = rel.loc[("USA", "zirconium", 2024, "net_import_reliance")]
    assert (zr["qualifier"], zr["value"]) == ("<", 0.25)
    ph = rel.loc[("USA", "phosphate", 2024, "net_import_reliance")]
    assert ph["value"] == 0.18 and ph["source_id"] == "usgs_mcs2026_phosphate_rock"
    assert "gave 0.13" in ph["note"]


