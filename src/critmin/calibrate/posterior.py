"""The shipped posterior of the latent inputs: weighted draws with provenance.

``src/critmin/data/tables/posterior.csv`` holds one row per (model, fit, draw, parameter)
with the draw's weight; ``fit`` is ``all`` (every training episode) or ``loo:EPISODE``
(leave-one-episode-out: all but EPISODE). ``posterior_meta.json`` beside it records each
fit's provenance: episodes and observations used, method, settings, seed, date and
critmin version. Both are written by ``critmin calibrate`` (``--loo`` for the LOO fits).
A history-matching fit (:mod:`critmin.calibrate.history`) has no rows in the table: its
provenance names the sample indices of its kept draws, the bank's seed and prior rows, and
:func:`fit_draws` redraws their values. A hierarchical fit
(:mod:`critmin.calibrate.hierarchical`) has no rows either: its final particles are in
``posterior_particles.npz`` beside the meta (:func:`write_particle_fits`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.market.posterior import (
    COLUMNS,
    ENV,
    _paths,
    bank_draws,
    fit_draws,
    fit_frame,
    posterior_dir,
    read_posterior,
)

__all__ = ["COLUMNS", "ENV", "bank_draws", "dumps_meta", "fit_draws", "fit_frame",
           "posterior_dir", "posterior_theta", "read_posterior", "resample", "write_fits",
           "write_index_fits", "write_particle_fits"]

def dumps_meta(info: dict) -> str:
    """``posterior_meta.json``'s text: indented objects, every list of scalars (kept-draw
    indices, an observation's key) on one line, so a fit's thousands of indices stay one
    compact array; ``json.loads`` reads it back unchanged."""
    def leaf(v) -> bool:
        return isinstance(v, list) and not any(isinstance(x, (list, dict)) for x in v)

    def walk(v, depth: int) -> str:
        pad, inner = " " * depth, " " * (depth + 1)
        if isinstance(v, dict) and v:
            items = [f"{inner}{json.dumps(k)}: {walk(v[k], depth + 1)}" for k in sorted(v)]
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(v, list) and v and not leaf(v):
            items = [inner + walk(x, depth + 1) for x in v]
            return "[\n" + ",\n".join(items) + "\n" + pad + "]"
        return json.dumps(v, separators=(",", ":")) if leaf(v) else json.dumps(v)

    return walk(info, 0) + "\n"


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
    tmp.write_text(dumps_meta(info), encoding="utf-8")
    tmp.replace(meta)


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
    tmp.write_text(dumps_meta(info), encoding="utf-8")
    tmp.replace(meta)


def write_particle_fits(fits: dict[str, dict], particles: dict[str, np.ndarray],
                        model: str, directory: Path | None = None) -> None:
    """Replace ``model``'s fits with hierarchical ones: provenance per fit in
    posterior_meta.json, each fit's particles (whitened coordinates, float16) in
    :data:`critmin.market.pooling.PARTICLES`; the model's rows leave the table."""
    from critmin.market import pooling

    write_index_fits(fits, model, directory)
    csv, _ = _paths(directory)
    path = csv.with_name(pooling.PARTICLES)
    tmp = path.with_name("tmp_" + path.name)
    arrays = {pooling.key(f): np.asarray(u, dtype=np.float16) for f, u in particles.items()}
    np.savez_compressed(tmp, allow_pickle=False, **arrays)
    tmp.replace(path)
