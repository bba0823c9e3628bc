"""Market model v2: multi-stage network market with inventories, lags, by-products and
licensing as a monthly process (docs/model.md).

Entry points (the model-path contract of :mod:`critmin.simulate.paths`):
``simulate_paths(net, scenario, *, samples, seed, months=24, theta=None, priors_only=None)``
and ``latent_priors(net)``.
"""

from critmin.market.v2.paths import latent_priors, prepare, run_samples, simulate_paths

__all__ = ["latent_priors", "prepare", "run_samples", "simulate_paths"]
