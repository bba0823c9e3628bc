"""Shared fixtures: the shipped network, and a writable copy of chosen shipped tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import critmin
from critmin.data.io import shipped_dir


@pytest.fixture(scope="session")
def net() -> critmin.Network:
    return critmin.load()


@pytest.fixture
def user_dir(tmp_path: Path):
    """Copy shipped tables into a user directory; returns a function(table) -> DataFrame path."""

    def copy(table: str) -> Path:
        target = tmp_path / f"{table}.csv"
        shutil.copy(shipped_dir() / f"{table}.csv", target)
        return target

    return copy


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def write(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False)
