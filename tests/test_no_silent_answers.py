"""Issue 24: a mistake is refused with one line naming the value and the fix, or
normalised to the same answer as the right spelling; never a silent different result or a
silent "0 rows"."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from critmin.data.io import shipped_dir
from critmin.data.validate import DataValidationError
from critmin.metrics.assessment import assess
from critmin.scenarios.bounds import scenario_problems
from critmin.scenarios.spec import ScenarioError, parse_scenario
from tests.test_cli import run


def control(**kw) -> dict:
    base = dict(id="t", name="t", start="2025-10-01", controls=[dict(
        exporter="CHN", commodities=["gallium"], measure="destination_ban",
        destinations=["JPN"], start="2025-10-01")])
    base["controls"][0].update(kw)
    return base


def one_line(out, code: int = 2) -> str:
    assert out.returncode == code, (out.returncode, out.stdout[-500:], out.stderr)
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]


# --- scenarios ---------------------------------------------------------------------------

@pytest.mark.parametrize("field,lower", [("destinations", ["jpn"]), ("exporter", "chn"),
                                         ("destinations", [" Jpn "])])
def test_lower_case_codes_give_the_same_scenario(field, lower):
    assert parse_scenario(control(**{field: lower})).model_dump() == \
        parse_scenario(control()).model_dump()


def test_lower_case_codes_in_every_code_field_are_normalised():
    sc = parse_scenario(dict(
        id="t", name="t", start="2025-10-01",
        outages=[dict(country="chn", commodity="gallium", share_lost=0.5,
                      start="2025-10-01")],
        demand_shocks=[dict(commodity="gallium", region="world", change=0.1,
                            start="2025-10-01")],
        stocks=[dict(holder="jpn", commodity="ALL", target_days=30)],
        tariffs=[dict(importer="usa", exporter="chn", commodity="gallium", rate=0.1,
                      start="2025-10-01")]))
    assert (sc.outages[0].country, sc.demand_shocks[0].region, sc.stocks[0].holder,
            sc.tariffs[0].importer, sc.tariffs[0].exporter) == \
        ("CHN", "WORLD", "JPN", "USA", "CHN")


ENUMERATED = [  # (field path, bad value, words the message must hold)
    ("controls.0.stages", ["bogus_stage"], ["'bogus_stage'", "'refining'"]),
    ("controls.0.measure", "embargo", ["'embargo'", "destination_ban"]),
    ("controls.0.refused_end_uses", ["civil"], ["'civil'", "defence"]),
    ("outages.0.stage", "smelting", ["'smelting'", "'metal'"]),
    ("capacity.0.stage", "magnets", ["'magnets'", "'product'"]),
    ("stocks.0.release", "asap", ["'asap'", "on_shortfall"]),
    ("responses.0.actions", ["buy_more"], ["'buy_more'", "coordinated_release"]),
]


@pytest.mark.parametrize("path,value,words", ENUMERATED)
def test_every_enumerated_field_refuses_an_unknown_value_by_name(path, value, words):
    sc = dict(id="t", name="t", start="2025-10-01",
              controls=[dict(exporter="CHN", commodities=["gallium"],
                             measure="destination_ban", start="2025-10-01")],
              outages=[dict(country="CHN", commodity="gallium", share_lost=0.5,
                            start="2025-10-01")],
              capacity=[dict(name="p", country="AUS", commodity="gallium", capacity_t=10,
                             online="2026-01-01")],
              stocks=[dict(holder="JPN", commodity="ALL", target_days=30)],
              responses=[dict(name="r", price_ratio_above=2.0,
                              actions=["coordinated_release"])])
    parse_scenario(sc)  # valid as it stands
    group, i, field = path.split(".")
    sc[group][int(i)][field] = value
    with pytest.raises(ScenarioError) as exc:
        parse_scenario(sc)
    message = str(exc.value)
    assert len(message.splitlines()) == 1 and message.startswith(f"scenario: {path}")
    for w in words:
        assert w in message, (w, message)


def test_unknown_codes_in_a_scenario_say_what_was_meant(net):
    sc = parse_scenario(control(destinations=["Japan"], commodities=["galium"]))
    problems = dict(scenario_problems(sc, set(net.commodities["commodity"])))
    assert "did you mean JPN?" in problems["controls.0.destinations.0"]
    assert "did you mean gallium?" in problems["controls.0.commodities.0"]


# --- Python API ----------------------------------------------------------------------------

def test_assess_takes_one_code_as_one_importer(net):
    one = assess(net, "JPN").countries
    assert set(one["importer"]) == {"JPN"}
    both = assess(net, ("JPN",)).countries
    pd.testing.assert_frame_equal(one, both)
    assert set(assess(net, "jpn").countries["importer"]) == {"JPN"}


@pytest.mark.parametrize("bad,hint", [("Japan", "did you mean JPN?"), (("USA", "J"), "'J'")])
def test_assess_refuses_what_is_not_an_iso3_code(net, bad, hint):
    with pytest.raises(ValueError, match="not an ISO 3166 alpha-3 code") as exc:
        assess(net, bad)
    assert hint in str(exc.value)


def test_assess_refuses_an_unknown_stage(net):
    with pytest.raises(ValueError, match="'smelting': not a stage; use one of mine"):
        assess(net, "JPN", stage="smelting")


# --- user tables ---------------------------------------------------------------------------

def _one_price_row(tmp_path, value: str):
    rows = pd.read_csv(shipped_dir() / "prices.csv", dtype=str, keep_default_na=False)
    row = rows[rows["commodity"].eq("gallium")].iloc[[0]].copy()
    row["value"] = value
    row.to_csv(tmp_path / "prices.csv", index=False)
    return row


@pytest.mark.parametrize("value", ["220,0", "1,5", "573,25"])
def test_a_decimal_comma_is_refused_not_read_as_thousands(tmp_path, value):
    _one_price_row(tmp_path, value)
    line = one_line(run("data", "validate", str(tmp_path)), 1)
    assert line.startswith(f"{tmp_path / 'prices.csv'}:2: value: decimal comma")
    assert repr(value) in line and "220.0" in line


def test_thousands_grouping_still_reads(tmp_path):
    import critmin

    _one_price_row(tmp_path, "1,234.5")
    prices = critmin.load(tmp_path).prices
    assert 1234.5 in set(prices["value"])


def test_lower_case_country_and_float_year_replace_the_shipped_row(tmp_path):
    """`chn` / `2024.0` mean the shipped row CHN/2024: the user value replaces it (before:
    a second row beside it, and a misleading error about the shipped file's totals)."""
    import critmin

    prod = pd.read_csv(shipped_dir() / "production.csv", dtype=str, keep_default_na=False)
    key = prod["commodity"].eq("gallium") & prod["stage"].eq("refining") & \
        prod["country"].eq("CHN") & prod["year"].eq("2024")
    assert key.sum() == 1
    row = prod[key].copy()
    row["country"], row["year"] = "chn", "2024.0"
    row.to_csv(tmp_path / "production.csv", index=False)
    key = ["commodity", "stage", "country", "year"]
    mine = critmin.load(tmp_path).tables["production"].sort_values(key, ignore_index=True)
    theirs = critmin.load().tables["production"].sort_values(key, ignore_index=True)
    assert len(mine) == len(theirs)
    pd.testing.assert_frame_equal(mine[list(theirs.columns)], theirs, check_dtype=False)


def test_an_unknown_lower_case_country_is_still_refused(tmp_path):
    prod = pd.read_csv(shipped_dir() / "production.csv", dtype=str, keep_default_na=False)
    row = prod[prod["commodity"].eq("gallium")].iloc[[0]].copy()
    row["country"] = "xyz"
    row.to_csv(tmp_path / "production.csv", index=False)
    with pytest.raises(DataValidationError, match="unknown country code 'XYZ'"):
        import critmin
        critmin.load(tmp_path)


# --- CLI -----------------------------------------------------------------------------------

@pytest.mark.parametrize("args,words", [
    (["--commodity", "galium"], ["--commodity galium", "did you mean gallium?"]),
    (["--commodity", "rare earths"], ["did you mean ree or ree_other?"]),
    (["--country", "Japan"], ["--country Japan", "did you mean JPN?"]),
])
def test_data_list_refuses_unknown_filters_with_a_suggestion(args, words):
    line = one_line(run("data", "list", "production", *args))
    assert line.startswith("data list: ")
    for w in words:
        assert w in line, line


def test_data_list_filters_are_case_blind():
    upper = run("data", "list", "production", "--country", "JPN", "--json")
    lower = run("data", "list", "production", "--country", "jpn", "--json")
    assert upper.returncode == 0 and json.loads(upper.stdout)
    assert lower.stdout == upper.stdout


def test_data_list_json_goes_to_the_output_file(tmp_path):
    out = tmp_path / "p.json"
    done = run("data", "list", "production", "--commodity", "gallium", "--json", "-o",
               str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    rows = json.loads(out.read_text())
    assert rows and {r["commodity"] for r in rows} == {"gallium"}


@pytest.mark.parametrize("args,words", [
    (["-o", "x.docx"], ["cannot write .docx"]),
    (["--csv", "-o", "x.xlsx"], ["does not match --csv", "x.csv"]),
])
def test_data_list_output_suffix_must_match_the_format(tmp_path, args, words):
    args = [a if not a.startswith("x.") else str(tmp_path / a) for a in args]
    line = one_line(run("data", "list", "production", *args))
    for w in words:
        assert w in line, line
    assert list(tmp_path.iterdir()) == []


def test_report_refuses_a_docx_before_any_work(tmp_path):
    line = one_line(run("report", "-o", str(tmp_path / "brief.docx"), "--db",
                        str(tmp_path / "r.duckdb")))
    assert line.startswith("report: -o ") and ".html or .pdf" in line
    assert "brief.html" in line
    assert list(tmp_path.iterdir()) == []


def test_budgets_are_read_as_people_write_them(tmp_path):
    """`--budget-usa 500m` is USD 500 million (the dashboard's unit, USD m, read aloud);
    a word that is no amount is refused naming it."""
    from critmin.cli.checks import usd_amount

    assert [usd_amount(v) for v in ("500m", "1.2bn", "300k", "2e9",
                                                  "1,000,000", 7.5)] == \
        [5e8, 1.2e9, 3e5, 2e9, 1e6, 7.5]
    out = run("report", "--budget-usa", "500m", "-o", str(tmp_path / "b.docx"))
    assert out.returncode == 2 and "b.docx" in out.stderr  # parsed; stopped at the suffix
    bad = run("report", "--budget-usa", "lots", "-o", str(tmp_path / "b.html"))
    assert bad.returncode == 2 and "'lots' is not an amount in USD" in bad.stderr
