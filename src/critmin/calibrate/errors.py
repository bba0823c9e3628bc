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

A frozen forecast cannot refit: it takes the last fit of the shipped, versioned error table
(``critmin/data/forecasts/error_model.csv``, written by ``critmin forecast errors``) for
its model and inputs and records that fit, so a record is scored with its own error
however the table grows later (:func:`read_table`, :func:`append_table`, :func:`latest`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
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


# --- the shipped, versioned error table (what a frozen forecast adds to the model) -------

TABLE = "error_model.csv"
"""File of the fitted error models in the shipped ``critmin/data/forecasts/`` folder."""
META = ("fitted_on", "model", "model_version", "inputs", "inputs_version", "data_version",
        "samples", "seed", "episodes", "by")
"""What each fit records besides its (a, b): when, on which code, inputs and data, with
which samples and seed, over which episodes (``;``-joined) and pooling."""
COLUMNS = ("version", *META, "key", "a", "b", "n", "log_crps")
KEYS = tuple(dict.fromkeys((*GROUP, *GROUP.values(), "ALL")))


class ErrorTableError(ValueError):
    """A bad or edited error table; the message names the file, row, field and value."""


@dataclass(frozen=True)
class FittedError:
    """One fit of the error table: its version (12 hex digits of SHA-256 over its meta
    and parameters), meta (:data:`META`) and the model."""
    version: str
    meta: dict
    model: ErrorModel

    def record(self) -> dict:
        """The fit as a frozen forecast holds it: version, meta and (a, b) per key."""
        return {"version": self.version, **self.meta, "params": self.model.records()}


def rounded(model: ErrorModel) -> ErrorModel:
    """``model`` with a, b and log CRPS to the 4 decimals the table keeps."""
    return ErrorModel({k: (round(a, 4), round(b, 4)) for k, (a, b) in model.params.items()},
                      dict(model.n), {k: round(v, 4) for k, v in model.crps.items()})


def version_of(meta: dict, model: ErrorModel) -> str:
    """12 hex digits of SHA-256 over the fit's meta and its rounded parameters."""
    body = {"meta": {k: str(meta[k]) for k in META},
            "params": {k: [f"{a:.4f}", f"{b:.4f}"] for k, (a, b) in
                       sorted(rounded(model).params.items())}}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]


def fitted(meta: dict, model: ErrorModel) -> FittedError:
    """A table entry for ``model`` fitted as ``meta`` says."""
    missing = [k for k in META if k not in meta]
    if missing:
        raise ValueError(f"error fit: meta lacks {missing}")
    meta = {k: meta[k] for k in META}
    return FittedError(version_of(meta, model), meta, rounded(model))


def shipped_table() -> Path:
    """The shipped error table (package data)."""
    return Path(str(resources.files("critmin.data") / "forecasts" / TABLE))


def _bad(path: Path, row: int, field: str, value, why: str) -> ErrorTableError:
    return ErrorTableError(f"{path}: row {row}, field {field!r}, value {value!r}: {why}")


def read_table(path: Path | None = None) -> list[FittedError]:
    """The fits in an error table, oldest first; a missing file has none. Raises
    :class:`ErrorTableError` for a missing column, a bad value, or rows whose content no
    longer matches their version (edited after the fit: refits are appended, never
    written over)."""
    path = Path(path or shipped_table())
    if not path.is_file():
        return []
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ErrorTableError(f"{path}: missing columns {missing}; expected {list(COLUMNS)}")
    out = []
    for version, g in df.groupby("version", sort=False):
        params, n, crps = {}, {}, {}
        for i, r in g.iterrows():
            row = int(i) + 2  # 1-based, after the header
            if r["key"] not in KEYS:
                raise _bad(path, row, "key", r["key"], f"not one of {list(KEYS)}")
            try:
                a, b = float(r["a"]), float(r["b"])
                n[r["key"]], crps[r["key"]] = int(r["n"]), float(r["log_crps"])
            except ValueError as exc:
                raise _bad(path, row, "a/b/n/log_crps", f"{r['a']}/{r['b']}/{r['n']}",
                           "not a number") from exc
            if not (0 <= a <= 10 and 0 <= b <= 10):
                raise _bad(path, row, "a/b", f"{a}/{b}", "sds must lie in [0, 10]")
            params[r["key"]] = (a, b)
        meta = {k: g[k].iloc[0] for k in META}
        for k in ("samples", "seed"):
            try:
                meta[k] = int(meta[k])
            except ValueError as exc:
                raise _bad(path, int(g.index[0]) + 2, k, meta[k], "not an integer") from exc
        if any(g[k].nunique() > 1 for k in META):
            raise _bad(path, int(g.index[0]) + 2, "version", version,
                       "rows of one version disagree on its meta")
        fit = FittedError(str(version), meta, ErrorModel(params, n, crps))
        if version_of(meta, fit.model) != version:
            raise _bad(path, int(g.index[0]) + 2, "version", version,
                       f"the rows no longer match their version (now "
                       f"{version_of(meta, fit.model)}): edited after the fit; restore the "
                       "file from version control and append a refit instead")
        out.append(fit)
    return out


def append_table(fit: FittedError, path: Path | None = None) -> bool:
    """Add ``fit`` at the end of the table (creating it); earlier rows are never
    rewritten. False (nothing written) if that version is already there."""
    path = Path(path or shipped_table())
    if any(f.version == fit.version for f in read_table(path)):
        return False
    rows = [{"version": fit.version, **fit.meta, "key": k, "a": f"{a:.4f}", "b": f"{b:.4f}",
             "n": fit.model.n.get(k, 0), "log_crps": f"{fit.model.crps.get(k, float('nan')):.4f}"}
            for k, (a, b) in fit.model.params.items()]
    new = not path.is_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8", newline="") as f:
        pd.DataFrame(rows, columns=list(COLUMNS)).to_csv(f, header=new, index=False,
                                                         lineterminator="\n")
    return True


def latest(model: str, inputs: str, path: Path | None = None) -> FittedError | None:
    """The last fit in the table for ``model`` on ``inputs`` (``priors``/``posterior``)."""
    mine = [f for f in read_table(path) if (f.meta["model"], f.meta["inputs"]) == (model, inputs)]
    return mine[-1] if mine else None


def from_record(record: dict) -> ErrorModel:
    """The error model a frozen forecast holds (its ``error_model`` entry)."""
    return ErrorModel({k: (float(v["a"]), float(v["b"])) for k, v in record["params"].items()})
