"""Stored runs over HTTP: the list, one run's record, results of a simulation or
optimisation, and downloads of a run as CSV, Parquet or Excel (the same tables as
``critmin runs export``)."""

import json
import weakref
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response, StreamingResponse

from critmin.api.encode import records
from critmin.api.models import errors
from critmin.api.service import Service
from critmin.api.streams import check_size, per_sample, small_table, stream
from critmin.report.runs import optimisation_result
from critmin.store import ResultsStore
from critmin.store.export import ExportTooLarge, xlsx_bytes

MEDIA = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
RunId = Annotated[str, PathParam(max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


def _run(svc: Service, run_id: str, who) -> dict:
    try:
        run = svc.store.run(run_id)
    except KeyError as exc:
        raise HTTPException(404, f"unknown run {run_id!r}") from exc
    svc.visible(who, run["owner"], f"run {run_id!r}")
    return run


def run_results(store: ResultsStore, run: dict) -> dict:
    """A simulation's summary (quantiles per commodity and region, value of the response
    rules when compared) or an optimisation's portfolio record."""
    if run.get("kind") == "optimisation":
        return optimisation_result(store, run["run_id"])
    if run.get("status") != "complete":
        raise HTTPException(409, f"run {run['run_id']} is {run.get('status')}")
    from critmin.simulate.report import simulation_report

    rep = simulation_report(store, run["run_id"])
    rep.pop("paths", None)
    if isinstance(rep.get("inputs"), str):
        rep["inputs"] = json.loads(rep["inputs"])
    return json.loads(json.dumps(rep, default=str).replace("NaN", "null"))


def runs_router(svc: Service) -> APIRouter:
    """``GET /api/runs``, ``/api/runs/{id}``, ``.../results`` and ``.../export``."""
    r = APIRouter(tags=["runs"])
    store, reader = svc.store, svc.reader
    slots = svc.exports
    read_errors = errors(401, 403, 404) if svc.settings.private else errors(404)

    @r.get("/api/runs", response_model=list[dict[str, Any]],
           responses=errors(401, 403) if svc.settings.private else None)
    def runs(who: Annotated[Any, Depends(reader)]):
        df = store.runs()
        return records(df[[svc.sees(who, o) for o in df["owner"].where(df["owner"].notna(),
                                                                         None)]])

    @r.get("/api/runs/{run_id}", response_model=dict[str, Any], responses=read_errors)
    def run(run_id: Annotated[str, PathParam(max_length=64)],
            who: Annotated[Any, Depends(reader)]):
        """One run's record: scenario, inputs, status, chunks done, owner."""
        rec = _run(svc, run_id, who)
        out = {k: v for k, v in rec.items() if k not in ("pid", "host")}
        for k in ("scenario", "inputs", "commodities"):
            out[k] = json.loads(out[k])
        out["chunks_done"] = store.chunks_done(run_id)
        return json.loads(json.dumps(out, default=str))

    @r.get("/api/runs/{run_id}/results", response_model=dict[str, Any],
           responses={**read_errors, **errors(409)})
    def results(run_id: RunId, who: Annotated[Any, Depends(reader)]):
        """Results of a stored run: simulation summary or optimised portfolio."""
        return run_results(store, _run(svc, run_id, who))

    @r.get("/api/runs/{run_id}/export", responses={**read_errors, **errors(409, 429)})
    def export(run_id: RunId, request: Request, who: Annotated[Any, Depends(reader)],
               format: Annotated[Literal["csv", "parquet", "xlsx"], Query()] = "csv",
               table: Annotated[Literal["samples", "summary", "paths"], Query(
                   description="simulations: per-sample results, summary or paths")] =
               "samples"):
        """A run as a file, streamed (CSV and Excel text cells cannot start a formula).
        Each client (token, or address without one) streams a bounded number at once."""
        run = _run(svc, run_id, who)
        try:
            small = workbook = None
            if per_sample(run, table):
                check_size(store, run, format)
                store.part_files(run_id)  # every part there and intact before the 200
            else:
                small = small_table(store, run, table)
                if format == "xlsx":  # the whole workbook before the 200
                    workbook = xlsx_bytes(small)
        except ExportTooLarge as exc:
            raise HTTPException(409, str(exc)) from exc
        except KeyError as exc:
            raise HTTPException(409, f"run {run_id} has no stored {table}") from exc
        kind = "portfolio" if run.get("kind") == "optimisation" else table
        name = f"{run['run_id']}-{kind}.{format}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        if workbook is not None:
            return Response(workbook, media_type=MEDIA[format], headers=headers)
        done = slots.take(svc.client_key(request))
        body = stream(store, run, table, format, done, small)
        weakref.finalize(body, done)  # freed even if the stream never starts
        return StreamingResponse(body, media_type=MEDIA[format], headers=headers)

    return r
