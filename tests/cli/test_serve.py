"""`critmin serve` says where it is: its URL, and on localhost the dashboard's URL with a
fresh session token after `#` (Jupyter's habit, kept out of server logs); Ctrl-C stops
it with one line, no traceback."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import httpx

from critmin.api.auth import list_tokens, token_name
from critmin.cli.service import SESSION_TOKEN, _banner
from tests.api.test_processes import _up, wait_for
from tests.conftest import free_port


def test_serve_prints_its_url_with_a_session_token_and_stops_on_ctrl_c(tmp_path):
    db, port = tmp_path / "r.db", free_port()
    proc = subprocess.Popen([sys.executable, "-m", "critmin.cli", "serve", "--port",
                             str(port), "--db", str(db)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        first, second = proc.stdout.readline(), proc.stdout.readline()
        url = f"http://127.0.0.1:{port}/"
        assert first.startswith(f"critmin serving {url} ") and "Ctrl-C stops" in first
        token = re.fullmatch(rf"dashboard, signed in for this session: {re.escape(url)}"
                             r"#token=(cm_[\w-]+)\n", second).group(1)
        assert token_name(db, token) == SESSION_TOKEN
        wait_for(lambda: _up(url.rstrip("/")), 180, 0.25)
        body = {"id": "t", "name": "t", "start": "2025-10-01"}
        assert httpx.post(f"{url}api/scenarios", json=body, timeout=60).status_code == 401
        r = httpx.post(f"{url}api/scenarios", json=body, timeout=60,
                       headers={"Authorization": f"Bearer {token}"})
        assert r.status_code in (200, 201), r.text
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.strip().splitlines()[-1] == "critmin serve: stopped"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err


def test_each_start_replaces_the_session_token_and_no_token_off_loopback(tmp_path):
    db = tmp_path / "r.db"
    first = _banner("127.0.0.1", 8000, db, True)
    second = _banner("localhost", 8000, db, True)
    t1, t2 = (re.search(r"#token=(\S+)", b).group(1) for b in (first, second))
    assert token_name(db, t2) == SESSION_TOKEN and token_name(db, t1) is None
    assert [t["name"] for t in list_tokens(db)] == [SESSION_TOKEN]
    assert "#token=" not in _banner("0.0.0.0", 8000, db, True)
    assert "#token=" not in _banner("127.0.0.1", 8000, db, False)
    assert _banner("::1", 8000, db, False).startswith("critmin serving http://[::1]:8000/")
