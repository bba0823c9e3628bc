"""Coalitions: joint funding by partners and who pays what (docs/optimisation.md,
"Coalitions").

The game: the worth v(S) of a coalition S is the security it buys with its pooled
budgets when only its members' buyers count: the fall in the expected loss (USD) of S's
regions plus lambda times the sum of each region's own CVaR 95 %, less the fiscal cost
of the portfolio it chooses (the staged program with one pooled funder; a project
delivers to any one region of S: the coalition negotiates its offtake, so a partner
joining never takes an offtake away). Summed per region, the risk adds up over
partners, so the game is superadditive (two coalitions pooled can still buy both
portfolios); the CVaR of the coalition's summed loss does not, and with it adding a
partner could lower a coalition's worth. A partner without importing needs (Australia)
brings its budget and hosts projects. The grand coalition's cost is shared by the
Shapley value and, beside it, by the nucleolus (the stable rule: in the core whenever
the core is not empty), each as a share of the worth it creates.
"""

from __future__ import annotations

import dataclasses
import itertools
from math import factorial

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from critmin.optimize import staged
from critmin.optimize.portfolio import InfeasibleError, risk
from critmin.optimize.staged import POOL, StagedInstance

PARTNERS = ("USA", "JPN", "AUS", "KOR", "EU")
"""Partners a coalition may name (the framework's members and named partners)."""
GAME_SAMPLES = 200
"""Scenarios (the first ones) on which the 2^n - 1 coalition programs are solved."""
GAME_GAP = 1e-4
"""Relative MIP gap of the coalition programs: at the portfolio's 1 % a partner's
marginal worth (tens of USD m) drowns in the solver's tolerance (1 % of USD bn)."""


def shapley(players: list, v: dict) -> dict:
    """Shapley value of the game ``v`` (frozenset -> worth)."""
    n = len(players)
    out = dict.fromkeys(players, 0.0)
    for i in players:
        rest = [p for p in players if p != i]
        for r in range(n):
            w = factorial(r) * factorial(n - r - 1) / factorial(n)
            for combo in itertools.combinations(rest, r):
                S = frozenset(combo)
                out[i] += w * (v[S | {i}] - v[S])
    return out


def nucleolus(players: list, v: dict, tol: float = 1e-7) -> dict:
    """Nucleolus of ``v`` by sequential LPs (maximise the smallest excess
    x(S) - v(S), fix the coalitions tight at every optimum, repeat)."""
    n = len(players)
    idx = {p: j for j, p in enumerate(players)}
    coal = [frozenset(S) for r in range(1, n) for S in itertools.combinations(players, r)]
    grand = frozenset(players)
    scale = max(1.0, max(abs(x) for x in v.values()))

    def row(S):
        a = np.zeros(n + 1)
        for p in S:
            a[idx[p]] = 1.0
        return a

    fixed: dict = {grand: v[grand] / scale}
    free = list(coal)
    x = np.full(n, v[grand] / scale / n)
    while free:
        # variables x_1..x_n, eps; maximise eps: x(S) - eps >= v(S) for free S
        A_ub = [(-row(S)) + np.eye(n + 1)[n] for S in free]
        b_ub = [-v[S] / scale for S in free]
        A_eq = [[*row(S)[:n].tolist(), 0.0] for S in fixed]
        b_eq = list(fixed.values())
        c = np.zeros(n + 1)
        c[n] = -1.0
        res = linprog(c, A_ub=np.array(A_ub), b_ub=b_ub, A_eq=np.array(A_eq), b_eq=b_eq,
                      bounds=[(None, None)] * (n + 1), method="highs")
        if res.status != 0:
            break
        eps = res.x[n]
        x = res.x[:n]
        newly = []
        for S in free:  # tight at every optimum: cannot be made slack with eps fixed
            if abs(row(S)[:n] @ x - v[S] / scale - eps) > tol:
                continue
            c2 = -row(S)[:n]
            A2 = [(-row(T))[:n] for T in free]
            b2 = [-(v[T] / scale + eps) for T in free]
            r2 = linprog(np.r_[c2], A_ub=np.array(A2), b_ub=b2,
                         A_eq=np.array([row(T)[:n] for T in fixed]), b_eq=b_eq,
                         bounds=[(None, None)] * n, method="highs")
            if r2.status != 0 or -r2.fun - v[S] / scale - eps <= tol:
                newly.append(S)
        if not newly:
            break
        for S in newly:
            fixed[S] = v[S] / scale + eps
            free.remove(S)
    return {p: float(x[idx[p]] * scale) for p in players}


def in_core(players: list, v: dict, alloc: dict, tol: float = 1e-6) -> bool:
    """Whether no coalition gets less than its worth from ``alloc``."""
    scale = max(1.0, max(abs(x) for x in v.values()))
    return all(sum(alloc[p] for p in S) >= v[S] - tol * scale for S in v if S)


def coalition_instance(full: StagedInstance, members: frozenset, budgets: dict,
                       samples: int | None = GAME_SAMPLES) -> StagedInstance:
    """The staged program of coalition ``members`` on ``full`` (an instance counting
    every region): its regions' needs, one pooled budget, each project delivering to
    any one member region."""
    regions = [r for r in staged.COUNTABLE if r in members]
    scen = full.gap_t.indexes["scenario"][:samples] if samples else \
        full.gap_t.indexes["scenario"]
    needs = full.needs[full.needs["region"].isin(regions)]
    rows = []
    for pid, row in full.projects.iterrows():
        nd = f"{row['commodity']}|{row['stage']}|"
        for r in regions:
            if nd + r in needs.index:
                rows.append(dict(option=f"{pid}@{POOL}>{r}", project_id=pid, funder=POOL,
                                 need=nd + r))
    options = pd.DataFrame(rows, columns=["option", "project_id", "funder", "need"]
                           ).set_index("option")
    so = full.stock_options
    so = so[so["holder"].isin(regions) & so["need"].isin(needs.index)].assign(funder=POOL)
    pooled = float(sum(budgets.get(p, 0.0) for p in members))
    return dataclasses.replace(
        full, needs=needs, cvar_by_region=True,
        gap_t=full.gap_t.sel(scenario=scen, need=needs.index),
        gap_period=None if full.gap_period is None else full.gap_period.sel(
            scenario=scen, need=needs.index),
        options=options, availability=full.availability.sel(scenario=scen),
        stock_options=so, budgets={POOL: pooled},
        meta={**full.meta, "regions": regions, "coalition": sorted(members)})


def _portfolio_value(inst: StagedInstance, solve=None) -> tuple[float, dict]:
    """Worth (USD) of a coalition instance's optimal portfolio and its parts; ``solve``
    (instance -> solution) solves its program (default: built anew)."""
    if not len(inst.needs):
        return 0.0, {"fiscal_usd": 0.0, "benefit_usd": 0.0}
    u0 = staged.unmet_t(inst)
    e0, c0 = staged.regional_risk(inst, u0)
    if inst.budgets[POOL] <= 0:
        return 0.0, {"fiscal_usd": 0.0, "benefit_usd": 0.0}
    sol = solve(inst) if solve is not None else staged.solve(inst, mip_gap=GAME_GAP)
    opts = [f"{p}@{POOL}>{r}" for p, r in zip(sol.selected["project_id"],
                                              sol.selected["delivers_to"], strict=True)]
    stocks = pd.Series(sol.stocks["stock_t"].to_numpy(float),
                       index=[f"{h}|{c}" for h, c in zip(sol.stocks["holder"],
                                                         sol.stocks["commodity"],
                                                         strict=True)], dtype=float)
    u1 = staged.unmet_t(inst, inst.added(opts, stocks))
    e1, c1 = staged.regional_risk(inst, u1)
    fiscal = float(sol.selected["cost_usd"].sum() + sol.stocks["cost_usd"].sum())
    benefit = (e0 + inst.cvar_weight * c0) - (e1 + inst.cvar_weight * c1)
    value = inst.needs["value_usd_t"].to_numpy(float)
    by_region = {}
    for r in inst.meta["regions"]:
        cols = (inst.needs["region"] == r).to_numpy()
        eb, cb = risk(inst, u0[:, cols] @ value[cols])
        ea, ca = risk(inst, u1[:, cols] @ value[cols])
        by_region[r] = {"expected_loss_avoided_usd": eb - ea, "cvar_avoided_usd": cb - ca}
    return benefit - fiscal, {"fiscal_usd": fiscal, "benefit_usd": benefit,
                              "expected_loss_avoided_usd": e0 - e1,
                              "by_region": by_region}


def _cut_solver(full: StagedInstance, players: list, budgets: dict,
                samples: int | None):
    """instance -> solution for the coalitions of ``players``: each coalition's program
    cut from the grand coalition's (:meth:`staged.Program.cut`, built in linopy once, on
    first use) rather than built anew: the same arrays reach HiGHS, so the same answer,
    in a fraction of the time; a program that cannot be cut is built."""
    grand: list = []

    def solve(inst: StagedInstance):
        if not grand:
            try:
                grand.append(staged.program(
                    coalition_instance(full, frozenset(players), budgets, samples)))
            except (InfeasibleError, ValueError):
                grand.append(None)
        try:
            if grand[0] is None:
                raise ValueError("no grand program")
            prog = grand[0].cut(inst)
        except ValueError:
            return staged.solve(inst, mip_gap=GAME_GAP)
        return staged.solve_program(inst, prog, mip_gap=GAME_GAP)

    return solve


def game(full: StagedInstance, players: list, budgets: dict,
         samples: int | None = GAME_SAMPLES, *, cut: bool = True) -> tuple[dict, dict]:
    """Worth of every coalition (frozenset -> USD) and the parts of each. ``cut``: each
    coalition's program cut from the grand coalition's (the same answer, faster); False
    builds each anew (the reference the tests and benchmarks/bench_optimize.py compare
    with)."""
    v: dict[frozenset, float] = {frozenset(): 0.0}
    parts: dict[frozenset, dict] = {}
    solve = _cut_solver(full, players, budgets, samples) if cut else None
    for r in range(1, len(players) + 1):
        for combo in itertools.combinations(players, r):
            S = frozenset(combo)
            v[S], parts[S] = _portfolio_value(coalition_instance(full, S, budgets, samples),
                                              solve)
    return v, parts


def cost_sharing(full: StagedInstance, players: list, budgets: dict, total_usd: float,
                 samples: int | None = GAME_SAMPLES) -> dict:
    """``total_usd`` (the portfolio's fiscal cost) shared in proportion to each
    partner's Shapley value and, beside it, its nucleolus; shares sum to the total.
    Where the grand coalition creates no worth, the cost is shared by budgets."""
    players = list(dict.fromkeys(p.upper() for p in players))
    bad = sorted(set(players) - set(PARTNERS))
    if bad:
        raise ValueError(f"partners: {', '.join(bad)} unknown; use {', '.join(PARTNERS)}")
    v, parts = game(full, players, budgets, samples)
    grand = frozenset(players)
    phi = shapley(players, v)
    nuc = nucleolus(players, v)

    def split(alloc):
        tot = sum(max(a, 0.0) for a in alloc.values())
        if tot <= 0:
            b = sum(budgets.get(p, 0.0) for p in players)
            return {p: total_usd * (budgets.get(p, 0.0) / b if b > 0 else 1 / len(players))
                    for p in players}
        return {p: total_usd * max(alloc[p], 0.0) / tot for p in players}

    sh, nu = split(phi), split(nuc)
    by = {}
    gains = parts[grand].get("by_region", {})
    for p in players:
        alone = parts.get(frozenset([p]), {})
        g = gains.get(p, {"expected_loss_avoided_usd": 0.0, "cvar_avoided_usd": 0.0})
        by[p] = {"shapley_usd": sh[p], "nucleolus_usd": nu[p], "shapley_worth_usd": phi[p],
                 "nucleolus_worth_usd": nuc[p], "budget_usd": budgets.get(p, 0.0),
                 "stand_alone_worth_usd": v[frozenset([p])],
                 "stand_alone_fiscal_usd": alone.get("fiscal_usd", 0.0),
                 "expected_loss_avoided_usd": g["expected_loss_avoided_usd"],
                 "cvar_avoided_usd": g["cvar_avoided_usd"],
                 "loss_avoided_per_dollar": (g["expected_loss_avoided_usd"] / sh[p]
                                             if sh[p] > 0 else None)}
    return {"rule": "shapley", "beside": "nucleolus", "total_usd": total_usd,
            "partners": players, "by_partner": by,
            "grand_coalition_worth_usd": v[grand],
            "grand_coalition_fiscal_usd": parts[grand]["fiscal_usd"],
            "shapley_in_core": in_core(players, v, phi),
            "nucleolus_in_core": in_core(players, v, nuc),
            "samples": int(min(samples or full.gap_t.sizes["scenario"],
                               full.gap_t.sizes["scenario"])),
            "worth_by_coalition_usd": {"+".join(sorted(S)): w for S, w in v.items() if S}}
