"""The import graph of src/critmin, imports inside functions included (grimp reads every
import statement): no cycles, and the layers of docs/architecture.md hold
(``lint-imports`` checks the contract in pyproject.toml; CI runs it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]


def edges(graph) -> dict[str, set[str]]:
    """module -> modules it imports (anywhere in the module)."""
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def with_packages(imports: dict[str, set[str]]) -> dict[str, set[str]]:
    """Plus what Python runs too: importing ``a.b.c`` from outside ``a.b`` runs the
    package ``a.b`` (its ``__init__``) first, an edge to the package (a circle through a
    package's ``__init__`` fails at import time just as a direct one)."""
    out = {m: set(v) for m, v in imports.items()}
    for importer, imported_all in imports.items():
        for imported in imported_all:
            parts = imported.split(".")
            for k in range(2, len(parts)):
                package = ".".join(parts[:k])
                if not importer.startswith(package + ".") and importer != package:
                    out[importer].add(package)
    return out


def cycles(imports: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    modules = sorted(imports)
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(sorted(imports.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on.add(child)
                    work.append((child, iter(sorted(imports.get(child, ())))))
                    break
                if child in on:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        m = stack.pop()
                        on.discard(m)
                        comp.append(m)
                        if m == node:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("critmin", cache_dir=None)


def test_no_import_cycles(graph):
    found = cycles(with_packages(edges(graph)))
    assert found == [], f"{len(found)} import cycle(s): {found}"


def test_the_cycle_counter_finds_a_cycle():
    """The counter itself: a two-module circle is one cycle (guards a counter that always
    says 0)."""
    g = grimp.ImportGraph()
    for m in ("p", "p.a", "p.b", "p.c"):
        g.add_module(m)
    g.add_import(importer="p.a", imported="p.b")
    g.add_import(importer="p.b", imported="p.a")
    g.add_import(importer="p.b", imported="p.c")
    assert cycles(edges(g)) == [["p.a", "p.b"]]


def test_a_circle_through_a_package_init_is_a_cycle():
    """p.x imports p.q.y, whose package p.q runs p.q.z on import, which imports p.x: the
    failure critmin.market.posterior once had through critmin.market.v2's __init__."""
    g = grimp.ImportGraph()
    for m in ("p", "p.x", "p.q", "p.q.y", "p.q.z"):
        g.add_module(m)
    g.add_import(importer="p.x", imported="p.q.y")
    g.add_import(importer="p.q", imported="p.q.z")
    g.add_import(importer="p.q.z", imported="p.x")
    assert cycles(edges(g)) == []
    assert cycles(with_packages(edges(g))) == [["p.q", "p.q.z", "p.x"]]


def test_function_level_imports_are_in_the_graph(graph):
    """grimp sees an import inside a function (the API's lazy store export import)."""
    assert graph.direct_import_exists(importer="critmin.api.routes.runs",
                                      imported="critmin.store.export")


def test_the_api_never_imports_the_cli(graph):
    assert not graph.chain_exists(importer="critmin.api", imported="critmin.cli",
                                  as_packages=True)


def test_lint_imports_keeps_the_layer_contract():
    script = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(script), "--config", str(ROOT / "pyproject.toml")],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "1 kept, 0 broken" in out.stdout
