"""Transcribe the world production and reserves tables of USGS MCS 2025 chapters.

One-off helper that wrote ``tools/curated/raw/usgs_mcs2025_world.csv`` (the build reads only that
CSV). Input: the pdftotext extractions of the MCS 2025 chapter PDFs stored in the public
repository Vanakka/metals-encyclopedia (``src/data/usgs/text/mcs2025-<chapter>.txt``,
commit ad87eb5e), a secondary copy of https://pubs.usgs.gov/periodicals/mcs2025/.

    python tools/extract_mcs2025.py /path/to/metals-encyclopedia \
        > tools/curated/raw/usgs_mcs2025_world.csv

The PDF conversion splits superscripts onto their own lines and glues footnote numbers
onto values; FIXES below restore each such row by hand (cell, as printed, and why). Every
table was checked against its printed world total (see tests/data/test_audit_fixes.py).
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys

NUM = r"(?:[<>]?e?\d[\d,]*(?:\.\d+)?|—|W|NA|XX|Small|e|\(\d+\))"

# chapter -> (commodity per column pair, stage, unit factor to t, has reserves column)
CHAPTERS = {
    "lithium": (["lithium"], "mine", 1.0, True),
    "cobalt": (["cobalt"], "mine", 1.0, True),
    "nickel": (["nickel"], "mine", 1.0, True),
    "graphite": (["graphite"], "mine", 1.0, True),
    "manganese": (["manganese"], "mine", 1000.0, True),
    "gallium": (["gallium"], "refining", 0.001, False),
    "antimony": (["antimony"], "mine", 1.0, True),
    "tungsten": (["tungsten"], "mine", 1.0, True),
    "molybdenum": (["molybdenum"], "mine", 1.0, True),
    "vanadium": (["vanadium"], "mine", 1.0, True),
    "tellurium": (["tellurium"], "refining", 1.0, True),
    "bismuth": (["bismuth"], "refining", 1.0, False),
    "indium": (["indium"], "refining", 1.0, False),
    "magnesium-metal": (["magnesium"], "metal", 1000.0, False),
    "platinum-group": (["palladium", "platinum"], "mine", 0.001, True),
}
RESERVE_FACTOR = {"manganese": 1000.0, "molybdenum": 1000.0, "vanadium": 1000.0,
                  "platinum-group": 0.001, "chromium": 1000.0, "copper": 1000.0,
                  "lead": 1000.0, "potash": 1000.0, "zinc": 1000.0}

# chapters added for list coverage: chapter -> ([(commodity, stage, first column)], unit
# factor to t, index of the reserves column or None)
LIST_CHAPTERS = {
    "aluminum": ([("aluminum", "metal", 0)], 1000.0, None),
    "arsenic": ([("arsenic", "refining", 0)], 1.0, None),
    "chromium": ([("chromium", "mine", 0)], 1000.0, 2),
    "copper": ([("copper", "mine", 0), ("copper", "refining", 2)], 1000.0, 4),
    "lead": ([("lead", "mine", 0)], 1000.0, 2),
    "niobium": ([("niobium", "mine", 0)], 1.0, 2),
    "potash": ([("potash", "mine", 0)], 1000.0, 3),
    "silicon": ([("silicon", "metal", 2)], 1000.0, None),
    "silver": ([("silver", "mine", 0)], 1.0, 2),
    "tantalum": ([("tantalum", "mine", 0)], 1.0, 2),
    "tin": ([("tin", "mine", 0)], 1.0, 2),
    "zinc": ([("zinc", "mine", 0)], 1000.0, 2),
}

FIXES = {  # (chapter, label) -> cells as printed without footnote marks; why
    ("lithium", "Australia"): (["91,700", "88,000", "7,000,000"], "reserves line split"),
    ("lithium", "World total (rounded)"): (["204,000", "240,000", "30,000,000"],
                                           "footnote 7 split the row"),
    ("manganese", "Australia"): (["2,860", "2,800", "500,000"], "footnote 11 split the row"),
    ("gallium", "China"): (["621,000", "750,000", "1,000,000"],
                           "'4750,000' = footnote 4 + 750,000"),
    ("gallium", "Other countries"): (["—", "—", "88,000"], "capacity line split"),
    ("gallium", "World total (rounded)"): (["633,000", "760,000", "1,100,000"],
                                           "capacity line split"),
    ("molybdenum", "Australia"): (["660", "1,000", "690"], "footnote 6 split the row"),
    ("vanadium", "Australia"): (["—", "—", "8,500"], "'128,500' = footnote 12 + 8,500"),
    ("tellurium", "World total (rounded)"): (["944", "980", "35,000"],
                                             "footnote 10 split the row"),
    ("bismuth", "Laos"): (["1,150", "1,100", "NA"], "'81,150' = footnote 8 + 1,150"),
    ("magnesium-metal", "China"): (["805", "950", "1,800"], "footnote 6 split the row"),
    ("magnesium-metal", "Israel"): (["17", "20", "34"], "footnote 6 split the row"),
    ("magnesium-metal", "United States"): (["—", "—", "64"], "footnote 6 split the row"),
    ("platinum-group", "Russia"): (["87,000", "75,000", "21,000", "18,000", "16,000,000"],
                                   "footnote 10 split the row"),
    ("copper", "Australia"): (["778", "800", "442", "460", "100,000"],
                              "footnote 7 split the reserves"),
    ("copper", "Russia"): (["890", "930", "1,000", "960", "80,000"],
                           "estimate marks split the row"),
    ("lead", "Australia"): (["430", "430", "35,000"], "footnote 7 split the reserves"),
    ("silver", "Australia"): (["1,030", "1,000", "94,000"], "footnote 10 split the reserves"),
    ("tantalum", "Australia"): (["44", "52", "110,000"], "footnote 10 split the reserves"),
    ("zinc", "Australia"): (["1,090", "1,100", "64,000"], "footnote 11 split the reserves"),
    ("potash", "Israel"): (["2,330", "2,400", "NA", "Large"], "footnote 6 split the reserves"),
    ("potash", "Jordan"): (["1,700", "1,800", "NA", "Large"], "footnote 6 split the reserves"),
}


MANUAL = {  # tables whose layout the parser cannot follow, transcribed by hand from the text:
    # chapter -> ([(commodity, stage, first column)], factor, reserves column, estimated
    # header ('e' on the production column), [(label, cells)])
    "barite": ([("barite", "mine", 0)], 1000.0, 2, True, [
        ("United States", ["W", "W", "NA"]), ("China", ["2,000", "2,100", "110,000"]),
        ("India", ["2,600", "2,600", "51,000"]), ("Iran", ["300", "310", "100,000"]),
        ("Kazakhstan", ["650", "650", "85,000"]), ("Laos", ["300", "300", "NA"]),
        ("Mexico", ["320", "330", "NA"]), ("Morocco", ["1,000", "1,000", "NA"]),
        ("Pakistan", ["130", "130", "NA"]), ("Russia", ["250", "250", "12,000"]),
        ("Turkey", ["216", "220", "34,000"]), ("Other countries", ["314", "320", "NA"]),
        ("World total (rounded)", ["8,080", "8,200", "NA"])]),
    "beryllium": ([("beryllium", "mine", 0)], 1.0, None, False, [
        ("United States", ["185", "180"]), ("Brazil", ["e40", "80"]), ("China", ["e74", "77"]),
        ("Madagascar", ["e1", "1"]), ("Mozambique", ["23", "24"]), ("Rwanda", ["e1", "1"]),
        ("Uganda", ["e1", "1"]), ("World total (rounded)", ["325", "360"])]),
    "rhenium": ([("rhenium", "mine", 0)], 0.001, 2, True, [
        ("United States", ["9,410", "9,500", "400,000"]),
        ("Armenia", ["210", "200", "95,000"]), ("Chile", ["30,000", "29,000", "1,300,000"]),
        ("China", ["5,300", "5,300", "19,000"]), ("Kazakhstan", ["500", "500", "190,000"]),
        ("Korea, Republic of", ["2,800", "3,000", "NA"]), ("Poland", ["9,380", "9,400", "NA"]),
        ("Russia", ["NA", "NA", "310,000"]), ("Uzbekistan", ["5,000", "5,000", "NA"]),
        ("World total (rounded)", ["62,600", "62,000", "Large"])]),
    "strontium": ([("strontium", "mine", 0)], 1.0, 2, True, [
        ("United States", ["—", "—", "NA"]), ("Argentina", ["700", "700", "NA"]),
        ("China", ["80,000", "80,000", "12,000,000"]),
        ("Iran", ["200,000", "200,000", "7,100,000"]), ("Mexico", ["28,000", "25,000", "NA"]),
        ("Spain", ["200,000", "200,000", "NA"]),
        ("World total (rounded)", ["509,000", "510,000", "Large"])]),
    "titanium": ([("titanium", "metal", 0)], 1.0, None, True, [
        ("United States", ["W", "W"]), ("Australia", ["—", "—"]), ("Canada", ["—", "—"]),
        ("China", ["220,000", "220,000"]), ("Germany", ["—", "—"]), ("India", ["300", "300"]),
        ("Japan", ["57,000", "55,000"]), ("Kazakhstan", ["14,000", "14,000"]),
        ("Mexico", ["—", "—"]), ("Russia", ["20,000", "20,000"]),
        ("Saudi Arabia", ["11,000", "15,000"]), ("Ukraine", ["—", "—"]),
        ("United Kingdom", ["—", "—"]), ("Other countries", ["—", "—"]),
        ("World total (rounded)", ["320,000", "320,000"])]),
    "zirconium-hafnium": ([("zirconium", "mine", 0)], 1000.0, 2, True, [
        ("United States", ["100", "100", "500"]), ("Australia", ["500", "500", "55,000"]),
        ("China", ["100", "100", "72"]), ("Indonesia", ["95", "95", "NA"]),
        ("Kenya", ["20", "20", "5"]), ("Madagascar", ["34", "30", "2,100"]),
        ("Mozambique", ["144", "160", "1,500"]), ("Senegal", ["48", "60", "2,600"]),
        ("Sierra Leone", ["28", "20", "290"]), ("South Africa", ["289", "300", "5,300"]),
        ("Other countries", ["86", "110", "5,700"]),
        ("World total (rounded)", ["1,440", "1,500", ">70,000"])]),
}
MANUAL["boron"] = ([("boron", "mine", 0)], 1000.0, 2, True, [  # "Production—All forms" + e
    ("United States", ["W", "W", "48,000"]), ("Argentina, crude ore", ["160", "160", "NA"]),
    ("Bolivia, ulexite", ["140", "230", "NA"]), ("Chile, ulexite", ["420", "420", "35,000"]),
    ("China, boric oxide equivalent", ["300", "340", "9,100"]),
    ("Germany, compounds", ["38", "40", "NA"]), ("Peru, crude borates", ["300", "300", "4,000"]),
    ("Russia, datolite ore", ["80", "80", "40,000"]),
    ("Turkey, refined borates", ["2,500", "3,000", "950,000"]),
    ("World total", ["XX", "XX", "XX"])])
RESERVE_FACTOR.update({"barite": 1000.0, "rhenium": 0.001, "zirconium-hafnium": 1000.0,
                       "boron": 1000.0})


def _estimated(cell: str, header_e: bool) -> str:
    """Mark a production cell estimated when the column header carries USGS's 'e'."""
    numeric = cell[:1].isdigit()
    return "e" + cell if header_e and numeric else cell


def section(text: str) -> str:
    m = re.search(r"^World [^\n]*(?:Production|production)[^\n]*:.*?(?=^World Resources)",
                  text, re.S | re.M)
    return m.group(0) if m else ""


def rows(sec: str) -> list[tuple[str, str, list[str]]]:
    """(label as printed incl. a glued 'e', estimate mark on its own line, cells)."""
    out, pending = [], None
    only_nums = re.compile(rf"(?:{NUM}\s*)+")
    for line in sec.splitlines()[1:]:
        s = line.strip()
        if not s or re.fullmatch(r"\d{1,2}", s) or re.fullmatch(r"(\d{4}e?\s*)+", s):
            continue
        m = re.match(r"^(?P<label>[A-Z][^\d—]*?[a-z\)])\d{0,2}\s{2,}(?P<rest>.*)$", s)
        if m and only_nums.fullmatch(m.group("rest")) and m.group("rest").strip() != "e":
            out.append((m.group("label"), "", m.group("rest").split()))
            pending = None
            continue
        m2 = re.match(r"^(?P<label>[A-Z][^\d—]*?[a-z\)])\d{0,2}(?:\s+(?:e|\d{1,2}))?$", s)
        if m2:
            pending = (m2.group("label"), "e" if s.endswith(" e") else "")
            continue
        if pending and only_nums.fullmatch(s):
            out.append((pending[0], pending[1], s.split()))
            pending = None
    return out


def main(repo: str) -> None:
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["chapter", "commodity", "stage", "label", "measure", "year", "cell", "factor",
                "fix"])
    specs = {ch: ([(c, stage, 2 * i) for i, c in enumerate(cs)], factor,
                  2 * len(cs) if has_res else None)
             for ch, (cs, stage, factor, has_res) in CHAPTERS.items()}
    specs.update(LIST_CHAPTERS)
    for chapter, (pairs, factor, res_col) in specs.items():
        text = subprocess.run(["git", "-C", repo, "show",
                               f"HEAD:src/data/usgs/text/mcs2025-{chapter}.txt"],
                              capture_output=True, text=True, check=True).stdout
        for label, mark, cells in rows(section(text)):
            label = label.strip()
            fix = ""
            for (ch, lab), (fixed, why) in FIXES.items():
                if (ch == chapter and re.sub(r"e$", "", label) == lab) or (
                        ch == chapter and label == lab):
                    cells, fix = fixed, why
            cells = [c for c in cells if not re.fullmatch(r"\(\d+\)|e", c)]
            for commodity, stage, first in pairs:
                pair = cells[first: first + 2]
                for year, cell in zip((2023, 2024), pair, strict=False):
                    w.writerow([chapter, commodity, stage, label, "production", year,
                                ("e" if mark else "") + cell, factor, fix])
            if res_col is not None and len(cells) > res_col:
                w.writerow([chapter, pairs[-1][0], pairs[0][1], label, "reserves", 2024,
                            cells[res_col], RESERVE_FACTOR.get(chapter, factor), fix])
    for chapter, (pairs, factor, res_col, header_e, table) in MANUAL.items():
        for label, cells in table:
            for commodity, stage, first in pairs:
                for year, cell in zip((2023, 2024), cells[first: first + 2], strict=True):
                    w.writerow([chapter, commodity, stage, label, "production", year,
                                _estimated(cell, header_e), factor, "transcribed by hand"])
            if res_col is not None:
                w.writerow([chapter, pairs[-1][0], pairs[0][1], label, "reserves", 2024,
                            cells[res_col], RESERVE_FACTOR.get(chapter, factor),
                            "transcribed by hand"])


if __name__ == "__main__":
    main(sys.argv[1])
