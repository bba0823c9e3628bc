"""Baseline of the multi-stage market (model v2): nodes, regions, producers, uses, links.

A *node* is one (commodity, stage) pair with producer data (``production`` /
``stage_shares``). Every node carries the commodity's world tonnage ``W`` (contained content,
t/yr of the commodity's unit: stages of one commodity are assumed to pass the same contained
tonnage, yield 1) split over the six regions USA, JPN, EU, KOR, CHN, ROW:

- producers: the node's producer countries aggregated to regions (``OTHER`` -> ROW);
  where the latest year names only China and the rest (``CHN`` + ``OTHER``, e.g. magnets),
  a country's latest published tonnage of an earlier year (Japan's magnet output, JSNM)
  is taken out of ``OTHER`` as that country's share of today's world total (estimated);
- users: for a node with a downstream stage of the same commodity, that stage's producers
  (processors buy their input where they are); for a commodity's last stage, the plants
  of derivative products that use it (bill of materials, share ``beta``) and final users
  for the rest. Final users: China consumes its output less its net exports (export share
  sourced for magnets, else the midpoint of the prior U(0.2, 0.6)); the ex-China rest is
  split by importer shares of world import value (CEPII BACI, latest year, imports of China
  excluded) of the commodity or its parent, else by the mean of those shares over the
  commodities with trade data (estimated).

China's exports by destination follow China's export value by importer region (BACI) where
the commodity has trade data, else the ex-China final-use shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.data.benchmark import benchmark_usd_t
from critmin.data.schemas import STAGES
from critmin.market.baseline import CHINA_EXPORT_SHARE, EXPORT_SHARE_PRIOR
from critmin.model.network import Network

REGIONS = ("USA", "JPN", "EU", "KOR", "CHN", "ROW")
R_CHN = REGIONS.index("CHN")
EX_CHINA = np.array([r != "CHN" for r in REGIONS])
HOME = np.array([r not in ("CHN", "ROW") for r in REGIONS])
"""Ex-China regions whose plants can serve their own buyers first (``home_preference``);
ROW is many countries, so it has no home."""
EU27 = frozenset(("AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU",
                 "GRC", "HUN", "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT",
                 "ROU", "SVK", "SVN", "ESP", "SWE"))

# metal content of the oxide a rare-earth commodity is counted in (t metal per t oxide),
# from standard atomic weights: Nd2O3 (2*144.242/(2*144.242+3*15.999)), Dy2O3, Tb4O7
OXIDE_METAL = {"ndpr": 0.857, "dy": 0.871, "tb": 0.850}
BOM_UNIT = {"kg/t": 1e-3, "kg/kWh": 1.0}  # -> t input per unit of product (t or GWh)

# Terbium in sintered NdFeB where neither `bom` nor `magnet_grades` lists it: grain-boundary
# diffused grades carry about 0.3-1 wt % Tb; the share of output made with Tb is smaller.
# Used only as a fallback prior (see docs/model.md); the bom/magnet_grades tables win.
TB_MAGNET_KG_T_PRIOR = (1.0, "prior: 1 kg Tb per t of average sintered NdFeB (0.1 wt %), "
                             "stated estimate pending a sourced bom row")


def region_of(iso3: str) -> str:
    """Region of an ISO3 code (HKG and MAC count as China; OTHER/unknown as ROW)."""
    if iso3 in ("CHN", "HKG", "MAC"):
        return "CHN"
    if iso3 in EU27:
        return "EU"
    return iso3 if iso3 in REGIONS else "ROW"


@dataclass(frozen=True)
class Node:
    commodity: str
    stage: str


@dataclass
class MarketNetwork:
    """Arrays over nodes (N) and regions (R = REGIONS); quantities t/yr at baseline."""

    nodes: tuple[Node, ...]
    commodities: tuple[str, ...]
    world_t: np.ndarray  # (N,)
    prod0: np.ndarray  # (N, R) baseline output by producer region
    use0: np.ndarray  # (N, R) baseline use by region (processors + final users)
    final0: np.ndarray  # (N, R) part of use0 by final users (the rest feeds processors)
    down: np.ndarray  # (N,) downstream node using this node as input, -1 if none
    inputs: np.ndarray  # (N, J) input nodes of each node, -1 padded
    intensity: np.ndarray  # (N, J) t of input per t of output
    dest0: np.ndarray  # (N, R) China's baseline exports by destination (0 for CHN), t/yr
    country_share: dict  # (node index, ISO3) -> share of the node's output
    price_usd_t: np.ndarray  # (C,) baseline price of each commodity, USD/t
    headline: np.ndarray  # (C,) node index of each commodity's headline (last) stage
    node_commodity: np.ndarray  # (N,) commodity index of each node
    byproduct: np.ndarray  # (N,) True where supply follows host output
    hosts: np.ndarray  # (N, 2) host nodes of a by-product (main hosts), N where none
    idle_t: np.ndarray  # (N,) idle ex-China recovery capacity t/yr (NaN: use the prior)
    table: pd.DataFrame  # one row per node: every input and its basis
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.nodes)

    def node_index(self, commodity: str, stage: str) -> int | None:
        for i, nd in enumerate(self.nodes):
            if nd.commodity == commodity and nd.stage == stage:
                return i
        return None

    def nodes_of(self, commodity: str, stages: Sequence[str] | None = None) -> list[int]:
        """Node indices of ``commodity`` (only ``stages`` when given and non-empty)."""
        return [i for i, nd in enumerate(self.nodes) if nd.commodity == commodity
                and (not stages or nd.stage in stages)]


def _world_t(net: Network) -> pd.Series:
    """Largest latest published world total per commodity, t/yr (as the v1 baseline)."""
    w = net.production[net.production["country"].eq("WORLD")]
    w = w.sort_values(["year", "value"]).groupby("commodity").tail(1)
    return w.set_index("commodity")["value"].astype(float)


def _named_producers(net: Network, shares: pd.DataFrame, world: pd.Series
                     ) -> tuple[pd.DataFrame, list[str]]:
    """``shares`` with, for (commodity, stage) pairs whose latest year names only CHN and
    OTHER, each other country's latest earlier-year tonnage moved out of OTHER as its share
    of the world total ``world`` (t/yr; at most what OTHER holds); notes saying so."""
    keys = ["commodity", "stage"]
    only = shares.groupby(keys)["country"].agg(lambda c: set(c) <= {"CHN", "OTHER"})
    prod = net.production
    named = prod[~prod["country"].isin(["WORLD", "CHN", "OTHER"])]
    named = named.sort_values("year").groupby([*keys, "country"]).tail(1)
    add, notes = [], []
    out = shares.copy()
    for (c, st), r in named.set_index(keys).sort_index().iterrows():
        if not only.get((c, st), False) or c not in world.index:
            continue
        units = prod[prod["commodity"].eq(c) & prod["country"].eq("WORLD")]["unit"]
        other = out.index[out["commodity"].eq(c) & out["stage"].eq(st)
                          & out["country"].eq("OTHER")]
        if r["unit"] not in set(units) or not len(other):
            continue
        share = min(float(r["value"]) / float(world[c]), float(out.at[other[0], "share"]))
        out.at[other[0], "share"] -= share
        add.append(dict(commodity=c, stage=st, year=int(r["year"]), country=r["country"],
                        value=float(r["value"]), share=share,
                        basis="earlier-year tonnage (estimated)"))
        notes.append(f"{c} {st}: {r['country']} {share:.1%} of world output from its "
                     f"{int(r['year'])} tonnage {r['value']:,.0f} {r['unit']} "
                     f"({r['source_id']}) over today's world total, taken out of OTHER "
                     "(estimated: the latest year names only China and the rest)")
    return pd.concat([out, pd.DataFrame(add)], ignore_index=True), notes


def _producer_regions(shares: pd.DataFrame) -> pd.DataFrame:
    """(commodity, stage) x region shares from country shares."""
    s = shares.assign(region=shares["country"].map(region_of))
    out = s.groupby(["commodity", "stage", "region"])["share"].sum().unstack(fill_value=0.0)
    out = out.reindex(columns=list(REGIONS), fill_value=0.0)
    return out.div(out.sum(axis=1), axis=0)


def _import_shares(net: Network) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per commodity: ex-China importer region shares of import value, and region shares
    of China's export value (BACI, latest year)."""
    f = net.flows[net.flows["year"].eq(net.flows["year"].max())]
    f = f.assign(imp=f["importer"].map(region_of), exp=f["exporter"].map(region_of))
    f = f[~f["exporter"].eq(f["importer"])]
    imp = f[~f["imp"].eq("CHN")].groupby(["commodity", "imp"])["value"].sum().unstack(
        fill_value=0.0)
    imp = imp.reindex(columns=list(REGIONS), fill_value=0.0)
    imp = imp.div(imp.sum(axis=1), axis=0)
    cn = f[f["exp"].eq("CHN") & ~f["imp"].eq("CHN")]
    dest = cn.groupby(["commodity", "imp"])["value"].sum().unstack(fill_value=0.0)
    dest = dest.reindex(columns=list(REGIONS), fill_value=0.0)
    dest = dest[dest.sum(axis=1) > 0]
    return imp, dest.div(dest.sum(axis=1), axis=0)


def _bom(net: Network, world: pd.Series) -> pd.DataFrame:
    """Bill of materials rows (product, input, t input per unit of product) for nodes with
    world tonnage, Tb added for magnets where missing."""
    rows = []
    for r in net.bom.itertuples(index=False):
        if r.unit not in BOM_UNIT:
            continue
        # rows in metal/element content convert to the commodity's oxide basis (t REO)
        oxide = getattr(r, "content_basis", "") == "oxide"
        t = r.value * BOM_UNIT[r.unit] / (1.0 if oxide else OXIDE_METAL.get(r.input, 1.0))
        rows.append((r.product, r.input, t, f"bom: {r.variant} ({r.source_id})"))
    have = {(p, i) for p, i, _, _ in rows}
    grades = getattr(net, "magnet_grades", None)
    if ("ndfeb_magnet", "tb") not in have:
        kg, basis = TB_MAGNET_KG_T_PRIOR
        if grades is not None and len(grades):
            g = grades[grades["element"].eq("tb")]
            if len(g):
                lo, hi = g["low"].astype(float), g["high"].astype(float)
                kg = float(np.nanmean(np.r_[lo.to_numpy(), hi.to_numpy()]))
                basis = "magnet_grades: mean of Tb low/high over grades (estimated)"
        rows.append(("ndfeb_magnet", "tb", kg * 1e-3 / OXIDE_METAL["tb"], basis))
    b = pd.DataFrame(rows, columns=["product", "input", "t_per_unit", "basis"])
    # the typical variant where the table has one, else the leanest variant listed (grades
    # rich in an element are a subset of output)
    b["typical"] = b["basis"].str.contains("typical")
    b = b.sort_values(["typical", "t_per_unit"], ascending=[False, True])
    b = b.groupby(["product", "input"], as_index=False).first().drop(columns="typical")
    return b[b["product"].isin(world.index) & b["input"].isin(world.index)]


BYPRODUCT_FALLBACK = {"gallium", "germanium", "indium", "tellurium", "bismuth", "cobalt"}


def _byproducts(net: Network) -> pd.DataFrame:
    """(byproduct, host, host_stage) rows of main hosts (the `byproducts` table, else the
    USGS list of by-products without hosts)."""
    bp = getattr(net, "byproducts", None)
    if bp is None or not len(bp):
        return pd.DataFrame({"byproduct": sorted(BYPRODUCT_FALLBACK), "host": "",
                             "host_stage": ""})
    bp = bp[bp["role"].eq("main")]
    return bp[["byproduct", "host", "host_stage"]].fillna("")


def _idle_recovery(net: Network, commodities: list[str]) -> dict:
    """Idle ex-China recovery capacity per by-product, t/yr (`recovery_capacity`)."""
    rc = getattr(net, "recovery_capacity", None)
    if rc is None or not len(rc):
        return {}
    rc = rc[~rc["country"].map(region_of).eq("CHN") & rc["byproduct"].isin(commodities)]
    idle = rc.groupby("byproduct")["idle"].sum(min_count=1)
    return {c: float(v) for c, v in idle.items() if pd.notna(v)}


def build_market_network(net: Network, commodities: list[str] | None = None
                         ) -> MarketNetwork:
    """Nodes of every commodity with world tonnage, a price and producer shares (or those
    asked, plus the inputs of products asked)."""
    world = _world_t(net)
    prices = benchmark_usd_t(net.prices)
    shares, named_notes = _named_producers(net, net.production_shares(), world)
    regions = _producer_regions(shares)
    have = sorted(set(world.index) & set(prices.index)
                  & set(regions.index.get_level_values(0)))
    bom = _bom(net, world)
    if commodities:
        missing = sorted(set(commodities) - set(have))
        if missing:
            raise ValueError(f"no v2 market baseline (world output, price and producer "
                             f"shares) for: {', '.join(missing)}")
        wanted = list(commodities)
        for c in list(wanted):
            for i in bom[bom["product"].eq(c)]["input"]:
                if i in have and i not in wanted:
                    wanted.append(i)
        have = wanted
    order = {s: i for i, s in enumerate(STAGES)}
    nodes = []
    for c in have:
        st = sorted(regions.loc[c].index, key=lambda s: order[s])
        nodes += [Node(c, s) for s in st]
    N, R = len(nodes), len(REGIONS)
    ci = {c: i for i, c in enumerate(have)}
    world_t = np.array([world[nd.commodity] for nd in nodes])
    prod0 = np.array([regions.loc[(nd.commodity, nd.stage)].to_numpy() for nd in nodes]
                     ) * world_t[:, None]
    last = {nd.commodity: i for i, nd in enumerate(nodes)}
    down = np.full(N, -1)
    for i in range(N - 1):
        if nodes[i + 1].commodity == nodes[i].commodity:
            down[i] = i + 1
    bom = bom[bom["product"].isin(ci) & bom["input"].isin(ci)]
    J = max(1, int(bom.groupby("product").size().max()) if len(bom) else 1)
    inputs = np.full((N, J), -1)
    intensity = np.zeros((N, J))
    beta = np.zeros((N, R))
    for i in range(N):
        if down[i] >= 0:
            inputs[i + 1, 0], intensity[i + 1, 0] = i, 1.0
            beta[i] = 1.0
    imp, dest_v = _import_shares(net)
    parent = net.commodities.set_index("commodity")["parent"].fillna("")
    mean_imp = imp.mean()
    bom_notes = []
    for p, g in bom.groupby("product"):
        pn = last[p]
        for j, r in enumerate(g.itertuples(index=False)):
            un = last[r.input]
            want = r.t_per_unit * world[p]
            b = min(1.0, want / world[r.input])
            inputs[pn, j] = un
            intensity[pn, j] = b * world[r.input] / world[p]
            beta[un] = b
            bom_notes.append(f"{p} <- {r.input}: {r.t_per_unit * 1e3:.2f} kg/unit ({r.basis}); "
                             f"share of {r.input} to {p} = {b:.2f}"
                             + (" (capped at 1: bom x product output exceeds input output)"
                                if want > world[r.input] else ""))
    use0 = np.zeros((N, R))
    final0 = np.zeros((N, R))
    dest0 = np.zeros((N, R))
    rows = []
    for i, nd in enumerate(nodes):
        c = nd.commodity
        src = c if c in imp.index else parent.get(c, "")
        ex_sh = imp.loc[src] if src in imp.index else mean_imp
        sh_basis = (f"BACI import value ({src})" if src in imp.index
                    else "mean BACI import shares over traded commodities (estimated)")
        x, x_basis = CHINA_EXPORT_SHARE.get(c, (sum(EXPORT_SHARE_PRIOR) / 2,
                                                f"prior midpoint of U{EXPORT_SHARE_PRIOR}"))
        cn_prod = prod0[i, R_CHN] / world_t[i]
        final = np.array(ex_sh.reindex(list(REGIONS)).fillna(0.0), dtype=float)
        final[R_CHN] = 0.0
        final = final / final.sum() * (1 - cn_prod * (1 - x))
        final[R_CHN] = cn_prod * (1 - x)
        if down[i] >= 0:
            use_sh = prod0[down[i]] / world_t[down[i]]
        else:
            b = beta[i, 0]
            proc = np.zeros(R)
            for pn in range(N):
                if i in inputs[pn]:
                    proc = prod0[pn] / world_t[pn]
            use_sh = b * proc + (1 - b) * final
            final0[i] = (1 - b) * final * world_t[i]
        use0[i] = use_sh * world_t[i]
        net_x = prod0[i, R_CHN] - use0[i, R_CHN]
        dsrc = c if c in dest_v.index else parent.get(c, "")
        d_sh = (dest_v.loc[dsrc].to_numpy(dtype=float) if dsrc in dest_v.index
                else np.where(EX_CHINA, use0[i], 0.0) / max(use0[i, EX_CHINA].sum(), 1e-12))
        dest0[i] = max(net_x, 0.0) * d_sh
        rows.append(dict(commodity=c, stage=nd.stage, world_t=world_t[i],
                         **{f"prod_{r}": prod0[i, k] / world_t[i] for k, r in enumerate(REGIONS)},
                         **{f"use_{r}": use0[i, k] / world_t[i] for k, r in enumerate(REGIONS)},
                         china_net_exports_t=net_x, use_basis=(
                             "next-stage producers" if down[i] >= 0 else
                             f"final users: {sh_basis}; China export share {x:.2f} ({x_basis})"),
                         dest_basis=("BACI China export value" if dsrc in dest_v.index
                                     else "ex-China use shares (estimated)")))
    country_share = {}
    for i, nd in enumerate(nodes):
        s = shares[shares["commodity"].eq(nd.commodity) & shares["stage"].eq(nd.stage)]
        for r in s.itertuples(index=False):
            country_share[(i, r.country)] = float(r.share)
    bp = _byproducts(net)
    byproduct = np.array([nd.commodity in set(bp["byproduct"]) and not (inputs[i] >= 0).any()
                          for i, nd in enumerate(nodes)])
    hosts = np.full((N, 2), N)
    for i in np.flatnonzero(byproduct):
        rows = bp[bp["byproduct"].eq(nodes[i].commodity)]
        found = []
        for r in rows.itertuples(index=False):
            cand = [j for j, nd in enumerate(nodes) if nd.commodity == r.host
                    and (not r.host_stage or nd.stage == r.host_stage)]
            found += cand[:1]
        hosts[i, :len(found[:2])] = found[:2]
    idle = _idle_recovery(net, have)
    idle_t = np.array([idle.get(nd.commodity, np.nan) if byproduct[i] else 0.0
                       for i, nd in enumerate(nodes)])
    return MarketNetwork(
        nodes=tuple(nodes), commodities=tuple(have), world_t=world_t, prod0=prod0,
        use0=use0, final0=final0, down=down, inputs=inputs, intensity=intensity, dest0=dest0,
        country_share=country_share,
        price_usd_t=np.array([float(prices[c]) for c in have]),
        headline=np.array([last[c] for c in have]),
        node_commodity=np.array([ci[nd.commodity] for nd in nodes]),
        byproduct=byproduct, hosts=hosts, idle_t=idle_t,
        table=pd.DataFrame(rows), notes=bom_notes + named_notes)
