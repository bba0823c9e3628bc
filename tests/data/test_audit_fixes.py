"""Regression tests for the data audit of issue 11 (one test per finding).

Each test fails on the tables shipped before the fix.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from build_usgs import parse_cell


def _row(df, **key):
    mask = True
    for k, v in key.items():
        mask = mask & (df[k] == v)
    found = df[mask]
    assert len(found) == 1, f"{key}: {len(found)} rows"
    return found.iloc[0]


@pytest.mark.parametrize("cell, expected", [
    ("e20,000", (20000.0, "e")), (">130,000,000", (130000000.0, ">")),
    ("    >9,100,000", (9100000.0, ">")), ("<0.5", (0.5, "<")), ("W", (None, "W")),
    ("NA", (None, "NA")), ("--", (0.0, "--")), ("—", (0.0, "--")), ("1,150", (1150.0, "")),
])
def test_usgs_qualifiers_parse(cell, expected):
    assert parse_cell(cell) == expected


def test_vanadium_russia_2022_estimated_cell_ships(net):
    """Audit: the raw cell "e20,000" failed to parse and was logged as withheld."""
    r = _row(net.production, commodity="vanadium", stage="mine", country="RUS", year=2022)
    assert r["value"] == 20000 and r["qualifier"] == "e" and r["estimated"]
    g = net.gaps
    assert not ((g["commodity"] == "vanadium") & (g["country"] == "RUS")
                & (g["year"] == 2022)).any()


def test_nickel_world_reserves_lower_bound_ships_with_qualifier(net):
    """Audit: nickel world reserves ">130,000,000" were dropped."""
    r = net.reserves
    world = r[(r["commodity"] == "nickel") & (r["country"] == "WORLD")]
    assert len(world) >= 1
    assert (world["qualifier"] == ">").all()
    assert (world.loc[world["year"] == 2023, "value"] == 130_000_000).all()  # MCS 2024


def test_platinum_reserves_say_all_pgm(net):
    r = net.reserves[net.reserves["commodity"] == "platinum"]
    assert len(r) and r["note"].str.contains("platinum-group metals").all()


def _prod(net, commodity, stage, year):
    p = net.production
    return p[(p["commodity"] == commodity) & (p["stage"] == stage)
             & (p["year"] == year)].set_index("country")["value"]


def test_indium_2023_ships_every_country_of_the_table(net):
    """Audit: only BEL, RUS and WORLD shipped (countries summed to 24 t of 1,020 t)."""
    by = _prod(net, "indium", "refining", 2023)
    assert {"CHN", "KOR", "JPN", "CAN", "FRA", "BEL", "RUS"} <= set(by.index)
    assert by.drop("WORLD").sum() / by["WORLD"] == pytest.approx(1, abs=0.02)


def test_bismuth_laos_2023_footnote_digit_removed(net):
    """Audit: MCS 2025 prints '81,150' (footnote 8 + 1,150); Laos was missing."""
    assert _prod(net, "bismuth", "refining", 2023)["LAO"] == 1150


@pytest.mark.parametrize("commodity, stage, world", [
    ("antimony", "mine", 106_000), ("tellurium", "refining", 944)])
def test_2023_uses_the_latest_edition_and_keeps_the_superseded_value(net, commodity, stage,
                                                                     world):
    """Audit: Sb and Te 2023 used superseded MCS 2024 figures (83,000 t and 640 t)."""
    p = net.production
    r = _row(p, commodity=commodity, stage=stage, country="WORLD", year=2023)
    assert r["value"] == world and r["source_id"].startswith("usgs_mcs2025_")
    assert "superseded: usgs_mcs2024_" in r["note"]


def test_2023_production_never_mixes_editions_within_a_commodity(net):
    p = net.production[net.production["year"] == 2023]
    p = p[p["source_id"].str.startswith("usgs_mcs")]
    editions = p.groupby(["commodity", "stage"])["source_id"].agg(
        lambda s: {x[:12] for x in s})
    assert (editions.map(len) == 1).all(), editions[editions.map(len) > 1]


def test_parameters_restating_production_take_its_value(net):
    """Audit: antimony China share and cobalt DRC share differed from USGS; NdFeB output
    2024 had one value in production and another in parameters."""
    par = net.parameters.set_index(["scope", "parameter"])
    sb = _prod(net, "antimony", "mine", 2023)
    assert par.loc[("antimony", "China_share_mine_2023"), "value"] == pytest.approx(
        sb["CHN"] / sb["WORLD"], abs=1e-4)
    assert par.loc[("cobalt", "DRC_share_world_2024"), "value"] == pytest.approx(
        226_000 / 302_000, abs=1e-4)  # MCS 2026 revised 2024 (MCS 2025: 220,000 / 290,000)
    assert ("ndfeb_magnet", "China_production_2024") not in par.index


def test_baci_other_asia_is_taiwan_not_dropped(net):
    """Audit: BACI partner "Other Asia, nes" (S19, Taiwan) was filtered out (658 rows)."""
    f = net.flows
    assert ((f["exporter"] == "TWN") | (f["importer"] == "TWN")).sum() >= 658
    s = _row(net.import_sources, importer="JPN", commodity="cobalt", period="2024",
             exporter="TWN")
    assert s["share"] == pytest.approx(0.145, abs=0.005)


def test_gaps_record_missing_dysprosium_and_terbium_data(net):
    """Audit: gaps missed Dy/Tb country mine output 2022-24, reserves, and Japan/U.S.
    import sources of Dy/Tb."""
    g = net.gaps
    for el in ("dy", "tb"):
        mine = g[(g["table"] == "production") & (g["commodity"] == el)]
        assert {2022, 2023, 2024} <= set(mine["year"])
        assert ((g["table"] == "reserves") & (g["commodity"] == el)).any()
        imp = g[(g["table"] == "import_sources") & (g["commodity"] == el)]
        assert {"JPN", "USA"} <= set(imp["country"])


def test_research_note_gaps_are_rows(net):
    """Audit: the narrative gap notes in tools/curated/raw/*gaps.md were not in `gaps`."""
    reasons = " ".join(net.gaps["reason"])
    for note in ("research_b_gaps.md", "mcs2025_b_gaps.md", "mcs2025_a_gaps.md",
                 "midstream_gaps.md", "projects_ree_gaps.md"):
        assert note in reasons, note


def test_sources_flag_primary_and_secondary(net):
    """Audit: iea_gcmo2025_summary cites a social-media copy of an IEA summary."""
    src = net.sources.set_index("source_id")
    assert src["primary"].notna().all()
    assert not src.loc["wna_uranium_mining_2025", "primary"]  # a copy of the WNA table
    assert src.loc["usgs_mcs2024_t5", "primary"]
    assert not src.loc[src["url"].str.contains("github.com"), "primary"].any()


def test_data_sources_cli_shows_the_flag_and_counts():
    from typer.testing import CliRunner

    from critmin.cli import app

    result = CliRunner().invoke(app, ["data", "sources"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "secondary" in result.output
    tail = " ".join(result.output.split()[-30:])
    assert " official, " in tail and " secondary" in tail and "count as primary" in tail


def test_magnet_bom_is_in_oxide_terms_with_tb_and_dy_by_grade(net):
    """Audit: the NdPr BOM value was metal content while `ndpr` counts oxide; Tb was
    missing; Dy was one generic grade."""
    b = net.bom[net.bom["product"] == "ndfeb_magnet"]
    ndpr = _row(b, variant="sintered typical", input="ndpr")
    assert ndpr["content_basis"] == "oxide" and ndpr["value"] == pytest.approx(298.5 * 1.177,
                                                                               rel=0.002)
    assert (b.loc[b["input"].isin(["ndpr", "dy", "tb"]), "content_basis"] == "oxide").all()
    assert (b["input"] == "tb").any()
    assert b.loc[b["input"] == "dy", "variant"].nunique() >= 2


def _project(net, text):
    p = net.projects[net.projects["name"].str.contains(text, regex=False)]
    assert len(p) == 1, text
    return p.iloc[0]


def test_projects_match_the_latest_company_or_government_statement(net):
    """Audit: Iluka Eneabba 17,500 t/yr REO (not 23,000); Sangdong phase 1 in H2 2025
    (not 2024); MP's second magnet plant in Northlake, Texas; Perpetua Stibnite only in
    gaps; no filing date stored."""
    assert _project(net, "Iluka Eneabba")["capacity"] == 17_500
    assert _project(net, "Sangdong")["first_production_year"] == 2025
    tenx = _project(net, "Northlake, Texas")
    assert tenx["first_production_year"] == 2028 and str(tenx["filing_date"])[:10] == "2026-02-26"
    sb = _project(net, "Stibnite")
    assert sb["commodity"] == "antimony" and sb["estimated"] and sb["capacity"] > 0
    assert net.projects["filing_date"].notna().sum() >= 2
    g = net.gaps
    seadrift = g[g["reason"].str.contains("Seadrift")]
    assert len(seadrift) == 1 and "uncertainty" in seadrift.iloc[0]["reason"]


RECHECK_MARKERS = ("re-checked", "no company filing found", "not re-checked", "company release")


def test_every_project_says_how_it_was_checked_against_the_company(net):
    """Issue 11: every project row carries the filing date it was checked against, or a note
    saying which company document was read or that none was found."""
    p = net.projects
    dated = p["filing_date"].notna()
    said = p["note"].str.contains("|".join(RECHECK_MARKERS), regex=True)
    assert (dated | said).all(), p.loc[~(dated | said), "name"].tolist()
    assert dated.sum() >= 24  # 25 before the source audit removed Olaroz Stage 2
    dates = pd.to_datetime(p.loc[dated, "filing_date"])
    assert dates.min() >= pd.Timestamp("2017-01-01") and dates.max() <= pd.Timestamp("2026-12-31")


@pytest.mark.parametrize("text, field, value", [
    ("Panasonic Energy De Soto", "capacity", 32.0),
    ("Panasonic Energy De Soto", "status", "operating"),
    ("Mountain Pass mine", "capacity", 50_692.0),
    ("Mountain Pass separation", "capacity", 2_599.0),
    ("Naraha lithium hydroxide", "status", "operating"),
    ("Naraha lithium hydroxide", "first_production_year", 2022),
    ("Thompson Falls", "first_production_year", 2026),
])
def test_projects_follow_the_latest_company_statement(net, text, field, value):
    """Re-check against company filings: Panasonic Kansas opened 2025-07-14 at ~32 GWh/yr;
    MP's 2025 output (release 2026-02-26); Naraha produces; USAC's Thompson Falls expansion
    finishes in 2026. (Olaroz Stage 2 left: its only source was an earnings-call transcript on
    a user-contributed site, removed by the source audit of issue 20.)"""
    assert _project(net, text)[field] == value


def test_stale_project_dates_are_dropped_not_kept(net):
    """Arafura's end-2026 start predates the FID delay to 1H 2026; no company date is kept."""
    assert pd.isna(_project(net, "Arafura Nolans")["first_production_year"])


@pytest.mark.parametrize("text, status", [("Tennessee Lithium", "cancelled"),
                                          ("Li-Cycle Rochester", "suspended")])
def test_cancelled_or_suspended_projects_leave_the_candidates(net, text, status):
    """Piedmont cancelled Tennessee Lithium (Q2 2024 report); Li-Cycle's Rochester Hub was
    paused and sold in creditor protection (2025): gaps rows, not candidate projects."""
    assert not net.projects["name"].str.contains(text, regex=False).any()
    g = net.gaps[net.gaps["reason"].str.contains(text, regex=False)]
    assert len(g) == 1 and f"{status} per the sponsor" in g.iloc[0]["reason"]


def test_lynas_fy2024_ndpr_is_the_annual_report_value(net):
    """Conflict: 5,655 t (Lynas Annual Report 2024) vs 5,500 t (midpoint of a 5-6 kt range)."""
    r = _row(net.production, commodity="ndpr", stage="refining", country="MYS", year=2024)
    assert r["value"] == 5655 and r["source_id"] == "lynas_ar2024"
    assert "5,000-6,000" in r["note"]
    prod = net.producers[(net.producers["producer_id"] == "lynas_malaysia")
                         & (net.producers["commodity"] == "ndpr")]
    assert (prod["value"] == r["value"]).all()


def test_china_2023_ndfeb_is_the_industry_association_value(net):
    """Conflict: CSRE 255,200 t sintered NdFeB vs SMM 240,000 t vs JSNM 267,000 t."""
    r = _row(net.production, commodity="ndfeb_magnet", stage="product", country="CHN",
             year=2023)
    assert r["value"] == 255_200 and r["source_id"] == "csre_2023_ndfeb"
    assert "240,000" in r["note"] and "267,000" in r["note"]


def test_stockpile_targets_live_only_in_the_stockpiles_table(net):
    """Conflict: parameters stockpile_JP target_days restated the stockpiles table."""
    par = net.parameters
    assert not ((par["scope"] == "stockpile_JP") & (par["parameter"] == "target_days")).any()
    assert not (par["scope"] == "stockpile_US_Vault").any()
    s = net.stockpiles
    assert ((s["country"] == "JPN") & (s["measure"] == "target_days") & (s["value"] == 60)).any()


def test_ndpr_balance_gap_names_the_recycled_feed(net):
    """Conflict: 288,900 t magnets x 351.3 kg/t oxide is ~101 kt, above the 75 kt NdPr WORLD
    row; the gap is China's oxide from magnet scrap (26,504 t PrNd oxide in 2024, Argus)."""
    magnets = _row(net.production, commodity="ndfeb_magnet", stage="product", country="WORLD",
                   year=2024)["value"]
    per_t = _row(net.bom, product="ndfeb_magnet", variant="sintered typical", input="ndpr")
    primary = _row(net.production, commodity="ndpr", stage="refining", country="WORLD",
                   year=2024)["value"]
    in_magnets = magnets * per_t["value"] / 1000
    assert in_magnets > primary
    g = net.gaps[(net.gaps["commodity"] == "ndpr") & (net.gaps["reason"].str.contains(
        "NdPr balance"))]
    assert len(g) == 1 and g.iloc[0]["source_id"] == "argus_2025_ree_recycling"
    assert in_magnets == pytest.approx(primary + 26_504, rel=0.01)
