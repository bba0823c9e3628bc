"""The backtest's observation-error model: a spread that grows with the horizon, per kind.

An observed value of target k (relative to its baseline) is forecast as the model's draws
times ``exp(sigma(kind_k, h_k) * z)``, ``z ~ N(0, 1)``, ``h_k`` the months after the
announcement (at least 0), with

    sigma(kind, h) = sqrt(a_kind^2 + b_kind^2 * h)

``a`` is the discrepancy present at once (grade, market and averaging differ from the
model's price; customs volumes swing with shipments); ``b^2`` the variance the model's
error adds per month, as a random walk's would. ``a`` and ``b`` of each observable kind
(:data:`critmin.calibrate.episodes.KINDS`) are fitted by minimising the mean CRPS of the
log values over the rows they are given, the model's draws held fixed. A kind with fewer
than :data:`MIN_ROWS` rows takes the fit of its group (prices or exports) and a group with
fewer takes the fit of every row. The backtest fits one model per scored episode on the
other episodes' rows only (:func:`leave_one_out`), so the spread is out of sample too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scoringrules as sr

A_RANGE = (0.02, 1.5)
"""Bounds of a (sd of the log value at the announcement)."""
B_RANGE = (0.0, 0.8)
"""Bounds of b (sd of the log value added per square-root month). With 0.4 the export
volumes' b sat on the bound; their fit is 0.73 (7 Dec 2026)."""
MIN_ROWS = 8
"""Fewest rows a kind's own fit takes; below it the kind uses its group's."""
FIT_DRAWS = 256
"""Model draws per row used to fit (the first ones; draws are exchangeable)."""
BY = "group"
"""Default pooling: per group. On the 134 v2 targets of 7 Dec 2026 (LOO, 1,000 samples)
per-group fits scored CRPS 0.472, 90 % coverage 85 %, median P95/P5 5.5; per-kind fits
0.472, 86 %, 5.6 (twice the parameters, no better score)."""
GROUP = {"price_ex_china": "price", "price_china": "price", "exports": "exports",
         "exports_by_destination": "exports"}


@dataclass(frozen=True)
class ErrorModel:
    """Fitted (a, b) per observable kind, group (``price``, ``exports``) and ``ALL``, with
    the rows each was fitted on (``n``) and the mean log CRPS it reached."""
    params: dict[str, tuple[float, float]]
    n: dict[str, int] = field(default_factory=dict)
    crps: dict[str, float] = field(default_factory=dict)

    def ab(self, kind: str) -> tuple[float, float]:
        for key in (kind, GROUP.get(kind, ""), "ALL"):
            if key in self.params:
                return self.params[key]
        raise KeyError(f"no error fit for kind {kind!r}")

    def sigma(self, kind: str, horizon: float) -> float:
        """Sd of the log observation error of ``kind`` at ``horizon`` months."""
        a, b = self.ab(kind)
        return float(np.sqrt(a * a + b * b * max(float(horizon), 0.0)))

    def records(self) -> dict:
        return {k: {"a": round(a, 4), "b": round(b, 4), "n": self.n.get(k, 0),
                    "log_crps": round(self.crps.get(k, float("nan")), 4)}
                for k, (a, b) in self.params.items()}


def _objective(logv: np.ndarray, logy: np.ndarray, h: np.ndarray, z: np.ndarray,
               a: float, b: float) -> float:
    s = np.sqrt(a * a + b * b * h)[:, None]
    return float(np.mean(sr.crps_ensemble(logy, logv + s * z)))


def _grid(lo: float, hi: float, n: int) -> np.ndarray:
    return np.linspace(lo, hi, n)


def fit_ab(logv: np.ndarray, logy: np.ndarray, h: np.ndarray, z: np.ndarray
           ) -> tuple[float, float, float]:
    """(a, b, mean log CRPS) minimising the mean CRPS of ``logy`` (K,) under the draws
    ``logv`` (K, S) plus ``sigma(h) * z`` (z (K, S) standard normal): a coarse grid, then
    a finer one around its best point (deterministic)."""
    best = (np.inf, A_RANGE[0], B_RANGE[0])
    ga, gb = _grid(*A_RANGE, 16), _grid(*B_RANGE, 9)
    for _ in range(2):
        for a in ga:
            for b in gb:
                f = _objective(logv, logy, h, z, a, b)
                if f < best[0]:
                    best = (f, a, b)
        da, db = ga[1] - ga[0], gb[1] - gb[0]
        ga = _grid(max(A_RANGE[0], best[1] - da), min(A_RANGE[1], best[1] + da), 9)
        gb = _grid(max(B_RANGE[0], best[2] - db), min(B_RANGE[1], best[2] + db), 9)
    return float(best[1]), float(best[2]), float(best[0])


def fit(values: list[np.ndarray], observed, kinds, horizons, seed: int = 0,
        by: str = "group") -> ErrorModel:
    """The error model fitted on rows: ``values`` the model's draws per row (relative,
    floored at 1 % before the log), ``observed`` the relative values, ``kinds`` and
    ``horizons`` (months after the announcement) per row; ``by`` ``group`` (one a
    and b for prices, one for export volumes: the default, see :data:`BY`), ``kind``
    (each kind its own, a kind with too few rows its group's) or ``all`` (one pair)."""
    floor = 0.01
    s = min(FIT_DRAWS, min(len(v) for v in values)) if values else 0
    logv = np.log(np.maximum(np.stack([np.asarray(v, float)[:s] for v in values]), floor)) \
        if values else np.zeros((0, 0))
    logy = np.log(np.maximum(np.asarray(observed, float), floor))
    h = np.maximum(np.asarray(horizons, float), 0.0)
    kinds = np.asarray(kinds, dtype=object)
    z = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2718,))
                              ).standard_normal(logv.shape)
    params, n, crps = {}, {}, {}

    def fit_on(key: str, sel: np.ndarray) -> bool:
        if sel.sum() < MIN_ROWS:
            return False
        a, b, f = fit_ab(logv[sel], logy[sel], h[sel], z[sel])
        params[key], n[key], crps[key] = (a, b), int(sel.sum()), f
        return True

    if by == "kind":
        for g in dict.fromkeys(GROUP.values()):
            members = [k for k, v in GROUP.items() if v == g]
            if not all([fit_on(k, kinds == k) for k in members]):
                fit_on(g, np.isin(kinds, members))
    elif by == "group":
        for g in dict.fromkeys(GROUP.values()):
            fit_on(g, np.isin(kinds, [k for k, v in GROUP.items() if v == g]))
    complete = all(k in params or GROUP[k] in params for k in GROUP)
    if not complete and not fit_on("ALL", np.ones(len(kinds), bool)):
        raise ValueError(f"error model: {len(kinds)} rows, at least {MIN_ROWS} needed")
    return ErrorModel(params, n, crps)


def leave_one_out(values: list[np.ndarray], observed, kinds, horizons, episodes,
                  seed: int = 0) -> dict[str, ErrorModel]:
    """Per episode: the error model fitted on every other episode's rows."""
    episodes = np.asarray(episodes, dtype=object)
    out = {}
    for ep in dict.fromkeys(episodes):
        keep = np.flatnonzero(episodes != ep)
        out[ep] = fit([values[i] for i in keep], np.asarray(observed)[keep],
                      np.asarray(kinds, dtype=object)[keep], np.asarray(horizons)[keep],
                      seed)
    return out
