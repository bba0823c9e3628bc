"""The shipped posterior of the latent inputs (``posterior.csv`` and
``posterior_meta.json``, written by ``critmin calibrate``): reading a fit, and
:class:`PosteriorInputs`, its draws resampled per block of samples so a sample's draw never
depends on chunking. One row per (model, fit, draw, parameter) with the draw's weight;
``fit`` is ``all`` or ``loo:EPISODE``. A history-matching fit
(:mod:`critmin.calibrate.history`) has no rows: its provenance names the sample indices of
its kept draws, the bank's seed and prior rows, and :func:`fit_draws` redraws them; a
hierarchical fit's particles are in ``posterior_particles.npz``
(:mod:`critmin.market.pooling`)."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.market import pooling
from critmin.market.latent import BLOCK, draws
from critmin.market.registry import DEFAULT_MODEL

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


def bank_draws(table: pd.DataFrame, seed: int, samples: int) -> pd.DataFrame:
    """Values of a v2 bank's draws (samples x inputs), as the runs drew them."""
    d = draws(table, seed, 0, samples)
    return pd.DataFrame({n: d[n] for n in table["name"]})


@functools.lru_cache(maxsize=8)
def _index_fit(meta: str, mtime_ns: int, model: str, fit: str):
    """The redrawn fit of a history-matching provenance, or None (cached by file version)."""
    info = json.loads(Path(meta).read_text(encoding="utf-8"))
    prov = info.get(model, {}).get(fit, {})
    if "particles" in prov:  # a hierarchical fit (critmin.calibrate.hierarchical)
        with np.load(Path(meta).with_name(pooling.PARTICLES)) as z:
            return pooling.fit_frame(prov, z[pooling.key(fit)])
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


@dataclass(frozen=True)
class PosteriorInputs:
    """The shipped posterior's draws of a model's latent inputs (critmin calibrate)."""

    names: tuple[str, ...]
    values: np.ndarray  # (draws, inputs)
    weights: np.ndarray  # (draws,) summing to 1
    key: str  # fingerprint of the fit, part of a run's identity

    def theta(self, seed: int, start: int, stop: int, table: pd.DataFrame | None = None
              ) -> dict[str, np.ndarray]:
        """Theta arrays for samples [start, stop): draws resampled by weight in blocks of
        BLOCK samples, each block from its own stream, so a sample's draw never depends
        on chunking. With ``table`` (a run's prior rows) and a hierarchical fit, pooled
        inputs of commodities the fit lacks borrow its shared means and scales."""
        idx = []
        for b in range(start // BLOCK, -(-stop // BLOCK)):
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(b, 7919)))
            block = rng.choice(len(self.weights), size=BLOCK, p=self.weights)
            lo, hi = max(start, b * BLOCK) - b * BLOCK, min(stop, (b + 1) * BLOCK) - b * BLOCK
            idx.append(block[lo:hi])
        rows = self.values[np.concatenate(idx)]
        out = {n: rows[:, j] for j, n in enumerate(self.names)}
        if table is not None and any(n.startswith(pooling.MU) for n in self.names):
            out = pooling.borrow(table, out, seed, start, stop, BLOCK)
        return out


def posterior_inputs(model: str = DEFAULT_MODEL, fit: str = "all") -> PosteriorInputs | None:
    """The model's shipped posterior of its latent inputs (less the observation-error
    terms ``noise_*`` of the calibration), or None when none is shipped."""
    got = fit_draws(model, fit)
    if got is None:
        return None
    wide, w = got
    wide = wide[[c for c in wide.columns if not c.startswith("noise_")]]
    values = wide.to_numpy(dtype=float)
    key = hashlib.sha256(values.tobytes() + w.tobytes() + ",".join(wide.columns).encode())
    return PosteriorInputs(tuple(wide.columns), values, w, f"{model}:{fit}:"
                           f"{key.hexdigest()[:12]}")
