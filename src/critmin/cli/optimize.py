"""``critmin optimize``: projects, instruments and stockpiles that buy the most security
per dollar against a scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from critmin.cli.checks import Steps, check_output, usd_amount
from critmin.cli.common import (
    DataPath,
    Db,
    Model,
    check_model,
    console,
    err,
    load_net,
    load_scenario,
    spin_up_line,
)
from critmin.market.registry import DEFAULT_MODEL


def register(app: typer.Typer) -> None:
    """Add ``optimize`` to the main command line."""
    app.command("optimize")(optimize_cmd)


def optimize_cmd(
    scenario: Annotated[str, typer.Option(help="preset id or scenario file")] =
        "CN_2025_10_full_controls",
    budget_usa: Annotated[float, typer.Option(
        parser=usd_amount, metavar="USD", help="U.S. budget, USD (e.g. 500m, 1.2bn)")] = 1e9,
    budget_jpn: Annotated[float, typer.Option(
        parser=usd_amount, metavar="USD", help="Japan budget, USD (e.g. 500m, 1.2bn)")] = 1e9,
    budget_vehicle: Annotated[float, typer.Option(
        parser=usd_amount, metavar="USD",
        help="Japan's US$550 bn vehicle, USD (e.g. 500m; U.S.-located projects)")] = 0.0,
    samples: Annotated[int, typer.Option(min=1, help="disruption scenarios sampled")] = 1000,
    seed: Annotated[int, typer.Option(min=0, max=2**32 - 1,
                                      help="random seed of the simulation")] = 0,
    cvar_weight: Annotated[float, typer.Option(min=0, help="lambda on CVaR 95 %")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON results")] = False,
    frontier_html: Annotated[Path | None, typer.Option(
        "--frontier", help="write the budget-risk frontier (Plotly HTML)")] = None,
    db: Db = None,
    model: Model = DEFAULT_MODEL,
    regions: Annotated[str, typer.Option(
        help="model v2: regions whose unmet tonnes count (of USA,JPN,EU,KOR)")] = "USA,JPN",
    partners: Annotated[str, typer.Option(
        help="model v2: partners sharing the cost (Shapley, nucleolus; of USA,JPN,AUS,KOR,"
             "EU; empty: no sharing)")] = "USA,JPN,AUS,KOR,EU",
    budget_aus: Annotated[float, typer.Option(
        parser=usd_amount, metavar="USD", help="Australia's budget, USD (e.g. 500m, 1.2bn)")] = 0.0,
    budget_kor: Annotated[float, typer.Option(
        parser=usd_amount, metavar="USD", help="Korea's budget, USD (e.g. 500m, 1.2bn)")] = 0.0,
    budget_eu: Annotated[float, typer.Option(
        parser=usd_amount, metavar="USD", help="EU's budget, USD (e.g. 500m, 1.2bn)")] = 0.0,
    china_response: Annotated[bool, typer.Option(
        help="model v2: value projects under China's price response to new capacity")] = True,
    data: DataPath = None,
) -> None:
    """Choose projects, instruments and stockpiles that buy the most security per dollar."""
    from critmin.optimize.instance import build_instance
    from critmin.optimize.portfolio import InfeasibleError, solve
    from critmin.optimize.report import frontier, frontier_figure, portfolio_record, save

    check_model(model, "optimize")
    check_output(frontier_html, "optimize --frontier")
    net = load_net(data)
    sc = load_scenario(scenario, net, check="optimize")
    steps = Steps(4 if frontier_html else 3, quiet=as_json and not err.is_terminal)
    steps(f"simulating {sc.id}: {samples:,} samples (model {model})")
    budgets = {"USA": budget_usa, "JPN": budget_jpn, "JPN_vehicle": budget_vehicle}
    try:
        if model == "v2":  # monthly v2 paths, simulated here (not stored as a run)
            from critmin.optimize.finance import optimise
            from critmin.store import ResultsStore

            inst, sol, record = optimise(
                net, sc, budgets, samples=samples, seed=seed, regions=regions.split(","),
                partners=partners.split(",") if partners else [],
                partner_budgets={"AUS": budget_aus, "KOR": budget_kor, "EU": budget_eu},
                cvar_weight=cvar_weight, china=china_response, step=steps)
            store = ResultsStore(db)
        else:
            store, run_id = _stored_run(net, sc, samples, seed, db)
            steps("building and solving the portfolio (HiGHS)")
            inst = build_instance(net, store, run_id, budgets, cvar_weight=cvar_weight)
            sol = solve(inst)
    except (InfeasibleError, ValueError) as exc:
        err.print(f"optimize: {exc}")
        raise typer.Exit(2) from exc
    if model != "v2":
        record = portfolio_record(inst, sol)
    record["optimisation_id"] = save(store, inst, record)
    if frontier_html is not None:
        from critmin.report.figures import write_html

        steps("budget–risk frontier (6 budgets)")
        front = frontier(inst)
        record["frontier"] = front.to_dict("records")
        write_html([frontier_figure(front)], frontier_html, "critmin budget-risk frontier")
    if as_json:
        typer.echo(json.dumps(record, indent=1, default=str))
        return
    view = Table(title=f"portfolio against {sc.id} ({samples:,} scenarios, model {model})")
    for c in ("project", "commodity", "funder", "instrument", "cost USD m", "t in horizon"):
        view.add_column(c)
    for r in record["selected_projects"]:
        where = f" ({r['stage']} -> {r['delivers_to']})" if "stage" in r else ""
        when = (f", period {r['period']}" + (f" p={r['probability']:.2f}"
                                            if r["probability"] < 1 else "")
                if "period" in r else "")
        npv = f"; NPV P50 {r['npv_usd']['p50'] / 1e6:,.0f}m" if "npv_usd" in r else ""
        view.add_row(r["name"], r["commodity"] + where, r["funder"],
                     r["instrument"] + when + npv, f"{r['cost_usd'] / 1e6:,.1f}",
                     f"{r['output_t']:,.0f}")
    for r in record["stockpiles"]:
        when = f", period {r['period']}" if "period" in r else ""
        view.add_row(f"stockpile ({r['holder']})", r["commodity"], r["holder"],
                     "stock" + when, f"{r['cost_usd'] / 1e6:,.1f}", f"{r['stock_t']:,.0f}")
    console.print(view)
    b, a = record["risk_before"], record["risk_after"]
    console.print(f"expected loss {b['expected_loss_usd'] / 1e9:,.2f} -> "
                  f"{a['expected_loss_usd'] / 1e9:,.2f} USD bn; CVaR95 "
                  f"{b['cvar_usd'] / 1e9:,.2f} -> {a['cvar_usd'] / 1e9:,.2f} USD bn; "
                  f"binding: {', '.join(record['binding_constraints']) or 'none'}")
    if "spin_up_months" in record:  # v2: valued on the scenario's spun-up paths
        console.print(spin_up_line(sc, record["spin_up_months"]), highlight=False)


def _stored_run(net, sc, samples: int, seed: int, db: Path | None):
    """Simulate (or reuse the stored run of) ``sc``; local processes for large runs."""
    from critmin.simulate.runner import close_executor, make_executor, simulate
    from critmin.store import ResultsStore

    store = ResultsStore(db)
    executor = make_executor(None, None if samples > 8192 else 1)
    try:
        return store, simulate(net, sc, samples=samples, seed=seed, store=store,
                               executor=executor, model="v1")  # optimize --model v1
    finally:
        close_executor(executor)

