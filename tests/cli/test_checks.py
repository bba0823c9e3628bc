"""The size guard's estimate (critmin.cli.checks.run_estimate, guard_size): the time it
predicts grows with the months a run steps through, spin-up months included; the stored
bytes do not. Arithmetic on the guard's constants only: no clock is read."""

from __future__ import annotations

import re

import pytest

from critmin.cli.checks import (
    MEASURED_MONTHS,
    SECONDS_PER_SAMPLE_MONTH,
    SECONDS_PER_SAMPLE_MONTH_V1,
    months_run,
    run_estimate,
)
from tests.cli.test_errors import one_line_error
from tests.test_cli import run


def test_estimate_is_proportional_to_the_months_run():
    est_24, bytes_24 = run_estimate(46, 100_000, 2, 24)
    est_50, bytes_50 = run_estimate(46, 100_000, 2, 50)
    assert est_50 == pytest.approx(est_24 * 50 / 24)
    assert run_estimate(46, 100_000, 2, 240)[0] == pytest.approx(est_24 * 10)
    assert bytes_50 == bytes_24  # per-sample metrics summarise the reported months
    # units: v2's constant is the measured 298 us of worker CPU per 24-month sample
    # (10^6 samples, 2 workers: 149 s of each worker's CPU), v1's 1.5 s per 8,192-sample
    # chunk of 24 months and worker
    assert run_estimate(46, 10**6, 2, MEASURED_MONTHS)[0] == pytest.approx(149.0)
    assert abs(SECONDS_PER_SAMPLE_MONTH * 24 - 298e-6) < 1e-15
    assert run_estimate(46, 8192, 1, MEASURED_MONTHS, model="v1")[0] == pytest.approx(1.5)
    assert abs(SECONDS_PER_SAMPLE_MONTH_V1 * 8192 * 24 - 1.5) < 1e-12


def test_months_run_counts_horizon_and_spin_up():
    assert months_run(8, 0) == 24
    assert months_run(8, 26) == 50  # CN_2025_10_full_controls: 26 spin-up + 24 reported


def _days(line: str) -> float:
    m = re.search(r"would take about ([\d,.]+) days", line)
    assert m, line
    return float(m.group(1).replace(",", ""))


def test_guard_counts_the_spin_up_months(tmp_path):
    """The same refused run of a spun-up preset, with and without its spin-up: the
    message names the months and the time grows from 24 to 50 months' worth."""
    args = ("simulate", "--scenario", "CN_2025_10_full_controls", "--samples",
            "10000000000", "--workers", "2", "--no-compare-response")
    spun = one_line_error(run(*args, "--db", str(tmp_path / "a.db")))
    plain = one_line_error(run(*args, "--no-spin-up", "--db", str(tmp_path / "b.db")))
    assert "of 50 months, 26 of them spin-up" in spun, spun
    assert "of 24 months would take" in plain, plain
    assert _days(spun) / _days(plain) == pytest.approx(50 / 24, rel=0.01)


def _tb(line: str) -> float:
    m = re.search(r"write about ([\d,.]+) TB", line)
    assert m, line
    return float(m.group(1).replace(",", ""))


def test_estimates_count_the_model_that_runs(tmp_path):
    """v2 stores 27 columns per commodity and sample, v1 11, and each has its own measured
    time per sample-month: the same refused run estimates the bytes and the time of the
    model it would run."""
    from critmin.cli.checks import METRICS_PER_COMMODITY, metrics_per_commodity
    from critmin.market.v2.chunks import metric_names

    assert metrics_per_commodity("v1") == METRICS_PER_COMMODITY == 11
    assert metrics_per_commodity("v2") == len(metric_names()) == 27
    assert run_estimate(46, 1000, 1, 24, 27)[1] == 1000 * (46 * 27 + 2) * 4
    args = ("simulate", "--scenario", "CN_2025_10_full_controls", "--samples",
            "10000000000", "--workers", "2", "--no-compare-response")
    v2 = one_line_error(run(*args, "--db", str(tmp_path / "a.db")))
    v1 = one_line_error(run(*args, "--model", "v1", "--db", str(tmp_path / "b.db")))
    assert "of 24 months would take" in v1, v1  # v1 does not spin up
    assert "of 50 months, 26 of them spin-up" in v2, v2
    # and the time of the model it would run: v2's measured constant over 50 months
    assert _days(v2) / _days(v1) == pytest.approx(
        50 * SECONDS_PER_SAMPLE_MONTH / (24 * SECONDS_PER_SAMPLE_MONTH_V1), rel=0.01)
    n = round((_tb(v2) / 0.04 - 2) / 27)  # commodities counted: 1e10 x 4 B = 0.04 TB each
    assert _tb(v2) / _tb(v1) == pytest.approx((n * 27 + 2) / (n * 11 + 2), rel=0.01)
