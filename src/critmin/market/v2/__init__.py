"""Market model v2 (the default): a multi-stage network market with inventories, lags,
by-products and licensing as a monthly process (docs/model.md).

The model contract (:mod:`critmin.market.contract`): ``prepare`` (a sweep's job),
``draws``, ``chunk``, ``simulate_paths``, ``latent_priors``. The market network of one
scenario (``critmin.market.v2.paths.prepare``) is :func:`prepare_market`.
"""

from critmin.market.v2.chunks import JobV2, chunk
from critmin.market.v2.chunks import draws_of as draws
from critmin.market.v2.chunks import prepare_run as prepare
from critmin.market.v2.paths import latent_priors, run_samples, simulate_paths
from critmin.market.v2.paths import prepare as prepare_market

NAME = "v2"
RUN_INPUTS = {"model": "v2"}
"""Keys a v2 run records beside the sweep's own."""

__all__ = ["NAME", "RUN_INPUTS", "JobV2", "chunk", "draws", "latent_priors", "prepare",
           "prepare_market", "run_samples", "simulate_paths"]
