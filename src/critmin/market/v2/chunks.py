"""Model v2's sweep chunks (the model contract's prepare, draws and chunk): per-sample
summaries of the monthly paths.

Each chunk runs samples [start, stop) of model v2 (block-seeded draws, so numbers never
depend on chunking or executor) in one compiled loop over blocks of samples (SIMD lanes)
and months (:func:`critmin.market.v2.lanes.month`), reducing the months inside it to the
runner's per-sample columns (the v1 keys, plus new keys for the regions EU and KOR, physical
shortfall and stages), written straight into a float32 column block (one row per stored
column; the columns of commodities no shock reaches share one array per baseline value).
The worker encodes the chunk as Parquet, so the coordinator only writes bytes. Paths of
the first samples are stored as quarterly means (the store's path table is quarterly, as
v1's); China's exports by destination of those samples are stored monthly in the run's
table ``exports_china_dest`` (sample, month, commodity, region, exports_t, relative). The
first ``MONTHLY_SAMPLES`` samples' monthly paths are kept whole in the run's tables
``monthly_paths`` and ``monthly_base`` (:func:`monthly_tables`), so the brief reads its fans
and its portfolio's scenarios instead of simulating them again.

A spin-up (``RunSpec.spin_up_months`` = L > 0; the spec's scenario then starts L months
before the months reported) runs the first L months without reducing or keeping them:
every stored column, path and table covers the reported months only, month 0 being the
first of them. L = 0 is the run without spin-up, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from critmin.data.schemas import STAGES
from critmin.market.contract import Chunk, RunSpec
from critmin.market.posterior import PosteriorInputs
from critmin.market.v2 import lanes
from critmin.market.v2.jit import jit
from critmin.market.v2.kept import MONTHLY_SAMPLES
from critmin.market.v2.kernel import NEVER, params_from
from critmin.market.v2.network import REGIONS
from critmin.market.v2.packed import NetA, ScenA, net_arrays, par_arrays, scen_arrays
from critmin.market.v2.paths import (
    Prepared,
    baseline_arrays,
    baseline_cover,
    prepare,
    restrict_theta,
)
from critmin.market.v2.policy import month_bounds
from critmin.market.v2.priors import draws

SHORT_REGIONS = ("USA", "JPN", "EU", "KOR", "ROW", "CHN")
COVER_REGIONS = ("USA", "JPN")
PATH_NAMES = ("price_x", "price_ratio", "shortfall_USA", "shortfall_JPN", "shortfall_ROW",
              "shortfall_CHN", "exports_china")
PATH_REGIONS = np.array([REGIONS.index(r) for r in ("USA", "JPN", "ROW", "CHN")])


def metric_names() -> list[str]:
    """Per-commodity metrics in stored column order."""
    out = ["peak_ratio", "peak_price_x"]
    for r in SHORT_REGIONS:
        out += [f"shortfall_{r}", f"peak_shortfall_physical_{r}"]
    for r in COVER_REGIONS:
        out += [f"min_cover_{r}", f"var_usd_{r}"]
    out.append("rrg_fired")
    for stage in STAGES:
        out += [f"peak_price_x_{stage}", f"shortfall_physical_{stage}"]
    return out



def _unset() -> np.ndarray:
    """An empty array: a job field that prepare_run fills once the job exists."""
    return np.zeros(0)


@dataclass
class JobV2:
    prep: Prepared
    seed: int
    responses: bool
    floors: np.ndarray  # (H, C, 3): floor / P0, covered t/yr, upside share
    net_a: NetA
    scen_a: ScenA
    # set by prepare_run once the job exists:
    rows: tuple = ()  # row indices of the kernel's outputs in the column block
    fill: np.ndarray = field(default_factory=_unset)  # (n_rows,) baseline of each stored
    # row (NaN: no such stage)
    varying: np.ndarray = field(default_factory=_unset)  # (n_rows,) bool: rows that vary
    # by sample (the others: fill)
    fiscal_rest: np.ndarray = field(default_factory=_unset)  # (H,) fiscal cost of the
    # commodities not simulated
    wanted: np.ndarray = field(default_factory=_unset)  # (C_sim, R) use wanted over the
    # months, headline stage
    posterior: PosteriorInputs | None = None  # the shipped posterior, or None (priors)
    lead: int = 0  # spin-up months run before the reported ones (not reduced or kept)

    @property
    def commodities(self) -> tuple[str, ...]:
        return self.prep.full.commodities


def prepare_run(net, spec: RunSpec) -> JobV2:
    """The contract's ``prepare``: the job of a sweep (three months per quarter of the
    horizon, after the spec's spin-up months), with the posterior the spec names."""
    job = make_job(net, spec.scenario, 3 * spec.horizon_quarters, spec.seed, spec.responses,
                   spec.spin_up_months)
    job.posterior = spec.posterior
    return job


def draws_of(job: JobV2, start: int, stop: int) -> dict:
    """The contract's ``draws``: latent draws of samples [start, stop) from the priors, or
    the shipped posterior's where the job names one."""
    prep = job.prep
    theta = (None if job.posterior is None
             else job.posterior.theta(job.seed, start, stop, prep.latent))
    return draws(prep.latent, job.seed, start, stop, restrict_theta(theta, prep.latent))


def chunk(job: JobV2, start: int, stop: int, n_paths: int) -> Chunk:
    """The contract's ``chunk``: :func:`chunk_v2` as a :class:`Chunk` (China's monthly
    exports by destination of the first samples as the run's table
    ``exports_china_dest``)."""
    r = chunk_v2(job, start, stop, n_paths)
    tables = {} if r["exports_dest"] is None else {"exports_china_dest": r["exports_dest"]}
    tables.update(r["monthly"])
    return Chunk(start=start, stop=stop, table=r["parquet"], balance_error=r["balance_error"],
                 paths=r["paths"], tables=tables)


def make_job(net, scenario, months: int, seed: int, responses: bool,
             lead: int = 0) -> JobV2:
    """Everything a chunk of ``months`` reported months after ``lead`` spin-up months
    needs: the prepared market, price floors per month, the compiled arrays and the
    stored column layout."""
    if lead < 0:
        raise ValueError(f"spin-up months must be at least 0, not {lead}")
    reported, months = months, months + lead
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
    job = JobV2(prep=prep, seed=seed, responses=responses, floors=floors,
                net_a=net_arrays(prep.market, prep.links),
                scen_a=scen_arrays(prep.market, prep.compiled, responses), lead=lead)
    job.rows, job.fill = _layout(prep)
    job.varying = _varying(job.rows, len(job.fill), len(prep.full.commodities))
    job.fiscal_rest = _fiscal_rest(prep, floors)
    mk, cp = prep.market, prep.compiled
    wanted = np.zeros((len(mk.commodities), len(REGIONS)))
    for t in range(lead, lead + reported):
        wanted += (mk.use0 + mk.final0 * (cp.demand[t] - 1))[mk.headline]
    job.wanted = wanted
    return job


def _layout(prep: Prepared) -> tuple[tuple, np.ndarray]:
    """Row of each kernel output in the column block (metric-major, commodities of the
    run in order) and the baseline value of every row."""
    full, m = prep.full, prep.market
    C, R = len(full.commodities), len(REGIONS)
    names = metric_names()
    ix = {n: i * C for i, n in enumerate(names)}
    cols = prep.cols
    reg = [REGIONS[r] for r in range(R)]
    short = np.array([[ix[f"shortfall_{r}"] + c for r in reg] for c in cols])
    phys = np.array([[ix[f"peak_shortfall_physical_{r}"] + c for r in reg] for c in cols])
    cover = np.array([[ix[f"min_cover_{r}"] + c if r in COVER_REGIONS else -1 for r in reg]
                      for c in cols])
    var = np.array([[ix[f"var_usd_{r}"] + c if r in COVER_REGIONS else -1 for r in reg]
                    for c in cols])
    stage_of = [STAGES.index(nd.stage) for nd in m.nodes]
    sp = np.array([ix[f"peak_price_x_{STAGES[stage_of[i]]}"] + cols[m.node_commodity[i]]
                   for i in range(m.n)])
    sph = np.array([ix[f"shortfall_physical_{STAGES[stage_of[i]]}"] + cols[m.node_commodity[i]]
                    for i in range(m.n)])
    rows = (ix["peak_ratio"] + cols, ix["peak_price_x"] + cols, short, phys, cover, var,
            ix["rrg_fired"] + cols, sp, sph)
    fill = np.zeros(len(names) * C)
    for n in ("peak_ratio", "peak_price_x"):
        fill[ix[n]:ix[n] + C] = 1.0
    has = np.zeros((len(STAGES), C), dtype=bool)
    for nd, k in zip(full.nodes, full.node_commodity, strict=True):
        has[STAGES.index(nd.stage), k] = True
    for j, stage in enumerate(STAGES):
        fill[ix[f"peak_price_x_{stage}"]:][:C] = np.where(has[j], 1.0, np.nan)
        fill[ix[f"shortfall_physical_{stage}"]:][:C] = np.where(has[j], 0.0, np.nan)
    return tuple(np.ascontiguousarray(r, dtype=np.int64) for r in rows), fill


def _varying(rows: tuple, n_rows: int, C: int) -> np.ndarray:
    """Rows the kernel writes, and every commodity's baseline cover rows (drawn per
    sample); every other row of a chunk is its baseline, the same for all samples."""
    out = np.zeros(n_rows, dtype=bool)
    for r in rows:
        out[r[r >= 0]] = True
    names = metric_names()
    for r in COVER_REGIONS:
        i0 = names.index(f"min_cover_{r}") * C
        out[i0:i0 + C] = True
    return out


def _fiscal_rest(prep: Prepared, floors: np.ndarray) -> np.ndarray:
    """(H,) fiscal cost per month of price floors on commodities not simulated (at their
    baseline price)."""
    p0 = prep.full.price_usd_t
    rest = np.ones(len(p0), dtype=bool)
    rest[prep.cols] = False
    fl = floors[:, rest]
    floor = fl[:, :, 0] * p0[rest]
    return (fl[:, :, 1] / 12.0 * (np.maximum(0, floor - p0[rest]) - fl[:, :, 2]
                                  * np.maximum(0, p0[rest] - floor) * (floor > 0))).sum(-1)


def chunk_v2(job: JobV2, start: int, stop: int, n_paths: int) -> dict:
    """Run samples [start, stop) and reduce them (see the module notes): the stored
    columns as an encoded Parquet file (``parquet``), the first samples' quarterly paths
    and the balance error. The worker encodes its chunk: a chunk's ~1,200 float32 columns
    travel to the coordinator as ~17 MB of Parquet instead of ~79 MB of pickled table, and
    the coordinator only writes the bytes."""
    prep = job.prep
    d = draws_of(job, start, stop)
    k = params_from(d, prep.market)
    S, H = stop - start, prep.compiled.months - job.lead  # H: the months reported
    n_p = max(0, min(n_paths - start, S))
    full = prep.full
    C, Cs = len(full.commodities), len(prep.market.commodities)
    block = np.empty((len(job.fill), S), dtype=np.float32)  # rows not varying: not read
    names = metric_names()
    cover = np.nan_to_num(baseline_cover(prep, d, S, COVER_REGIONS))  # (S, C, 2)
    for j, r in enumerate(COVER_REGIONS):  # every commodity's (simulated rows follow)
        i0 = names.index(f"min_cover_{r}") * C
        block[i0:i0 + C] = cover[:, :, j].T
    paths = np.zeros((len(PATH_NAMES), n_p, H, Cs))
    dest = np.zeros((n_p, H, Cs, len(REGIONS)))
    n_m, N, R = min(n_p, max(0, MONTHLY_SAMPLES - start)), prep.market.n, len(REGIONS)
    f4 = np.float32
    mon = (np.zeros((n_m, H, N), f4), np.zeros((n_m, H, N), f4),
           np.zeros((n_m, H, N, R), f4), np.zeros((n_m, H, Cs, R), f4),
           np.zeros((n_m, H, Cs, R), f4))
    fiscal = np.zeros(S)
    B = lanes.LANES
    K = job.scen_a.k_kind.shape[0]
    st, out = lanes.new_state(N, R, Cs, B, K), lanes.new_out(N, R, B)
    wk, pl = lanes.new_work(N, R, Cs, B), lanes.new_par(N, R, B)
    e = np.empty
    acc = (e((Cs, B)), e((Cs, B)), e((Cs, R, B)), e((Cs, R, B)), e((Cs, R, B)),
           e((Cs, R, B)), e((N, B)), e((N, B)), e(B), e(B), e(1))
    run_chunk(job.net_a, job.scen_a, par_arrays(k), pl, st, out, wk, job.lead, H,
              prep.market.price_usd_t,
              job.floors[:, prep.cols], job.fiscal_rest, job.wanted, *job.rows, block, fiscal,
              paths, dest, mon, acc)
    err = float(acc[-1][0])
    base = baseline_arrays(prep, d, S) if n_p else {}
    return {"start": start, "stop": stop,
            "parquet": _encode(_table(job, block, fiscal, start, names)),
            "paths": _quarterly(job, paths, base) if n_p else {},
            "exports_dest": _dest_table(job, dest, start) if n_p else None,
            "monthly": monthly_tables(job, mon, paths[6], dest, base, start) if n_m else {},
            "balance_error": err}


def monthly_tables(job: JobV2, mon: tuple, exports: np.ndarray, dest: np.ndarray,
                   base: dict, start: int) -> dict:
    """The first samples' monthly paths as two tables. ``monthly_paths``: one row per
    (sample, month, simulated commodity): ``price_x_STAGE``, ``price_china_STAGE``
    (relative to the baseline; NaN where the commodity has no such stage), ``physical_STAGE_R``
    (share of the stage's use at the going price region R could not get), and at the
    headline stage ``shortfall_R``, ``cover_R`` (days of use), ``exports`` and
    ``exports_R`` (China's exports, t/yr, to R). ``monthly_base``: one row per (sample,
    commodity of the run) with the baseline the other commodities stay at: ``cover_R``,
    ``exports``, ``exports_R``, ``headline`` (stage) and ``has_STAGE``."""
    import pandas as pd

    prep = job.prep
    m, full = prep.market, prep.full
    px, pc, phys, short, cover = mon
    n, H, Cs = short.shape[:3]
    stage = np.array([STAGES.index(nd.stage) for nd in m.nodes])

    def by_stage(a):  # (n, H, N, ...) -> (n, H, Cs, stage, ...), NaN where no such stage
        out = np.full((n, H, Cs, len(STAGES), *a.shape[3:]), np.nan, np.float32)
        out[:, :, m.node_commodity, stage] = a
        return out

    ix = np.indices((n, H, Cs)).reshape(3, -1)
    cols = {"sample": start + ix[0], "month": ix[1],
            "commodity": _names(m.commodities, ix[2])}
    sx, sc, sp = by_stage(px), by_stage(pc), by_stage(phys)
    for j, st in enumerate(STAGES):
        cols[f"price_x_{st}"] = sx[..., j].reshape(-1)
        cols[f"price_china_{st}"] = sc[..., j].reshape(-1)
        for r, reg in enumerate(REGIONS):
            cols[f"physical_{st}_{reg}"] = sp[..., j, r].reshape(-1)
    cols["exports"] = exports[:n].reshape(-1)
    for r, reg in enumerate(REGIONS):
        cols[f"shortfall_{reg}"] = short[..., r].reshape(-1)
        cols[f"cover_{reg}"] = cover[..., r].reshape(-1)
        cols[f"exports_{reg}"] = dest[:n, ..., r].reshape(-1)
    C = len(full.commodities)
    jx = np.indices((n, C)).reshape(2, -1)
    has = np.zeros((C, len(STAGES)), dtype=bool)
    for nd, k in zip(full.nodes, full.node_commodity, strict=True):
        has[k, STAGES.index(nd.stage)] = True
    rows = {"sample": start + jx[0], "commodity": _names(full.commodities, jx[1]),
            "headline": _names([full.nodes[i].stage for i in full.headline], jx[1]),
            "exports": base["exports"][jx[1]]}
    for r, reg in enumerate(REGIONS):
        rows[f"cover_{reg}"] = base["cover"][:n, :, r].reshape(-1)
        rows[f"exports_{reg}"] = base["exports_dest"][jx[1], r]
    for j, st in enumerate(STAGES):
        rows[f"has_{st}"] = has[jx[1], j]
    return {"monthly_paths": pd.DataFrame(cols), "monthly_base": pd.DataFrame(rows)}


def _dest_table(job: JobV2, dest: np.ndarray, start: int):
    """China's exports by destination region of the first samples, monthly, at each
    simulated commodity's headline stage: t/yr and relative to the baseline flow (NaN
    where the baseline is 0)."""
    import pandas as pd

    m = job.prep.market
    idx = np.indices(dest.shape).reshape(4, -1)
    base = m.dest0[m.headline][idx[2], idx[3]]
    v = dest.reshape(-1)
    return pd.DataFrame({
        "sample": start + idx[0], "month": idx[1],
        "commodity": _names(m.commodities, idx[2]),
        "region": _names(REGIONS, idx[3]), "exports_t": v,
        "relative": np.where(base > 0, v / np.where(base > 0, base, 1.0), np.nan)})


def _names(names, codes: np.ndarray):
    """``names[codes]`` as a pandas string column, built from Arrow's dictionary (15x
    faster than from a NumPy array of str: 1.5 s -> 0.1 s for the first chunk's tables)."""
    import pandas as pd

    d = pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int32()), pa.array(names))
    return pd.array(d.cast(pa.string()), dtype="str")


def _table(job: JobV2, block, fiscal, start, names) -> pa.Table:
    """Stored columns: sample, fiscal_cost_usd, METRIC|COMMODITY (rrg_fired bool); rows
    that do not vary share one array per baseline value."""
    S = block.shape[1]
    arrays = [pa.array(np.arange(start, start + S)), pa.array(fiscal)]
    cols = ["sample", "fiscal_cost_usd"]
    commodities = job.prep.full.commodities
    C = len(commodities)
    same = {}
    for i, name in enumerate(names):
        flag = name == "rrg_fired"
        for j, c in enumerate(commodities):
            row = i * C + j
            if job.varying[row]:
                v = block[row]
                arrays.append(pa.array(v > 0.5) if flag else pa.array(v))
            else:
                key = (flag, float(job.fill[row]) if flag else job.fill[row].tobytes())
                if key not in same:
                    v = np.full(S, job.fill[row], dtype=np.float32)
                    same[key] = pa.array(v > 0.5) if flag else pa.array(v)
                arrays.append(same[key])
            cols.append(f"{name}|{c}")
    return pa.Table.from_arrays(arrays, names=cols)


def _encode(table: pa.Table) -> pa.Buffer:
    """A chunk's table as a Parquet file in memory: plain pages (dictionary encoding of the
    ~1,200 float columns took 2.4x the time), Snappy (the constant columns of commodities
    no shock reaches shrink to almost nothing)."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, use_dictionary=False)
    return sink.getvalue()


def _quarterly(job: JobV2, paths: np.ndarray, base: dict) -> dict:
    """Paths of the first samples over every commodity, quarterly means."""
    prep = job.prep
    C, H = len(prep.full.commodities), prep.compiled.months - job.lead
    quarters = -(-H // 3)
    out = {}
    for name, a in zip(PATH_NAMES, paths, strict=True):
        n_p = a.shape[0]
        wide = np.full((n_p, H, C), 0.0 if name.startswith("shortfall") else 1.0)
        if name == "exports_china":
            wide[:] = base["exports"][None, None]
        wide[:, :, prep.cols] = a
        q = np.zeros((n_p, quarters, C))
        for j in range(quarters):
            q[:, j] = wide[:, 3 * j:3 * j + 3].mean(axis=1)
        out[name] = q
    return out


@jit
def run_chunk(net, sc, par, pl, st, out, wk, lead, H, p0, floors, fiscal_rest, wanted,
              r_ratio, r_px, r_short, r_phys, r_cover, r_var, r_fired, r_sp, r_sph, block,
              fiscal, paths, dest, mon, acc):  # pragma: no cover - compiled
    """Every sample of the chunk through ``lead`` spin-up months (run, not reduced) and
    ``H`` reported months, a block of lanes at a time, the reported months reduced to the
    stored columns in ``block`` and ``fiscal``; paths of the first samples (``mon``: their
    monthly prices, physical shortfall per node, shortfall and cover at the headline stage)
    over the reported months; the largest relative mass-balance error of the reported
    months in acc[-1][0] (acc: per-lane scratch)."""
    S = block.shape[1]
    B = pl.adjust.shape[0]
    err_all = 0.0
    for s0 in range(0, S, B):
        n = min(B, S - s0)
        lanes.load_par(par, s0, n, pl)
        lanes.init(net, sc, pl, st)
        _reset(acc)
        for t in range(lead):
            lanes.month(net, sc, pl, t, st, out, wk)
        for tr in range(H):
            t = lead + tr
            lanes.month(net, sc, pl, t, st, out, wk)
            _reduce_month(net, sc, st, out, t, tr, H, p0, floors, fiscal_rest, s0, n,
                          paths, dest, acc)
            _keep_month(st, out, net.hl, tr, s0, n, mon)
        _store(st, acc, wanted, r_ratio, r_px, r_short, r_phys, r_cover, r_var, r_fired,
               r_sp, r_sph, block, fiscal, s0, n)
        err = acc[9]
        for ln in range(n):
            err_all = max(err_all, err[ln])
    acc[10][0] = err_all


@jit
def _reset(acc):  # pragma: no cover - compiled
    pk_ratio, pk_px, unmet, pk_phys, mcover, var, sp, sph, fc, err, _ = acc
    pk_ratio[:] = 1.0
    pk_px[:] = 0.0  # log price until the end of the months
    unmet[:] = 0.0
    pk_phys[:] = 0.0
    mcover[:] = np.inf
    var[:] = 0.0
    sp[:] = 0.0  # log price until the end of the months
    sph[:] = 0.0
    fc[:] = 0.0
    err[:] = 0.0


@jit
def _reduce_month(net, sc, st, out, t, tr, H, p0, floors, fiscal_rest, s0, n, paths, dest,
                  acc):  # pragma: no cover - compiled
    """Fold month ``t`` of the run (``tr`` of the ``H`` reported months) of every lane into
    the per-sample accumulators ``acc``."""
    pk_ratio, pk_px, unmet, pk_phys, mcover, var, sp, sph, fc, err, _ = acc
    C, R, B = unmet.shape
    N = net.W.shape[0]
    n_p = paths.shape[1]
    exp = lanes.lane_exp
    for ln in range(B):
        fc[ln] += fiscal_rest[t]
    for k in range(C):
        i = net.hl[k]
        pk = p0[k]
        for ln in range(B):
            lx, lc = st.pX[i, ln] + st.pe[i, ln], st.pC[i, ln]  # premium included
            split = exp(lx - lc) if lx != lc else 1.0  # 1 where the segments agree
            pk_ratio[k, ln] = max(pk_ratio[k, ln], split)
            pk_px[k, ln] = max(pk_px[k, ln], lx)  # exp is monotone: exp of the largest
        pk12 = pk / 12.0
        for r in range(R):
            wt = sc.wanted[t, i, r]
            for ln in range(B):
                u = out.shortfall[i, r, ln] * wt
                unmet[k, r, ln] += u
                pk_phys[k, r, ln] = max(pk_phys[k, r, ln], 1.0 - st.ratio[i, r, ln])
                cv = out.cover[i, r, ln]
                mcover[k, r, ln] = cv if cv < mcover[k, r, ln] else mcover[k, r, ln]
                var[k, r, ln] += u * pk12
        fl0, fl1, fl2 = floors[t, k, 0], floors[t, k, 1], floors[t, k, 2]
        if fl1 != 0.0:
            floor = fl0 * pk
            up = 1.0 if floor > 0 else 0.0
            for ln in range(B):
                p_usd = exp(st.pX[i, ln] + st.pe[i, ln]) * pk
                fc[ln] += fl1 / 12.0 * (max(0.0, floor - p_usd)
                                       - fl2 * max(0.0, p_usd - floor) * up)
        for ln in range(min(n, n_p - s0)):
            s = s0 + ln
            px = np.exp(st.pX[i, ln] + st.pe[i, ln])
            paths[0, s, tr, k] = px
            paths[1, s, tr, k] = px / np.exp(st.pC[i, ln])
            for q in range(4):
                paths[2 + q, s, tr, k] = out.shortfall[i, PATH_REGIONS[q], ln]
            paths[6, s, tr, k] = max(out.n[i, ln], 0.0)
            for r in range(R):
                dest[s, tr, k, r] = out.exd[i, r, ln]
    for i in range(N):
        i_use = 1.0 / (max(net.use_sum[i], 1e-300) * H)
        i_w = 1.0 / net.W[i]
        for ln in range(B):
            sp[i, ln] = max(sp[i, ln], st.pX[i, ln] + st.pe[i, ln])
            ph = 0.0
            d_sum = 0.0
            q_sum = 0.0
            for r in range(R):
                ph += (1.0 - st.ratio[i, r, ln]) * net.use0[i, r]
                d_sum += out.deliv[i, r, ln]
                q_sum += out.Q[i, r, ln]
            sph[i, ln] += ph * i_use
            err[ln] = max(err[ln], abs(d_sum - q_sum) * i_w)


@jit
def _keep_month(st, out, hl, t, s0, n, mon):  # pragma: no cover - compiled
    """Month ``t`` of the lanes among the first samples into ``mon`` (see run_chunk)."""
    px, pc, phys, short, cover = mon
    N, R = phys.shape[2], phys.shape[3]
    for ln in range(min(n, px.shape[0] - s0)):
        s = s0 + ln
        for i in range(N):
            px[s, t, i] = np.exp(st.pX[i, ln] + st.pe[i, ln])
            pc[s, t, i] = np.exp(st.pC[i, ln])
            for r in range(R):
                phys[s, t, i, r] = 1.0 - st.ratio[i, r, ln]
        for k in range(hl.shape[0]):
            for r in range(R):
                short[s, t, k, r] = out.shortfall[hl[k], r, ln]
                cover[s, t, k, r] = out.cover[hl[k], r, ln]


@jit
def _store(st, acc, wanted, r_ratio, r_px, r_short, r_phys, r_cover, r_var, r_fired, r_sp,
           r_sph, block, fiscal, s0, n):  # pragma: no cover - compiled
    """The first ``n`` lanes' reductions into columns s0.. of ``block`` and ``fiscal``."""
    pk_ratio, pk_px, unmet, pk_phys, mcover, var, sp, sph, fc, _, _ = acc
    C, R, _ = unmet.shape
    N = sp.shape[0]
    for ln in range(n):
        s = s0 + ln
        fiscal[s] = fc[ln]
        for k in range(C):
            block[r_ratio[k], s] = pk_ratio[k, ln]
            block[r_px[k], s] = max(1.0, np.exp(pk_px[k, ln]))
            block[r_fired[k], s] = 1.0 if st.fired[k, ln] < NEVER else 0.0
            for r in range(R):
                block[r_short[k, r], s] = unmet[k, r, ln] / max(wanted[k, r], 1e-300)
                block[r_phys[k, r], s] = pk_phys[k, r, ln]
                if r_cover[k, r] >= 0:
                    cv = mcover[k, r, ln]
                    block[r_cover[k, r], s] = 0.0 if (np.isnan(cv) or np.isinf(cv)) else cv
                    block[r_var[k, r], s] = var[k, r, ln]
        for i in range(N):
            block[r_sp[i], s] = max(1.0, np.exp(sp[i, ln]))
            block[r_sph[i], s] = sph[i, ln]
