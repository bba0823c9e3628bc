"""Observed market episodes as model targets.

Reads ``net.episode_index`` and ``net.episodes``. Each series (episode, commodity,
observable, exporter, destination, basis, unit) is divided by its value at the episode's
``baseline_date`` (or its latest value before it); the observations after the baseline
date become targets on the model's variables and months since the scenario start:

- ``price_ex_china`` -> ``price_ex_china``; ``price_china`` -> ``price_china``;
- ``exports`` by China to WORLD -> ``exports_china``, to one destination ->
  ``exports_china_dest`` in the model region holding it (EU members -> EU, else ROW);
- ``export_quota`` is announced policy, never a target.

Monthly values refer to their month; annual values (units ``.../yr``, or prices whose
basis starts ``annual average``) to the mean of their calendar year (months before the
scenario start count as the baseline, 1.0).

Two episodes are reserved for evaluation outside the project (China's Aug 2023 Ga/Ge
licensing, its Apr 2025 licensing of seven rare earths and magnets): asking for them is
an error, and so is any observation of theirs in the table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmin.calibrate.scoring import monthly_log_volatility
from critmin.scenarios.spec import ExportControl, Scenario


@dataclass(frozen=True)
class Reserved:
    name: str
    ids: tuple[str, ...]  # scenario / episode ids naming it
    commodities: tuple[str, ...]
    start: dt.date
    end: dt.date


RESERVED = (
    Reserved("China's Aug 2023 gallium/germanium licensing",
             ("CN_2023_GaGe_licensing", "CN_2023_GaGe_licence", "CN_2023_GaGe"),
             ("gallium", "germanium"), dt.date(2023, 7, 1), dt.date(2024, 11, 30)),
    Reserved("China's Apr 2025 licensing of seven medium/heavy rare earths and magnets",
             ("CN_2025_04_heavyREE_licensing", "CN_2025_04_heavyREE_licence",
              "CN_2025_04_REE"),
             # exact commodity ids of the data (scandium is ``scandium``); a test checks
             # each one exists in commodities.csv
             ("dy", "tb", "ree_other", "ndfeb_magnet", "sm", "gd", "lu", "scandium", "y"),
             dt.date(2025, 4, 1), dt.date(2025, 9, 30)),
)
OBSERVABLES = {"price_ex_china": "price_ex_china", "price_china": "price_china",
               "exports": "exports"}
EU = {"AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC",
      "HUN", "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK",
      "SVN", "ESP", "SWE"}
MAX_MONTHS = 36
SERIES = ["episode", "commodity", "observable", "exporter", "destination", "basis", "unit"]


class EpisodeError(ValueError):
    """Bad episode request or data; the message names the episode/row and the reason."""


def _date(x) -> dt.date:
    return pd.Timestamp(x).date()


def reserved_match(episode: str, row: pd.Series | None = None) -> Reserved | None:
    """The reserved episode ``episode`` (or its index row) is, if any."""
    for r in RESERVED:
        if episode in r.ids or (row is not None and str(row.get("scenario")) in r.ids):
            return r
        if row is not None and pd.notna(row.get("announced")):
            commodities = set(str(row.get("commodities", "")).split(";"))
            if commodities & set(r.commodities) and \
                    r.start <= _date(row["announced"]) <= r.end and \
                    row.get("measure") == "licence_required":
                return r
    return None


def check_not_reserved(episodes: list[str]) -> None:
    """Raise for a reserved episode id among ``episodes``."""
    for e in episodes:
        r = reserved_match(e)
        if r is not None:
            raise EpisodeError(f"episode {e!r} is reserved for out-of-sample evaluation "
                               f"({r.name}) and is never a calibration input")


def check_observations(obs: pd.DataFrame) -> None:
    """Raise if any observation falls in a reserved episode's window."""
    dates = pd.to_datetime(obs["date"]).dt.date
    for r in RESERVED:
        bad = obs[obs["commodity"].isin(r.commodities)
                  & dates.between(r.start, r.end)]
        if len(bad):
            b = bad.iloc[0]
            raise EpisodeError(f"episodes: row {b['episode']}/{b['commodity']}/"
                               f"{b['observable']}/{b['date']}: observation inside the "
                               f"reserved window of {r.name} ({r.start}..{r.end})")


def training_index(net, episodes: list[str] | None = None) -> pd.DataFrame:
    """Index rows of the training episodes asked (all when None)."""
    idx = getattr(net, "episode_index", None)
    if idx is None or len(idx) == 0:
        raise EpisodeError("no episodes in the data (tables episode_index/episodes)")
    if episodes:
        check_not_reserved(episodes)
        unknown = sorted(set(episodes) - set(idx["episode"]))
        if unknown:
            raise EpisodeError(f"unknown episodes: {', '.join(unknown)}; known: "
                               f"{', '.join(idx['episode'])}")
        idx = idx[idx["episode"].isin(episodes)]
    idx = idx[idx["role"].eq("training")]
    for _, row in idx.iterrows():
        r = reserved_match(row["episode"], row)
        if r is not None:
            raise EpisodeError(f"episode_index: row {row['episode']}: matches the reserved "
                               f"episode {r.name}; it cannot be a training episode")
    return idx.reset_index(drop=True)


def scenario_for(net, row: pd.Series) -> Scenario:
    """The episode's scenario: its preset when one exists, else one built from the
    announced terms in the index row (what, when, whom; never an observed outcome)."""
    from critmin.scenarios import presets

    known = presets()
    if row["scenario"] in known:
        return known[row["scenario"]]
    measure = row["measure"]
    if measure not in ("licence_required", "export_ban", "destination_ban"):
        raise EpisodeError(f"episode_index: row {row['episode']}: no preset "
                           f"{row['scenario']!r} and measure {measure!r} cannot be built "
                           "from the index row alone")
    start = _date(row["in_force"])
    announced = _date(row["announced"])
    q0 = dt.date(announced.year, 3 * ((announced.month - 1) // 3) + 1, 1)
    dests = str(row.get("destinations") or "ALL").split(";")
    ended = row.get("ended")
    ctl = ExportControl(
        exporter=row["exporter"], commodities=str(row["commodities"]).split(";"),
        measure=measure, destinations=dests, start=start,
        end=None if pd.isna(ended) or ended == "" else _date(ended),
        # approval and leakage are not announced: the models' latent inputs decide them
        approval_rate=None, leakage=None)
    return Scenario(id=row["episode"], name=str(row.get("name", row["episode"])), start=q0,
                    horizon_quarters=MAX_MONTHS // 3,
                    commodities=str(row["commodities"]).split(";"), controls=[ctl])


def _months(start: dt.date, d: dt.date) -> int:
    return (d.year - start.year) * 12 + d.month - start.month


def _region(dest: str) -> str:
    if dest in ("USA", "JPN", "KOR", "CHN"):
        return dest
    return "EU" if dest in EU else "ROW"


BANDS = ((0, 3, "0-3"), (4, 9, "4-9"), (10, 24, "10-24"))
"""Horizon bands in whole calendar months after the announcement month."""
KINDS = ("price_ex_china", "price_china", "exports", "exports_by_destination")


def horizon_band(months: int) -> str:
    """The band of an observation ``months`` calendar months after the announcement:
    ``0-3``, ``4-9``, ``10-24``; ``before`` (between the baseline date and the
    announcement) or ``25+`` outside them."""
    if months < 0:
        return "before"
    for lo, hi, name in BANDS:
        if lo <= months <= hi:
            return name
    return "25+"


def kind_of(variable: str) -> str:
    """Observable kind of a model variable: price ex-China, price in China, exports
    (China's to the world or another exporter's), exports by destination."""
    if variable == "exports_china_dest":
        return "exports_by_destination"
    if variable.startswith("exports"):
        return "exports"
    return variable


def _pre_volatility(pre: pd.DataFrame, annual: bool) -> float:
    """Per-month log volatility of a series' values on or before the baseline date
    (nan with fewer than two); annual values are dated at their mid-year."""
    if len(pre) < 2:
        return float("nan")
    d = pre["_d"].map(lambda x: dt.date(x.year, 7, 1) if annual else x)
    days = np.array([(x - dt.date(1970, 1, 1)).days for x in d], dtype=float)
    return monthly_log_volatility(days, pre["value"].to_numpy(dtype=float))


@dataclass
class Targets:
    """Observations as model targets, and the scenarios to simulate."""

    rows: pd.DataFrame  # one row per target observation
    scenarios: dict  # episode -> Scenario
    months: dict  # episode -> months to simulate
    skipped: pd.DataFrame  # series without a usable baseline, with the reason


def _annual(unit: str, basis: str = "") -> bool:
    """A calendar-year value: a total (unit ``.../yr``) or an annual average price
    (basis starting ``annual average``)."""
    return unit.endswith("/yr") or str(basis).lower().startswith("annual average")


def load_targets(net, episodes: list[str] | None = None) -> Targets:
    """Targets of the training episodes (all, or those asked)."""
    idx = training_index(net, episodes)
    obs = net.episodes
    check_observations(obs)
    obs = obs[obs["episode"].isin(idx["episode"]) & obs["observable"].isin(OBSERVABLES)]
    rows, skipped, scenarios, months = [], [], {}, {}
    for _, ep in idx.iterrows():
        sc = scenario_for(net, ep)
        scenarios[ep["episode"]] = sc
        base_date = _date(ep["baseline_date"])
        announced = _date(ep["announced"])
        last = 0
        for key, g in obs[obs["episode"].eq(ep["episode"])].groupby(SERIES, dropna=False):
            key = dict(zip(SERIES, key, strict=True))
            annual = _annual(key["unit"], key["basis"])
            g = g.assign(_d=pd.to_datetime(g["date"]).dt.date).sort_values("_d")
            end = g["_d"].map(lambda d: dt.date(d.year, 12, 31)) if annual else g["_d"]
            before = g[end <= base_date]
            exact = g[g["_d"].eq(base_date)] if not annual else before.iloc[0:0]
            ref = exact if len(exact) else before.tail(1)
            if not len(ref) or float(ref["value"].iloc[0]) <= 0:
                skipped.append({**key, "reason": "no positive value on or before the "
                                                 f"baseline date {base_date}"})
                continue
            base_value = float(ref["value"].iloc[0])
            # the model's state at the series' baseline: its month, or the month before
            # the scenario's start where the baseline falls in or after that month
            basis_month = min(_months(sc.start, ref["_d"].iloc[0]), -1)
            pre_sigma = _pre_volatility(g[end <= base_date], annual)
            after = g[(end > base_date)]
            for _, o in after.iterrows():
                d = o["_d"]
                if annual:
                    m0, m1 = _months(sc.start, dt.date(d.year, 1, 1)), \
                        _months(sc.start, dt.date(d.year, 12, 1))
                else:
                    m0 = m1 = _months(sc.start, d)
                if m1 < 0 or m1 >= MAX_MONTHS:
                    continue
                last = max(last, m1)
                var, region = key["observable"], ""
                if var == "exports":
                    if key["exporter"] != "CHN":
                        var = f"exports_{key['exporter'].lower()}"
                    elif key["destination"] in ("WORLD", "", None):
                        var = "exports_china"
                    else:
                        var, region = "exports_china_dest", _region(key["destination"])
                mid = dt.date(d.year, 7, 1) if annual else d
                rows.append({**key, "date": d.isoformat(), "month_from": m0, "month_to": m1,
                             "variable": var, "region": region, "kind": kind_of(var),
                             "horizon": _months(announced, mid),
                             "band": horizon_band(_months(announced, mid)),
                             "rw_months": max((mid - base_date).days / 30.4375, 0.5),
                             "pre_sigma": pre_sigma,
                             "basis_month": basis_month,
                             "observed": float(o["value"]) / base_value,
                             "value": float(o["value"]), "baseline_value": base_value,
                             "source_id": o["source_id"],
                             "estimated": str(o.get("estimated", "")).lower() == "true"})
        months[ep["episode"]] = max(12, 3 * (last // 3 + 1))
    cols = [*SERIES, "date", "month_from", "month_to", "variable", "region", "kind",
            "horizon", "band", "rw_months", "pre_sigma", "basis_month", "observed",
            "value", "baseline_value", "source_id", "estimated"]
    return Targets(rows=pd.DataFrame(rows, columns=cols), scenarios=scenarios, months=months,
                   skipped=pd.DataFrame(skipped))


def episode_paths(net, sc: Scenario, *, months: int, samples: int, seed: int, model: str,
                  theta: dict | None, variables=(), priors_only: bool | None = None):
    """An episode's paths as the backtest and the calibrations score them: v2 spun up
    from the controls in force before its start (:func:`critmin.simulate.paths.
    simulate_paths`, ``spin_up``), and, where exports of ``variables`` lack a baseline
    variable, a calm run (no controls, outages or demand shocks; one month, the same
    draws) for their baseline: (paths, calm run or None) for :func:`model_values`."""
    from critmin.simulate.paths import simulate_paths

    ds = simulate_paths(net, sc, samples=samples, seed=seed, months=months, model=model,
                        theta=theta, priors_only=priors_only, spin_up=model != "v1")
    if not any(v.startswith("exports") and v in ds and f"{v}_base" not in ds
               for v in variables):
        return ds, None
    calm = sc.model_copy(update={"controls": [], "outages": [], "demand_shocks": []})
    return ds, simulate_paths(net, calm, samples=samples, seed=seed, months=1, model=model,
                              theta=theta, priors_only=priors_only)


def model_values(ds, row, base_ds=None) -> np.ndarray | None:
    """(samples,) model value of one target row from a paths Dataset, relative to the
    baseline; None if the model lacks the variable, commodity or region. The baseline is
    the model's own value in the row's ``basis_month`` where ``ds`` has that month (a run
    with spin-up: :func:`critmin.simulate.paths.simulate_paths`), else the pre-scenario
    baseline: 1 for prices; for exports ``VAR_base`` in ``ds`` or, failing that, month 0
    of ``base_ds`` (a run of the scenario without its shocks, same draws)."""
    var = row["variable"]
    if var not in ds or row["commodity"] not in ds["commodity"].values:
        return None
    sel = {"commodity": row["commodity"]}
    if "region" in ds[var].dims:
        region = row["region"] if row["region"] in ds["region"].values else "ROW"
        if region not in ds["region"].values:
            return None
        sel["region"] = region
    # China's customs series against the exports its customs would record (model v2.1:
    # without the leaked part of a binding allowance), where the model gives them
    x = ds[f"{var}_recorded" if f"{var}_recorded" in ds else var].sel(sel)
    lo, hi = int(row["month_from"]), int(row["month_to"])
    first = int(ds["month"].values[0])  # -lead with spin-up, else 0
    vals = x.sel(month=slice(max(lo, first), hi)).to_numpy()
    b = row.get("basis_month")
    at = None if b is None or pd.isna(b) or int(b) < first else x.sel(month=int(b)).to_numpy()
    if var.startswith("exports"):
        if f"{var}_base" in ds:
            base = ds[f"{var}_base"].sel(sel).to_numpy()
        elif base_ds is not None and var in base_ds:
            base = base_ds[var].sel(sel).isel(month=0).to_numpy()
        else:
            return None
        base = np.broadcast_to(np.asarray(base, dtype=float), vals.shape[:1])
        vals = vals / np.maximum(base, 1e-12)[:, None]
        if at is not None:
            at = at / np.maximum(base, 1e-12)
    n_pre = max(0, first - lo)  # months of an annual period before the run: baseline
    out = (vals.sum(axis=1) + n_pre) / (vals.shape[1] + n_pre)
    return out if at is None else out / np.maximum(at, 1e-12)
