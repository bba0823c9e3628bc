"""Data and assessment reads: tables, sources, summary, assessment (cached per data
version; answers carry an ETag)."""

import json
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from pydantic import Field

from critmin import __version__
from critmin.api.encode import records, to_bytes
from critmin.api.models import Invalid, errors
from critmin.api.service import Service, cached
from critmin.data.schemas import TABLES, Stage

MAX_COUNTRIES = 16
MAX_COUNTRY_PARAMS = 64


def _page(net, name: str, offset: int, limit: int, fmt: str) -> bytes:
    """Rows [offset, offset + limit) of a table as JSON or formula-safe CSV bytes."""
    page = net.tables[name].iloc[offset:offset + limit]
    if fmt == "csv":
        from critmin.store.export import CSV_EOL, safe_frame

        return safe_frame(page).to_csv(index=False, lineterminator=CSV_EOL).encode()
    return to_bytes(records(page))


def health_router() -> APIRouter:
    """``/api/health``: open in every mode (probes of load balancers carry no token)."""
    r = APIRouter(tags=["data"])

    @r.get("/api/health")
    async def health() -> dict:
        """Liveness: answered on the event loop, never behind other work."""
        return {"status": "ok", "version": __version__}
    return r


def data_router(svc: Service) -> APIRouter:
    """``/api/tables``, ``/api/sources``, ``/api/summary``, ``/api/assessment``."""
    r = APIRouter(tags=["data"])
    cache, state = svc.cache, svc.state

    @r.get("/api/tables", response_model=list[dict[str, Any]])
    async def tables():
        return cached(await cache.get(("tables",), lambda net: to_bytes(
            [{"name": n, "rows": len(df), "description": TABLES[n].description}
             for n, df in net.tables.items()])))

    @r.get("/api/tables/{name}", response_model=list[dict[str, Any]],
           responses=errors(404))
    async def table(name: Annotated[str, PathParam(max_length=64)], request: Request,
                    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
                    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
                    commodity: Annotated[str | None, Query(max_length=64)] = None,
                    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3,5}$")] = None,
                    format: Literal["json", "csv"] = "json"):
        """Rows of a table, filtered like `critmin data list` (commodity, country in any
        country column); ``format=csv`` answers CSV with formula-safe cells. A filter on a
        column the table lacks (``country`` on ``sources``) is 422. Filtered and CSV reads
        are computed in a bounded pool of worker threads."""
        if name not in TABLES:
            raise HTTPException(404, f"unknown table {name!r}")
        net = state.current()
        if commodity is None and country is None:  # computed once per data version
            key = ("table", name, limit, offset) + (("csv",) if format == "csv" else ())
            enc = await cache.get(key, lambda net: _page(net, name, offset, limit, format))
            if format == "json":
                return cached(enc, request=request)
            return cached(enc, "text/csv; charset=utf-8",
                          {"X-Total-Count": str(len(net.tables[name]))}, request)

        def read() -> tuple[bytes, int]:  # in a worker thread: never on the event loop
            from critmin.data.select import FilterError, filter_rows

            try:
                df = filter_rows(net.tables[name], name, commodity, country)
            except FilterError as exc:
                raise Invalid([("query", str(exc))]) from exc
            page = df.iloc[offset:offset + limit]
            if format == "csv":
                from critmin.store.export import CSV_EOL, safe_frame

                return safe_frame(page).to_csv(index=False, lineterminator=CSV_EOL).encode(), \
                    len(df)
            return to_bytes(records(page)), len(df)

        body, total = await anyio.to_thread.run_sync(read, limiter=svc.heavy)
        media = "text/csv; charset=utf-8" if format == "csv" else "application/json"
        return Response(body, media_type=media, headers={"X-Total-Count": str(total)})

    @r.get("/api/sources", response_model=list[dict[str, Any]])
    async def sources():
        return cached(await cache.get(("sources",), lambda net: to_bytes(records(net.sources))))

    @r.get("/api/summary", response_model=list[dict[str, Any]])
    async def summary():
        from critmin.metrics.summary import commodity_summary

        return cached(await cache.get(("summary",), lambda net: to_bytes(
            records(commodity_summary(net)))))

    @r.get("/api/assessment", response_model=list[dict[str, Any]], responses=errors(404))
    async def assessment(
            country: Annotated[list[Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")]] | None,
                               Query(max_length=MAX_COUNTRY_PARAMS,
                                     description="importer ISO3 (repeatable; duplicates "
                                                 "ignored; default USA and JPN)")] = None,
            stage: Literal[Stage, "reserves"] | None = None):
        from critmin.metrics.assessment import assess

        importers = tuple(sorted({c.upper() for c in (country or ["USA", "JPN"])}))
        if len(importers) > MAX_COUNTRIES:
            raise Invalid([("query.country", f"at most {MAX_COUNTRIES} distinct countries")])
        known = set(json.loads((await cache.get(("importers",), lambda net: to_bytes(sorted(
            set(net.import_reliance["importer"]) | set(net.import_sources["importer"]))))
                                ).body))
        if set(importers) - known:
            raise HTTPException(404, f"no import data for {sorted(set(importers) - known)}")
        order = tuple(dict.fromkeys(c.upper() for c in (country or ["USA", "JPN"])))
        return cached(await cache.get(("assessment", order, stage), lambda net: to_bytes(
            assess(net, order, stage).records())))

    svc.warmers += [tables, sources, summary, lambda: assessment(None, None)]
    return r
