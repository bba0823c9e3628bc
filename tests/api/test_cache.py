"""The server's data reload (:class:`critmin.api.cache.DataState`): a table being written
is never served half written, a table written to while it is read is not served, and
invalid new data keeps the last valid data served and says why, once. Each check is
called directly (no timer), so every interleaving of writer and check is exact."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import critmin
from critmin.api import cache
from critmin.api.cache import DataState
from critmin.data.io import shipped_dir


@pytest.fixture
def served(tmp_path):
    """A DataState on a --data directory holding a copy of the production table; the
    table's text with its last row's value halved; that value; and that row's key (rows
    kept in order: a cut at a row boundary of its first half is a valid, shorter table,
    without the edited row; the shipped rows stand for the rows it lacks)."""
    folder = tmp_path / "data"
    folder.mkdir()
    csv = folder / "production.csv"
    shutil.copy(shipped_dir() / "production.csv", csv)
    df = pd.read_csv(csv, dtype=str, keep_default_na=False)
    last = df.index[-1]
    key = df.loc[last, ["commodity", "stage", "country", "year"]].to_dict()
    df.loc[last, "value"] = repr(float(df.loc[last, "value"]) / 2)
    return (DataState(folder), csv, df.to_csv(index=False), float(df.loc[last, "value"]),
            lambda net: _value(net, key))


def _value(net, key: dict) -> float:
    """The value of the production row ``key`` in the network."""
    p = net.production
    (v,) = p.loc[(p["commodity"] == key["commodity"]) & (p["stage"] == key["stage"])
                 & (p["country"] == key["country"]) & (p["year"] == int(key["year"])), "value"]
    return float(v)


def _half(text: str) -> str:
    """The text up to the row boundary nearest its middle (a whole, shorter table)."""
    return text[:text.index("\n", len(text) // 2) + 1]


def test_a_table_is_served_only_once_its_writer_is_done(served, tmp_path, capsys):
    """Written in place in two steps (truncated, half the rows, the rest), as ``to_csv``
    or an editor writing in place does: no check between the steps serves the empty or
    the half table, and no error is reported for them; the whole table is served."""
    state, csv, edited, new, value_of = served
    old = state.net
    half = tmp_path / "half" / "production.csv"
    half.parent.mkdir()
    half.write_text(_half(edited), encoding="utf-8")
    assert value_of(critmin.load(half.parent)) == value_of(old) != pytest.approx(new)  # valid
    with open(csv, "w", encoding="utf-8") as f:  # truncates: the table is empty
        assert not state.check()
        f.write(_half(edited))
        f.flush()
        assert not state.check() and state.net is old
        f.write(edited[len(_half(edited)):])
    assert not state.check() and state.net is old  # changed since the last check
    assert state.check() and state.net is not old
    assert len(state.net.production) == len(old.production)
    assert value_of(state.net) == pytest.approx(new) != pytest.approx(value_of(old))
    assert state.problem is None and "not loaded" not in capsys.readouterr().err


def test_a_table_written_to_while_it_is_read_is_not_served(served, monkeypatch):
    """The writer starts again while the settled files are read: what was read is
    dropped, the last network stays served, and the table is read again once settled."""
    state, csv, edited, new, value_of = served
    old = state.net
    real = cache.load
    reads = []

    def save_begins_during_the_read(data):
        if not reads:  # the next save has written half the table when the read gets to it
            csv.write_text(_half(edited), encoding="utf-8")
        reads.append(net := real(data))
        return net

    monkeypatch.setattr(cache, "load", save_begins_during_the_read)
    csv.write_text(edited, encoding="utf-8")
    assert not state.check()  # changed: wait one check
    assert not state.check() and state.net is old  # settled, read half, changed meanwhile
    assert len(reads) == 1 and value_of(reads[0]) == value_of(old)  # the half, without the edit
    csv.write_text(edited, encoding="utf-8")  # the save ends
    assert not state.check() and state.net is old
    assert state.check() and state.net is reads[1]
    assert value_of(state.net) == pytest.approx(new)
    assert len(state.net.production) == len(old.production)


def test_invalid_new_data_keeps_the_last_and_says_why_once(served, capsys):
    """A settled table that does not validate: the last network stays, the problem
    (file, row, column, value) is printed once and kept in ``problem``, and it is not
    read again until the file changes; fixed, the new table is served."""
    state, csv, edited, new, value_of = served
    old = state.net
    lines = edited.split("\n")
    lines[2] = lines[2].replace(",t REO,", ",tonnes,", 1)
    csv.write_text("\n".join(lines), encoding="utf-8")
    for _ in range(4):
        assert not state.check() and state.net is old
    err = capsys.readouterr().err
    assert err.count("changed data not loaded, kept the last valid version") == 1
    assert f"{csv}:3: unit:" in err and "tonnes" in err
    assert state.problem is not None and f"{csv}:3: unit:" in state.problem
    csv.write_text(edited, encoding="utf-8")
    assert not state.check() and state.check()
    assert value_of(state.net) == pytest.approx(new) and state.problem is None
