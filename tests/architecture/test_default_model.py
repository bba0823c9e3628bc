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
    from critmin.calibrate import abc, backtest, sensitivity
    from critmin.market import posterior
    from critmin.report.brief import Brief
    from critmin.simulate import paths, runner
    from critmin.workflows import brief

    for fn in (runner.simulate, runner.run_key, brief.prepare, brief.sensitivity_drivers,
               paths.simulate_paths, paths.latent_priors, abc.calibrate,
               backtest.run_backtest, sensitivity.sobol_indices, sensitivity.top_drivers,
               posterior.posterior_inputs):
        assert inspect.signature(fn).parameters["model"].default == DEFAULT_MODEL, fn
    assert Brief.__dataclass_fields__["model"].default == DEFAULT_MODEL
    assert dashboard.DRIVER_MODEL == DEFAULT_MODEL


def test_the_api_sweep_names_no_model_of_its_own():
    """The API's simulation and optimisation jobs run the sweep's default."""
    from critmin.api import jobs

    assert "model=" not in inspect.getsource(jobs._sweep)


def test_default_is_registered_and_v2():
    assert DEFAULT_MODEL in MODELS and DEFAULT_MODEL == "v2"


@pytest.mark.parametrize("name", MODELS)
def test_every_registered_model_implements_the_contract(name):
    from critmin.market import registry
    from critmin.market.contract import MarketModel

    model = registry.get(name)
    assert isinstance(model, MarketModel) and name == model.NAME
    for fn in ("prepare", "draws", "chunk", "simulate_paths", "latent_priors"):
        assert callable(getattr(model, fn))


def test_an_unknown_model_is_one_clear_error():
    from critmin.market import registry

    with pytest.raises(ValueError, match="unknown model 'v9'; choose one of: v1, v2"):
        registry.get("v9")
