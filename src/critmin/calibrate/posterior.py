"""The shipped posterior of the latent inputs: weighted draws with provenance.

``src/critmin/data/tables/posterior.csv`` holds one row per (model, fit, draw, parameter)
with the draw's weight; ``fit`` is ``all`` (every training episode) or ``loo:EPISODE``
(leave-one-episode-out: all but EPISODE). ``posterior_meta.json`` beside it records each
fit's provenance: episodes and observations used, method, settings, seed, date and
critmin version. Both are written by ``critmin calibrate`` (``--loo`` for the LOO fits).
A history-matching fit (:mod:`critmin.calibrate.history`) has no rows in the table: its
provenance names the sample indices of its kept draws, the bank's seed and prior rows, and
:func:`fit_draws` redraws their values.
"""

from __future__ import annotations

import functools
import json
import os
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.market.v2.priors import draws

COLUMNS = ["model", "fit", "draw", "weight", "parameter", "value"]
ENV = "CRITMIN_POSTERIOR_DIR"
"""Environment variable naming another directory for the posterior files (tests)."""


def posterior_dir() -> Path:
    override = os.environ.get(ENV)
    if override:
        return Path(override)
    return Path(str(resources.files("critmin.data") / "tables"))


def _paths(directory: Path | None) -> tuple[Path, Path]:
    d = directory or posterior_dir()
    return d / "posterior.csv", d / "posterior_meta.json"


def read_posterior(directory: Path | None = None) -> tuple[pd.DataFrame, dict]:
    """All shipped fits (long table) and their provenance; empty when none."""
    csv, meta = _paths(directory)
    df = pd.read_csv(csv) if csv.exists() else pd.DataFrame(columns=COLUMNS)
    info = json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else {}
    return df, info


def fit_draws(model: str, fit: str = "all", directory: Path | None = None
              ) -> tuple[pd.DataFrame, np.ndarray] | None:
    """(draws x parameters frame, normalised weights) of one fit, or None if absent."""
    _, meta = _paths(directory)
    if meta.exists():  # a history-matching fit: redrawn once per version of the file
        got = _index_fit(str(meta), meta.stat().st_mtime_ns, model, fit)
        if got is not None:
            wide, w = got
            return wide.copy(), w.copy()
    df, _ = read_posterior(directory)
    sel = df[df["model"].eq(model) & df["fit"].eq(fit)]
    if sel.empty:
        return None
    wide = sel.pivot(index="draw", columns="parameter", values="value").sort_index()
    w = sel.groupby("draw")["weight"].first().reindex(wide.index).to_numpy(dtype=float)
    return wide, w / w.sum()


def resample(wide: pd.DataFrame, weights: np.ndarray, samples: int, seed: int
             ) -> dict[str, np.ndarray]:
    """``samples`` draws (with replacement, by weight) as theta arrays; deterministic."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7919,)))
    idx = rng.choice(len(wide), size=samples, p=weights)
    return {c: wide[c].to_numpy(dtype=float)[idx] for c in wide.columns}


def posterior_theta(model: str, samples: int, seed: int, fit: str = "all",
                    directory: Path | None = None, noise: bool = False
                    ) -> dict[str, np.ndarray] | None:
    """Theta arrays drawn from the shipped posterior, or None when none is shipped. The
    calibration's observation-error terms (``noise_*``) come along only with ``noise``."""
    got = fit_draws(model, fit, directory)
    if got is None:
        return None
    theta = resample(*got, samples, seed)
    return theta if noise else {k: v for k, v in theta.items() if not k.startswith("noise_")}


def write_fits(fits: dict[str, tuple[pd.DataFrame, np.ndarray, dict]], model: str,
               directory: Path | None = None) -> None:
    """Replace ``model``'s fits named in ``fits`` (fit -> (draws, weights, provenance)),
    keeping every other fit; both files are written whole (temporary file + rename)."""
    csv, meta = _paths(directory)
    csv.parent.mkdir(parents=True, exist_ok=True)
    df, info = read_posterior(directory)
    keep = df[~(df["model"].eq(model) & df["fit"].isin(list(fits)))]
    parts = [keep] if len(keep) else []
    for fit, (wide, w, prov) in fits.items():
        long = wide.reset_index(drop=True).rename_axis("draw").reset_index().melt(
            id_vars="draw", var_name="parameter", value_name="value")
        long["weight"] = np.asarray(w, dtype=float)[long["draw"].to_numpy()]
        long["model"], long["fit"] = model, fit
        parts.append(long[COLUMNS])
        info.setdefault(model, {})[fit] = prov
    out = pd.concat(parts, ignore_index=True).sort_values(
        ["model", "fit", "draw", "parameter"], kind="stable")
    tmp = csv.with_name(csv.name + ".tmp")
    out.to_csv(tmp, index=False, float_format="%.6g", lineterminator="\n")
    tmp.replace(csv)
    tmp = meta.with_name(meta.name + ".tmp")
    tmp.write_text(json.dumps(info, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(meta)


def bank_draws(table: pd.DataFrame, seed: int, samples: int) -> pd.DataFrame:
    """Values of a v2 bank's draws (samples x inputs), as the runs drew them."""
    d = draws(table, seed, 0, samples)
    return pd.DataFrame({n: d[n] for n in table["name"]})


@functools.lru_cache(maxsize=8)
def _index_fit(meta: str, mtime_ns: int, model: str, fit: str):
    """The redrawn fit of a history-matching provenance, or None (cached by file version)."""
    info = json.loads(Path(meta).read_text(encoding="utf-8"))
    prov = info.get(model, {}).get(fit, {})
    return fit_frame(prov) if "draw_index" in prov else None


def fit_frame(prov: dict) -> tuple[pd.DataFrame, np.ndarray]:
    """(draws x inputs, weights) of a history-matching fit: its kept draws redrawn from
    the bank's prior rows and seed, equal weights, the discrepancy as observation error."""
    table = pd.DataFrame(prov["prior_rows"])
    idx = np.asarray(prov["draw_index"], dtype=int)
    wide = bank_draws(table, int(prov["seed"]), int(prov["bank_samples"])).iloc[idx]
    wide = wide.reset_index(drop=True)
    for n, sd in prov["discrepancy"].items():
        wide[n] = float(sd)
    return wide, np.full(len(wide), 1.0 / max(len(wide), 1))


def write_index_fits(fits: dict[str, dict], model: str, directory: Path | None = None
                     ) -> None:
    """Replace ``model``'s fits with index-stored ones (fit -> provenance with
    ``draw_index``): the model's rows leave the table; other models' fits stay."""
    csv, meta = _paths(directory)
    csv.parent.mkdir(parents=True, exist_ok=True)
    df, info = read_posterior(directory)
    keep = df[~df["model"].eq(model)]
    tmp = csv.with_name(csv.name + ".tmp")
    keep.to_csv(tmp, index=False, float_format="%.6g", lineterminator="\n")
    tmp.replace(csv)
    info[model] = dict(fits)
    tmp = meta.with_name(meta.name + ".tmp")
    tmp.write_text(json.dumps(info, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(meta)
