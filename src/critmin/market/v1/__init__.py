"""Market model v1: quarterly clearing of two segments (China's domestic market and the
ex-China market shared by the U.S., Japan and the rest of the world). It stays as the
baseline that ``critmin backtest`` scores v2 against; v2 is the default
(:data:`critmin.market.registry.DEFAULT_MODEL`).

The model contract (:mod:`critmin.market.contract`): :func:`prepare`, :func:`draws`,
:func:`chunk`, :func:`simulate_paths`, :func:`latent_priors`.
"""

from critmin.market.v1.chunks import Job, chunk, draws, prepare
from critmin.market.v1.paths import latent_priors, simulate_paths

NAME = "v1"
RUN_INPUTS: dict = {}
"""v1 runs record no model key (runs stored before v2 existed keep their ids)."""

__all__ = ["NAME", "RUN_INPUTS", "Job", "chunk", "draws", "latent_priors", "prepare",
           "simulate_paths"]
