"""Stored runs over HTTP: the list, one run's record, results of a simulation or
optimisation, and downloads of a run as CSV, Parquet or Excel (the same tables as
``critmin runs export``)."""

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from critmin.api.encode import records
from critmin.api.models import errors
from critmin.api.service import Service
from critmin.report.runs import export_frame, optimisation_result
from critmin.store import ResultsStore

MEDIA = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
RunId = Annotated[str, PathParam(max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


def _run(store: ResultsStore, run_id: str) -> dict:
    try:
        return store.run(run_id)
    except KeyError as exc:
        raise HTTPException(404, f"unknown run {run_id!r}") from exc


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
    read_errors = errors(401, 403, 404) if svc.settings.private else errors(404)

    @r.get("/api/runs", response_model=list[dict[str, Any]],
           responses=errors(401, 403) if svc.settings.private else None)
    def runs(_: Annotated[Any, Depends(reader)]):
        return records(store.runs())

    @r.get("/api/runs/{run_id}", response_model=dict[str, Any], responses=read_errors)
    def run(run_id: Annotated[str, PathParam(max_length=64)],
            _: Annotated[Any, Depends(reader)]):
        """One run's record: scenario, inputs, status, chunks done, owner."""
        rec = _run(store, run_id)
        out = {k: v for k, v in rec.items() if k not in ("pid", "host")}
        for k in ("scenario", "inputs", "commodities"):
            out[k] = json.loads(out[k])
        out["chunks_done"] = store.chunks_done(run_id)
        return json.loads(json.dumps(out, default=str))

    @r.get("/api/runs/{run_id}/results", response_model=dict[str, Any])
    def results(run_id: RunId, _: Annotated[Any, Depends(reader)]):
        """Results of a stored run: simulation summary or optimised portfolio."""
        return run_results(store, _run(store, run_id))

    @r.get("/api/runs/{run_id}/export")
    def export(run_id: RunId, _: Annotated[Any, Depends(reader)],
               format: Annotated[Literal["csv", "parquet", "xlsx"], Query()] = "csv",
               table: Annotated[Literal["samples", "summary", "paths"], Query(
                   description="simulations: per-sample results, summary or paths")] =
               "samples"):
        """A run as a file (CSV and Excel text cells cannot start a formula)."""
        from critmin.store.export import write_export

        run = _run(store, run_id)
        try:
            df = export_frame(store, run, table)
        except (KeyError, FileNotFoundError) as exc:
            raise HTTPException(409, f"run {run_id} has no stored {table}") from exc
        folder = Path(tempfile.mkdtemp(prefix="critmin-export-"))
        kind = "portfolio" if run.get("kind") == "optimisation" else table
        try:
            path = write_export(df, folder / f"{run['run_id']}-{kind}.{format}", format)
        except ValueError as exc:  # e.g. too many rows for one Excel sheet
            folder.rmdir()
            raise HTTPException(409, str(exc)) from exc

        def cleanup() -> None:
            path.unlink(missing_ok=True)
            folder.rmdir()

        return FileResponse(path, media_type=MEDIA[format], filename=path.name,
                            background=BackgroundTask(cleanup))

    return r
