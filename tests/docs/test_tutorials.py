"""The tutorials in docs/tutorials (jupytext Markdown notebooks) run from top to bottom."""

from __future__ import annotations

import time
from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

TUTORIALS = sorted((Path(__file__).resolve().parents[2] / "docs" / "tutorials").glob("*.md"))


def test_there_are_three_tutorials():
    assert [p.stem for p in TUTORIALS] == ["control-fan", "japan-exposure", "portfolio"]


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_runs(path, tmp_path):
    nb = jupytext.read(path)
    assert sum(c.cell_type == "code" for c in nb.cells) >= 4
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == []
    print(f"{path.stem}: {time.perf_counter() - start:.1f} s")
