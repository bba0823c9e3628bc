"""Build critmin's shipped tables from the published source files.

Run from the repository root (the one build entry point):

    python tools/build.py --shared ../shared/data

One module per source: ``usgs_mcs2024`` (data release 2024), ``usgs_mcs2025`` (MCS 2025
chapters), ``usgs_mcs2026`` + ``mcs2026_merge`` (the 2026 data release, latest edition),
``baci`` (trade), ``trade_reliance`` (JPN/EU/KOR reliance), ``lists_notes`` (lists, EU study,
WGI, research-notes parameters), ``projects``, ``gaps_notes``, ``build_episodes``,
``build_stages`` and ``source_audit`` (source kinds, removed sources); ``build_common`` holds
what they share. No module imports ``build``.

Inputs: the USGS Mineral Commodity Summaries 2024 data release (world production and
reserves, U.S. salient statistics, critical-minerals table T5), the USGS MCS 2025 rare-earths
chapter, CEPII BACI bilateral trade, the project's parameter notes, and the curated CSVs in
``tools/curated/`` (figures transcribed from cited publications, one source per row).
Outputs: ``src/critmin/data/tables/*.csv``. The script is the provenance record of every
shipped number; it needs only the package's own dependencies. Two runs give identical bytes.

Data policies (issue 11):

* USGS qualifiers are kept in ``qualifier`` (production, reserves): ``e`` estimated, ``>``/``<``
  bounds (estimated = true, method says so), ``--`` zero. W/NA/XX cells have no number and
  become ``gaps`` rows naming the symbol (tools/build_usgs.py).
* Latest edition first: for every (commodity, stage, year) that USGS MCS 2025 tabulates
  (raw/usgs_mcs2025_world.csv, made by tools/extract_mcs2025.py and checked against each
  printed world total) the MCS 2025 rows replace the MCS 2024 release rows as a group, so a
  year never mixes editions; a replaced value that changed stays as history in the row's
  note ("superseded: usgs_mcs2024_<code> gave ..."). Reserves are dated by edition (2023 from
  MCS 2024, 2024 from MCS 2025) and both ship.
* Parameters that restate a production fact take the production table's value and source
  (``one_value_per_fact``); shares are of the published WORLD total.
* ``sources.kind`` and ``primary`` (``source_audit``): official, company or pra count as
  primary; press, academic and secondary do not.
* Coverage of the U.S. 2025 and EU 2023 lists: every listed commodity has rows or a ``gaps``
  row per missing item (``coverage_gaps``); open items of the research notes in
  ``tools/curated/raw/*gaps.md`` are ``gaps`` rows too (``NOTE_GAPS``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import mcs2026_merge
import source_audit
import trade_reliance
from baci import baci_flows, import_shares_from_flows
from build_common import (
    CURATED,
    DERIVED_COMMODITIES,
    MCS2024_URL,
    MCS2025_URL,
    OUT,
    ROOT,
    USGS_WORLD,
    unit_of,
    write,
)
from build_usgs import (
    LIST_COMMODITIES,
    REE_ELEMENTS,
    SERIES,
)
from editions import latest_edition
from gaps_notes import coverage_gaps, narrative_gaps
from lists_notes import criticality_inputs, parameters_from_notes
from projects import projects_from_raw
from usgs_mcs2024 import USGS_PRICES, fig2_reliance, us_prices, us_reliance, usgs_world
from usgs_mcs2025 import (
    mcs2025_quoted,
    mcs2025_side_sources,
    mcs2025_trade,
    mcs2025_transcriptions,
    mcs2025_world,
    primary_prices,
    ree_mcs2025,
    ree_us_import_sources,
)


def japan_rows(net_production: pd.DataFrame):
    """Japan: REE import share (Metalnomist, H1 2024) and mine-stage reliance where Japan
    has no mine output in the USGS world tables."""
    shares = [dict(importer="JPN", commodity="ree", period="2024-H1", exporter="CHN",
                   share=0.796, basis="quantity", estimated=False, method="",
                   source_id="metalnomist_2024_jpn_ree", note="9,898 t imported in H1 2024"),
              dict(importer="JPN", commodity="ree", period="2024-H1", exporter="OTHER",
                   share=0.204, basis="quantity", estimated=True,
                   method="remainder of 100 %", source_id="metalnomist_2024_jpn_ree", note="")]
    reliance = []
    mine = net_production[net_production["stage"] == "mine"].copy()
    mine["year"] = pd.to_numeric(mine["year"])
    for commodity, g in mine.groupby("commodity"):
        year = int(g["year"].max())
        latest = g[g["year"] == year]
        if "JPN" in set(latest["country"]) or (commodity not in USGS_WORLD
                                                and commodity not in LIST_COMMODITIES):
            continue
        reliance.append(dict(importer="JPN", commodity=commodity, year=year,
                             measure="net_import_reliance", value=1.0, qualifier="",
                             unit="share", estimated=True,
                             method="Japan has no mine production in the USGS world table, so "
                                    "all ore/concentrate is imported (mine stage only)",
                             source_id=latest["source_id"].iloc[0], note="mine stage"))
    return shares, reliance


SHARES_FROM_PRODUCTION = [  # (scope, parameter, commodity, stage, country, year)
    ("antimony", "China_share_mine_2023", "antimony", "mine", "CHN", 2023),
    ("cobalt", "DRC_share_world_2024", "cobalt", "mine", "COD", 2024),
]


VALUES_FROM_PRODUCTION = [("cobalt", "DRC_output_2024", "cobalt", "mine", "COD", 2024)]


DROPPED_PARAMETERS = {  # facts another table holds; one value per fact
    ("ndfeb_magnet", "China_production_2024"): "production ndfeb_magnet/product/CHN/2024",
    ("stockpile_JP", "target_days"): "stockpiles JOGMEC target_days 60 (42 + 18, max 180)",
    ("stockpile_US_Vault", "target_days"): "stockpiles Project Vault target_days 60",
    ("stockpile_US_Vault", "financing"): "stockpiles Project Vault budget USD 11.67 bn",
}


def one_value_per_fact(params: pd.DataFrame, prod: pd.DataFrame) -> pd.DataFrame:
    """Parameters that restate a production fact take the production table's value and
    source (shares against the published WORLD total); duplicates of production rows go."""
    p = prod.assign(year=prod["year"].astype(int), value=prod["value"].astype(float))
    get = p.set_index(["commodity", "stage", "country", "year"])
    params = params[[(s, n) not in DROPPED_PARAMETERS
                     for s, n in params[["scope", "parameter"]].itertuples(index=False)]]
    params = params.set_index(["scope", "parameter"])
    for scope, name, c, stage, country, year in SHARES_FROM_PRODUCTION:
        num, den = get.loc[(c, stage, country, year)], get.loc[(c, stage, "WORLD", year)]
        params.loc[(scope, name), ["value", "low", "high", "unit", "status", "method",
                                   "source_id", "note"]] = [
            round(num["value"] / den["value"], 4), None, None, "share", "estimate",
            f"{country} / WORLD {stage} production {year} as published "
            f"({num['value']:,.0f} / {den['value']:,.0f} t)", num["source_id"],
            "derived from the production table (one value per fact)"]
    for scope, name, c, stage, country, year in VALUES_FROM_PRODUCTION:
        r = get.loc[(c, stage, country, year)]
        params.loc[(scope, name), ["value", "low", "high", "unit", "status", "method",
                                   "source_id", "note"]] = [
            r["value"], None, None, r["unit"], "fact", "", r["source_id"],
            "same value as the production table (one value per fact)"]
    return params.reset_index()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    from critmin.data.schemas import TABLES

    prod, res, gaps = usgs_world(args.shared)
    # MCS 2025 supersedes MCS 2024 for rare earths in 2023; keep MCS 2024 for 2022
    prod = [p for p in prod if not (p["commodity"] == "ree" and p["year"] == 2023)]
    res = [r for r in res if r["commodity"] != "ree"]
    p25, r25 = ree_mcs2025()
    prod += p25
    res += r25
    t_prod, t_res, t_rel, t_prices, t_shares, t_sources = mcs2025_transcriptions(CURATED / "raw")
    w_prod, w_res, w_sources = mcs2025_world(CURATED / "raw" / "usgs_mcs2025_world.csv")
    q_prod, q_res, q_sources = mcs2025_quoted(CURATED / "raw" / "usgs_mcs2025_quoted.csv")
    w_prod, w_res = w_prod + q_prod, w_res + q_res
    w_sources = pd.concat([w_sources, q_sources, mcs2025_side_sources(CURATED / "raw")],
                          ignore_index=True).drop_duplicates("source_id")
    prod = latest_edition(prod, w_prod, ["commodity", "stage", "country", "year"])
    covered = {(r["commodity"], r["stage"]) for r in w_prod}
    t_prod = t_prod[[(c, st) not in covered for c, st in
                     t_prod[["commodity", "stage"]].itertuples(index=False)]]
    if len(t_prod):
        newer = set(map(tuple, t_prod[["commodity", "stage", "year"]].to_numpy()))
        prod = [p for p in prod if (p["commodity"], p["stage"], p["year"]) not in newer]
        prod += t_prod.to_dict("records")
    release = mcs2026_merge.load()
    prod, res, gaps = mcs2026_merge.world(release, prod, res, gaps, unit_of)
    res_covered = {r["commodity"] for r in w_res}
    res += [r for r in t_res.to_dict("records") if r["commodity"] not in res_covered] + w_res
    transcribed = set(t_sources["source_id"])  # raw/mcs2025_*.csv: cited only where used
    t_sources = pd.concat([t_sources, w_sources], ignore_index=True)
    curated = {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False)
               for p in sorted(CURATED.glob("*.csv"))}
    prod_df = pd.DataFrame(prod)
    if "production" in curated:
        extra = curated["production"]
        key = ["commodity", "stage", "country", "year"]
        prod_df["year"] = prod_df["year"].astype(str)
        prod_df = pd.concat([prod_df, extra]).drop_duplicates(key, keep="last")
    gaps_df = pd.DataFrame(gaps)
    if len(gaps_df):
        have = set(map(tuple, prod_df[["commodity", "stage", "country", "year"]].astype(str)
                       .to_numpy()))
        gaps_df = gaps_df[[tuple(map(str, k)) not in have for k in
                           gaps_df[["commodity", "stage", "country", "year"]].to_numpy()]]
    flows = baci_flows(args.shared)
    jp_shares, _mine_only = japan_rows(prod_df)  # reliance: tools/trade_reliance.py
    gov, eu, lists, crit_sources = criticality_inputs(CURATED / "raw")
    params, param_sources = parameters_from_notes(CURATED / "raw")
    shares = pd.concat([pd.DataFrame(ree_us_import_sources()), pd.DataFrame(t_shares),
                        pd.DataFrame(jp_shares),
                        import_shares_from_flows(flows)], ignore_index=True)
    shares = shares[~((shares["importer"] == "USA") & (shares["commodity"] == "ree")
                      & (shares["period"] == "2024"))]
    m_rel, m_shares = mcs2025_trade(CURATED / "raw" / "usgs_mcs2025_trade.csv")
    read = {(r["commodity"], r["period"]) for r in m_shares}  # the chapter text wins
    shares = shares[[not (i == "USA" and (c, p) in read) for i, c, p in
                     shares[["importer", "commodity", "period"]].itertuples(index=False)]]
    shares = pd.concat([shares, pd.DataFrame(m_shares)], ignore_index=True)
    newer_rel = {(r["commodity"], r["year"], r["measure"]) for r in m_rel}
    reliance = [r for r in us_reliance(args.shared) + t_rel
                if not (r["importer"] == "USA"
                        and (r["commodity"], r["year"], r["measure"]) in newer_rel)] + m_rel
    have = {r["commodity"] for r in reliance if r["importer"] == "USA"
            and r["measure"] == "net_import_reliance"}
    fig2_rel, fig2_gaps = fig2_reliance(args.shared, have)
    reliance += fig2_rel
    with_shares = set(shares.loc[shares["importer"] == "USA", "commodity"])
    gaps_df = pd.concat([gaps_df, pd.DataFrame(
        [g for g in fig2_gaps if g["commodity"] not in with_shares])], ignore_index=True)
    all_prices, price_gaps = mcs2026_merge.prices(
        release, us_prices(args.shared) + primary_prices(t_prices) + curated.pop(
            "prices").to_dict("records"))
    reliance = mcs2026_merge.reliance(release, reliance + curated.pop(
        "import_reliance").to_dict("records"))
    units = {c: unit_of(c) for c in set(prod_df["commodity"]) if c in USGS_WORLD
             or c in LIST_COMMODITIES}
    t_rows, t_gaps = trade_reliance.rows(flows, prod_df, pd.DataFrame(all_prices), units)
    reliance += t_rows
    gaps_df = pd.concat([gaps_df, pd.DataFrame(t_gaps)], ignore_index=True)
    lists = mcs2026_merge.critical_list(release, lists)
    gaps_df = pd.concat([gaps_df, pd.DataFrame(price_gaps)], ignore_index=True)
    for name, rows in (("production", prod_df), ("reserves", res), ("gaps", gaps_df),
                       ("import_reliance", reliance),
                       ("governance", gov), ("criticality_studies", eu),
                       ("critical_lists", lists),
                       ("prices", all_prices),
                       ("flows", flows),
                       ("import_sources", shares)):
        frame = pd.DataFrame(rows)
        if name in curated and name != "production":
            frame = pd.concat([frame, curated[name]], ignore_index=True)
            frame = frame.drop_duplicates(list(TABLES[name].key), keep="last")
        write(name, frame, TABLES[name].names)
    commodities = [dict(commodity=c, name=v[1], group=v[2], unit=v[3], basis=v[4], parent="",
                        hs_codes=v[5], source_id=f"usgs_mcs2024_{v[0]}")
                   for c, v in USGS_WORLD.items()]
    commodities += [dict(commodity=c, name=n, group=g, unit=u, basis=b, parent=p, hs_codes=h,
                         source_id="usgs_mcs2025_ree" if g == "rare_earths"
                         else "cepii_baci_v202601")
                    for c, n, g, u, b, p, h in DERIVED_COMMODITIES]
    list_src = lists.groupby("commodity")["source_id"].min().to_dict()
    for c, (n, g, u, b, h) in LIST_COMMODITIES.items():
        code = next((s[1].strip("_") for s in SERIES if s[0] == c), None)
        commodities.append(dict(commodity=c, name=n, group=g, unit=u, basis=b, parent="",
                                hs_codes=h, source_id=f"usgs_mcs2024_{code}" if code
                                else list_src[c]))
    for c, (n, oxide) in REE_ELEMENTS.items():
        commodities.append(dict(commodity=c, name=n, group="rare_earths", unit="t REO",
                                basis=oxide, parent="ree", hs_codes="280530",
                                source_id=list_src[c]))
    commodities += mcs2026_merge.new_commodities()
    write("commodities", commodities, TABLES["commodities"].names)
    cited = set().union(*(set(pd.DataFrame(t).get("source_id", pd.Series(dtype=str)))
                          for t in (prod_df, res, reliance, shares, params, flows,
                                    all_prices)))
    t_sources = t_sources[~t_sources["source_id"].isin(transcribed - cited)]
    all_sources = pd.concat([pd.DataFrame(sources()), t_sources, crit_sources, param_sources,
                             pd.DataFrame(mcs2026_merge.sources(release))],
                            ignore_index=True).drop_duplicates("source_id")
    write("sources", all_sources, TABLES["sources"].names)
    units = {c: v[3] for c, v in USGS_WORLD.items()}
    units.update({c: u for c, _, _, u, _, _, _ in DERIVED_COMMODITIES})
    projects, project_gaps, project_sources = projects_from_raw(CURATED / "raw", units)
    write("projects", projects, TABLES["projects"].names)
    eu_src = eu["source_id"].iloc[0]
    gaps_all = pd.concat([pd.read_csv(OUT / "gaps.csv"), pd.DataFrame(project_gaps),
                          pd.DataFrame(narrative_gaps(eu_src, sorted(set(eu["commodity"]))))],
                         ignore_index=True)
    said = set(map(tuple, gaps_all[["table", "commodity", "country", "year"]].astype(str)
                   .to_numpy()))
    coverage = [g for g in coverage_gaps(OUT, lists)  # where no other row says why already
                if (g["table"], g["commodity"], g["country"], str(g["year"])) not in said]
    gaps_all = pd.concat([gaps_all, pd.DataFrame(coverage)],
                         ignore_index=True).drop_duplicates(list(TABLES["gaps"].key))
    write("gaps", gaps_all, TABLES["gaps"].names)
    all_sources = pd.concat([all_sources, project_sources],
                            ignore_index=True).drop_duplicates("source_id")
    write("sources", all_sources, TABLES["sources"].names)
    params = pd.concat([params, curated["parameters"]], ignore_index=True).drop_duplicates(
        ["scope", "parameter"], keep="last")
    write("parameters", one_value_per_fact(params, prod_df), TABLES["parameters"].names)
    for name in ("bom", "stage_shares", "export_restrictions"):
        if name in curated:
            write(name, curated[name], TABLES[name].names)
    __import__("build_episodes").build()  # episode tables + their sources/gaps rows
    __import__("build_stages").build()  # stages, by-products, Japan (tools/build_stages.py)
    for name, sub in (("gaps", "impact"), ("sources", "impact"), ("gaps", "audit")):
        # rows of other builds (impact) and of the source audit (rows removed, and why)
        extra = pd.read_csv(CURATED / sub / f"{name}.csv", dtype=str, keep_default_na=False)
        shipped = pd.read_csv(OUT / f"{name}.csv", dtype=str, keep_default_na=False)
        write(name, pd.concat([shipped, extra], ignore_index=True).drop_duplicates(
            list(TABLES[name].key)), TABLES[name].names)
    source_audit.apply(OUT, {n: t.names for n, t in TABLES.items()})  # kinds; no bad sources


def sources():
    rows = [dict(source_id="usgs_mcs2025_ree", publisher="U.S. Geological Survey",
                 title="Mineral Commodity Summaries 2025 - Rare Earths", table=(
                     "Salient Statistics-United States; Import Sources; World Mine Production "
                     "and Reserves"), year=2025, url=MCS2025_URL, licence="public domain",
                 note="data release https://doi.org/10.5066/P13XCP3R; text read from the "
                      "mirror github.com/NSSAC/dpi.RAG data/marker/mcs2025-rare-earths.md"),
            dict(source_id="usgs_mcs2024_fig2", publisher="U.S. Geological Survey",
                 title="Mineral Commodity Summaries 2024 - data release",
                 table="Figure 2, 2023 U.S. net import reliance and major import sources "
                       "2019-2022 (MCS2024_Fig2_Net_Import_Reliance.csv)", year=2024,
                 url=MCS2024_URL, licence="public domain", note=""),
            dict(source_id="usgs_mcs2024_t5", publisher="U.S. Geological Survey",
                 title="Mineral Commodity Summaries 2024 - data release",
                 table="Table 5, Critical minerals salient statistics (MCS2024_T5)", year=2024,
                 url=MCS2024_URL, licence="public domain", note=""),
            dict(source_id="cepii_baci_v202601", publisher="CEPII",
                 title="BACI: International Trade Database at the Product-Level, HS17 V202601",
                 table="extract for 30 HS6 codes, 2022 and 2024", year=2026,
                 url="https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
                 licence="Etalab Open License 2.0",
                 note="Gaulier & Zignago (2010); values in current USD, FOB")]
    names = {v[0]: v[1] for v in USGS_WORLD.values()}
    for commodity, code, *_ in SERIES:
        names.setdefault(code, LIST_COMMODITIES[commodity][0])
    for code, name in names.items():
        code = code.strip("_")
        rows.append(dict(source_id=f"usgs_mcs2024_{code}", publisher="U.S. Geological Survey",
                         title=f"Mineral Commodity Summaries 2024 - data release ({name})",
                         table=f"world/mcs2024-{code}_world.csv (World Mine Production and "
                               "Reserves)", year=2024, url=MCS2024_URL,
                         licence="public domain", note=""))
    for code in sorted({p[0] for p in USGS_PRICES}):
        rows.append(dict(source_id=f"usgs_mcs2024_{code}_salient",
                         publisher="U.S. Geological Survey",
                         title="Mineral Commodity Summaries 2024 - data release",
                         table=f"salient/mcs2024-{code}_salient.csv (Salient Statistics)",
                         year=2024, url=MCS2024_URL, licence="public domain", note=""))
    cur = CURATED / "sources.csv"
    if cur.exists():
        rows += pd.read_csv(cur, dtype=str, keep_default_na=False).to_dict("records")
    return rows


if __name__ == "__main__":
    main()

