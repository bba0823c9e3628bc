"""``critmin report``: the decision brief as self-contained HTML or an A4 PDF."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from critmin.cli.checks import Steps, check_output, fail, usd_amount
from critmin.cli.common import (
    DataPath,
    Db,
    Model,
    check_model,
    console,
    load_net,
    load_scenario,
    open_store,
)
from critmin.market.registry import DEFAULT_MODEL


def register(app: typer.Typer) -> None:
    """Add ``report`` to the main command line."""
    app.command("report")(report_cmd)


def report_cmd(
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="file to write: .html (self-contained) or .pdf (A4)")] =
        Path("report.html"),
    pdf: Annotated[bool, typer.Option(
        "--pdf", help="also print an A4 PDF next to the HTML (needs Chromium)")] = False,
    scenario: Annotated[str, typer.Option(help="preset id or scenario file")] =
        "CN_2025_10_full_controls",
    samples: Annotated[int, typer.Option(min=16, max=200_000,
                                         help="Monte Carlo samples")] = 4096,
    seed: Annotated[int, typer.Option(min=0, max=2**32 - 1, help="random seed")] = 0,
    portfolio_samples: Annotated[int, typer.Option(
        min=16, max=20_000, help="simulated scenarios the optimiser uses")] = 256,
    budget_usa: Annotated[float, typer.Option(
        parser=usd_amount, metavar="USD", help="U.S. budget, USD (e.g. 500m, 1.2bn)")] = 1e9,
    budget_jpn: Annotated[float, typer.Option(
        parser=usd_amount, metavar="USD", help="Japan budget, USD (e.g. 500m, 1.2bn)")] = 1e9,
    budget_vehicle: Annotated[float, typer.Option(
        parser=usd_amount, metavar="USD",
        help="Japan's US$550 bn vehicle, USD (e.g. 500m; U.S.-located projects)")] = 0.0,
    model: Model = DEFAULT_MODEL,
    drivers_samples: Annotated[int, typer.Option(
        min=0, max=4096, help="Sobol base samples for the drivers section (0 leaves it "
                              "out)")] = 32,
    db: Db = None,
    data: DataPath = None,
) -> None:
    """Write the decision brief: executive summary, exposure, the scenario's prices and
    shortfalls, the optimised portfolio, caveats, methods and sources."""
    from critmin.report.html import write_report
    from critmin.report.pdf import PdfError, find_browser, html_to_pdf
    from critmin.workflows.brief import prepare

    if output.suffix.lower() not in (".html", ".htm", ".pdf"):
        fail(f"report: -o {output}: the brief is written as .html or .pdf, not "
             f"{output.suffix or 'a file without suffix'}; name it "
             f"{output.with_suffix('.html').name}")
    want_pdf = pdf or output.suffix.lower() == ".pdf"
    check_model(model, "report")
    check_output(output, "report")
    if want_pdf:
        try:
            find_browser()
        except PdfError as exc:
            fail(f"report: {exc}")
    net = load_net(data)
    sc = load_scenario(scenario, net, check="report")
    store = open_store(db)
    steps = Steps(5 + bool(want_pdf) + bool(drivers_samples) + 2 * (model == "v2"))
    budgets = {"USA": budget_usa, "JPN": budget_jpn, "JPN_vehicle": budget_vehicle}
    try:
        brief = prepare(net, sc, store, samples=samples, seed=seed, budgets=budgets,
                        portfolio_samples=portfolio_samples,
                        drivers_samples=drivers_samples, model=model, progress=steps)
    except ValueError as exc:
        fail(f"report: {exc}")
    html_path = output if output.suffix.lower() != ".pdf" else None
    with tempfile.TemporaryDirectory(prefix="critmin-report-") as tmp:
        target = html_path or Path(tmp) / "brief.html"
        write_report(brief, store, target)
        written = [str(html_path)] if html_path else []
        if want_pdf:
            pdf_path = output if html_path is None else output.with_suffix(".pdf")
            steps(f"printing {pdf_path} (A4, Chromium)")
            try:
                html_to_pdf(target, pdf_path)
            except PdfError as exc:
                fail(f"report: {exc}", 1)
            written.append(str(pdf_path))
    console.print(f"brief written to {' and '.join(written)} (scenario {sc.id}, "
                  f"{samples:,} samples, model {model})", highlight=False)

