"""Prices over a project's life: the model's paths, reversion beyond its horizon, and
China's strategic response as a scenario family with latent priors.

Beyond the model horizon the log price gap to the long-run pre-shock price (the
baseline price, the latest ``prices`` row that v2 starts from) decays at rate ``kappa``
per year. China's response: when ex-China capacity of the commodity comes online,
with probability ``p_suppress`` the ex-China price is pushed ``depth`` (log) below that
path for ``years`` years, then relaxes linearly back over ``RELAX_YEARS``.

Every prior is the range of sourced episodes (module constants name each row):

* reversion ``kappa`` (1/yr), the annual log price declines after the peaks:
  NdPr 2011-2012 yearend 195 -> 77.5 USD/kg, 0.92; Dy 1,410 -> 615, 0.83 (USGS MCS
  2016, ``ep_usgs_mcs2016_ree``); NdPr oxide 2023-2024 average 75 -> 55, 0.31 (USGS MCS
  2026, ``usgs_mcs2026_rare_earths``); lithium carbonate 2023-2024 39,000 -> 11,800
  USD/t, 1.20 (``usgs_mcs2026_lithium``). Prior U(0.31, 1.20).
* suppression ``depth`` (log), the declines while ex-China capacity came online:
  REE 2013-2015 (Molycorp's Mountain Pass restart, Lynas' Malaysian plant): Nd oxide
  yearend 67.5 -> 39.5 USD/kg, 0.54 (USGS MCS 2016); NdPr 2023-2024 (MP Stage II
  separation, Lynas Kalgoorlie) 75 -> 55, 0.31; lithium 2023-2024 (Australian, African
  and South American expansions) 39,000 -> 11,800, 1.20 (sources as above). Part of
  each decline is demand, so the upper end overstates China's own push. Prior
  U(0.31, 1.20).
* duration ``years``: 2013-2015 (3 years, to Molycorp's exit), 2023-2024 (2 years,
  NdPr and lithium). Prior U(2, 3).
* ``p_suppress``: a suppression followed ex-China capacity in all 3 sourced episodes;
  Laplace's rule of succession gives (3 + 1) / (3 + 2) = 0.8 (estimate, method stated).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPISODES = {  # (commodity, years, from, to, unit, source_id) behind the priors
    "ndpr_2011_2012": ("ndpr", "2011-2012 yearend", 195.0, 77.5, "USD/kg",
                       "ep_usgs_mcs2016_ree"),
    "dy_2011_2012": ("dy", "2011-2012 yearend", 1410.0, 615.0, "USD/kg",
                     "ep_usgs_mcs2016_ree"),
    "ndpr_2013_2015": ("ndpr", "2013-2015 yearend", 67.5, 39.5, "USD/kg",
                       "ep_usgs_mcs2016_ree"),
    "ndpr_2023_2024": ("ndpr", "2023-2024 average", 75.0, 55.0, "USD/kg",
                       "usgs_mcs2026_rare_earths"),
    "lithium_2023_2024": ("lithium", "2023-2024 average", 39000.0, 11800.0, "USD/t",
                          "usgs_mcs2026_lithium"),
}


def _log_fall(key: str, years: float = 1.0) -> float:
    _c, _y, a, b, _u, _s = EPISODES[key]
    return float(np.log(a / b) / years)


KAPPA = (min(_log_fall(k) for k in ("ndpr_2011_2012", "dy_2011_2012", "ndpr_2023_2024",
                                    "lithium_2023_2024")),
         max(_log_fall(k) for k in ("ndpr_2011_2012", "dy_2011_2012", "ndpr_2023_2024",
                                    "lithium_2023_2024")))
DEPTH = (min(_log_fall(k) for k in ("ndpr_2023_2024", "lithium_2023_2024")),
         max(_log_fall(k) for k in ("ndpr_2023_2024", "lithium_2023_2024")))
"""Log depth prior; REE 2013-2015 (0.54 over two years) lies inside it."""
SUPPRESS_YEARS = (2.0, 3.0)
P_SUPPRESS = (3 + 1) / (3 + 2)
RELAX_YEARS = 1.0
"""Years over which a suppression relaxes back to the path (estimate: prices of the
three episodes turned within a year of the trough, USGS annual series above)."""


@dataclass
class ResponseDraws:
    """Per-sample latent inputs of the China-response family (S,)."""

    kappa: np.ndarray  # 1/yr, reversion of the log price gap beyond the horizon
    suppress: np.ndarray  # bool, China answers new ex-China capacity
    depth: np.ndarray  # log price drop while suppressing
    years: np.ndarray  # duration of the suppression, years

    @property
    def size(self) -> int:
        return self.kappa.shape[0]


def draw_response(samples: int, seed: int, china: bool = True) -> ResponseDraws:
    """Draws of the family (its own stream: ``seed`` + a fixed offset, so the market
    model's draws are unchanged). ``china=False``: reversion only, no suppression."""
    rng = np.random.default_rng([int(seed), 22_2011])
    kappa = rng.uniform(*KAPPA, samples)
    suppress = rng.random(samples) < P_SUPPRESS
    depth = rng.uniform(*DEPTH, samples)
    years = rng.uniform(*SUPPRESS_YEARS, samples)
    if not china:
        suppress = np.zeros(samples, dtype=bool)
    return ResponseDraws(kappa=kappa, suppress=suppress, depth=depth, years=years)


def life_path(model_rel: np.ndarray, months: int, draws: ResponseDraws,
              online_month: float | None) -> np.ndarray:
    """(S, months) ex-China price relative to the baseline over a project's life.

    ``model_rel`` (S, H): the model's monthly relative price (H months); after month H
    the log price gap decays at ``kappa``; from ``online_month`` (months from the start,
    when ex-China capacity of the commodity comes online; None: never) China's
    suppression multiplies the path by exp(-depth) for ``years``, then relaxes linearly
    over ``RELAX_YEARS``."""
    model_rel = np.asarray(model_rel, dtype=float)
    S, H = model_rel.shape
    rel = np.empty((S, months))
    h = min(H, months)
    rel[:, :h] = model_rel[:, :h]
    if months > H:
        last = np.log(np.maximum(model_rel[:, -1], 1e-9))
        after = np.arange(1, months - H + 1) / 12.0
        rel[:, H:] = np.exp(last[:, None] * np.exp(-draws.kappa[:, None] * after[None]))
    if online_month is not None:
        t = np.arange(months)[None, :] - float(online_month)
        end = 12.0 * draws.years[:, None]
        relax = 12.0 * RELAX_YEARS
        weight = np.where(t < 0, 0.0, np.where(t < end, 1.0,
                                               np.clip(1 - (t - end) / relax, 0.0, 1.0)))
        weight = weight * draws.suppress[:, None]
        rel = rel * np.exp(-draws.depth[:, None] * weight)
    return rel
