"""`critmin club`: the partners' floor club against stockpiles and projects."""

from __future__ import annotations

import pytest

from critmin.scenarios import get_scenario
from critmin.workflows.club import _closure, club


@pytest.fixture(scope="module")
def record(net):
    sc = get_scenario("CN_2025_10_full_controls", net)
    return club(net, ["USA", "JPN"], "ndfeb_magnet", scenario=sc, samples=12, seed=1)


def test_club_reports_every_measure_with_percentiles(record):
    c = record["club"]
    for key in ("cost_to_buyers_usd", "fiscal_cost_usd", "shortfall_avoided_t",
                "volatility_avoided", "tariff_revenue_usd"):
        assert c[key]["p5"] <= c[key]["p50"] <= c[key]["p95"]
    assert record["same_cost"]["budget_usd"] == pytest.approx(c["fiscal_cost_usd"]["mean"])
    assert c["covered_t_per_yr"] >= c["covered_baseline_t_per_yr"]
    assert c["tariff_revenue_usd"]["mean"] > 0  # Chinese magnets still flow, taxed
    for k in ("stockpile", "projects"):
        assert "shortfall_avoided_t" in record["same_cost"][k]


def test_club_closure_reaches_inputs(net):
    assert set(_closure(net, "ndpr")) >= {"ndpr", "ndfeb_magnet", "dy"}


def test_bad_partner_is_one_clear_error(net):
    sc = get_scenario("CN_2025_10_full_controls", net)
    with pytest.raises(ValueError, match="FRA"):
        club(net, ["USA", "FRA"], "ndfeb_magnet", scenario=sc, samples=2)


def test_cli_bad_commodity_and_partner_are_one_line_errors():
    from tests.cli.test_errors import one_line_error
    from tests.test_cli import run

    out = run("club", "--commodity", "unobtainium")
    assert "--commodity unobtainium: unknown" in one_line_error(out)
    out = run("club", "--commodity", "ndfeb_magnet", "--partners", "USA,XYZ",
              "--samples", "2")
    assert "XYZ" in one_line_error(out)
