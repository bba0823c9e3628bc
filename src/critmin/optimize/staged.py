"""Two-stage portfolio on the outputs of market model v2: needs by commodity, stage and
importing region (docs/optimisation.md, "Model v2").

Second-stage scenarios are v2 sample paths. A *need* is one (commodity, stage, region):
the tonnes (t contained, summed over the horizon) that the region's buyers at that stage
do not get in a sample. First stage: which (project, funder) options to take and the
stockpiles of each holder; a project delivers at its own stage to the region its offtake
names (its own region where that is a counted region, else the funder's), times the share
of its inputs (same-commodity upstream stage, bill of materials) available in the sample::

    min  E_s[L_s] + lambda * CVaR_alpha(L_s) + fiscal cost
    L_s = sum_n v_n * unmet[s, n] + fixed[s]                   (USD of unmet tonnes)
    unmet[s, n] >= gap[s, n] - sum_o q[s, o] x[o] 1{o delivers to n}
                             - sum_k stock[k] 1{stock k serves n}
    sum_o x[o] 1{o of project p} <= 1
    sum_o cost[o] x[o] 1{funder f} + sum_k stock_cost[k] stock[k] 1{holder f} <= budget[f]

Needs no option can serve enter as the constant ``fixed[s]`` (they still count in the
CVaR). Every block is one labelled array; no Python loop over scenarios.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from critmin.data.schemas import STAGES
from critmin.optimize.instance import CANDIDATE_STATUS, candidates
from critmin.optimize.instruments import LIFE_YEARS
from critmin.optimize.portfolio import (
    FUNDERS,
    STOCK_CARRY,
    VEHICLE_NET_COST,
    Expr,
    InfeasibleError,
    Solution,
    _banner_to_stderr,
    check_inputs,
    risk,
)

POOL = "POOL"
"""Funder of a coalition's pooled budget (:mod:`critmin.optimize.coalitions`)."""
MEMBERS = ("USA", "JPN")
"""Regions whose unmet tonnes are counted by default (the framework's two members)."""
PARTNERS = ("EU", "KOR")
"""Importing regions that may be counted as well (``regions=``)."""
COUNTABLE = MEMBERS + PARTNERS
FUNDER_REGION = {"USA": "USA", "JPN": "JPN", "JPN_vehicle": "USA"}
PERIOD_MONTHS = 12
"""Length of a decision period (months): commit now (period 0) or a year later."""
MONEY = 1e6
"""Money inside the solver is in USD million (losses reach 1e10 USD while tonnes and
prices are 1e0-1e6: scaling keeps HiGHS's coefficient range narrow)."""
HOLDER_NAME = {"USA": "U.S. National Defense Stockpile / Project Vault",
               "JPN": "JOGMEC national stockpile"}


@dataclass
class StagedInstance:
    """Everything the v2 program needs, as labelled arrays."""

    projects: pd.DataFrame  # index project_id: name, commodity, stage, country, region,
    #                        output_t, cost_usd, instrument, basis
    needs: pd.DataFrame  # index need "c|stage|region": commodity, stage, region,
    #                     value_usd_t, demand_t (wanted over the horizon), headline
    gap_t: xr.DataArray  # (scenario, need) t unmet over the horizon
    options: pd.DataFrame  # index option "project@funder": project_id, funder, need
    availability: xr.DataArray  # (scenario, project) share of inputs available, 0-1
    stock_options: pd.DataFrame  # index "holder|commodity": holder, commodity, need,
    #                             cost_usd_t
    budgets: dict
    gap_period: xr.DataArray | None = None  # (scenario, need, period) t unmet per period
    cvar_alpha: float = 0.95
    cvar_weight: float = 1.0
    allow_stocks: bool = True
    cvar_by_region: bool = False  # objective: sum of each region's CVaR (coalition games)
    excluded: list = field(default_factory=list)  # projects v2 cannot place, with reason
    meta: dict = field(default_factory=dict)

    @property
    def commodities(self) -> list[str]:
        return list(dict.fromkeys(self.needs["commodity"]))

    def option_supply(self) -> xr.DataArray:
        """(scenario, option) t an option delivers over the horizon."""
        q = self.availability * xr.DataArray(
            self.projects["output_t"].to_numpy(dtype=float),
            coords=[pd.Index(self.projects.index, name="project")])
        q = q.sel(project=self.options["project_id"].to_numpy())
        return xr.DataArray(q.values, coords=[self.gap_t.indexes["scenario"],
                                              pd.Index(self.options.index, name="option")])

    def added(self, options=(), stocks: pd.Series | None = None) -> np.ndarray:
        """(S, need) t added by the chosen options and stock (t per stock option)."""
        add = np.zeros(self.gap_t.shape)
        col = {n: j for j, n in enumerate(self.gap_t.indexes["need"])}
        options = list(options)
        if options:
            q = self.option_supply().sel(option=options).values
            for k, o in enumerate(options):
                add[:, col[self.options.at[o, "need"]]] += q[:, k]
        if stocks is not None:
            for k, t in stocks.items():
                if t > 0:
                    add[:, col[self.stock_options.at[k, "need"]]] += t
        return add

    def check(self) -> None:
        """As :func:`check_inputs`; a coalition's pooled funder (``POOL``) is allowed."""
        check_inputs(self, extra_funders=(POOL,))


# --------------------------------------------------------------------------- instance


def _regions(regions) -> tuple[str, ...]:
    regions = tuple(dict.fromkeys(r.strip().upper() for r in (regions or MEMBERS) if r))
    bad = sorted(set(regions) - set(COUNTABLE))
    if bad:
        raise ValueError(f"regions: {', '.join(bad)} not countable; use {', '.join(COUNTABLE)}")
    return regions


def run_network(net, scenario, months: int):
    """The v2 network whose commodities the paths of ``scenario`` carry (all of the run,
    also those v2 leaves at baseline because no shock reaches them) and its (H, N, R)
    demand factors on final use."""
    from critmin.market.v2.paths import prepare
    from critmin.market.v2.policy import compile_v2

    prep = prepare(net, scenario, months)
    full = getattr(prep, "full", None) or prep.market
    if full is prep.market:
        return full, prep.compiled.demand
    known = set(net.commodities["commodity"])
    return full, compile_v2(full, scenario, months, known).demand


def _wanted_t(market, demand: np.ndarray, months: int) -> np.ndarray:
    """(H, N, R) t wanted per month at the pre-scenario price (baseline use with the
    scenario's demand shocks on final use)."""
    return (market.use0[None] + market.final0[None] * (demand[:months] - 1)) / 12.0


def _gaps(ds: xr.Dataset, market, wanted: np.ndarray, regions) -> tuple[np.ndarray, list]:
    """(S, K) t unmet over the horizon for every node and region in ``regions`` and the
    K need records. Headline stage: v2 ``shortfall`` (use wanted at baseline prices not
    met, as v1); other stages: v2 ``shortfall_stage`` (physical shortage)."""
    from critmin.market.v2.network import REGIONS

    cols, recs = [], []
    hl = set(market.headline.tolist())
    for i, nd in enumerate(market.nodes):
        for r in regions:
            k = REGIONS.index(r)
            w = wanted[:, i, k]  # (H,)
            if w.sum() <= 0:
                continue
            if i in hl:
                share = ds["shortfall"].sel(commodity=nd.commodity, region=r)
            else:
                share = ds["shortfall_stage"].sel(commodity=nd.commodity, stage=nd.stage,
                                                  region=r)
            share = np.nan_to_num(share.transpose("sample", "month").values.astype(float))
            cols.append(np.clip(share, 0, 1) * w[None])  # (S, H) t per month
            recs.append(dict(need=f"{nd.commodity}|{nd.stage}|{r}", commodity=nd.commodity,
                             stage=nd.stage, region=r, node=i, headline=i in hl,
                             demand_t=float(w.sum())))
    S, H = ds.sizes["sample"], ds.sizes["month"]
    return (np.stack(cols, axis=1) if cols else np.zeros((S, 0, H))), recs


def period_sums(monthly: np.ndarray, period_months: int) -> np.ndarray:
    """(S, K, H) per month -> (S, K, P) sums over consecutive periods of
    ``period_months`` (the last one may be shorter)."""
    H = monthly.shape[2]
    edges = [*range(0, H, period_months), H]
    return np.stack([monthly[:, :, a:b].sum(axis=2) for a, b in itertools.pairwise(edges)],
                    axis=2)


def _short_share(ds: xr.Dataset, market) -> np.ndarray:
    """(S, N, R) shortfall share per node and region, mean over the horizon, measured as
    the gaps are: ``shortfall`` at a commodity's headline stage, ``shortfall_stage``
    (physical) at the others."""
    a = ds["shortfall_stage"].transpose("sample", "month", "commodity", "stage",
                                        "region").values.astype(float)
    a = np.nan_to_num(a).mean(axis=1)
    hl = np.nan_to_num(ds["shortfall"].transpose("sample", "month", "commodity",
                                                 "region").values.astype(float)).mean(axis=1)
    ci = {c: j for j, c in enumerate(ds.indexes["commodity"])}
    si = {s: j for j, s in enumerate(ds.indexes["stage"])}
    heads = set(market.headline.tolist())
    return np.clip(np.stack([hl[:, ci[nd.commodity]] if i in heads else
                             a[:, ci[nd.commodity], si[nd.stage]]
                             for i, nd in enumerate(market.nodes)], axis=1), 0.0, 1.0)


def _availability(market, phys: np.ndarray, nodes: np.ndarray, regions: list[str]
                  ) -> np.ndarray:
    """(S, P) share of a plant's inputs it obtains: 1 - shortfall share ``phys`` (S, N, R)
    of its scarcest input node (same-commodity upstream stage, bill of materials) in its
    region, or the ex-China use-weighted shortfall where its region has no baseline use
    of the input."""
    from critmin.market.v2.network import EX_CHINA, REGIONS

    S = phys.shape[0]
    out = np.ones((S, len(nodes)))
    ex_use = np.where(EX_CHINA[None], market.use0, 0.0)
    for j, (i, r) in enumerate(zip(nodes, regions, strict=True)):
        k = REGIONS.index(r)
        for u in market.inputs[i]:
            if u < 0:
                continue
            if market.use0[u, k] > 0:
                short = phys[:, u, k]
            else:
                w = ex_use[u] / max(ex_use[u].sum(), 1e-300)
                short = phys[:, u] @ w
            out[:, j] = np.minimum(out[:, j], 1 - short)
    return np.clip(out, 0.0, 1.0)


def _place(projects: pd.DataFrame, market) -> tuple[pd.DataFrame, list]:
    """Node of each project: its (commodity, stage) where v2 models it, else the
    commodity's last modelled stage (noted); projects of commodities v2 lacks are
    excluded with the reason."""
    from critmin.market.v2.network import region_of

    keep, excluded, node, basis = [], [], [], []
    for pid, row in projects.iterrows():
        c, s = row["commodity"], row["stage"]
        if c not in market.commodities:
            excluded.append({"project_id": pid, "commodity": c, "stage": s,
                             "reason": f"{c} has no v2 market baseline"})
            continue
        i = market.node_index(c, s)
        note = ""
        if i is None:
            i = int(market.headline[market.commodities.index(c)])
            note = (f"stage {s} not in the v2 network for {c}; delivers at "
                    f"{market.nodes[i].stage}")
        keep.append(pid)
        node.append(i)
        basis.append(note)
    p = projects.loc[keep].copy()
    p["node"] = node
    p["stage"] = [market.nodes[i].stage for i in node]
    p["region"] = [region_of(c) for c in p["country"]]
    p["basis"] = ["; ".join(x for x in (b, n) if x) for b, n in zip(p.get(
        "basis", pd.Series("", index=p.index)).fillna(""), basis, strict=True)]
    return p, excluded


def _offtake(row, funder: str, regions) -> str | None:
    """Region a (project, funder) option delivers to: the project's own region where it
    is counted, else the funder's region (the funder negotiates the offtake)."""
    if row["region"] in regions:
        return row["region"]
    r = FUNDER_REGION[funder]
    return r if r in regions else None


def _stock_holders(scenario, commodities, regions) -> list[tuple[str, str]]:
    """(holder, commodity) pairs that may stockpile: the scenario's stock rules (holder
    region, commodity or ALL), or every member for every commodity when it has none."""
    from critmin.market.v2.network import region_of

    rules = [(region_of(s.holder), s.commodity) for s in scenario.stocks]
    if not rules:
        rules = [(h, "ALL") for h in MEMBERS]
    pairs = []
    for h, c in rules:
        if h not in regions or h not in FUNDERS:
            continue
        for k in commodities:
            if c in (k, "ALL") and (h, k) not in pairs:
                pairs.append((h, k))
    return pairs


def _value(net, cand: pd.DataFrame, placed: pd.DataFrame, paths: xr.Dataset, market,
           p0: pd.Series, start: dt.date, seed: int, china: bool) -> pd.DataFrame:
    """Instrument and fiscal cost of each candidate from its valuation on the paths of
    its stage over its life (:mod:`critmin.optimize.valuation`); ``china`` False values
    without China's response (reversion only)."""
    from critmin.optimize.china import draw_response
    from critmin.optimize.valuation import sourced_floors, value_candidates

    px = paths["price_ex_china_stage"]
    draws = draw_response(paths.sizes["sample"], seed, china=china)

    def rel_of(pid):
        nd = market.nodes[int(cand.at[pid, "node"])]
        return px.sel(commodity=nd.commodity, stage=nd.stage).transpose(
            "sample", "month").values

    rows = cand.assign(unit_cost_usd_t=placed["unit_cost_usd_t"].reindex(cand.index))
    val = value_candidates(rows, rel_of, p0, start, draws, sourced_floors(net))
    cand = cand.copy()
    cand["instrument"] = val["instrument"]
    cand["cost_usd"] = val["cost_usd"].astype(float)
    cand["valuation"] = val["valuation"]
    return cand


def build_staged_instance(net, scenario, budgets: dict, *, samples: int = 1000,
                          seed: int = 0, regions=MEMBERS, cvar_weight: float = 1.0,
                          cvar_alpha: float = 0.95, allow_stocks: bool = True,
                          paths: xr.Dataset | None = None,
                          projects: pd.DataFrame | None = None,
                          china: bool = True) -> StagedInstance:
    """Instance from model v2 sample paths of ``scenario`` (simulated here unless
    ``paths`` from :func:`critmin.simulate.paths.scenario_paths` are given: spun up from the
    scenario's earliest earlier control, as a user's run is)."""
    from critmin.simulate.paths import scenario_paths

    regions = _regions(regions)
    months = 3 * int(scenario.horizon_quarters)
    market, demand = run_network(net, scenario, months)
    if paths is None:
        paths = scenario_paths(net, scenario, samples=samples, seed=seed, months=months)
    months = min(months, paths.sizes["month"])
    S = paths.sizes["sample"]
    if list(paths.indexes["commodity"]) != list(market.commodities):
        raise ValueError("paths: commodities differ from the scenario's v2 network")
    wanted = _wanted_t(market, demand, months)
    gap_m, recs = _gaps(paths.isel(month=slice(0, months)), market, wanted, regions)
    gap_p = period_sums(gap_m, PERIOD_MONTHS)
    gap = gap_p.sum(axis=2)
    p0 = pd.Series(market.price_usd_t, index=list(market.commodities))
    needs = pd.DataFrame(recs).set_index("need") if recs else pd.DataFrame(
        columns=["commodity", "stage", "region", "node", "headline", "demand_t"]).rename_axis(
        "need")
    needs["value_usd_t"] = needs["commodity"].map(p0).astype(float)
    scen = pd.Index(paths.indexes["sample"], name="scenario")
    gap_t = xr.DataArray(gap, coords=[scen, pd.Index(needs.index, name="need")])
    gap_period = xr.DataArray(gap_p, coords=[scen, pd.Index(needs.index, name="need"),
                                             pd.Index(range(gap_p.shape[2]), name="period")])
    # projects and their stage prices (ex-China price of the project's stage)
    base = (net.projects if projects is None else projects).set_index("project_id")
    base = base[base["status"].isin(CANDIDATE_STATUS)]
    placed, excluded = _place(base, market)
    px = paths["price_ex_china_stage"].isel(month=slice(0, months)).mean("month")
    years = months / 12
    life = max(LIFE_YEARS, years)
    node_of = placed["node"].to_dict()

    def path_of(row):
        nd = market.nodes[node_of[row.project_id]]
        ratio = np.nan_to_num(px.sel(commodity=nd.commodity, stage=nd.stage).values,
                              nan=1.0).astype(float)
        return (ratio * years + (life - years)) / life * p0[nd.commodity]

    start = dt.date.fromisoformat(str(scenario.start)[:10])
    cand = candidates(net, list(market.commodities), start, months / 3, None, p0,
                      path_of=path_of, projects=placed.reset_index())
    cand = cand.join(placed[["node", "region"]])
    cand = _value(net, cand, placed, paths.isel(month=slice(0, months)), market, p0, start,
                  seed, china)
    cand["basis"] = [
        "; ".join(x for x in (b, placed.at[i, "basis"]) if x)
        for i, b in cand["basis"].items()]
    avail = _availability(market, _short_share(paths.isel(month=slice(0, months)), market),
                          cand["node"].to_numpy(), list(cand["region"]))
    availability = xr.DataArray(avail, coords=[scen, pd.Index(cand.index, name="project")])
    # options: (project, funder) pairs that deliver to a counted need
    funders = [f for f in FUNDERS if f in budgets]
    rows = []
    for pid, row in cand.iterrows():
        for f in funders:
            if f == "JPN_vehicle" and row["country"] != "USA":
                continue
            r = _offtake(row, f, regions)
            if r is None:
                continue
            nd = market.nodes[row["node"]]
            need = f"{nd.commodity}|{nd.stage}|{r}"
            if need in needs.index:
                rows.append(dict(option=f"{pid}@{f}", project_id=pid, funder=f, need=need))
    options = pd.DataFrame(rows, columns=["option", "project_id", "funder", "need"]
                           ).set_index("option")
    # stockpiles at the commodity's headline stage, served to the holder's buyers
    srows = []
    for h, c in _stock_holders(scenario, market.commodities, regions):
        nd = market.nodes[market.headline[market.commodities.index(c)]]
        need = f"{c}|{nd.stage}|{h}"
        if need in needs.index:
            srows.append(dict(key=f"{h}|{c}", holder=h, commodity=c, need=need,
                              cost_usd_t=p0[c] * (1 + STOCK_CARRY * years)))
    stock_options = pd.DataFrame(srows, columns=["key", "holder", "commodity", "need",
                                                 "cost_usd_t"]).set_index("key")
    return StagedInstance(
        projects=cand, needs=needs, gap_t=gap_t, options=options, availability=availability,
        stock_options=stock_options, budgets=budgets, gap_period=gap_period,
        cvar_alpha=cvar_alpha,
        cvar_weight=cvar_weight, allow_stocks=allow_stocks, excluded=excluded,
        meta={"model": "v2", "scenario": scenario.id, "start": start.isoformat(),
              "months": months, "china_response": china, "samples": S,
              "seed": int(paths.attrs.get("seed", seed)),
              "regions": list(regions), "run_id": None})


# --------------------------------------------------------------------------- program


def losses(inst: StagedInstance, add: np.ndarray | None = None) -> np.ndarray:
    """Loss per scenario (USD) given t added per need (S, K)."""
    unmet = unmet_t(inst, add)
    return unmet @ inst.needs["value_usd_t"].to_numpy(dtype=float)


def unmet_t(inst: StagedInstance, add: np.ndarray | None = None) -> np.ndarray:
    gap = inst.gap_t.values
    return gap if add is None else np.maximum(gap - add, 0.0)


def _actionable(inst: StagedInstance) -> pd.Index:
    served = set(inst.options["need"])
    if inst.allow_stocks:
        served |= set(inst.stock_options["need"])
    has_gap = inst.gap_t.max("scenario").values > 0
    keep = [n for n, g in zip(inst.gap_t.indexes["need"], has_gap, strict=True)
            if g and n in served]
    return pd.Index(keep, name="need")


def _funders(inst: StagedInstance) -> tuple[str, ...]:
    """The funders with a budget (any amount), in the program's order."""
    return tuple(f for f in (*FUNDERS, POOL) if f in inst.budgets)


def _buyable(inst: StagedInstance, act: pd.Index) -> tuple[pd.Index, pd.DataFrame,
                                                           pd.DataFrame]:
    """Funders with a budget, and the project and stock options of those funders that
    serve an actionable need (``act``): what the program may buy."""
    funders = pd.Index(list(_funders(inst)), name="funder")
    opts = inst.options[inst.options["need"].isin(act) & inst.options["funder"].isin(funders)]
    so = inst.stock_options
    payer = so["funder"] if "funder" in so else so["holder"]
    so = so[so["need"].isin(act) & payer.isin(funders)] if inst.allow_stocks else so[:0]
    return funders, opts, so


def build_model(inst: StagedInstance) -> linopy.Model:
    """The two-stage program on v2 needs as a linopy model (not yet solved)."""
    inst.check()
    linopy.options["semantics"] = "v1"
    scen = inst.gap_t.indexes["scenario"]
    act = _actionable(inst)
    value = inst.needs["value_usd_t"] / MONEY
    rest = [n for n in inst.gap_t.indexes["need"] if n not in set(act)]
    fixed = xr.DataArray(inst.gap_t.sel(need=rest).values @ value.loc[rest].to_numpy(float)
                         if rest else np.zeros(scen.size), coords=[scen])
    funders, opts, so = _buyable(inst, act)
    m = linopy.Model()
    n = scen.size
    budgets = xr.DataArray([inst.budgets[f] / MONEY for f in funders], coords=[funders])
    spend: Expr = 0
    fiscal: Expr = 0
    cover: Expr = 0
    if len(act):
        unmet = m.add_variables(lower=0, coords=[scen, act], name="unmet")
        loss = (unmet * xr.DataArray(value.loc[act].to_numpy(float), coords=[act])
                ).sum("need")  # plus the constant fixed[s]
        cover = unmet
    else:
        loss = None
    if len(opts) and len(act):
        o_idx = pd.Index(opts.index, name="option")
        x = m.add_variables(binary=True, coords=[o_idx], name="support")
        proj = xr.DataArray(opts["project_id"].to_numpy(), coords=[o_idx], name="project")
        m.add_constraints(x.groupby(proj).sum() <= 1, name="one_funder")
        q = inst.option_supply().sel(option=o_idx.values)
        supplied = (x * q).groupby(
            xr.DataArray(opts["need"].to_numpy(), coords=[o_idx], name="need")).sum()
        cover = cover + supplied.reindex(need=act).fillna(0)
        cost = xr.DataArray(inst.projects.loc[opts["project_id"], "cost_usd"].to_numpy(float)
                            / MONEY,
                            coords=[o_idx])
        fund = xr.DataArray(opts["funder"].to_numpy(), coords=[o_idx], name="funder")
        spend = (x * cost).groupby(fund).sum().reindex(funder=funders.values).fillna(0)
        weight = xr.DataArray([VEHICLE_NET_COST if f == "JPN_vehicle" else 1.0
                               for f in opts["funder"]], coords=[o_idx])
        fiscal = (x * cost * weight).sum()
    if len(so) and len(act):
        k_idx = pd.Index(so.index, name="stock_option")
        stock = m.add_variables(lower=0, coords=[k_idx], name="stock")
        # releasing is free, so each scenario releases all of a holder's stock that its
        # need can use: release[s, k] = stock[k] (no per-scenario release variables)
        cover = cover + stock.groupby(
            xr.DataArray(so["need"].to_numpy(), coords=[k_idx], name="need")).sum().reindex(
            need=act).fillna(0)
        scost = xr.DataArray(so["cost_usd_t"].to_numpy(float) / MONEY, coords=[k_idx])
        held = xr.DataArray((so["funder"] if "funder" in so else so["holder"]).to_numpy(),
                            coords=[k_idx], name="funder")
        spend = spend + (stock * scost).groupby(held).sum().reindex(
            funder=funders.values).fillna(0)
        fiscal = fiscal + (stock * scost).sum()
    if not isinstance(cover, int):  # the unmet tonnes plus what is bought (needs exist)
        m.add_constraints(cover >= inst.gap_t.sel(need=act), name="cover_gap")
    if isinstance(spend, linopy.LinearExpression):  # 0 where nothing can be bought
        m.add_constraints(spend <= budgets, name="budget")
    if inst.cvar_by_region:
        objective = _regional_cvar(m, inst, act, rest, cover, scen)
    else:
        eta = m.add_variables(name="value_at_risk")
        excess = m.add_variables(lower=0, coords=[scen], name="excess")
        tail = excess + eta if loss is None else excess + eta - loss
        m.add_constraints(tail >= fixed, name="cvar_tail")
        objective = inst.cvar_weight * (eta + excess.sum() / ((1 - inst.cvar_alpha) * n))
    if loss is not None:  # E[fixed] is a constant, left out of the solver's objective
        objective = objective + loss.sum() / n
    m.add_objective(objective + fiscal)
    return m


def _regional_cvar(m: linopy.Model, inst: StagedInstance, act: pd.Index, rest: list,
                   unmet_expr, scen: pd.Index):
    """lambda * sum over regions of each region's CVaR of its own loss (USD m): the
    ``cvar_by_region`` objective (adds up over regions, as a coalition game needs)."""
    n = scen.size
    regions = pd.Index(sorted(set(inst.needs["region"])), name="region")
    value = inst.needs["value_usd_t"] / MONEY
    fixed = xr.DataArray(np.stack([
        inst.gap_t.sel(need=[k for k in rest if inst.needs.at[k, "region"] == r]).values
        @ value.loc[[k for k in rest if inst.needs.at[k, "region"] == r]].to_numpy(float)
        for r in regions], axis=1) if len(regions) else np.zeros((n, 0)),
        coords=[scen, regions])
    eta = m.add_variables(coords=[regions], name="value_at_risk")
    excess = m.add_variables(lower=0, coords=[scen, regions], name="excess")
    tail = excess + eta
    if len(act) and "unmet" in m.variables:
        w = xr.DataArray(value.loc[act].to_numpy(float), coords=[act])
        by = xr.DataArray(inst.needs.loc[act, "region"].to_numpy(), coords=[act],
                          name="region")
        tail = tail - (m.variables["unmet"] * w).groupby(by).sum().reindex(
            region=regions.values).fillna(0)
    m.add_constraints(tail >= fixed, name="cvar_tail")
    return inst.cvar_weight * (eta.sum() + excess.sum() / ((1 - inst.cvar_alpha) * n))


def regional_risk(inst: StagedInstance, unmet: np.ndarray) -> tuple[float, float]:
    """Expected loss and the sum over regions of each region's CVaR (USD)."""
    value = inst.needs["value_usd_t"].to_numpy(float)
    exp, cvar = 0.0, 0.0
    for r in sorted(set(inst.needs["region"])):
        cols = (inst.needs["region"] == r).to_numpy()
        e, c = risk(inst, unmet[:, cols] @ value[cols])
        exp, cvar = exp + e, cvar + c
    return exp, cvar


def _solution(inst: StagedInstance, options: list[str], stocks: pd.Series, status: str,
              mip_gap) -> Solution:
    """Solution record (risk recomputed from the arrays, not read from the solver)."""
    opts = inst.options.loc[options]
    proj = inst.projects
    sel = pd.DataFrame({
        "project_id": opts["project_id"].to_numpy(dtype=object),
        "funder": opts["funder"].to_numpy(dtype=object),
        "instrument": opts["project_id"].map(proj["instrument"]).to_numpy(dtype=object),
        "commodity": opts["project_id"].map(proj["commodity"]).to_numpy(dtype=object),
        "stage": opts["project_id"].map(proj["stage"]).to_numpy(dtype=object),
        "delivers_to": opts["need"].str.split("|").str[2].to_numpy(dtype=object),
        "cost_usd": opts["project_id"].map(proj["cost_usd"]).to_numpy(dtype=float),
        "output_t": opts["project_id"].map(proj["output_t"]).to_numpy(dtype=float)})
    stocks = stocks[stocks > 1e-6]
    so = inst.stock_options.loc[stocks.index]
    st = pd.DataFrame({"holder": so["holder"].to_numpy(dtype=object),
                       "holder_name": so["holder"].map(HOLDER_NAME).to_numpy(dtype=object),
                       "commodity": so["commodity"].to_numpy(dtype=object),
                       "stock_t": stocks.to_numpy(dtype=float),
                       "cost_usd": stocks.to_numpy(dtype=float) * so["cost_usd_t"].to_numpy()})
    exp, cvar = risk(inst, losses(inst, inst.added(options, stocks)))
    spend = {f: float(sel.loc[sel["funder"] == f, "cost_usd"].sum()
                      + st.loc[st["holder"] == f, "cost_usd"].sum()) for f in inst.budgets}
    fiscal = float(sum(spend[f] * (VEHICLE_NET_COST if f == "JPN_vehicle" else 1.0)
                       for f in spend))
    binding = [f for f, b in inst.budgets.items() if spend[f] >= b * 0.98 and b > 0] \
        if status != "heuristic" else []
    return Solution(selected=sel, stocks=st, objective_usd=exp + inst.cvar_weight * cvar
                    + fiscal, expected_loss_usd=exp, cvar_usd=cvar, fiscal_usd=fiscal,
                    spend_by_funder=spend, binding_budgets=binding, mip_gap=mip_gap,
                    status=status)


def solve(inst: StagedInstance, mip_gap: float = 0.01, time_limit: float = 300.0,
          threads: int = 1) -> Solution:
    """Build and solve with HiGHS; raise InfeasibleError if no solution."""
    return solve_model(inst, build_model(inst), mip_gap, time_limit, threads)


def solve_model(inst: StagedInstance, m: linopy.Model, mip_gap: float = 0.01,
                time_limit: float = 300.0, threads: int = 1) -> Solution:
    """Solve ``m``, the program of ``inst`` (:func:`build_model`), with HiGHS."""
    # doing nothing is always feasible (budgets >= 0), so an infeasible verdict is
    # numerical: solve once more without presolve before giving up
    for presolve in ("choose", "off"):  # HiGHS's default, then none
        with _banner_to_stderr():
            status, condition = m.solve(solver_name="highs", io_api="direct",
                                        mip_rel_gap=mip_gap, time_limit=time_limit,
                                        threads=threads, output_flag=False,
                                        presolve=presolve)
        if status == "ok" or condition in ("optimal", "time_limit"):
            break
    else:
        raise InfeasibleError(f"solver: {status} / {condition}")
    chosen = []
    if "support" in m.variables:
        x = m.variables["support"].solution.to_pandas()
        chosen = list(x[x > 0.5].index)
    stocks = pd.Series(dtype=float)
    if "stock" in m.variables:
        stocks = m.variables["stock"].solution.to_pandas().astype(float)
    stocks = _within_budgets(inst, chosen, stocks)
    gap = None
    try:
        gap = float(m.solver_model.getInfo().mip_gap)
    except Exception:
        gap = None
    if gap is not None and not np.isfinite(gap):
        gap = None
    return _solution(inst, chosen, stocks, condition, gap)


def _within_budgets(inst: StagedInstance, chosen: list[str], stocks: pd.Series) -> pd.Series:
    """Stock tonnages (t) scaled down where the solver's feasibility tolerance let a
    holder's spending pass its budget (USD; seen: 1.5 USD on a 0.75 USD budget, since
    the solver works in USD m)."""
    stocks = stocks.clip(lower=0.0)
    if stocks.empty:
        return stocks
    so = inst.stock_options.loc[stocks.index]
    opts = inst.options.loc[chosen]
    for holder, budget in inst.budgets.items():
        mine = (so["holder"] == holder).to_numpy()
        cost = float((stocks[mine] * so.loc[mine, "cost_usd_t"]).sum())
        projects = float(inst.projects.loc[opts.loc[opts["funder"] == holder, "project_id"],
                                           "cost_usd"].sum())
        room = max(budget - projects, 0.0)
        if cost > room:
            stocks[mine] = stocks[mine] * (room / cost)
    return stocks


# --------------------------------------------------------------------------- cut programs
# A coalition game (critmin.optimize.coalitions) solves the program of every coalition of
# its partners, and each coalition's program is the grand coalition's restricted to its
# own needs, options, stocks and regions, with its pooled budget: building it anew in
# linopy (about 1 s each) cost more than solving it. :func:`program` builds the grand
# coalition's once and :meth:`Program.cut` keeps the columns and rows of one coalition,
# in the order linopy lays them out, so HiGHS receives the very arrays it would have
# received from the coalition's own linopy model (tests/optimize/test_coalitions_cut.py
# compares them array for array).

_VAR_KEY = {"unmet": "need", "support": "option", "stock": "stock_option",
            "value_at_risk": "region", "excess": "region"}
_CON_KEY = {"one_funder": "project", "cover_gap": "need", "budget": "funder",
            "cvar_tail": "region"}


def _label_keys(items, dims: dict, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Name and element (the coordinate named in ``dims``) of each of ``labels`` (active
    labels of linopy variables or constraints ``items``, as the model's matrices lay them
    out)."""
    top = max((int(it.labels.max()) for _, it in items.items()), default=-1) + 1
    name_of = np.full(top, None, dtype=object)
    key_of = np.full(top, None, dtype=object)
    for name, item in items.items():
        lab = item.labels
        flat = lab.values.ravel()
        ok = flat != -1
        name_of[flat[ok]] = name
        dim = dims.get(name)
        if dim in lab.dims:  # else (a single CVaR over all regions) no element
            key_of[flat[ok]] = lab.coords[dim].broadcast_like(lab).transpose(
                *lab.dims).values.ravel()[ok]
    return name_of[labels], key_of[labels]


@dataclass
class Program:
    """A program as linopy hands it to HiGHS (its matrices after linopy's zero and
    infinity sanitising), each column and row named by its variable or constraint and
    the element it belongs to (need, option, stock option, project, funder or region)."""

    c: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    binary: np.ndarray
    A: Any  # scipy.sparse CSR array (rows x columns) or None
    b: np.ndarray
    sense: np.ndarray
    var: np.ndarray
    vkey: np.ndarray
    con: np.ndarray
    ckey: np.ndarray
    scenarios: int
    funders: tuple  # the funders of the instance it was built from (_funders)

    def rebudget(self, inst: StagedInstance) -> Program:
        """The program of ``inst``, an instance that differs from the one this program
        was built from in its budgets' amounts only (the budget-risk frontier): its
        budgets as the right-hand side. ValueError where its funders differ."""
        if inst.gap_t.sizes["scenario"] != self.scenarios:
            raise ValueError("the instance has other scenarios")
        if _funders(inst) != self.funders:
            raise ValueError("the instance has other funders")
        rows = self.con == "budget"
        b = self.b.copy()
        b[rows] = [inst.budgets[k] / MONEY for k in self.ckey[rows]]
        return dataclasses.replace(self, b=b)

    def cut(self, inst: StagedInstance) -> Program:
        """The program of ``inst``, an instance whose needs, options, stock options and
        scenarios are among those of the instance this program was built from (a
        coalition's, :func:`critmin.optimize.coalitions.coalition_instance`): its columns
        and rows, and its budgets as the right-hand side. ValueError where ``inst`` has an
        element this program lacks."""
        if not inst.cvar_by_region:
            raise ValueError("only a regional-CVaR program (cvar_by_region) is cut")
        if inst.gap_t.sizes["scenario"] != self.scenarios:
            raise ValueError("the instance has other scenarios")
        act = _actionable(inst)
        funders, opts, so = _buyable(inst, act)
        regions = set(inst.needs["region"])
        buys = len(act) > 0 and (len(opts) > 0 or len(so) > 0)
        want_v = {"unmet": set(act), "support": set(opts.index) if len(act) else set(),
                  "stock": set(so.index) if len(act) else set(),
                  "value_at_risk": regions, "excess": regions}
        want_c = {"one_funder": set(opts["project_id"]) if len(act) else set(),
                  "cover_gap": set(act), "budget": set(funders) if buys else set(),
                  "cvar_tail": regions}
        cols = np.array([k in want_v[n] for n, k in zip(self.var, self.vkey, strict=True)],
                        dtype=bool)
        rows = np.array([k in want_c[n] for n, k in zip(self.con, self.ckey, strict=True)],
                        dtype=bool)
        for want, names, keys, keep in ((want_v, self.var, self.vkey, cols),
                                        (want_c, self.con, self.ckey, rows)):
            for n, elements in want.items():
                if set(keys[keep & (names == n)]) != elements:
                    raise ValueError(f"{n}: the instance has elements this program lacks")
        b = self.b[rows].copy()
        for j, (n, k) in enumerate(zip(self.con[rows], self.ckey[rows], strict=True)):
            if n == "budget":
                b[j] = inst.budgets[k] / MONEY
        A = None
        if self.A is not None and rows.any():
            import scipy.sparse

            A0 = self.A
            new = np.full(A0.shape[1], -1, dtype=np.int64)
            new[cols] = np.arange(int(cols.sum()))
            row_of = np.repeat(np.arange(A0.shape[0]), np.diff(A0.indptr))
            keep = rows[row_of] & (new[A0.indices] >= 0)
            counts = np.bincount(row_of[keep], minlength=A0.shape[0])[rows]
            A = scipy.sparse.csr_array(
                (A0.data[keep], new[A0.indices[keep]].astype(A0.indices.dtype),
                 np.r_[0, np.cumsum(counts)].astype(A0.indptr.dtype)),
                shape=(int(rows.sum()), int(cols.sum())))
        return dataclasses.replace(
            self, c=self.c[cols], lb=self.lb[cols], ub=self.ub[cols],
            binary=self.binary[cols], A=A, b=b, sense=self.sense[rows], var=self.var[cols],
            vkey=self.vkey[cols], con=self.con[rows], ckey=self.ckey[rows])


def program(inst: StagedInstance, m: linopy.Model | None = None) -> Program:
    """The program of ``inst`` (``m``, else :func:`build_model`) as HiGHS receives it, to
    cut the programs of sub-instances from (:meth:`Program.cut`) or solve it again with
    other budgets (:meth:`Program.rebudget`)."""
    m = build_model(inst) if m is None else m
    m.constraints.sanitize_zeros()  # as linopy's Model.solve does before it builds
    m.constraints.sanitize_infinities()
    M = m.matrices
    if not (M.var_scaling == 1).all():
        raise ValueError("scaled variables")
    var, vkey = _label_keys(m.variables, _VAR_KEY, M.vlabels)
    con, ckey = _label_keys(m.constraints, _CON_KEY, M.clabels)
    return Program(c=np.asarray(M.c, dtype=float), lb=M.lb, ub=M.ub,
                   binary=M.vtypes == "B", A=M.A, b=M.b, sense=M.sense, var=var, vkey=vkey,
                   con=con, ckey=ckey, scenarios=inst.gap_t.sizes["scenario"],
                   funders=_funders(inst))


def _run_highs(prog: Program, **options) -> tuple[Any, str, str]:
    """HiGHS on ``prog`` with the calls linopy's direct interface makes (columns, their
    integrality and costs, rows, then the options): (solver, status, condition) in
    linopy's words."""
    import highspy
    from linopy.constants import Status

    h = highspy.Highs()
    n = len(prog.c)
    h.addVars(n, prog.lb, prog.ub)
    if prog.binary.any():
        cols = np.arange(n)[prog.binary]
        h.changeColsIntegrality(len(cols), cols, np.ones(len(cols), dtype=np.uint8))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), prog.c)
    if prog.A is not None:
        A = prog.A.tocsr()
        lower = np.where(prog.sense != "<", prog.b, -np.inf)
        upper = np.where(prog.sense != ">", prog.b, np.inf)
        h.addRows(A.shape[0], lower, upper, A.nnz, A.indptr, A.indices, A.data)
    for k, v in options.items():
        h.setOptionValue(k, v)
    h.run()
    S = highspy.HighsModelStatus
    condition = {S.kOptimal: "optimal", S.kTimeLimit: "time_limit",
                 S.kIterationLimit: "iteration_limit", S.kObjectiveBound: "terminated_by_limit",
                 S.kObjectiveTarget: "terminated_by_limit",
                 S.kSolutionLimit: "terminated_by_limit", S.kInfeasible: "infeasible",
                 S.kUnboundedOrInfeasible: "infeasible_or_unbounded",
                 S.kUnbounded: "unbounded", S.kMemoryLimit: "resource_interrupt",
                 S.kInterrupt: "user_interrupt"}.get(h.getModelStatus(), "unknown")
    status = Status.from_termination_condition(condition).status.value
    return h, status, condition


def solve_program(inst: StagedInstance, prog: Program, mip_gap: float = 0.01,
                  time_limit: float = 300.0, threads: int = 1) -> Solution:
    """As :func:`solve`, on ``prog`` (the program of ``inst``, e.g. cut from a larger
    one) instead of a linopy model built anew: the same solver calls, the same answer."""
    inst.check()
    for presolve in ("choose", "off"):
        with _banner_to_stderr():
            h, status, condition = _run_highs(prog, mip_rel_gap=mip_gap,
                                              time_limit=time_limit, threads=threads,
                                              output_flag=False, presolve=presolve)
        if status == "ok" or condition in ("optimal", "time_limit"):
            break
    else:
        raise InfeasibleError(f"solver: {status} / {condition}")
    x = np.asarray(h.getSolution().col_value, dtype=np.float64) if status in ("ok", "unknown") \
        else np.full(len(prog.c), np.nan)
    chosen = list(prog.vkey[(prog.var == "support") & (x > 0.5)])
    st = prog.var == "stock"
    stocks = pd.Series(dtype=float)
    if st.any():
        stocks = pd.Series(x[st], index=pd.Index(prog.vkey[st], name="stock_option"),
                           dtype=float)
    stocks = _within_budgets(inst, chosen, stocks)
    gap = None
    try:
        gap = float(h.getInfo().mip_gap)
    except Exception:
        gap = None
    if gap is not None and not np.isfinite(gap):
        gap = None
    return _solution(inst, chosen, stocks, condition, gap)


def greedy(inst: StagedInstance) -> Solution:
    """Benefit-per-dollar ranking over (project, funder) options: each option's stand-alone
    reduction of expected loss + lambda CVaR less its cost, divided by its cost; taken in
    that order while its funder has budget and its project is not yet taken (no stocks)."""
    inst.check()
    base_exp, base_cvar = risk(inst, losses(inst))
    base = base_exp + inst.cvar_weight * base_cvar
    opts = inst.options[inst.options["funder"].isin(list(inst.budgets))]
    gap = inst.gap_t.values
    q = inst.option_supply().sel(option=list(opts.index)).values if len(opts) else \
        np.zeros((len(gap), 0))
    col = {n: j for j, n in enumerate(inst.gap_t.indexes["need"])}
    value = inst.needs["value_usd_t"].to_numpy(float)
    benefit = []
    for k, (_o, row) in enumerate(opts.iterrows()):
        j = col[row["need"]]
        loss = gap @ value - (gap[:, j] - np.maximum(gap[:, j] - q[:, k], 0.0)) * value[j]
        e, c = risk(inst, loss)
        cost = inst.projects.at[row["project_id"], "cost_usd"]
        w = VEHICLE_NET_COST if row["funder"] == "JPN_vehicle" else 1.0
        benefit.append((base - (e + inst.cvar_weight * c) - cost * w) / max(cost, 1.0))
    ratio = pd.Series(benefit, index=opts.index, dtype=float)
    left = dict(inst.budgets)
    chosen, taken = [], set()
    for o in ratio.sort_values(ascending=False, kind="stable").index:
        if ratio[o] <= 0:
            break
        pid, f = opts.at[o, "project_id"], opts.at[o, "funder"]
        cost = inst.projects.at[pid, "cost_usd"]
        if pid in taken or left[f] < cost:
            continue
        left[f] -= cost
        chosen.append(o)
        taken.add(pid)
    return _solution(inst, chosen, pd.Series(dtype=float), "heuristic", None)


def stage_order(stage: str) -> int:
    return STAGES.index(stage) if stage in STAGES else len(STAGES)
