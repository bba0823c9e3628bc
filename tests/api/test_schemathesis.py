"""Schemathesis with all its checks against /openapi.json of a real server (bounded).

Its own server (one job worker, quota 2) so generated jobs cannot crowd other tests; the
server and its workers end with the test. Configuration (schemathesis.toml beside this
file): semantic 422s are expected answers to schema-valid data (codes unknown to the loaded
data, dates outside 1990-2100 cannot be told by a JSON schema), and the response-time
limit is 120 s because this shared test machine runs many suites at once. The stateful
phase follows the schema's OpenAPI links (and those schemathesis infers): create a job or
scenario, then read, cancel, resume it, read its run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from critmin.api.auth import create_token

from .test_processes import start_server

HERE = Path(__file__).parent
ST = Path(sys.executable).with_name("st")
EXAMPLES = os.environ.get("CRITMIN_SCHEMATHESIS_EXAMPLES", "2")


@pytest.mark.parametrize("mode", [[], ["--private"]], ids=["default", "private"])
def test_schemathesis_all_checks_pass(tmp_path, mode):
    db = tmp_path / "st.db"
    token = create_token(db, "schemathesis")
    proc, url = start_server(db, "--workers", "1", "--quota", "2", "--queue", "2", *mode)
    try:
        r = subprocess.run(
            [str(ST), "--config-file", str(HERE / "schemathesis.toml"), "run",
             f"{url}/openapi.json", "--checks", "all", "--max-examples", EXAMPLES,
             "--header", f"Authorization: Bearer {token}", "--generation-deterministic",
             "--phases", "examples,coverage,fuzzing,stateful", "--request-timeout", "120"],
            capture_output=True, text=True, timeout=1800, cwd=tmp_path)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    summary = r.stdout[-3000:]
    assert r.returncode == 0, summary
    assert clean_run(r.stdout) == "", summary


def clean_run(out: str) -> str:
    """'' when schemathesis tested every operation of the schema and ended on its clean
    banner ('No issues found in 12.3s'); else what was wrong. Warnings ('2 warnings in
    ...', e.g. operations that accepted few requests), 'No checks ran', 'Empty test
    suite' and a partial selection all count as wrong, exit code 0 or not."""
    ops = re.search(r"Operations:\s+(\d+) selected / (\d+) total", out)
    if not ops or int(ops[1]) == 0 or ops[1] != ops[2]:
        return f"not every operation tested: {ops[0] if ops else 'no Operations line'}"
    banners = re.findall(r"^=+ (.+?) =+$", out, flags=re.M)
    if not banners or not re.fullmatch(r"No issues found in [\d.]+s", banners[-1]):
        return f"final line: {banners[-1] if banners else 'missing'}"
    return ""


OK = """Operations:          31 selected / 31 total
...
===================== No issues found in 93.21s =====================
"""


@pytest.mark.parametrize("out,wrong", [
    (OK, ""),
    (OK.replace("No issues found", "2 warnings"), "final line: 2 warnings in 93.21s"),
    (OK.replace("No issues found in 93.21s", "No checks ran in 1.00s"), "final line"),
    (OK.replace("No issues found in 93.21s", "Empty test suite"), "final line"),
    (OK.replace("31 selected", "12 selected"), "not every operation tested"),
    (OK.replace("31 selected / 31", "0 selected / 0"), "not every operation tested"),
    ("✅ 40 passed\n" + OK.split("\n", 1)[1],
     "not every operation tested: no Operations line")])
def test_a_run_counts_as_clean_only_on_the_clean_banner_over_every_operation(out, wrong):
    got = clean_run(out)
    assert got.startswith(wrong) and (got == "") == (wrong == "")
