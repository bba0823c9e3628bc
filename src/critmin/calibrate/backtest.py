"""Backtest: the model's P5/P50/P95 beside every observed value of every training episode.

Variants per observation: ``priors_v1`` (the v1 model on its uncalibrated priors,
observation error from its prior), ``priors`` (the same for the model asked, v2),
``posterior`` (the model on the shipped posterior fitted to all training episodes, so
in-sample) and ``loo`` (the model on the shipped leave-one-episode-out posterior fitted
without the episode being scored: out-of-sample). Scores: CRPS (scoringrules) on the
relative value, and whether the observation lies in the central 50 % and 90 % intervals.
The forecast of an observation is the model's value times exp(sigma * N(0, 1)), sigma the
observation error of prices or export volumes (see :data:`critmin.calibrate.abc.NOISE`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from critmin.calibrate import scoring
from critmin.calibrate.abc import NOISE, add_noise, noise_name
from critmin.calibrate.episodes import load_targets, model_values
from critmin.calibrate.posterior import posterior_theta

VARIANTS = ("priors_v1", "priors", "posterior", "loo")
FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _theta(variant: str, model: str, episode: str, samples: int, seed: int):
    """(model theta or None for the priors, observation-error sigmas), or None if the
    variant has no shipped posterior."""
    if variant in ("priors_v1", "priors"):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(104729,)))
        return None, {n: rng.uniform(lo, hi, samples) for n, (lo, hi) in NOISE.items()}
    fit = "all" if variant == "posterior" else f"loo:{episode}"
    theta = posterior_theta(model, samples, seed, fit=fit, noise=True)
    if theta is None:
        return None
    noise = {n: theta.pop(n) for n in list(NOISE) if n in theta}
    return theta, noise


def _observe(v: np.ndarray, noise: dict, variable: str, seed: int, key: int) -> np.ndarray:
    """Model values as observed: with the observation error of the variable's kind."""
    sigma = noise.get(noise_name(variable))
    if sigma is None:
        return v
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))
    return add_noise(v, sigma, rng)


def _paths(net, sc, months, samples, seed, model, theta, variables=()):
    from critmin.simulate.paths import simulate_paths

    ds = simulate_paths(net, sc, samples=samples, seed=seed, months=months, model=model,
                        theta=theta, priors_only=theta is None)
    base = None
    if any(v.startswith("exports") and v in ds and f"{v}_base" not in ds
           for v in variables):  # exports without a baseline variable: a calm run
        calm = sc.model_copy(update={"controls": [], "outages": [], "demand_shocks": []})
        base = simulate_paths(net, calm, samples=samples, seed=seed, months=1, model=model,
                              theta=theta, priors_only=theta is None)
    return ds, base


def run_backtest(net, *, episodes: list[str] | None = None, model: str = "v1",
                 samples: int = 1000, seed: int = 0,
                 variants: tuple[str, ...] = VARIANTS, fans: bool = False
                 ) -> tuple[pd.DataFrame, dict]:
    """Scored rows (one per variant and observation) and, with ``fans``, the model's
    quantile paths per (variant, episode) for the figures. Variants without a shipped
    posterior are left out (the rows say which ran)."""
    targets = load_targets(net, episodes)
    rows, fan = [], {}
    for ep, sc in targets.scenarios.items():
        obs = targets.rows[targets.rows["episode"].eq(ep)]
        if obs.empty:
            continue
        for variant in variants:
            m = "v1" if variant == "priors_v1" else model
            if variant == "priors" and model == "v1":
                continue  # the same as priors_v1
            got = _theta(variant, m, ep, samples, seed)
            if got is None:
                continue
            theta, noise = got
            ds, base = _paths(net, sc, targets.months[ep], samples, seed, m, theta,
                              set(obs["variable"]))
            for i, r in obs.iterrows():
                v = model_values(ds, r, base)
                if v is None:
                    continue
                v = _observe(v, noise, r["variable"], seed, int(i))
                q = scoring.quantiles(v, qs=(0.05, 0.5, 0.95))
                rows.append(dict(
                    episode=ep, commodity=r["commodity"], observable=r["observable"],
                    destination=r["destination"], variable=r["variable"],
                    region=r["region"], basis=r["basis"], unit=r["unit"], date=r["date"],
                    observed=float(r["observed"]), p5=float(q[0]), p50=float(q[1]),
                    p95=float(q[2]), crps=scoring.crps(v, r["observed"]),
                    in_50=scoring.inside(v, r["observed"], 0.5),
                    in_90=scoring.inside(v, r["observed"], 0.9),
                    variant=variant, model=m, source_id=r["source_id"],
                    estimated=bool(r["estimated"])))
            if fans:
                fan[(variant, ep)] = _fan(ds, base, obs, sc, noise, seed)
    return pd.DataFrame(rows), fan


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per variant and episode (and ALL): observations, 50 %/90 % coverage, mean CRPS."""
    if rows.empty:
        return pd.DataFrame(columns=["variant", "episode", "n", "coverage_50", "coverage_90",
                                     "crps"])
    both = pd.concat([rows, rows.assign(episode="ALL")])
    g = both.groupby(["variant", "episode"], sort=False)
    out = g.agg(n=("observed", "size"), coverage_50=("in_50", "mean"),
                coverage_90=("in_90", "mean"), crps=("crps", "mean")).reset_index()
    return out


def _month_date(start: dt.date, m: int) -> str:
    y, mo = divmod(start.month - 1 + m, 12)
    return dt.date(start.year + y, mo + 1, 15).isoformat()


def _fan(ds, base, obs: pd.DataFrame, sc, noise: dict, seed: int) -> list[dict]:
    """Quantile paths of each observed series' variable (relative to baseline, with the
    observation error)."""
    out = []
    months = ds.sizes["month"]
    for (commodity, var, region), g in obs.groupby(["commodity", "variable", "region"]):
        if var not in ds or commodity not in ds["commodity"].values:
            continue
        paths = []
        for m in range(months):
            row = {"commodity": commodity, "variable": var, "region": region,
                   "month_from": m, "month_to": m}
            v = model_values(ds, row, base)
            if v is None:
                break
            paths.append(_observe(v, noise, var, seed, 10_000 + m))
        if not paths:
            continue
        arr = np.stack(paths, axis=1)  # (S, months)
        qs = np.quantile(arr, FAN_QUANTILES, axis=0)
        out.append({"commodity": commodity, "variable": var, "region": region,
                    "dates": [_month_date(sc.start, m) for m in range(arr.shape[1])],
                    "quantiles": {f"p{round(100 * q)}": qs[i].tolist()
                                  for i, q in enumerate(FAN_QUANTILES)},
                    "observed": g[["date", "observed", "unit", "basis"]].to_dict("records")})
    return out


def figures(fan: dict, rows: pd.DataFrame) -> list:
    """One Plotly figure per episode: observed points over the model's fans."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    figs = []
    for ep in dict.fromkeys(e for _, e in fan):
        variants = [v for v in ("loo", "posterior", "priors", "priors_v1") if (v, ep) in fan]
        series = fan[(variants[0], ep)]
        titles = [f"{s['commodity']} {s['variable']} {s['region']}".strip() for s in series]
        fig = make_subplots(rows=len(series), cols=1, subplot_titles=titles,
                            vertical_spacing=0.12 / max(1, len(series) - 1) + 0.04)
        colours = {"loo": "31,119,180", "posterior": "44,160,44", "priors": "148,103,189",
                   "priors_v1": "214,39,40"}
        pos = {(s["commodity"], s["variable"], s["region"]): i
               for i, s in enumerate(series, start=1)}
        for variant in variants:
            for s in fan[(variant, ep)]:
                i = pos.get((s["commodity"], s["variable"], s["region"]))
                if i is None:
                    continue
                c, q = colours[variant], s["quantiles"]
                fig.add_trace(go.Scatter(x=s["dates"], y=q["p95"], mode="lines",
                                         line={"width": 0},
                                         showlegend=False, hoverinfo="skip"), row=i, col=1)
                fig.add_trace(go.Scatter(x=s["dates"], y=q["p5"], fill="tonexty",
                                         mode="lines",
                                         fillcolor=f"rgba({c},0.15)", line={"width": 0},
                                         name=f"{variant} P5-P95", legendgroup=variant,
                                         showlegend=i == 1), row=i, col=1)
                fig.add_trace(go.Scatter(x=s["dates"], y=q["p50"], mode="lines",
                                         line={"color": f"rgb({c})"},
                                         name=f"{variant} P50", legendgroup=variant,
                                         showlegend=i == 1), row=i, col=1)
        for i, s in enumerate(series, start=1):
            o = pd.DataFrame(s["observed"])
            fig.add_trace(go.Scatter(x=o["date"], y=o["observed"], mode="markers",
                                     marker={"color": "black", "size": 8},
                                     text=o["basis"], name="observed", showlegend=i == 1),
                          row=i, col=1)
            fig.update_yaxes(title_text="x baseline", type="log", row=i, col=1)
        sub = rows[rows["episode"].eq(ep)]
        note = "; ".join(f"{v}: CRPS {g['crps'].mean():.2f}, 90 % cover "
                         f"{g['in_90'].mean():.0%}" for v, g in sub.groupby("variant"))
        fig.update_layout(title=f"{ep} — {note}", height=320 * len(series) + 120)
        figs.append(fig)
    return figs
