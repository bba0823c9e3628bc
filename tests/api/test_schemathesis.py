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
    assert "No issues found" in r.stdout or " passed" in r.stdout, summary
