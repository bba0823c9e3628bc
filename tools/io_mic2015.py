"""Build critmin's Japan input-output tables from the MIC 2015 basic tables.

Source: Ministry of Internal Affairs and Communications (MIC) and ten ministries, 2015
Input-Output Tables for Japan (平成27年産業連関表), basic transactions table at producers'
prices (509 goods rows x 391 sector columns, billion yen) and the V table (make matrix,
goods x sectors). Read here from the workbook ``check_japan_2015_basic_std.xlsx`` in which
Shiro Takeda's Japanese_SAM_for_CGE project (github.com/ShiroTakeda/Japanese_SAM_for_CGE,
Make_IO/data_check, commit f1c4129) lays out those MIC tables unchanged (sheets
``Value_data``, ``V_table_data``, ``Set_data``); cite MIC.

Usage (build time only)::

    python tools/io_mic2015.py PATH/check_japan_2015_basic_std.xlsx

Writes, in billion yen (2015), to ``src/critmin/data/io_tables/``:
``jpn_mic2015_industries.csv`` (industry, name, output_byen, value_added_byen: gross value
added, the table's rows ohcr..subs), ``jpn_mic2015_use.csv`` (commodity, industry, byen:
intermediate use of goods by sectors, non-zero cells) and ``jpn_mic2015_make.csv``
(industry, commodity, byen: the V table transposed, non-zero cells) and
``jpn_mic2015_goods.csv`` (commodity, name, output_byen, imports_byen: imports with duties and
import taxes, positive; exports_byen). The basic table is competitive-import: intermediate
use includes imported goods; critmin removes them by each good's import share of domestic
demand (``critmin.metrics.impact.io_table_jpn``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "src/critmin/data/io_tables"
VA_ROWS = ("ohcr", "wage", "ssce", "othp", "opse", "depr", "drsc", "idtx", "subs")
IMPORTS = ("impo", "impd", "imta", "imtx")
EXPORTS = ("expo", "expd")


def _sheet(wb, name: str) -> pd.DataFrame:
    rows = list(wb[name].iter_rows(values_only=True))
    head = [str(c) for c in rows[2][1:]]
    body = [r for r in rows[3:] if r[0] is not None]
    return pd.DataFrame([r[1:] for r in body], index=[str(r[0]) for r in body],
                        columns=head).fillna(0.0)


def main(path: Path) -> None:
    wb = openpyxl.load_workbook(path, read_only=True)
    sets = list(wb["Set_data"].iter_rows(min_row=4, values_only=True))
    sectors = {str(r[3]): str(r[4]) for r in sets if r[3]}
    good_names = {str(r[0]): str(r[1]) for r in sets if r[0]}
    goods = list(good_names)
    val = _sheet(wb, "Value_data")
    v = _sheet(wb, "V_table_data")
    inds = [s for s in sectors if s in val.columns]
    ind = pd.DataFrame({
        "industry": inds, "name": [sectors[s] for s in inds],
        "output_byen": val.loc["Total", inds].to_numpy(float),
        "value_added_byen": val.loc[list(VA_ROWS), inds].astype(float).sum().to_numpy()})
    use = val.loc[[g for g in goods if g in val.index], inds].astype(float)
    use = use.stack().rename("byen").reset_index()
    use.columns = ["commodity", "industry", "byen"]
    mk = v.loc[[g for g in goods if g in v.index], [s for s in inds if s in v.columns]]
    mk = mk.astype(float).T.stack().rename("byen").reset_index()
    mk.columns = ["industry", "commodity", "byen"]
    rows = [g for g in goods if g in val.index]
    gd = pd.DataFrame({
        "commodity": rows, "name": [good_names[g] for g in rows],
        "output_byen": val.loc[rows, "Total"].astype(float).to_numpy(),
        "imports_byen": -val.loc[rows, list(IMPORTS)].astype(float).sum(axis=1).to_numpy(),
        "exports_byen": val.loc[rows, list(EXPORTS)].astype(float).sum(axis=1).to_numpy()})
    OUT.mkdir(parents=True, exist_ok=True)
    gd.to_csv(OUT / "jpn_mic2015_goods.csv", index=False, float_format="%.6g")
    ind.to_csv(OUT / "jpn_mic2015_industries.csv", index=False, float_format="%.6g")
    use[use["byen"].ne(0)].to_csv(OUT / "jpn_mic2015_use.csv", index=False,
                                  float_format="%.6g")
    mk[mk["byen"].ne(0)].to_csv(OUT / "jpn_mic2015_make.csv", index=False,
                                float_format="%.6g")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
