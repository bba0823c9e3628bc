"""MkDocs hook: write the CLI and HTTP API reference pages from the code at build time.

`concepts/glossary.md` gets the glossary of critmin.report.explain; `reference/cli.md`
lists every `critmin` command with its help, arguments and options (read from the Typer
app); `reference/http.md` lists every route of the OpenAPI schema with its
parameters and answers; `reference/python.md` the signatures and docstrings of the main
Python entry points. Pages hold a marker comment that this hook replaces.
"""

from __future__ import annotations

import tempfile

CLI_MARK = "<!-- cli-reference -->"
HTTP_MARK = "<!-- http-reference -->"
PY_MARK = "<!-- python-reference -->"
GLOSSARY_MARK = "<!-- glossary -->"

# The Python entry points the tutorials and guides use, documented from their docstrings.
PYTHON_API = [
    "critmin.load", "critmin.Network", "critmin.Network.production_shares",
    "critmin.metrics.assessment.assess", "critmin.metrics.concentration.concentration",
    "critmin.metrics.concentration.chain_stages", "critmin.metrics.trade.import_dependence",
    "critmin.metrics.criticality.eu_supply_risk", "critmin.metrics.criticality.us_supply_risk",
    "critmin.scenarios.spec.Scenario", "critmin.scenarios.spec.parse_scenario",
    "critmin.simulate.runner.simulate", "critmin.simulate.report.simulation_report",
    "critmin.simulate.report.SimulationReport", "critmin.simulate.progress.progress_bar",
    "critmin.simulate.paths.simulate_paths", "critmin.simulate.paths.latent_priors",
    "critmin.calibrate.sensitivity.sobol_indices", "critmin.calibrate.sensitivity.top_drivers",
    "critmin.report.explain.price_rationed", "critmin.report.explain.rerouted",
    "critmin.report.runs.as_shown", "critmin.market.registry.get",
    "critmin.store.ResultsStore", "critmin.optimize.instance.build_instance",
    "critmin.optimize.portfolio.solve", "critmin.optimize.report.portfolio_record",
    "critmin.optimize.report.frontier",
]


def on_page_markdown(markdown: str, page, config, files) -> str:
    if CLI_MARK in markdown:
        markdown = markdown.replace(CLI_MARK, cli_reference())
    if HTTP_MARK in markdown:
        markdown = markdown.replace(HTTP_MARK, http_reference())
    if PY_MARK in markdown:
        markdown = markdown.replace(PY_MARK, python_reference())
    if GLOSSARY_MARK in markdown:
        from critmin.report.explain import glossary_markdown

        markdown = markdown.replace(GLOSSARY_MARK, glossary_markdown())
    return markdown


def _resolve(dotted: str):
    import importlib

    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(dotted)


def python_reference() -> str:
    import inspect

    lines = []
    for dotted in PYTHON_API:
        obj = _resolve(dotted)
        try:
            sig = str(inspect.signature(obj))
        except (TypeError, ValueError):
            sig = ""
        kind = "class" if inspect.isclass(obj) else "function"
        doc = inspect.cleandoc(obj.__doc__ or "(no docstring)")
        lines += [f"### `{dotted}`", "", f"*{kind}*", "", "```python",
                  f"{dotted.rsplit('.', 1)[-1]}{sig}", "```", "", "```text", doc, "```", ""]
    return "\n".join(lines)


def _cell(text) -> str:
    return " ".join(str(text or "").split()).replace("|", "\\|")


def _default(p) -> str:
    d = getattr(p, "default", None)
    if d is None or getattr(p, "required", False) or callable(d):
        return ""
    if isinstance(d, bool):
        return "on" if d else "off"
    if isinstance(d, list | tuple):
        return ", ".join(map(str, d))
    return f"`{d}`"


def _command(path: str, cmd) -> list[str]:
    out = [f"### `{path}`", "", _cell(cmd.help).split("\b")[0] or "", ""]
    args = [p for p in cmd.params if type(p).__name__.endswith("Argument")]
    opts = [p for p in cmd.params if not type(p).__name__.endswith("Argument")
            and not getattr(p, "hidden", False)]
    usage = " ".join([path] + [p.name.upper() for p in args] + (["[OPTIONS]"] if opts else []))
    out += [f"Usage: `{usage}`", ""]
    if args or opts:
        out += ["| Argument / option | Help | Default |", "|---|---|---|"]
        for p in args:
            out.append(f"| `{p.name.upper()}` | {_cell(getattr(p, 'help', ''))} | "
                       f"{'required' if p.required else _default(p)} |")
        for p in opts:
            names = " / ".join(f"`{o}`" for o in [*p.opts, *getattr(p, "secondary_opts", [])])
            req = "required" if p.required else _default(p)
            out.append(f"| {names} | {_cell(p.help)} | {req} |")
        out.append("")
    return out


def cli_reference() -> str:
    import typer

    from critmin.cli import app

    root = typer.main.get_command(app)
    lines: list[str] = []

    def walk(path: str, cmd) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            if path != "critmin":
                lines.extend([f"## `{path}`", "", _cell(cmd.help), ""])
            for name in subs:
                walk(f"{path} {name}", subs[name])
        else:
            lines.extend(_command(path, cmd))

    walk("critmin", root)
    return "\n".join(lines)


def http_reference() -> str:
    from critmin.api.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        schema = create_app(f"{tmp}/docs.duckdb").openapi()
    lines = [f"OpenAPI {schema.get('openapi', '')}, {schema['info']['title']} "
             f"{schema['info'].get('version', '')}.", ""]
    for path, ops in sorted(schema["paths"].items()):
        for method, op in ops.items():
            lines += [f"### `{method.upper()} {path}`", "", _cell(op.get("summary")), ""]
            if op.get("description"):
                lines += [_cell(op["description"]), ""]
            params = op.get("parameters", [])
            if params:
                lines += ["| Parameter | In | Required | Description |", "|---|---|---|---|"]
                for p in params:
                    lines.append(f"| `{p['name']}` | {p['in']} | "
                                 f"{'yes' if p.get('required') else 'no'} | "
                                 f"{_cell(p.get('description', ''))} |")
                lines.append("")
            if "requestBody" in op:
                ref = next(iter(op["requestBody"]["content"].values()))["schema"]
                name = ref.get("$ref", "").split("/")[-1] or ref.get("type", "")
                lines += [f"Body: `{name}` (JSON)", ""]
            codes = ", ".join(f"{c} {_cell(r.get('description'))}"
                              for c, r in op.get("responses", {}).items())
            lines += [f"Answers: {codes}", ""]
    return "\n".join(lines)
