"""Stage, by-product and Japan tables (tools/build_stages.py): schema, keys, consistency."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from critmin.cli import app
from critmin.data.io import read_raw, shipped_dir
from critmin.data.schemas import TABLES
from critmin.data.validate import WORLD_TOLERANCE, check_references, check_rows

ROOT = Path(__file__).resolve().parents[2]
NEW = ("producers", "byproducts", "recovery_capacity", "stockpiles", "trade_volumes",
       "magnet_grades", "separation_feed")
UPSTREAM = {"refining": "mine", "metal": "refining"}


def _build_module():
    sys.path.insert(0, str(ROOT / "tools"))
    spec = importlib.util.spec_from_file_location("build_stages",
                                                  ROOT / "tools" / "build_stages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    """Typed shipped tables this module checks (only these, so others' rows cannot mask ours)."""
    names = (*NEW, "commodities", "sources", "production", "gaps", "import_reliance")
    typed, problems = {}, []
    for name in names:
        typed[name], found = check_rows(TABLES[name], read_raw(shipped_dir() / f"{name}.csv"))
        problems += [p for p in found if name in NEW]
    problems += [p for p in check_references(typed) if Path(p.file).stem in NEW]
    assert not problems, "\n".join(map(str, problems[:20]))
    return typed


def test_new_tables_are_declared_shipped_and_valid(tables):
    for name in NEW:
        assert name in TABLES
        assert len(tables[name]) > 0, name


def test_own_rows_point_to_stage_sources(tables):
    known = set(tables["sources"]["source_id"])
    for name in ("production", "gaps", "import_reliance"):
        own = tables[name][tables[name]["source_id"].str.startswith("stg_")]
        assert own["source_id"].isin(known).all(), name
    assert len(tables["production"][tables["production"]["source_id"].str.startswith("stg_")])


def test_stage_output_never_exceeds_the_upstream_world_total(tables):
    """Checked for the commodities whose stage rows this build adds (refined copper or
    nickel may exceed mine output legitimately: scrap and imported feed)."""
    prod = tables["production"]
    own = set(prod.loc[prod["source_id"].str.startswith("stg_"), "commodity"])
    prod = prod[prod["commodity"].isin(own)]
    total = prod.groupby(["commodity", "stage", "year"]).apply(
        lambda g: g.loc[g["country"].eq("WORLD"), "value"].max()
        if g["country"].eq("WORLD").any() else g["value"].sum(), include_groups=False)
    checked = 0
    for (commodity, stage, year), value in total.items():
        up = UPSTREAM.get(stage)
        if up and (commodity, up, year) in total.index:
            assert value <= total[(commodity, up, year)] * (1 + WORLD_TOLERANCE), (
                commodity, stage, year)
            checked += 1
    assert checked >= 1  # at least rare earths separation 2024 against mine 2024


def test_separation_rows_are_within_their_world_row(tables):
    p = tables["production"]
    ree = p[(p["commodity"] == "ree") & (p["stage"] == "refining") & (p["year"] == 2024)]
    by = ree.set_index("country")["value"]
    assert by.drop("WORLD").sum() <= by["WORLD"] * (1 + WORLD_TOLERANCE)
    # China's 2024 row (the separation quota) left with its source, a blog copy of Reuters
    # (source audit, issue 20); a gaps row says so
    assert {"MYS", "USA"} <= set(by.index)
    g = tables["gaps"]
    assert ((g["commodity"] == "ree") & (g["country"] == "CHN") & (g["year"] == 2024)
            & g["reason"].str.startswith("removed by the source audit")).any()


def test_magnet_output_by_country_is_shipped_or_a_gap(tables):
    prod, gaps = tables["production"], tables["gaps"]
    mag = prod[(prod["commodity"] == "ndfeb_magnet") & (prod["stage"] == "product")
               & (prod["year"] == 2024)]
    gap = gaps[(gaps["commodity"] == "ndfeb_magnet") & (gaps["table"] == "production")
               & (gaps["year"] == 2024)]
    for country in ("CHN", "JPN", "VNM", "DEU", "USA", "EST"):
        assert country in set(mag["country"]) | set(gap["country"]), country
    world = mag.loc[mag["country"] == "WORLD", "value"]
    if len(world):
        assert mag.loc[mag["country"] != "WORLD", "value"].sum() <= world.iloc[0] * (
            1 + WORLD_TOLERANCE)


def test_japan_makers_and_stages_are_visible(tables):
    p = tables["producers"]
    japan = p[(p["country"] == "JPN") & (p["stage"] == "product")]
    makers = " ".join(japan["maker"])
    for maker in ("Shin-Etsu", "Proterial", "TDK"):
        assert maker in makers, maker
    vietnam = p[(p["country"] == "VNM") & (p["step"] == "magnet")]
    assert vietnam["maker"].str.contains("Shin-Etsu").any()
    assert set(p["step"]) >= {"separation", "alloy", "magnet"}
    steps = {"separation": "refining", "metal": "metal", "alloy": "metal", "magnet": "product"}
    assert (p["step"].map(steps) == p["stage"]).all()


def test_byproduct_hosts_are_commodities(tables):
    known = set(tables["commodities"]["commodity"])
    b = tables["byproducts"]
    assert b["host"].isin(known).all()
    for byproduct in ("gallium", "germanium", "indium", "tellurium", "bismuth", "cobalt"):
        assert byproduct in set(b["byproduct"]), byproduct
    assert b["recovery_rate"].dropna().between(0, 1).all()
    prod = tables["production"]
    series = set(zip(prod["commodity"], prod["stage"], strict=True))
    staged = b[b["host_stage"].fillna("") != ""]
    pairs = zip(staged["host"], staged["host_stage"], strict=True)
    missing = [(h, s) for h, s in pairs if (h, s) not in series]
    assert not missing, missing  # host output by country is readable from `production`


def test_idle_capacity_never_exceeds_installed(tables):
    r = tables["recovery_capacity"]
    both = r.dropna(subset=["idle", "installed"])
    assert len(both) >= 4
    assert (both["idle"] <= both["installed"]).all()
    full = r.dropna(subset=["idle", "installed", "output"])
    assert (full["output"] + full["idle"] <= full["installed"] + 1e-9).all()
    ex_china = r[(r["byproduct"] == "gallium") & (r["country"] != "CHN")]
    assert ex_china["idle"].fillna(0).sum() > 0


SHARED = ROOT.parent / "shared" / "data" / "usgs-mcs2024" / "world" / "mcs2024-galli_world.csv"


@pytest.mark.skipif(not SHARED.exists(), reason="USGS data release not mounted")
def test_gallium_capacity_matches_the_usgs_release(tables):
    raw = pd.read_csv(SHARED, dtype=str, encoding="utf-8-sig").dropna(subset=["Country"])
    names = {"China": "CHN", "Japane": "JPN", "Korea, Republic ofe": "KOR", "Russiae": "RUS",
             "Other countries4": "OTHER"}
    r = tables["recovery_capacity"]
    ga = r[(r["byproduct"] == "gallium") & (r["plant"] == "ALL")].set_index("country")
    for label, country in names.items():
        row = raw[raw["Country"] == label].iloc[0]
        assert ga.at[country, "installed"] * 1000 == float(row["Cap_kg_2023"].replace(",", ""))
        assert ga.at[country, "output"] * 1000 == float(row["Prod_kg_2022"].replace(",", ""))


def test_jogmec_target_as_published(tables):
    s = tables["stockpiles"]
    jp = s[(s["country"] == "JPN") & (s["measure"] == "target_days")]
    assert 60 in set(jp["value"])
    assert {42, 18} <= set(jp["value"])
    assert s[s["measure"] == "max_target_days"]["value"].eq(180).any()


def test_build_is_deterministic_and_idempotent(tmp_path):
    module = _build_module()
    shutil.copytree(shipped_dir(), tmp_path / "t")
    module.build(out_dir=tmp_path / "t")
    first = {p.name: p.read_bytes() for p in (tmp_path / "t").glob("*.csv")}
    module.build(out_dir=tmp_path / "t")
    second = {p.name: p.read_bytes() for p in (tmp_path / "t").glob("*.csv")}
    assert first == second
    shipped = {p.name: p.read_bytes() for p in shipped_dir().glob("*.csv")}
    for name in (f"{n}.csv" for n in NEW):
        assert first[name] == shipped[name], name


def test_bad_curated_row_is_reported_and_nothing_written(tmp_path, monkeypatch, capsys):
    module = _build_module()
    stages = tmp_path / "stages"
    shutil.copytree(module.STAGES_DIR, stages)
    bad = pd.read_csv(stages / "producers.csv", dtype=str, keep_default_na=False)
    bad.loc[0, "unit"] = "t"  # a rare-earth row in tonnes instead of t REO
    bad.to_csv(stages / "producers.csv", index=False)
    monkeypatch.setattr(module, "STAGES_DIR", stages)
    shutil.copytree(shipped_dir(), tmp_path / "t")
    before = (tmp_path / "t" / "producers.csv").read_bytes()
    with pytest.raises(SystemExit) as exc:
        module.build(out_dir=tmp_path / "t")
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "producers.csv:" in err and "unit" in err and "wrong unit" in err
    assert (tmp_path / "t" / "producers.csv").read_bytes() == before


def test_cli_lists_producers_as_json():
    result = CliRunner().invoke(app, ["data", "list", "producers", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert any(r["maker"].startswith("Shin-Etsu") and r["country"] == "JPN" for r in rows)


def test_reserved_episode_windows_stay_out(tables):
    """No Ga/Ge observation for 2023-07..2024-11 and no heavy rare earth or magnet
    observation for 2025 in the volumes and outputs this build ships."""
    gage, hree = {"gallium", "germanium"}, {"dy", "tb", "ndfeb_magnet", "scandium"}
    t = tables["trade_volumes"]
    year = t["period"].str[:4].astype(int)
    assert not (t["commodity"].isin(gage) & year.isin([2023, 2024])).any()
    assert not (t["commodity"].isin(hree) & year.eq(2025)).any()
    p = tables["producers"]
    out = p[p["measure"] == "output"]
    assert not (out["commodity"].isin(gage) & out["year"].isin([2023, 2024])).any()
    assert not (out["commodity"].isin(hree) & out["year"].eq(2025)).any()
    r = tables["recovery_capacity"].dropna(subset=["output"])
    assert not (r["byproduct"].isin(gage) & r["year"].isin([2023, 2024])).any()
