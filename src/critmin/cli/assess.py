"""``critmin assess``: concentration, import reliance, chokepoints and criticality."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from critmin.cli.checks import check_output
from critmin.cli.common import DataPath, console, err, load_net
from critmin.data.schemas import STAGES


def register(app: typer.Typer) -> None:
    """Add ``assess`` to the main command line."""
    app.command("assess")(assess_cmd)


def _pct(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{100 * x:.0f} %"


def assess_cmd(
    country: Annotated[list[str] | None, typer.Option(
        "--country", help="importer ISO3 to assess (repeat for several); default USA and JPN")]
    = None,
    stage: Annotated[str | None, typer.Option(
        help=f"only this stage: {', '.join(STAGES)}, reserves")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON records")] = False,
    csv: Annotated[Path | None, typer.Option("--csv", help="write the records as CSV")] = None,
    plot: Annotated[Path | None, typer.Option(
        "--plot", help="write a Plotly heatmap and ranking chart to this HTML file")] = None,
    data: DataPath = None,
) -> None:
    """Vulnerability assessment: concentration, import reliance, chokepoints, criticality."""
    from critmin.metrics.assessment import assess

    check_output(csv, "assess --csv")
    check_output(plot, "assess --plot")
    net = load_net(data)
    importers = tuple(c.upper() for c in (country or ["USA", "JPN"]))
    if stage is not None and stage not in (*STAGES, "reserves"):
        err.print(f"unknown stage {stage!r}; choose one of: {', '.join(STAGES)}, reserves")
        raise typer.Exit(2)
    known = set(net.import_reliance["importer"]) | set(net.import_sources["importer"])
    unknown = [c for c in importers if c not in known]
    if unknown:
        err.print(f"no import data for {', '.join(unknown)}; loaded importers: "
                  f"{', '.join(sorted(known))} (add rows to import_reliance/import_sources)")
        raise typer.Exit(2)
    result = assess(net, importers, stage)
    records = result.records()
    if csv is not None:
        from critmin.store.export import write_export

        write_export(pd.json_normalize(records, sep="."), csv, "csv")  # formula-safe cells
    if plot is not None:
        from critmin.report.figures import concentration_heatmap, ranking_chart, write_html

        write_html([concentration_heatmap(result), ranking_chart(result, "eu"),
                    ranking_chart(result, "us")], plot, "critmin assessment")
    if as_json:
        typer.echo(json.dumps(records, indent=1))
        return
    for view in _assess_views(records, importers, result.countries):
        console.print(view)
    console.print("lists: official critical-mineral lists naming the commodity (EU = EU "
                  "2023, US22/US25 = USGS 2022/2025). HHI 0-10,000 (rest of world counted as "
                  "fragmented). NIR: net import reliance. EU SR: EU-style supply risk; US "
                  "risk: disruption potential x trade exposure x economic vulnerability; "
                  "(rank; = tied, critmin glossary rank). Formulas: "
                  "critmin.metrics.criticality.", highlight=False)


def _assess_views(records: list[dict], importers: tuple[str, ...],
                  countries: pd.DataFrame) -> list[Table]:
    """Concentration by stage (highest China share first) and criticality per importer
    (highest U.S.-style supply risk of the first importer first: it scales with the
    importer's own trade exposure, where the EU-style score of a commodity the importer
    barely imports can still be high; unscored ones after, by EU-style supply risk); each
    fits 80 columns for two importers."""
    from rich import box

    from critmin.report.fmt import pct

    def table(title: str) -> Table:
        return Table(title=title, box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False,
                     show_edge=False, collapse_padding=True, title_justify="left")

    conc = table("critmin assess — concentration by stage (China's share first)")
    for c, w in (("commodity", 12), ("lists", 12), ("stage", 8), ("year", 4), ("HHI", 6),
                 ("top", 9), ("China", 5)):
        conc.add_column(c, justify="left" if c in ("commodity", "lists", "stage")
                        else "right", width=w, no_wrap=True, overflow="ellipsis")
    for r in sorted(records, key=lambda r: (-(r["china_share"] or 0), -(r["hhi"] or 0))):
        lists = ",".join(x.replace("USGS_20", "US").replace("EU_2023", "EU")
                         .replace("EU_", "EU") for x in r.get("official_lists", []))
        conc.add_row(r["commodity"], lists, r["stage"], str(r["year"]),
                     f"{r['hhi']:,.0f}", f"{r['top_country']} {_pct(r['top_share'])}",
                     _pct(r["china_share"]))
    crit = table(f"criticality by importer ({importers[0]}'s highest U.S.-style supply risk "
                 "first)")
    crit.add_column("commodity", width=12, no_wrap=True, overflow="ellipsis")
    for imp in importers:
        crit.add_column(f"{imp}\nNIR", justify="right", width=6, no_wrap=True)
        crit.add_column(f"{imp}\nEU SR", justify="right", width=10, no_wrap=True)
        crit.add_column(f"{imp}\nUS risk", justify="right", width=11, no_wrap=True)
    by_commodity = {r["commodity"]: r["countries"] for r in records}
    # every ranked commodity counts, listed or not (single rare earths scored via 'ree')
    ties = {(imp, m): Counter(countries.loc[countries["importer"].eq(imp), f"{m}_rank"]
                              .dropna().tolist())
            for imp in importers for m in ("eu", "us")}

    def key(item):
        c = item[1].get(importers[0], {})
        us, eu = c.get("us_supply_risk"), c.get("eu_supply_risk")
        return (us is None, -(us or 0.0), -(eu if eu is not None else -1.0), item[0])

    for commodity, countries in sorted(by_commodity.items(), key=key):
        cells = [commodity]
        for imp in importers:
            c = countries.get(imp, {})
            nir = pct(c.get("import_reliance"), c.get("import_reliance_qualifier"))
            cells += [nir.replace(" (net exporter)", ""),
                      _score(c, "eu", "{:.2f}", ties[imp, "eu"]),
                      _score(c, "us", "{:.3f}", ties[imp, "us"])]
        crit.add_row(*cells)
    return [conc, crit]


def _score(c: dict, method: str, fmt: str, ties: Counter | None = None) -> str:
    """'2.80 (12=)': the score and its rank, = where other commodities share the rank."""
    v = c.get(f"{method}_supply_risk")
    if v is None:
        return "—"
    rank = c.get(f"{method}_rank")
    if rank is None:
        return fmt.format(v)
    tied = "=" if (ties or {}).get(rank, 1) > 1 else ""
    return fmt.format(v) + f" ({rank:.0f}{tied})"
