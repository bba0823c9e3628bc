"""Licensing as a regime-switching process (array form; lanes.py compiles the same steps).

A China licensing regime is, per sample, control and node, in one of five states:

- freeze: licences not yet issued (ramp 0);
- restrictive: approvals ramping towards their long-run share (0 < ramp < 1);
- managed: approvals at their long-run share A (ramp 1);
- relaxed: a share ``relax_gain`` of refusals lifted, A + (1 - A) x relax_gain;
- suspended: the control lifted inside an announced suspension window (and after it
  unless it snaps back): ``kernel._control_effects``, from the announced terms.

The ramp runs on a licence clock tau (months of progress since the start), not on the
calendar: each month in force a freeze or restrictive regime holds (the clock stops for
the month) with probability ``persistence`` of the node's commodity; a managed or relaxed
regime re-tightens to the freeze (clock back to 0) with probability ``retighten_hazard``,
else relaxes with probability ``relax_hazard``. With all three at 0 the clock is the
calendar and the regime is the fixed ramp of model v2.0 exactly (tested). Transitions
draw one uniform per sample, control and month from a counter-based hash of the sample's
``regime_draw`` (splitmix64), so a path never depends on chunking.

A managed or relaxed regime recovers: its remaining refusals are lifted at the monthly
rate ``licence_recovery`` on the licence clock (:func:`recovered`; 0: the fixed long-run
approval). Leakage is a priced route (:func:`leak_of`): it rises with last month's price
gap between the ex-China and China segments (``smuggling_elasticity``; 0: fixed).

Destinations differ by a log-odds shift of the approval share (``propensity_<region>``):
A_r = A + A (1 - A)(e - 1) / (1 + A (e - 1)) with e = exp(shift), the logistic of
logit(A) + shift written so that a zero shift returns A exactly and A = 0 or 1 stay put.
"""

from __future__ import annotations

import numpy as np

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
KEY_SCALE = float(2**53)
COUNTER_STRIDE = 4096  # months per control in the hash's counter


def regime_key(draw: np.ndarray) -> np.ndarray:
    """(S, 1) uint64 keys from the uniform ``regime_draw``."""
    return np.floor(np.asarray(draw, dtype=float) * KEY_SCALE).astype(np.uint64)


def uniform(key: np.ndarray, c: int, t: int) -> np.ndarray:
    """Uniform in [0, 1) for control ``c`` in month ``t`` (splitmix64 of key + counter)."""
    with np.errstate(over="ignore"):  # arithmetic modulo 2**64
        z = key + np.uint64(c * COUNTER_STRIDE + t + 1) * GOLDEN
        z = (z ^ (z >> np.uint64(30))) * MIX1
        z = (z ^ (z >> np.uint64(27))) * MIX2
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(float) * (1.0 / KEY_SCALE)


def shifted(A: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Approval A at odds multiplied by e (A exactly where e = 1)."""
    x = A * (e - 1.0)
    return A + x * (1.0 - A) / (1.0 + x)


def ramp_of(tau, L: float, freeze, ramp_share):
    """Share of the long-run approval reached at licence clock ``tau`` (months)."""
    if L <= 0:
        return np.ones(np.broadcast_shapes(np.shape(tau), np.shape(freeze)))
    since = tau - (freeze + 1) * L
    return np.clip(since / (ramp_share * L), 0, 1)


def recovered(A_n, tau, L: float, freeze, ramp_share, rate):
    """Approval after a managed regime's recovery: A_n + (1 - A_n)(1 - exp(-rate m)), m the
    months on the licence clock ``tau`` since the ramp ended (since the start where L = 0);
    A_n exactly where rate is 0."""
    m = np.maximum(tau - (freeze + 1) * L - ramp_share * L, 0.0) if L > 0 else \
        np.maximum(tau, 0.0)
    return A_n + (1 - A_n) * (1 - np.exp(-rate * m))


def leak_of(leakage, smuggle, gap):
    """Leakage through third countries as a priced route: leakage + (1 - leakage)
    (1 - exp(-smuggle x max(gap, 0))), ``gap`` last month's log price gap ex-China less
    China; ``leakage`` exactly where smuggle is 0 or the gap is not positive."""
    return leakage + (1 - leakage) * (1 - np.exp(-smuggle * np.maximum(gap, 0.0)))


def held_of(hold, blocked, smuggle, gap):
    """Blocked exports (t/yr) China's exporters and traders hold awaiting licences or the
    route: hold x blocked x (1 + smuggle x max(gap, 0)), ``gap`` last month's log price gap
    ex-China less China: the wider it is, the more they buy at home to ship later (the
    route's elasticity prices both); hold x blocked exactly where smuggle is 0 or the gap
    is not positive."""
    return hold * blocked * (1 + smuggle * np.maximum(gap, 0.0))


def advance(held, relaxed, ramp, el: float, u, persist, retighten, relax):
    """Next month's (held months, relaxed flag) after this month's transition."""
    if el <= 0:
        return held, relaxed
    restricting = ramp < 1
    hold = restricting & (u < persist)
    tight = ~restricting & (u < retighten)
    loose = ~restricting & ~tight & (u >= 1.0 - relax)
    held = np.where(tight, el + 1.0, held + hold)
    relaxed = np.where(tight, 0.0, np.where(loose, 1.0, relaxed))
    return held, relaxed


def rush_of(rush, base):
    """Exports (t/yr) China's exporters and traders ship from their own inventory in a
    notice window, ahead of a control's start: ``rush`` x ``base`` (t/yr: baseline exports
    to the targets, weighted by the month's share in the window and the control's
    severity). The inventory is the exporters' working stock, which the model's
    commercial stocks (buyers' cover) do not hold, and it is not rebuilt (a stated
    simplification: drawn from buyers' cover in China it would be reordered within the
    stock-adjustment time and ship nothing net); 0 exactly where rush or base is 0."""
    return rush * base
