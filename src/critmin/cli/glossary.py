"""``critmin glossary [TERM]``: what each measure in critmin's outputs means (the same
entries as the brief's Glossary and docs/concepts/glossary.md)."""

from __future__ import annotations

import difflib
from typing import Annotated

import typer

from critmin.cli.checks import fail
from critmin.cli.common import console
from critmin.report.explain import GLOSSARY, TERMS, glossary_markdown


def register(app: typer.Typer) -> None:
    """Add ``glossary`` to the main command line."""
    app.command("glossary")(glossary_cmd)


def glossary_cmd(
    term: Annotated[str | None, typer.Argument(
        help="one entry, e.g. shortfall, price-rationing, re-routing")] = None,
    md: Annotated[bool, typer.Option("--md", help="print Markdown")] = False,
):
    """Meaning and unit of every measure critmin prints: shortfall vs physical shortfall,
    price ratio, price rationing, re-routing, ranks and ties, Sobol indices ..."""
    if md:
        typer.echo(glossary_markdown())
        return
    if term is None:
        entries = list(GLOSSARY)
    else:
        key = term.strip().lower().replace(" ", "-").replace("_", "-")
        if key not in TERMS:
            near = difflib.get_close_matches(key, list(TERMS), n=1)
            hint = f"did you mean {near[0]}? " if near else ""
            fail(f"glossary: no entry {term!r}; {hint}entries: {', '.join(TERMS)}")
        entries = [TERMS[key]]
    for t in entries:
        console.print(f"[bold]{t.term}[/bold] ({t.key})", highlight=False)
        console.print(f"  {t.text}", highlight=False, markup=False)
