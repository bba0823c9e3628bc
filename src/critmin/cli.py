"""The ``critmin`` command line: parse, call one core function, render."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from critmin.data.schemas import STAGES, TABLES
from critmin.data.validate import DataValidationError

app = typer.Typer(help="critmin: critical-minerals and rare-earth supply security.",
                  no_args_is_help=True)
data_app = typer.Typer(help="Inspect and validate the supply-chain dataset.",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")
scenarios_app = typer.Typer(help="Disruption scenario presets.", no_args_is_help=True)
app.add_typer(scenarios_app, name="scenarios")

console = Console()
err = Console(stderr=True)
from critmin.cli_checks import quiet_flag_types  # noqa: E402

quiet_flag_types()  # `--json` in --help, not `--json <bool>`

DataPath = Annotated[
    Path | None,
    typer.Option("--data", help="directory of tables overriding/extending the shipped data"),
]


def _load(path: Path | None):
    from critmin.model.network import load

    try:
        return load(path)
    except DataValidationError as exc:
        for p in exc.problems:
            typer.echo(str(p), err=True)
        raise typer.Exit(1) from exc


def _records(df: pd.DataFrame) -> list[dict]:
    """JSON-safe records: NaN and NA become null."""
    out = json.loads(df.to_json(orient="records", date_format="iso"))
    return out


def _pct(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{100 * x:.0f} %"


@data_app.command("validate")
def data_validate(
    path: Annotated[Path | None, typer.Argument(help="directory of tables to check")] = None,
) -> None:
    """Validate the shipped data, or PATH merged over it; one line per problem."""
    net = _load(path)
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
    from critmin.cli_checks import check_output, fail
    from critmin.data.select import FilterError, filter_rows

    if table not in TABLES:
        fail(f"data list: unknown table {table!r}; choose one of: {', '.join(TABLES)}")
    formats = [f for f, on in (("csv", csv), ("xlsx", xlsx), ("parquet", parquet)) if on]
    if len(formats) + as_json > 1:
        fail("data list: choose one of --json, --csv, --xlsx, --parquet")
    fmt = formats[0] if formats else None
    if fmt in ("xlsx", "parquet") and output is None:
        output = Path(f"{table}.{fmt}")
    check_output(output, "data list")
    try:
        df = filter_rows(_load(data).tables[table], table, commodity, country)
    except FilterError as exc:
        fail(f"data list: {exc}")
    if fmt is not None:
        from critmin.store.export import safe_frame, write_export

        if output is None:
            typer.echo(safe_frame(df).to_csv(index=False), nl=False)
            return
        write_export(df, output, fmt)
        err.print(f"{len(df):,} rows written to {output}", highlight=False)
        return
    if as_json:
        typer.echo(json.dumps(_records(df), indent=1))
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

    df = commodity_summary(_load(data))
    if as_json:
        typer.echo(json.dumps(_records(df), indent=1))
        return
    console.print(_summary_view(df))
    console.print("CN: China's share of world output by stage, %; NIR: net import reliance, "
                  "% of apparent consumption (E = net exporter); rare earths in t REO. "
                  "Sources: `critmin data sources`.", highlight=False)


def _compact(value, unit: str) -> str:
    """1,234,567 t -> '1.2 Mt' (t REO shown as t); shares only -> 'shares'."""
    if value is None or pd.isna(value):
        return "shares"
    unit = {"t REO": "t", "million m3": "Mm3"}.get(unit, unit)
    for div, prefix in ((1e6, "M"), (1e3, "k")):
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
) -> None:
    """List every source with the number of rows that cite it."""
    net = _load(data)
    src = net.sources.assign(rows=net.citations())
    if as_json:
        typer.echo(json.dumps(_records(src), indent=1))
        return
    flag = src["primary"].map({True: "primary", False: "secondary"}).fillna("unknown") \
        if "primary" in src else pd.Series("unknown", index=src.index)
    counts = flag.value_counts()
    view = Table(title="sources")
    for c in ("source_id", "publisher", "title", "table", "year", "url", "kind", "rows"):
        view.add_column(c, overflow="fold")
    for r, kind in zip(src.itertuples(index=False), flag, strict=True):
        view.add_row(r.source_id, r.publisher, r.title, r.table or "", str(r.year), r.url,
                     kind if kind == "primary" else f"[yellow]{kind}[/]", str(r.rows))
    console.print(view)
    console.print(f"{counts.get('primary', 0)} primary, {counts.get('secondary', 0)} secondary "
                  "(a copy, quotation or summary of the publisher's document)"
                  + (f", {counts['unknown']} not flagged" if "unknown" in counts else ""))


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
        for c in schema.columns:
            rng = ", ".join(c.allowed) if c.allowed else ""
            if c.minimum is not None or c.maximum is not None:
                rng = f"[{c.minimum if c.minimum is not None else ''}, " \
                      f"{c.maximum if c.maximum is not None else ''}]"
            if c.references:
                rng = f"-> {c.references[0]}.{c.references[1]}"
            if c.country:
                rng = "ISO3, OTHER, WORLD"
            view.add_row(c.name, c.dtype, c.unit or "", "yes" if c.required else "", rng,
                         c.description)
        console.print(view)


@app.command("assess")
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
    from critmin.cli_checks import check_output
    from critmin.metrics.assessment import assess

    check_output(csv, "assess --csv")
    check_output(plot, "assess --plot")
    net = _load(data)
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
    for view in _assess_views(records, importers):
        console.print(view)
    console.print("lists: official critical-mineral lists naming the commodity (EU = EU "
                  "2023, US22/US25 = USGS 2022/2025). HHI 0-10,000 (rest of world counted as "
                  "fragmented). NIR: net import reliance. EU SR: EU-style supply risk; US "
                  "risk: disruption potential x trade exposure x economic vulnerability; "
                  "(rank). Formulas: critmin.metrics.criticality.", highlight=False)


def _assess_views(records: list[dict], importers: tuple[str, ...]) -> list[Table]:
    """Concentration by stage (highest China share first) and criticality per importer
    (highest EU-style supply risk first); each fits 80 columns for two importers."""
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
    crit = table("criticality by importer (highest EU-style supply risk first)")
    crit.add_column("commodity", width=12, no_wrap=True, overflow="ellipsis")
    for imp in importers:
        crit.add_column(f"{imp}\nNIR", justify="right", width=6, no_wrap=True)
        crit.add_column(f"{imp}\nEU SR", justify="right", width=9, no_wrap=True)
        crit.add_column(f"{imp}\nUS risk", justify="right", width=10, no_wrap=True)
    by_commodity = {r["commodity"]: r["countries"] for r in records}

    def key(item):
        c = item[1].get(importers[0], {})
        return -(c.get("eu_supply_risk") or -1)

    for commodity, countries in sorted(by_commodity.items(), key=key):
        cells = [commodity]
        for imp in importers:
            c = countries.get(imp, {})
            nir = pct(c.get("import_reliance"), c.get("import_reliance_qualifier"))
            cells += [nir.replace(" (net exporter)", ""), _score(c, "eu", "{:.2f}"),
                      _score(c, "us", "{:.3f}")]
        crit.add_row(*cells)
    return [conc, crit]


def _score(c: dict, method: str, fmt: str) -> str:
    v = c.get(f"{method}_supply_risk")
    if v is None:
        return "—"
    rank = c.get(f"{method}_rank")
    return fmt.format(v) + (f" ({rank:.0f})" if rank is not None else "")


def _stored_run(net, sc, samples: int, seed: int, db: Path | None):
    """Simulate (or reuse the stored run of) ``sc``; local processes for large runs."""
    from critmin.simulate.runner import close_executor, make_executor, simulate
    from critmin.store import ResultsStore

    store = ResultsStore(db)
    executor = make_executor(None, None if samples > 8192 else 1)
    try:
        return store, simulate(net, sc, samples=samples, seed=seed, store=store,
                               executor=executor, model="v1")  # optimize --model v1
    finally:
        close_executor(executor)


def _scenario(id_or_file: str, net, check: str | None = None):
    """The scenario; with ``check`` (the command's name) also its codes against the data
    (exit 2) and a warning for commodities it names that cannot be simulated."""
    from critmin.scenarios import ScenarioError, get_scenario

    try:
        sc = get_scenario(id_or_file, net)
    except ScenarioError as exc:
        for line in str(exc).splitlines():
            typer.echo(line, err=True)
        raise typer.Exit(2) from exc
    if check:
        from critmin.cli_checks import check_scenario

        check_scenario(net, sc, check)
    return sc


@scenarios_app.command("list")
def scenarios_list(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON records")] = False,
    data: DataPath = None,
) -> None:
    """List preset and generated (N-1) scenarios."""
    from critmin.scenarios import scenario_catalogue

    cat = scenario_catalogue(_load(data))
    rows = [dict(id=s.id, name=s.name, start=s.start.isoformat(),
                 horizon_quarters=s.horizon_quarters, commodities=s.commodities,
                 controls=len(s.controls), outages=len(s.outages), sources=s.sources)
            for s in cat.values()]
    if as_json:
        typer.echo(json.dumps(rows, indent=1))
        return
    view = Table(title=f"scenarios ({len(rows)})")
    for c in ("id", "name", "start", "quarters", "controls", "outages"):
        view.add_column(c, overflow="fold")
    for r in rows:
        view.add_row(r["id"], r["name"], r["start"], str(r["horizon_quarters"]),
                     str(r["controls"]), str(r["outages"]))
    console.print(view)


@scenarios_app.command("show")
def scenarios_show(
    scenario_id: Annotated[str, typer.Argument(help="preset id, n1:COMMODITY:STAGE or file")],
    data: DataPath = None,
) -> None:
    """Print one scenario as YAML."""
    import yaml

    sc = _scenario(scenario_id, _load(data))
    typer.echo(yaml.safe_dump(sc.model_dump(mode="json", exclude_defaults=True),
                              sort_keys=False))


@app.command("simulate")
def simulate_cmd(
    scenario: Annotated[str, typer.Option(help="preset id, n1:COMMODITY:STAGE, or a "
                                               "YAML/JSON file")],
    samples: Annotated[int, typer.Option(min=1, help="Monte Carlo samples")] = 10_000,
    seed: Annotated[int, typer.Option(min=0, max=2**32 - 1, help="random seed")] = 0,
    horizon: Annotated[int | None, typer.Option(min=1, max=80,
                                                help="quarters to simulate")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON results")] = False,
    scheduler: Annotated[str | None, typer.Option(
        help="Dask scheduler address (tcp://host:8786); local processes otherwise")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="local worker processes")] = None,
    chunk_size: Annotated[int, typer.Option(min=1, help="samples per task")] = 8192,
    db: Annotated[Path | None, typer.Option(help="results store (default $CRITMIN_DB)")] =
        None,
    compare_response: Annotated[bool, typer.Option(
        help="also run without the Rapid Response Group rules to value them")] = True,
    rows: Annotated[int, typer.Option(min=1, help="table rows to print, most affected "
                                                  "first (--json has all)")] = 20,
    yes: Annotated[bool, typer.Option(
        "--yes", help="start even when the run is estimated past an hour or half the "
                      "free disk")] = False,
    priors: Annotated[bool, typer.Option(
        "--priors", help="v1: sample the uncalibrated priors, not the shipped posterior "
                         "(v2 samples its priors by default)")] = False,
    posterior: Annotated[bool, typer.Option(
        "--posterior", help="v2: sample the shipped v2 posterior, not the priors (out of "
                            "sample it backtests worse: docs/calibration.md)")] = False,
    model: Annotated[str, typer.Option(
        help="market model: v2 (monthly, stages and regions; the default) or v1 "
             "(quarterly, two segments)")] = "v2",
    data: DataPath = None,
) -> None:
    """Monte Carlo simulation of a disruption scenario through the market model."""
    import os
    import sys

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from critmin.cli_brief import open_store
    from critmin.cli_checks import check_scheduler, fail, guard_size, local_executor
    from critmin.simulate.report import simulation_report
    from critmin.simulate.runner import close_executor, make_executor, simulate

    if model not in ("v1", "v2"):
        fail(f"simulate: --model {model}: unknown model; use v1 or v2")
    if priors and posterior:
        fail("simulate: --priors and --posterior exclude each other; choose one")
    if posterior and model != "v2":
        fail("simulate: --posterior applies to --model v2 (v1 samples its posterior "
             "unless --priors)")
    if scheduler:
        check_scheduler(scheduler)
    net = _load(data)
    sc = _scenario(scenario, net, check="simulate")
    store = open_store(db)
    variants = [True, False] if (compare_response and sc.responses) else [True]
    n_workers = 1 if samples <= chunk_size else (workers or os.cpu_count() or 1)
    guard_size(net, samples, n_workers, store.path, len(variants), yes)
    try:
        executor = (make_executor(scheduler) if scheduler
                    else local_executor(workers if samples > chunk_size else 1))
    except (OSError, TimeoutError) as exc:
        fail(f"simulate: cannot connect to the Dask scheduler at {scheduler}: {exc}")
    run_ids = {}
    try:
        with Progress("[progress.description]{task.description}", BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                      disable=as_json and not err.is_terminal) as bar:
            for responses in variants:
                label = "with rules" if responses else "without rules"
                task = bar.add_task(f"{sc.id} ({label})", total=None)
                run_ids[responses] = simulate(
                    net, sc, samples=samples, seed=seed, horizon=horizon,
                    chunk_size=chunk_size, executor=executor, store=store,
                    responses=responses, priors=priors, model=model, posterior=posterior,
                    progress=lambda done, total, t=task: bar.update(t, completed=done,
                                                                   total=total))
    except KeyboardInterrupt:
        message = ("simulate: interrupted; finished chunks are stored and the same command "
                   "resumes from them")
        workers = list((getattr(executor, "_processes", None) or {}).values())
        if executor is not None:
            # stop at once: chunks are written atomically, so a killed chunk is just redone
            for proc in workers:
                proc.terminate()
            executor.shutdown(wait=False, cancel_futures=True)
            executor = None
        if workers:
            # A worker killed while sending its chunk's table leaves the pool's result
            # reader waiting for the rest forever, and the interpreter's exit joins that
            # thread (it hung, or printed a traceback). Stored chunks and the store are
            # closed by now; leave without the exit hooks.
            typer.echo(message, err=True)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        fail(message, 130)
    except ValueError as exc:
        fail(f"simulate: {exc}")
    except RuntimeError as exc:  # store busy (another process writing), worker lost
        fail(f"simulate: {exc}", 1)
    finally:
        close_executor(executor)
    report = simulation_report(store, run_ids[True], run_ids.get(False))
    if isinstance(report.get("inputs"), str):
        report["inputs"] = json.loads(report["inputs"])
    if as_json:
        typer.echo(json.dumps(report, indent=1))
        return
    _print_simulation(report, sc.id, samples, seed, rows)
    console.print(f"run {report['run_id']} stored in {store.path}", highlight=False)


def _print_simulation(report: dict, scenario_id: str, samples: int, seed: int,
                      rows: int) -> None:
    """One row per commodity, most affected first: peak ex-China/China price ratio and
    U.S./Japan shortfall as median (P5–P95); the median shortfall without the response
    rules when they were compared."""
    from critmin.report.fmt import pct

    def rng(q, fmt):
        return f"{fmt(q['p50'])} ({fmt(q['p5'])}–{fmt(q['p95'])})"

    def share(v):
        return pct(v).removesuffix(" %")

    without = {(r["commodity"], r["region"]): r for r in report.get("response_value", [])}
    by = {}
    for r in report["results"]:
        by.setdefault(r["commodity"], {})[r["region"]] = r
    order = sorted(by, key=lambda c: -max(by[c][g]["shortfall"]["mean"] for g in
                                          ("USA", "JPN") if g in by[c]))
    view = Table(title=f"{scenario_id}: {samples:,} samples, seed {seed}", caption=(
        "median (P5–P95); price ratio: peak ex-China / China price; shortfall: % of "
        "demand unmet; most affected first"),
        title_justify="left", caption_justify="left")
    for c in ("commodity", "price ratio ×", "U.S. short %", "Japan short %"):
        view.add_column(c, justify="left" if c == "commodity" else "right")
    if without:
        view.add_column("no rules US/JP", justify="right")
    for c in order[:rows]:
        us, jp = by[c]["USA"], by[c]["JPN"]
        cells = [c, rng(us["peak_price_ratio"], lambda v: f"{v:.1f}"),
                 rng(us["shortfall"], share), rng(jp["shortfall"], share)]
        if without:
            w = [without.get((c, g)) for g in ("USA", "JPN")]
            cells.append(" / ".join(share(x["shortfall_p50_without"]) if x else "—"
                                    for x in w) + " %")
        view.add_row(*cells)
    console.print(view)
    more = len(order) - rows
    if more > 0:
        console.print(f"{more} more commodities (less affected): --rows {len(order)} or "
                      "--json", highlight=False)
    if without:
        saved = sum(v["shortfall_mean_avoided"] for v in without.values())
        console.print(f"Response rules: 'no rules' = same draws without them; mean "
                      f"shortfall avoided, summed: {100 * saved:.1f} pp.", highlight=False)


@app.command("optimize")
def optimize_cmd(
    scenario: Annotated[str, typer.Option(help="preset id or scenario file")] =
        "CN_2025_10_full_controls",
    budget_usa: Annotated[float, typer.Option(min=0, help="U.S. budget, USD")] = 1e9,
    budget_jpn: Annotated[float, typer.Option(min=0, help="Japan budget, USD")] = 1e9,
    budget_vehicle: Annotated[float, typer.Option(
        min=0, help="Japan's US$550 bn vehicle, USD (U.S.-located projects)")] = 0.0,
    samples: Annotated[int, typer.Option(min=1, help="disruption scenarios sampled")] = 1000,
    seed: Annotated[int, typer.Option(min=0, max=2**32 - 1,
                                      help="random seed of the simulation")] = 0,
    cvar_weight: Annotated[float, typer.Option(min=0, help="lambda on CVaR 95 %")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON results")] = False,
    frontier_html: Annotated[Path | None, typer.Option(
        "--frontier", help="write the budget-risk frontier (Plotly HTML)")] = None,
    db: Annotated[Path | None, typer.Option(help="results store (DuckDB file)")] = None,
    model: Annotated[str, typer.Option(
        help="market model of the scenarios: v1 (quarterly, U.S.+Japan pooled) or v2 "
             "(monthly, by stage and region)")] = "v1",
    regions: Annotated[str, typer.Option(
        help="model v2: regions whose unmet tonnes count (of USA,JPN,EU,KOR)")] = "USA,JPN",
    data: DataPath = None,
) -> None:
    """Choose projects, instruments and stockpiles that buy the most security per dollar."""
    from critmin.cli_checks import Steps, check_output, fail
    from critmin.optimize.instance import build_instance
    from critmin.optimize.portfolio import InfeasibleError, solve
    from critmin.optimize.report import frontier, frontier_figure, portfolio_record, save

    if model not in ("v1", "v2"):
        fail(f"optimize: --model {model}: use v1 or v2")
    check_output(frontier_html, "optimize --frontier")
    net = _load(data)
    sc = _scenario(scenario, net, check="optimize")
    steps = Steps(4 if frontier_html else 3, quiet=as_json and not err.is_terminal)
    steps(f"simulating {sc.id}: {samples:,} samples (model {model})")
    budgets = {"USA": budget_usa, "JPN": budget_jpn, "JPN_vehicle": budget_vehicle}
    try:
        if model == "v2":  # monthly v2 paths, simulated here (not stored as a run)
            from critmin.optimize.staged import optimise_v2

            store, inst, sol = optimise_v2(net, sc, budgets, samples=samples, seed=seed,
                                           regions=regions.split(","), db=db,
                                           cvar_weight=cvar_weight, step=steps)
        else:
            store, run_id = _stored_run(net, sc, samples, seed, db)
            steps("building and solving the portfolio (HiGHS)")
            inst = build_instance(net, store, run_id, budgets, cvar_weight=cvar_weight)
            sol = solve(inst)
    except (InfeasibleError, ValueError) as exc:
        err.print(f"optimize: {exc}")
        raise typer.Exit(2) from exc
    record = portfolio_record(inst, sol)
    record["optimisation_id"] = save(store, inst, record)
    if frontier_html is not None:
        from critmin.report.figures import write_html

        steps("budget–risk frontier (6 budgets)")
        front = frontier(inst)
        record["frontier"] = front.to_dict("records")
        write_html([frontier_figure(front)], frontier_html, "critmin budget-risk frontier")
    if as_json:
        typer.echo(json.dumps(record, indent=1, default=str))
        return
    view = Table(title=f"portfolio against {sc.id} ({samples:,} scenarios)")
    for c in ("project", "commodity", "funder", "instrument", "cost USD m", "t in horizon"):
        view.add_column(c)
    for r in record["selected_projects"]:
        where = f" ({r['stage']} -> {r['delivers_to']})" if "stage" in r else ""
        view.add_row(r["name"], r["commodity"] + where, r["funder"], r["instrument"],
                     f"{r['cost_usd'] / 1e6:,.1f}", f"{r['output_t']:,.0f}")
    for r in record["stockpiles"]:
        view.add_row(f"stockpile ({r['holder']})", r["commodity"], r["holder"], "stock",
                     f"{r['cost_usd'] / 1e6:,.1f}", f"{r['stock_t']:,.0f}")
    console.print(view)
    b, a = record["risk_before"], record["risk_after"]
    console.print(f"expected loss {b['expected_loss_usd'] / 1e9:,.2f} -> "
                  f"{a['expected_loss_usd'] / 1e9:,.2f} USD bn; CVaR95 "
                  f"{b['cvar_usd'] / 1e9:,.2f} -> {a['cvar_usd'] / 1e9:,.2f} USD bn; "
                  f"binding: {', '.join(record['binding_constraints']) or 'none'}")


from critmin.cli_service import serve_cmd, token_app  # noqa: E402  (service commands)

app.add_typer(token_app, name="token")
app.command("serve")(serve_cmd)
from critmin.cli_brief import register as _register_brief  # noqa: E402

_register_brief(app)  # report and runs commands
import critmin.cli_calibrate  # noqa: E402, F401  (calibrate, backtest, sensitivity)

if __name__ == "__main__":  # pragma: no cover
    # `python -m critmin.cli`: this module runs as __main__, and the command modules above
    # registered their commands on the importable critmin.cli; run that app
    from critmin.cli import app as _app

    _app()
