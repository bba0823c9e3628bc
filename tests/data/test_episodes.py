"""The shipped market episodes: references, coverage, baselines, reserved windows, provenance."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import critmin
from critmin.calibrate.episodes import RESERVED
from critmin.data.io import shipped_dir
from critmin.data.validate import DataValidationError

ROOT = Path(__file__).resolve().parents[2]
SERIES = ["episode", "commodity", "observable", "destination"]
RESERVED_WINDOWS = tuple((set(r.commodities), r.start.isoformat(), r.end.isoformat())
                         for r in RESERVED)  # the ids the loader refuses (scandium, ree_other)
NUMBER = r"(\d[\d,]*(?:\.\d+)?)"
RESERVED_WORDS = ("2023_ga", "2023_ge", "ga_ge", "gage", "2025_apr", "2025_04", "hree_2025",
                  "2025_heavy", "seven")


def _build_module():
    spec = importlib.util.spec_from_file_location("build_episodes",
                                                  ROOT / "tools" / "build_episodes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_observations_reference_known_episodes_commodities_and_sources(net):
    obs, index = net.episodes, net.episode_index
    assert obs["episode"].isin(index["episode"]).all()
    assert obs["commodity"].isin(net.commodities["commodity"]).all()
    assert obs["source_id"].isin(net.sources["source_id"]).all()
    assert index["source_id"].isin(net.sources["source_id"]).all()
    listed = index["commodities"].str.split(";").explode()
    assert listed.isin(net.commodities["commodity"]).all()
    covered = index.set_index("episode")["commodities"].str.split(";")
    for ep, commodity in obs[["episode", "commodity"]].drop_duplicates().to_numpy():
        assert commodity in covered[ep], (ep, commodity)


def test_enough_training_episodes_and_observables(net):
    index = net.episode_index
    assert (index["role"] == "training").sum() >= 6
    assert len(net.episodes.drop_duplicates(SERIES)) >= 20


def test_every_episode_has_two_observables_and_a_pre_announcement_baseline(net):
    obs = net.episodes
    for _, ep in net.episode_index.iterrows():
        rows = obs[obs["episode"] == ep["episode"]]
        assert len(rows.drop_duplicates(SERIES)) >= 2, ep["episode"]
        assert ep["announced"] <= ep["in_force"], ep["episode"]
        # the reference level is from before the news reached the market: at latest the
        # first trading day after a weekend announcement
        assert ep["baseline_date"] <= ep["announced"] + pd.Timedelta(days=3), ep["episode"]
        before = rows[rows["date"] <= ep["baseline_date"]]
        assert len(before), f"{ep['episode']}: no observation on or before the baseline date"
        assert rows["date"].gt(ep["announced"]).any(), f"{ep['episode']}: no outcome"


def test_no_observation_in_the_reserved_windows(net):
    obs = net.episodes
    ids = set(net.commodities["commodity"])
    for commodities, _, _ in RESERVED_WINDOWS:
        assert commodities <= ids, commodities - ids  # a misspelt id would check nothing
    assert {"ree_other", "scandium", "ndfeb_magnet"} <= set().union(*(c for c, _, _ in
                                                                     RESERVED_WINDOWS))
    for commodities, start, end in RESERVED_WINDOWS:
        inside = obs["commodity"].isin(commodities) & obs["date"].between(start, end)
        assert not inside.any(), obs[inside][["episode", "commodity", "date"]]
    ids = pd.concat([net.episode_index["episode"], net.episode_index["scenario"]]).str.lower()
    for word in RESERVED_WORDS:
        assert not ids.str.contains(word, regex=False).any(), word


def _midpoints(text: str) -> list[float]:
    """Midpoints of the ranges ``a-b`` written in ``text`` (thousands separators allowed)."""
    pairs = re.findall(NUMBER + r"\s*[-\u2013]\s*" + NUMBER, text)
    return [(float(a.replace(",", "")) + float(b.replace(",", ""))) / 2 for a, b in pairs]


def test_a_midpoint_is_the_midpoint_of_the_range_its_row_quotes():
    """Rows entered as the midpoint of a published range quote that range (in the method or
    the note), and the value is its midpoint, in the unit of the row or per thousand or
    million of it (a range quoted in million yuan/t)."""
    obs = pd.read_csv(ROOT / "tools" / "curated" / "episodes" / "episodes.csv", dtype=str,
                      keep_default_na=False)
    mid = obs[obs["method"].str.startswith("midpoint")]
    assert len(mid) >= 80
    for _, row in mid.iterrows():
        value = float(row["value"])
        found = [m * scale for m in _midpoints(row["method"] + " " + row["note"])
                 for scale in (1, 1e3, 1e6)]
        assert any(abs(f - value) <= 1e-6 * max(1.0, value) for f in found), (
            row["episode"], row["commodity"], row["date"], row["value"], row["note"])


def test_units_fit_the_observable_and_estimates_say_how(net):
    obs = net.episodes
    price = obs["observable"].str.startswith("price")
    assert obs.loc[price, "unit"].str.contains("/").all()
    assert obs.loc[price, "unit"].str.match(r"^(USD|CNY)/").all()
    assert obs.loc[~price, "unit"].str.match(r"^t( REO)?(/yr)?$").all()
    assert obs.loc[obs["estimated"], "method"].str.len().gt(0).all()


def test_shipped_tables_are_rebuilt_from_the_curated_files():
    build = _build_module()
    index, obs = build.episode_tables()
    for name, frame in (("episode_index", index), ("episodes", obs)):
        shipped = pd.read_csv(shipped_dir() / f"{name}.csv", dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(shipped, frame, check_dtype=False)
    sources = pd.read_csv(shipped_dir() / "sources.csv", dtype=str, keep_default_na=False)
    assert set(build._read("sources")["source_id"]) <= set(sources["source_id"])
    gaps = pd.read_csv(shipped_dir() / "gaps.csv", dtype=str, keep_default_na=False)
    curated = build._read("gaps")
    for table in build.GAP_TABLES:
        assert (gaps["table"] == table).sum() == (curated["table"] == table).sum(), table


def test_merging_sources_twice_changes_nothing():
    build = _build_module()
    shipped = pd.read_csv(shipped_dir() / "sources.csv", dtype=str, keep_default_na=False)
    once = build.merged_sources(shipped, build._read("sources"))
    twice = build.merged_sources(once, build._read("sources"))
    pd.testing.assert_frame_equal(once, twice)


def test_unknown_episode_id_is_reported_with_file_row_and_column(user_dir, tmp_path):
    path = user_dir("episodes")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[0, "episode"] = "NO_SUCH_EPISODE"
    df.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as err:
        critmin.load(tmp_path)
    assert "episodes.csv:2: episode: unknown episode 'NO_SUCH_EPISODE'" in str(err.value)


@given(st.lists(st.sampled_from("abcdefgh"), unique=True),
       st.lists(st.sampled_from("defghijk"), unique=True, min_size=1))
def test_merged_sources_keep_other_rows_and_hold_each_curated_id_once(shipped_ids, mine_ids):
    build = _build_module()
    shipped = pd.DataFrame({"source_id": shipped_ids, "note": "old", "primary": ""})
    mine = pd.DataFrame({"source_id": mine_ids, "note": "new", "primary": "true"})
    out = build.merged_sources(shipped, mine)
    assert out["source_id"].is_unique
    new = [s for s in mine_ids if s not in shipped_ids]
    assert out["source_id"].tolist() == shipped_ids + new  # rows stay where they were
    assert (out.set_index("source_id").loc[mine_ids, "note"] == "new").all()


def test_each_training_episode_has_its_preset_on_the_announced_dates(net):
    """Every index row names a preset with controls by its exporter announced on its
    announced date and in force from its in-force date, none carrying an observed approval
    rate or leakage."""
    from critmin.scenarios import presets

    known = presets()
    for _, ep in net.episode_index.iterrows():
        assert ep["scenario"] in known, ep["episode"]
        controls = [c for c in known[ep["scenario"]].controls if c.exporter == ep["exporter"]]
        assert controls, ep["episode"]
        # the controls announced that day start on the in-force date (or, where the index
        # dates an earlier part the model has no control for, on or after it)
        now = [c for c in controls if (c.announced or c.start) == ep["announced"].date()]
        assert now, ep["episode"]
        starts = {c.start for c in now}
        assert ep["in_force"].date() in starts or ep["in_force"].date() <= min(starts), \
            ep["episode"]
        for c in controls:
            assert c.approval_rate is None and c.leakage is None, ep["episode"]
            assert set(c.commodities) & set(ep["commodities"].split(";")), ep["episode"]


def test_evidence_episodes_are_neither_scored_nor_fitted(net):
    """An episode of role ``evidence`` (its announced terms not yet expressible in the
    model) keeps its rows in the data but stays out of the training index, so neither the
    backtest nor a calibration reads it; Indonesia's nickel-ore ban is one."""
    from critmin.calibrate.episodes import training_index

    index = net.episode_index
    evidence = set(index.loc[index["role"] == "evidence", "episode"])
    assert "IDN_2019_Ni_ore_ban" in evidence
    assert (net.episodes["episode"] == "IDN_2019_Ni_ore_ban").any()
    assert not evidence & set(training_index(net)["episode"])
    assert set(training_index(net)["episode"]) == set(index["episode"]) - evidence
