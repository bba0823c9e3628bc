"""Month-by-month records of the v2 kernels, shared by the mechanism tests: both kernels
(the compiled lanes and the NumPy array form) run on the same draws, with chosen latent
inputs held at one value."""

from __future__ import annotations

import numpy as np

from critmin.market.v2.paths import prepare
from critmin.market.v2.priors import draws


def record_months(net, sc, months: int, runner, *, seed: int, n: int, **values):
    """(prepared market, one dict of state arrays per month) of ``runner`` over ``n`` prior
    draws of ``seed``, each latent input named in ``values`` set to that value."""
    prep = prepare(net, sc, months)
    d = draws(prep.latent, seed, 0, n)
    d.update({k: np.full(n, float(v)) for k, v in values.items()})
    rec = []
    runner(prep, d, months, record=lambda t, o: rec.append({k: np.copy(v)
                                                             for k, v in o.items()}))
    return prep, rec


def assert_kernels_agree(prep, fast, ref, keys, tol: float) -> None:
    """Each month of the two kernels' records: prices within 1e-5 (ratio to baseline), the
    quantities ``keys`` within ``tol`` of world use (t)."""
    w = prep.market.world_t
    for a, b in zip(fast, ref, strict=True):
        assert np.abs(a["pX"] - b["pX"]).max() < 1e-5
        assert np.abs(a["pC"] - b["pC"]).max() < 1e-5
        for key in keys:
            scale = w[None, :, None] if a[key].ndim == 3 else w[None, :]
            assert (np.abs(a[key] - b[key]) <= tol * scale).all(), key
