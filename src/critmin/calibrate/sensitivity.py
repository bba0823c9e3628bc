"""Variance-based global sensitivity (Sobol indices, SALib) of a scenario's headline
outputs to the model's latent inputs.

Inputs are sampled with SALib's Sobol sequence (Saltelli's scheme, first and total order)
over the prior of every latent input of the model (:func:`critmin.simulate.paths.latent_priors`;
log-uniform priors sampled uniformly in the log, normal ones through SALib's ``norm``),
and all samples run in one vectorised model call through ``theta``. Outputs per
commodity: peak ex-China/China price ratio, peak ex-China price (x baseline), and the
mean shortfall over the horizon per importer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmin.market.registry import DEFAULT_MODEL

IMPORTERS = ("USA", "JPN", "EU", "KOR", "ROW")


def _problem(priors: pd.DataFrame) -> dict:
    names, bounds, dists = [], [], []
    for _, r in priors.iterrows():
        lo, hi = float(r["low"]), float(r["high"])
        names.append(r["name"])
        if r["dist"] == "loguniform":
            bounds.append([np.log(lo), np.log(hi)])
            dists.append("unif")
        elif r["dist"] == "normal":
            bounds.append([(lo + hi) / 2, (hi - lo) / (2 * 1.959964)])
            dists.append("norm")
        else:
            bounds.append([lo, hi])
            dists.append("unif")
    return {"num_vars": len(names), "names": names, "bounds": bounds, "dists": dists}


OUTPUTS = ("peak_price_ratio", "peak_price_ex_china", "shortfall")


def _outputs(ds, commodities=None, outputs=OUTPUTS,
             regions=IMPORTERS) -> dict[tuple[str, str, str], np.ndarray]:
    """(output, commodity, region) -> (S,) headline values, for the ``commodities``
    (default all), ``outputs`` and shortfall ``regions`` asked."""
    names = [str(c) for c in ds["commodity"].values]
    wanted = [i for i, c in enumerate(names) if commodities is None or c in commodities]
    table = {}
    if "peak_price_ratio" in outputs:
        table["peak_price_ratio"] = (ds["price_ex_china"] / ds["price_china"]).max("month")
    if "peak_price_ex_china" in outputs:
        table["peak_price_ex_china"] = ds["price_ex_china"].max("month")
    out = {}
    for name, da in table.items():
        values = da.transpose("commodity", ...).to_numpy()
        for i in wanted:
            out[(name, names[i], "")] = values[i]
    if "shortfall" in outputs and "shortfall" in ds:
        present = [str(r) for r in ds["region"].values]
        sh = ds["shortfall"].mean("month").transpose("commodity", "region", ...).to_numpy()
        for i in wanted:
            for r in regions:
                if r in present:
                    out[("shortfall", names[i], r)] = sh[i, present.index(r)]
    return out


def sobol_indices(net, scenario, *, model: str = DEFAULT_MODEL, samples: int = 256,
                  seed: int = 0,
                  months: int = 24, commodities=None, outputs=OUTPUTS,
                  regions=IMPORTERS) -> pd.DataFrame:
    """Rows: output, commodity, region, input, S1, S1_conf, ST, ST_conf. ``samples`` is
    SALib's base sample size N (a power of 2); the model runs N * (D + 2) samples.
    ``commodities`` (default all), ``outputs`` and ``regions`` limit the outputs analysed
    (the model still runs the whole network)."""
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    from critmin.simulate.paths import latent_priors, scenario_paths

    priors = latent_priors(net, model)
    commodities = set(scenario.commodities) if scenario.commodities else None
    keep = priors["scope"].eq("ALL") | (priors["scope"].isin(commodities)
                                         if commodities else True)
    priors = priors[keep].reset_index(drop=True)
    problem = _problem(priors)
    x = sample.sample(problem, samples, calc_second_order=False, seed=seed)
    theta = {}
    for i, r in priors.iterrows():
        theta[r["name"]] = np.exp(x[:, i]) if r["dist"] == "loguniform" else x[:, i]
    ds = scenario_paths(net, scenario, samples=len(x), seed=seed, months=months,
                        model=model, theta=theta)  # spun up as a user's run is
    rows = []
    for (output, commodity, region), y in _outputs(ds, commodities, outputs, regions).items():
        if not np.all(np.isfinite(y)) or np.ptp(y) < 1e-9 * max(1.0, abs(float(y.mean()))):
            continue  # no variance: the input cannot move this output
        res = analyze.analyze(problem, y, calc_second_order=False, seed=seed,
                              print_to_console=False)
        for j, name in enumerate(problem["names"]):
            rows.append(dict(output=output, commodity=commodity, region=region, input=name,
                             S1=float(res["S1"][j]), S1_conf=float(res["S1_conf"][j]),
                             ST=float(res["ST"][j]), ST_conf=float(res["ST_conf"][j])))
    return clip_indices(pd.DataFrame(rows, columns=["output", "commodity", "region", "input",
                                                     "S1", "S1_conf", "ST", "ST_conf"]))


NOISY_CONF = 0.5
"""A 95 % confidence half-width above this (on a 0-1 index) marks the estimate noisy."""


def clip_indices(df: pd.DataFrame) -> pd.DataFrame:
    """Sobol indices as shares (0-1): ``S1`` and ``ST`` clipped to [0, 1], SALib's raw
    estimates kept in ``S1_estimate`` and ``ST_estimate``; ``noisy`` where a raw estimate
    falls outside [0, 1] (beyond rounding, 0.005) or its confidence half-width exceeds
    ``NOISY_CONF`` — sampling noise: more base samples narrow it."""
    out = df.copy()
    noisy = pd.Series(False, index=df.index)
    for k in ("S1", "ST"):
        raw = df[k].astype(float)
        out[f"{k}_estimate"] = raw
        out[k] = raw.clip(0.0, 1.0)
        noisy |= (raw < -0.005) | (raw > 1.005) | (df[f"{k}_conf"] > NOISY_CONF)
    out["noisy"] = noisy
    return out


def top_drivers(net, scenario, *, model: str = DEFAULT_MODEL, samples: int = 256,
                seed: int = 0,
                k: int = 3, indices: pd.DataFrame | None = None,
                **limits) -> pd.DataFrame:
    """The ``k`` inputs with the largest total-order index per output, commodity and
    region (``scenario`` a Scenario or a preset id); pass ``indices`` to reuse a run;
    ``limits`` (commodities, outputs, regions) go to :func:`sobol_indices`."""
    if isinstance(scenario, str):
        from critmin.scenarios import get_scenario

        scenario = get_scenario(scenario, net)
    df = indices if indices is not None else sobol_indices(
        net, scenario, model=model, samples=samples, seed=seed, **limits)
    if df.empty:
        return df
    df = df.sort_values("ST", ascending=False, kind="stable")
    return df.groupby(["output", "commodity", "region"], sort=False).head(k) \
        .sort_values(["commodity", "output", "region", "ST"],
                     ascending=[True, True, True, False], kind="stable") \
        .reset_index(drop=True)
