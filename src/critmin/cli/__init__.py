"""The ``critmin`` command line: parse, call one core function, render.

One module per command group registers its commands on :data:`app` (the ``critmin``
script and ``python -m critmin.cli``); :mod:`critmin.cli.common` holds what they share and
:mod:`critmin.cli.checks` the checks made before any work."""

from __future__ import annotations

import typer

from critmin.cli import (
    assess,
    calibrate,
    club,
    data,
    forecast,
    glossary,
    impact,
    optimize,
    report,
    runs,
    scenarios,
    service,
    simulate,
)
from critmin.cli.checks import quiet_flag_types

app = typer.Typer(help="critmin: critical-minerals and rare-earth supply security.",
                  no_args_is_help=True)
quiet_flag_types()  # `--json` in --help, not `--json <bool>`

# the order of --help: data, scenarios, then the commands as a session uses them
for _group in (data, scenarios, assess, simulate, impact, optimize, club, service, report,
               runs, calibrate, forecast, glossary):
    _group.register(app)

__all__ = ["app"]
