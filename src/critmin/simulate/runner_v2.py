"""Model v2 chunks for the sweep runner: per-sample summaries of the monthly paths.

Each chunk runs samples [start, stop) of model v2 (block-seeded draws, so numbers never
depend on chunking or executor) and reduces the months to the runner's per-sample columns
(the v1 keys, plus new keys for the regions EU and KOR, physical shortfall and stages).
Paths of the first samples are stored as quarterly means (the store's path table is
quarterly, as v1's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from critmin.data.schemas import STAGES
from critmin.market.v2.kernel import NEVER, initial_state, params_from, step
from critmin.market.v2.network import REGIONS
from critmin.market.v2.paths import Prepared, baseline_arrays, node_map, prepare
from critmin.market.v2.policy import month_bounds
from critmin.market.v2.priors import draws

SHORT_REGIONS = ("USA", "JPN", "EU", "KOR", "ROW", "CHN")
COVER_REGIONS = ("USA", "JPN")


@dataclass
class JobV2:
    prep: Prepared
    seed: int
    responses: bool
    floors: np.ndarray  # (H, C, 3): floor / P0, covered t/yr, upside share


def make_job(net, scenario, months: int, seed: int, responses: bool) -> JobV2:
    prep = prepare(net, scenario, months)
    m = prep.full
    bounds = month_bounds(scenario.start.replace(day=1), months)
    floors = np.zeros((months, len(m.commodities), 3))
    for f in scenario.price_floors:
        if f.commodity not in m.commodities:
            continue
        k = m.commodities.index(f.commodity)
        for t in range(months):
            lo, hi = bounds[t], bounds[t + 1]
            a = max(lo, f.start) < min(hi, f.end or hi) or (f.start <= lo and
                                                            (f.end is None or f.end >= hi))
            if a:
                floors[t, k] = (f.floor_usd_kg * 1000.0 / m.price_usd_t[k], f.covered_t,
                                f.upside_share)
    return JobV2(prep=prep, seed=seed, responses=responses, floors=floors)


def chunk_v2(job: JobV2, start: int, stop: int, n_paths: int) -> dict:
    """Run samples [start, stop) and reduce them (see the module notes)."""
    prep = job.prep
    m, L, cp = prep.market, prep.links, prep.compiled
    d = draws(prep.latent, job.seed, start, stop)
    k = params_from(d, m)
    S, H = stop - start, cp.months
    s = initial_state(m, cp, k, L, S)
    out = _reduce(m, cp, k, L, s, S, H, job, start, n_paths)
    return _expand(prep, out, d, S, job)


def _reduce(m, cp, k, L, s, S, H, job, start, n_paths) -> dict:
    """Months of the simulated commodities reduced to per-sample arrays."""
    C = len(m.commodities)
    hl = m.headline
    p0 = m.price_usd_t
    acc = dict(start=start, peak_ratio=np.ones((S, C)), peak_price_x=np.ones((S, C)),
               unmet=np.zeros((S, C, len(REGIONS))), wanted=np.zeros((S, C, len(REGIONS))),
               peak_phys=np.zeros((S, C, len(REGIONS))),
               min_cover=np.full((S, C, len(REGIONS)), np.inf),
               var=np.zeros((S, C, len(REGIONS))),
               stage_price=np.ones((S, m.n)), stage_phys=np.zeros((S, m.n)), err=0.0)
    n_p = max(0, min(n_paths - start, S))
    mpaths = {k2: np.zeros((n_p, H, C)) for k2 in
              ("price_x", "price_ratio", "shortfall_USA", "shortfall_JPN", "shortfall_ROW",
               "shortfall_CHN", "exports_china")}
    for t in range(H):
        o = step(m, cp, k, L, s, t, job.responses)
        px, pc = np.exp(o["pX"][:, hl]), np.exp(o["pC"][:, hl])
        acc["peak_ratio"] = np.maximum(acc["peak_ratio"], px / pc)
        acc["peak_price_x"] = np.maximum(acc["peak_price_x"], px)
        wanted = (m.use0 + m.final0 * (cp.demand[t] - 1))[hl]
        unmet = o["shortfall"][:, hl] * wanted[None]
        acc["unmet"] += unmet
        acc["wanted"] += wanted[None]
        acc["peak_phys"] = np.maximum(acc["peak_phys"], o["short_physical"][:, hl])
        acc["min_cover"] = np.fmin(acc["min_cover"], o["cover"][:, hl])
        acc["var"] += unmet / 12.0 * p0[None, :, None]
        acc["stage_price"] = np.maximum(acc["stage_price"], np.exp(o["pX"]))
        use = m.use0[None]
        acc["stage_phys"] += (o["short_physical"] * use).sum(-1) / np.maximum(
            use.sum(-1), 1e-300) / H
        acc["px"] = [*acc.get("px", []), px]
        acc["err"] = max(acc["err"], float(np.abs(
            (o["deliv"].sum(-1) - o["produced"].sum(-1)) / m.world_t).max()))
        if n_p:
            short = o["shortfall"][:n_p][:, hl]
            mpaths["price_x"][:, t] = px[:n_p]
            mpaths["price_ratio"][:, t] = (px / pc)[:n_p]
            for r in ("USA", "JPN", "ROW", "CHN"):
                mpaths[f"shortfall_{r}"][:, t] = short[..., REGIONS.index(r)]
            mpaths["exports_china"][:, t] = np.maximum(o["exports"][:n_p][:, hl], 0.0)
    acc["fired"] = s.fired < NEVER
    acc["paths"] = mpaths
    return acc


def _expand(prep: Prepared, acc: dict, d: dict, S: int, job: JobV2) -> dict:
    """Per-sample columns over every commodity of the run: the simulated ones from
    ``acc``, the others at their baseline; fiscal cost of price floors on the paths."""
    m, full = prep.market, prep.full
    C, H = len(full.commodities), prep.compiled.months
    cols_ix = prep.cols
    base = baseline_arrays(prep, d, S)
    p0 = full.price_usd_t

    def widen(name, fill, shape_tail=()):
        a = np.full((S, C, *shape_tail), fill, dtype=float)
        a[:, cols_ix] = acc[name]
        return a

    for name in ("peak_ratio", "peak_price_x"):
        acc[name] = widen(name, 1.0)
    R = len(REGIONS)
    for name in ("unmet", "var", "peak_phys"):
        acc[name] = widen(name, 0.0, (R,))
    acc["wanted"] = widen("wanted", 1.0, (R,))
    cover = base["cover"].copy()
    cover[:, cols_ix] = acc["min_cover"]
    acc["min_cover"] = cover
    acc["fired"] = widen("fired", 0.0).astype(bool)
    fiscal = np.zeros(S)
    for t in range(H):
        px = np.ones((S, C))
        px[:, cols_ix] = acc["px"][t]
        fl = job.floors[t]
        p_usd = px * p0
        floor = fl[:, 0] * p0
        fiscal += (fl[:, 1] / 12.0 * (np.maximum(0, floor - p_usd) - fl[:, 2]
                                      * np.maximum(0, p_usd - floor)
                                      * (floor > 0))).sum(axis=1)
    nodes = node_map(prep)
    sp = np.ones((S, full.n))
    sp[:, nodes] = acc["stage_price"]
    ph = np.zeros((S, full.n))
    ph[:, nodes] = acc["stage_phys"]
    acc["stage_price"], acc["stage_phys"] = sp, ph
    m = full
    node_stage = np.array([STAGES.index(nd.stage) for nd in m.nodes])
    share = acc["unmet"] / np.maximum(acc["wanted"], 1e-300)
    cols = {"peak_ratio": acc["peak_ratio"], "peak_price_x": acc["peak_price_x"]}
    for r in SHORT_REGIONS:
        i = REGIONS.index(r)
        cols[f"shortfall_{r}"] = share[..., i]
        cols[f"peak_shortfall_physical_{r}"] = acc["peak_phys"][..., i]
    for r in COVER_REGIONS:
        i = REGIONS.index(r)
        cols[f"min_cover_{r}"] = np.nan_to_num(acc["min_cover"][..., i], posinf=0.0)
        cols[f"var_usd_{r}"] = acc["var"][..., i]
    cols["rrg_fired"] = acc["fired"]
    for j, stage in enumerate(STAGES):
        price = np.full((S, C), np.nan)
        phys = np.full((S, C), np.nan)
        at = node_stage == j
        price[:, m.node_commodity[at]] = acc["stage_price"][:, at]
        phys[:, m.node_commodity[at]] = acc["stage_phys"][:, at]
        cols[f"peak_price_x_{stage}"] = price
        cols[f"shortfall_physical_{stage}"] = phys
    quarters = -(-H // 3)
    paths = {}
    ex = base["exports"]
    for name, a in acc["paths"].items():
        n_p = a.shape[0]
        wide = np.full((n_p, H, C), 0.0 if name.startswith("shortfall") else 1.0)
        if name == "exports_china":
            wide[:] = ex[None, None]
        wide[:, :, cols_ix] = a
        q = np.zeros((n_p, quarters, C))
        for j in range(quarters):
            q[:, j] = wide[:, 3 * j:3 * j + 3].mean(axis=1)
        paths[name] = q
    return {"start": acc["start"], "stop": acc["start"] + S, "columns": cols,
            "fiscal": fiscal, "balance_error": acc["err"], "paths": paths}
