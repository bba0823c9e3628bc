"""``critmin token create|list|revoke`` and ``critmin serve``: the service's command line."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from critmin.cli.checks import fail as _fail
from critmin.cli.common import DataPath, console

token_app = typer.Typer(help="Bearer tokens for the API (name, scopes, expiry).",
                        no_args_is_help=True)

Db = Annotated[Path | None, typer.Option(help="results store (SQLite file)")]


def register(app: typer.Typer) -> None:
    """Add ``token`` and ``serve`` to the main command line."""
    app.add_typer(token_app, name="token")
    app.command("serve")(serve_cmd)


def _store_path(db: Path | None) -> Path:
    from critmin.store import ResultsStore, StoreBusy, StoreError

    try:
        return ResultsStore(db).path
    except (StoreBusy, StoreError, OSError) as exc:
        _fail(f"store: {exc}")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="who or what the token is for")],
    scope: Annotated[list[str] | None, typer.Option(
        "--scope", help="read, write or admin (repeat); default read and write")] = None,
    expires_days: Annotated[float, typer.Option(
        help="days until the token expires")] = 365.0,
    group: Annotated[str | None, typer.Option(
        help="tokens of one group see each other's runs, jobs and scenarios (--private)")]
        = None,
    db: Db = None,
) -> None:
    """Create a token; it is printed once and only its SHA-256 is stored (file mode 0600)."""
    from critmin.api.auth import DEFAULT_SCOPES, TokenError, create_token

    try:
        typer.echo(create_token(_store_path(db), name, tuple(scope or DEFAULT_SCOPES),
                                expires_days, group))
    except TokenError as exc:
        _fail(f"token create: {exc}")


@token_app.command("list")
def token_list(
    db: Db = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON records")] = False,
) -> None:
    """List tokens: name, scopes, created, expires (never the tokens themselves)."""
    from critmin.api.auth import list_tokens

    rows = list_tokens(_store_path(db))
    if as_json:
        typer.echo(json.dumps(rows, indent=1))
        return
    view = Table(title=f"tokens ({len(rows)})")
    for c in ("name", "scopes", "created", "expires"):
        view.add_column(c)
    for r in rows:
        view.add_row(r["name"], ", ".join(r["scopes"]), r["created_at"],
                     (r["expires_at"] or "never") + (" (expired)" if r["expired"] else ""))
    console.print(view)


@token_app.command("revoke")
def token_revoke(
    name: Annotated[str, typer.Argument(help="name of the token to revoke")],
    db: Db = None,
) -> None:
    """Revoke a token at once (a running server sees it on the next request)."""
    from critmin.api.auth import TokenError, revoke_token

    try:
        revoke_token(_store_path(db), name)
    except TokenError as exc:
        _fail(f"token revoke: {exc}")
    typer.echo(f"revoked {name}")


def serve_cmd(
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port to listen on")] = 8000,
    db: Db = None,
    data: DataPath = None,
    private: Annotated[bool, typer.Option(
        help="every route but /api/health needs a token with the read scope; tokens see "
             "their own and their group's work only")] = False,
    scheduler: Annotated[str | None, typer.Option(
        help="Dask scheduler address (tcp://host:8786) for jobs; local processes otherwise")]
        = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="local job worker processes")]
        = 2,
    job_nice: Annotated[int, typer.Option(
        min=0, max=19, help="CPU niceness of job workers (higher yields more to reads)")] = 10,
    queue: Annotated[int, typer.Option(min=1, max=10_000,
                                       help="jobs waiting at most; more get 429")] = 16,
    quota: Annotated[int, typer.Option(min=1, max=1000,
                                       help="unfinished jobs per token at most")] = 4,
    request_timeout: Annotated[float, typer.Option(
        min=1, max=3600, help="seconds before a request is answered 504")] = 30.0,
    header_timeout: Annotated[float, typer.Option(
        min=0.5, max=600, help="seconds a connection has to send a request's headers")]
        = 10.0,
    connections_per_client: Annotated[int, typer.Option(
        min=1, max=100_000, help="open connections per client address (idle ones beyond "
                                 "are closed)")] = 256,
    trusted_proxy: Annotated[list[str] | None, typer.Option(
        "--trusted-proxy", help="address or network (10.0.0.0/8) of a reverse proxy whose "
                                "X-Forwarded-For names the client (repeat); none by default: "
                                "the header is ignored")] = None,
    open_token: Annotated[bool, typer.Option(
        "--open-token/--no-open-token",
        help="on a loopback address, print the dashboard's URL with a fresh token (read, "
             "write; valid 1 day, replaced at the next start) so it can run jobs")] = True,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json) and the dashboard at /; prints the
    address (on localhost with a session token, as Jupyter does). Ctrl-C stops."""
    from critmin.api.app import create_app
    from critmin.api.server import serve
    from critmin.api.settings import Settings
    from critmin.data.validate import DataValidationError
    from critmin.store import StoreBusy, StoreError

    settings = Settings(private=private, scheduler=scheduler, workers=workers, job_nice=job_nice,
                        max_queue=queue, quota=quota, request_timeout_s=request_timeout,
                        header_timeout_s=header_timeout,
                        connections_per_client=connections_per_client,
                        trusted_proxies=tuple(trusted_proxy or ()))
    try:
        app = create_app(db, data, settings)
    except DataValidationError as exc:
        for p in exc.problems:
            typer.echo(str(p), err=True)
        raise typer.Exit(1) from exc
    except (StoreBusy, StoreError, OSError, ValueError) as exc:
        _fail(f"serve: {exc}")
    typer.echo(_banner(host, port, db, open_token))
    with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C while shutting down
        serve(app, host, port, settings)
    typer.echo("critmin serve: stopped")


LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SESSION_TOKEN = "serve-session"
"""Name of the token `serve` makes on localhost; each start replaces the previous one."""


def _banner(host: str, port: int, db: Path | None, open_token: bool) -> str:
    """The address to open. On a loopback address the dashboard URL carries a fresh
    token after ``#``: a URL fragment never reaches the server, its logs or a Referer; the
    page stores it and takes it out of the address bar."""
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    lines = [f"critmin serving {url} (API reference {url}docs); Ctrl-C stops"]
    if host in LOOPBACK and open_token:
        from critmin.api.auth import DEFAULT_SCOPES, create_token

        token = create_token(_store_path(db), SESSION_TOKEN, DEFAULT_SCOPES, 1.0)
        lines.append(f"dashboard, signed in for this session: {url}#token={token}")
    return "\n".join(lines)
