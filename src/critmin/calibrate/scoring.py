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


def pit(samples: np.ndarray, observed: float, weights: np.ndarray | None = None) -> float:
    """Probability integral transform: the forecast's CDF at ``observed`` (ties count
    half), in [0, 1]; uniform over many observations when the forecast is calibrated."""
    x = np.asarray(samples, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    below = w[x < observed].sum() + 0.5 * w[x == observed].sum()
    return float(below / w.sum())


def crps_no_change(observed: float, reference: float = 1.0) -> float:
    """CRPS of the "no change" forecast, a point mass at ``reference`` (the
    pre-announcement value; 1.0 on values relative to it): the absolute error."""
    return abs(float(observed) - float(reference))


def crps_random_walk(observed: float, sigma_month: float, months: float) -> float:
    """CRPS of a driftless random walk in logs from 1.0 (the pre-announcement value):
    lognormal with median 1 and log spread ``sigma_month * sqrt(months)``. With no
    spread it is the no-change forecast."""
    s = float(sigma_month) * np.sqrt(max(float(months), 0.0))
    if not np.isfinite(s) or s <= 0:
        return crps_no_change(observed)
    with np.errstate(divide="ignore"):  # an observed 0 (no exports) has log -inf
        return float(sr.crps_lognormal(float(observed), 0.0, s))


def monthly_log_volatility(days: np.ndarray, values: np.ndarray) -> float:
    """Per-month standard deviation of log changes of a series observed on ``days``
    (days since any origin, increasing) with positive ``values``: sqrt(mean(r^2 / dt)),
    r the log change over dt months between consecutive observations (zero-mean random
    walk). nan with fewer than two observations at distinct dates."""
    d = np.asarray(days, dtype=float)
    v = np.asarray(values, dtype=float)
    keep = v > 0
    d, v = d[keep], v[keep]
    if len(d) < 2:
        return float("nan")
    dt = np.diff(d) / 30.4375
    r = np.diff(np.log(v))
    ok = dt > 0
    if not ok.any():
        return float("nan")
    return float(np.sqrt(np.mean(r[ok] ** 2 / dt[ok])))


def skill(crps_model: np.ndarray, crps_reference: np.ndarray) -> float:
    """CRPS skill of a forecast against a reference over the same observations:
    1 - mean(model CRPS) / mean(reference CRPS). 1 is perfect, 0 no better than the
    reference, negative worse; nan when the reference is perfect or nothing is scored.
    The ratio of means (not a mean of per-observation ratios, which a few near-perfect
    reference forecasts would dominate)."""
    m = np.asarray(crps_model, dtype=float)
    r = np.asarray(crps_reference, dtype=float)
    if m.size == 0 or r.size != m.size or r.mean() <= 0:
        return float("nan")
    return float(1.0 - m.mean() / r.mean())


def sharpness(p5: np.ndarray, p95: np.ndarray, p25: np.ndarray, p75: np.ndarray
              ) -> tuple[float, float]:
    """(median P95/P5, median P75 - P25) over forecasts of positive quantities: how wide
    the 90 % interval is as a ratio, and the 50 % interval's width in the forecast's
    unit (here: times the pre-announcement value). A P5 of 0 gives an infinite ratio."""
    lo = np.asarray(p5, dtype=float)
    hi = np.asarray(p95, dtype=float)
    if lo.size == 0:
        return float("nan"), float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(lo > 0, hi / np.where(lo > 0, lo, 1.0), np.inf)
    width = np.asarray(p75, dtype=float) - np.asarray(p25, dtype=float)
    return float(np.median(ratio)), float(np.median(width))


def bias(observed, p50, floor: float = 1e-3) -> float:
    """Median of log(observed / forecast median) over forecasts of positive quantities:
    above 0 the forecasts sit too low (the outcome lies above their median), below 0 too
    high; 0.69 is outcomes at twice the median. Values under ``floor`` count as
    ``floor`` (an export flow that stopped); nan when nothing is scored."""
    y = np.maximum(np.asarray(observed, dtype=float), floor)
    m = np.maximum(np.asarray(p50, dtype=float), floor)
    if y.size == 0:
        return float("nan")
    return float(np.median(np.log(y / m)))


def pit_histogram(values, bins: int = 10) -> list[int]:
    """Counts of PIT values in ``bins`` equal bins of [0, 1] (flat when calibrated)."""
    v = np.clip(np.asarray(list(values), dtype=float), 0.0, 1.0)
    counts, _ = np.histogram(v[np.isfinite(v)], bins=bins, range=(0.0, 1.0))
    return counts.tolist()
