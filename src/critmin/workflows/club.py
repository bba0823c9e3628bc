"""The fair-markets lab, `critmin club`: partners' price-floor club simulated with market
model v2, against stockpiles and direct project funding at the same fiscal cost
(docs/optimisation.md, "Club").

The club: partners guarantee a floor price (USD/t) on a covered volume of their
producers' output (their baseline output at the commodity's headline stage plus the
candidate projects in partner countries, which the floor makes bankable and so brings
online at their first production dates), and put a tariff or certificate charge on
non-market (Chinese) supply into their markets. Four v2 runs on the same draws (common
random numbers): the scenario alone, with the club, with a stockpile bought for the
club's expected fiscal cost, and with that money spent on the cheapest candidates (by
their valuation's fiscal cost, :mod:`critmin.optimize.valuation`).

Measures per sample over the horizon (P5/P50/P95): cost to the partners' buyers (price
change times their baseline use, plus tariff paid), fiscal cost (expected floor
payouts; tariff revenue beside it), the partners' shortfall avoided (t) and the
volatility avoided (annualised standard deviation of monthly log ex-China price
changes).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from critmin.optimize.china import draw_response
from critmin.optimize.instance import CANDIDATE_STATUS, DEFAULT_LEAD_YEARS
from critmin.optimize.portfolio import STOCK_CARRY
from critmin.optimize.valuation import PERCENTILES, sourced_floors, value_candidates
from critmin.scenarios.spec import CapacityAddition, StockPolicy, Tariff

PARTNERS = ("USA", "JPN", "AUS", "KOR", "EU")
TARIFF = 0.25
"""Default charge on Chinese supply: the U.S. Section 301 rate on Chinese critical
minerals and permanent magnets (USTR Notice of Modification, 13 Sep 2024: 25 % from
27 Sep 2024, magnets and natural graphite from 1 Jan 2026) - a policy lever, not a
fact about the outcome."""
REGION_OF_PARTNER = {"USA": "USA", "JPN": "JPN", "KOR": "KOR", "EU": "EU", "AUS": None}
"""v2 importing region of each partner (Australia is inside the rest of the world: it
funds and hosts covered capacity, its buyers are not counted)."""
COUNTRY_PARTNER = {"USA": "USA", "JPN": "JPN", "KOR": "KOR", "AUS": "AUS"}


def _pct(a) -> dict:
    a = np.asarray(a, dtype=float)
    return {f"p{q}": float(np.percentile(a, q)) for q in PERCENTILES} | {
        "mean": float(a.mean())}


def _partners(partners) -> list[str]:
    out = list(dict.fromkeys(p.strip().upper() for p in partners if p.strip()))
    bad = sorted(set(out) - set(PARTNERS))
    if bad or not out:
        raise ValueError(f"--partners: {', '.join(bad) or 'none'}: use some of "
                         f"{','.join(PARTNERS)}")
    return out


def _in_partner(country: str, partners: list[str]) -> bool:
    from critmin.market.v2.network import region_of

    return (COUNTRY_PARTNER.get(country) in partners
            or ("EU" in partners and region_of(country) == "EU"))


def _closure(net, c: str) -> list[str]:
    """``c``, the products made from it and their bills of materials: the commodities
    whose markets move ``c``'s (a magnet control reaches NdPr through magnet demand)."""
    bom = net.bom
    prods = set(bom.loc[bom["input"] == c, "product"])
    ins = set(bom.loc[bom["product"].isin(prods | {c}), "input"])
    return [c, *sorted((prods | ins) - {c})]


def _measures(ds, market, c: str, regions: list[str], tariff: float) -> dict:
    """(S,) per-sample measures of one run for commodity ``c`` (USD, t)."""
    from critmin.market.v2.network import REGIONS

    j = market.commodities.index(c)
    i = int(market.headline[j])
    p0 = float(market.price_usd_t[j])
    ks = [REGIONS.index(r) for r in regions]
    use = market.use0[i, ks]  # t/yr
    px = ds["price_ex_china"].sel(commodity=c).transpose("sample", "month").values
    pc = ds["price_china"].sel(commodity=c).transpose("sample", "month").values
    short = np.nan_to_num(ds["shortfall"].sel(commodity=c, region=regions).transpose(
        "sample", "month", "region").values.astype(float))
    imports = ds["exports_china_dest"].sel(commodity=c, region=regions).transpose(
        "sample", "month", "region").values.astype(float)  # t/yr
    paid = (px * p0)[:, :, None] * use[None, None] / 12  # USD per month
    tariff_usd = tariff * (pc * p0)[:, :, None] * imports / 12
    logp = np.log(np.maximum(px, 1e-9))
    return {"buyers_usd": paid.sum(axis=(1, 2)), "tariff_usd": tariff_usd.sum(axis=(1, 2)),
            "shortfall_t": (short * use[None, None] / 12).sum(axis=(1, 2)),
            "volatility": np.diff(logp, axis=1).std(axis=1) * np.sqrt(12),
            "price_usd_t": px * p0}


def _covered(net, market, c: str, partners: list[str], regions: list[str],
             start: dt.date) -> tuple[float, list]:
    """Covered volume (t/yr): partner regions' baseline output at the headline stage,
    and the candidate projects of ``c`` in partner countries (capacity additions)."""
    from critmin.market.v2.network import REGIONS

    i = int(market.headline[market.commodities.index(c)])
    base = float(sum(market.prod0[i, REGIONS.index(r)] for r in regions))
    p = net.projects
    p = p[(p["commodity"] == c) & p["status"].isin(CANDIDATE_STATUS)
          & p["country"].map(lambda x: _in_partner(x, partners))]
    adds = []
    for _, r in p.iterrows():
        year = r["first_production_year"]
        year = start.year + DEFAULT_LEAD_YEARS if pd.isna(year) else year
        adds.append(CapacityAddition(name=str(r["project_id"])[:60], country=r["country"],
                                     commodity=c, stage=r["stage"],
                                     capacity_t=float(r["capacity"]),
                                     online=max(dt.date(int(year), 1, 1), start)))
    return base, adds


def _with_stock(sc, market, c: str, regions: list[str], tonnes: float) -> list:
    """The scenario's stock policies with ``tonnes`` more of ``c`` held across the
    partner regions in proportion to their baseline use: a region's existing policy for
    ``c`` (or ALL) keeps its fill rate and release rule and gains the days; a region
    without one gets a full stock released on shortfall. (v2 takes one policy per
    region and commodity: the last one named.)"""
    from critmin.market.v2.network import REGIONS, region_of

    i = int(market.headline[market.commodities.index(c)])
    use = {r: market.use0[i, REGIONS.index(r)] for r in regions}
    tot = sum(use.values())
    out = list(sc.stocks)
    for r, u in use.items():
        if u <= 0 or tonnes <= 0:
            continue
        days = tonnes * (u / tot) / (u / 365.0)
        old = [p for p in sc.stocks if region_of(p.holder) == r
               and p.commodity in (c, "ALL")]
        if old:
            p = old[-1]
            extra = days / max(p.fill_rate, 1e-9)
            out.append(p.model_copy(update={"commodity": c,
                                            "target_days": p.target_days + extra}))
        else:
            out.append(StockPolicy(holder=r, commodity=c, target_days=days, fill_rate=1.0))
    return out


def _cheapest_projects(net, market, sc, paths, c, partners, budget, start, seed):
    """Candidates of ``c`` in partner countries, cheapest fiscal cost first, within
    ``budget`` (USD): their capacity additions and total cost."""
    p = net.projects
    p = p[(p["commodity"] == c) & p["status"].isin(CANDIDATE_STATUS)].set_index("project_id")
    if not len(p):
        return [], 0.0, []
    j = market.commodities.index(c)
    p0 = pd.Series({c: float(market.price_usd_t[j])})
    first = p["first_production_year"].astype(float).fillna(start.year + DEFAULT_LEAD_YEARS)
    rows = p.assign(first_production_year=first)
    rows = rows[rows["capex_usd"].notna()]
    if not len(rows):
        return [], 0.0, []
    stage = market.nodes[int(market.headline[j])].stage
    rel = np.nan_to_num(paths["price_ex_china_stage"].sel(commodity=c, stage=stage).transpose(
        "sample", "month").values.astype(float), nan=1.0)
    val = value_candidates(rows, lambda _pid: rel, p0, start,
                           draw_response(paths.sizes["sample"], seed), sourced_floors(net))
    order = val["cost_usd"].sort_values().index
    spent, adds, names = 0.0, [], []
    for pid in order:
        cost = float(val.at[pid, "cost_usd"])
        if spent + cost > budget:
            continue
        spent += cost
        r = rows.loc[pid]
        names.append(str(pid))
        adds.append(CapacityAddition(name=str(pid)[:60], country=r["country"], commodity=c,
                                     stage=r["stage"], capacity_t=float(r["capacity"]),
                                     online=max(dt.date(int(r["first_production_year"]), 1, 1),
                                                start)))
    return adds, spent, names


def club(net, partners, commodity: str, *, scenario, floor_usd_t: float | None = None,
         tariff: float = TARIFF, samples: int = 200, seed: int = 0) -> dict:
    """Simulate the club and its comparators; the JSON record of `critmin club`."""
    from critmin.optimize.staged import run_network
    from critmin.simulate.paths import scenario_paths

    partners = _partners(partners)
    regions = [r for p in partners if (r := REGION_OF_PARTNER[p])]
    if not regions:
        raise ValueError("--partners: name at least one importing partner (USA, JPN, KOR, EU)")
    if tariff < 0 or tariff > 5:
        raise ValueError(f"--tariff {tariff}: use a rate between 0 and 5")
    sc = scenario.model_copy(update={"commodities": _closure(net, commodity)})
    months = 3 * int(sc.horizon_quarters)
    market, _ = run_network(net, sc, months)
    if commodity not in market.commodities:
        raise ValueError(f"--commodity {commodity}: no v2 market baseline; use one of "
                         f"{', '.join(market.commodities)}")
    start = dt.date.fromisoformat(str(sc.start)[:10])
    j = market.commodities.index(commodity)
    p0 = float(market.price_usd_t[j])
    floors = sourced_floors(net)
    floor_basis = "given"
    if floor_usd_t is None:
        if commodity in floors:
            floor_usd_t, floor_basis = floors[commodity][0], "sourced (DoD-MP NdPr floor)"
        else:
            floor_usd_t, floor_basis = p0, "baseline price (long-run pre-shock)"
    base_t, adds = _covered(net, market, commodity, partners, regions, start)
    covered = base_t + sum(a.capacity_t for a in adds)
    run = {}

    def simulate(name, s):
        run[name] = scenario_paths(net, s, samples=samples, seed=seed, months=months)
        return _measures(run[name], market, commodity, regions, 0.0)

    base = simulate("scenario", sc)
    tariffs = [Tariff(importer=r, exporter="CHN", commodity=commodity, rate=tariff,
                      start=start) for r in regions if tariff > 0]
    club_sc = sc.model_copy(update={"tariffs": [*sc.tariffs, *tariffs],
                                    "capacity": [*sc.capacity, *adds]})
    cl = simulate("club", club_sc)
    cl["tariff_usd"] = _measures(run["club"], market, commodity, regions, tariff)["tariff_usd"]
    # floor payouts on the covered volume (new capacity counted as it ramps in: whole
    # volume from its online date, an upper bound)
    on = np.zeros(months)
    on[:] = base_t
    for a in adds:
        k = (a.online.year - start.year) * 12 + a.online.month - start.month
        on[max(k, 0):] += a.capacity_t
    payout = (np.maximum(0.0, floor_usd_t - cl["price_usd_t"]) * on[None] / 12).sum(axis=1)
    fiscal = float(payout.mean())
    years = months / 12
    stock_t = fiscal / (p0 * (1 + STOCK_CARRY * years)) if fiscal > 0 else 0.0
    st_sc = sc.model_copy(update={"stocks": _with_stock(sc, market, commodity, regions,
                                                        stock_t)})
    stp = simulate("stockpile", st_sc) if stock_t > 0 else base
    padds, pspent, pnames = _cheapest_projects(net, market, sc, run["scenario"], commodity,
                                               partners, fiscal, start, seed)
    prj = simulate("projects", sc.model_copy(update={"capacity": [*sc.capacity, *padds]})) \
        if padds else base

    def compare(m, extra_buyers=None):
        buyers = m["buyers_usd"] - base["buyers_usd"] + (
            extra_buyers if extra_buyers is not None else 0.0)
        return {"cost_to_buyers_usd": _pct(buyers),
                "shortfall_avoided_t": _pct(base["shortfall_t"] - m["shortfall_t"]),
                "volatility_avoided": _pct(base["volatility"] - m["volatility"])}

    return {
        "commodity": commodity, "partners": partners, "regions_counted": regions,
        "scenario": scenario.id, "samples": samples, "seed": seed, "months": months,
        "model": "v2", "spin_up_months": run["scenario"].attrs["spin_up_months"],
        "club": {"floor_usd_t": floor_usd_t, "floor_basis": floor_basis,
                 "covered_t_per_yr": covered, "covered_baseline_t_per_yr": base_t,
                 "covered_new_projects": [a.name for a in adds],
                 "tariff_rate": tariff, "tariff_on": "CHN",
                 **compare(cl, cl["tariff_usd"]),
                 "fiscal_cost_usd": _pct(payout),
                 "tariff_revenue_usd": _pct(cl["tariff_usd"]),
                 "net_fiscal_cost_usd": _pct(payout - cl["tariff_usd"])},
        "baseline": {"shortfall_t": _pct(base["shortfall_t"]),
                     "volatility": _pct(base["volatility"]),
                     "buyers_spend_usd": _pct(base["buyers_usd"])},
        "same_cost": {
            "budget_usd": fiscal,
            "stockpile": {"stock_t": stock_t, "holders": regions, **compare(stp)},
            "projects": {"funded": pnames, "fiscal_cost_usd": pspent, **compare(prj)}},
    }
