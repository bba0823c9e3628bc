"""One default market model: every command, the brief's pipeline, the sweep the API's jobs
run and the dashboard's drivers take it from :data:`critmin.market.registry.DEFAULT_MODEL`."""

from __future__ import annotations

import inspect

import pytest
import typer.main

from critmin.market.registry import DEFAULT_MODEL, MODELS

COMMANDS = ("simulate", "optimize", "calibrate", "backtest", "sensitivity", "report")


def _model_default(name: str):
    from critmin.cli import app

    command = typer.main.get_command(app).commands[name]
    (param,) = [p for p in command.params if p.name == "model"]
    return param.default


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_defaults_to_the_one_model(name):
    assert _model_default(name) == DEFAULT_MODEL


def test_library_entry_points_default_to_the_one_model():
    from critmin.api import dashboard
    from critmin.report.brief import Brief
    from critmin.simulate import paths, runner
    from critmin.workflows import brief

    for fn in (runner.simulate, runner.run_key, brief.prepare, brief.sensitivity_drivers,
               paths.simulate_paths, paths.latent_priors):
        assert inspect.signature(fn).parameters["model"].default == DEFAULT_MODEL, fn
    assert Brief.__dataclass_fields__["model"].default == DEFAULT_MODEL
    assert dashboard.DRIVER_MODEL == DEFAULT_MODEL


def test_the_api_sweep_names_no_model_of_its_own():
    """The API's simulation and optimisation jobs run the sweep's default."""
    from critmin.api import jobs

    assert "model=" not in inspect.getsource(jobs._sweep)


def test_default_is_registered_and_v2():
    assert DEFAULT_MODEL in MODELS and DEFAULT_MODEL == "v2"
