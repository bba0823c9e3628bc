"""docs/reference/model-api.md runs as written: its Python blocks, in order, in one
namespace (small sample counts), print what the page says they return."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "model-api.md"


def test_model_api_page_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)
    assert len(blocks) >= 6
    ns: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for b in blocks:
            exec(compile(b, str(PAGE), "exec"), ns)  # our own docs page
    text = out.getvalue()
    assert ns["report"]["model"] == "v2" and ns["report"]["samples"] == 64
    assert ns["seen"][-1][0] == ns["seen"][-1][1] > 0          # the callback saw the end
    assert {"sample", "month", "commodity"} <= set(ns["ds"].sizes)
    assert ns["ds"].sizes["month"] == 12 and ns["ds8"].sizes["sample"] == 8
    assert "antimony" in ns["report"]._repr_html_()
    assert "v2 64" in text
