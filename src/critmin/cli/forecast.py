"""``critmin forecast freeze / list / score / errors``: dated, content-hashed forecasts,
scored against observations added later, with the shipped observation-error table they
take their error from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from critmin.cli.calibrate import print_scores
from critmin.cli.common import DataPath, console, load_net, load_scenario, records

forecast_app = typer.Typer(help="Frozen forecasts: freeze today's, list them, score them "
                                "against observations added since.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``forecast`` group (freeze, list, score, errors) to the main command line."""
    app.add_typer(forecast_app, name="forecast")

Dirs = Annotated[list[Path] | None, typer.Option(
    "--dir", help="also read records in this folder (repeat); the shipped folder always")]
ErrorTable = Annotated[Path | None, typer.Option(
    "--errors", help="error table to take the observation error from (default: the "
                     "shipped forecasts/error_model.csv)")]


def _fail(command: str, exc: Exception) -> None:
    typer.echo(f"forecast {command}: {exc}", err=True)
    raise typer.Exit(2) from exc


@forecast_app.command("freeze")
def freeze_cmd(
    scenario: Annotated[str, typer.Option(help="preset id or scenario file")],
    samples: Annotated[int, typer.Option(min=10, help="Monte Carlo samples")] = 500,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    months: Annotated[int | None, typer.Option(
        min=1, max=36, help="months from the scenario start (default: its horizon)")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", help="folder for the record (default: the shipped forecasts/)")] = None,
    errors: ErrorTable = None,
    data: DataPath = None,
) -> None:
    """Run the scenario on the default model and inputs and write a dated, content-hashed
    record of the quantiles of its headline observables by month, with the observation
    error of the error table's last fit for that model and inputs (recorded with it)."""
    from critmin.market.registry import DEFAULT_MODEL, model_version
    from critmin.workflows.forecast import ForecastError, freeze

    net = load_net(data)
    sc = load_scenario(scenario, net, "forecast freeze")
    try:
        path = freeze(net, sc, samples=samples, seed=seed, months=months, directory=output,
                      errors_path=errors)
    except (ForecastError, ValueError) as exc:
        _fail("freeze", exc)
    typer.echo(f"frozen: {path}")
    em = json.loads(path.read_text(encoding="utf-8"))["error_model"]
    typer.echo(f"observation error: version {em['version']} (fitted {em['fitted_on']} on "
               f"{em['model_version']})")
    if em["model_version"] != model_version(DEFAULT_MODEL):
        typer.echo(f"note: the error model was fitted on {em['model_version']}, not on "
                   f"today's {model_version(DEFAULT_MODEL)}; `critmin forecast errors` "
                   "refits it", err=True)


@forecast_app.command("errors")
def errors_cmd(
    samples: Annotated[int, typer.Option(min=10, help="Monte Carlo samples")] = 1000,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    episode: Annotated[list[str] | None, typer.Option(
        help="training episode to fit on (repeat); default all")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", help="error table to append to (default: the shipped "
                         "forecasts/error_model.csv)")] = None,
    data: DataPath = None,
) -> None:
    """Fit the observation-error model (sd = sqrt(a^2 + b^2 h) per group, as the
    backtest's) on the default model's draws of every training episode and append it, as
    a new version, to the error table freeze reads; earlier versions are kept."""
    from critmin.calibrate.episodes import EpisodeError
    from critmin.calibrate.errors import ErrorTableError, append_table
    from critmin.workflows.forecast import ForecastError, fit_errors

    net = load_net(data)
    try:
        fit = fit_errors(net, samples=samples, seed=seed, episodes=episode)
        added = append_table(fit, output)
    except (ForecastError, EpisodeError, ErrorTableError, ValueError) as exc:
        _fail("errors", exc)
    params = ", ".join(f"{k} a={v['a']:.3f} b={v['b']:.3f} (n={v['n']})"
                       for k, v in fit.record()["params"].items())
    typer.echo(f"error model {fit.version} ({fit.meta['model_version']}, "
               f"{fit.meta['inputs']}): {params}")
    typer.echo("appended" if added else "already in the table (same fit): nothing written")


@forecast_app.command("list")
def list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON records")] = False,
    directories: Dirs = None,
) -> None:
    """The frozen records (each checked against its content hash)."""
    from critmin.workflows.forecast import ForecastError, list_records

    try:
        table = list_records(directories)
    except ForecastError as exc:
        _fail("list", exc)
    if as_json:
        typer.echo(json.dumps(records(table), indent=1))
        return
    _versions(table, "critmin frozen forecasts (id: day frozen, scenario, hash)")


def _versions(table, title: str) -> None:
    """Each record with the model version, inputs and data version that made it."""
    from critmin.workflows.forecast import UNRECORDED

    view = Table(title=title)
    view.add_column("id", overflow="fold")
    for c in ("model_version", "inputs", "data_version"):
        view.add_column(c, overflow="fold")
    for r in table.itertuples(index=False):
        view.add_row(r.id, r.model_version, r.inputs, r.data_version)
    console.print(view)
    if table["model_version"].eq(UNRECORDED).any():
        console.print(f"model_version '{UNRECORDED}': frozen before records named the "
                      "version of the model's code (the model id is in the JSON)")
    errs = table.loc[table["error_version"].ne(UNRECORDED), "error_version"].unique()
    console.print(f"observation error (--json: error_version): {', '.join(errs) or 'none'}"
                  f"; {int(table['error_version'].eq(UNRECORDED).sum())} records frozen "
                  "before the error table carry the calibration's noise")


@forecast_app.command("score")
def score_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    directories: Dirs = None,
    data: DataPath = None,
) -> None:
    """Score every frozen record against the observations in ``episodes`` dated after the
    day it was frozen (of the episodes whose scenario is the record's): the backtest's
    scores, per record (``variant``), episode, horizon band and observable kind."""
    from critmin.calibrate.backtest import summary
    from critmin.workflows.forecast import (
        ForecastError,
        list_records,
        read_record,
        record_files,
        score,
    )

    net = load_net(data)
    try:
        frozen = [(p, read_record(p)) for p in record_files(directories)]
        rows = score(net, frozen)
        listed = list_records(directories)
    except ForecastError as exc:
        _fail("score", exc)
    table = summary(rows)
    if as_json:
        typer.echo(json.dumps({"records": records(listed.drop(columns=["path"])),
                               "rows": records(rows), "summary": records(table)},
                              indent=1))
        return
    if rows.empty:
        console.print(f"{len(frozen)} frozen records; no observations dated after their "
                      "freezing yet (add them to episodes, e.g. with --data)")
        return
    _versions(listed[listed["id"].isin(set(rows["variant"]))], "scored records")
    print_scores(table, f"critmin forecast score ({len(frozen)} records)")
