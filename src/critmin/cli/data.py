"""``critmin data validate|list|summary|sources|schema``: inspect and validate the
supply-chain dataset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from critmin.cli.checks import check_output, fail, output_format
from critmin.cli.common import DataPath, console, err, load_net, records
from critmin.data.schemas import SOURCE_KINDS, STAGES, TABLES
from critmin.store.export import write_text

data_app = typer.Typer(help="Inspect and validate the supply-chain dataset.",
                       no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``data`` to the main command line."""
    app.add_typer(data_app, name="data")


@data_app.command("validate")
def data_validate(
    path: Annotated[Path | None, typer.Argument(help="directory of tables to check")] = None,
) -> None:
    """Validate the shipped data, or PATH merged over it; one line per problem."""
    net = load_net(path)
    n = sum(len(df) for df in net.tables.values())
    console.print(f"[green]valid[/]: {len(net.tables)} tables, {n:,} rows")


@data_app.command("list")
def data_list(
    table: Annotated[str, typer.Argument(help=f"one of: {', '.join(TABLES)}")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON records")] = False,
    csv: Annotated[bool, typer.Option("--csv", help="CSV: to --output, else stdout")] =
        False,
    xlsx: Annotated[bool, typer.Option("--xlsx", help="Excel: to --output, else "
                                                      "TABLE.xlsx")] = False,
    parquet: Annotated[bool, typer.Option("--parquet", help="Parquet: to --output, else "
                                                            "TABLE.parquet")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="file to write")] =
        None,
    commodity: Annotated[str | None, typer.Option(help="only this commodity")] = None,
    country: Annotated[str | None, typer.Option(
        help="only rows naming this ISO3 country (country, importer, exporter, ...)")] = None,
    data: DataPath = None,
    limit: Annotated[int, typer.Option(min=1, help="rows to show in the table view")] = 50,
) -> None:
    """Print one table of the dataset, or write it as CSV, Excel or Parquet (all rows;
    text cells that would start a spreadsheet formula are neutralised)."""
    from critmin.data.select import FilterError, filter_rows

    if table not in TABLES:
        fail(f"data list: unknown table {table!r}; choose one of: {', '.join(TABLES)}")
    formats = [f for f, on in (("json", as_json), ("csv", csv), ("xlsx", xlsx),
                                ("parquet", parquet)) if on]
    if len(formats) > 1:
        fail("data list: choose one of --json, --csv, --xlsx, --parquet")
    fmt = output_format(output, formats[0] if formats else None,
                        ("csv", "xlsx", "parquet", "json"), "data list")
    if fmt in ("xlsx", "parquet") and output is None:
        output = Path(f"{table}.{fmt}")
    check_output(output, "data list")
    net = load_net(data)
    try:
        df = filter_rows(net.tables[table], table, commodity, country,
                         commodities=net.tables["commodities"])
    except FilterError as exc:
        fail(f"data list: {exc}")
    if fmt == "json":
        text = json.dumps(records(df), indent=1)
        if output is None:
            typer.echo(text)
            return
        write_text(output, text + "\n")
        err.print(f"{len(df):,} rows written to {output}", highlight=False)
        return
    if fmt is not None:
        from critmin.store.export import CSV_EOL, safe_frame, write_export

        if output is None:
            typer.echo(safe_frame(df).to_csv(index=False, lineterminator=CSV_EOL), nl=False)
            return
        write_export(df, output, fmt)
        err.print(f"{len(df):,} rows written to {output}", highlight=False)
        return
    if as_json:
        typer.echo(json.dumps(records(df), indent=1))
        return
    view = Table(title=f"{table} ({len(df):,} rows)", title_justify="left")
    for c in df.columns:
        view.add_column(c, overflow="fold")
    for row in df.head(limit).itertuples(index=False):
        view.add_row(*("" if pd.isna(v) else str(v) for v in row))
    console.print(view)
    if len(df) > limit:
        console.print(f"showing {limit:,} of {len(df):,} rows; --limit N, --csv or --json "
                      "for more", highlight=False)


@data_app.command("summary")
def data_summary(
    data: DataPath = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON records")] = False,
) -> None:
    """Per commodity: world output, top producer, China's share per stage, U.S./Japan reliance."""
    from critmin.metrics.summary import commodity_summary

    df = commodity_summary(load_net(data))
    if as_json:
        typer.echo(json.dumps(records(df), indent=1))
        return
    console.print(_summary_view(df))
    console.print("CN: China's share of world output by stage, %; NIR: net import reliance, "
                  "% of apparent consumption (E = net exporter); rare earths in t REO. "
                  "Sources: `critmin data sources`.", highlight=False)


def _compact(value, unit: str) -> str:
    """1,234,567 t -> '1.2 Mt', 1.6e9 t -> '1.6 Gt' (t REO shown as t); shares only ->
    'shares'."""
    if value is None or pd.isna(value):
        return "shares"
    unit = {"t REO": "t", "million m3": "Mm3"}.get(unit, unit)
    for div, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= div and unit == "t":
            return f"{value / div:,.{0 if value >= 10 * div else 1}f} {prefix}t"
    return f"{value:,.0f} {unit}"


def _summary_view(df: pd.DataFrame) -> Table:
    """Commodity supply at a glance; fits 80 columns (China's share per stage in %)."""
    from rich import box

    from critmin.report.fmt import pct

    def share(v):
        return "" if v is None or pd.isna(v) else f"{100 * v:.0f}"

    def nir(v, q):
        return pct(v, q).replace(" %", "").replace(" (net exporter)", "")

    view = Table(title="critmin — supply by commodity (latest year with data)",
                 box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False, show_edge=False,
                 collapse_padding=True,
                 title_justify="left")
    heads = [("commodity", 12), ("year", 4), ("world\noutput", 7), ("top\nprod.", 7),
             *[(f"CN\n{s[:5]}", 5) for s in STAGES], ("US\nNIR", 4), ("JP\nNIR", 4)]
    for c, width in heads:
        view.add_column(c, justify="left" if c == "commodity" else "right", no_wrap=True,
                        width=width, overflow="ellipsis")
    order = df.assign(_cn=df[[f"china_share_{s}" for s in STAGES]].max(axis=1))
    for r in order.sort_values("_cn", ascending=False).itertuples(index=False):
        view.add_row(r.commodity, str(r.year), _compact(r.world_output, r.unit),
                     f"{r.top_country} {share(r.top_share)}",
                     *[share(getattr(r, f"china_share_{s}")) for s in STAGES],
                     nir(r.usa_import_reliance, r.usa_reliance_qualifier),
                     nir(r.jpn_import_reliance, r.jpn_reliance_qualifier))
    return view


@data_app.command("sources")
def data_sources(
    data: DataPath = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON records")] = False,
    kind: Annotated[str | None, typer.Option(
        help="only sources of this kind: official, company, pra, press, academic, "
             "secondary")] = None,
) -> None:
    """List every source (or those of one --kind) with the number of rows that cite it."""
    net = load_net(data)
    src = net.sources.assign(rows=net.citations())
    if kind is not None:
        if kind not in SOURCE_KINDS:
            fail(f"data sources: unknown --kind {kind!r}; choose one of: "
                 f"{', '.join(SOURCE_KINDS)}")
        src = src[src["kind"].eq(kind)] if "kind" in src else src.iloc[:0]
    if as_json:
        typer.echo(json.dumps(records(src), indent=1))
        return
    flag = src["kind"].fillna("unknown") if "kind" in src else pd.Series(
        "unknown", index=src.index)
    counts = flag.value_counts()
    view = Table(title="sources")
    for c in ("source_id", "publisher", "title", "table", "year", "url", "kind", "rows"):
        view.add_column(c, overflow="fold")
    for r, k in zip(src.itertuples(index=False), flag, strict=True):
        view.add_row(r.source_id, r.publisher, r.title, r.table or "", str(r.year), r.url,
                     k if k in ("official", "company", "pra") else f"[yellow]{k}[/]",
                     str(r.rows))
    console.print(view)
    console.print(", ".join(f"{n} {k}" for k, n in counts.items())
                  + " (official, company and pra count as primary; secondary is a copy, "
                    "quotation or summary)", highlight=False)


@data_app.command("balances")
def data_balances(
    data: DataPath = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON records")] = False,
) -> None:
    """Supply vs use per chain step (REE mined -> separated -> NdPr/Dy/Tb -> magnets;
    lithium, cobalt, graphite, nickel mined -> refined): gap (t) and status ok, explained
    (cited gap or sourced scrap feed) or fail."""
    from critmin.metrics.balances import balances

    df = balances(load_net(data))
    if as_json:
        typer.echo(json.dumps(records(df), indent=1))
        return
    view = Table(title="balances (t; rare earths t REO)")
    for c in ("chain", "step", "year", "supply_t", "use_t", "gap_t", "status", "explanation"):
        view.add_column(c, overflow="fold")
    colour = {"ok": "green", "explained": "yellow", "fail": "red"}
    for r in df.to_dict("records"):
        view.add_row(r["chain"], r["step"], "" if pd.isna(r["year"]) else str(int(r["year"])),
                     *("" if r[k] is None or pd.isna(r[k]) else f"{r[k]:,.0f}"
                       for k in ("supply_t", "use_t", "gap_t")),
                     f"[{colour[r['status']]}]{r['status']}[/]", r["explanation"])
    console.print(view)


@data_app.command("schema")
def data_schema(
    table: Annotated[str | None, typer.Argument(help="table name; all when omitted")] = None,
) -> None:
    """Document the tables: columns, types, units, allowed values."""
    if table is not None and table not in TABLES:
        typer.echo(f"data schema: unknown table {table!r}; choose one of: "
                   f"{', '.join(TABLES)}", err=True)
        raise typer.Exit(2)
    names = [table] if table else list(TABLES)
    for name in names:
        schema = TABLES[name]
        view = Table(title=f"{name} — {schema.description} key: {', '.join(schema.key)}")
        for c in ("column", "type", "unit", "required", "allowed / range", "description"):
            view.add_column(c, overflow="fold")
        for col in schema.columns:
            rng = ", ".join(col.allowed) if col.allowed else ""
            if col.minimum is not None or col.maximum is not None:
                rng = f"[{col.minimum if col.minimum is not None else ''}, " \
                      f"{col.maximum if col.maximum is not None else ''}]"
            if col.references:
                rng = f"-> {col.references[0]}.{col.references[1]}"
            if col.country:
                rng = "ISO3, OTHER, WORLD"
            view.add_row(col.name, col.dtype, col.unit or "", "yes" if col.required else "",
                         rng, col.description)
        console.print(view)

