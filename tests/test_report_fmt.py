"""Report formatting: human values for any number (no NaN, no e-16 float noise), and
qualifiers shown as published."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from critmin.report.fmt import country, num, pct, pct_range, times_range, tonnes, usd, usd_m

values = st.one_of(st.floats(allow_infinity=False, min_value=-1e15, max_value=1e15),
                   st.just(float("nan")), st.none())


@given(values)
def test_no_float_noise_or_nan_in_any_format(x):
    for text in (num(x), pct(x), usd(x), usd_m(x), tonnes(x)):
        assert "nan" not in text.lower() and "e-" not in text and "e+" not in text
        assert text == "—" or any(ch.isdigit() for ch in text)
    if x is None or math.isnan(x):
        assert pct(x) == "—"


def test_tiny_values_print_as_zero():
    assert num(1.79e-16) == "0" and pct(-1e-17) == "0 %" and tonnes(3e-13) == "0.00 t"


def test_qualifiers_as_published():
    assert pct(0.5, ">") == ">50 %"
    assert pct(0.0, "E") == "E (net exporter)"
    assert pct(0.25, "") == "25 %"


def test_ranges_and_names():
    assert pct_range(0.739, 0.824, 0.897, 1) == "82.4 % (73.9–89.7)"
    assert times_range(2.18, 3.91, 5.79) == "3.91× (2.18–5.79)"
    assert usd(3.88e9) == "USD 3.88 bn" and usd_m(20.775e6) == "USD 20.8 m"
    assert country("CHN") == "China" and country("DEU") == "Germany"


def test_budgets_name_funders_without_a_budget_instead_of_usd_0():
    from critmin.report.html import budgets_text

    text = budgets_text({"USA": 1e9, "JPN": 5e8, "JPN_vehicle": 0.0})
    assert text == ("United States USD 1.00 bn, Japan USD 500.0 m; no budget from Japan "
                    "(US$550 bn vehicle)")
    assert "USD 0" not in text
    assert budgets_text({"USA": 0.0}) == "none; no budget from United States"


def test_identical_series_are_drawn_once_with_both_names():
    import datetime as dt

    import pandas as pd

    from critmin.report.figures import series_fans

    rows = []
    for s in range(4):
        for m in range(3):
            for metric, v in (("shortfall_USA", 0.1 * s), ("shortfall_JPN", 0.1 * s),
                              ("shortfall_EU", 0.05 * s + 0.01 * m)):
                rows.append(dict(sample=s, month=m, commodity="ga", metric=metric, value=v))
    fig = series_fans(pd.DataFrame(rows), "ga", [("shortfall_USA", "United States"),
                                                 ("shortfall_JPN", "Japan"),
                                                 ("shortfall_EU", "EU")],
                      dt.date(2025, 1, 1), "t", " %", 100.0)
    named = [t.name for t in fig.data if t.showlegend is not False]
    assert named == ["United States = Japan", "EU"]
