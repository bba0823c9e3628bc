"""Python callers see a progress bar where a person watches and nothing elsewhere: the
bar follows ``simulate``'s chunks on a terminal (or notebook), stays off on a pipe / log /
CI unless forced, and a callable still receives the counts."""

from __future__ import annotations

import io

from rich.console import Console

from critmin.simulate.progress import interactive, progress_bar


def console(terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, force_jupyter=False, width=100), out


def test_no_bar_where_nobody_watches():
    c, out = console(False)
    assert not interactive(c)
    with progress_bar(None, "simulating X", c) as cb:
        assert cb is None
    assert out.getvalue() == ""


def test_bar_on_a_terminal_counts_chunks():
    c, out = console(True)
    assert interactive(c)
    with progress_bar(None, "simulating X", c) as cb:
        assert callable(cb)
        cb(1, 4)
        cb(4, 4)
    text = out.getvalue()
    assert "simulating X" in text and "4/4" in text


def test_false_turns_it_off_and_true_forces_it():
    c, out = console(True)
    with progress_bar(False, "x", c) as cb:
        assert cb is None
    assert out.getvalue() == ""
    c, out = console(False)
    with progress_bar(True, "forced", c) as cb:
        cb(2, 2)
    assert "forced" in out.getvalue()


def test_a_callable_gets_the_counts_and_no_bar_is_drawn():
    c, out = console(True)
    seen = []
    with progress_bar(lambda d, t: seen.append((d, t)), "x", c) as cb:
        cb(1, 3)
    assert seen == [(1, 3)] and out.getvalue() == ""


def test_simulate_draws_the_bar_by_default_on_a_terminal(net, tmp_path, monkeypatch):
    from critmin.scenarios.presets import get_scenario
    from critmin.simulate import progress as P
    from critmin.simulate.runner import simulate
    from critmin.store import ResultsStore

    c, out = console(True)
    monkeypatch.setattr(P, "Console", lambda stderr=True: c)
    sc = get_scenario("CN_2025_10_full_controls", net)
    simulate(net, sc, samples=16, seed=1, store=ResultsStore(tmp_path / "r.db"), model="v1")
    assert f"simulating {sc.id}" in out.getvalue() and "1/1" in out.getvalue()


def test_a_notebook_without_ipywidgets_gets_no_bar_and_no_warning(monkeypatch):
    import importlib.util

    c = Console(file=io.StringIO(), force_terminal=False, force_jupyter=True)
    have = importlib.util.find_spec("ipywidgets") is not None
    assert interactive(c) == have
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert not interactive(c)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object())
    assert interactive(c)
