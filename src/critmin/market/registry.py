"""The market models and the one default every command, route and page uses.

``v2`` (monthly, stages and regions) is the default; ``v1`` (quarterly, two segments)
stays as the backtest baseline. Commands and routes take ``--model``/``model`` with
:data:`DEFAULT_MODEL` as the default, so the command line, the brief, the optimiser and the
dashboard agree on the same scenario."""

from __future__ import annotations

import hashlib
from importlib import import_module
from pathlib import Path
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


VERSIONED = ("latent.py", "contract.py", "baseline.py")
"""Shared modules of ``critmin.market`` whose code is part of every model's version."""


def model_version(model: str) -> str:
    """``<model>@<12 hex digits>``: SHA-256 over the source of the model's package
    (``critmin/market/<model>/*.py``, names and bytes, sorted) and of the shared modules
    in :data:`VERSIONED` (latent-input priors, contract, baseline). A change to the
    model's code or priors changes it; nothing is imported."""
    root = Path(__file__).parent
    files = sorted((root / check_model(model)).glob("*.py")) + \
        [root / name for name in VERSIONED]
    h = hashlib.sha256()
    for f in files:
        h.update(f.relative_to(root).as_posix().encode() + b"\0")
        h.update(f.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return f"{model}@{h.hexdigest()[:12]}"
