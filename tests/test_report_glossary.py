"""The brief explains what it shows (the suite's shared `critmin report` run): a Glossary
section with every entry, every metric heading linked to an entry that exists, price
rationing named for the commodities whose price rises without a shortfall, Sobol indices
shown as 0-1 shares and tied ranks marked."""

from __future__ import annotations

import re

import critmin
from critmin.report import explain as X
from critmin.report.brief import names_of


def test_glossary_section_has_every_entry_and_every_link_resolves(brief):
    doc = brief["html"]
    assert "<h2 class=appendix id=glossary>Appendix E. Glossary</h2>" in doc
    ids = set(re.findall(r"\bid=([\w-]+)", doc))
    for t in X.GLOSSARY:
        assert X.anchor(t.key) in ids, t.key
    links = re.findall(r'<a class=g href="#([\w-]+)">', doc)
    assert not [h for h in links if h not in ids]
    # the headline measures link to their entries
    for key in ("shortfall", "price-ratio", "unmet-demand", "physical-shortfall", "rank",
                "eu-supply-risk"):
        assert X.anchor(key) in links, key


def test_price_rises_without_shortfall_are_explained_beside_the_numbers(brief):
    """The sentence names exactly the commodities the run's numbers show (Dy and Tb in the
    shared run), and is absent when none."""
    from critmin.simulate.report import simulation_report
    from critmin.store import ResultsStore

    doc = brief["html"]
    rid = re.search(r"<td>simulation run</td><td>(\w+)</td>", doc).group(1)
    sim = simulation_report(ResultsStore(brief["dir"] / "r.duckdb"), rid)
    want = X.price_rationed([r for r in sim["results"] if r["region"] in ("USA", "JPN")])
    text = re.sub(r"<[^>]+>", "", doc)
    m = re.search(r"Price without shortfall \(([^)]*)\)", text)
    if not want:
        assert m is None
        return
    names = {v: k for k, v in names_of(critmin.load()).items()}
    assert m and {names.get(n, n) for n in m.group(1).split(", ")} == set(want)
    assert "price rationing" in text[m.start():m.start() + 400]


def test_sobol_indices_are_shown_as_shares(brief):
    doc = brief["html"]
    sec = doc[doc.index("<h2 id=drivers>"):doc.index("<h2 id=caveats>")]
    shown = re.findall(r"<td class=n>(-?\d+\.\d\d)(?: ±| \(estimate)", sec)
    assert shown and all(0.0 <= float(v) <= 1.0 for v in shown), shown


def test_tied_ranks_are_marked_in_the_ranking(brief):
    doc = brief["html"]
    appendix = doc[doc.index("id=appendix-b"):doc.index("id=appendix-c")]
    assert re.search(r"<td class=n>\d+= \(\d+ tied\)</td>", appendix)
    assert "ranks marked = are tied" in appendix
