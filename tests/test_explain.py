"""What the numbers mean: the price-rationing and re-routing detectors, the glossary (one
source for the brief, `critmin glossary` and the docs), Sobol indices shown as 0-1 shares,
and tied ranks marked. Each test names the behaviour whose removal fails it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from critmin.calibrate.sensitivity import clip_indices
from critmin.cli import app
from critmin.report import explain as X
from critmin.report.brief import tie_counts
from critmin.report.fmt import index_text, rank_text
from critmin.scenarios.spec import ExportControl

DOCS = Path(__file__).resolve().parents[1] / "docs"


def q(p50: float) -> dict:
    return {"p5": p50, "p50": p50, "p95": p50, "mean": p50}


def row(c: str, region: str, ratio: float, short: float) -> dict:
    return {"commodity": c, "region": region, "peak_price_ratio": q(ratio),
            "shortfall": q(short)}


def test_price_without_shortfall_is_named_as_rationing():
    rows = [row("dy", "USA", 2.2, 0.0), row("dy", "JPN", 2.2, 0.001),
            row("ga", "USA", 2.2, 0.0), row("ga", "JPN", 2.2, 0.12),  # Japan short
            row("cu", "USA", 1.1, 0.0), row("cu", "JPN", 1.1, 0.0)]   # price barely up
    assert X.price_rationed(rows) == ["dy"]
    note = X.rationing_note(["dy"], {"dy": "dysprosium"})
    assert "dysprosium" in note and "price rationing" in note
    assert X.rationing_note([], {}) == ""


@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from(["USA", "JPN"]),
                          st.floats(0.5, 5.0), st.floats(0.0, 0.05)), max_size=12))
def test_rationing_flags_exactly_large_price_and_every_region_served(cells):
    rows = [row(*c) for c in cells]
    got = set(X.price_rationed(rows))
    for c in {x[0] for x in cells}:
        mine = [x for x in cells if x[0] == c]
        want = (max(x[2] for x in mine) >= X.RATIONING_X
                and all(x[3] < X.NO_SHORTFALL for x in mine))
        assert (c in got) == want, (c, mine)


def control(dest: list[str], commodities=("ga",)) -> ExportControl:
    return ExportControl(exporter="CHN", commodities=list(commodities), measure="export_ban",
                         destinations=dest, start=dt.date(2025, 1, 1))


def test_targeted_destination_without_shortfall_is_named_as_rerouting():
    short = {("ga", "JPN"): q(0.0), ("ga", "USA"): q(0.3), ("ge", "JPN"): q(0.2)}
    assert X.rerouted([control(["JPN"])], short) == [("ga", "JPN")]
    assert X.rerouted([control(["USA"])], short) == []          # targeted and short
    assert X.rerouted([control(["ALL"])], short) == []          # not targeted by name
    assert X.rerouted([control(["JPN"], ("ge",))], short) == []
    assert X.rerouted([control(["KOR"])], short) == []          # region not reported
    note = X.rerouting_note([("ga", "JPN")], {"ga": "gallium"}, {"JPN": "Japan"}.get)
    assert "gallium to Japan" in note and "re-routing" in note


def test_glossary_keys_are_unique_and_anchors_refuse_unknown_terms():
    assert len(X.TERMS) == len(X.GLOSSARY)
    assert X.anchor("re-routing") == "g-re-routing"
    try:
        X.anchor("not-a-term")
    except KeyError:
        pass
    else:
        raise AssertionError("an unknown glossary term got an anchor")


def test_docs_glossary_page_is_generated_from_the_same_entries():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_ref", DOCS / "hooks" / "gen_ref.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    page = (DOCS / "concepts" / "glossary.md").read_text()
    out = hook.on_page_markdown(page, None, None, None)
    assert hook.GLOSSARY_MARK not in out
    for t in X.GLOSSARY:
        assert f"{t.term}\n:   {t.text}" in out, t.key


def test_cli_glossary_prints_one_entry_and_suggests_on_a_typo():
    r = CliRunner().invoke(app, ["glossary", "price_rationing"])
    assert r.exit_code == 0 and "Price rationing" in r.output
    assert "Re-routing" not in r.output
    bad = CliRunner().invoke(app, ["glossary", "shortfal"])
    assert bad.exit_code == 2 and "did you mean shortfall?" in bad.output


def test_simulate_prints_rationing_and_rerouting_where_the_run_shows_them(capsys):
    from critmin.cli.simulate import _print_explanations

    rep = {"results": [row("dy", "USA", 2.2, 0.0), row("dy", "JPN", 2.2, 0.0),
                       row("ga", "USA", 3.0, 0.2), row("ga", "JPN", 3.0, 0.0)]}
    _print_explanations(rep, SimpleNamespace(controls=[control(["JPN"])]))
    out = " ".join(capsys.readouterr().out.split())
    assert "Price without shortfall (dy)" in out
    assert "Targeted but supplied (ga to Japan)" in out
    _print_explanations({"results": [row("ga", "USA", 1.1, 0.2), row("ga", "JPN", 1.1, 0.2)]},
                        SimpleNamespace(controls=[control(["JPN"])]))
    assert capsys.readouterr().out == ""


# -- Sobol indices shown as shares --------------------------------------------------------
def test_sobol_above_one_is_shown_clipped_with_its_estimate():
    assert index_text(1.22, 2.92) == "1.00 (estimate 1.22 ± 2.92: noisy)"
    assert index_text(-0.3, 0.4).startswith("0.00 (estimate -0.30")
    assert index_text(0.42, 0.08) == "0.42 ± 0.08"
    assert index_text(1.0, 0.5, 1.22).startswith("1.00 (estimate 1.22")


@given(st.lists(st.tuples(st.floats(-3, 3), st.floats(0, 3), st.floats(-3, 3),
                          st.floats(0, 3)), min_size=1, max_size=20))
def test_clip_indices_bounds_keeps_estimates_and_marks_noise(vals):
    df = pd.DataFrame(vals, columns=["S1", "S1_conf", "ST", "ST_conf"])
    out = clip_indices(df)
    for k in ("S1", "ST"):
        assert out[k].between(0, 1).all()
        np.testing.assert_array_equal(out[f"{k}_estimate"], df[k])
    outside = ((df[["S1", "ST"]] < -0.005) | (df[["S1", "ST"]] > 1.005)).any(axis=1)
    wide = (df[["S1_conf", "ST_conf"]] > 0.5).any(axis=1)
    assert (out["noisy"] == (outside | wide)).all()


# -- tied ranks ------------------------------------------------------------------------------
def test_tied_ranks_are_marked_with_how_many_share_them():
    a = SimpleNamespace(countries=pd.DataFrame({
        "importer": ["USA"] * 5 + ["JPN"],
        "commodity": ["a", "ree", "nd", "dy", "b", "a"],
        "eu_rank": [1.0, 2.0, 2.0, 2.0, 5.0, 1.0]}))
    tied = tie_counts(a, "USA", "eu")
    assert tied == {1.0: 1, 2.0: 3, 5.0: 1}
    assert rank_text(2.0, tied) == "2= (3 tied)"
    assert rank_text(5.0, tied) == "5"
    assert rank_text(float("nan"), tied) == "—"


def test_critmin_simulate_prints_the_explanations(tmp_path, monkeypatch):
    """The command wires the notes in (detection itself is tested above): with the
    detector answering gallium, the command's output names it."""
    import critmin.report.explain as explain

    monkeypatch.setattr(explain, "price_rationed", lambda rows, key="peak_price_ratio":
                        ["gallium"])
    r = CliRunner().invoke(app, ["simulate", "--scenario", "CN_2025_10_full_controls",
                                 "--samples", "16", "--model", "v1", "--no-compare-response",
                                 "--rows", "1", "--db", str(tmp_path / "r.db")])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert "Price without shortfall (gallium)" in out and "critmin glossary" in out
