"""Bad data gets a clear error naming file, row, column and reason, and loads nothing."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import critmin
from critmin.data.validate import DataValidationError, _isin
from tests.conftest import read, write

LINE = re.compile(r"^(?P<file>[^:]+):(?P<row>\d+): (?P<column>[^:]+): (?P<reason>.+)$")


def problems_of(path):
    with pytest.raises(DataValidationError) as info:
        critmin.load(path)
    return info.value.problems


def corrupt(user_dir, table, row, column, value):
    path = user_dir(table)
    df = read(path)
    df.loc[row, column] = value
    write(df, path)
    return path


@pytest.mark.parametrize(
    ("table", "column", "value", "reason"),
    [
        ("production", "country", "XYZ", "unknown country code 'XYZ'"),
        ("production", "value", "-5", "negative value -5"),
        ("production", "commodity", "unobtainium", "unknown commodity 'unobtainium'"),
        ("production", "source_id", "", "missing source"),
        ("production", "source_id", "nowhere", "unknown source 'nowhere'"),
        ("production", "unit", "GWh", "wrong unit 'GWh'"),
        ("production", "value", "lots", "not a number: 'lots'"),
        ("production", "stage", "smelting", "'smelting' is not one of"),
        ("production", "year", "20x4", "not a number"),
        ("import_sources", "share", "0.9", "sum to"),
    ],
)
def test_corrupted_cell_is_reported_with_file_row_column(user_dir, table, column, value,
                                                        reason):
    path = corrupt(user_dir, table, 3, column, value)
    problems = problems_of(path.parent)
    hits = [p for p in problems if reason in p.reason]
    assert hits, problems
    p = hits[0]
    assert p.file == str(path)
    assert p.column == column
    if "sum to" not in reason:
        assert p.row == 3 + 2  # header is row 1, data row 0 is row 2
    assert LINE.match(str(p))


def test_country_output_above_world_total_is_an_error(user_dir):
    path = user_dir("production")
    df = read(path)
    i = df[(df["commodity"] == "ree") & (df["year"] == "2024") & (df["country"] == "CHN")].index
    df.loc[i, "value"] = "900000"
    write(df, path)
    problems = problems_of(path.parent)
    assert any("of the WORLD total" in p.reason and "ree/mine/2024" in p.reason
               for p in problems)


def test_duplicate_and_unknown_column(user_dir):
    path = user_dir("reserves")
    df = read(path)
    df = pd.concat([df, df.iloc[[0]]])
    df["colour"] = "blue"
    write(df, path)
    reasons = [p.reason for p in problems_of(path.parent)]
    assert any(r.startswith("duplicate key") for r in reasons)
    assert any(r.startswith("unknown column") for r in reasons)


def test_user_rows_override_and_extend(tmp_path):
    rows = ("commodity,stage,country,year,value,unit,estimated,method,source_id,note\n"
            "ree,mine,USA,2024,50000,t REO,true,company report sum,usgs_mcs2025_ree,\n"
            "ree,mine,USA,2026,52000,t REO,true,company guidance,usgs_mcs2025_ree,\n")
    (tmp_path / "production.csv").write_text(rows)
    net = critmin.load(tmp_path)
    p = net.production
    usa = p[(p["commodity"] == "ree") & (p["stage"] == "mine")
            & (p["country"] == "USA")].set_index("year")["value"]
    assert usa[2024] == 50000 and usa[2026] == 52000
    assert len(p) == len(critmin.load().production) + 1


@pytest.mark.parametrize("suffix", ["parquet", "xlsx"])
def test_parquet_and_excel_user_tables(tmp_path, suffix):
    import pandas as pd
    df = pd.DataFrame([{"commodity": "ree", "stage": "mine", "country": "XXX", "year": 2025,
                        "value": 1.0, "unit": "t REO", "estimated": False, "method": "",
                        "source_id": "usgs_mcs2025_ree", "note": ""}])
    path = tmp_path / f"production.{suffix}"
    df.to_parquet(path) if suffix == "parquet" else df.to_excel(path, index=False)
    problems = problems_of(tmp_path)
    assert [(p.row, p.column) for p in problems] == [(2, "country")]


CELLS = st.one_of(st.text(max_size=12), st.integers(-10**9, 10**9).map(str),
                  st.floats(allow_nan=True, allow_infinity=True).map(str),
                  st.sampled_from(["", "NA", "W", "—", "true", "1e400", "-0", "ree", "CHN"]))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=st.integers(0, 30),
       column=st.sampled_from(["commodity", "stage", "country", "year", "value", "unit",
                               "estimated", "method", "source_id"]),
       value=CELLS)
def test_fuzzed_cells_either_load_or_fail_cleanly(user_dir, row, column, value):
    """Any single-cell change either loads or gives only well-formed problem lines."""
    path = corrupt(user_dir, "production", row, column, value)
    try:
        critmin.load(path.parent)
    except DataValidationError as exc:
        assert exc.problems
        for p in exc.problems:
            assert LINE.match(str(p)), str(p)
            assert p.file == str(path) or p.row >= 1


def test_one_benchmark_price_per_commodity():
    """The models price each commodity at its declared grade, not at whichever row a
    sort left last (graphite once came out as Sri Lankan lump, 2,900 USD/t)."""
    from critmin.data.benchmark import benchmark_usd_t
    from critmin.market.baseline import build_baseline

    net = critmin.load()
    p = benchmark_usd_t(net.prices)
    assert p.index.is_unique and set(p.index) == set(net.prices["commodity"])
    assert p["graphite"] == 1000.0  # USGS MCS 2026, flake, U.S. import unit value 2025
    assert p["gallium"] == 580_000.0  # MCS 2026: one 2025 series (import unit value)
    assert build_baseline(net).table.set_index("commodity").at["graphite", "price_usd_t"] \
        == 1000.0


def test_several_latest_prices_without_a_benchmark_grade_is_an_error(tmp_path):
    rows = ("commodity,year,value,unit,basis,estimated,method,source_id,note\n"
            "antimony,2030,30,USD/kg,Rotterdam spot,false,,usgs_mcs2025_ree,\n"
            "antimony,2030,32,USD/kg,New York dealer,false,,usgs_mcs2025_ree,\n")
    (tmp_path / "prices.csv").write_text(rows)
    problems = problems_of(tmp_path)
    assert {(p.file.endswith("prices.csv"), p.row, p.column) for p in problems} == {
        (True, 2, "basis"), (True, 3, "basis")}
    assert all("no benchmark grade" in p.reason and "'antimony'" in p.reason
               for p in problems)


@given(values=st.lists(st.one_of(st.none(), st.text(max_size=3),
                                 st.sampled_from(["ree", "CHN", "", "nan"])), max_size=30),
       known=st.sets(st.one_of(st.text(max_size=3), st.sampled_from(["ree", "CHN", "nan"])),
                     max_size=8))
def test_reference_lookups_agree_with_pandas_isin(values, known):
    """The reference checks' set lookups (fast) answer as pandas' isin on the str columns
    the tables load as, missing values included."""
    s = pd.Series(values, dtype="str")
    assert _isin(s, known).tolist() == s.isin(known).tolist()
