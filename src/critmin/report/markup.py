"""HTML pieces of the brief: escaped text, markup built here, tables of formatted cells.
Every data value goes through :func:`esc`; only :class:`Markup` passes unescaped."""

from __future__ import annotations

import html

from critmin.report.explain import anchor


class Markup(str):
    """HTML built by the report itself (a link it wrote), inserted as is."""


def esc(x) -> str:
    """Text as HTML (markup the report built stays as is)."""
    return x if isinstance(x, Markup) else html.escape(str(x))


def gloss(text: str, key: str) -> Markup:
    """``text`` linked to its entry in the brief's glossary (KeyError for an unknown term)."""
    return Markup(f'<a class=g href="#{anchor(key)}">{esc(text)}</a>')


def table(headers: list[str], rows: list[list], numeric: set[int] | None = None) -> str:
    """An HTML table of already formatted cells; ``numeric``: right-aligned columns."""
    numeric = numeric or set()
    head = "".join(f"<th{' class=n' if i in numeric else ''}>{esc(h)}</th>"
                   for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(
        f"<td{' class=n' if i in numeric else ''}>{esc(c)}</td>" for i, c in enumerate(r))
        + "</tr>" for r in rows)
    return f"<table class=t><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
