"""Source audit: a ``kind`` for every source; no row cites social media, content farms, AI
summaries or anonymous copies (issue 20).

Run last by the build (``tools/build.py``) over the written tables:

* ``REPLACED``: sources whose document was a copy and whose figures a primary or reputable
  original (found and read) also gives; the row keeps its values, the source now names the
  original.
* ``DROPPED``: sources with no primary found; every row citing them leaves its table and
  becomes a ``gaps`` row (citing ``AUDIT_ID``) that says why.
* ``kind`` of each source (official, company, pra, press, academic, secondary) from its
  host and wording (``kind_of``); ``primary`` is true for official, company and pra.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from build_common import write_csv

KINDS = ("official", "company", "pra", "press", "academic", "secondary")
AUDIT_ID = "critmin_source_audit_2026"
BLOCKED_HOSTS = (  # social media, content farms, AI summaries, anonymous copies and blogs
    "mastodon", "dmv.community", "mstdn", "binance", "bbapi.viigoo", "stocktwits.com",
    "focus.s.nomatter.dev", "cryptogon.com", "reportify.ai", "squidsite02.com", "starfeu.com",
    "robotalks.cn", "konferencjaskd2024.pl", "daily8.com", "nai500.com", "twitter.com",
    "//x.com/", "reddit.com", "medium.com", "seekingalpha.com", "yliwu.com",
    "brightgram.com", "principlecivics.com", "compensationrecovery.com", "sscollege.cn",
    "m.acphonor.com",
)
REPLACED = {
    **{sid: dict(publisher="MP Materials Corp.", title="MP Materials Reports Fourth Quarter "
                 "and Full Year 2024 Results (press release, 20 Feb 2025)",
                 url="https://mpmaterials.com/articles/mp-materials-reports-fourth-quarter-"
                     "and-full-year-2024-results",
                 note="company release: record 45,455 t REO in concentrate and 1,294 t NdPr "
                      "oxide produced in 2024; replaces an AI-written filing summary")
       for sid in ("mp_2024_annual", "t039_mp_production_2024", "stg_mp_2024_results")},
    "t132_aclara_to_build_first_heavy_rare_earths_": dict(
        publisher="MINING.COM (reporting Aclara Resources' release of 24 Oct 2025)",
        title="Aclara jumps on US heavy REE plant plan",
        url="https://www.mining.com/aclara-jumps-on-us-rare-earth-plant-plan",
        note="US$277 million, Port of Vinton (Louisiana), 200 t/yr Dy, 30 t/yr Tb and 1,400 "
             "t/yr NdPr oxides; replaces an AI summary"),
    "reuters_2024_us_ban": dict(
        publisher="Reuters (as published by Business Recorder, 3 Dec 2024)",
        title="China bans exports of gallium, germanium, antimony to US",
        url="https://www.brecorder.com/news/40335663/china-bans-exports-of-gallium-germanium-"
            "antimony-to-us",
        note="Reuters report of MOFCOM's directive, republished under Reuters' byline by a "
             "newspaper; replaces a blog copy"),
    "stg_mint_2025_proterial": dict(
        publisher="Mint (HT Media syndication)",
        title="Bain-backed Japanese firm Proterial looks to India for rare earth magnet "
              "manufacturing (6 Aug 2025)",
        url="https://www.htsyndication.com/mint/article/bain-backed-japanese-firm-proterial-"
            "looks-to-india-for-rare-earth-magnet-manufacturing/92179096",
        note="Proterial has two magnet plants, Japan and China; Japan capacity not public "
             "(the article's 2025 China plant size is not shipped: reserved NdFeB window)"),
    "iea_gevo2024_copy": dict(
        publisher="International Energy Agency", title="Global EV Outlook 2024",
        url="https://www.iea.org/reports/global-ev-outlook-2024",
        note="'China represents nearly 90% of global installed cathode active material "
             "manufacturing capacity and over 97% of anode active material manufacturing "
             "capacity today' (chapter Trends in electric vehicle batteries); the earlier "
             "citation was a copy on an unrelated site"),
}
REPLACED["t043_capex_magnet_plant"] = dict(
    publisher="Office of the Governor of North Carolina (release distributed by EIN "
              "Presswire, 18 Nov 2025)",
    title="Governor Stein Announces Vulcan Elements Selects Johnston County for 1,000-Job "
          "Magnet Factory",
    url="https://www.einpresswire.com/article/868454287/governor-stein-announces-vulcan-"
        "elements-selects-johnston-county-for-1-000-job-magnet-factory-investing-nearly-1-"
        "billion-in-the-town-of-benson",
    note="USD 918.1 million for 10,000 t/yr of NdFeB magnet capacity (Benson, NC); replaces "
         "a news-aggregator copy", kind="official")
DROPPED = {  # source id -> why no primary could stand in
    "jrc_rmis_dy_2021": "the JRC RMIS dysprosium shares were only seen quoted in a social-"
                        "media post; the RMIS page itself was not read",
    "iea_gcmo2025_summary": "IEA GCMO 2025 refining shares were only seen in a Binance Square "
                            "summary; the IEA's own pages read give only top-3 averages",
    "ep_focuseconomics_co_2025_12": "cobalt prices from an unattributed content-farm page "
                                    "(no publisher, no price basis)",
    "ep_reuters_co_2025_03": "Reuters cobalt prices seen only in copies on unrelated sites; "
                             "the original was not found",
    "ep_reuters_co_2025_06": "Reuters cobalt prices seen only in copies on unrelated sites; "
                             "the original was not found",
    "ep_reuters_magnets_2025_10": "China customs magnet exports (Reuters) seen only in a copy "
                                  "on an unrelated site; GAC tables not read",
    "stg_reuters_2024_ree_quota": "the 2024 second-batch smelting quota was seen only in a "
                                  "copy on an unrelated site; MIIT's notice not read",
    "t122_why_is_uuuu_stock_rising_pre_market_toda": "project figures from a stock-chat news "
                                                     "page; Energy Fuels' release not read",
    "t080_alcoa_u_s_australia_japan_and_sojitz_adv": "Alcoa's release seen only on an "
                                                     "unrelated site; the original not read",
    "t090_ascend_elements_loses_millions_in_federa": "news seen only on an aggregator copy",
    "t103_allkem_limited_q4_2023_results_conferenc": "an earnings-call transcript on a "
                                                     "user-contributed site, not Allkem's own",
    "t112_lynas_malaysia_new_heavy_rare_earth_faci": "news seen only on an aggregator copy",
    "ep_chinatungsten_w_2025_09": "Chinatungsten commentary seen only on an unrelated site's "
                                  "copy",
    "ft_usgs_gallium": "a mirror of a Financial Times graphic (cites no row)",
    "t064_target_days": "an anonymous policy blog (cites no row)",
}
OFFICIAL = ("usgs.gov", "doi.org/10.3133", "doi.org/10.5066", "europa.eu", "federalregister",
            "govinfo.gov", "energy.gov", "whitehouse.gov", "wa.gov.au", "meti.go.jp",
            "jogmec.go.jp", "mofcom.gov.cn", "scio.gov.cn", "nrel.gov", "iea.org", "cepii.fr",
            "worldbank", "info.worldbank", "sec.gov/cgi", "gov.cn", "go.kr", "census.gov",
            "everycrsreport", "congress.gov", "oecd.org", "gov.uk", "canada.ca", "ga.gov.au",
            "world-nuclear.org", "stlouisfed.org", "federalreserve.gov", "soumu.go.jp",
            "e-stat.go.jp")
COMPANY = ("sec.gov", "mpmaterials.com", "lynasrareearths.com", "iluka.com", "albemarle.com",
           "umicore.com", "shinetsu.co.jp", "toyota-tsusho.com", "piedmontlithium.com",
           "hastingstechmetals.com", "noveon.co", "couragemagnet.com", "osencmagnet.com",
           "xinhuimagnet.com", "latrobemagnesium.com", "almonty.com", "perpetuaresources.com",
           "ucore.com", "arultd.com", "businesswire.com", "newswire.ca", "newsfilecorp.com",
           "einpresswire.com", "issuu.com/apmgraphics/docs/lyc_", "cobaltinstitute.org",
           "jsnm.or.jp", "seaisi.org", "mmta.co.uk", "wayenind.com", "mainrichinternational",
           "vinachem.com.vn", "globenewswire", "prnewswire", "accessnewswire")
PRA = ("argusmedia.com", "fastmarkets.com", "news.metal.com", "metal.com", "asianmetal",
       "benchmarkminerals", "metalnomist.com", "adamasintel.com", "projectblue.com",
       "theprojectbluegroup.com", "spglobal.com", "kallanish.com", "woodmac.com",
       "sunsirs.com")  # SunSirs (China Commodity Data Group): its own price assessments
PRESS = ("reuters.com", "mining.com", "northernminer.com", "canadianminingjournal.com",
         "koreaherald.com", "heraldcorp.com", "japanmetaldaily.com", "japanmetalbulletin.com",
         "kinzokufocus.com", "nikkei", "bloomberg", "brecorder.com", "malaymail.com",
         "nationthailand.com", "businesstimes.com.sg", "thewest.com.au", "australianmining",
         "people.cn", "chinadaily.com.cn", "oedigital.com", "rareearthexchanges.com",
         "investingnews.com", "marketscreener.com", "nasdaq.com", "yahoo.com",
         "greencarcongress.com", "automotiveworld.com", "manufacturingdive.com",
         "wastedive.com", "defensedaily.com", "enr.com", "pv-magazine", "compoundsemiconductor",
         "chemengonline.com", "gtreview.com", "silicon.co.uk", "reviewjournal.com",
         "missoulian.com", "cen.acs.org", "htsyndication.com", "livemint.com",
         "republicofmining.com", "miragenews.com", "nsenergybusiness.com", "ingrams.com",
         "defence-industry.eu", "australianmanufacturing", "australianminingreview",
         "themachinist.in", "rohstoff.net", "econotimes.com", "sharecafe.com.au",
         "stocktitan.net", "minelistings.com", "investing.com", "bankable.africa",
         "zimbabwenow.co.zw", "1stafrika.com", "en.cbcie.com", "adnkronos.com",
         "thestarnewsnetwork", "ndnorthnews", "beaver1003", "wtvbam", "inbusinessphx",
         "uniteddaily.my", "inautonews", "merkur.lu", "pm-review.com", "metals-wire",
         "metalswire", "rawmaterials.net", "minexforum", "directorstalk", "xm.com",
         "gmteight.com", "middle.news", "eternal-element", "wedoany", "chemradar",
         "visualcapitalist", "buildingtexasshow", "theoregongroup", "drepo.sdl")
ACADEMIC = ("doi.org/", "sciencedirect", "springer", "mdpi.com", "nature.com", "acs.org/doi",
            "wiley.com", "arxiv.org", "ssrn.com", ".edu")
COPY_WORDS = ("quoted", "copy", "copied", "via ", "summary", "summaris", "summariz", "mirror",
              "as reproduced", "transcribed in", "research notes", "third-party",
              "verification")
"""Words of a publisher or title that mark a copy or a summary ('summar' alone would also
match the USGS's own 'Mineral Commodity Summaries')."""


def kind_of(row: dict) -> str:
    """The source's kind from its URL host and wording (first rule that matches)."""
    url = str(row.get("url", "")).lower()
    text = f"{row.get('publisher', '')} {row.get('title', '')}".lower()
    if str(row.get("source_id", "")).startswith("usgs_mcs"):
        return "official"
    if "kind" in REPLACED.get(row.get("source_id"), {}):
        return REPLACED[row["source_id"]]["kind"]
    if any(w in text for w in COPY_WORDS) or "github.com" in url:
        return "secondary"
    for hosts, kind in ((OFFICIAL, "official"), (COMPANY, "company"), (PRA, "pra"),
                        (ACADEMIC, "academic"), (PRESS, "press")):
        if any(h in url for h in hosts):
            return kind
    return "secondary"


def blocked(text: str) -> bool:
    t = str(text).lower()
    return any(h in t for h in BLOCKED_HOSTS)


def _gap_rows(table: str, rows: pd.DataFrame, why: str) -> list[dict]:
    out = []
    for r in rows.to_dict("records"):
        year = r.get("year") or str(r.get("date", r.get("start", "")))[:4] or 2025
        out.append(dict(table=table, commodity=r.get("commodity", "ree") or "ree",
                        stage=r.get("stage", "") if table in ("production", "stage_shares",
                                                               "projects") else "",
                        country=r.get("country") or r.get("exporter") or "WORLD",
                        year=int(float(year)), reason=f"removed by the source audit: {why}"
                        + (f" (was {r.get('observable', '')} {r.get('date', '')} "
                           f"{r.get('value', '')} {r.get('unit', '')})".replace("  ", " ")
                           if table == "episodes" else ""), source_id=AUDIT_ID))
    return out


def audit_source() -> dict:
    return dict(source_id=AUDIT_ID, publisher="critmin project",
                title="Source audit of issue 20: rows whose only source was social media, a "
                      "content farm, an AI summary or an anonymous copy",
                table="tools/source_audit.py (DROPPED)", year=2026,
                url="tools/source_audit.py", licence="",
                note="gaps rows citing this id name the removed value and why", kind="secondary")


def apply(out_dir: Path, names: dict[str, list[str]]) -> dict[str, pd.DataFrame]:
    """Rewrite the tables in ``out_dir``: replacements, dropped rows to gaps, kinds."""
    tables = {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False)
              for p in sorted(out_dir.glob("*.csv"))}
    gaps, changed = [], {"sources", "gaps"}
    for name, df in tables.items():
        if name in ("sources", "gaps") or "source_id" not in df:
            continue
        hit = df["source_id"].isin(DROPPED)
        for sid in df.loc[hit, "source_id"].unique():
            gaps += _gap_rows(name, df[df["source_id"] == sid], DROPPED[sid])
        tables[name] = df[~hit]
        if hit.any():
            changed.add(name)
    g = tables["gaps"]
    g = g[~g["source_id"].isin(DROPPED)]
    tables["gaps"] = pd.concat([g, pd.DataFrame(gaps, dtype=str)], ignore_index=True
                               ).drop_duplicates(["table", "commodity", "stage", "country",
                                                  "year", "reason"])
    src = tables["sources"]
    src = src[~src["source_id"].isin(DROPPED)].copy()
    for sid, new in REPLACED.items():
        for col, value in new.items():
            if col == "kind":
                continue
            src.loc[src["source_id"] == sid, col] = value
    if not src["source_id"].eq(AUDIT_ID).any():
        src = pd.concat([src, pd.DataFrame([audit_source()], dtype=str)], ignore_index=True)
    src["kind"] = [kind_of(r) for r in src.to_dict("records")]
    src["primary"] = src["kind"].isin(("official", "company", "pra")).map(
        {True: "true", False: "false"})
    tables["sources"] = src
    bad = src[src["url"].map(blocked) | src["note"].map(blocked)]
    if len(bad):
        raise ValueError(f"sources citing blocked hosts: {list(bad['source_id'])}")
    for name in sorted(changed):
        df = tables[name]
        cols = names.get(name, list(df.columns))
        write_csv(df.reindex(columns=cols), out_dir / f"{name}.csv")
    return tables
