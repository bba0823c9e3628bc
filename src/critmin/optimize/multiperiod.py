"""Multi-stage stochastic portfolio on model v2 needs: commit now or later, stockpile
build and release over time (docs/optimisation.md, "Multi-period program").

Periods are consecutive ``PERIOD_MONTHS`` blocks of the horizon. Decisions are taken at
the start of each period at the nodes of a scenario tree: period 0 has one node (now);
at period t >= 1 the scenarios of a node split into ``branches`` groups by the loss
they showed in period t - 1 (quantile bins, what a treasury observes before deciding).
A project committed at period c comes online at its data lead time (first production
year) plus ``c`` periods, and its fiscal cost is paid then (discounted). A project with
phases may take phase k only once phase k - 1 (where it is a candidate) is taken::

    min  E_s[L_s] + lambda CVaR(L_s) + E_s[fiscal_s]
    L_s = sum_{t, n} v_n unmet[s, n, t] + fixed[s]
    unmet[s, n, t] >= gap[s, n, t] - sum_{c <= t, o} q[s, o, c, t] x_c[o, node_c(s)]
                      - sum_{k serves n} release[s, k, t]
    sum_{t' <= t} release[s, k, t'] <= sum_{c <= t} stock_c[k, node_c(s)]
    sum_c sum_{o of p} x_c[o, node_c(leaf)] <= 1                      per project, leaf
    sum_c spend_c[f, node_c(leaf)] <= budget[f]                       per funder, leaf
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from critmin.optimize.instruments import DISCOUNT_RATE
from critmin.optimize.portfolio import (
    STOCK_CARRY,
    VEHICLE_NET_COST,
    Expr,
    InfeasibleError,
    _banner_to_stderr,
    cvar,
)
from critmin.optimize.staged import HOLDER_NAME, MONEY, PERIOD_MONTHS, StagedInstance
from critmin.optimize.valuation import online_month

BRANCHES = 3
"""Scenario groups per decision node after period 0 (loss terciles)."""


@dataclass
class MultiInstance:
    """A staged instance with its periods, scenario tree and timed supply."""

    base: StagedInstance
    gap: np.ndarray  # (S, K, T) t unmet per need and period
    node: np.ndarray  # (T, S) node index of each scenario at each period's decision
    nodes: list  # nodes per period
    supply: np.ndarray  # (S, O, C, T) t an option committed at c delivers in period t
    option_cost: np.ndarray  # (O, C) USD fiscal cost of committing at c (PV at start)
    stock_cost: np.ndarray  # (Kst, C) USD per t bought at c (PV at start)
    stock_col: np.ndarray  # (Kst,) need column each stock option serves
    option_col: np.ndarray  # (O,) need column each option serves
    phase_pairs: list  # (project later phase, project earlier phase)

    @property
    def periods(self) -> int:
        return self.gap.shape[2]

    @property
    def scenarios(self) -> int:
        return self.gap.shape[0]


def _tree(loss_by_period: np.ndarray, branches: int) -> tuple[np.ndarray, list]:
    """(T, S) node of each scenario: node 0 at period 0; at t the node at t - 1 split
    into ``branches`` quantile groups of the loss in period t - 1."""
    S, T = loss_by_period.shape
    node = np.zeros((T, S), dtype=int)
    nodes = [1]
    for t in range(1, T):
        new = np.zeros(S, dtype=int)
        for k in range(nodes[-1]):
            mine = np.flatnonzero(node[t - 1] == k)
            order = mine[np.argsort(loss_by_period[mine, t - 1], kind="stable")]
            for j, part in enumerate(np.array_split(order, branches)):
                new[part] = k * branches + j
        node[t] = new
        nodes.append(nodes[-1] * branches)
    return node, nodes


def _phases(projects: pd.DataFrame) -> list:
    """(later, earlier) candidate phases of one project: names equal but for 'phase N'."""
    key, num = {}, {}
    for pid, name in projects["name"].items():
        m = re.search(r"phase\s*(\d+)", str(name), flags=re.I)
        if m:
            key[pid] = re.sub(r"\(?phase\s*\d+\)?", "", str(name), flags=re.I).strip(" -")
            num[pid] = int(m.group(1))
    pairs = []
    for a in key:
        for b in key:
            if key[a] == key[b] and num[a] == num[b] + 1:
                pairs.append((a, b))
    return pairs


def build_multi(inst: StagedInstance, branches: int = BRANCHES) -> MultiInstance:
    """Timed supply, costs and the scenario tree of a staged instance (its
    ``gap_period`` gives the periods)."""
    if inst.gap_period is None:
        raise InfeasibleError("instance has no per-period gaps (build_staged_instance)")
    gap = inst.gap_period.transpose("scenario", "need", "period").values
    S, _K, T = gap.shape
    value = inst.needs["value_usd_t"].to_numpy(float)
    node, nodes = _tree(np.einsum("skt,k->st", gap, value), branches)
    start = pd.Timestamp(inst.meta.get("start", "2026-01-01")).date()
    pm = PERIOD_MONTHS
    opts = inst.options
    proj = inst.projects
    cols = {n: j for j, n in enumerate(inst.gap_t.indexes["need"])}
    avail = inst.availability.sel(project=opts["project_id"].to_numpy()).values  # (S, O)
    supply = np.zeros((S, len(opts), T, T))
    cost = np.zeros((len(opts), T))
    for j, pid in enumerate(opts["project_id"]):
        cap = float(proj.at[pid, "capacity"])
        on0 = online_month(proj.at[pid, "first_production_year"], start)
        for c in range(T):
            on = on0 + c * pm
            for t in range(T):
                a, b = t * pm, min((t + 1) * pm, int(inst.meta.get("months", T * pm)))
                months_on = max(0, b - max(a, on))
                supply[:, j, c, t] = cap * months_on / 12.0 * avail[:, j]
            cost[j, c] = float(proj.at[pid, "cost_usd"]) * (1 + DISCOUNT_RATE) ** (-c * pm / 12)
    so = inst.stock_options
    years = inst.meta.get("months", T * pm) / 12
    p0 = inst.needs.groupby("commodity")["value_usd_t"].first()
    scost = np.array([[p0[c] * (1 + STOCK_CARRY * (years - k * pm / 12))
                       * (1 + DISCOUNT_RATE) ** (-k * pm / 12) for k in range(T)]
                      for c in so["commodity"]]).reshape(len(so), T)
    return MultiInstance(
        base=inst, gap=gap, node=node, nodes=nodes, supply=supply, option_cost=cost,
        stock_cost=scost, stock_col=np.array([cols[n] for n in so["need"]], dtype=int),
        option_col=np.array([cols[n] for n in opts["need"]], dtype=int),
        phase_pairs=_phases(proj.loc[list(dict.fromkeys(opts["project_id"]))]))


def _leaves(mi: MultiInstance) -> np.ndarray:
    """(T, leaves) node at each period of every leaf of the tree."""
    T = mi.periods
    leaves = mi.nodes[-1]
    anc = np.zeros((T, leaves), dtype=int)
    for t in range(T):
        anc[t] = np.arange(leaves) // (leaves // mi.nodes[t])
    return anc


def build_model(mi: MultiInstance) -> linopy.Model:
    """The multi-stage program as a linopy model (not yet solved)."""
    inst = mi.base
    inst.check()
    linopy.options["semantics"] = "v1"
    S, K, T = mi.gap.shape
    scen = pd.Index(range(S), name="scenario")
    need = pd.Index(range(K), name="need")
    per = pd.Index(range(T), name="period")
    value = inst.needs["value_usd_t"].to_numpy(float) / MONEY
    funders = [f for f in inst.budgets]
    opts = inst.options[inst.options["funder"].isin(funders)]
    o_keep = np.flatnonzero(inst.options["funder"].isin(funders).to_numpy())
    so = inst.stock_options
    s_keep = np.flatnonzero(so["holder"].isin(funders).to_numpy()) if inst.allow_stocks \
        else np.array([], dtype=int)
    anc = _leaves(mi)
    m = linopy.Model()
    cover: list[Expr] = [0] * T
    spend: dict[str, list[Expr]] = {f: [0] * anc.shape[1] for f in funders}
    fiscal: Expr = 0
    weight = np.array([VEHICLE_NET_COST if f == "JPN_vehicle" else 1.0
                       for f in opts["funder"]])
    xs = []
    if len(opts):
        o_idx = pd.Index(range(len(o_keep)), name="option")
        proj_of = opts["project_id"].to_numpy()
        for c in range(T):
            nd = pd.Index(range(mi.nodes[c]), name=f"node{c}")
            x = m.add_variables(binary=True, coords=[o_idx, nd], name=f"commit{c}")
            xs.append(x)
            onehot = xr.DataArray((mi.node[c][:, None] == np.arange(mi.nodes[c])[None]
                                   ).astype(float), coords=[scen, nd])
            share = onehot.mean("scenario")
            for t in range(c, T):
                q = xr.DataArray(mi.supply[:, o_keep, c, t], coords=[scen, o_idx])
                expr = (x * (q * onehot)).sum(f"node{c}")
                grp = xr.DataArray(mi.option_col[o_keep], coords=[o_idx], name="need")
                cover[t] = cover[t] + expr.groupby(grp).sum().reindex(need=need).fillna(0)
            cst = xr.DataArray(mi.option_cost[o_keep, c] / MONEY, coords=[o_idx])
            fiscal = fiscal + (x * cst * xr.DataArray(weight, coords=[o_idx]) * share).sum()
            for f in funders:
                mine = xr.DataArray((opts["funder"].to_numpy() == f).astype(float),
                                    coords=[o_idx])
                per_node = (x * cst * mine).sum("option")
                for j in range(anc.shape[1]):
                    spend[f][j] = spend[f][j] + per_node.sel({f"node{c}": anc[c, j]})
        # one commitment per project along every path, and phase order
        pidx = pd.Index(pd.unique(proj_of), name="project")
        grp = xr.DataArray(proj_of, coords=[o_idx], name="project")
        for j in range(anc.shape[1]):
            tot = sum(xs[c].sel({f"node{c}": anc[c, j]}).groupby(grp).sum() for c in range(T))
            m.add_constraints(tot <= 1, name=f"one_commitment_{j}")
            for later, earlier in mi.phase_pairs:
                if later in pidx and earlier in pidx:
                    for t in range(T):
                        a = sum(xs[c].sel({f"node{c}": anc[c, j]}).groupby(grp).sum()
                                .sel(project=later) for c in range(t + 1))
                        b = sum(xs[c].sel({f"node{c}": anc[c, j]}).groupby(grp).sum()
                                .sel(project=earlier) for c in range(t + 1))
                        m.add_constraints(a <= b, name=f"phase_{later}_{j}_{t}")
    if len(s_keep):
        k_idx = pd.Index(range(len(s_keep)), name="stock_option")
        release = m.add_variables(lower=0, coords=[scen, k_idx, per], name="release")
        held: Expr = 0
        for c in range(T):
            nd = pd.Index(range(mi.nodes[c]), name=f"node{c}")
            st = m.add_variables(lower=0, coords=[k_idx, nd], name=f"stock{c}")
            onehot = xr.DataArray((mi.node[c][:, None] == np.arange(mi.nodes[c])[None]
                                   ).astype(float), coords=[scen, nd])
            held = held + (st * onehot).sum(f"node{c}")
            m.add_constraints(release.sel(period=slice(0, c)).sum("period") <= held,
                              name=f"inventory{c}")
            sc = xr.DataArray(mi.stock_cost[s_keep, c] / MONEY, coords=[k_idx])
            fiscal = fiscal + (st * sc * onehot.mean("scenario")).sum()
            for f in funders:
                mine = xr.DataArray((so["holder"].to_numpy()[s_keep] == f).astype(float),
                                    coords=[k_idx])
                per_node = (st * sc * mine).sum("stock_option")
                for j in range(anc.shape[1]):
                    spend[f][j] = spend[f][j] + per_node.sel({f"node{c}": anc[c, j]})
        grp = xr.DataArray(mi.stock_col[s_keep], coords=[k_idx], name="need")
        for t in range(T):
            cover[t] = cover[t] + release.sel(period=t).groupby(grp).sum().reindex(
                need=need).fillna(0)
    unmet = m.add_variables(lower=0, coords=[scen, need, per], name="unmet")
    gap = xr.DataArray(mi.gap, coords=[scen, need, per])
    for t in range(T):
        m.add_constraints(unmet.sel(period=t) + cover[t] >= gap.sel(period=t),
                          name=f"cover_gap{t}")
    for f in funders:
        for j in range(anc.shape[1]):
            if not isinstance(spend[f][j], int):
                m.add_constraints(spend[f][j] <= inst.budgets[f] / MONEY,
                                  name=f"budget_{f}_{j}")
    loss = (unmet * xr.DataArray(value, coords=[need])).sum(["need", "period"])
    eta = m.add_variables(name="value_at_risk")
    excess = m.add_variables(lower=0, coords=[scen], name="excess")
    m.add_constraints(excess + eta - loss >= 0, name="cvar_tail")
    obj = loss.sum() / S + inst.cvar_weight * (eta + excess.sum()
                                               / ((1 - inst.cvar_alpha) * S)) + fiscal
    m.add_objective(obj)
    return m


@dataclass
class MultiSolution:
    commits: pd.DataFrame  # option, project_id, funder, period, node, probability, cost_usd
    stocks: pd.DataFrame  # key, holder, commodity, period, node, probability, stock_t, cost
    releases: np.ndarray  # (S, Kst, T) t released
    objective_usd: float
    mip_gap: float | None
    status: str
    seconds: float = 0.0


def evaluate(mi: MultiInstance, x: list, stock: list | None = None,
             release: np.ndarray | None = None) -> dict:
    """Loss per scenario (USD), its mean and CVaR and the expected fiscal cost of a
    decision: ``x[c]`` (O, nodes_c) 0/1 commitments, ``stock[c]`` (Kst, nodes_c) t and
    ``release`` (S, Kst, T) t (None: released greedily, first come first served)."""
    inst = mi.base
    S, _K, T = mi.gap.shape
    add = np.zeros_like(mi.gap)
    fiscal = np.zeros(S)
    weight = np.array([VEHICLE_NET_COST if f == "JPN_vehicle" else 1.0
                       for f in inst.options["funder"]])
    for c in range(T):
        xc = x[c][:, mi.node[c]].T  # (S, O)
        fiscal += xc @ (mi.option_cost[:, c] * weight)
        for t in range(c, T):
            np.add.at(add[:, :, t].T, mi.option_col, (mi.supply[:, :, c, t] * xc).T)
    if stock is not None and len(mi.stock_col):
        held = np.zeros((S, len(mi.stock_col)))
        used = np.zeros_like(held)
        for c in range(T):
            sc = stock[c][:, mi.node[c]].T  # (S, Kst)
            fiscal += sc @ mi.stock_cost[:, c]
            held += sc
            if release is None:
                room = np.maximum(mi.gap[:, mi.stock_col, c] - add[:, mi.stock_col, c], 0)
                r = np.minimum(held - used, room)
            else:
                r = release[:, :, c]
            used += r
            np.add.at(add[:, :, c].T, mi.stock_col, r.T)
    unmet = np.maximum(mi.gap - add, 0.0)
    loss = np.einsum("skt,k->s", unmet, inst.needs["value_usd_t"].to_numpy(float))
    tail = cvar(loss, inst.cvar_alpha)
    exp = float(loss.mean())
    return {"loss": loss, "unmet": unmet, "expected_loss_usd": exp, "cvar_usd": tail,
            "fiscal_usd": float(fiscal.mean()),
            "objective_usd": exp + inst.cvar_weight * tail + float(fiscal.mean())}


def solve(mi: MultiInstance, mip_gap: float = 0.01, time_limit: float = 300.0,
          threads: int = 1) -> MultiSolution:
    """Build and solve with HiGHS."""
    import time

    t0 = time.perf_counter()
    m = build_model(mi)
    for presolve in ("choose", "off"):  # HiGHS's default, then none
        with _banner_to_stderr():
            status, cond = m.solve(solver_name="highs", io_api="direct", mip_rel_gap=mip_gap,
                                   time_limit=time_limit, threads=threads, output_flag=False,
                                   presolve=presolve)
        if status == "ok" or cond in ("optimal", "time_limit"):
            break
    else:
        raise InfeasibleError(f"solver: {status} / {cond}")
    inst = mi.base
    funders = list(inst.budgets)
    o_keep = np.flatnonzero(inst.options["funder"].isin(funders).to_numpy())
    T = mi.periods
    rows = []
    for c in range(T):
        name = f"commit{c}"
        if name not in m.variables:
            continue
        v = m.variables[name].solution.values
        share = np.bincount(mi.node[c], minlength=mi.nodes[c]) / mi.scenarios
        for i, j in zip(*np.nonzero(v > 0.5), strict=True):
            o = inst.options.index[o_keep[i]]
            rows.append(dict(option=o, project_id=inst.options.at[o, "project_id"],
                             funder=inst.options.at[o, "funder"], period=c, node=int(j),
                             probability=float(share[j]),
                             cost_usd=float(mi.option_cost[o_keep[i], c])))
    commits = pd.DataFrame(rows, columns=["option", "project_id", "funder", "period", "node",
                                          "probability", "cost_usd"])
    so = inst.stock_options
    s_keep = np.flatnonzero(so["holder"].isin(funders).to_numpy()) if inst.allow_stocks \
        else np.array([], dtype=int)
    srows = []
    rel = np.zeros((mi.scenarios, len(so), T))
    if len(s_keep) and "release" in m.variables:
        rel[:, s_keep, :] = np.clip(m.variables["release"].solution.values, 0, None)
        for c in range(T):
            v = np.clip(m.variables[f"stock{c}"].solution.values, 0, None)
            share = np.bincount(mi.node[c], minlength=mi.nodes[c]) / mi.scenarios
            for i, j in zip(*np.nonzero(v > 1e-6), strict=True):
                k = so.index[s_keep[i]]
                srows.append(dict(key=k, holder=so.at[k, "holder"],
                                  holder_name=HOLDER_NAME.get(so.at[k, "holder"]),
                                  commodity=so.at[k, "commodity"], period=c, node=int(j),
                                  probability=float(share[j]), stock_t=float(v[i, j]),
                                  cost_usd=float(v[i, j] * mi.stock_cost[s_keep[i], c])))
    stocks = pd.DataFrame(srows, columns=["key", "holder", "holder_name", "commodity",
                                          "period", "node", "probability", "stock_t",
                                          "cost_usd"])
    gap = None
    try:
        gap = float(m.solver_model.getInfo().mip_gap)
        gap = gap if np.isfinite(gap) else None
    except Exception:
        gap = None
    sol = MultiSolution(commits=commits, stocks=stocks, releases=rel, objective_usd=np.nan,
                        mip_gap=gap, status=cond, seconds=time.perf_counter() - t0)
    sol.objective_usd = evaluate(mi, *decision_arrays(mi, sol))["objective_usd"]
    return sol


def decision_arrays(mi: MultiInstance, sol: MultiSolution) -> tuple[list, list, np.ndarray]:
    """(x, stock, release) arrays of a solution, as :func:`evaluate` takes them."""
    inst = mi.base
    T = mi.periods
    o_pos = {o: i for i, o in enumerate(inst.options.index)}
    k_pos = {k: i for i, k in enumerate(inst.stock_options.index)}
    x = [np.zeros((len(inst.options), mi.nodes[c])) for c in range(T)]
    st = [np.zeros((len(inst.stock_options), mi.nodes[c])) for c in range(T)]
    for r in sol.commits.itertuples():
        x[r.period][o_pos[r.option], r.node] = 1.0
    for r in sol.stocks.itertuples():
        st[r.period][k_pos[r.key], r.node] = r.stock_t
    return x, st, sol.releases
