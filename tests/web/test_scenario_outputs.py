"""The scenario page's outputs of a real model v2 run in headless Chromium at 1366x768:
China's monthly exports by destination, readable names, glossary links, whole titles.

One small run (the server's own job) for the module; each test draws its result with the
page's own code (show), as the page does when the job ends."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.web.conftest import audit

SCENARIO = "CN_2024_antimony_licensing"


@pytest.fixture(scope="module")
def result(server) -> dict:
    """The job result of a 128-sample run of the antimony preset (model v2, the default)."""
    auth = {"Authorization": f"Bearer {server['token']}"}
    url = server["url"]
    job = httpx.post(f"{url}/api/jobs/simulate", headers=auth, timeout=60,
                     json={"scenario_id": SCENARIO, "samples": 128, "seed": 3}).json()
    for _ in range(1200):  # the server's job process may compile the v2 kernel first
        job = httpx.get(f"{url}/api/jobs/{job['id']}", headers=auth, timeout=60).json()
        if job["status"] not in ("queued", "running"):
            break
        time.sleep(0.5)
    assert job["status"] == "done", job
    return httpx.get(f"{url}/api/jobs/{job['id']}/result", headers=auth, timeout=60).json()


def shown(server, page, result):
    """The scenario page with the run's result drawn by its own code."""
    page.goto(server["url"] + f"/scenario?scenario={SCENARIO}")
    page.wait_for_selector('[data-path="controls.0.exporter"]', state="attached",
                           timeout=90_000)
    page.evaluate("(rep) => show(rep)", result)
    page.wait_for_selector("#fans .main-svg", timeout=60_000)
    return page


def test_exports_by_destination_fan_is_monthly_per_region(server, page, result):
    assert result["model"] == "v2"
    shown(server, page, result)
    page.wait_for_selector("#fanx .main-svg", timeout=60_000)
    assert page.is_visible("#fanx")
    data = page.evaluate("document.getElementById('fanx').data.map(t => [t.name, t.x, t.y])")
    lines = [d for d in data if d[0].endswith("(P50)")]
    names = [d[0] for d in lines]
    # every destination China exported to before, in the page's order; none to itself
    assert names == ["United States (P50)", "Japan (P50)", "EU (P50)",
                     "South Korea (P50)", "Rest of world (P50)"]
    bands = [d for d in data if d[0].endswith("P5–P95")]
    assert len(bands) == 5
    ex = result["exports_by_destination"]["antimony"]
    months = result["exports_dates"]
    assert months[:3] == ["2024-07-01", "2024-08-01", "2024-09-01"]
    assert lines[0][1] == months  # dated by month from the scenario's start
    assert lines[0][2] == pytest.approx([100 * v for v in ex["USA"]["p50"]])
    layout = page.evaluate("document.getElementById('fanx').layout")
    assert layout["xaxis"]["title"]["text"] == "month starting"
    title = page.text_content("#fanx .gtitle")
    assert "exports by destination" in title and "Antimony" in title
    audit(page, "scenario_exports")
