"""A small episode dataset following the `episodes`/`episode_index` schema: China's Sep
2024 antimony licensing and its Dec 2024 U.S. ban, with values as published (Argus,
Reuters/SMM, China customs via Reuters; see tools/curated/episodes), cited to shipped
source ids so the fixture validates on its own."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import critmin

INDEX = [
    dict(episode="T_Sb_licence", name="China antimony export licensing (Sep 2024)",
         announced="2024-08-15", in_force="2024-09-15", ended="", exporter="CHN",
         commodities="antimony", measure="licence_required", destinations="ALL",
         baseline_date="2024-08-15", role="training", scenario="T_Sb_licence",
         policy="dual-use export licence for antimony products, all destinations",
         source_id="energynews_sb_2025", note=""),
    dict(episode="T_US_ban", name="China ban on antimony exports to the U.S. (Dec 2024)",
         announced="2024-12-03", in_force="2024-12-03", ended="2025-11-09", exporter="CHN",
         commodities="antimony", measure="destination_ban", destinations="USA",
         baseline_date="2024-12-31", role="training", scenario="T_US_ban",
         policy="exports to the United States not licensed",
         source_id="reuters_2024_us_ban", note=""),
]
ROTTERDAM = "Rotterdam, antimony regulus 99.65 %, spot"
CUSTOMS = "China customs exports of antimony products, monthly"
OBS = [
    ("T_Sb_licence", "price_ex_china", "WORLD", "2024-08-15", 22000, "USD/t", ROTTERDAM),
    ("T_Sb_licence", "price_ex_china", "WORLD", "2024-12-31", 39750, "USD/t", ROTTERDAM),
    ("T_Sb_licence", "price_china", "WORLD", "2024-08-15", 159322, "CNY/t", "SMM ingot"),
    ("T_Sb_licence", "price_china", "WORLD", "2024-11-19", 141000, "CNY/t", "SMM ingot"),
    ("T_Sb_licence", "exports", "WORLD", "2024-08-15", 4075, "t", CUSTOMS),
    ("T_Sb_licence", "exports", "WORLD", "2024-10-15", 190, "t", CUSTOMS),
    ("T_Sb_licence", "exports", "WORLD", "2024-12-15", 1721, "t", CUSTOMS),
    ("T_Sb_licence", "exports", "NLD", "2023-07-01", 3012, "t/yr", "to NLD, year"),
    ("T_Sb_licence", "exports", "NLD", "2024-07-01", 1017, "t/yr", "to NLD, year"),
    ("T_US_ban", "price_ex_china", "WORLD", "2024-12-31", 39750, "USD/t", ROTTERDAM),
    ("T_US_ban", "price_ex_china", "WORLD", "2025-06-17", 60500, "USD/t", ROTTERDAM),
    ("T_US_ban", "exports", "WORLD", "2024-12-15", 1721, "t", CUSTOMS),
    ("T_US_ban", "exports", "WORLD", "2025-06-15", 107, "t", CUSTOMS),
]


def write_episodes(directory: Path, index=INDEX, obs=OBS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(index).to_csv(directory / "episode_index.csv", index=False)
    rows = [dict(episode=e, commodity="antimony", observable=o, exporter="CHN",
                 destination=d, date=day, value=v, unit=u, basis=b,
                 source_id="energynews_sb_2025", estimated="false", method="as published",
                 note="") for e, o, d, day, v, u, b in obs]
    cols = ["episode", "commodity", "observable", "exporter", "destination", "date", "value",
            "unit", "basis", "source_id", "estimated", "method", "note"]
    pd.DataFrame(rows, columns=cols).to_csv(directory / "episodes.csv", index=False)
    return directory


@pytest.fixture(scope="session")
def episode_dir(tmp_path_factory) -> Path:
    return write_episodes(tmp_path_factory.mktemp("episodes"))


@pytest.fixture(scope="session")
def ep_net(episode_dir):
    return critmin.load(episode_dir)
