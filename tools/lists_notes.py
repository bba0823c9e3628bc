"""Official lists, the EU 2023 study's scores, WGI governance and the research-notes
parameters (tools/curated/raw)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from build_common import SCOPES, USGS_WORLD, _publisher, _source_id
from build_usgs import (
    LIST_COMMODITIES,
    REE_ELEMENTS,
)

EU_MATERIALS = {  # EU 2023 study material -> covered commodities
    "LREE (incl. Nd, Pr)": ["ndpr", "ree_other", "la", "ce", "nd", "pr", "sm"],
    "HREE (incl. Dy, Tb)": ["dy", "tb", "eu", "gd", "ho", "er", "tm", "yb", "lu", "y"],
    "Lithium": ["lithium"], "Cobalt": ["cobalt"], "Nickel": ["nickel"],
    "Natural graphite": ["graphite"], "Manganese": ["manganese"], "Gallium": ["gallium"],
    "Germanium": ["germanium"], "Antimony": ["antimony"], "Tungsten": ["tungsten"],
    "Magnesium": ["magnesium"], "Indium": ["indium"], "Tellurium": ["tellurium"],
    "Bismuth": ["bismuth"], "Molybdenum": ["molybdenum"], "Vanadium": ["vanadium"],
    "Aluminium": ["aluminum", "alumina", "bauxite"], "Arsenic": ["arsenic"],
    "Baryte": ["barite"], "Beryllium": ["beryllium"], "Boron": ["boron"],
    "Chromium": ["chromium"], "Coking coal": ["met_coal"], "Copper": ["copper"],
    "Feldspar": ["feldspar"], "Fluorspar": ["fluorspar"], "Hafnium": ["hafnium"],
    "Helium": ["helium"], "Lead": ["lead"], "Niobium": ["niobium"],
    "Phosphate rock": ["phosphate"], "Phosphorus": ["phosphorus"], "Potash": ["potash"],
    "Rhenium": ["rhenium"], "Scandium": ["scandium"], "Silicon metal": ["silicon"],
    "Silver": ["silver"], "Strontium": ["strontium"], "Tantalum": ["tantalum"],
    "Tin": ["tin"], "Titanium": ["ilmenite", "rutile"], "Titanium metal": ["titanium"],
    "Zinc": ["zinc"], "Zirconium": ["zirconium"],
}


LIST_NAMES = {  # lower-case list wording -> covered commodities
    "rare earth elements": ["ndpr", "dy", "tb", "ree_other", "ree"],
    "rare earths": ["ndpr", "dy", "tb", "ree_other", "ree"],
    "light rare earth elements": ["ndpr", "ree_other", "ree"],
    "heavy rare earth elements": ["dy", "tb", "ree"], "neodymium": ["nd", "ndpr", "ree"],
    "praseodymium": ["pr", "ndpr", "ree"], "dysprosium": ["dy", "ree"], "terbium": ["tb", "ree"],
    "graphite": ["graphite"],
    "natural graphite": ["graphite"],
    "platinum group metals": ["platinum", "palladium", "iridium", "rhodium", "ruthenium"],
    "aluminum": ["aluminum", "alumina", "bauxite"], "aluminium": ["aluminum", "alumina",
                                                                  "bauxite"],
    "baryte": ["barite"], "boron/borate": ["boron"], "phosphate rock": ["phosphate"],
    "silicon metal": ["silicon"], "titanium": ["ilmenite", "rutile", "titanium"],
    "titanium metal": ["titanium"], "coking coal": ["met_coal"],
    "metallurgical coal": ["met_coal"],
    "platinum": ["platinum"], "palladium": ["palladium"], "magnesium": ["magnesium"],
    "nickel": ["nickel"], "nickel – battery grade": ["nickel"],
    "nickel - battery grade": ["nickel"],
    **{name.lower(): [el, "ree_other", "ree"] for el, (name, _) in REE_ELEMENTS.items()
       if el not in ("nd", "pr")},
}


LIST_TABLES = {"EU_2023": "Regulation (EU) 2024/1252, Annex II, Section 1 (critical raw materials)",
               "USGS_2025": "Final 2025 List of Critical Minerals (Federal Register 2025-19813)",
               "USGS_2022": "2022 Final List of Critical Minerals (87 FR 10381)"}


def criticality_inputs(raw_dir: Path):
    """WGI governance estimates, EU 2023 SR/EI, official lists (transcribed in raw/)."""
    ids: dict[str, str] = {}
    srcs, gov, eu, lists = [], [], [], []
    w = pd.read_csv(raw_dir / "wgi.csv", dtype=str, keep_default_na=False)
    w = w[w["indicator"].isin(["VA", "PV", "GE", "RQ", "RL", "CC"])]
    for r in w.to_dict("records"):
        sid = _source_id(r["url"], "world bank wgi", ids)
        gov.append(dict(country=r["country"], year=int(r["year"]), indicator=r["indicator"],
                        value=float(r["value"]), source_id=sid))
        srcs.append(dict(source_id=sid, publisher="World Bank", title="Worldwide Governance "
                         "Indicators, 2024 update (estimates)", table=r["title"][:200],
                         year=2024, url=r["url"], licence="CC BY 4.0",
                         note="raw copy of the World Bank download in a public repository"))
    e = pd.read_csv(raw_dir / "eu_crm.csv", dtype=str, keep_default_na=False)
    for r in e.to_dict("records"):
        sid = _source_id(r["url"], "eu crm 2023", ids)
        for material, commodities in EU_MATERIALS.items():
            if r["material"] == material or (material == "PGMs" and r["material"].startswith(
                    "PGMs")):
                for c in commodities:
                    eu.append(dict(study="EU_2023", commodity=c, material=r["material"],
                                   supply_risk=float(r["sr"]),
                                   economic_importance=float(r["ei"]), source_id=sid,
                                   note="unofficial transcription; check against the PDF"))
        if r["material"].startswith("PGMs"):
            for c in ("platinum", "palladium", "iridium", "rhodium", "ruthenium"):
                eu.append(dict(study="EU_2023", commodity=c, material="PGMs",
                               supply_risk=float(r["sr"]), economic_importance=float(r["ei"]),
                               source_id=sid, note="PGM group value; unofficial transcription"))
        srcs.append(dict(source_id=sid, publisher="European Commission",
                         title="Study on the Critical Raw Materials for the EU 2023 - Final "
                               "Report", table="supply risk (SR) and economic importance (EI)",
                         year=2023, url=r["url"], licence="",
                         note="values transcribed in a public repository; verify with the PDF"))
    c = pd.read_csv(raw_dir / "critical_lists.csv", dtype=str, keep_default_na=False)
    for r in c.to_dict("records"):
        name = r["material"].strip().lower()
        commodities = LIST_NAMES.get(name) or (
            [name] if name in USGS_WORLD or name in LIST_COMMODITIES else [])
        sid = _source_id(r["url"], f"{r['list']} critical list", ids)
        for cm in commodities:
            lists.append(dict(list=r["list"], commodity=cm, listed_as=r["material"],
                              source_id=sid))
        srcs.append(dict(source_id=sid, publisher={"EU_2023": "European Commission"}.get(
            r["list"], "U.S. Geological Survey"), title=f"{r['list']} critical minerals list",
            table=LIST_TABLES.get(r["list"], ""), year=int(r["list"][-4:]), url=r["url"],
            licence="", note=r["note"][:800]))
    lists_df = pd.DataFrame(lists).drop_duplicates(["list", "commodity"])
    return (pd.DataFrame(gov), pd.DataFrame(eu).drop_duplicates(["study", "commodity"]),
            lists_df, pd.DataFrame(srcs).drop_duplicates("source_id"))


def _num(text: str) -> tuple[float | None, float | None, float | None]:
    """Central value, low and high of a parameter cell such as '55-57' or '60 (42+18)'."""
    t = text.split("(")[0].strip().replace(",", "")
    m = re.fullmatch(r"([<>]?)(-?\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?", t)
    if not m:
        return None, None, None
    low = float(m.group(2))
    high = float(m.group(3)) if m.group(3) else None
    if high is not None:
        return (low + high) / 2, low, high
    return low, None, None


def parameters_from_notes(raw_dir: Path):
    """Parameters from the project's research notes (../shared/data/parameters.csv)."""
    ids: dict[str, str] = {}
    rows, srcs = [], []
    df = pd.read_csv(raw_dir / "parameters_notes.csv", dtype=str, keep_default_na=False)
    for r in df.to_dict("records"):
        value, low, high = _num(r["value"])
        if value is None:
            continue
        fact = r["status"] in ("V", "S", "V/S", "V-low")
        url = r["source"] if r["source"] not in ("same", "") else rows[-1]["_url"]
        sid = _source_id(url, r["parameter"], ids)
        note = f"published as '{r['value']}'" if r["value"] != str(value) else ""
        if r["status"] in ("S", "V/S", "V-low"):
            note = (note + "; secondary or low-confidence source").strip("; ")
        scope = SCOPES.get(r["commodity"], r["commodity"])
        rows.append(dict(scope=scope, parameter=r["parameter"], value=value, low=low,
                         high=high, unit=r["unit"] or "-", status="fact" if fact else "estimate",
                         method="" if fact else f"research-notes status '{r['status']}': "
                         "derived or prior, see ../shared/data/policy-notes.md",
                         source_id=sid, note=note, _url=url))
        srcs.append(dict(source_id=sid, publisher=_publisher(url),
                         title=f"cited for {r['commodity']} {r['parameter']}",
                         table="", year=2025, url=url, licence="",
                         note="cited in critmin research notes (parameters.csv)"))
    out = pd.DataFrame(rows).drop(columns="_url").drop_duplicates(["scope", "parameter"])
    return out, pd.DataFrame(srcs).drop_duplicates("source_id")

