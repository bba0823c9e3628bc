"""Issue 9 §5: the dashboard's scenario page shows which sampled inputs drive a preset's
answers (Sobol total-order indices, computed once per data version on the server)."""

from __future__ import annotations

import httpx

from tests.web.conftest import audit


def test_drivers_endpoint_ranks_inputs_and_refuses_unknown_presets(server):
    url = server["url"]
    auth = {"Authorization": f"Bearer {server['token']}"}
    first = httpx.get(f"{url}/api/dashboard/drivers/CN_2024_Sb_licence?wait=0", timeout=60)
    assert first.status_code in (200, 401)  # 401: not computed, and no token to start it
    if first.status_code == 401:
        assert "token" in first.json()["detail"]
    body = httpx.get(f"{url}/api/dashboard/drivers/CN_2024_Sb_licence?wait=20",
                     timeout=60, headers=auth).json()
    for _ in range(10):
        if not body["computing"]:
            break
        body = httpx.get(f"{url}/api/dashboard/drivers/CN_2024_Sb_licence?wait=20",
                         timeout=60).json()  # under way: no token needed to follow it
    rows = body["drivers"]
    assert body["model"] == "v2"  # the runs' model (critmin.market.registry.DEFAULT_MODEL)
    assert rows and {r["commodity"] for r in rows} == {"antimony"}
    st = [r["ST"] for r in rows]
    assert st == sorted(st, reverse=True) and all(0.01 <= v <= 1 for v in st)
    assert httpx.get(f"{url}/api/dashboard/drivers/NOPE", timeout=30).status_code == 404


def test_scenario_page_shows_top_drivers_on_request(server, page):
    page.goto(server["url"] + "/scenario?scenario=CN_2024_Sb_licence")
    page.evaluate(f"localStorage.setItem('critmin_token', '{server['token']}')")
    page.goto(server["url"] + "/scenario?scenario=CN_2024_Sb_licence")
    page.wait_for_selector("#sid option", state="attached")
    page.click("#driversbox summary")
    page.click("#explain")
    page.wait_for_selector("#drivers table", timeout=180_000)
    text = page.text_content("#drivers")
    assert "Total-order index" in text and "Antimony" in text  # the name, not the id
    assert "model v2" in page.text_content("#driverstatus")
    audit(page, "scenario_drivers")
