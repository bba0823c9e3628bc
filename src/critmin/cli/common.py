"""What every command module shares: consoles, the ``--data``/``--db`` options, loading the
data and a scenario with one-line errors, opening the results store, JSON records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console

from critmin.cli.checks import check_scenario, fail
from critmin.data.validate import DataValidationError

console = Console()
err = Console(stderr=True)

DataPath = Annotated[
    Path | None,
    typer.Option("--data", help="directory of tables overriding/extending the shipped data"),
]
Model = Annotated[str, typer.Option(
    help="market model: v2 (monthly, stages and regions; the default) or v1 (quarterly, "
         "two segments; the backtest baseline)")]
Db = Annotated[Path | None, typer.Option(help="results store (default $CRITMIN_DB)")]


def load_net(path: Path | None) -> Any:
    """The dataset (shipped, or ``path`` merged over it); exit 1 with one line per
    problem when it does not validate."""
    from critmin.model.network import load

    try:
        return load(path)
    except DataValidationError as exc:
        for p in exc.problems:
            typer.echo(str(p), err=True)
        raise typer.Exit(1) from exc


def records(df: pd.DataFrame) -> list[dict]:
    """JSON-safe records: NaN and NA become null."""
    out: list[dict] = json.loads(df.to_json(orient="records", date_format="iso"))
    return out


def load_scenario(id_or_file: str, net: Any, check: str | None = None) -> Any:
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
        check_scenario(net, sc, check)
    return sc


def open_store(db: Path | None) -> Any:
    """The results store, or a one-line error (busy, unreadable, wrong format)."""
    from critmin.store import ResultsStore

    try:
        return ResultsStore(db)
    except Exception as exc:  # store errors are one line for the user
        text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        fail(text if text.startswith("store ") else f"store: {text}", 1)


def check_model(model: str, command: str) -> None:
    """Exit 2 with one line when ``model`` is not a registered market model."""
    from critmin.market.registry import MODELS

    if model not in MODELS:
        fail(f"{command}: --model {model}: unknown model; use {' or '.join(MODELS)}")


def spin_up_line(sc, months: int) -> str:
    """The run's start, in words: spun up from the earliest earlier control, or not."""
    from critmin.simulate.paths import spun_up

    start = sc.start.strftime("%b %Y")
    if not months:
        return f"Spin-up: none (0 months); the run starts at {start}."
    first = spun_up(sc, months).start.strftime("%b %Y")
    return (f"Spin-up: {months} months (spin_up_months), from {first}, when the earliest "
            f"control the scenario lists was announced or began; results from {start} on.")
