"""``critmin runs list|show|export|verify``: stored simulations and optimisations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from critmin.cli.checks import check_output, fail
from critmin.cli.common import Db, console, open_store
from critmin.report.runs import as_obj, export_frame, optimisation_result, run_record

runs_app = typer.Typer(help="Stored simulations and optimisations: list, show, export, "
                            "verify.",
                       no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``runs`` to the main command line."""
    app.add_typer(runs_app, name="runs")


def _run_or_fail(store, run_id: str) -> dict:
    try:
        return store.run(run_id)
    except KeyError:
        ids = store.runs()["run_id"].tolist()
        near = [i for i in ids if i.startswith(run_id)]
        if len(near) == 1:
            return store.run(near[0])
        fail(f"unknown run {run_id!r}; `critmin runs list` shows the stored runs")



@runs_app.command("list")
def runs_list(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON records")] = False,
    db: Db = None,
) -> None:
    """Stored runs, newest last: id, kind, scenario, status, created."""
    store = open_store(db)
    store.reap()  # a run whose process died (Ctrl-C, kill) shows as interrupted
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
    store.reap()
    run = _run_or_fail(store, run_id)
    rec = run_record(run)
    if run.get("kind") == "optimisation":
        rec["result"] = optimisation_result(store, run["run_id"])
    elif run.get("status") == "complete":
        from critmin.simulate.report import simulation_report

        rec["result"] = simulation_report(store, run["run_id"])
        rec["result"].pop("paths", None)
        rec["result"]["inputs"] = as_obj(rec["result"].get("inputs"))
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


@runs_app.command("verify")
def runs_verify(
    run_id: Annotated[str, typer.Argument(help="run id (or a unique prefix)")],
    repair: Annotated[bool, typer.Option(
        help="drop missing or changed parts; the same simulate command (or resuming its "
             "job) then recomputes just those chunks")] = False,
    db: Db = None,
) -> None:
    """Check every stored part of a run against the SHA-256 recorded when it was written.
    Exit 1 when a part is missing or changed (0 after --repair)."""
    store = open_store(db)
    run = _run_or_fail(store, run_id)
    bad = store.verify(run["run_id"])
    total = store.parts_recorded(run["run_id"])
    if not bad:
        console.print(f"run {run['run_id']}: {total} parts intact (SHA-256)", highlight=False)
        return
    for b in bad:
        typer.echo(f"chunk {b['chunk_id']}: {b['path']} {b['problem']}", err=True)
    if not repair:
        fail(f"runs verify: {len(bad)} of {total} parts of run {run['run_id']} are missing or "
             "changed; `critmin runs verify RUN --repair` drops them for recomputing", 1)
    store.forget_bad(run["run_id"], bad)
    console.print(f"run {run['run_id']}: dropped {len(bad)} parts; it is interrupted: run the "
                  "same simulate command (or resume its job) to recompute them",
                  highlight=False)
