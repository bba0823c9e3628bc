"""USGS Mineral Commodity Summaries 2025 chapters: world tables, prices, U.S. trade and
reliance as transcribed in tools/curated/raw (each row names its chapter)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from build_common import (
    CURATED,
    PRICE_TO,
    RESERVE_BASIS,
    UNIT_TO_T,
    USGS_WORLD,
    _source_id,
    number,
    unit_of,
)
from build_usgs import (
    FORM_BY_COUNTRY,
    parse_cell,
)
from countries import iso3

MCS2025_CHAPTER_URL = "https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-{}.pdf"


MCS2025_COPY = ("https://github.com/Vanakka/metals-encyclopedia/blob/"
                "ad87eb5e164ba6cd808f7d3a81be43ea5cf21184/src/data/usgs/text/mcs2025-{}.txt")


def mcs2025_world(path: Path):
    """World production (2023, 2024) and reserves (2024) of USGS MCS 2025 chapters, from
    the transcription ``raw/usgs_mcs2025_world.csv`` (made by tools/extract_mcs2025.py)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    prod, res, srcs = [], [], []
    for r in df.to_dict("records"):
        sid = f"usgs_mcs2025_{r['chapter'].replace('-', '_')}"
        country, est_mark = iso3(r["label"])
        v, qual = parse_cell(r["cell"])
        if est_mark and "e" not in qual:
            qual += "e"
        if v is None:
            continue  # W / NA / Small: the MCS 2024 release rows and gaps cover these
        est = "e" in qual or (r["measure"] == "production" and r["year"] == "2024")
        note = f"MCS 2025 prints '{r['cell']}'" + (f"; {r['fix']}" if r["fix"] else "")
        if r["commodity"] in FORM_BY_COUNTRY and "," in r["label"] and \
                r["measure"] == "production":
            note = f"form: {r['label'].split(',', 1)[1].strip()}; {note}"
        row = dict(commodity=r["commodity"], country=country, year=int(r["year"]),
                   value=round(v * float(r["factor"]), 6), unit=unit_of(r["commodity"]),
                   qualifier=qual, estimated=est or ">" in qual,
                   method=("published as a lower bound ('>')" if ">" in qual else
                           "USGS estimate" if est else ""), source_id=sid, note=note)
        if r["measure"] == "production":
            prod.append(dict(stage=r["stage"], **row))
        else:
            if r["commodity"] == "platinum":
                row["note"] = ("all platinum-group metals (Pt, Pd, Rh, Ru, Ir, Os), not "
                               "platinum alone; ") + note
            if r["commodity"] in RESERVE_BASIS:
                row["note"] = f"{RESERVE_BASIS[r['commodity']]}; {row['note']}"
            res.append(row)
        srcs.append(mcs2025_chapter_source(r["chapter"]))
    return prod, res, pd.DataFrame(srcs).drop_duplicates("source_id")


def mcs2025_chapter_source(chapter: str, table: str = "World Mine/Refinery Production and "
                           "Reserves") -> dict:
    """The sources row of one USGS MCS 2025 chapter (read from the pdftotext copy)."""
    return dict(source_id=f"usgs_mcs2025_{chapter.replace('-', '_')}",
                publisher="U.S. Geological Survey",
                title=f"Mineral Commodity Summaries 2025 - {chapter}", table=table, year=2025,
                url=MCS2025_CHAPTER_URL.format(chapter), licence="public domain",
                note="table read from the pdftotext copy " + MCS2025_COPY.format(chapter)
                     + "; every production table checked against its printed world total")


def mcs2025_side_sources(raw: Path) -> pd.DataFrame:
    """Sources rows for chapters read only for prices or U.S. trade (no world table)."""
    chapters = set()
    for name in ("usgs_mcs2025_prices.csv", "usgs_mcs2025_trade.csv"):
        chapters |= set(pd.read_csv(raw / name, dtype=str, keep_default_na=False)["chapter"])
    return pd.DataFrame([mcs2025_chapter_source(c, "Salient Statistics; Import Sources")
                         for c in sorted(chapters)])


def mcs2025_quoted(path: Path):
    """2024 MCS 2025 values for chapters whose text critmin could not read, as quoted
    cell by cell in automated verification notes of a public repository (secondary)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    prod, res, srcs = [], [], []
    for r in df.to_dict("records"):
        element = r["url"].rsplit("/", 1)[-1].removesuffix(".md")
        sid = f"periodic_atlas_verification_{element.lower()}"
        row = dict(commodity=r["commodity"], country=r["country"], year=int(r["year"]),
                   value=float(r["value"]) * float(r["factor"]), unit=unit_of(r["commodity"]),
                   qualifier="e", estimated=True, method="USGS estimate (2024e column)",
                   source_id=sid, note=r["note"] + "; quoted, not read from the PDF")
        if r["measure"] == "production":
            prod.append(dict(stage=r["stage"], **row))
        else:
            res.append(dict(row, qualifier="", estimated=False, method=""))
        srcs.append(dict(source_id=sid, publisher="nwyin/periodic-atlas (automated "
                         "verification note quoting USGS MCS 2025)",
                         title=f"Verification: {element} (USGS Mineral Commodity Summaries "
                               "2025 values quoted cell by cell)", table=r["note"][:60],
                         year=2026, url=r["url"], licence="",
                         note="secondary: the verifier quotes the USGS MCS 2025 PDF; "
                              "critmin could not read the chapter itself"))
    return prod, res, pd.DataFrame(srcs).drop_duplicates("source_id")


def mcs2025_prices(path: Path) -> list[dict]:
    """2023-2024 prices of listed commodities from MCS 2025 salient statistics
    (raw/usgs_mcs2025_prices.csv, transcribed from the same chapter copies)."""
    out = []
    for r in pd.read_csv(path, dtype=str, keep_default_na=False).to_dict("records"):
        v, qual = parse_cell(r["value"])
        factor = float(r["factor"])
        est = "e" in qual
        out.append(dict(commodity=r["commodity"], year=int(r["year"]),
                        value=round(v * factor, 4), unit=r["out_unit"],
                        basis=r["basis"] + (f" ({r['unit']} x {factor:g})" if factor != 1
                                            else ""),
                        estimated=est, method="USGS estimate" if est else "",
                        source_id=f"usgs_mcs2025_{r['chapter'].replace('-', '_')}",
                        note=f"MCS 2025 salient statistics, printed '{r['value']}' {r['unit']}"))
    return out


def primary_prices(quoted: list[dict]) -> list[dict]:
    """MCS 2025 prices read from the chapter text replace quoted copies of the same
    (commodity, year) (one value per fact, the primary reading)."""
    read = mcs2025_prices(CURATED / "raw" / "usgs_mcs2025_prices.csv")
    covered = {(r["commodity"], r["year"]) for r in read}
    return [r for r in quoted if (r["commodity"], r["year"]) not in covered] + read


def mcs2025_trade(path: Path) -> tuple[list[dict], list[dict]]:
    """U.S. net import reliance and apparent consumption 2023-2024 and import sources
    2020-23 of listed commodities from MCS 2025 chapters (raw/usgs_mcs2025_trade.csv)."""
    rel, shares = [], []
    for r in pd.read_csv(path, dtype=str, keep_default_na=False).to_dict("records"):
        sid = f"usgs_mcs2025_{r['chapter'].replace('-', '_')}"
        v, qual = (0.0, "E") if r["value"] == "E" else parse_cell(r["value"])
        est = "e" in qual
        bound = qual.replace("e", "")
        base = dict(commodity=r["commodity"], estimated=est or (bound in "<>" and bool(bound)),
                    source_id=sid, note=r["note"])
        base["method"] = ("USGS estimate" if est else
                          f"published as a bound ('{bound}')" if bound in ("<", ">") else "")
        if r["measure"] == "us_net_import_reliance":
            rel.append(dict(importer="USA", year=int(r["year"]), measure="net_import_reliance",
                            value=v / 100, qualifier=bound, unit="share", **base))
        elif r["measure"] == "us_apparent_consumption":
            rel.append(dict(importer="USA", year=int(r["year"]), measure="apparent_consumption",
                            value=round(v * UNIT_TO_T[r["unit"]], 6), qualifier="",
                            unit=unit_of(r["commodity"]), **base))
        else:
            shares.append(dict(importer="USA", period=r["year"], exporter=r["country"],
                               share=v / 100, basis="quantity", **base))
    return rel, shares


def ree_mcs2025():
    """Rare-earth mine production 2023-2024 and reserves, USGS MCS 2025 (footnotes removed)."""
    mine = {  # country: (2023, 2024, reserves) in t REO, cells checked against the world total
        "USA": (41600, 45000, 1_900_000), "AUS": (16000, 13000, 5_700_000),
        "BRA": (140, 20, 21_000_000), "MMR": (43000, 31000, None),
        "CAN": (0, 0, 830_000), "CHN": (255000, 270000, 44_000_000),
        "GRL": (0, 0, 1_500_000), "IND": (2900, 2900, 6_900_000), "MDG": (2100, 2000, None),
        "MYS": (310, 130, None), "NGA": (7200, 13000, None), "RUS": (2500, 2500, 3_800_000),
        "ZAF": (0, 0, 860_000), "TZA": (0, 0, 890_000), "THA": (3600, 13000, 4_500),
        "VNM": (300, 300, 3_500_000), "OTHER": (1440, 1100, None),
        "WORLD": (376000, 390000, 90_000_000),
    }
    est_2024 = {"AUS", "MMR", "MDG", "MYS", "NGA", "THA", "VNM"}
    notes = {"CHN": "production quota; excludes undocumented production",
             "WORLD": "rounded; reserves given as >90,000,000",
             "AUS": "reserves 5.7 Mt (JORC-compliant 3.3 Mt)"}
    prod, res = [], []
    for c, (y23, y24, r) in mine.items():
        for year, v in ((2023, y23), (2024, y24)):
            est = c in est_2024 or c == "WORLD" or year == 2024
            method = ("USGS estimate from Chinese import data (Zen Innovations, Global Trade "
                      "Tracker)" if c in est_2024 else "USGS estimate") if est else ""
            prod.append(dict(commodity="ree", stage="mine", country=c, year=year, value=v,
                             unit="t REO", estimated=est,
                             qualifier="e" if est else "", method=method,
                             source_id="usgs_mcs2025_ree", note=notes.get(c, "")))
        if r is not None:
            bound = ">" if c == "WORLD" else ""
            res.append(dict(commodity="ree", country=c, year=2024, value=r, unit="t REO",
                            qualifier=bound, estimated=bool(bound),
                            method="published as a lower bound ('>')" if bound else "",
                            source_id="usgs_mcs2025_ree", note=notes.get(c, "")))
    return prod, res


def ree_us_import_sources():
    """U.S. rare-earth compounds and metals import sources 2020-23, MCS 2025."""
    return [dict(importer="USA", commodity="ree", period="2020-2023", exporter=c, share=s,
                 basis="quantity", estimated=False, method="", source_id="usgs_mcs2025_ree",
                 note="China includes Hong Kong" if c == "CHN" else "")
            for c, s in (("CHN", 0.70), ("MYS", 0.13), ("JPN", 0.06), ("EST", 0.05),
                         ("OTHER", 0.06))]


def mcs2025_transcriptions(raw_dir: Path):
    """2023-2024 figures transcribed from MCS 2025 chapters (files raw/mcs2025_*.csv).

    Only rows of the stage critmin uses for the commodity are kept; a (commodity, stage,
    year) group is used only when it includes a WORLD row, so it never mixes editions.
    Returns production, reserves, import_reliance, prices, import_sources, sources.
    """
    ids: dict[str, str] = {}
    src_rows, prod, res, rel, prices, shares = [], [], [], [], [], []
    for path in sorted(raw_dir.glob("mcs2025_*.csv")):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        category = df["note"].str.split("|").str[0].str.split(";").str[0].str.strip()
        share_rows = df["measure"].eq("us_import_share")
        first = category[share_rows].groupby(df.loc[share_rows, "commodity"]).transform("first")
        df = df[~share_rows | category.eq(first.reindex(df.index))]
        for r in df.to_dict("records"):
            commodity = r["commodity"]
            if commodity not in USGS_WORLD:
                continue
            stage = USGS_WORLD[commodity][6]
            sid = _source_id(r["url"], r["title"], ids)
            est = r["estimated"].strip().lower() == "true"
            base = dict(estimated=est, method="USGS estimate" if est else "", source_id=sid,
                        note=r["note"][:300])
            text = r["value"].replace(",", "").strip()
            bound = text[:1] if text[:1] in "<>" else ("E" if text == "E" else "")
            value = number(text.lstrip("<>")) if text != "E" else 0.0
            if value is None:
                continue  # W (withheld) and other codes: not a number
            if bound in "<>" and bound and r["measure"] in ("production", "reserves"):
                base["note"] = f"published as '{r['value']}' (a bound); " + base["note"]
            unit_word = r["unit"].split(" ")[0]
            if r["measure"] in ("production", "reserves") and r["stage"] in (stage, ""):
                if r["measure"] == "reserves" and commodity == "gallium":
                    continue
                v = round(value * UNIT_TO_T.get(unit_word, 1.0), 6)
                row = dict(commodity=commodity, country=r["country"], year=int(r["year"]),
                           value=v, unit=USGS_WORLD[commodity][3], **base,
                           qualifier=bound + ("e" if est else ""))
                if bound == ">":
                    row.update(estimated=True, method="published as a lower bound ('>')")
                if commodity == "platinum" and r["measure"] == "reserves":
                    row["note"] = ("all platinum-group metals (Pt, Pd, Rh, Ru, Ir, Os), not "
                                   "platinum alone; " + row["note"])
                if r["measure"] == "production":
                    prod.append(dict(stage=stage, **row))
                else:
                    res.append(row)
            elif r["measure"] == "us_net_import_reliance":
                rel.append(dict(importer="USA", commodity=commodity, year=int(r["year"]),
                                measure="net_import_reliance", value=value / 100,
                                qualifier=bound or (">" if "lower bound" in r["note"].lower()
                                                    else ""),
                                unit="share", **base))
            elif r["measure"] == "us_apparent_consumption":
                rel.append(dict(importer="USA", commodity=commodity, year=int(r["year"]),
                                measure="apparent_consumption",
                                value=round(value * UNIT_TO_T.get(unit_word, 1.0), 6),
                                qualifier="", unit="t", **base))
            elif r["measure"] == "us_import_share":
                span = re.search(r"\((\d{4})[–-](\d{2})\)", r["table"])
                period = f"{span.group(1)}-20{span.group(2)}" if span else r["year"]
                shares.append(dict(importer="USA", commodity=commodity, period=period,
                                   exporter=r["country"], share=value / 100,
                                   basis="quantity", **base))
            elif r["measure"] == "price" and r["unit"] in PRICE_TO:
                factor, unit = PRICE_TO[r["unit"]]
                basis = (r["note"].split("|")[0].strip() or r["table"])[:120]
                prices.append(dict(commodity=commodity, year=int(r["year"]),
                                   value=round(value * factor, 4), unit=unit,
                                   basis=f"{basis} ({r['unit']} x {factor:g})"
                                   if factor != 1 else basis, **base))
            publisher, table = r["publisher"], r["table"]
            if "periodic-atlas" in r["url"]:
                publisher += " (MCS 2025 as quoted by nwyin/periodic-atlas)"
            pdf = re.search(r"\((https://pubs\.usgs\.gov/[^)\s]+\.pdf)\)", r["note"])
            src_rows.append(dict(source_id=sid, publisher=publisher, title=r["title"],
                                 table=table, year=int(r["source_year"] or 2025),
                                 url=pdf.group(1) if pdf else r["url"],
                                 licence="public domain (USGS)",
                                 note="values read from the pdftotext copy " + r["url"]
                                      + "; 194/194 checked against MCS 2025 by the audit"))
    prod_df = pd.DataFrame(prod)
    if len(prod_df):
        keys = ["commodity", "stage", "year"]
        has_world = prod_df.groupby(keys)["country"].transform(lambda c: c.eq("WORLD").any())
        prod_df = prod_df[has_world]
    sources_df = pd.DataFrame(src_rows).drop_duplicates("source_id")
    rel = pd.DataFrame(rel).drop_duplicates(["commodity", "year", "measure"]).to_dict("records")
    return prod_df, pd.DataFrame(res), rel, prices, shares, sources_df

