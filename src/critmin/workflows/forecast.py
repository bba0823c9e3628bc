"""Frozen forecasts: a dated, content-hashed record of what the model said, scored later.

``freeze`` runs a scenario on the default model and inputs (as ``critmin simulate`` does)
and writes one JSON record: the scenario as stated (its inputs), the model and the version
of its code (:func:`critmin.market.registry.model_version`), its inputs (priors or
posterior) and the posterior's fingerprint, the data version, the samples and seed, and
for every headline observable (price ex-China, price in China, China's exports, China's
exports to the U.S., Japan and the EU, per controlled commodity) the forecast's quantiles
in every month from the scenario start, relative to the model's own level in the month
before the start, with the backtest's observation error: the last fit of the shipped
error table for the model and inputs (:mod:`critmin.calibrate.errors`, written by
:func:`fit_errors`), whose version, meta and (a, b) the record holds (``error_model``)
beside each series' sd by month
(``sigma_obs``). The record's ``sha256`` is the SHA-256 of its canonical JSON without that
field: a record edited after it was frozen no longer matches and is refused.

A scenario that lists controls announced (or in force) before its start runs as the
backtest runs its episodes: spun up from the earliest of them
(:func:`critmin.simulate.paths.simulate_paths`, ``spin_up``), so their transients play
before month 0, not at it; its quantiles are relative to the model's own level in month -1
(``spin_up_months`` > 0 in the record, format 3). Without an earlier control the run, its
basis (the pre-scenario level, the same) and its quantiles are those of format 2.

``score`` compares each record with the observations in ``episodes`` of the episodes
whose ``scenario`` is the record's, dated after the day it was frozen (what it could not
have known), on the basis it was frozen on (a spun-up record scores only observations
whose baseline is the month before its start, as its quantiles are, and no annual value
reaching before its start), and returns rows in the backtest's layout, so
:func:`critmin.calibrate.backtest.summary` gives the same scores. The CRPS of a record
is that of its quantiles (the quantile-score integral over the 19 levels), the PIT the
record's CDF interpolated between levels.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

import critmin
from critmin.calibrate import errors, scoring
from critmin.calibrate.backtest import (
    _observe,
    _paths,
    _theta,
    add_references,
    default_variant,
    model_draws,
)
from critmin.calibrate.episodes import (
    EpisodeError,
    _months,
    kind_of,
    load_targets,
    model_values,
)
from critmin.market.posterior import posterior_inputs
from critmin.market.registry import DEFAULT_MODEL, model_version
from critmin.store.version import data_version

LEVELS = tuple(round(0.05 * i, 2) for i in range(1, 20))
"""Quantile levels kept per month: 0.05, 0.10, ..., 0.95."""
REGIONS = ("USA", "JPN", "EU")
"""Destinations whose exports from China are headline observables (the framework's)."""
VARIABLES = ("price_ex_china", "price_china", "exports_china")
FORMAT = 3
"""3: the record states ``spin_up_months`` (the months its run starts before the scenario's
start; its quantiles are relative to the model's level in month -1 where > 0); 2: the
observation error is the shipped error table's fit, held in ``error_model`` (format 1
records carry the calibration's noise sds instead); 1 and 2 runs had no spin-up."""


class ForecastError(ValueError):
    """A record that cannot be read, was edited, or cannot be frozen; the message names
    the file and the reason."""


def shipped_dir() -> Path:
    """The shipped ``forecasts/`` folder (package data)."""
    return Path(str(resources.files("critmin.data") / "forecasts"))


def _canonical(record: dict) -> bytes:
    body = {k: v for k, v in record.items() if k != "sha256"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True).encode()


def content_hash(record: dict) -> str:
    """SHA-256 (hex) of the record's canonical JSON without its ``sha256`` field."""
    return hashlib.sha256(_canonical(record)).hexdigest()


def headline(sc) -> list[tuple[str, str, str]]:
    """(commodity, variable, region) of the scenario's headline observables: per commodity
    it names (or its controls name), prices ex-China and in China, China's exports, and
    China's exports to each of :data:`REGIONS`."""
    names = list(sc.commodities) or [c for ctl in sc.controls for c in ctl.commodities]
    out = []
    for c in dict.fromkeys(names):
        out += [(c, v, "") for v in VARIABLES]
        out += [(c, "exports_china_dest", r) for r in REGIONS]
    return out


def announced_month(sc) -> int:
    """Months from the scenario start to its first control's start (the announced terms
    a scenario states; 0 without controls): where the error's horizon starts. Controls in
    force before the start (those a spin-up runs from) count as month 0: the horizon runs
    from the scenario's start, as the backtest's from its episode's announcement, whatever
    month its run was spun up from."""
    starts = [c.start for c in sc.controls if c.start is not None]
    return max(_months(sc.start, min(starts)), 0) if starts else 0


def _quantile_paths(ds, base, sc, em: errors.ErrorModel, seed) -> list[dict]:
    """Monthly quantiles of each headline observable the model returns, its draws times
    exp(sigma * N(0, 1)), sigma the error model's sd of the observable's kind at the
    months since the first control's start (0 before it), as the backtest adds to its
    draws; an export flow that is zero in every sample and month (none at baseline, e.g.
    China's NdPr oxide exports in v2) is left out. Months count from the scenario's
    start; a spun-up run's values are relative to its own level in month -1."""
    series, m0 = [], announced_month(sc)
    basis = -1 if spin_up_of(ds) else None  # else: the pre-scenario level (format 2)
    for k, (commodity, var, region) in enumerate(headline(sc)):
        months, sds = [], []
        for m in range(int(ds["month"].values[-1]) + 1):
            row = {"commodity": commodity, "variable": var, "region": region,
                   "month_from": m, "month_to": m, "basis_month": basis}
            v = model_values(ds, row, base)
            if v is None:
                break
            sd = round(em.sigma(kind_of(var), m - m0), 4)
            v = _observe(v, {"s": np.full(len(v), sd)}, "s", seed, 20_000 + 100 * k + m,
                         name="s")
            months.append([float(f"{q:.4g}") for q in scoring.quantiles(v, qs=LEVELS)])
            sds.append(sd)
        if months and any(q != 0 for m in months for q in m):  # flows absent at baseline: out
            series.append({"commodity": commodity, "variable": var, "region": region,
                           "kind": kind_of(var), "quantiles": months, "sigma_obs": sds})
    return series


def spin_up_of(ds) -> int:
    """Months a paths Dataset's run starts before the scenario's start (0 without)."""
    return max(-int(ds["month"].values[0]), 0)


RELATIVE_TO = {
    0: "the model's pre-scenario level (1.0), as the backtest's targets",
    1: "the model's own level in the month before the scenario's start (month -1 of a run "
       "spun up from the earliest earlier control, spin_up_months before the start), as the "
       "backtest's targets whose baseline falls in that month"}
"""``relative_to`` of a record without (0) and with (1) a spin-up."""


def _inputs_version(model: str, variant: str) -> str:
    """``priors``, or the shipped posterior's fingerprint the record sampled."""
    post = posterior_inputs(model) if variant == "posterior" else None
    return post.key if post is not None else "priors"


UNRECORDED = "not recorded"
"""Shown for a version a record frozen before versions were recorded does not hold."""


def versions(record: dict) -> dict:
    """The record's model, model_version, inputs, inputs_version and data_version (the
    code, priors/posterior and data that made it); :data:`UNRECORDED` where an early
    record lacks one."""
    out = {k: str(record.get(k, UNRECORDED)) for k in
           ("model", "model_version", "inputs", "inputs_version", "data_version")}
    return {**out, "error_version": str(record.get("error_model", {}).get("version",
                                                                       UNRECORDED))}


def fit_errors(net, *, model: str | None = None, samples: int = 1000, seed: int = 0,
               episodes: list[str] | None = None,
               today: dt.date | None = None) -> errors.FittedError:
    """The error model of ``model``'s default inputs fitted on every training episode's
    rows (or those of ``episodes``): the model's draws as the backtest makes them, one
    (a, b) per group (:data:`critmin.calibrate.errors.BY`); append it to a table with
    :func:`critmin.calibrate.errors.append_table`. Out of sample for a forecast: the
    scenarios it is frozen for lie after every episode fitted."""
    model = model or DEFAULT_MODEL
    variant = default_variant(model)
    drawn, _ = model_draws(net, episodes=episodes, model=model, samples=samples, seed=seed,
                           variants=(variant,))
    if not drawn:
        raise ForecastError(f"model {model!r}, inputs {variant!r}: no scored target to fit "
                            "the error model on")
    em = errors.fit([d[4] for d in drawn], [d[3]["observed"] for d in drawn],
                    [d[3]["kind"] for d in drawn], [d[3]["horizon"] for d in drawn], seed,
                    by=errors.BY)
    meta = {"fitted_on": (today or dt.datetime.now(dt.UTC).date()).isoformat(),
            "model": model, "model_version": model_version(model), "inputs": variant,
            "inputs_version": _inputs_version(model, variant),
            "data_version": data_version(net), "samples": samples, "seed": seed,
            "episodes": ";".join(dict.fromkeys(d[3]["episode"] for d in drawn)),
            "by": errors.BY}
    return errors.fitted(meta, em)


def error_fit(model: str, variant: str, path: Path | None = None) -> errors.FittedError:
    """The last fit of the error table (default: shipped) for ``model`` on ``variant``;
    :class:`ForecastError` naming the table and the command that writes one if none."""
    try:
        fit = errors.latest(model, variant, path)
    except errors.ErrorTableError as exc:
        raise ForecastError(str(exc)) from exc
    if fit is None:
        raise ForecastError(f"{path or errors.shipped_table()}: no fitted observation-error "
                            f"model for model {model!r} on inputs {variant!r}; run `critmin "
                            "forecast errors` (it appends one) and freeze again")
    return fit


def freeze(net, sc, *, model: str | None = None, samples: int = 500, seed: int = 0,
           months: int | None = None, directory: Path | None = None,
           today: dt.date | None = None, errors_path: Path | None = None) -> Path:
    """Run scenario ``sc`` on ``model``'s default inputs and write its record into
    ``directory`` (default: the shipped folder); returns the file written. ``months``
    defaults to the scenario's horizon (at most 36). The observation error is the last
    fit for the model and inputs in the error table ``errors_path`` (default: shipped).
    The run is the backtest's (``_paths``: v2 spun up from controls in force before the
    start); the record's ``spin_up_months`` says by how many months."""
    model = model or DEFAULT_MODEL
    today = today or dt.datetime.now(dt.UTC).date()
    variant = default_variant(model)
    fit = error_fit(model, variant, errors_path)
    months = months or min(3 * sc.horizon_quarters, 36)
    theta, _ = _theta(variant, model, sc.id, samples, seed)
    variables = {v for _, v, _ in headline(sc)}
    ds, base = _paths(net, sc, months, samples, seed, model, theta, variables)
    series, lead = _quantile_paths(ds, base, sc, fit.model, seed), spin_up_of(ds)
    if not series:
        raise ForecastError(f"scenario {sc.id!r}: the model returns none of its headline "
                            "observables; nothing to freeze")
    record = {
        "format": FORMAT, "frozen_on": today.isoformat(), "scenario": sc.id,
        "scenario_spec": json.loads(sc.model_dump_json()), "model": model,
        "model_version": model_version(model), "inputs": variant,
        "inputs_version": _inputs_version(model, variant), "samples": samples, "seed": seed,
        "data_version": data_version(net), "critmin_version": critmin.__version__,
        "start": sc.start.isoformat(), "months": months, "levels": list(LEVELS),
        "spin_up_months": lead, "relative_to": RELATIVE_TO[int(lead > 0)],
        "error_model": {**fit.record(), "horizon_from": f"month {announced_month(sc)} (the "
                        "first control's start); sd = sqrt(a^2 + b^2 h), h months after it"},
        "series": series}
    record["sha256"] = content_hash(record)
    out = Path(directory or shipped_dir())
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{today.isoformat()}_{sc.id}_{record['sha256'][:8]}.json"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n",
                   encoding="utf-8")
    tmp.replace(path)
    return path


def read_record(path: Path) -> dict:
    """A record, after checking its content hash; :class:`ForecastError` if it cannot be
    read or was edited after it was frozen."""
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ForecastError(f"{path}: cannot read the forecast record: {exc}") from exc
    if not isinstance(record, dict) or "sha256" not in record:
        raise ForecastError(f"{path}: not a forecast record (no sha256 field)")
    got = content_hash(record)
    if got != record["sha256"]:
        raise ForecastError(f"{path}: content hash {got[:12]}... does not match the "
                            f"recorded {str(record['sha256'])[:12]}...: the record was "
                            "edited after it was frozen and is refused; restore it from "
                            "version control or freeze a new one")
    return record


def record_files(directories: list[Path] | None = None) -> list[Path]:
    """Record files in the shipped folder and the ``directories`` given, by name."""
    dirs = [shipped_dir(), *(directories or [])]
    return sorted({p for d in dirs if Path(d).is_dir() for p in Path(d).glob("*.json")},
                  key=lambda p: (p.name, str(p)))


def list_records(directories: list[Path] | None = None) -> pd.DataFrame:
    """One row per record: id (file stem), day frozen, scenario, the versions that made
    it (:func:`versions`), samples, seed, start, months, series; records failing the
    hash check raise."""
    rows = []
    for p in record_files(directories):
        r = read_record(p)
        rows.append({"id": p.stem, "frozen_on": r["frozen_on"], "scenario": r["scenario"],
                     **versions(r), "samples": r["samples"], "seed": r["seed"],
                     "start": r["start"], "months": r["months"],
                     "series": len(r["series"]), "sha256": r["sha256"], "path": str(p)})
    return pd.DataFrame(rows, columns=["id", "frozen_on", "scenario", "model",
                                       "model_version", "inputs", "inputs_version",
                                       "data_version", "error_version", "samples", "seed",
                                       "start",
                                       "months", "series", "sha256", "path"])


def _cdf(levels: np.ndarray, q: np.ndarray, y: float) -> float:
    """The record's CDF at ``y`` (the PIT): linear between quantiles; below the lowest
    level's quantile half that level (0.025), above the highest 1 minus half the rest."""
    if y < q[0]:
        return float(levels[0] / 2)
    if y > q[-1]:
        return float(1 - (1 - levels[-1]) / 2)
    return float(np.interp(y, q, levels))


def crps_quantiles(levels, q, y: float) -> float:
    """CRPS from quantiles: twice the mean quantile score over the levels,
    2/K * sum_k (1{y < q_k} - tau_k) (q_k - y) (levels evenly spread in (0, 1))."""
    tau = np.asarray(levels, dtype=float)
    qq = np.asarray(q, dtype=float)
    return float(2.0 * np.mean(((y < qq).astype(float) - tau) * (qq - y)))


def _score_one(rec: dict, t: pd.Series, shift: int) -> dict | None:
    key = {(s["commodity"], s["variable"], s["region"]): s for s in rec["series"]}
    region = t["region"] if t["variable"] == "exports_china_dest" else ""
    s = key.get((t["commodity"], t["variable"], region))
    m0, m1 = int(t["month_from"]) + shift, int(t["month_to"]) + shift
    if s is None or m1 < 0 or m1 >= len(s["quantiles"]):
        return None
    if rec.get("spin_up_months", 0) and (m0 < 0 or int(t["basis_month"]) + shift != -1):
        return None  # the record is relative to month -1 and holds no earlier month
    arr = np.asarray(s["quantiles"], dtype=float)[max(m0, 0):m1 + 1]
    sds = s.get("sigma_obs")  # the record's own error (format 2); absent before
    sigma = float(np.mean(sds[max(m0, 0):m1 + 1])) if sds else float("nan")
    n_pre = max(0, -m0)  # months of an annual value before the start: 1.0
    q = (arr.sum(axis=0) + n_pre) / (len(arr) + n_pre)
    levels = np.asarray(rec["levels"], dtype=float)
    y = float(t["observed"])
    at = {round(lv, 2): v for lv, v in zip(levels, q, strict=True)}
    return dict(
        episode=t["episode"], commodity=t["commodity"], observable=t["observable"],
        destination=t["destination"], variable=t["variable"], region=t["region"],
        kind=t["kind"], basis=t["basis"], unit=t["unit"], date=t["date"],
        horizon=int(t["horizon"]), band=t["band"], observed=y, p5=at[0.05], p25=at[0.25],
        p50=at[0.5], p75=at[0.75], p95=at[0.95], crps=crps_quantiles(levels, q, y),
        pit=_cdf(levels, q, y), in_50=bool(at[0.25] <= y <= at[0.75]),
        in_80=bool(at[0.1] <= y <= at[0.9]), in_90=bool(at[0.05] <= y <= at[0.95]),
        rw_months=float(t["rw_months"]), pre_sigma=float(t["pre_sigma"]),
        sigma_obs=sigma, source_id=t["source_id"], estimated=bool(t["estimated"]))


def score(net, records: list[tuple[Path, dict]]) -> pd.DataFrame:
    """Backtest-layout rows (``variant`` = the record's id, with its :func:`versions`)
    scoring each
    record against the observations dated after its day of freezing, of the episodes
    whose ``scenario`` is the record's; empty when there are none yet."""
    idx = getattr(net, "episode_index", None)
    rows = []
    for path, rec in records:
        eps = [] if idx is None else sorted(idx.loc[idx["scenario"].eq(rec["scenario"]),
                                                    "episode"])
        if not eps:
            continue
        try:
            targets = load_targets(net, eps)
        except EpisodeError as exc:
            raise ForecastError(f"{path.name}: {exc}") from exc
        frozen = dt.date.fromisoformat(rec["frozen_on"])
        later = targets.rows[pd.to_datetime(targets.rows["date"]).dt.date > frozen]
        start = dt.date.fromisoformat(rec["start"])
        for _, t in later.iterrows():
            sc = targets.scenarios[t["episode"]]
            got = _score_one(rec, t, _months(start, sc.start))
            if got is not None:
                rows.append(dict(got, variant=path.stem, **versions(rec)))
    return add_references(pd.DataFrame(rows))

