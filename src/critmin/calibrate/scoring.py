"""Scores of a sampled forecast against an observation: CRPS (scoringrules), central
interval coverage, P5/P50/P95. Samples may carry weights (posterior draws)."""

from __future__ import annotations

import numpy as np
import scoringrules as sr

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def crps(samples: np.ndarray, observed: float, weights: np.ndarray | None = None) -> float:
    """Continuous ranked probability score of the ensemble ``samples`` (same unit as
    ``observed``; 0 is perfect). With ``weights`` the ensemble is resampled to equal
    weights first (systematic resampling, deterministic)."""
    x = _equal_weight(np.asarray(samples, dtype=float), weights)
    return float(sr.crps_ensemble(float(observed), x))


def quantiles(samples: np.ndarray, weights: np.ndarray | None = None,
              qs=QUANTILES) -> np.ndarray:
    """Weighted quantiles (inverse of the weighted empirical CDF)."""
    x = np.asarray(samples, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cdf = np.cumsum(w) / w.sum()
    idx = np.searchsorted(cdf, np.asarray(qs) - 1e-12)
    return x[np.clip(idx, 0, len(x) - 1)]


def inside(samples: np.ndarray, observed: float, level: float,
           weights: np.ndarray | None = None) -> bool:
    """Whether ``observed`` lies in the central ``level`` interval of the samples."""
    lo, hi = quantiles(samples, weights, ((1 - level) / 2, (1 + level) / 2))
    return bool(lo <= observed <= hi)


def coverage(flags) -> float:
    """Share of True in ``flags`` (nan when empty)."""
    f = np.asarray(list(flags), dtype=bool)
    return float(f.mean()) if f.size else float("nan")


def _equal_weight(x: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    if weights is None:
        return x
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    n = len(x)
    positions = (np.arange(n) + 0.5) / n
    return x[np.clip(np.searchsorted(np.cumsum(w), positions), 0, n - 1)]
