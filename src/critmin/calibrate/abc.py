"""Joint ABC-SMC calibration of the latent inputs over the training episodes (pyabc).

Statistical model: each observation k (a price or export volume relative to the
episode's baseline) is the model's value times a log-normal observation error,
``log o_k = log m_k(theta) + e_k``, ``e_k ~ N(0, sigma^2)`` with sigma = ``noise_price``
or ``noise_exports`` (calibrated with the inputs; relative values floored at 1 %).
pyabc's stochastic acceptor with an independent normal kernel and a temperature
schedule ending at 1 makes the ABC-SMC posterior exact under this noise model.

The model of pyabc is :class:`EpisodeModel`: one parameter vector (a particle) gives the
simulated log-relative value of every target observation. Simulating one particle at a
time would waste the engine, which is vectorised over samples; :class:`BatchSampler`
therefore draws a batch of proposals at once (pyabc's transition ``rvs(size=...)``, the
prior's RVs with ``size``), simulates them in one engine call per episode (particles as
samples through ``theta``; with an executor the batch is split across workers), then
lets pyabc accept and weight each particle in proposal order. All random numbers come
from NumPy's global state seeded with ``seed`` and are drawn in the coordinating
process, so the same seed gives the same posterior whatever the executor or worker count.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import functools
import logging
import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from critmin import __version__
from critmin.calibrate.episodes import Targets, episode_paths, load_targets, model_values
from critmin.market.registry import DEFAULT_MODEL

FLOOR = 0.01
FIXED = ("fill_shift_USA", "fill_shift_JPN")
"""Latent inputs with no bearing on the episodes (no stockpiles in their scenarios)."""
NOISE = {"noise_price": (0.02, 1.0), "noise_exports": (0.05, 2.0)}
"""Observation error (standard deviation of log value) of prices and of export volumes:
U(low, high) priors, calibrated with the model's inputs. Prices differ by grade, market
and averaging from the model's price; monthly customs volumes swing with shipments."""


def noise_name(variable: str) -> str:
    return "noise_exports" if variable.startswith("exports") else "noise_price"


def add_noise(values: np.ndarray, sigma: np.ndarray, rng) -> np.ndarray:
    """``values`` (S, ...) times exp(sigma * N(0, 1)), sigma (S,)."""
    eps = rng.standard_normal(values.shape)
    return values * np.exp(np.asarray(sigma).reshape((-1,) + (1,) * (values.ndim - 1)) * eps)


def effective_sample_size(weights) -> float:
    """Kish's effective number of draws of a weighted population: 1 / sum(w^2), w
    normalised (equal weights give the population size; one dominant draw gives 1)."""
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    return float(1.0 / np.sum(w**2))


def log_rel(x: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(np.asarray(x, dtype=float), FLOOR))


def calibrated_names(priors: pd.DataFrame, targets: Targets,
                     model: str = DEFAULT_MODEL) -> list[str]:
    """Latent inputs fitted: shared ones (less FIXED) and, for v1, the per-commodity
    deviations of commodities with targets. v2's per-commodity inputs (dozens for these
    episodes) stay at their prior draws: too many for the data and for ABC."""
    commodities = set(targets.rows["commodity"])
    keep = priors["scope"].eq("ALL") & ~priors["name"].isin(FIXED)
    if model == "v1":
        keep |= priors["scope"].isin(commodities)
    return list(priors.loc[keep, "name"])


class EpisodeModel:
    """Simulated log-relative targets for batches of parameter vectors."""

    def __init__(self, net, targets: Targets, model: str, seed: int):
        self.net, self.targets, self.model, self.seed = net, targets, model, seed
        self._cache: dict[int, tuple[object, np.ndarray]] = {}

    def simulate(self, theta: dict[str, np.ndarray]) -> np.ndarray:
        """(B, K) log-relative model values, one row per parameter vector (no noise)."""
        theta = {k: v for k, v in theta.items() if k not in NOISE}

        rows = self.targets.rows
        b = len(next(iter(theta.values())))
        out = np.full((b, len(rows)), np.nan)  # nan: the model lacks the variable
        for ep, sc in self.targets.scenarios.items():
            sel = rows.index[rows["episode"].eq(ep)]
            if not len(sel):
                continue
            ds, base = episode_paths(self.net, sc, months=self.targets.months[ep],
                                     samples=b, seed=self.seed, model=self.model,
                                     theta=theta, variables=set(rows.loc[sel, "variable"]))
            for i in sel:
                v = model_values(ds, rows.loc[i], base)
                if v is not None:
                    out[:, rows.index.get_loc(i)] = log_rel(v)
        return out

    def prefill(self, params: list, executor: cf.Executor | None = None,
                job=None) -> None:
        """Simulate ``params`` (pyabc Parameters) at once; results wait in a cache."""
        names = sorted(params[0].keys())
        theta = {n: np.array([p[n] for p in params], dtype=float) for n in names}
        if executor is None:
            y = self.simulate(theta)
        else:
            parts = np.array_split(np.arange(len(params)), _workers(executor))
            parts = [p for p in parts if len(p)]
            futures = [executor.submit(_simulate_part, job,
                                       {n: v[p] for n, v in theta.items()}) for p in parts]
            y = np.concatenate([f.result() for f in futures])
        for p, row in zip(params, y, strict=True):
            self._cache[id(p)] = (p, row)

    def __call__(self, pars) -> dict:
        hit = self._cache.pop(id(pars), None)
        if hit is not None and hit[0] is pars:
            return {"y": hit[1]}
        theta = {n: np.array([pars[n]], dtype=float) for n in sorted(pars.keys())}
        return {"y": self.simulate(theta)[0]}


def _workers(executor) -> int:
    n = getattr(executor, "_max_workers", None)
    client = getattr(executor, "_critmin_client", None)
    if client is not None:
        n = max(1, len(client.scheduler_info().get("workers", {})))
    return int(n or 2)


@functools.cache
def _worker_model(data: str | None, episodes: tuple[str, ...], model: str, seed: int,
                  keep: tuple[int, ...]):
    from critmin.model.network import load

    net = load(data)
    t = load_targets(net, list(episodes))
    t = Targets(rows=t.rows.iloc[list(keep)].reset_index(drop=True), scenarios=t.scenarios,
                months=t.months, skipped=t.skipped)
    return EpisodeModel(net, t, model, seed)


def _simulate_part(job: tuple, theta: dict) -> np.ndarray:
    from critmin.workers import tune_malloc

    tune_malloc()
    return _worker_model(*job).simulate(theta)


def _proposals(kw: dict, b: int, prior: bool) -> list:
    """``b`` parameter proposals, vectorised: from the prior (generation 0) or from the
    transition kernel around the last population, kept where the prior density is
    positive (what pyabc's generate_valid_proposal does one at a time) and where the
    kernel's own density is a positive number: a population whose weight sits on a few
    particles gives a near-singular kernel whose density can underflow to 0 at its own
    draws, and pyabc's importance weight (prior / kernel density) would be infinite."""
    from pyabc.parameters import Parameter

    if len(kw["parameter_priors"]) != 1:
        raise ValueError("BatchSampler handles one model")
    dist = kw["parameter_priors"][0]
    names = sorted(dist.keys())
    if prior:
        cols = {k: np.atleast_1d(dist[k].rvs(size=b)) for k in names}
    else:
        tr, parts, got = kw["transitions"][0], [], 0
        while got < b:
            df = tr.rvs(size=b - got)
            dens = np.prod([np.asarray(dist[k].pdf(df[k].to_numpy())) for k in names], axis=0)
            df = df[dens > 0]
            kernel: np.ndarray | list = (np.atleast_1d(np.asarray(tr.pdf(df), dtype=float))
                                         if len(df) else [])
            df = df[np.isfinite(kernel) & (np.asarray(kernel) > 0)]
            parts.append(df)
            got += len(df)
        df = pd.concat(parts)
        cols = {k: df[k].to_numpy() for k in names}
    return [Parameter({k: float(cols[k][i]) for k in names}) for i in range(b)]


def _batch_sampler_class():
    import pyabc
    from pyabc.inference_util.inference_util import (
        _simulate_one_from_prior,
        evaluate_proposal,
    )
    from pyabc.population import Particle

    class BatchSampler(pyabc.sampler.Sampler):
        """Vectorised, deterministic sampler: see the module notes."""

        def __init__(self, model: EpisodeModel, max_batch: int = 2048, executor=None,
                     job=None):
            super().__init__()
            self.model, self.max_batch, self.executor, self.job = model, max_batch, \
                executor, job
            self.rate = 0.3
            self.simulations = 0

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                    all_accepted=False, ana_vars=None):
            kw = simulate_one.keywords
            prior = simulate_one.func is _simulate_one_from_prior
            if not prior and not kw.get("evaluate", True):
                raise ValueError("BatchSampler does not do look-ahead sampling")
            sample = self._create_empty_sample()
            accepted = evaluated = 0
            while accepted < n:
                need = (n - accepted) if prior else (n - accepted) / max(self.rate, 0.01)
                b = int(min(self.max_batch, max(16, math.ceil(1.2 * need))))
                props = [(0, th) for th in _proposals(kw, b, prior or kw["t"] == 0)]
                self.model.prefill([th for _, th in props], self.executor, self.job)
                self.simulations += b
                for m, theta in props:
                    if prior:
                        res = kw["models"][m].summary_statistics(
                            0, theta, kw["summary_statistics"])
                        particle = Particle(m=m, parameter=theta, weight=1.0,
                                            sum_stat=res.sum_stat, distance=np.inf,
                                            accepted=True, proposal_id=0,
                                            preliminary=False)
                    else:
                        particle = evaluate_proposal(
                            m, theta, t=kw["t"], models=kw["models"],
                            summary_statistics=kw["summary_statistics"],
                            distance_function=kw["distance_function"], eps=kw["eps"],
                            acceptor=kw["acceptor"], x_0=kw["x_0"],
                            weight_function=kw["weight_function"],
                            proposal_id=kw["proposal_id"])
                    sample.append(particle)
                    evaluated += 1
                    accepted += particle.accepted
                    if accepted >= n:
                        break
                self.model._cache.clear()
                if not prior:
                    self.rate = max(accepted, 1) / evaluated
            self.nr_evaluations_ = evaluated
            return sample

    return BatchSampler


DEFENSIVE = 0.2
"""Share of the transition kernel's mixture weight spread evenly over the population."""


def _kernel_class():
    import pyabc

    class DefensiveKernel(pyabc.MultivariateNormalTransition):
        """pyabc's multivariate normal kernel around the last population, its mixture
        weights (1 - DEFENSIVE) w + DEFENSIVE / N (a defensive mixture): where the
        importance weights w sit on one particle the kernel still has a covariance and
        proposes around the whole population. Any kernel keeps ABC-SMC exact, since
        pyabc weights each particle by prior / kernel density."""

        def fit(self, X, w):
            w = np.asarray(w, dtype=float)
            super().fit(X, (1 - DEFENSIVE) * w / w.sum() + DEFENSIVE / len(w))

    return DefensiveKernel


def _rv(row):
    from pyabc import RV

    lo, hi = float(row["low"]), float(row["high"])
    if row["dist"] == "uniform":
        return RV("uniform", lo, hi - lo)
    if row["dist"] == "loguniform":
        return RV("loguniform", lo, hi)
    if row["dist"] == "normal":
        return RV("norm", (lo + hi) / 2, (hi - lo) / (2 * 1.959964))
    raise ValueError(f"latent prior {row['name']}: unknown dist {row['dist']!r}")


def calibrate(net, *, episodes: list[str] | None = None, model: str = DEFAULT_MODEL,
              population: int = 400, generations: int = 8, seed: int = 0,
              executor: cf.Executor | None = None, data: str | None = None,
              min_acceptance_rate: float = 0.01, fit: str = "all",
              exclude: str | None = None) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """ABC-SMC posterior over the latent inputs: (draws frame, weights, provenance).
    ``exclude`` drops one episode (leave-one-out fits)."""
    import pyabc

    from critmin.simulate.paths import latent_priors

    targets = load_targets(net, episodes)
    if exclude is not None:
        keep = [e for e in targets.scenarios if e != exclude]
        if not keep:
            raise ValueError(f"leaving out {exclude} leaves no training episode")
        targets = load_targets(net, keep)
    if targets.rows.empty:
        raise ValueError("no target observations in the episodes asked")
    priors = latent_priors(net, model)
    names = calibrated_names(priors, targets, model)
    rvs = {r["name"]: _rv(r) for _, r in priors[priors["name"].isin(names)].iterrows()}
    for n, (lo, hi) in NOISE.items():
        rvs[n] = pyabc.RV("uniform", lo, hi - lo)
    names = [*names, *NOISE]
    prior = pyabc.Distribution(**rvs)
    em = EpisodeModel(net, targets, model, seed)
    probe = em.simulate({n: np.atleast_1d(rv.rvs(size=2)) for n, rv in rvs.items()})
    modelled = np.isfinite(probe).all(axis=0)
    skipped = targets.rows[~modelled]
    targets = Targets(rows=targets.rows[modelled].reset_index(drop=True),
                      scenarios=targets.scenarios, months=targets.months,
                      skipped=targets.skipped)
    em = EpisodeModel(net, targets, model, seed)
    obs = log_rel(targets.rows["observed"].to_numpy())
    kinds = targets.rows["variable"].map(noise_name).to_numpy()

    def variance(par) -> np.ndarray:
        """Per-target variance of the log observation error (the likelihood's)."""
        return np.array([par[k] for k in kinds], dtype=float) ** 2

    job = (data, tuple(targets.scenarios), model, seed,
           tuple(int(i) for i in np.flatnonzero(modelled)))
    sampler = _batch_sampler_class()(em, executor=executor, job=job)
    logging.getLogger("ABC").setLevel(logging.WARNING)
    logging.getLogger("pyabc").setLevel(logging.WARNING)
    np.random.seed(seed)
    abc = pyabc.ABCSMC(em, prior, pyabc.IndependentNormalKernel(var=variance, keys=["y"]),
                       population_size=population, sampler=sampler, eps=pyabc.Temperature(),
                       transitions=_kernel_class()(),
                       acceptor=pyabc.StochasticAcceptor())
    with tempfile.TemporaryDirectory() as tmp:
        abc.new("sqlite:///" + str(Path(tmp) / "abc.db"), {"y": obs})
        history = abc.run(max_nr_populations=generations,
                          min_acceptance_rate=min_acceptance_rate)
        draws, weights = history.get_distribution(m=0, t=history.max_t)
        pops = history.get_all_populations()
        eps = [float(e) for e in pops["epsilon"] if np.isfinite(e)]  # temperatures
        n_generations = int(history.max_t) + 1
        total = int(history.total_nr_simulations)
    draws = draws[sorted(draws.columns)].reset_index(drop=True)
    prov = {
        "model": model, "fit": fit,
        "episodes": sorted(targets.scenarios),
        "scenarios": {e: sc.id for e, sc in sorted(targets.scenarios.items())},
        "observations": [[r.episode, r.commodity, r.observable, r.destination, r.date]
                         for r in targets.rows.itertuples()],
        "not_modelled": [[r.episode, r.commodity, r.variable, r.destination, r.date]
                         for r in skipped.itertuples()],
        "method": f"ABC-SMC (pyabc {pyabc.__version__}) with a stochastic acceptor "
                  "(exact under the noise model; temperature schedule to 1), batched "
                  f"proposals, multivariate normal transitions (defensive mixture, "
                  f"{DEFENSIVE:.0%} of the weight even)",
        "likelihood": "independent normal on log relative values, sd noise_price or "
                      "noise_exports (calibrated), relative values floored at 1 %",
        "settings": {"population": population, "max_generations": generations,
                     "generations_run": n_generations,
                     "min_acceptance_rate": min_acceptance_rate, "temperatures": eps,
                     "accepted_simulations": total, "simulations": sampler.simulations,
                     "effective_sample_size": effective_sample_size(weights),
                     "parameters": names, "noise_priors": NOISE, "floor": FLOOR},
        "seed": seed,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "critmin_version": __version__,
    }
    return draws, np.asarray(weights, dtype=float), prov
