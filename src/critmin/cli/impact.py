"""``critmin impact``: GDP (value added) a scenario costs the U.S. or Japan, by industry and
month, and ``critmin impact-rank``: the impact-based criticality ranking."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from critmin.cli.checks import fail
from critmin.cli.common import DataPath, console, load_net, load_scenario, spin_up_line


def register(app: typer.Typer) -> None:
    """Add ``impact`` and ``impact-rank`` to the main command line."""
    app.command("impact")(impact_cmd)
    app.command("impact-rank")(rank_cmd)


def _bn(x: float) -> str:
    return f"{x / 1e9:,.2f}"


def impact_cmd(
    scenario: Annotated[str, typer.Option(help="preset id or scenario file")] =
        "CN_2025_10_full_controls",
    country: Annotated[str, typer.Option(help="USA or JPN")] = "USA",
    samples: Annotated[int, typer.Option(min=1, max=100_000, help="Monte Carlo samples")] = 64,
    months: Annotated[int, typer.Option(min=1, max=60, help="months simulated")] = 12,
    seed: Annotated[int, typer.Option(min=0, max=2**32 - 1, help="random seed")] = 0,
    top: Annotated[int, typer.Option(min=1, max=402, help="industries listed")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    data: DataPath = None,
):
    """GDP (value added) loss of a scenario by industry and month, USD (docs/impact.md)."""
    from critmin.workflows.impact import COUNTRIES, run_impact

    country = country.upper()
    if country not in COUNTRIES:
        fail(f"--country {country}: use one of {', '.join(COUNTRIES)}")
    net = load_net(data)
    sc = load_scenario(scenario, net, check="impact")
    res = run_impact(net, sc, country, samples=samples, seed=seed, months=months, top=top)
    if as_json:
        typer.echo(json.dumps(res))
        return
    g = res["gdp_loss_usd"]
    console.print(f"{sc.id}, {country}: GDP (value added) loss over {months} months, USD bn "
                  f"P5 {_bn(g['p5'])}  P50 {_bn(g['p50'])}  P95 {_bn(g['p95'])} "
                  f"({samples} samples, model v2; {res['industries_affected']} industries)")
    t = Table("industry", "name", "mean, USD m", "P95, USD m", "of which price, USD m")
    for r in res["top_industries"]:
        t.add_row(r["industry"], r["name"][:48], f"{r['mean'] / 1e6:,.1f}",
                  f"{r['p95'] / 1e6:,.1f}", f"{r['price_mean'] / 1e6:,.1f}")
    console.print(t)
    console.print(f"IO table: {res['io_table']['note']}")
    console.print(spin_up_line(sc, res["spin_up_months"]), highlight=False)


def rank_cmd(
    country: Annotated[str, typer.Option(help="USA or JPN")] = "USA",
    samples: Annotated[int, typer.Option(min=1, max=10_000,
                                         help="samples per supplier scenario")] = 16,
    seed: Annotated[int, typer.Option(min=0, max=2**32 - 1, help="random seed")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    data: DataPath = None,
):
    """Impact-based criticality: P(disruption) x expected GDP loss of each commodity's top
    supplier halting exports for a year (docs/impact.md)."""
    from critmin.workflows.criticality import compare_lists, compare_usgs, rank_commodities
    from critmin.workflows.impact import COUNTRIES

    country = country.upper()
    if country not in COUNTRIES:
        fail(f"--country {country}: use one of {', '.join(COUNTRIES)}")
    net = load_net(data)
    table = rank_commodities(net, country, samples=samples, seed=seed)
    if as_json:
        typer.echo(table.to_json(orient="records"))
        return
    t = Table("rank", "commodity", "supplier", "P(disruption)/yr", "E[GDP loss], USD m",
              "risk, USD m/yr", "via price")
    for r in table.itertuples(index=False):
        t.add_row(str(r.rank), r.commodity, r.supplier, f"{r.probability:.2f}",
                  f"{r.expected_loss_usd / 1e6:,.1f}", f"{r.risk_usd / 1e6:,.1f}",
                  "yes" if r.via_price else "")
    console.print(t)
    if country == "USA" and commodities_ranked(table) >= 3:
        u = compare_usgs(table)
        console.print(f"Spearman with the USGS 2025 top ten ({u['n']} commodities both rank): "
                      f"{u['spearman']:+.2f}")
    for name, c in compare_lists(table, net).items():
        console.print(f"{name} list: AUC {c['auc']:.2f} ({c['members']} members ranked; "
                      f"non-members {', '.join(c['non_members']) or 'none'})")


def commodities_ranked(table) -> int:
    """How many ranked commodities are in the USGS 2025 top ten."""
    from critmin.workflows.criticality import usgs_ranking

    return int(table["commodity"].isin(set(usgs_ranking()["commodity"])).sum())
