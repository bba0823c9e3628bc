"""``critmin report`` (the decision brief, HTML or A4 PDF) and ``critmin runs`` (list, show
and export stored simulations and optimisations). Registered from :mod:`critmin.cli`."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from critmin.cli_checks import Steps, check_output, fail

runs_app = typer.Typer(help="Stored simulations and optimisations: list, show, export.",
                       no_args_is_help=True)
console = Console()
err = Console(stderr=True)
Db = Annotated[Path | None, typer.Option(help="results store (default $CRITMIN_DB)")]
DataPath = Annotated[
    Path | None,
    typer.Option("--data", help="directory of tables overriding/extending the shipped data"),
]


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``runs`` to the main command line."""
    app.command("report")(report_cmd)
    app.add_typer(runs_app, name="runs")


def open_store(db: Path | None):
    """The results store, or a one-line error (busy, unreadable, wrong format)."""
    from critmin.store import ResultsStore

    try:
        return ResultsStore(db)
    except Exception as exc:  # store errors are one line for the user
        text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        fail(text if text.startswith("store ") else f"store: {text}", 1)


def report_cmd(
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="file to write: .html (self-contained) or .pdf (A4)")] =
        Path("report.html"),
    pdf: Annotated[bool, typer.Option(
        "--pdf", help="also print an A4 PDF next to the HTML (needs Chromium)")] = False,
    scenario: Annotated[str, typer.Option(help="preset id or scenario file")] =
        "CN_2025_10_full_controls",
    samples: Annotated[int, typer.Option(min=16, max=200_000,
                                         help="Monte Carlo samples")] = 4096,
    seed: Annotated[int, typer.Option(min=0, max=2**32 - 1, help="random seed")] = 0,
    portfolio_samples: Annotated[int, typer.Option(
        min=16, max=20_000, help="simulated scenarios the optimiser uses")] = 256,
    budget_usa: Annotated[float, typer.Option(min=0, help="U.S. budget, USD")] = 1e9,
    budget_jpn: Annotated[float, typer.Option(min=0, help="Japan budget, USD")] = 1e9,
    budget_vehicle: Annotated[float, typer.Option(
        min=0, help="Japan's US$550 bn vehicle, USD (U.S.-located projects)")] = 0.0,
    model: Annotated[str, typer.Option(
        help="market model: v2 (monthly, stages and regions; the default) or v1 "
             "(quarterly, two segments)")] = "v2",
    drivers_samples: Annotated[int, typer.Option(
        min=0, max=4096, help="Sobol base samples for the drivers section (0 leaves it "
                              "out)")] = 32,
    db: Db = None,
    data: DataPath = None,
) -> None:
    """Write the decision brief: executive summary, exposure, the scenario's prices and
    shortfalls, the optimised portfolio, caveats, methods and sources."""
    from critmin.cli import _load, _scenario
    from critmin.report.brief import prepare
    from critmin.report.html import write_report
    from critmin.report.pdf import PdfError, find_browser, html_to_pdf

    want_pdf = pdf or output.suffix.lower() == ".pdf"
    if model not in ("v1", "v2"):
        fail(f"report: --model {model}: unknown model; use v1 or v2")
    check_output(output, "report")
    if want_pdf:
        try:
            find_browser()
        except PdfError as exc:
            fail(f"report: {exc}")
    net = _load(data)
    sc = _scenario(scenario, net, check="report")
    store = open_store(db)
    steps = Steps(5 + bool(want_pdf) + bool(drivers_samples) + (model == "v2"))
    budgets = {"USA": budget_usa, "JPN": budget_jpn, "JPN_vehicle": budget_vehicle}
    try:
        brief = prepare(net, sc, store, samples=samples, seed=seed, budgets=budgets,
                        portfolio_samples=portfolio_samples,
                        drivers_samples=drivers_samples, model=model, progress=steps)
    except ValueError as exc:
        fail(f"report: {exc}")
    html_path = output if output.suffix.lower() != ".pdf" else None
    with tempfile.TemporaryDirectory(prefix="critmin-report-") as tmp:
        target = html_path or Path(tmp) / "brief.html"
        write_report(brief, store, target)
        written = [str(html_path)] if html_path else []
        if want_pdf:
            pdf_path = output if html_path is None else output.with_suffix(".pdf")
            steps(f"printing {pdf_path} (A4, Chromium)")
            try:
                html_to_pdf(target, pdf_path)
            except PdfError as exc:
                fail(f"report: {exc}", 1)
            written.append(str(pdf_path))
    console.print(f"brief written to {' and '.join(written)} (scenario {sc.id}, "
                  f"{samples:,} samples, model {model})", highlight=False)


# -- runs ---------------------------------------------------------------------------------
def _run_or_fail(store, run_id: str) -> dict:
    try:
        return store.run(run_id)
    except KeyError:
        ids = store.runs()["run_id"].tolist()
        near = [i for i in ids if i.startswith(run_id)]
        if len(near) == 1:
            return store.run(near[0])
        fail(f"unknown run {run_id!r}; `critmin runs list` shows the stored runs")


def _as_obj(value):
    """A JSON column as an object (stores keep JSON text)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def run_record(store, run: dict) -> dict:
    """Public record of a run: metadata with scenario and inputs as objects."""
    out = {k: (v.isoformat() if hasattr(v, "isoformat") else _as_obj(v))
           for k, v in run.items()}
    return out


def optimisation_result(store, run_id: str) -> dict:
    """The stored portfolio record of an optimisation."""
    return json.loads(store.read_table(run_id, "result")["json"].iloc[0])


def export_frame(store, run: dict, table: str) -> pd.DataFrame:
    """The table to export: per-sample results, summary or paths of a simulation; chosen
    projects and stockpiles of an optimisation."""
    run_id = run["run_id"]
    if run.get("kind") == "optimisation":
        rec = optimisation_result(store, run_id)
        proj = pd.DataFrame(rec["selected_projects"]).assign(item="project")
        stocks = pd.DataFrame(rec["stockpiles"]).assign(item="stockpile")
        return pd.concat([proj, stocks], ignore_index=True)
    if table == "summary":
        from critmin.simulate.summary import summarise

        return summarise(store, run_id)
    if table == "paths":
        return store.paths(run_id)
    return store.samples(run_id)


@runs_app.command("list")
def runs_list(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON records")] = False,
    db: Db = None,
) -> None:
    """Stored runs, newest last: id, kind, scenario, status, created."""
    store = open_store(db)
    df = store.runs()
    if as_json:
        typer.echo(df.to_json(orient="records", date_format="iso", indent=1))
        return
    from rich import box

    view = Table(title=f"runs in {store.path} ({len(df)})", box=box.SIMPLE_HEAD,
                 padding=(0, 1), pad_edge=False, show_edge=False, collapse_padding=True,
                 title_justify="left")
    for c, width in (("run", 16), ("kind", 12), ("scenario", None), ("status", 8),
                     ("created (UTC)", 16)):
        view.add_column(c, no_wrap=c != "scenario", overflow="fold", min_width=width)
    for r in df.itertuples(index=False):
        view.add_row(r.run_id, r.kind, r.scenario_id, r.status,
                     str(r.created_at)[:16].replace("T", " "))
    console.print(view)


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="run id (or a unique prefix)")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    db: Db = None,
) -> None:
    """One run: its inputs, and its results (summary or portfolio)."""
    from critmin.report.fmt import pct, usd, usd_m

    store = open_store(db)
    run = _run_or_fail(store, run_id)
    rec = run_record(store, run)
    if run.get("kind") == "optimisation":
        rec["result"] = optimisation_result(store, run["run_id"])
    elif run.get("status") == "complete":
        from critmin.simulate.report import simulation_report

        rec["result"] = simulation_report(store, run["run_id"])
        rec["result"].pop("paths", None)
        rec["result"]["inputs"] = _as_obj(rec["result"].get("inputs"))
    if as_json:
        typer.echo(json.dumps(rec, indent=1, default=str))
        return
    console.print(f"[bold]{rec['run_id']}[/] {rec.get('kind')} of {rec['scenario_id']} — "
                  f"{rec['status']}, created {str(rec.get('created_at'))[:19]}",
                  highlight=False)
    inputs = rec.get("inputs") or {}
    console.print("inputs: " + ", ".join(f"{k} {v}" for k, v in inputs.items()),
                  highlight=False)
    res = rec.get("result")
    if res is None:
        return
    if run.get("kind") == "optimisation":
        view = Table(title="portfolio")
        for c in ("item", "commodity", "funder / holder", "cost"):
            view.add_column(c, justify="right" if c == "cost" else "left")
        for p in res["selected_projects"]:
            view.add_row(p["name"], p["commodity"], p["funder"], usd_m(p["cost_usd"]))
        for s in res["stockpiles"]:
            view.add_row("stockpile", s["commodity"], s["holder"], usd_m(s["cost_usd"]))
        console.print(view)
        console.print(f"expected loss {usd(res['risk_before']['expected_loss_usd'])} -> "
                      f"{usd(res['risk_after']['expected_loss_usd'])}", highlight=False)
        return
    console.print(_results_view(res, pct))


SHOWN_REGIONS = {"USA": "U.S.", "JPN": "Japan", "EU": "EU", "KOR": "Korea"}
"""Importers whose shortfall `runs show` prints (a v1 run has the U.S. and Japan only)."""


def _results_view(res: dict, pct) -> Table:
    """Most important commodities first: peak price ratio and each importer's shortfall
    (P50, with P95), from a run's simulation report."""
    from critmin.report.brief import impact_table

    short = {(r["commodity"], r["region"]): r["shortfall"]
             for r in res.get("shortfall_by_region") or res["results"]}
    regions = [r for r in SHOWN_REGIONS if any(k[1] == r for k in short)]
    view = Table(title="results (P50, P5–P95; shortfall P50 with P95), most important first")
    for c in ("commodity", "price ratio", *(f"{SHOWN_REGIONS[r]} shortfall" for r in regions)):
        view.add_column(c, justify="left" if c == "commodity" else "right")
    for r in impact_table(res).head(15).itertuples():
        cells = [f"{pct(q['p50'], digits=1)} ({pct(q['p95'], digits=1)})" if q else "–"
                 for q in (short.get((r.commodity, g)) for g in regions)]
        view.add_row(r.commodity, f"{r.ratio['p50']:.2f} ({r.ratio['p5']:.2f}–"
                                  f"{r.ratio['p95']:.2f})", *cells)
    return view


@runs_app.command("export")
def runs_export(
    run_id: Annotated[str, typer.Argument(help="run id (or a unique prefix)")],
    fmt: Annotated[Literal["csv", "parquet", "xlsx"], typer.Option(
        "--format", help="file format")] = "csv",
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="file to write; default RUN-TABLE.FORMAT here")] = None,
    table: Annotated[Literal["samples", "summary", "paths"], typer.Option(
        help="simulations: per-sample results, summary quantiles, or stored paths")] =
        "samples",
    db: Db = None,
) -> None:
    """Write a run's results to CSV, Parquet or Excel (spreadsheet-safe text cells)."""
    from critmin.store.export import write_export

    store = open_store(db)
    run = _run_or_fail(store, run_id)
    kind = "portfolio" if run.get("kind") == "optimisation" else table
    path = output or Path(f"{run['run_id']}-{kind}.{fmt}")
    check_output(path, "runs export")
    try:
        df = export_frame(store, run, table)
    except (KeyError, FileNotFoundError) as exc:
        fail(f"runs export: run {run['run_id']} has no stored {kind} ({exc})", 1)
    write_export(df, path, fmt)
    console.print(f"{len(df):,} rows written to {path}", highlight=False)
