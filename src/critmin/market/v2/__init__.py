"""Market model v2 (the default): a multi-stage network market with inventories, lags,
by-products and licensing as a monthly process (docs/model.md).

The model contract (:mod:`critmin.market.contract`): ``prepare`` (a sweep's job),
``draws``, ``chunk``, ``simulate_paths``, ``latent_priors``. The market network of one
scenario (``critmin.market.v2.paths.prepare``) is :func:`prepare_market`. They are
imported on first use, so that importing the package, its network or its constants does
not load the Numba kernels (every CLI command's start).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from critmin.market.v2.chunks import JobV2, chunk
    from critmin.market.v2.chunks import draws_of as draws
    from critmin.market.v2.chunks import prepare_run as prepare
    from critmin.market.v2.paths import latent_priors, run_samples, simulate_paths
    from critmin.market.v2.paths import prepare as prepare_market

NAME = "v2"
RUN_INPUTS = {"model": "v2"}
"""Keys a v2 run records beside the sweep's own."""

_CONTRACT = {"JobV2": ("chunks", "JobV2"), "chunk": ("chunks", "chunk"),
             "draws": ("chunks", "draws_of"), "prepare": ("chunks", "prepare_run"),
             "latent_priors": ("paths", "latent_priors"),
             "run_samples": ("paths", "run_samples"),
             "simulate_paths": ("paths", "simulate_paths"),
             "prepare_market": ("paths", "prepare")}
"""The contract's names -> (module of this package, name there)."""


def __getattr__(name: str):
    if name not in _CONTRACT:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attr = _CONTRACT[name]
    value = getattr(import_module(f"{__name__}.{module}"), attr)
    globals()[name] = value
    return value


__all__ = ["NAME", "RUN_INPUTS", "JobV2", "chunk", "draws", "latent_priors", "prepare",
           "prepare_market", "run_samples", "simulate_paths"]
