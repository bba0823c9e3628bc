"""``critmin club``: the fair-markets lab, a partners' price-floor club against
stockpiles and project funding at the same cost."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from critmin.cli.checks import fail
from critmin.cli.common import DataPath, console, load_net, load_scenario, spin_up_line


def register(app: typer.Typer) -> None:
    """Add ``club`` to the main command line."""
    app.command("club")(club_cmd)


def _m(x: float) -> str:
    return f"{x / 1e6:,.1f}"


def club_cmd(
    commodity: Annotated[str, typer.Option(help="commodity id of the club, e.g. ndpr")],
    partners: Annotated[str, typer.Option(
        help="partners of the club (of USA,JPN,AUS,KOR,EU)")] = "USA,JPN,AUS,KOR,EU",
    scenario: Annotated[str, typer.Option(help="preset id or scenario file")] =
        "CN_2025_10_full_controls",
    floor_usd_kg: Annotated[float | None, typer.Option(
        min=0, help="floor price, USD/kg (default: a sourced floor, e.g. DoD-MP NdPr "
                    "USD 110/kg, else the baseline price)")] = None,
    tariff: Annotated[float, typer.Option(
        min=0, max=5, help="tariff or certificate charge on Chinese supply into partner "
                           "markets (default 0.25: the U.S. Section 301 rate)")] = 0.25,
    samples: Annotated[int, typer.Option(min=1, help="samples per simulation")] = 200,
    seed: Annotated[int, typer.Option(min=0, max=2**32 - 1, help="random seed")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON results")] = False,
    data: DataPath = None,
) -> None:
    """Partners' price-floor club simulated with the market model, against stockpiles and
    project funding at the same fiscal cost."""
    from critmin.workflows.club import club

    net = load_net(data)
    sc = load_scenario(scenario, net, check="club")
    known = set(net.commodities["commodity"])
    if commodity not in known:
        fail(f"club: --commodity {commodity}: unknown; use a commodity id of the "
             "commodities table (e.g. ndpr, ndfeb_magnet, gallium)")
    try:
        rec = club(net, partners.split(","), commodity, scenario=sc,
                   floor_usd_t=None if floor_usd_kg is None else floor_usd_kg * 1000,
                   tariff=tariff, samples=samples, seed=seed)
    except ValueError as exc:
        fail(f"club: {exc}")
    if as_json:
        typer.echo(json.dumps(rec, indent=1, default=str))
        return
    c = rec["club"]
    console.print(f"{commodity} club of {', '.join(rec['partners'])}: floor "
                  f"{c['floor_usd_t'] / 1000:,.1f} USD/kg ({c['floor_basis']}), covered "
                  f"{c['covered_t_per_yr']:,.0f} t/yr, tariff {100 * c['tariff_rate']:.0f} % on "
                  f"Chinese supply; {rec['samples']} samples of {rec['scenario']}",
                  highlight=False)
    view = Table(title="over the horizon, P5 / P50 / P95 (USD m, t, volatility points)")
    for col in ("policy", "cost to buyers", "fiscal cost", "shortfall avoided t",
                "volatility avoided"):
        view.add_column(col)

    def row(name, r, fiscal):
        view.add_row(name, " / ".join(_m(r["cost_to_buyers_usd"][k]) for k in ("p5", "p50",
                                                                               "p95")),
                     fiscal,
                     " / ".join(f"{r['shortfall_avoided_t'][k]:,.0f}" for k in ("p5", "p50",
                                                                               "p95")),
                     " / ".join(f"{100 * r['volatility_avoided'][k]:.1f}"
                                for k in ("p5", "p50", "p95")))

    row("club", c, " / ".join(_m(c["fiscal_cost_usd"][k]) for k in ("p5", "p50", "p95")))
    s = rec["same_cost"]
    row(f"stockpile {s['stockpile']['stock_t']:,.0f} t", s["stockpile"],
        _m(s["budget_usd"]))
    row(f"projects ({len(s['projects']['funded'])})", s["projects"],
        _m(s["projects"]["fiscal_cost_usd"]))
    console.print(view)
    console.print(spin_up_line(sc, rec["spin_up_months"]), highlight=False)
