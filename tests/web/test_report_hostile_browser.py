"""The brief with hostile data, opened in Chromium: a scenario named with ``<script>`` and
a source whose title and publisher carry script and ``onerror`` payloads render as text.
No dialog opens, no element or handler comes from the data, the payloads are visible as
typed, and the page passes the checks every page must pass (the report's escaping removed
fails here: the browser runs the payload)."""

from __future__ import annotations

import pytest

from tests.test_report_hostile import IMG, SCRIPT
from tests.web.conftest import audit


@pytest.fixture(scope="module")
def hostile(hostile_html):
    return hostile_html


def test_hostile_brief_runs_nothing_and_shows_the_payloads_as_text(hostile, page):
    page.goto(hostile.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(1500)
    assert page.dialogs == [], f"the data ran: {page.dialogs}"
    injected = page.evaluate("""() => ({
        scripts: [...document.scripts].filter(s => s.text.includes('alert')).length,
        handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes]
            .some(a => a.name.startsWith('on'))).map(e => e.outerHTML.slice(0, 80)),
        imgs: document.querySelectorAll('img[src="x"]').length})""")
    assert injected == {"scripts": 0, "handlers": [], "imgs": 0}, injected
    text = page.evaluate("document.body.innerText")
    assert SCRIPT in text and IMG in text  # shown exactly as typed
    title = page.title()
    assert SCRIPT in title  # the <title> is text too
    audit(page, "report-hostile")
