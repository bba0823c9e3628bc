"""Projects and instruments valued on the model's monthly price paths over the project's
life (docs/optimisation.md, "Valuation").

Per project and sample: monthly cash flows from the start month: capex spread evenly
until first production, then output ramping linearly to capacity over ``RAMP_YEARS``
for ``LIFE_YEARS``, sold at the life price path (:func:`critmin.optimize.china.life_path`
times the baseline price) less the unit operating cost. NPV at ``DISCOUNT_RATE``;
IRR of the annual cash flows (-100 % where they never turn positive).

A project is *bankable* when its NPV at the lenders' downside case, the ``BANKABLE_Q``
quantile (P10) of the paths, is >= 0. Each instrument is sized or topped up with a grant
until it is; its *fiscal cost* is the expected present value of the government's payouts
and its capital at risk (expected loss), never netted against receipts (reported beside
it as ``net_fiscal_cost_usd``). The cheapest instrument is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmin.optimize.china import ResponseDraws, life_path
from critmin.optimize.instruments import DISCOUNT_RATE, LIFE_YEARS

RAMP_YEARS = 2.0
"""Linear ramp-up from first production to capacity (estimate: MP's Mountain Pass made
1,294 t NdPr in 2024, its second year of separation (parameters ``MP_production_2024``),
well below its capacity; Lynas took about two years at Gebeng)."""
BANKABLE_Q = 0.10
"""Lenders' downside case: NPV at the 10th percentile of the paths (the P90 case of
project finance; convention, an estimate)."""
LOAN_SHARE, MARKET_RATE = 0.5, 0.08
"""Debt share of capex and the market rate of project debt (estimates; the rate is the
discount rate)."""
LOAN_SPREAD = 0.03  # concessional loan: 3 points below market (estimate)
GUARANTEE_SPREAD = 0.02  # guaranteed debt borrows 2 points cheaper (estimate)
FLOOR_UPSIDE_SHARE = 0.3  # fallback; the NdPr floor reads DoD_upside_clawback (0.30)
PERCENTILES = (5, 50, 95)
INSTRUMENTS = ("grant", "concessional_loan", "guarantee", "price_floor", "offtake")
CONTINGENT = {"grant": False, "concessional_loan": True, "guarantee": True,
              "price_floor": True, "offtake": True}
"""Whether an instrument's payout depends on the price path."""


@dataclass
class Project:
    """One project's inputs (USD, t/yr, months from the scenario start)."""

    capex_usd: float
    capacity_t: float  # t/yr at nameplate
    price0_usd_t: float  # baseline price of the project's product
    opex_usd_t: float  # unit operating cost
    online_month: int  # first production, months after the start (>= 0)
    floor_usd_t: float | None = None  # a sourced floor strike (NdPr: DoD-MP USD 110/kg)
    floor_share: float = FLOOR_UPSIDE_SHARE


def opex_rule(capex: float, capacity: float, price0: float) -> float:
    """Unit operating cost (USD/t) where none is published: the baseline price less the
    capital recovery per tonne over ``LIFE_YEARS`` at ``DISCOUNT_RATE``, so the project
    just earns its cost of capital at the baseline price (ex-China producers marginal
    at China-set prices; an estimate), floored at 0."""
    crf = DISCOUNT_RATE / (1 - (1 + DISCOUNT_RATE) ** -LIFE_YEARS)
    return max(0.0, price0 - capex * crf / max(capacity, 1e-9))


def _pct(a: np.ndarray) -> dict:
    a = np.asarray(a, dtype=float)
    return {f"p{q}": float(np.nanpercentile(a, q)) for q in PERCENTILES} | {
        "mean": float(np.nanmean(a))}


def irr(cash: np.ndarray, iters: int = 60) -> np.ndarray:
    """(S,) annual IRR of (S, Y) cash flows by bisection on [-0.99, 2]; -1 where the
    flows never sum positive at -99 % (no return of capital)."""
    lo = np.full(cash.shape[0], -0.99)
    hi = np.full(cash.shape[0], 2.0)
    years = np.arange(cash.shape[1])

    def npv(r):
        return (cash / (1 + r[:, None]) ** years[None]).sum(axis=1)

    ok = npv(lo) > 0
    for _ in range(iters):
        mid = (lo + hi) / 2
        pos = npv(mid) > 0
        lo = np.where(pos, mid, lo)
        hi = np.where(pos, hi, mid)
    return np.where(ok, (lo + hi) / 2, -1.0)


def _annuity_payment(principal: float, rate: float, years: int) -> float:
    return principal * rate / (1 - (1 + rate) ** -years) if rate > 0 else principal / years


class Valuation:
    """Cash flows of one project on (S, T) monthly life prices, and its instruments."""

    def __init__(self, p: Project, rel: np.ndarray):
        self.p = p
        T = rel.shape[1]
        t = np.arange(T)
        self.disc = (1 + DISCOUNT_RATE) ** (-t / 12.0)
        on = p.online_month
        build = max(on, 1)
        self.capex = np.where(t < build, p.capex_usd / build, 0.0)
        age = (t - on) / 12.0
        ramp = np.clip((age + 1 / 12) / RAMP_YEARS, 0.0, 1.0)
        self.operating = (t >= on) & (t < on + 12 * LIFE_YEARS)
        self.q = np.where(self.operating, p.capacity_t / 12.0 * ramp, 0.0)  # t/month
        self.price = rel * p.price0_usd_t  # (S, T) USD/t
        self.op_cash = (self.price - p.opex_usd_t) * self.q[None]  # (S, T)
        self.cash = self.op_cash - self.capex[None]
        self.npv = self.cash @ self.disc
        self.year = np.where(self.operating, (t - on) // 12, -1)

    def pv(self, monthly: np.ndarray) -> np.ndarray:
        return monthly @ self.disc

    def annual(self, monthly: np.ndarray) -> np.ndarray:
        """(S, LIFE_YEARS) sums over operating years."""
        out = np.zeros((monthly.shape[0], LIFE_YEARS))
        for y in range(LIFE_YEARS):
            out[:, y] = monthly[:, self.year == y].sum(axis=1)
        return out

    def irr(self) -> np.ndarray:
        """Annual IRR: construction years then operating years."""
        S, T = self.cash.shape
        years = int(np.ceil(T / 12))
        pad = np.zeros((S, years * 12))
        pad[:, :T] = self.cash
        return irr(pad.reshape(S, years, 12).sum(axis=2))

    def gap(self, extra: np.ndarray | float = 0.0) -> float:
        """Grant (USD, at the start) that makes the downside NPV (+ ``extra`` per
        sample, the instrument's value to the sponsor) >= 0."""
        return float(max(0.0, -np.quantile(self.npv + extra, BANKABLE_Q)))

    # ---------------------------------------------------------------- instruments
    def grant(self) -> dict:
        g = self.gap()
        return dict(fiscal_cost_usd=g, net_fiscal_cost_usd=g, expected_payout_usd=g,
                    expected_receipts_usd=0.0, expected_loss_usd=0.0, topup_grant_usd=0.0,
                    terms={"grant_usd": g})

    def _debt(self, rate: float) -> tuple[float, np.ndarray, np.ndarray]:
        """Debt on ``LOAN_SHARE`` of capex repaid as an annuity over the operating years:
        (principal, annual service, (S,) PV of service not covered by the operating
        cash, the lender's loss with no recovery) and (S,) minimum DSCR."""
        debt = LOAN_SHARE * self.p.capex_usd
        ds = _annuity_payment(debt, rate, LIFE_YEARS)
        cfads = self.annual(self.op_cash)
        short = np.maximum(0.0, ds - np.maximum(cfads, 0.0))
        on = self.p.online_month / 12.0
        dfy = (1 + DISCOUNT_RATE) ** -(on + np.arange(1, LIFE_YEARS + 1))
        loss = short @ dfy
        dscr = (cfads / ds).min(axis=1)
        return ds, loss, dscr

    def _spread_value(self, spread: float) -> float:
        """PV (USD) of the debt service saved by borrowing ``spread`` below market."""
        debt = LOAN_SHARE * self.p.capex_usd
        save = (_annuity_payment(debt, MARKET_RATE, LIFE_YEARS)
                - _annuity_payment(debt, MARKET_RATE - spread, LIFE_YEARS))
        on = self.p.online_month / 12.0
        dfy = (1 + DISCOUNT_RATE) ** -(on + np.arange(1, LIFE_YEARS + 1))
        return float(save * dfy.sum())

    def loan(self) -> dict:
        """Concessional direct loan: the government lends at market - ``LOAN_SPREAD``;
        cost = the spread's PV + expected loss on the service not covered."""
        rate = MARKET_RATE - LOAN_SPREAD
        _ds, loss, dscr = self._debt(rate)
        subsidy = self._spread_value(LOAN_SPREAD)
        top = self.gap(subsidy)
        el = float(loss.mean())
        cost = subsidy + el + top
        return dict(fiscal_cost_usd=cost, net_fiscal_cost_usd=cost,
                    expected_payout_usd=subsidy, expected_receipts_usd=0.0,
                    expected_loss_usd=el, topup_grant_usd=top, dscr_min=_pct(dscr),
                    terms={"principal_usd": LOAN_SHARE * self.p.capex_usd,
                           "rate": rate, "tenor_years": LIFE_YEARS})

    def guarantee(self) -> dict:
        """Loan guarantee on market debt: the sponsor borrows ``GUARANTEE_SPREAD``
        cheaper; the government bears the expected loss."""
        rate = MARKET_RATE - GUARANTEE_SPREAD
        _ds, loss, dscr = self._debt(rate)
        saving = self._spread_value(GUARANTEE_SPREAD)
        top = self.gap(saving)
        el = float(loss.mean())
        return dict(fiscal_cost_usd=el + top, net_fiscal_cost_usd=el + top,
                    expected_payout_usd=0.0, expected_receipts_usd=0.0,
                    expected_loss_usd=el, topup_grant_usd=top, dscr_min=_pct(dscr),
                    terms={"guaranteed_usd": LOAN_SHARE * self.p.capex_usd, "rate": rate,
                           "tenor_years": LIFE_YEARS})

    def _floor_flows(self, strike: float) -> tuple[np.ndarray, np.ndarray]:
        pay = np.maximum(0.0, strike - self.price) * self.q[None]
        back = self.p.floor_share * np.maximum(0.0, self.price - strike) * self.q[None]
        return self.pv(pay), self.pv(back)

    def price_floor(self) -> dict:
        """Floor with upside sharing on the project's output for its life: the sourced
        strike where one exists (NdPr), else the lowest strike that makes it bankable."""
        sourced = self.p.floor_usd_t is not None
        if self.p.floor_usd_t is not None:
            strike = self.p.floor_usd_t
        else:
            lo, hi = 0.0, float(self.price.max()) * 4 + self.p.opex_usd_t * 4 + 1.0
            for _ in range(50):
                mid = (lo + hi) / 2
                pay, back = self._floor_flows(mid)
                lo, hi = (lo, mid) if self.gap(pay - back) <= 0 else (mid, hi)
            strike = hi
        pay, back = self._floor_flows(strike)
        top = self.gap(pay - back)
        return dict(fiscal_cost_usd=float(pay.mean()) + top,
                    net_fiscal_cost_usd=float((pay - back).mean()) + top,
                    expected_payout_usd=float(pay.mean()),
                    expected_receipts_usd=float(back.mean()), expected_loss_usd=0.0,
                    topup_grant_usd=top,
                    payout_usd=_pct(pay),
                    terms={"strike_usd_t": strike, "upside_share": self.p.floor_share,
                           "term_years": LIFE_YEARS,
                           "strike_basis": "sourced" if sourced else "sized to bankable"})

    def offtake(self) -> dict:
        """Government buys the output at a fixed price for the life and resells at the
        market: the price at which the project breaks even."""
        pvq = float(self.q @ self.disc)
        capex_pv = float(self.capex @ self.disc)
        price = self.p.opex_usd_t + capex_pv / max(pvq, 1e-9)
        diff = (price - self.price) * self.q[None]
        loss = self.pv(np.maximum(diff, 0.0))
        gain = self.pv(np.maximum(-diff, 0.0))
        return dict(fiscal_cost_usd=float(loss.mean()),
                    net_fiscal_cost_usd=float((loss - gain).mean()),
                    expected_payout_usd=float(loss.mean()),
                    expected_receipts_usd=float(gain.mean()), expected_loss_usd=0.0,
                    topup_grant_usd=0.0, payout_usd=_pct(loss),
                    terms={"price_usd_t": price, "term_years": LIFE_YEARS,
                           "volume_t_per_yr": self.p.capacity_t})

    def menu(self) -> dict:
        return {"grant": self.grant(), "concessional_loan": self.loan(),
                "guarantee": self.guarantee(), "price_floor": self.price_floor(),
                "offtake": self.offtake()}


def value_project(p: Project, rel: np.ndarray) -> dict:
    """Distributions (P5/P50/P95 and mean) of NPV and IRR, the instrument menu and the
    cheapest instrument with its fiscal cost (USD)."""
    v = Valuation(p, rel)
    menu = v.menu()
    best = min(INSTRUMENTS, key=lambda k: (menu[k]["fiscal_cost_usd"], k != "grant"))
    return {"npv_usd": _pct(v.npv), "irr": _pct(v.irr()),
            "bankable_without_support": v.gap() <= 0,
            "instrument": best, "fiscal_cost_usd": menu[best]["fiscal_cost_usd"],
            "contingent_payout": CONTINGENT[best] and menu[best]["fiscal_cost_usd"] > 0,
            "instruments": menu, "npv_samples": v.npv}


def online_month(first_year: float, start) -> int:
    """Months from ``start`` (date) to 1 January of ``first_year`` (>= 0)."""
    m = (float(first_year) - start.year) * 12 - (start.month - 1)
    return int(max(0, round(m)))


def value_candidates(projects: pd.DataFrame, rel_of, price0: pd.Series, start,
                     draws: ResponseDraws, floors: dict | None = None) -> pd.DataFrame:
    """Value every candidate. ``projects`` (index project_id): commodity, capacity,
    capex_usd, unit_cost_usd_t, first_production_year; ``rel_of(project_id)`` its (S, H)
    model price relative to the baseline; ``price0`` USD/t by commodity; ``floors``
    commodity -> (strike USD/t, upside share) of sourced floors. Returns one row per
    project with ``valuation`` (dict), ``instrument`` and ``cost_usd`` (fiscal cost)."""
    floors = floors or {}
    online = {pid: online_month(r["first_production_year"], start)
              for pid, r in projects.iterrows()}
    first_on: dict[str, int] = {}  # earliest ex-China capacity of each commodity online
    for pid, r in projects.iterrows():
        c = r["commodity"]
        first_on[c] = min(first_on.get(c, online[pid]), online[pid])
    out = []
    for pid, r in projects.iterrows():
        c = r["commodity"]
        p0 = float(price0[c])
        unit = r.get("unit_cost_usd_t")
        opex = float(unit) if unit == unit and unit is not None else opex_rule(
            float(r["capex_usd"]), float(r["capacity"]), p0)
        strike, share = floors.get(c, (None, FLOOR_UPSIDE_SHARE))
        proj = Project(capex_usd=float(r["capex_usd"]), capacity_t=float(r["capacity"]),
                       price0_usd_t=p0, opex_usd_t=opex, online_month=online[pid],
                       floor_usd_t=strike, floor_share=share)
        model_rel = np.nan_to_num(np.asarray(rel_of(pid), dtype=float), nan=1.0)
        months = proj.online_month + 12 * LIFE_YEARS
        onset = max(first_on[c], model_rel.shape[1])
        rel = life_path(model_rel, months, draws, onset)
        val = value_project(proj, rel)
        val["opex_usd_t"] = opex
        val["opex_basis"] = "published" if unit == unit and unit is not None else \
            "baseline price less capital recovery (estimate)"
        val["online_month"] = online[pid]
        out.append({"project_id": pid, "instrument": val["instrument"],
                    "cost_usd": val["fiscal_cost_usd"], "valuation": val})
    return pd.DataFrame(out, columns=["project_id", "instrument", "cost_usd", "valuation"]
                        ).set_index("project_id")


def sourced_floors(net) -> dict:
    """commodity -> (strike USD/t, upside share) from the parameters table: the DoD-MP
    NdPr floor (``DoD_MP_price_floor`` USD/kg, ``DoD_upside_clawback``)."""
    par = net.parameters
    out = {}
    rows = par[par["parameter"] == "DoD_MP_price_floor"]
    for _, r in rows.iterrows():
        share = par[(par["scope"] == r["scope"]) & (par["parameter"] == "DoD_upside_clawback")]
        s = float(share["value"].iloc[0]) if len(share) else FLOOR_UPSIDE_SHARE
        unit = str(r.get("unit", "USD/kg"))
        k = 1000.0 if "kg" in unit else 1.0
        out[str(r["scope"])] = (float(r["value"]) * k, s)
    return out
