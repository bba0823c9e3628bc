"""Economic impact of a mineral disruption: input-output maths (docs/impact.md).

Units: USD per year for baseline flows, USD per month for losses; shares 0-1.

For one importing country and sample, each mapped (commodity node n, using industry j) with
dependence share ``d`` (share of j's output made with n and without a substitute inside a
year) gives, per month t (the USGS partial-equilibrium logic, OFR 2025-1047: the market's
equilibrium quantity cut binds on the using industries, which share what is left so as to
lose the least value added):

- quantity cut ``s_n(t)``: the market model's total shortfall (use wanted at the
  pre-scenario price and not bought: after stock releases, substitution and thrifting);
- allocation: the node's links sorted by value added per USD of output ``v_j`` (lowest
  first); link l holds the share ``w_l`` of the node's use (its share of the node's
  dependent output) and gives up ``c_l = clip(s - W_l, 0, w_l)``, ``W_l`` the shares of
  the links before it;
- output lost ``dx_j = min(x_j, sum_l k_l U_n c_l / w_l) / 12`` with ``k_l = d x_j /
  U_n^USA`` (dependent output per USD of the commodity's final use, U.S. structure) and
  ``U_n`` the country's final use of n (USD/yr);
- supply-side (Ghosh) propagation, damped: ``dx_total = dx (I - rho B)^-1`` with
  allocation coefficients ``B_ij = Z_ij / x_i`` and ``rho`` the share of a lost input a
  buyer cannot replace from other sellers or its stocks within the month (rho = 1 is the
  plain Ghosh inverse ``G = (I - B)^-1``, an upper bound); value added lost
  ``dx_total * v`` with ``v_j = VA_j / x_j``;
- price cost to users ``w_l (p_n - 1) (1 - s_n) U_n / 12`` on what they still buy;
- pass-through: a share ``tau`` of each industry's added cost moves on to its buyers in
  proportion to its sales (allocation coefficients ``B``), round after round: incidence
  ``c (1 - tau) (I - tau B)^-1`` on industries, the rest on final buyers (households,
  government, exports); the total is unchanged;
- price gain to domestic producers ``(p_n - 1) P_n / 12`` (P_n: domestic output, USD/yr).

GDP loss = value added lost + price cost - producer gain (negative = the country gains).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

DEPENDENCE = {"high": 0.25, "medium": 0.05, "low": 0.01}
"""Dependence tier -> share of the using industry's output that needs the input and has no
substitute within a year (critmin estimate; docs/impact.md)."""

UNREPLACED = 0.5
"""Share of a lost input a downstream buyer cannot replace within the month (critmin
estimate; 1 = plain Ghosh)."""
PASS_THROUGH = 0.5
"""Share of an added input cost an industry passes on to its buyers (critmin estimate)."""

MAP_COLUMNS = ("commodity", "stage", "role", "industry", "dependence", "use")
BEA_SOURCE = "bea_io_2017_detail"
MIC_SOURCE = "mic_io_2015_basic"
JPY_PER_USD_2015 = 121.04
"""Annual average 2015 (Federal Reserve G.5A, AEXJPUS; sources ``fred_aexjpus_2015``)."""


def io_dir() -> Path:
    """Directory of the shipped input-output tables."""
    return Path(str(resources.files("critmin.data") / "io_tables"))


@dataclass(frozen=True)
class IOTable:
    """One country's inter-industry structure (industry x industry, USD per year)."""

    industries: tuple[str, ...]
    names: tuple[str, ...]
    output: np.ndarray  # (I,) gross output, USD/yr
    value_added: np.ndarray  # (I,) USD/yr
    ghosh: np.ndarray  # (I, I) Ghosh inverse (I - B)^-1
    source: str
    alloc: np.ndarray | None = None  # (I, I) allocation coefficients B (sales shares)

    def supply_inverse(self, rho: float = UNREPLACED) -> np.ndarray:
        """(I, I) damped Ghosh inverse ``(I - rho B)^-1``."""
        return np.linalg.inv(np.eye(len(self.industries)) - rho * self._b())

    def incidence(self, tau: float = PASS_THROUGH) -> np.ndarray:
        """(I, I) where a unit of added cost in row industry ends up: ``(1 - tau)
        (I - tau B)^-1`` (row sums <= 1; the rest reaches final buyers)."""
        return (1 - tau) * np.linalg.inv(np.eye(len(self.industries)) - tau * self._b())

    def _b(self) -> np.ndarray:
        if self.alloc is None:  # callers ask only where the table has them
            raise ValueError(f"{self.source}: no allocation coefficients B in this table")
        return self.alloc

    @property
    def va_ratio(self) -> np.ndarray:
        """(I,) value added per USD of output."""
        return np.divide(self.value_added, self.output, out=np.zeros_like(self.output),
                         where=self.output > 0)

    def index(self, code: str) -> int:
        return self.industries.index(code)


def allocation(z: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Allocation coefficients ``B_ij = z_ij / x_i`` (share of i's output sold to j)."""
    x = np.asarray(x, float)
    return np.divide(z, x[:, None], out=np.zeros_like(z, dtype=float), where=x[:, None] > 0)


def ghosh_inverse(z: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Ghosh inverse ``(I - B)^-1`` with allocation coefficients ``B_ij = z_ij / x_i``."""
    return np.linalg.inv(np.eye(len(x)) - allocation(z, x))


def io_from_flows(codes, names, z: np.ndarray, x: np.ndarray, va: np.ndarray,
                  source: str) -> IOTable:
    """IOTable from industry x industry flows ``z``, outputs ``x`` and value added ``va``."""
    return IOTable(tuple(codes), tuple(names), np.asarray(x, float), np.asarray(va, float),
                   ghosh_inverse(z, x), source, allocation(z, x))


def industry_flows(use: pd.DataFrame, make: pd.DataFrame, industries: list[str],
                   commodities: list[str] | None = None, col: str = "musd") -> np.ndarray:
    """Industry x industry flows ``Z = D U`` (industry-technology assumption): ``D`` the
    make table divided by each commodity's total output (market shares), ``U`` the
    commodity x industry intermediate use (long tables with columns commodity, industry and
    ``col``); ``commodities`` default to the industry codes (BEA's square tables)."""
    ix = {c: i for i, c in enumerate(industries)}
    cx = ix if commodities is None else {c: i for i, c in enumerate(commodities)}
    n, m = len(industries), len(cx)
    mk = np.zeros((n, m))
    for r in make.itertuples(index=False):
        if r.industry in ix and r.commodity in cx:
            mk[ix[r.industry], cx[r.commodity]] = getattr(r, col)
    u = np.zeros((m, n))
    for r in use.itertuples(index=False):
        if r.commodity in cx and r.industry in ix:
            u[cx[r.commodity], ix[r.industry]] = getattr(r, col)
    q = mk.sum(axis=0)
    d = np.divide(mk, q[None, :], out=np.zeros_like(mk), where=q[None, :] > 0)
    return d @ u


@functools.lru_cache(maxsize=1)
def io_table_usa() -> IOTable:
    """BEA 2017 benchmark, detail level (402 industries), before redefinitions."""
    d = io_dir()
    ind = pd.read_csv(d / "usa_bea2017_industries.csv", dtype={"industry": str})
    use = pd.read_csv(d / "usa_bea2017_use.csv", dtype={"commodity": str, "industry": str})
    make = pd.read_csv(d / "usa_bea2017_make.csv", dtype={"commodity": str, "industry": str})
    codes = list(ind["industry"])
    z = industry_flows(use, make, codes) * 1e6
    x = ind["output_musd"].to_numpy(float) * 1e6
    return io_from_flows(codes, ind["name"], z, x,
                         ind["value_added_musd"].to_numpy(float) * 1e6, BEA_SOURCE)


@functools.lru_cache(maxsize=1)
def io_table_jpn() -> IOTable:
    """MIC 2015 basic tables (391 sectors; 509 goods through the V table), in USD at the
    2015 average rate ``JPY_PER_USD_2015``. The table is competitive-import: each good's
    intermediate use is scaled by its domestic share ``1 - M / (X - E + M)`` (imports M,
    domestic output X, exports E) so that Z holds domestic flows only."""
    d = io_dir()
    ind = pd.read_csv(d / "jpn_mic2015_industries.csv", dtype={"industry": str})
    use = pd.read_csv(d / "jpn_mic2015_use.csv", dtype={"commodity": str, "industry": str})
    gd = pd.read_csv(d / "jpn_mic2015_goods.csv", dtype={"commodity": str})
    demand = gd["output_byen"] - gd["exports_byen"] + gd["imports_byen"]
    m = np.divide(gd["imports_byen"], demand, out=np.zeros(len(gd)), where=demand > 0)
    dom = dict(zip(gd["commodity"], np.clip(1 - m, 0, 1), strict=True))
    use = use.assign(byen=use["byen"] * use["commodity"].map(dom).fillna(1.0))
    make = pd.read_csv(d / "jpn_mic2015_make.csv", dtype={"commodity": str, "industry": str})
    codes = list(ind["industry"])
    goods = sorted(set(use["commodity"]) | set(make["commodity"]))
    usd = 1e9 / JPY_PER_USD_2015
    z = industry_flows(use, make, codes, goods, col="byen") * usd
    en = pd.read_csv(d / "jpn_mic2015_concordance.csv", dtype=str)
    en = dict(zip(en["mic"], en["note"].str.split(" -> ").str[-1], strict=True))
    names = [f"{en[c]} ({n})" if c in en else n for c, n in zip(codes, ind["name"],
                                                                  strict=True)]
    return io_from_flows(codes, names, z, ind["output_byen"].to_numpy(float) * usd,
                         ind["value_added_byen"].to_numpy(float) * usd, MIC_SOURCE)


def jpn_concordance() -> dict[str, list[str]]:
    """BEA industry code -> MIC 2015 sector codes (``jpn_mic2015_concordance.csv``)."""
    t = pd.read_csv(io_dir() / "jpn_mic2015_concordance.csv", dtype=str)
    return {b: list(g["mic"]) for b, g in t.groupby("bea", sort=False)}


def read_map(path: Path | None = None) -> pd.DataFrame:
    """The commodity/stage -> using industry table (``impact_map.csv``), checked."""
    path = path or io_dir() / "impact_map.csv"
    t = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in MAP_COLUMNS if c not in t.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {', '.join(missing)}; expected "
                         f"{', '.join(MAP_COLUMNS)}")
    bad = t[~t["dependence"].isin(list(DEPENDENCE))]
    if len(bad):
        r = bad.index[0]
        raise ValueError(f"{path}: row {r + 2}: field dependence: value "
                         f"{bad['dependence'].iloc[0]!r}; use one of {', '.join(DEPENDENCE)}")
    t["share"] = t["dependence"].map(DEPENDENCE).astype(float)
    return t


@dataclass(frozen=True)
class Shock:
    """Market-model results for N commodity nodes, one country: arrays (S, H, N)."""

    s_total: np.ndarray  # quantity cut: total shortfall share (physical + given up)
    price: np.ndarray  # price relative to baseline
    use_usd: np.ndarray  # (N,) country's final use at baseline, USD/yr
    prod_usd: np.ndarray  # (N,) country's output at baseline, USD/yr


@dataclass(frozen=True)
class Links:
    """Mapped (node, industry) pairs: node index, industry index, dependence share, the
    industry's dependent output per USD of the node's use (k), and the share w of the
    node's price cost it bears; ``producer`` (N,) industry index of each node's domestic
    producers (-1: none)."""

    node: np.ndarray
    industry: np.ndarray
    k: np.ndarray
    w: np.ndarray
    producer: np.ndarray


def make_links(io: IOTable, node_ix: np.ndarray, ind_ix: np.ndarray, share: np.ndarray,
               use_ref: np.ndarray, producer: np.ndarray) -> Links:
    """Links from mapping rows: ``use_ref`` (N,) the reference country's use of each node
    (USD/yr), whose industry outputs define ``k = share * x_j / use_ref``."""
    dep = share * io.output[ind_ix]
    ref = use_ref[node_ix]
    k = np.divide(dep, ref, out=np.zeros_like(dep), where=ref > 0)
    tot = np.bincount(node_ix, weights=dep, minlength=len(use_ref))
    w = np.divide(dep, tot[node_ix], out=np.zeros_like(dep), where=tot[node_ix] > 0)
    return Links(node_ix, ind_ix, k, w, producer)


@dataclass(frozen=True)
class Loss:
    """Value added lost (USD per month), arrays (S, H, I): quantity channel direct and
    total (after Ghosh propagation), price cost borne by each industry after pass-through;
    producer gain (S, H, I); ``price_final`` (S, H) price cost passed on to final buyers."""

    direct: np.ndarray
    physical: np.ndarray
    price: np.ndarray
    gain: np.ndarray
    price_final: np.ndarray

    @property
    def total(self) -> np.ndarray:
        """(S, H, I) GDP loss by industry and month, USD (final buyers' share apart)."""
        return self.physical + self.price - self.gain

    @property
    def gdp(self) -> np.ndarray:
        """(S, H) GDP loss per month, USD: industries plus final buyers."""
        return self.total.sum(axis=2) + self.price_final



def _add_at_last(out: np.ndarray, index: np.ndarray, values: np.ndarray) -> None:
    """``out[..., index] += values`` on the last axis, repeated indices adding up."""
    np.add.at(out, (slice(None), slice(None), index), values)  # type: ignore[arg-type]

def gdp_loss(io: IOTable, links: Links, shock: Shock) -> Loss:
    """Monthly value-added loss by industry for every sample (module equations)."""
    S, H, _ = shock.s_total.shape
    n_ind = len(io.industries)
    L = links
    use = shock.use_usd[L.node]
    cut = np.clip(np.nan_to_num(shock.s_total), 0, 1)
    up = np.maximum(np.nan_to_num(shock.price, nan=1.0) - 1.0, 0.0)
    per = L.k * use  # dependent output of each link at a full cut, USD/yr
    before = _shares_before(L.node, L.w, io.va_ratio[L.industry])
    given = np.clip(cut[:, :, L.node] - before, 0, L.w)
    dx_links = per * np.divide(given, L.w, out=np.zeros_like(given), where=L.w > 0) / 12.0
    dx = np.zeros((S, H, n_ind))
    _add_at_last(dx, L.industry, dx_links)
    dx = np.minimum(dx, io.output / 12.0)  # an industry cannot lose more than its output
    v = io.va_ratio
    direct = dx * v
    physical = (dx @ (io.supply_inverse() if io.alloc is not None else io.ghosh)) * v
    cost = L.w * use * up[:, :, L.node] * (1 - cut[:, :, L.node])
    users = np.zeros((S, H, n_ind))
    _add_at_last(users, L.industry, cost / 12.0)
    price = users @ io.incidence() if io.alloc is not None else users
    gain = np.zeros((S, H, n_ind))
    has = L.producer >= 0
    if has.any():
        g = up[:, :, has] * shock.prod_usd[has] / 12.0
        _add_at_last(gain, L.producer[has], g)
    return Loss(direct, physical, price, gain, users.sum(axis=2) - price.sum(axis=2))


def _shares_before(node: np.ndarray, w: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(L,) for each link, the use shares of the same node's links with lower value added
    per USD of output (ties: mapping order): what is cut before it."""
    out = np.zeros(len(node))
    for n in np.unique(node):
        ix = np.flatnonzero(node == n)
        order = ix[np.argsort(v[ix], kind="stable")]
        out[order] = np.concatenate([[0.0], np.cumsum(w[order])[:-1]])
    return out


def quantiles(a: np.ndarray, qs=(0.05, 0.5, 0.95)) -> dict[str, float]:
    """P5/P50/P95 of a sample array, keyed ``p5``, ``p50``, ``p95``."""
    vals = np.quantile(np.asarray(a, float), qs)
    return {f"p{round(q * 100)}": float(v) for q, v in zip(qs, vals, strict=True)}
