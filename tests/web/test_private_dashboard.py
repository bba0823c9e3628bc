"""The dashboard under `critmin serve --private`: with a token pasted once, every request
carries it (the scenario list, the run, and the job polling that used to show "401: paste
a token" while the job ran)."""

from __future__ import annotations

import pytest

from critmin.api.auth import create_token
from tests.api.test_processes import start_server


@pytest.fixture(scope="module")
def private_server(tmp_path_factory):
    db = tmp_path_factory.mktemp("private-web") / "r.db"
    token = create_token(db, "web")
    proc, url = start_server(db, "--private", "--workers", "1")
    yield {"url": url, "token": token}
    proc.terminate()
    proc.wait(timeout=30)


def test_a_run_is_followed_to_done_with_the_token(private_server, page):
    url = private_server["url"]
    page.goto(url + "/scenario")
    page.evaluate(f"localStorage.setItem('critmin_token', '{private_server['token']}')")
    page.goto(url + "/scenario")
    page.wait_for_selector("#sid option", state="attached", timeout=90_000)
    page.select_option("#sid", "CN_2024_antimony_licensing")
    page.fill("#n", "256")
    page.click("#run")
    page.wait_for_function(
        "() => ['done', 'cancelled'].includes(document.getElementById('status').textContent)"
        " || document.getElementById('status').className === 'err'", timeout=240_000)
    assert page.inner_text("#status") == "done", page.inner_text("#status")
