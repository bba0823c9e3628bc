"""Backtest: the model's P5/P50/P95 beside every observed value of every training episode.

Variants per observation: ``priors_v1`` (the v1 model on its uncalibrated priors,
observation error from its prior), ``priors`` (the same for the model asked, v2),
``posterior`` (the model on the shipped posterior fitted to all training episodes, so
in-sample) and ``loo`` (the model on the shipped leave-one-episode-out posterior fitted
without the episode being scored: out-of-sample). Scores: CRPS (scoringrules) on the
relative value, and whether the observation lies in the central 50 % and 90 % intervals.
The forecast of an observation is the model's value times exp(sigma * N(0, 1)), sigma the
observation error of its kind at its horizon, fitted on the other episodes' rows of the
same variant (:mod:`critmin.calibrate.errors`), so it is out of sample as well.
An episode that starts while older controls are in force (Oct 2025, the U.S. ban) runs
from the earliest of them (spin-up), and its values are relative to the model's own value
at each series' baseline (``spin_up_months`` per episode in the rows' attrs).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from critmin.calibrate import errors, scoring
from critmin.calibrate.abc import NOISE, add_noise, noise_name
from critmin.calibrate.episodes import (
    BANDS,
    KINDS,
    Targets,
    episode_paths,
    load_targets,
    model_values,
    scenario_for,
    training_index,
)
from critmin.calibrate.errors import GROUP, ErrorModel
from critmin.calibrate.posterior import posterior_theta
from critmin.market.registry import DEFAULT_MODEL
from critmin.simulate.paths import DEFAULT_INPUTS

VARIANTS = ("priors_v1", "priors", "posterior", "loo")
FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
STATED = ErrorModel({k: ((0.5, 0.0) if g == "price" else (1.0, 0.0))
                     for k, g in GROUP.items()})
"""The error model where too few other rows fit one: the stated discrepancy of
history matching (sd 0.5 of a price's log, 1.0 of an export volume's; no growth)."""


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


def _observe(v: np.ndarray, noise: dict, variable: str, seed: int, key: int,
             name: str | None = None) -> np.ndarray:
    """Model values as observed: with the observation error of the variable's kind (or
    the sds ``noise[name]``)."""
    sigma = noise.get(name or noise_name(variable))
    if sigma is None:
        return v
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))
    return add_noise(v, sigma, rng)


def _paths(net, sc, months, samples, seed, model, theta, variables=()):
    """The episode's paths and calm run (:func:`episode_paths`) of one variant: ``theta``
    (a posterior's particles), or the priors where it is None."""
    return episode_paths(net, sc, months=months, samples=samples, seed=seed, model=model,
                         theta=theta, variables=variables, priors_only=theta is None)


def run_backtest(net, *, episodes: list[str] | None = None, model: str = DEFAULT_MODEL,
                 samples: int = 1000, seed: int = 0,
                 variants: tuple[str, ...] = VARIANTS, fans: bool = False
                 ) -> tuple[pd.DataFrame, dict]:
    """Scored rows (one per variant and observation) and, with ``fans``, the model's
    quantile paths per (variant, episode) for the figures. Variants without a shipped
    posterior are left out (the rows say which ran). Each episode's observation error is
    the error model (:mod:`critmin.calibrate.errors`) fitted on the same variant's draws
    of the other episodes; the fits are in ``rows.attrs["error_model"]``."""
    targets = load_targets(net, episodes)
    drawn, paths = model_draws(net, episodes=episodes, model=model, samples=samples,
                               seed=seed, variants=variants, fans=fans, targets=targets)
    rows, fan = score_draws(drawn, paths, seed)
    rows.attrs["spin_up_months"] = spin_ups(net, episodes, model, targets.scenarios)
    return rows, fan


def spin_ups(net, episodes: list[str] | None, model: str,
             scenarios: dict | None = None) -> dict[str, int]:
    """Months each episode's run starts before its scenario (v2: from the earliest control
    in force or announced before the start; 0 for v1, which starts at the scenario);
    ``scenarios`` (episode -> scenario, as :func:`load_targets` built them) spares
    building them again."""
    from critmin.simulate.paths import spin_up_months

    if scenarios is None:
        scenarios = {r["episode"]: scenario_for(net, r)
                     for _, r in training_index(net, episodes).iterrows()}
    return {ep: 0 if model == "v1" else spin_up_months(sc) for ep, sc in scenarios.items()}


def model_draws(net, *, episodes: list[str] | None = None, model: str = DEFAULT_MODEL,
                samples: int = 1000, seed: int = 0,
                variants: tuple[str, ...] = VARIANTS, fans: bool = False,
                targets: Targets | None = None) -> tuple[list, dict]:
    """The model's draws of every target, without observation error: [(variant, model,
    row key, target row, draws (samples,))], and with ``fans`` the draws of each observed
    series per (variant, episode); ``targets`` (:func:`load_targets` of ``episodes``)
    spares loading them again."""
    targets = load_targets(net, episodes) if targets is None else targets
    drawn, paths = [], {}
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
            theta, _ = got
            ds, base = _paths(net, sc, targets.months[ep], samples, seed, m, theta,
                              set(obs["variable"]))
            for i, r in obs.iterrows():
                v = model_values(ds, r, base)
                if v is not None:
                    drawn.append((variant, m, int(i), r, v))
            if fans:
                paths[(variant, ep)] = _fan_paths(ds, base, obs, sc)
    return drawn, paths


def score_draws(drawn: list, paths: dict, seed: int) -> tuple[pd.DataFrame, dict]:
    """Scored rows and fans from :func:`model_draws`' output, each episode with the error
    model fitted on its variant's other episodes."""
    rows, fitted, fan = [], {}, {}
    for variant in dict.fromkeys(d[0] for d in drawn):
        mine = [d for d in drawn if d[0] == variant]
        fitted[variant] = fits = _error_fits(mine, seed)
        for _, m, i, r, v in mine:
            sigma = fits[r["episode"]].sigma(r["kind"], r["horizon"])
            v = _observe(v, {"s": np.full(len(v), sigma)}, "s", seed, i, name="s")
            rows.append(dict(**score_row(v, r), variant=variant, model=m, sigma_obs=sigma))
        for (var_, ep), series in paths.items():
            if var_ == variant:
                fan[(variant, ep)] = _fan(series, fits[ep], seed)
    out = add_references(pd.DataFrame(rows))
    out.attrs["error_model"] = {v: {ep: e.records() for ep, e in f.items()}
                                for v, f in fitted.items()}
    return out, fan


def _error_fits(drawn: list, seed: int) -> dict[str, ErrorModel]:
    """Per episode, the error model fitted on the other episodes' rows of ``drawn``
    ((variant, model, key, row, draws) of one variant); episodes whose others have too
    few rows get the stated discrepancy (:data:`STATED`)."""
    eps = [d[3]["episode"] for d in drawn]
    out = {}
    for ep in dict.fromkeys(eps):
        other = [d for d, e in zip(drawn, eps, strict=True) if e != ep]
        try:
            out[ep] = errors.fit([d[4] for d in other], [d[3]["observed"] for d in other],
                                 [d[3]["kind"] for d in other],
                                 [d[3]["horizon"] for d in other], seed)
        except ValueError:
            out[ep] = STATED
    return out


def default_variant(model: str) -> str:
    """The variant whose inputs ``critmin simulate`` uses for ``model`` by default:
    ``priors`` (``priors_v1`` for v1) or ``posterior``."""
    if DEFAULT_INPUTS.get(model) == "posterior":
        return "posterior"
    return "priors_v1" if model == "v1" else "priors"


COVERAGE_90 = (0.80, 0.95)
"""Band the LOO 90 % coverage must lie in for the posterior to become the default."""


def default_rule(table: pd.DataFrame) -> dict:
    """The default rule on a backtest summary: the posterior becomes the default inputs
    only where its leave-one-out scores beat the priors' on the same observations (lower
    mean CRPS) and its LOO 90 % interval covers within :data:`COVERAGE_90`; otherwise the
    priors stay. Returns ``picks`` (``posterior`` or ``priors``) with the numbers
    compared; ``picks`` is ``priors`` where either variant was not scored."""
    every = table[table["episode"].eq("ALL") & table["band"].eq("ALL")
                  & table["kind"].eq("ALL")].set_index("variant")
    prior = "priors" if "priors" in every.index else "priors_v1"
    if not {"loo", prior} <= set(every.index):
        return {"picks": "priors", "reason": "no leave-one-out or priors scores"}
    loo, pri = every.loc["loo"], every.loc[prior]
    lo, hi = COVERAGE_90
    wins = bool(loo["n"] == pri["n"] and loo["crps"] < pri["crps"]
                and lo <= loo["coverage_90"] <= hi)
    return {"picks": "posterior" if wins else "priors", "n": int(loo["n"]),
            "crps_loo": float(loo["crps"]), "crps_priors": float(pri["crps"]),
            "coverage_90_loo": float(loo["coverage_90"]), "coverage_band": list(COVERAGE_90)}


def score_row(v: np.ndarray, r) -> dict:
    """Scores of the forecast samples ``v`` (relative to the baseline) of one target
    row ``r`` (see :func:`critmin.calibrate.episodes.load_targets`), with the target's
    identity; the reference forecasts' CRPS come later (:func:`add_references`)."""
    y = float(r["observed"])
    q = scoring.quantiles(v, qs=(0.05, 0.25, 0.5, 0.75, 0.95))
    return dict(
        episode=r["episode"], commodity=r["commodity"], observable=r["observable"],
        destination=r["destination"], variable=r["variable"], region=r["region"],
        kind=r["kind"], basis=r["basis"], unit=r["unit"], date=r["date"],
        horizon=int(r["horizon"]), band=r["band"], observed=y,
        p5=float(q[0]), p25=float(q[1]), p50=float(q[2]), p75=float(q[3]),
        p95=float(q[4]), crps=scoring.crps(v, y), pit=scoring.pit(v, y),
        in_50=scoring.inside(v, y, 0.5), in_80=scoring.inside(v, y, 0.8),
        in_90=scoring.inside(v, y, 0.9), rw_months=float(r["rw_months"]),
        pre_sigma=float(r["pre_sigma"]), source_id=r["source_id"],
        estimated=bool(r["estimated"]))


def add_references(rows: pd.DataFrame) -> pd.DataFrame:
    """The CRPS of the two reference forecasts beside each scored row: ``no change``
    (a point mass at the pre-announcement value, 1.0) and a ``random walk`` in logs from
    it whose monthly spread is the series' own pre-period volatility (``rw_sigma``);
    where the series has no usable pre-period volatility (fewer than two positive
    values before the baseline date, or none changing) the median of its observable
    kind's series is used and ``rw_sigma_pooled`` says so (all series' median when the
    kind has none)."""
    if rows.empty:
        return rows.assign(crps_no_change=[], crps_random_walk=[], rw_sigma=[],
                           rw_sigma_pooled=[])
    own = rows["pre_sigma"].where(rows["pre_sigma"] > 0)
    series = rows.assign(_own=own).drop_duplicates(
        ["episode", "commodity", "variable", "region", "basis", "unit"])
    everyone = series["_own"].median()
    pooled = series.groupby("kind")["_own"].median().reindex(rows["kind"]).to_numpy()
    pooled = np.where(np.isfinite(pooled), pooled, everyone)
    sigma = np.where(own.notna(), own, pooled)
    out = rows.assign(rw_sigma=sigma, rw_sigma_pooled=own.isna().to_numpy())
    out["crps_no_change"] = [scoring.crps_no_change(y) for y in out["observed"]]
    out["crps_random_walk"] = [scoring.crps_random_walk(y, s, h) for y, s, h in zip(
        out["observed"], out["rw_sigma"], out["rw_months"], strict=True)]
    return out


BAND_ORDER = ("before", *(b for _, _, b in BANDS), "25+")
SUMMARY = ["variant", "episode", "band", "kind", "n", "coverage_50", "coverage_80",
           "coverage_90", "crps", "crps_no_change", "crps_random_walk", "skill_no_change",
           "skill_random_walk", "p95_p5", "width_50", "bias", "pit_histogram"]


def _scores(g: pd.DataFrame) -> pd.Series:
    ratio, width = scoring.sharpness(g["p5"], g["p95"], g["p25"], g["p75"])
    return pd.Series(dict(
        n=len(g), coverage_50=g["in_50"].mean(), coverage_80=g["in_80"].mean(),
        coverage_90=g["in_90"].mean(), crps=g["crps"].mean(),
        crps_no_change=g["crps_no_change"].mean(),
        crps_random_walk=g["crps_random_walk"].mean(),
        skill_no_change=scoring.skill(g["crps"], g["crps_no_change"]),
        skill_random_walk=scoring.skill(g["crps"], g["crps_random_walk"]),
        p95_p5=ratio, width_50=width, bias=scoring.bias(g["observed"], g["p50"]),
        pit_histogram=scoring.pit_histogram(g["pit"])))


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Scores per variant, episode, horizon band and observable kind, each also over ALL
    of them: observations, coverage of the central 50/80/90 % intervals, mean CRPS of
    the model and of the two reference forecasts, CRPS skill against each, sharpness
    (median P95/P5 and median width of the 50 % interval, times the baseline), the bias
    (median log of observed / forecast median: above 0 the model is too low) and the
    PIT histogram (10 bins). Rows with band and kind ALL are the per-episode totals."""
    if rows.empty:
        return pd.DataFrame(columns=SUMMARY)
    if "crps_no_change" not in rows:
        rows = add_references(rows)
    parts = []
    for ep in (False, True):
        for band in (False, True):
            for kind in (False, True):
                parts.append(rows.assign(**({"episode": "ALL"} if ep else {}),
                                         **({"band": "ALL"} if band else {}),
                                         **({"kind": "ALL"} if kind else {})))
    both = pd.concat(parts, ignore_index=True)
    out = [dict(variant=v, episode=e, band=b, kind=k, **_scores(g))
           for (v, e, b, k), g in both.groupby(["variant", "episode", "band", "kind"],
                                               sort=False)]
    out = pd.DataFrame(out, columns=SUMMARY)
    order = {"ALL": -1, **{b: i for i, b in enumerate(BAND_ORDER)},
             **{k: i for i, k in enumerate(KINDS)}}
    episodes = list(dict.fromkeys(rows["episode"]))
    variants = list(dict.fromkeys(rows["variant"]))
    key = out.assign(_v=out["variant"].map(variants.index),
                     _e=out["episode"].map(lambda e: len(episodes) if e == "ALL"
                                           else episodes.index(e)),
                     _b=out["band"].map(order), _k=out["kind"].map(order))
    return out.loc[key.sort_values(["_v", "_e", "_b", "_k"], kind="stable").index
                   ].reset_index(drop=True)


def _month_date(start: dt.date, m: int) -> str:
    y, mo = divmod(start.month - 1 + m, 12)
    return dt.date(start.year + y, mo + 1, 15).isoformat()


def _fan_paths(ds, base, obs: pd.DataFrame, sc) -> list[dict]:
    """The model's draws (S, months) of each observed series' variable, relative to
    baseline, with the series' identity and observations (no observation error yet)."""
    out = []
    months = int(ds["month"].values[-1]) + 1  # months from the scenario start
    for (commodity, var, region), g in obs.groupby(["commodity", "variable", "region"]):
        if var not in ds or commodity not in ds["commodity"].values:
            continue
        paths = []
        for m in range(months):
            row = {"commodity": commodity, "variable": var, "region": region,
                   "month_from": m, "month_to": m,
                   "basis_month": g["basis_month"].iloc[0]}
            v = model_values(ds, row, base)
            if v is None:
                break
            paths.append(v)
        if not paths:
            continue
        out.append({"commodity": commodity, "variable": var, "region": region,
                    "kind": g["kind"].iloc[0], "announced": _announced(g),
                    "draws": np.stack(paths, axis=1),
                    "dates": [_month_date(sc.start, m) for m in range(len(paths))],
                    "observed": g[["date", "observed", "unit", "basis"]].to_dict("records")})
    return out


def _announced(g: pd.DataFrame) -> int:
    """Months from the scenario start to the announcement, from a series' targets."""
    mid = (g["month_from"] + g["month_to"]) / 2
    return round(float((g["horizon"] - mid).median()))


def _fan(series: list[dict], error: ErrorModel, seed: int) -> list[dict]:
    """Quantile paths of each series (relative to baseline, with the observation error
    of its kind at each month's horizon)."""
    out = []
    for s in series:
        arr = np.stack([_observe(v, {"s": np.full(len(v), error.sigma(
            s["kind"], m + s["announced"]))}, "s", seed, 10_000 + m, name="s")
            for m, v in enumerate(s["draws"].T)], axis=1)
        qs = np.quantile(arr, FAN_QUANTILES, axis=0)
        out.append({"commodity": s["commodity"], "variable": s["variable"],
                    "region": s["region"], "dates": s["dates"],
                    "quantiles": {f"p{round(100 * q)}": qs[i].tolist()
                                  for i, q in enumerate(FAN_QUANTILES)},
                    "observed": s["observed"]})
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


def score_figures(table: pd.DataFrame) -> list:
    """The PIT histogram of every variant over all observations, and the score table per
    episode and per horizon band (all observable kinds), as Plotly figures."""
    import plotly.graph_objects as go

    if table.empty:
        return []
    every = table[table["episode"].eq("ALL") & table["band"].eq("ALL")
                  & table["kind"].eq("ALL")]
    pit = go.Figure()
    edges = np.linspace(0, 1, 11)
    for r in every.itertuples(index=False):
        counts = np.asarray(r.pit_histogram, dtype=float)
        pit.add_trace(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts / max(counts.sum(), 1),
                             width=0.09, name=f"{r.variant} (n={r.n})", opacity=0.6))
    pit.add_hline(y=0.1, line_dash="dot", annotation_text="calibrated (flat)")
    pit.update_layout(title="PIT histogram: where each observation falls in its forecast "
                            "(flat = calibrated; U = too narrow; hump = too wide)",
                      barmode="overlay", xaxis_title="PIT", yaxis_title="share", height=420)
    rows = table[table["kind"].eq("ALL") & (table["band"].eq("ALL")
                                            | table["episode"].eq("ALL"))]
    cols = ["variant", "episode", "band", "n", "crps", "skill_no_change",
            "skill_random_walk", "coverage_50", "coverage_80", "coverage_90", "p95_p5",
            "width_50"]
    fmt = {c: (lambda x: f"{x:.2f}") for c in cols[4:]}
    fmt.update({c: (lambda x: f"{x:.0%}") for c in ("coverage_50", "coverage_80",
                                                      "coverage_90")})
    cells = [[fmt[c](x) if c in fmt else str(x) for x in rows[c]] for c in cols]
    tab = go.Figure(go.Table(header={"values": cols}, cells={"values": cells}))
    tab.update_layout(title="Scores per episode and horizon band (months after the "
                            "announcement); skill = 1 - CRPS / reference CRPS",
                      height=60 + 24 * (len(rows) + 2))
    return [pit, tab]
