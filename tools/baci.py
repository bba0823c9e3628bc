"""CEPII BACI bilateral trade (HS6 values, 2022 and 2024) and the import shares from it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pycountry

BACI_HS = {
    "850511": "ndfeb_magnet", "283691": "lithium", "282200": "cobalt", "750210": "nickel",
    "250490": "graphite", "260200": "manganese", "811010": "antimony", "810194": "tungsten",
    "810411": "magnesium", "711011": "platinum", "711021": "palladium", "720292": "vanadium",
    # list coverage: HS codes of the extract that describe one listed commodity
    "720293": "niobium", "810820": "titanium", "810320": "tantalum", "811212": "beryllium",
    "740311": "copper", "260600": "bauxite", "251110": "barite", "252910": "feldspar",
    "252800": "boron", "251010": "phosphate", "252922": "fluorspar", "283692": "strontium",
    "280469": "silicon", "280470": "phosphorus", "280480": "arsenic",
}


HS_CAVEATS = {  # HS codes broader or narrower than the commodity
    "720293": "ferroniobium only", "252922": "acid grade (> 97 % CaF2) only",
    "283692": "strontium carbonate", "280469": "silicon < 99.99 % Si",
    "740311": "refined copper cathodes", "252800": "natural borates",
}


BACI_AREAS = {"S19": "TWN"}


"""BACI's "Other Asia, nes" (numeric 490, ISO-like S19) is Taiwan in UN trade statistics."""


def baci_flows(shared: Path):
    """Bilateral trade values for the HS codes of covered commodities, 2022 and 2024."""
    frames = []
    for year in (2022, 2024):
        df = pd.read_csv(shared / "trade-baci" / f"baci_{year}.csv", dtype={"cmd": str})
        df = df[df["cmd"].isin(BACI_HS)]
        frames.append(pd.DataFrame({
            "exporter": df["i"], "importer": df["j"], "hs6": df["cmd"],
            "commodity": df["cmd"].map(BACI_HS), "year": year, "value": df["value"].round(0),
            "source_id": "cepii_baci_v202601"}))
    flows = pd.concat(frames, ignore_index=True)
    flows["exporter"] = flows["exporter"].replace(BACI_AREAS)
    flows["importer"] = flows["importer"].replace(BACI_AREAS)
    valid = flows["exporter"].str.fullmatch(r"[A-Z]{3}") & flows["importer"].str.fullmatch(
        r"[A-Z]{3}")
    known = {c.alpha_3 for c in pycountry.countries}
    keep = valid & flows["exporter"].isin(known) & flows["importer"].isin(known)
    return flows[keep & (flows["value"] > 0)]


def import_shares_from_flows(flows: pd.DataFrame) -> pd.DataFrame:
    """Value shares of U.S. and Japanese imports by supplier (top 8 + OTHER), 2024."""
    rows = []
    for importer in ("USA", "JPN"):
        sub = flows[(flows["importer"] == importer) & (flows["year"] == 2024)]
        for (commodity, hs), g in sub.groupby(["commodity", "hs6"]):
            total = g["value"].sum()
            by = g.groupby("exporter")["value"].sum().sort_values(ascending=False)
            top = by.head(8)
            shares = (top / total).round(4)
            rest = round(1 - shares.sum(), 4)
            for exp, s in shares.items():
                rows.append((importer, commodity, "2024", exp, s, hs))
            if rest > 0:
                rows.append((importer, commodity, "2024", "OTHER", rest, hs))
    df = pd.DataFrame(rows, columns=["importer", "commodity", "period", "exporter", "share", "hs6"])
    df["basis"] = "value"
    df["estimated"] = True
    df["method"] = ("share of import value of HS " + df["hs6"] + " in CEPII BACI 2024"
                    + df["hs6"].map(lambda h: f" ({HS_CAVEATS[h]})" if h in HS_CAVEATS
                                    else ""))
    df["source_id"] = "cepii_baci_v202601"
    df["note"] = ""
    return df.drop(columns="hs6")

