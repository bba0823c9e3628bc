"""The market models and the one default every command, route and page uses.

``v2`` (monthly, stages and regions) is the default; ``v1`` (quarterly, two segments)
stays as the backtest baseline. Commands and routes take ``--model``/``model`` with
:data:`DEFAULT_MODEL` as the default, so the command line, the brief, the optimiser and the
dashboard agree on the same scenario."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

MODELS = ("v1", "v2")
"""Registered market models, by id."""
DEFAULT_MODEL = "v2"
"""The model every command, API route and dashboard page runs unless told otherwise: v2
backtests better than v1 (leave-one-episode-out CRPS 0.582 vs 0.679, lower on 45 of 64
observables, 90 % coverage 81 %; docs/calibration.md)."""


def check_model(model: str) -> str:
    """``model`` when registered; ValueError naming the choices otherwise."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of: {', '.join(MODELS)}")
    return model


def get(model: str) -> ModuleType:
    """The model package, which implements :class:`critmin.market.contract.MarketModel`
    (tested); imported on first use, so naming the default costs no model import."""
    return import_module(f"critmin.market.{check_model(model)}")
