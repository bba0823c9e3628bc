"""Hierarchical calibration of model v2: tempered sequential Monte Carlo (SMC) with the
explicit likelihood of the backtest's observation model.

**Prior (hierarchical).** All latent inputs of the training episodes' commodities in the
whitened space of :mod:`critmin.market.pooling`. Per-commodity elasticity families are
partially pooled toward a shared mean with a fitted scale (a commodity without episodes
borrows them); licence persistence is pooled by the model itself (``licence_persistence``,
``persistence_spread``, per-commodity z). The inputs that say how one control regime was
run and answered (:data:`EPISODIC`: approvals, refusals, freezes, leakage, holds,
precaution, state buying...) get episode effects: each episode its own value, pooled
toward a population mean with a fitted scale, so a new episode (and a left-out one) draws
from the population, not from the episodes' own fits.

**Likelihood.** The observed log relative value of target k is the model's plus
N(0, sigma_g(h_k)^2), ``sigma_g(h) = sqrt(a_g^2 + b_g^2 h)`` per group g (prices, export
volumes), h the months after the announcement (:mod:`critmin.calibrate.errors`), plus an
offset N(0, s_g^2) shared by every observation of one series (the model's miss of a
series persists month to month, so ten months of one series are not ten independent
observations). (a_g, b_g, s_g) have uniform priors (the error model's ranges; s in
[0, 1]) and are integrated out on a grid (:data:`GRID_A` x :data:`GRID_B` x
:data:`GRID_S`). What the offset leaves is still autocorrelated (lag 1 about 0.2), so a
fit may temper its likelihood (``power``): prior x L^power with power the AR(1) share
of effective observations, (1 - rho) / (1 + rho), rho measured on the fit's own
residuals (:func:`residual_autocorrelation`).

**Sampler.** Particles start at the prior and move to prior x likelihood through
temperatures chosen so each reweighting keeps :data:`ESS_SHARE` of them effective (Kish);
after each reweighting they are resampled and moved by Metropolis random-walk steps
shaped by their covariance: ``moves`` per temperature, more (up to ``max_moves``) where
the acceptance is low, until the particles have accepted ``moves`` x :data:`ACCEPTANCE`
steps on average. The path's seed (:data:`SEEDS`) is not walked: after each step it is
drawn anew from its prior and kept with L^beta's ratio. The reported effective sample
size is the Kish ESS of the last reweighting (to the last temperature: 1, or the
power); the unique particles, acceptance rates and the
particles' correlation with where they were resampled say how well the moves mixed.
Crank-Nicolson moves around the particles' Gaussian were tried and dropped (see
docs/calibration.md 7g): with that Gaussian fitted on the particles they move, their
acceptance was inflated and the posterior too wide; fitted on the other half, they mixed
no better than the random walk. A leave-one-episode-out fit is its own run without
that episode's likelihood.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from critmin import __version__
from critmin.calibrate import scoring
from critmin.calibrate.abc import FLOOR, effective_sample_size
from critmin.calibrate.episodes import Targets, load_targets
from critmin.calibrate.errors import A_RANGE, B_RANGE, GROUP
from critmin.market import pooling

POOLED = ("demand_elasticity_sr", "demand_elasticity_lr", "supply_elasticity_sr",
          "supply_elasticity_lr")
"""Per-commodity families pooled toward a shared mean (v2's PER_COMMODITY)."""
GRID_A = np.linspace(A_RANGE[0], A_RANGE[1], 12)
GRID_B = np.linspace(B_RANGE[0], B_RANGE[1], 7)
GRID_S = np.linspace(0.0, 1.0, 6)
"""Grid of the error terms integrated out: a, b of :mod:`critmin.calibrate.errors` and s,
the sd of a series' persistent offset (log units)."""
SERIES = ["episode", "commodity", "variable", "region", "basis", "unit"]
"""Columns naming one observed series (as the backtest's reference forecasts do)."""


def grid() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, s) of every grid point, a-major then b then s."""
    a, b, s = np.meshgrid(GRID_A, GRID_B, GRID_S, indexing="ij")
    return a.ravel(), b.ravel(), s.ravel()


def series_codes(rows: pd.DataFrame) -> np.ndarray:
    """(K,) integer code of each target's series."""
    return rows.groupby(SERIES, sort=False, dropna=False).ngroup().to_numpy()


SEEDS = ("regime_draw",)
"""Inputs that seed a sample's random path through a hash (v2's regime transitions,
:mod:`critmin.market.v2.regime`): any change, however small, draws a new path, so the
likelihood is noise in them. The random walk leaves them; they are drawn anew from their
prior (:func:`smc`'s ``fresh``). Moved with the rest, a move of 1e-6 changed the log
likelihood of the shipped particles by 11 (median), and the walk accepted 3-6 % at any
scale."""
SHRINK = 0.5
"""Weight of the diagonal in the moves' covariance (the rest: the particles' own)."""
ESS_SHARE = 0.5
"""Share of the particles that each reweighting keeps effective (Kish); the last one, to
the last temperature, gives the reported effective sample size (at least this share)."""
ACCEPTANCE = 0.25
"""Acceptance the random-walk scale adapts toward; a temperature takes more moves while
its particles have accepted fewer than ``moves`` x ACCEPTANCE steps on average."""
EPISODIC = ("licence_approval", "refusal_factor", "freeze_share", "ramp_share", "leakage",
            "precaution", "state_buying", "leakage_recorded", "front_running",
            "export_hold", "licence_recovery", "domestic_tightening", "cover_days",
            "stock_adjust_months", "cover_price_sensitivity", "export_rush",
            "precaution_other")
"""Shared inputs with episode effects: how a control regime was run and answered, and
the buyers' stocks of the market it hit (cover, how fast and how price-sensitively they
adjust). Without the three stock inputs the leave-one-out fits learned the stock
dynamics of the other episodes (contraction 0.97 without Feb 2025) and scored worse
there. The exporters' rush before a start date and buyers' precaution under another
exporter's control are sized per episode too (graphite's rush was not antimony's)."""
METHOD = ("hierarchical tempered SMC (explicit likelihood; adaptive temperatures, "
          "systematic resampling, Metropolis random-walk moves in the whitened prior "
          "space, more where acceptance is low, the path's seed drawn anew after each; "
          "elasticities partially pooled per family, regime inputs per episode)")


def groups(rows: pd.DataFrame) -> np.ndarray:
    """(K,) error group of each target (``price`` or ``exports``)."""
    return rows["kind"].map(GROUP).to_numpy()


def grid_loglik(values: np.ndarray, obs: np.ndarray, horizon: np.ndarray,
                grp: np.ndarray, use: np.ndarray, series: np.ndarray | None = None,
                chunk: int = 256) -> dict[str, np.ndarray]:
    """Per group: (N, G) log likelihood of each draw at each grid point (a, b, s), over
    the targets ``use`` (bool (K,)) the draws have values for. The residuals of one
    series (``series`` codes; default each target its own) share an offset N(0, s^2):
    their covariance is diag(a^2 + b^2 h) + s^2 (Sherman-Morrison), so a long series
    counts as less than as many independent observations. Sums per series are taken
    over all (a, b) at once, ``chunk`` draws at a time."""
    h = np.maximum(np.asarray(horizon, float), 0.0)
    ga, gb, _ = grid()
    ab = slice(None, None, len(GRID_S))
    s2 = GRID_S ** 2
    ok = use & np.isfinite(values).all(axis=0)
    series = np.arange(len(obs)) if series is None else np.asarray(series)
    out = {}
    for g in dict.fromkeys(grp[ok]):
        cols = np.flatnonzero(ok & (grp == g))
        cols = cols[np.argsort(series[cols], kind="stable")]  # each series contiguous
        first = np.flatnonzero(np.r_[True, np.diff(series[cols]) != 0])
        n_c = np.diff(np.r_[first, len(cols)])
        inv = 1.0 / (ga[ab, None] ** 2 + gb[ab, None] ** 2 * h[cols][None])  # (AB, Kg)
        c = np.add.reduceat(inv, first, axis=1)  # (AB, C) sum 1 / sigma^2
        t = 1.0 + s2[:, None, None] * c[None]  # (S, AB, C)
        const = (np.add.reduceat(-np.log(inv), first, axis=1)[None] + np.log(t)
                 + n_c * np.log(2 * np.pi)).sum(axis=2)  # (S, AB)
        shrink = s2[:, None, None] / t  # (S, AB, C)
        res = np.empty((len(values), len(ga)))
        for lo in range(0, len(values), chunk):
            r = values[lo:lo + chunk, cols] - obs[None, cols]  # (n, Kg)
            q = (r * r) @ inv.T  # (n, AB) sum r^2 / sigma^2 over every target
            m = np.add.reduceat(r[:, None, :] * inv[None], first, axis=2)  # (n, AB, C)
            fix = np.matmul((m * m).transpose(1, 0, 2), shrink.transpose(1, 2, 0))
            quad = q[:, :, None] - fix.transpose(1, 0, 2)  # (n, AB, S)
            res[lo:lo + chunk] = -0.5 * (quad + const.T[None]).reshape(len(r), -1)
        out[g] = res
    return out


def loglik(values, obs, horizon, grp, use, series=None) -> np.ndarray:
    """(N,) log likelihood of each draw, the error terms (a, b, s) of each group
    integrated out (uniform on the grid)."""
    parts = grid_loglik(values, obs, horizon, grp, use, series)
    n = len(values)
    return sum((logsumexp(v, axis=1) - np.log(v.shape[1]) for v in parts.values()),
               np.zeros(n))


def normalise(logw: np.ndarray) -> np.ndarray:
    w = np.exp(logw - logw.max())
    return w / w.sum()


def next_beta(ll: np.ndarray, beta: float, share: float, top: float = 1.0) -> float:
    """The largest temperature <= ``top`` whose incremental weights L^(next - beta) keep
    a Kish effective sample size of ``share`` of the particles (bisection)."""
    target = share * len(ll)
    if effective_sample_size(normalise((top - beta) * ll)) >= target:
        return top
    lo, hi = beta, top
    for _ in range(40):
        mid = (lo + hi) / 2
        if effective_sample_size(normalise((mid - beta) * ll)) >= target:
            lo = mid
        else:
            hi = mid
    return max(lo, beta + 1e-6)


def systematic(w: np.ndarray, rng) -> np.ndarray:
    """Indices of a systematic resample of the normalised weights ``w``."""
    n = len(w)
    pos = (rng.random() + np.arange(n)) / n
    return np.minimum(np.searchsorted(np.cumsum(w), pos), n - 1)


def rw_factor(u: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor of the particles' covariance, shrunk toward its diagonal
    (:data:`SHRINK`): the shape of the random-walk moves."""
    c = np.cov(u, rowvar=False)
    c = (1 - SHRINK) * c + SHRINK * np.diag(np.diag(c)) + 1e-9 * np.eye(u.shape[1])
    return np.linalg.cholesky(c)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over coordinates of the particles' correlation between positions ``a`` and
    ``b`` (coordinates that do not vary left out; 0 where none vary): how much of where
    the particles were resampled the moves have kept (1: all, 0: none)."""
    xa, xb = a - a.mean(axis=0), b - b.mean(axis=0)
    va, vb = (xa * xa).sum(axis=0), (xb * xb).sum(axis=0)
    ok = (va > 1e-12) & (vb > 1e-12)
    if not ok.any():
        return 0.0
    return float(np.mean((xa * xb).sum(axis=0)[ok] / np.sqrt(va[ok] * vb[ok])))


def smc(simulate, d: int, logl, *, particles: int, moves: int, seed: int,
        share: float = ESS_SHARE, max_steps: int = 60, max_moves: int | None = None,
        fresh: np.ndarray | None = None, power=None) -> dict:
    """Tempered SMC in a d-dimensional standard-normal prior space: particles move from
    the prior to prior x L through temperatures chosen so each reweighting keeps
    ``share`` of the particles effective, then are resampled and moved by Metropolis
    random-walk steps shaped by their covariance (scale adapted to an acceptance near
    :data:`ACCEPTANCE`). Each temperature takes ``moves`` steps, and more, up to
    ``max_moves`` (default ``moves``), while the particles have accepted fewer than
    ``moves`` x :data:`ACCEPTANCE` steps on average (a low acceptance gets more steps).
    ``fresh`` (bool (d,)) marks coordinates that seed a random path (:data:`SEEDS`):
    the random walk leaves them, and after each of its steps they are proposed anew
    from their prior (an independence move, accepted with L^beta's ratio), so the other
    coordinates move on a likelihood that is smooth in them. ``power`` (values -> a
    power in (0, 1]; default 1) tempers the posterior: measured on the particles'
    values after each temperature's moves, it caps the next temperature, and the
    sampler stops at the first temperature at or above it (prior x L^power).
    ``simulate`` maps coordinates (N, d) to model values, ``logl`` values to (N,) log
    likelihoods. Returns the final equally weighted particles ``u``, their ``values``,
    and per step the temperature, Kish ESS of the reweighting, acceptance of each move
    (and of each fresh draw), unique particles and the correlation with the resampled
    positions left after each move (:func:`correlation`)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(5151,)))
    u = rng.standard_normal((particles, d))
    vals = simulate(u)
    ll = logl(vals)
    fresh = np.zeros(d, bool) if fresh is None else np.asarray(fresh, bool)
    walk = ~fresh
    beta, scale = 0.0, 2.38 / np.sqrt(max(int(walk.sum()), 1))
    top = max(moves, max_moves or moves)
    steps: list[dict] = []
    end = 1.0 if power is None else float(power(vals))

    def metropolis(prop: np.ndarray, log_prior: np.ndarray) -> np.ndarray:
        vp = simulate(prop)
        lp = logl(vp)
        ok = np.isfinite(lp)
        log_a = np.where(ok, log_prior + beta * (np.where(ok, lp, 0) - ll), -np.inf)
        take = np.log(rng.random(particles)) < log_a
        u[take], vals[take], ll[take] = prop[take], vp[take], lp[take]
        return take

    while beta < end and len(steps) < max_steps:
        nb = end if len(steps) == max_steps - 1 else next_beta(ll, beta, share, end)
        w = normalise((nb - beta) * ll)
        ess = effective_sample_size(w)
        beta = nb
        idx = systematic(w, rng)
        u, vals, ll = u[idx], vals[idx], ll[idx]
        start = u.copy()
        chol = rw_factor(u[:, walk])
        acc: list[float] = []
        drawn: list[float] = []
        left: list[float] = []
        while len(acc) < moves or (len(acc) < top and sum(acc) < moves * ACCEPTANCE):
            prop = u.copy()
            prop[:, walk] += scale * rng.standard_normal((particles, int(walk.sum()))
                                                         ) @ chol.T
            take = metropolis(prop, pooling.prior_density(prop) - pooling.prior_density(u))
            acc.append(float(take.mean()))
            if fresh.any():  # a new path: proposed from the prior, so only L^beta counts
                prop = u.copy()
                prop[:, fresh] = rng.standard_normal((particles, int(fresh.sum())))
                drawn.append(float(metropolis(prop, np.zeros(particles)).mean()))
            left.append(correlation(start, u))
            scale *= float(np.exp(acc[-1] - ACCEPTANCE))
        if power is not None:
            end = max(float(power(vals)), 1e-6)
        steps.append({"beta": round(beta, 6), "ess": round(ess, 1),
                      **({"power": round(end, 4)} if power is not None else {}),
                      "acceptance": [round(a, 3) for a in acc],
                      **({"fresh_acceptance": [round(a, 3) for a in drawn]} if drawn
                         else {}),
                      "unique": len(np.unique(u, axis=0)),
                      "correlation": [round(c, 3) for c in left]})
    return {"u": u, "values": vals, "steps": steps, "beta": beta}


def residual_autocorrelation(values: np.ndarray, obs: np.ndarray, series: np.ndarray,
                             order: np.ndarray, use: np.ndarray) -> float:
    """Lag-1 autocorrelation of the draws' residuals (values - obs, log) within a series
    once its own mean residual (the offset the likelihood already carries) is taken out,
    in ``order`` (months), the mean over draws, averaged over the series of 3 or more
    targets in ``use`` weighted by their length; 0 where no series has 3."""
    ok = use & np.isfinite(values).all(axis=0)
    num = den = 0.0
    for c in np.unique(series[ok]):
        j = np.flatnonzero(ok & (series == c))
        if len(j) < 3:
            continue
        j = j[np.argsort(order[j], kind="stable")]
        x = values[:, j] - obs[j][None]
        x = x - x.mean(axis=1, keepdims=True)
        r = (x[:, 1:] * x[:, :-1]).sum(axis=1) / np.maximum((x * x).sum(axis=1), 1e-12)
        num += len(j) * float(r.mean())
        den += len(j)
    return num / den if den else 0.0


def effective_share(rho: float) -> float:
    """n_eff / n of an AR(1) series with lag-1 autocorrelation ``rho`` (clipped to
    [0, 0.9]): (1 - rho) / (1 + rho), the power of the tempered posterior."""
    r = min(max(rho, 0.0), 0.9)
    return (1 - r) / (1 + r)


def contraction(wide: pd.DataFrame, w: np.ndarray, prior: pd.DataFrame) -> dict:
    """1 - posterior variance / prior variance per input (0: nothing learned)."""
    out = {}
    for c in wide.columns:
        v0 = float(prior[c].var())
        m = float(w @ wide[c])
        v1 = float(w @ (wide[c] - m) ** 2)
        out[c] = round(1 - v1 / v0, 4) if v0 > 0 else 0.0
    return out


def predictive(values: np.ndarray, w: np.ndarray, lls: dict, rows: pd.DataFrame,
               cols: np.ndarray, seed: int, draws: int = 1000) -> dict:
    """Posterior-predictive check on the targets ``cols``: ``draws`` draws resampled by
    weight, each with (a, b, s) of every group from its conditional posterior on the
    grid, plus the observation error (sd sqrt(a^2 + b^2 h + s^2)); coverage of the
    central 50/90 % intervals and CRPS."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(6007,)))
    idx = rng.choice(len(w), size=draws, p=w)
    grp = groups(rows)
    h = np.maximum(rows["horizon"].to_numpy(float), 0.0)
    a, b, s = grid()
    sd = np.full((draws, len(rows)), np.nan)
    for g, ll in lls.items():
        p = np.exp(ll[idx] - ll[idx].max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        pick = (p.cumsum(axis=1) < rng.random((draws, 1))).sum(axis=1)
        pick = np.minimum(pick, p.shape[1] - 1)
        m = grp == g
        sd[:, m] = np.sqrt(a[pick][:, None] ** 2 + b[pick][:, None] ** 2 * h[m][None]
                           + s[pick][:, None] ** 2)
    pred = np.exp(values[idx] + sd * rng.standard_normal(sd.shape))
    obs = rows["observed"].to_numpy(float)
    ok = [j for j in np.flatnonzero(cols) if np.isfinite(pred[:, j]).all()]
    if not ok:
        return {"n": 0}
    return {"n": len(ok),
            "coverage_50": float(np.mean([scoring.inside(pred[:, j], obs[j], 0.5)
                                          for j in ok])),
            "coverage_90": float(np.mean([scoring.inside(pred[:, j], obs[j], 0.9)
                                          for j in ok])),
            "crps": float(np.mean([scoring.crps(pred[:, j], obs[j]) for j in ok]))}


def error_posterior(lls: dict, w: np.ndarray) -> dict:
    """Posterior mean of (a, b, s) per group."""
    pts = dict(zip("abs", grid(), strict=True))
    out = {}
    for g, ll in lls.items():
        p = np.exp(ll - ll.max(axis=1, keepdims=True))
        p = (w[:, None] * p / p.sum(axis=1, keepdims=True)).sum(axis=0)
        out[g] = {k: round(float(p @ v), 4) for k, v in pts.items()}
    return out


def prior_rows(net, targets: Targets) -> list[dict]:
    from critmin.calibrate.history import prior_rows as table

    t = table(net, targets)
    return [{k: (float(v) if k in ("low", "high") else v) for k, v in r.items()}
            for r in t[["name", "dist", "low", "high", "scope"]].to_dict("records")]


def values_of(space: tuple, u: np.ndarray, episode: str | None = None,
              z_new: np.ndarray | None = None) -> pd.DataFrame:
    """:func:`critmin.market.pooling.inputs` for a space (rows, pooled, episodic,
    episodes)."""
    prows, pooled, epi, eps = space
    return pooling.inputs(prows, pooled, u, epi, eps, episode, z_new)


def report_frame(space: tuple, u: np.ndarray, seed: int) -> pd.DataFrame:
    """Inputs of the coordinates ``u`` as reported: a new episode's values of the
    episodic inputs (as shipped), their population mean and scale, and their value in
    each episode (``name@episode``)."""
    _, _, epi, eps = space
    wide = values_of(space, u, None, pooling.new_episode(seed, len(u), len(epi)))
    per = {f"{n}@{e}": values_of(space, u, e)[n] for e in eps for n in epi}
    return pd.concat([wide, pd.DataFrame(per)], axis=1)


def calibrate_hierarchical(net, *, particles: int = 2048, loo_particles: int = 2048,
                           moves: int = 8, max_moves: int = 12, seed: int = 0,
                           episodes: list[str] | None = None, simulate=None,
                           loo: bool = True, power: str = "1") -> tuple[dict, dict]:
    """Fits ``all`` and (with ``loo``) ``loo:E`` per training episode: (fit ->
    provenance with the SMC steps, effective sample size, contraction per input,
    posterior-predictive check and the observation error's posterior; fit -> final
    particles in the whitened space). ``simulate`` (coordinates -> values) replaces the
    model (tests). ``power``: ``"1"`` (the posterior), a number in (0, 1] (prior x
    L^power) or ``"auto"``: the share of effective observations,
    :func:`effective_share` of the :func:`residual_autocorrelation` of the fit's own
    training observations, measured after each temperature (the sampler stops where
    its temperature reaches it); never a leave-one-out score."""
    from critmin.calibrate.history import bank

    if power not in ("1", "auto") and not 0 < float(power) <= 1:
        raise ValueError(f"power {power!r}: choose 1, auto or a number in (0, 1]")

    targets = load_targets(net, episodes)
    rows = targets.rows.reset_index(drop=True)
    targets = Targets(rows=rows, scenarios=targets.scenarios, months=targets.months,
                      skipped=targets.skipped)
    prows = prior_rows(net, targets)
    names = [r["name"] for r in prows]
    pooled, epi = list(POOLED), [n for n in EPISODIC if n in names]
    eps = list(dict.fromkeys(rows["episode"]))
    space = (prows, pooled, epi, eps)
    coords = pooling.coordinates(*space)
    d = len(coords)
    fresh = np.isin(coords, SEEDS)
    obs = np.log(np.maximum(rows["observed"].to_numpy(float), FLOOR))
    h = rows["horizon"].to_numpy(float)
    grp = groups(rows)
    ser = series_codes(rows)
    when = pd.to_datetime(rows["date"]).to_numpy().astype("datetime64[D]").astype(float)

    def by_episode(u: np.ndarray) -> np.ndarray:
        out = np.full((len(u), len(rows)), np.nan)
        for e in eps:
            one = Targets(rows=rows, scenarios={e: targets.scenarios[e]},
                          months=targets.months, skipped=targets.skipped)
            cols = rows["episode"].eq(e).to_numpy()
            out[:, cols] = bank(net, one, values_of(space, u, e)[names])[:, cols]
        return out

    sim = simulate or by_episode
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(977,)))
    prior = report_frame(space, rng.standard_normal((20000, d)), seed)
    common = dict(model="v2", method=METHOD, seed=seed, prior_rows=prows, pooled=pooled,
                  episodic=epi, episode_order=eps, fresh=[c for c in coords if c in SEEDS],
                  pooling={"mu_sd": pooling.MU_SD, "tau_max": pooling.TAU_MAX},
                  error_grid={"a": [float(x) for x in GRID_A],
                              "b": [float(x) for x in GRID_B],
                              "s": [float(x) for x in GRID_S], "series": SERIES},
                  ess_share=ESS_SHARE, moves=moves, max_moves=max_moves,
                  target_acceptance=ACCEPTANCE,
                  date=dt.date.today().isoformat(), critmin_version=__version__)
    fits, parts = {}, {}
    for fit in ["all", *([f"loo:{e}" for e in eps] if loo else [])]:
        left = fit[4:] if fit != "all" else None
        use = ~rows["episode"].eq(left).to_numpy() if left else np.ones(len(rows), bool)
        n = particles if fit == "all" else loo_particles
        rule = None if power == "1" else (
            (lambda v, use=use: effective_share(residual_autocorrelation(
                v, obs, ser, when, use))) if power == "auto"
            else (lambda v, p=float(power): p))
        run = smc(sim, d, lambda v, use=use: loglik(v, obs, h, grp, use, ser), particles=n,
                  moves=moves, max_moves=max_moves, seed=seed, fresh=fresh, power=rule)
        u = run["u"].astype(np.float16).astype(float)  # as shipped
        vals = run["values"]
        w = np.full(len(u), 1.0 / len(u))
        modelled = np.isfinite(vals).all(axis=0)
        lls = grid_loglik(vals, obs, h, grp, use, ser)
        check = predictive(vals, w, lls, rows, (~use if left else use) & modelled, seed)
        check["scope"] = ("out of sample (the left-out episode)" if left
                          else "in sample (the training observations)")
        used = rows[use & modelled]
        fits[fit] = dict(
            common, fit=fit, episodes=[e for e in eps if e != left],
            scenarios={e: targets.scenarios[e].id for e in eps if e != left},
            observations=[[r.episode, r.commodity, r.observable, r.destination, r.date]
                          for r in used.itertuples()],
            particles=n, steps=run["steps"], power=round(run["beta"], 6),
            power_rule=power,
            residual_autocorrelation=round(residual_autocorrelation(
                vals, obs, ser, when, use), 4),
            simulations=int(n * (1 + sum(len(s["acceptance"]) + len(s.get("fresh_acceptance", []))
                                         for s in run["steps"]))),
            effective_sample_size=run["steps"][-1]["ess"],
            unique_particles=run["steps"][-1]["unique"],
            correlation=run["steps"][-1]["correlation"][-1],
            contraction=contraction(report_frame(space, u, seed), w, prior),
            predictive_check=check, observation_error=error_posterior(lls, w))
        parts[fit] = u
    return fits, parts


__all__ = ["EPISODIC", "ESS_SHARE", "GRID_A", "GRID_B", "GRID_S", "METHOD", "POOLED",
           "SEEDS", "calibrate_hierarchical", "contraction", "effective_share", "grid",
           "grid_loglik", "loglik", "next_beta", "residual_autocorrelation",
           "series_codes", "smc", "systematic"]
