"""Episode targets: relative to the baseline, on model months; reserved episodes refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import critmin
from critmin.calibrate.episodes import (
    EpisodeError,
    check_not_reserved,
    check_observations,
    load_targets,
)
from tests.calibrate.conftest import INDEX, write_episodes

MINE = ["T_Sb_licence", "T_US_ban"]


def test_targets_are_relative_to_the_baseline_on_scenario_months(ep_net):
    t = load_targets(ep_net, MINE)
    r = t.rows.set_index(["episode", "variable", "date"])
    # scenario starts 2024-07-01 (quarter of the announcement): Dec 2024 is month 5
    px = r.loc[("T_Sb_licence", "price_ex_china", "2024-12-31")]
    assert np.isclose(px["observed"], 39750 / 22000) and px["month_to"] == 5
    ex = r.loc[("T_Sb_licence", "exports_china", "2024-10-15")]
    assert np.isclose(ex["observed"], 190 / 4075) and ex["month_to"] == 3
    # an annual total is the mean of its calendar year, baseline = the year before
    nl = r.loc[("T_Sb_licence", "exports_china_dest", "2024-07-01")]
    assert np.isclose(nl["observed"], 1017 / 3012)
    assert (nl["month_from"], nl["month_to"], nl["region"]) == (-6, 5, "EU")
    # baseline values themselves are not targets
    assert not ((t.rows["episode"] == "T_Sb_licence") & (t.rows["date"] == "2024-08-15")).any()
    assert set(t.scenarios) == set(MINE)


def test_the_scenario_states_only_announced_terms(ep_net):
    sc = load_targets(ep_net, MINE).scenarios["T_Sb_licence"]
    (ctl,) = sc.controls
    assert ctl.measure == "licence_required" and ctl.approval_rate is None
    assert str(ctl.start) == "2024-09-15" and ctl.commodities == ["antimony"]


@pytest.mark.parametrize("episode", ["CN_2023_GaGe_licensing", "CN_2025_04_heavyREE_licensing"])
def test_reserved_episodes_are_refused(episode):
    with pytest.raises(EpisodeError, match="reserved"):
        check_not_reserved([episode])


def test_an_observation_in_a_reserved_window_is_an_error():
    obs = pd.DataFrame([dict(episode="x", commodity="gallium", observable="price_ex_china",
                             date="2024-01-15")])
    with pytest.raises(EpisodeError, match="reserved window"):
        check_observations(obs)
    check_observations(obs.assign(date="2024-12-15"))  # after the window: allowed


def test_an_index_row_matching_a_reserved_episode_cannot_train(tmp_path):
    row = dict(INDEX[0], episode="T_GaGe", commodities="gallium;germanium",
               announced="2023-07-03", in_force="2023-08-01", baseline_date="2023-07-03",
               scenario="T_GaGe")
    net = critmin.load(write_episodes(tmp_path, index=[row], obs=[]))
    with pytest.raises(EpisodeError, match="reserved"):
        load_targets(net, ["T_GaGe"])


def test_unknown_episode_is_a_clear_error(ep_net):
    with pytest.raises(EpisodeError, match="unknown episodes: nope"):
        load_targets(ep_net, ["nope"])


def test_shipped_episodes_give_the_targets_the_issue_asks(net):
    """Every training episode has targets; at least the issue's 150 of them, every
    observable kind and every horizon band after the announcement (at least 25 of them
    12-24 months out: the late horizons the issue asks for), every target with a source."""
    t = load_targets(net)
    scored = t.rows[~t.rows["variable"].str.startswith("exports_") |
                    t.rows["variable"].isin(["exports_china", "exports_china_dest"])]
    assert scored["episode"].nunique() >= 7
    assert len(scored) >= 150
    assert set(scored["kind"]) == {"price_ex_china", "price_china", "exports",
                                   "exports_by_destination"}
    bands = scored["band"].value_counts()
    assert bands["0-3"] >= 60 and bands["4-9"] >= 40 and bands["10-24"] >= 25, bands
    assert set(scored["source_id"]) <= set(net.sources["source_id"])
    assert scored["observed"].ge(0).all() and scored["month_to"].lt(36).all()


def test_reserved_commodities_are_exact_ids_of_the_data():
    from critmin.calibrate.episodes import RESERVED

    ids = set(critmin.load().commodities["commodity"])
    for r in RESERVED:
        assert set(r.commodities) <= ids, r.name
    # scandium is one of the seven (its id is `scandium`, not `sc`)
    obs = pd.DataFrame([dict(episode="x", commodity="scandium", observable="price_china",
                             date="2025-06-15")])
    with pytest.raises(EpisodeError, match="reserved window"):
        check_observations(obs)


def test_targets_carry_horizon_band_kind_and_pre_volatility(ep_net):
    r = load_targets(ep_net, MINE).rows.set_index(["episode", "variable", "date"])
    ex = r.loc[("T_Sb_licence", "exports_china", "2024-10-15")]
    assert (ex["horizon"], ex["band"], ex["kind"]) == (2, "0-3", "exports")
    late = r.loc[("T_Sb_licence", "exports_china", "2024-12-15")]
    assert (late["horizon"], late["band"]) == (4, "4-9")
    assert np.isclose(late["rw_months"], 122 / 30.4375)
    nl = r.loc[("T_Sb_licence", "exports_china_dest", "2024-07-01")]
    assert nl["kind"] == "exports_by_destination" and np.isnan(nl["pre_sigma"])
    # T_US_ban's Rotterdam series has one value on the baseline date: no own volatility
    us = r.loc[("T_US_ban", "price_ex_china", "2025-06-17")]
    assert us["band"] == "4-9" and np.isnan(us["pre_sigma"])


@pytest.mark.parametrize(("months", "band"), [(-2, "before"), (0, "0-3"), (3, "0-3"),
                                               (4, "4-9"), (9, "4-9"), (10, "10-24"),
                                               (24, "10-24"), (25, "25+")])
def test_horizon_bands(months, band):
    from critmin.calibrate.episodes import horizon_band

    assert horizon_band(months) == band


def test_an_annual_average_price_is_the_mean_of_its_calendar_year(tmp_path):
    from tests.calibrate.conftest import OBS

    avg = "annual average, Rotterdam antimony (USGS)"
    obs = [*OBS, ("T_Sb_licence", "price_ex_china", "WORLD", "2023-07-01", 5.49, "USD/lb", avg),
           ("T_Sb_licence", "price_ex_china", "WORLD", "2024-07-01", 10.24, "USD/lb", avg)]
    net = critmin.load(write_episodes(tmp_path, obs=obs))
    rows = load_targets(net, ["T_Sb_licence"]).rows
    (r,) = rows[rows["basis"].eq(avg)].itertuples()
    # 2023 ends before the 15 Aug 2024 baseline: the reference; 2024 spans months -6..5
    assert np.isclose(r.observed, 10.24 / 5.49) and (r.month_from, r.month_to) == (-6, 5)
