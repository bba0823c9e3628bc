"""Two-stage stochastic portfolio of projects and stockpiles, built with linopy, solved
with HiGHS.

First stage: which candidate projects to support and by which funder (U.S., Japan, or
the Japanese investment vehicle of the 2025 trade deal, for projects located in the
U.S.), and stockpile levels by holder and commodity. Second stage, per sampled
disruption scenario: stock releases and the U.S.+Japan shortfall that remains::

    min  E_s[L_s] + lambda * CVaR_alpha(L_s) + fiscal cost
    L_s = sum_c v_c * unmet[s, c]                          (USD of unmet demand)
    unmet[s, c] >= gap[s, c] - sum_p q[s, p] x[p] 1{p makes c} - sum_h release[s, h, c]
    release[s, h, c] <= stock[h, c]      (free to release, so = stock[h, c] at the optimum)
    sum_p cost[p] x[p, f] + sum_c stock_cost[c] stock[f, c] <= budget[f]

``gap`` is the tonnage the Monte Carlo says U.S. and Japanese buyers miss over the horizon;
``q[p]`` the project's output inside the horizon after its lead time (zero if it comes
online too late, so such a project is never chosen), times, for plants making a derivative
product, the share of their inputs (bill of materials) that U.S. buyers obtain in that
scenario: a magnet plant without dysprosium delivers little. CVaR follows Rockafellar & Uryasev
(2000). No Python loop over scenarios or projects: every block is one labelled array.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, field
from typing import Protocol

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from critmin.market.model import HOLDERS

FUNDERS = ("USA", "JPN", "JPN_vehicle")
VEHICLE_NET_COST = 0.5
"""Share of an outlay by the US$550 bn vehicle that is a fiscal cost to Japan: cash flows
are split 50/50 until Japan recoups its principal, then 90/10 to the U.S. (St. Louis Fed);
a project that only breaks even returns Japan half its outlay. An estimate."""
STOCK_CARRY = 0.05
"""Annual carrying cost of a stockpile (storage and interest) as a share of its value; an
estimate."""


class InfeasibleError(ValueError):
    """The inputs admit no solution (e.g. negative budget, no candidates)."""


@dataclass
class Instance:
    """Everything the optimiser needs, as labelled arrays."""

    projects: pd.DataFrame  # index project_id: commodity, country, output_t, cost_usd,
    #                        instrument
    gap_t: xr.DataArray  # (scenario, commodity) t unmet for U.S.+Japan over the horizon
    value_usd_t: pd.Series  # commodity -> USD per t short
    stock_cost_usd_t: pd.Series  # commodity -> USD per t stockpiled (purchase + carry)
    budgets: dict  # funder -> USD
    cvar_alpha: float = 0.95
    cvar_weight: float = 1.0
    allow_stocks: bool = True
    input_availability: xr.DataArray | None = None  # (scenario, project) share 0-1
    meta: dict = field(default_factory=dict)

    def deliveries(self) -> xr.DataArray:
        """(scenario, project) t a project delivers: its output inside the horizon times the
        share of its inputs available in that scenario (1 where it needs none)."""
        out = xr.DataArray(self.projects["output_t"].to_numpy(dtype=float),
                           coords=[pd.Index(self.projects.index, name="project")])
        if self.input_availability is None:
            return out.expand_dims(scenario=self.gap_t.indexes["scenario"])
        return out * self.input_availability.reindex(project=out["project"]).fillna(1.0)

    def supply(self, project_ids) -> np.ndarray:
        """(S, C) t delivered per scenario and commodity by the given projects."""
        comm = list(self.gap_t.indexes["commodity"])
        out = np.zeros(self.gap_t.shape)
        if len(project_ids) == 0:
            return out
        d = self.deliveries().sel(project=list(project_ids)).transpose("scenario", "project")
        for j, c in enumerate(self.projects.loc[list(project_ids), "commodity"]):
            if c in comm:
                out[:, comm.index(c)] += d.values[:, j]
        return out

    def check(self) -> None:
        check_inputs(self)


@dataclass
class Solution:
    selected: pd.DataFrame  # project_id, funder, instrument, cost_usd, output_t
    stocks: pd.DataFrame  # holder, commodity, stock_t, cost_usd
    objective_usd: float
    expected_loss_usd: float
    cvar_usd: float
    fiscal_usd: float
    spend_by_funder: dict
    binding_budgets: list[str]
    mip_gap: float | None
    status: str


def losses(inst: Instance, supply_t: np.ndarray | None = None,
           stock_t: pd.Series | None = None) -> np.ndarray:
    """Loss per scenario (USD) given delivered supply (S, C) and stocks per commodity."""
    gap = inst.gap_t.values
    comm = list(inst.gap_t.indexes["commodity"])
    add = np.zeros_like(gap) if supply_t is None else supply_t
    if stock_t is not None:
        add = add + stock_t.reindex(comm).fillna(0.0).to_numpy()[None, :]
    unmet = np.maximum(gap - add, 0.0)
    return unmet @ inst.value_usd_t.reindex(comm).to_numpy()


def cvar(loss: np.ndarray, alpha: float) -> float:
    """CVaR at ``alpha`` of equally likely values: the mean of the worst (1 - alpha)
    share, the boundary value weighted by its fraction (Rockafellar & Uryasev, as the
    program's linear form computes it)."""
    s = np.sort(np.asarray(loss, dtype=float))[::-1]
    tail = (1 - alpha) * len(s)
    if tail <= 1:
        return float(s[0])
    k = int(np.floor(tail))
    part = s[:k].sum() + (tail - k) * (s[k] if k < len(s) else 0.0)
    return float(part / tail)


Expr = linopy.LinearExpression | linopy.Variable | int
"""A linear expression summed up from 0 (a funder's spend, a need's cover)."""


class Tail(Protocol):
    """An instance that names its CVaR level (Instance, StagedInstance)."""

    cvar_alpha: float


def risk(inst: Tail, loss: np.ndarray) -> tuple[float, float]:
    """Expected loss and CVaR at ``inst.cvar_alpha`` of a loss vector (USD)."""
    return float(np.mean(loss)), cvar(loss, inst.cvar_alpha)


def build_model(inst: Instance) -> linopy.Model:
    """The two-stage program as a linopy model (not yet solved)."""
    inst.check()
    linopy.options["semantics"] = "v1"
    proj = inst.projects
    scen = inst.gap_t.indexes["scenario"]
    comm = inst.gap_t.indexes["commodity"]
    p_idx = pd.Index(proj.index, name="project")
    funders = pd.Index([f for f in FUNDERS if f in inst.budgets], name="funder")
    m = linopy.Model()
    eligible = xr.DataArray(
        np.array([[f != "JPN_vehicle" or c == "USA" for f in funders]
                  for c in proj["country"]]),
        coords=[p_idx, funders])
    support = m.add_variables(binary=True, coords=[p_idx, funders], name="support",
                              mask=eligible)
    x = support.fillna(0)  # ineligible (project, funder) pairs contribute nothing
    m.add_constraints(x.sum("funder") <= 1, name="one_funder")
    unmet = m.add_variables(lower=0, coords=[scen, comm], name="unmet")
    out = inst.deliveries()  # (scenario, project)
    supplied = (x.sum("funder") * out).groupby(
        xr.DataArray(proj["commodity"].to_numpy(), coords=[p_idx], name="commodity")).sum()
    supplied = supplied.reindex(commodity=comm).fillna(0)  # commodities without projects
    value = xr.DataArray(inst.value_usd_t.reindex(comm).to_numpy(), coords=[comm])
    rhs = inst.gap_t
    if inst.allow_stocks:
        holders = pd.Index(list(HOLDERS), name="holder")
        stock = m.add_variables(lower=0, coords=[holders, comm], name="stock")
        # releasing is free, so every scenario releases all stock it can use
        # (release[s, h, c] = stock[h, c]): no per-scenario release variables
        m.add_constraints(unmet + supplied + stock.sum("holder") >= rhs, name="cover_gap")
    else:
        m.add_constraints(unmet + supplied >= rhs, name="cover_gap")
    loss = (unmet * value).sum("commodity")
    eta = m.add_variables(name="value_at_risk")
    excess = m.add_variables(lower=0, coords=[scen], name="excess")
    m.add_constraints(excess >= loss - eta, name="cvar_tail")
    cost = xr.DataArray(proj["cost_usd"].to_numpy(), coords=[p_idx])
    weight = xr.DataArray([VEHICLE_NET_COST if f == "JPN_vehicle" else 1.0 for f in funders],
                          coords=[funders])
    spend = (x * cost).sum("project")
    if inst.allow_stocks:
        scost = xr.DataArray(inst.stock_cost_usd_t.reindex(comm).to_numpy(), coords=[comm])
        stock_spend = (stock * scost).sum("commodity").rename(holder="funder")
        spend = spend + stock_spend.reindex(funder=funders.values).fillna(0)
    budgets = xr.DataArray([inst.budgets[f] for f in funders], coords=[funders])
    m.add_constraints(spend <= budgets, name="budget")
    n = scen.size
    fiscal = (x * cost * weight).sum()
    if inst.allow_stocks:
        fiscal = fiscal + (stock * scost).sum()
    m.add_objective(loss.sum() / n + inst.cvar_weight * (
        eta + excess.sum() / ((1 - inst.cvar_alpha) * n)) + fiscal)
    return m


@contextlib.contextmanager
def _banner_to_stderr():
    """HiGHS prints its banner on the C-level stdout even with output off; send it to the
    null device so neither --json nor the terminal sees it (the solver's status is read
    from its return value)."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
        null = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError):
        yield
        return
    try:
        os.dup2(null, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def solve(inst: Instance, mip_gap: float = 0.01, time_limit: float = 300.0,
          threads: int = 1) -> Solution:
    """Build and solve with HiGHS; raise InfeasibleError if no solution."""
    m = build_model(inst)
    with _banner_to_stderr():
        status, condition = m.solve(solver_name="highs", io_api="direct",
                                    mip_rel_gap=mip_gap, time_limit=time_limit,
                                    threads=threads, output_flag=False)
    if status != "ok" and condition not in ("optimal", "time_limit"):
        raise InfeasibleError(f"solver: {status} / {condition}")
    x = m.variables["support"].solution.fillna(0).to_pandas()
    picks = x.stack()
    picks = picks[picks > 0.5].reset_index()
    picks.columns = ["project_id", "funder", "chosen"]
    picks = picks.astype({"project_id": object, "funder": object})
    proj = inst.projects
    sel = picks.drop(columns="chosen").assign(
        instrument=lambda d: d["project_id"].map(proj["instrument"]),
        commodity=lambda d: d["project_id"].map(proj["commodity"]),
        cost_usd=lambda d: d["project_id"].map(proj["cost_usd"]),
        output_t=lambda d: d["project_id"].map(proj["output_t"]))
    if inst.allow_stocks:
        st = m.variables["stock"].solution.to_pandas().stack().rename("stock_t").reset_index()
        st = st[st["stock_t"] > 1e-6].copy()
        st["cost_usd"] = st["stock_t"].astype(float) * st["commodity"].map(
            inst.stock_cost_usd_t).astype(float)
    else:
        st = pd.DataFrame(columns=["holder", "commodity", "stock_t", "cost_usd"])
    stock_by_c = st.groupby("commodity")["stock_t"].sum() if len(st) else None
    exp, cvar = risk(inst, losses(inst, inst.supply(sel["project_id"]), stock_by_c))
    spend = {f: float(sel.loc[sel["funder"] == f, "cost_usd"].sum()
                      + st.loc[st["holder"] == f, "cost_usd"].sum()) for f in inst.budgets}
    fiscal = float(sum(spend[f] * (VEHICLE_NET_COST if f == "JPN_vehicle" else 1.0)
                       for f in spend))
    binding = [f for f, b in inst.budgets.items() if spend[f] >= b * 0.98 and b > 0]
    gap = None
    try:
        gap = float(m.solver_model.getInfo().mip_gap)
    except Exception:
        gap = None
    return Solution(selected=sel, stocks=st.reset_index(drop=True),
                    objective_usd=exp + inst.cvar_weight * cvar + fiscal,
                    expected_loss_usd=exp,
                    cvar_usd=cvar, fiscal_usd=fiscal, spend_by_funder=spend,
                    binding_budgets=binding, mip_gap=gap, status=condition)


def greedy(inst: Instance) -> Solution:
    """Benefit-per-dollar ranking: each project's stand-alone reduction of the objective
    (expected loss + lambda CVaR) divided by its cost; fund in that order while some
    eligible funder has budget left (no stockpiles)."""
    inst.check()
    proj = inst.projects
    base_exp, base_cvar = risk(inst, losses(inst))
    base = base_exp + inst.cvar_weight * base_cvar
    benefit = []
    for pid, row in proj.iterrows():
        e, c = risk(inst, losses(inst, inst.supply([pid])))
        benefit.append(base - (e + inst.cvar_weight * c) - row["cost_usd"])
    ratio = pd.Series(benefit, index=proj.index) / proj["cost_usd"].clip(lower=1.0)
    left = dict(inst.budgets)
    chosen = []
    for pid in ratio.sort_values(ascending=False).index:
        if ratio[pid] <= 0:
            break
        row = proj.loc[pid]
        for f in FUNDERS:
            if f in left and (f != "JPN_vehicle" or row["country"] == "USA") \
                    and left[f] >= row["cost_usd"]:
                left[f] -= row["cost_usd"]
                chosen.append((pid, f))
                break
    sel = pd.DataFrame(chosen, columns=["project_id", "funder"])
    sel["instrument"] = sel["project_id"].map(proj["instrument"])
    sel["commodity"] = sel["project_id"].map(proj["commodity"])
    sel["cost_usd"] = sel["project_id"].map(proj["cost_usd"])
    sel["output_t"] = sel["project_id"].map(proj["output_t"])
    exp, cvar = risk(inst, losses(inst, inst.supply(sel["project_id"])))
    spend = {f: inst.budgets[f] - left[f] for f in inst.budgets}
    fiscal = float(sum(spend[f] * (VEHICLE_NET_COST if f == "JPN_vehicle" else 1.0)
                       for f in spend))
    return Solution(selected=sel, stocks=pd.DataFrame(columns=["holder", "commodity",
                                                                "stock_t", "cost_usd"]),
                    objective_usd=exp + inst.cvar_weight * cvar + fiscal,
                    expected_loss_usd=exp, cvar_usd=cvar, fiscal_usd=fiscal,
                    spend_by_funder=spend, binding_budgets=[], mip_gap=None,
                    status="heuristic")


def check_inputs(inst, extra_funders: tuple = ()) -> None:
    """Raise InfeasibleError for an instance (v1 or v2) with a negative or unknown budget,
    a CVaR level outside (0, 1) or a negative scenario gap (t)."""
    bad = {f: b for f, b in inst.budgets.items() if b < 0}
    if bad:
        raise InfeasibleError(f"negative budget: {bad}")
    unknown = set(inst.budgets) - set(FUNDERS) - set(extra_funders)
    if unknown:
        raise InfeasibleError(f"unknown funders {sorted(unknown)}; use {FUNDERS}")
    if not 0 < inst.cvar_alpha < 1:
        raise InfeasibleError("cvar_alpha must be in (0, 1)")
    if (inst.gap_t < 0).any():
        raise InfeasibleError("negative shortfall in the scenario gaps")
