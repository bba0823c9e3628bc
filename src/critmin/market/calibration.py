"""Calibrate short-run elasticities to observed episodes and report model vs observed.

Episodes (observed figures in the research notes and parameters table):
- China's antimony licensing, 15 Sep 2024: by end-2024 the European (ex-China) price was
  +57.3 % and China's domestic price -10.5 % (Energy News, Jan 2025).
- DRC's cobalt export ban, 22 Feb 2025: price +37 % within about a month (Metals Wire).

Each episode is run deterministically (every sampled input at its prior midpoint). The
fitted quantity is a scale on the commodity's short-run demand and supply elasticities
(``sr_elasticity_scale``), and, for antimony, the floor below which Chinese producers
stockpile (``china_price_floor_multiple``). Run ``python -m critmin.market.calibration``
to reproduce the table in docs/calibration.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from critmin.market.baseline import build_baseline
from critmin.scenarios import get_scenario
from critmin.simulate.compile import compile_scenario
from critmin.simulate.engine import ELASTICITIES, priors_from, run


@dataclass
class Episode:
    name: str
    scenario: str
    commodity: str
    quarter: int  # quarter of the scenario compared with the observation
    observed_ex_china: float  # relative price change
    observed_china: float | None


EPISODES = (
    Episode("China antimony licensing (Sep 2024), end-2024 prices",
            "CN_2024_antimony_licensing", "antimony", 2, 0.573, -0.105),
    Episode("DRC cobalt export ban (Feb 2025), first quarter",
            "DRC_cobalt_ban_then_quota", "cobalt", 0, 0.37, None),
)


def central_draws(priors, n_commodities: int, scale: np.ndarray, floor: float) -> dict:
    """One deterministic sample at the prior midpoints; ``scale`` (C,) multiplies the
    short-run elasticities."""
    d = {}
    for name in ELASTICITIES:
        lo, hi = priors.elasticity[name]
        mid = (lo + hi) / 2
        d[name] = (mid * scale if name.endswith("_sr") else mid)[None, :]
    d["tau"] = np.array([[sum(priors.tau) / 2]])
    d["export_share"] = ((priors.export_share[0] + priors.export_share[1]) / 2)[None, :]
    for k in ("approval_scale", "leakage_scale", "duration_scale"):
        d[k] = np.ones((1, 1))
    d["fill_scale"] = np.zeros((1, 2))
    d["choke"] = np.array([[sum(priors.choke) / 2]])
    d["china_floor"] = np.array([[floor]])
    return d


def episode_prices(net, ep: Episode, scale: float, floor: float) -> tuple[float, float]:
    """(ex-China, China) price change of the episode's quarter for a given fit."""
    base = build_baseline(net, [ep.commodity])
    sc = get_scenario(ep.scenario, net)
    comp = compile_scenario(sc, base, net, horizon=ep.quarter + 1)
    priors = priors_from(net, base, calibrated=False)
    d = central_draws(priors, 1, np.array([scale]), floor)
    out = run(comp, base, d, responses=False, n_paths=1)
    px = out.paths["price_x"][0, ep.quarter, 0]
    pc = px / out.paths["price_ratio"][0, ep.quarter, 0]
    return px - 1, pc - 1


def calibrate(net) -> list[dict]:
    """Fit each episode; returns rows: episode, parameter values, model vs observed."""
    rows = []
    for ep in EPISODES:
        floor = 1 + ep.observed_china if ep.observed_china is not None else 0.8

        def gap(log_scale, ep=ep, floor=floor):
            return episode_prices(net, ep, float(np.exp(log_scale)), floor)[0] \
                - ep.observed_ex_china

        prior_x, prior_c = episode_prices(net, ep, 1.0, 0.8)
        log_k = brentq(gap, np.log(0.05), np.log(100.0), xtol=1e-6)
        k = float(np.exp(log_k))
        fit_x, fit_c = episode_prices(net, ep, k, floor)
        rows.append(dict(episode=ep.name, commodity=ep.commodity,
                         sr_elasticity_scale=k, china_price_floor=floor,
                         observed_ex_china=ep.observed_ex_china,
                         observed_china=ep.observed_china,
                         prior_model_ex_china=prior_x, prior_model_china=prior_c,
                         fitted_model_ex_china=fit_x, fitted_model_china=fit_c))
    return rows


if __name__ == "__main__":  # pragma: no cover
    import critmin

    for r in calibrate(critmin.load()):
        print(r)
