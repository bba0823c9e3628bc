"""Gaps rows: Dy/Tb data, the research notes' open items and list coverage."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from build_usgs import (
    FORM_BY_COUNTRY,
    IMPORT_SOURCE_GAPS,
    NO_PRODUCTION,
    PRICE_GAPS,
    REE_PRICE_GAP,
    REE_SPLIT_GAP,
    RESERVE_GAPS,
)

DYTB_GAPS = [  # (table, commodity, stage, country, years, reason, source)
    ("production", "dy", "mine", "WORLD", (2022, 2023, 2024),
     "USGS MCS gives rare-earth mine output only as total REO by country; no publisher read "
     "by critmin gives dysprosium mine output by country for 2022-2024 (the only split "
     "shipped is JRC RMIS for 2021)", "usgs_mcs2025_ree"),
    ("production", "tb", "mine", "WORLD", (2022, 2023, 2024),
     "USGS MCS gives rare-earth mine output only as total REO by country; no publisher read "
     "by critmin gives terbium mine output by country for 2022-2024", "usgs_mcs2025_ree"),
    ("production", "dy", "mine", "OTHER", (2021,), "JRC RMIS names only the three largest "
     "producers (China, Myanmar, Australia: 91 % of world output); the other 9 % is not "
     "attributed to countries", "jrc_rmis_dy_2021"),
    ("reserves", "dy", "", "WORLD", (2024,), "USGS reserves are total REO; no dysprosium "
     "reserves by country are published in the sources read", "usgs_mcs2025_ree"),
    ("reserves", "tb", "", "WORLD", (2024,), "USGS reserves are total REO; no terbium "
     "reserves by country are published in the sources read", "usgs_mcs2025_ree"),
    *[("import_sources", el, "", imp, (2024,),
       f"{'Japan' if imp == 'JPN' else 'U.S.'} imports of {name} by origin: HS 2805.30 and "
       "2846 mix the rare earths (no Dy/Tb line) and are not in the BACI extract; customs "
       "data by element not found", "cepii_baci_v202601")
      for el, name in (("dy", "dysprosium"), ("tb", "terbium")) for imp in ("JPN", "USA")],
]


NOTE_GAPS = [  # open items of the research notes in tools/curated/raw/*gaps.md
    ("import_sources", "gallium", "", "JPN", 2024, "Japan's gallium imports by origin not "
     "found (research_b_gaps.md); HS 811292 mixes Ga, Hf, In, Nb, Re, Tl", "cepii_baci_v202601"),
    ("import_sources", "germanium", "", "JPN", 2024, "Japan's germanium imports by origin not "
     "found (research_b_gaps.md); HS 8112 (Ge) not in the BACI extract", "cepii_baci_v202601"),
    *[("import_reliance", c, "", "JPN", 2024, "Japan's net import reliance not published in "
       "the sources read (research_b_gaps.md; JOGMEC material-flow reports not in the stored "
       "corpus); critmin computes it from BACI trade where the extract has the HS code and a "
       "production table covers the stage (tools/trade_reliance.py)",
       "usgs_mcs2025_ree") for c in ("ree", "cobalt", "nickel", "gallium", "germanium",
                                     "tungsten", "antimony")],
    ("production", "germanium", "refining", "WORLD", 2024, "MCS 2025 (Germanium) prints no "
     "refinery table: 'Because most producers do not publicly report germanium production, "
     "global production data were limited'; the MCS 2024 release prints NA/W for every "
     "country; 2022 volumes are USGS estimates (stage data); no other publisher's 2023-2024 "
     "volumes found (market-research figures only; mcs2025_b_gaps.md)", "usgs_mcs2025_germanium"),
    ("production", "nickel", "refining", "WORLD", 2024, "MCS 2025 (Nickel) tabulates mine "
     "output only; refined nickel by country (USGS Minerals Yearbook, INSG) not found in the "
     "sources read", "usgs_mcs2025_nickel"),
    *[("production", c, "refining", "WORLD", 2024, f"USGS MCS 2026 ({name}) tabulates mine "
       "output only; no refined-output table by country was read (the IEA GCMO 2025 China "
       "refining share was only seen in a summary the source audit removed)", sid)
      for c, name, sid in (("lithium", "Lithium", "usgs_mcs2026_lithium"),
                           ("graphite", "Graphite (Natural)", "usgs_mcs2026_graphite"))],
    ("production", "cobalt", "refining", "WORLD", 2024, "MCS 2025 cobalt chapter has no "
     "refinery production by country (mcs2025_a_gaps.md)", "usgs_mcs2025_cobalt"),
    ("import_reliance", "indium", "", "USA", 2024, "MCS 2025 gives U.S. indium consumption "
     "as an estimate (219 t in 2023, 250 t in 2024e, the reliance base), not apparent "
     "consumption; critmin ships the reliance only (mcs2025_b_gaps.md)", "usgs_mcs2025_indium"),
    ("reserves", "platinum", "", "WORLD", 2024, "USGS publishes reserves for all PGMs "
     "together; platinum-only reserves do not exist in the source", "usgs_mcs2025_platinum_group"),
    ("stage_shares", "li_ion_cell", "product", "WORLD", 2024, "battery cell output shares of "
     "Korea, Japan, Poland, Hungary and the U.S. not found (midstream_gaps.md)",
     "cepii_baci_v202601"),
    ("bom", "cathode", "", "WORLD", 2024, "kg of Li/Co/Ni/Mn per kWh by chemistry (NMC811, "
     "NMC622, LFP) not found verbatim (midstream_gaps.md)", "cepii_baci_v202601"),
    ("production", "ndpr", "", "WORLD", 2024, "NdPr balance 2024: 288,900 t of "
     "magnets (WORLD row) x 351.3 kg NdPr oxide per t (bom, sintered typical) = 101,490 t, "
     "above the 75,000 t WORLD row. The WORLD row counts primary oxide only (quotas, imported "
     "feed, Lynas, MP); it leaves out oxide recovered from magnet scrap: 26,504 t PrNd oxide "
     "in China in 2024 (31,730 t in 2023), scrap being 25-30 % of China's magnet output "
     "(Argus, citing Ji'an Xintai). 75,000 + 26,504 = 101,504 t: the two agree if the magnet "
     "tonnage counts blanks whose machining swarf is recycled. No recycled-oxide row is "
     "shipped and no scrap estimate is added; the 288,900 t (SMM forecast / ~90 % China "
     "share) and 351.3 kg/t (29-32.5 wt % RE) are themselves approximate",
     "argus_2025_ree_recycling"),
    ("projects", "ndfeb_magnet", "product", "JPN", 2025, "Shin-Etsu Takefu (Japan) magnet "
     "plant: no capacity or capex published in the sources read (projects_ree_gaps.md)",
     "cepii_baci_v202601"),
]


def narrative_gaps(eu_source: str, eu_commodities: list[str]) -> list[dict]:
    """Gaps rows for Dy/Tb data, the research notes' open items and the EU study fields."""
    rows = [dict(table=t, commodity=c, stage=st, country=cc, year=y, reason=why, source_id=src)
            for t, c, st, cc, years, why, src in DYTB_GAPS for y in years]
    rows += [dict(table=t, commodity=c, stage=st, country=cc, year=y, reason=why,
                  source_id=src) for t, c, st, cc, y, why, src in NOTE_GAPS]
    rows += [dict(table="criticality_studies", commodity=c, stage="", country="WORLD",
                  year=2023, reason="EU 2023 study: end-of-life recycling input rate (EOL-RIR) "
                  "and substitution index (SI_SR) not found in a readable copy "
                  "(research_b_gaps.md); critmin uses its defaults", source_id=eu_source)
             for c in eu_commodities]
    return rows


def coverage_gaps(out: Path, lists: pd.DataFrame) -> list[dict]:
    """One gaps row per listed commodity and missing item: production (none, or none for
    2024), reserves, 2024 price, U.S. net import reliance, U.S. import sources."""
    t = {n: pd.read_csv(out / f"{n}.csv", dtype=str, keep_default_na=False) for n in (
        "commodities", "production", "reserves", "prices", "import_reliance",
        "import_sources", "gaps")}
    src = t["commodities"].set_index("commodity")["source_id"]
    gapped = set(zip(t["gaps"]["table"], t["gaps"]["commodity"], strict=True))
    exact = set(zip(t["gaps"]["table"], t["gaps"]["commodity"], t["gaps"]["country"],
                    t["gaps"]["year"], strict=True))
    rows = []
    for c in sorted(set(lists["commodity"]) & set(src.index)):
        def gap(table, year, reason, stage="", country="WORLD", c=c, each_year=False):
            if (table, c) not in gapped or (
                    each_year and (table, c, country, str(year)) not in exact):
                rows.append(dict(table=table, commodity=c, stage=stage, country=country,
                                 year=year, reason=reason, source_id=src[c]))
        prod = t["production"][t["production"]["commodity"] == c]
        parent = t["commodities"].set_index("commodity")["parent"].get(c, "")
        if prod.empty:
            gap("production", 2024, NO_PRODUCTION.get(c) or (
                REE_SPLIT_GAP if parent == "ree" else "no source transcribed"),
                each_year=True)
        elif "2024" not in set(prod["year"]):
            gap("production", 2024, "2024 (USGS MCS 2025) not transcribed for this commodity; "
                "latest year shipped is " + max(prod["year"]))
        else:
            latest = prod[prod["year"].eq(max(prod["year"]))]
            if not latest["country"].eq("WORLD").any():
                gap("production", int(max(prod["year"])), "no published world total for the "
                    "latest year" + (": USGS prints XX because countries report different "
                                     "forms; shares over the country sum mix forms"
                                     if c in FORM_BY_COUNTRY else ""), each_year=True)
        if t["reserves"]["commodity"].eq(c).sum() == 0:
            gap("reserves", 2024, RESERVE_GAPS.get(c) or (
                "USGS publishes rare-earth reserves as total REO only" if parent == "ree" else
                "USGS MCS 2025 gives no reserves for this commodity (quantitative reserve "
                "estimates not available)"), each_year=True)
        if not (t["prices"]["commodity"].eq(c) & t["prices"]["year"].eq("2024")).any():
            gap("prices", 2024, PRICE_GAPS.get(c) or (REE_PRICE_GAP if parent == "ree" else
                "2024 price (USGS MCS 2025) not transcribed")
                + "; latest year shipped: " + (max(t["prices"].loc[
                    t["prices"]["commodity"] == c, "year"], default="none")))
        rel = t["import_reliance"]
        if not (rel["commodity"].eq(c) & rel["importer"].eq("USA")).any() and parent != "ree":
            gap("import_reliance", 2023, "USGS publishes no U.S. net import reliance for this "
                "commodity in the MCS 2024 release", country="USA", each_year=True)
        if not (t["import_sources"]["commodity"].eq(c)
                & t["import_sources"]["importer"].eq("USA")).any():
            gap("import_sources", 2024, IMPORT_SOURCE_GAPS.get(c) or (
                "no U.S. import shares by origin: not in MCS tables read and no matching HS "
                "code in the BACI extract"), country="USA")
    return rows

