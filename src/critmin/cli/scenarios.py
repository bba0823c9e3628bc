"""``critmin scenarios list|show``: the disruption scenario presets."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from critmin.cli.common import DataPath, console, load_net, load_scenario

scenarios_app = typer.Typer(help="Disruption scenario presets.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add ``scenarios`` to the main command line."""
    app.add_typer(scenarios_app, name="scenarios")


@scenarios_app.command("list")
def scenarios_list(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON records")] = False,
    data: DataPath = None,
) -> None:
    """List preset and generated (N-1) scenarios."""
    from critmin.scenarios import scenario_catalogue

    cat = scenario_catalogue(load_net(data))
    rows: list[dict[str, Any]] = [
        dict(id=s.id, name=s.name, start=s.start.isoformat(),
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

    sc = load_scenario(scenario_id, load_net(data))
    typer.echo(yaml.safe_dump(sc.model_dump(mode="json", exclude_defaults=True),
                              sort_keys=False))
