"""Financing instruments: what each costs the government and what it does for a project.

A project's *viability gap* is the capital it cannot recover at market prices:
``gap = capex - PV((P - unit_cost) * capacity)`` over ``LIFE_YEARS`` at ``DISCOUNT_RATE``.
Each instrument closes some or all of the gap at an expected fiscal cost (USD, present
value); price floors are valued on simulated price paths, not on a single price.

Subsidy-equivalent rates are estimates (marked in the parameters table where shipped):
a concessional loan's cost is the present value of the interest spread; an equity
stake's cost its expected loss; a guarantee's cost the expected default loss net of fees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LIFE_YEARS = 10
DISCOUNT_RATE = 0.08
LOAN_SHARE, LOAN_SPREAD = 0.5, 0.03  # loan covers half the capex, 3 points below market
EQUITY_SHARE, EQUITY_LOSS = 0.3, 0.25  # stake of 30 % of capex, expected loss 25 %
GUARANTEE_SHARE, GUARANTEE_LOSS = 0.5, 0.05  # guaranteed debt, expected loss net of fees
GUARANTEE_SPREAD = 0.02  # borrowing cost saved by the sponsor on guaranteed debt
FLOOR_MARKUP = 1.15  # floor at 115 % of the project's unit cost
UPSIDE_SHARE = 0.3  # share of price above the floor paid back (DoD-MP: 30 %)
OFFTAKE_MARKUP = 1.25  # offtake contract at 125 % of unit cost


def annuity(years: int = LIFE_YEARS, rate: float = DISCOUNT_RATE) -> float:
    """Present value of 1 per year for ``years``."""
    return (1 - (1 + rate) ** -years) / rate


def viability_gap(capex: np.ndarray, capacity: np.ndarray, price: np.ndarray,
                  unit_cost: np.ndarray) -> np.ndarray:
    """Capital not recovered at ``price`` (USD/t) over the project life, >= 0."""
    return np.maximum(0.0, capex - annuity() * (price - unit_cost) * capacity)


@dataclass
class InstrumentCost:
    """Expected fiscal cost (USD) and the share of the viability gap closed (0-1)."""

    name: str
    cost: np.ndarray
    closes: np.ndarray


def instrument_menu(capex, capacity, unit_cost, price_paths) -> list[InstrumentCost]:
    """Cost of each instrument per project; ``price_paths`` (P, S) ex-China prices (USD/t)
    per project and simulated sample (average over the horizon)."""
    ann = annuity()
    price = price_paths.mean(axis=1)
    gap = viability_gap(capex, capacity, price, unit_cost)
    floor = FLOOR_MARKUP * unit_cost
    top_up = np.maximum(0.0, floor[:, None] - price_paths).mean(axis=1)
    clawback = UPSIDE_SHARE * np.maximum(0.0, price_paths - floor[:, None]).mean(axis=1)
    floor_cost = np.maximum(0.0, ann * (top_up - clawback) * capacity)
    offtake_price = OFFTAKE_MARKUP * unit_cost
    offtake_cost = np.maximum(0.0, ann * (offtake_price - price) * capacity)
    loan_cost = LOAN_SHARE * capex * LOAN_SPREAD * ann  # spread paid by the government
    guarantee_saving = GUARANTEE_SHARE * capex * GUARANTEE_SPREAD * ann

    def closes(value):  # share of the gap a given sponsor benefit closes
        return np.where(gap > 0, np.minimum(1.0, value / np.maximum(gap, 1e-9)), 1.0)

    margin_floor = np.maximum(0.0, ann * (floor - unit_cost) * capacity)
    margin_offtake = np.maximum(0.0, ann * (offtake_price - unit_cost) * capacity)
    return [
        InstrumentCost("grant", gap, np.ones_like(gap)),
        InstrumentCost("concessional_loan", loan_cost, closes(loan_cost)),
        InstrumentCost("equity", EQUITY_SHARE * EQUITY_LOSS * capex,
                       closes(EQUITY_SHARE * capex)),
        InstrumentCost("guarantee", GUARANTEE_SHARE * GUARANTEE_LOSS * capex,
                       closes(guarantee_saving)),
        InstrumentCost("price_floor", floor_cost, closes(margin_floor - (capex - gap))),
        InstrumentCost("offtake", offtake_cost, closes(margin_offtake - (capex - gap))),
    ]


def cheapest_instrument(capex, capacity, unit_cost, price_paths) -> tuple[np.ndarray,
                                                                          np.ndarray]:
    """Name and expected cost (USD) of the cheapest instrument that fully closes each
    project's viability gap (a grant always does)."""
    menu = instrument_menu(capex, capacity, unit_cost, price_paths)
    costs = np.stack([np.where(m.closes >= 1.0, m.cost, np.inf) for m in menu])
    best = costs.argmin(axis=0)
    names = np.array([m.name for m in menu])[best]
    return names, costs[best, np.arange(costs.shape[1])]
