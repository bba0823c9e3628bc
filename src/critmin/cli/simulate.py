"""``critmin simulate``: Monte Carlo of a disruption scenario through the market model."""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TimeElapsedColumn,
)
from rich.table import Table

from critmin.cli.checks import check_scheduler, fail, guard_size, local_executor
from critmin.cli.common import (
    DataPath,
    Model,
    check_model,
    console,
    err,
    load_net,
    load_scenario,
    open_store,
    spin_up_line,
)
from critmin.market.registry import DEFAULT_MODEL


def register(app: typer.Typer) -> None:
    """Add ``simulate`` to the main command line."""
    app.command("simulate")(simulate_cmd)


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
        "--priors", help="sample the model's uncalibrated priors, not its shipped "
                         "posterior (the default of v1 and v2)")] = False,
    posterior: Annotated[bool, typer.Option(
        "--posterior", help="sample the shipped posterior (already the default of v1 and "
                            "v2, where its leave-one-out backtest beats the priors: "
                            "docs/calibration.md)")] = False,
    spin_up: Annotated[bool, typer.Option(
        help="run a scenario that lists controls started before its start month from the "
             "earliest of them, so their opening shock plays before its start (v2)")] = True,
    model: Model = DEFAULT_MODEL,
    data: DataPath = None,
) -> None:
    """Monte Carlo simulation of a disruption scenario through the market model."""
    from critmin.simulate.paths import run_spin_up
    from critmin.simulate.report import simulation_report
    from critmin.simulate.runner import close_executor, make_executor, simulate

    check_model(model, "simulate")
    if priors and posterior:
        fail("simulate: --priors and --posterior exclude each other; choose one")
    if posterior and model != "v2":
        fail("simulate: --posterior applies to --model v2 (v1 samples its posterior "
             "unless --priors)")
    if scheduler:
        check_scheduler(scheduler)
    net = load_net(data)
    sc = load_scenario(scenario, net, check="simulate")
    store = open_store(db)
    variants = [True, False] if (compare_response and sc.responses) else [True]
    n_workers = 1 if samples <= chunk_size else (workers or os.cpu_count() or 1)
    guard_size(net, samples, n_workers, store.path, len(variants), yes,
               horizon or sc.horizon_quarters, run_spin_up(sc, model, spin_up), model)
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
                    spin_up=spin_up, progress=functools.partial(_advance, bar, task))
    except KeyboardInterrupt:
        message = ("simulate: interrupted; finished chunks are stored and the same command "
                   "resumes from them")
        procs = list((getattr(executor, "_processes", None) or {}).values())
        if executor is not None:
            # stop at once: chunks are written atomically, so a killed chunk is just redone
            for proc in procs:
                proc.terminate()
            executor.shutdown(wait=False, cancel_futures=True)
            executor = None
        if procs:
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
    console.print(spin_up_line(sc, report["spin_up_months"]), highlight=False)
    _print_explanations(report, sc)
    console.print(f"run {report['run_id']} stored in {store.path}", highlight=False)


def _advance(bar: Progress, task: TaskID, done: int, total: int) -> None:
    bar.update(task, completed=done, total=total)


def _print_explanations(report: dict, sc) -> None:
    """Price rationing and re-routing, where this run shows them (`critmin glossary`)."""
    from critmin.report.explain import price_rationed, rationing_note, rerouted, rerouting_note
    from critmin.report.fmt import country

    shown = [r for r in report["results"] if r["region"] in ("USA", "JPN")]
    short = {(r["commodity"], r["region"]): r["shortfall"] for r in report["results"]}
    short.update({(x["commodity"], x["region"]): x["shortfall"]
                  for x in report.get("shortfall_by_region") or []})
    notes = [rationing_note(price_rationed(shown), {}),
             rerouting_note(rerouted(sc.controls, short), {}, country)]
    for n in filter(None, notes):
        console.print(n, highlight=False, markup=False)
    if any(notes):
        console.print("Terms: critmin glossary (price-rationing, re-routing).",
                      highlight=False)


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
    by: dict[str, dict[str, dict]] = {}
    for r in report["results"]:
        by.setdefault(r["commodity"], {})[r["region"]] = r
    order = sorted(by, key=lambda c: -max(by[c][g]["shortfall"]["mean"] for g in
                                          ("USA", "JPN") if g in by[c]))
    model = report.get("model") or (report.get("inputs") or {}).get("model", "?")
    view = Table(title=f"{scenario_id}: {samples:,} samples, seed {seed}, model {model}",
                 caption=(
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
