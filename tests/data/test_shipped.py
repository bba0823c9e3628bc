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
