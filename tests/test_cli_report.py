"""End-to-end: `critmin report` writes one self-contained HTML file."""

from __future__ import annotations

import re

from tests.test_cli import run


def test_report_is_self_contained_with_figures_and_sources(tmp_path):
    out_file = tmp_path / "report.html"
    out = run("report", "-o", str(out_file), "--samples", "1024", "--db",
              str(tmp_path / "r.duckdb"))
    assert out.returncode == 0, out.stderr
    html = out_file.read_text()
    assert html.count('class="plotly-graph-div"') == 5
    assert not re.search(r'<script[^>]+src="https?://', html)  # plotly.js is inline
    assert "usgs_mcs2025_ree" in html and "Assumptions" in html
    assert not (tmp_path / "report.html.tmp").exists()
