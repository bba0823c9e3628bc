"""Build critmin's U.S. input-output tables from BEA's 2017 benchmark detail tables.

Source: U.S. Bureau of Economic Analysis, Input-Output Accounts, 2017 benchmark, detail
level (402 industries/commodities): "The Use of Commodities by Industries, Before
Redefinitions, Producers' Prices" and "The Make of Commodities by Industries, Before
Redefinitions" (AllTablesIO.zip, https://apps.bea.gov/industry/iTables%20Static%20Files/
AllTablesIO.zip, file dated 2024-05). Read here from the R data files in which the U.S. EPA's
useeior package (github.com/USEPA/useeior, data/Detail_Use_2017_PRO_BeforeRedef_17sch.rda,
data/Detail_Make_2017_BeforeRedef_17sch.rda, data/Detail_IndustryCodeName_2017.rda)
vendors those BEA tables unchanged; cite BEA.

Usage (needs the ``rdata`` package, a build-time tool only)::

    python tools/io_bea2017.py DIR_WITH_RDA_FILES

Writes, in million USD (2017), to ``src/critmin/data/io_tables/``:
``usa_bea2017_industries.csv`` (industry, name, output_musd, value_added_musd,
compensation_musd), ``usa_bea2017_use.csv`` (commodity, industry, musd: intermediate use,
non-zero cells) and ``usa_bea2017_make.csv`` (industry, commodity, musd: non-zero cells).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import rdata

OUT = Path(__file__).resolve().parents[1] / "src/critmin/data/io_tables"


def _read(d: Path, name: str) -> pd.DataFrame:
    return rdata.read_rda(d / f"{name}.rda")[name]


def main(d: Path) -> None:
    use = _read(d, "Detail_Use_2017_PRO_BeforeRedef_17sch")
    make = _read(d, "Detail_Make_2017_BeforeRedef_17sch")
    names = _read(d, "Detail_IndustryCodeName_2017")
    use.index, use.columns = use.index.astype(str), use.columns.astype(str)
    make.index, make.columns = make.index.astype(str), make.columns.astype(str)
    named = dict(zip(names.iloc[:, 0].astype(str), names.iloc[:, 1].astype(str), strict=True))
    # the before-redefinitions use table merges a few detail industries (e.g. 331314 into
    # 331313); keep the codes it has as columns (industries) and rows (commodities)
    inds = [c for c in named if c in use.columns]
    coms = [c for c in named if c in use.index]
    ind = pd.DataFrame({
        "industry": inds, "name": [named[c] for c in inds],
        "output_musd": use.loc["T008", inds].to_numpy(float),
        "value_added_musd": use.loc["T006", inds].to_numpy(float),
        "compensation_musd": use.loc["V00100", inds].to_numpy(float)})
    cells = use.loc[coms, inds].stack().rename("musd").reset_index()
    cells.columns = ["commodity", "industry", "musd"]
    cells = cells[cells["musd"].ne(0)]
    mk = make.loc[[c for c in inds if c in make.index],
                  [c for c in coms if c in make.columns]].stack().rename("musd").reset_index()
    mk.columns = ["industry", "commodity", "musd"]
    mk = mk[mk["musd"].ne(0)]
    OUT.mkdir(parents=True, exist_ok=True)
    ind.to_csv(OUT / "usa_bea2017_industries.csv", index=False)
    cells.to_csv(OUT / "usa_bea2017_use.csv", index=False)
    mk.to_csv(OUT / "usa_bea2017_make.csv", index=False)
    print(len(ind), "industries;", len(cells), "use cells;", len(mk), "make cells")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
