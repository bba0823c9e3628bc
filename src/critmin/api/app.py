"""The HTTP API and dashboard: FastAPI routes that parse, call one core function, render.

Reads are open; every write (creating scenarios, submitting or cancelling jobs) needs a
bearer token made with ``critmin token create NAME``. Validation errors answer 422 with
field paths, unknown ids 404, and no stack trace ever reaches a client.
"""


import json
import math
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from critmin import __version__
from critmin.api.auth import token_name
from critmin.api.dashboard import dashboard_router
from critmin.api.jobs import JobManager
from critmin.data.schemas import TABLES
from critmin.model.network import load
from critmin.scenarios import scenario_catalogue
from critmin.scenarios.spec import Scenario
from critmin.store import ResultsStore

WEB = Path(str(resources.files("critmin.web") / "static"))
PLOTLY_JS = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


def _records(df: pd.DataFrame) -> list[dict]:
    return json.loads(df.to_json(orient="records", date_format="iso"))


def _clean(obj: Any) -> Any:
    """JSON-safe: NaN/inf become null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


class SimulationRequest(BaseModel):
    scenario_id: str | None = Field(None, description="preset, n1:... or created scenario id")
    scenario: Scenario | None = Field(None, description="inline scenario spec")
    samples: int = Field(2048, ge=1, le=200_000)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    horizon_quarters: int | None = Field(None, ge=1, le=80)


class OptimisationRequest(BaseModel):
    scenario_id: str = "CN_2025_10_full_controls"
    samples: int = Field(512, ge=16, le=20_000)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    budget_usa: float = Field(1e9, ge=0)
    budget_jpn: float = Field(1e9, ge=0)
    budget_vehicle: float = Field(0.0, ge=0)
    cvar_weight: float = Field(1.0, ge=0, le=100)


class JobInfo(BaseModel):
    id: str
    kind: Literal["simulation", "optimisation"]
    status: str
    progress: float
    error: str | None = None
    has_result: bool


def create_app(db: str | Path | None = None, data: str | Path | None = None) -> FastAPI:
    net = load(data)
    store = ResultsStore(db)
    jobs = JobManager()
    user_scenarios: dict[str, Scenario] = {}
    app = FastAPI(title="critmin", version=__version__,
                  description="Critical-minerals supply security: data, assessment, "
                              "disruption simulation and portfolio optimisation.")
    bearer = HTTPBearer(auto_error=False)

    def writer(cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str:
        if cred is None or token_name(store.path, cred.credentials) is None:
            raise HTTPException(401, "a valid bearer token is required for writes",
                                headers={"WWW-Authenticate": "Bearer"})
        return token_name(store.path, cred.credentials)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = [{"path": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]}
                  for e in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": errors})

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):
        return JSONResponse(status_code=500, content={"detail": "internal error"})

    def catalogue() -> dict[str, Scenario]:
        return {**scenario_catalogue(net), **user_scenarios}

    def scenario_or_404(sid: str) -> Scenario:
        sc = catalogue().get(sid)
        if sc is None:
            raise HTTPException(404, f"unknown scenario {sid!r}")
        return sc

    # -- data and assessment -------------------------------------------------------------
    @app.get("/api/health")
    def health() -> dict:
        return {"status": "ok", "version": __version__}

    @app.get("/api/tables")
    def tables() -> list[dict]:
        return [{"name": n, "rows": len(df), "description": TABLES[n].description}
                for n, df in net.tables.items()]

    @app.get("/api/tables/{name}")
    def table(name: str, limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
              offset: Annotated[int, Query(ge=0)] = 0) -> list[dict]:
        if name not in TABLES:
            raise HTTPException(404, f"unknown table {name!r}")
        return _records(net.tables[name].iloc[offset:offset + limit])

    @app.get("/api/sources")
    def sources() -> list[dict]:
        return _records(net.sources)

    @app.get("/api/summary")
    def summary() -> list[dict]:
        from critmin.metrics.summary import commodity_summary

        return _records(commodity_summary(net))

    @app.get("/api/assessment")
    def assessment(country: Annotated[list[str] | None, Query()] = None,
                   stage: str | None = None) -> list[dict]:
        from critmin.metrics.assessment import assess

        importers = tuple(c.upper() for c in (country or ["USA", "JPN"]))
        known = set(net.import_reliance["importer"]) | set(net.import_sources["importer"])
        if set(importers) - known:
            raise HTTPException(404, f"no import data for {sorted(set(importers) - known)}")
        return _clean(assess(net, importers, stage).records())

    # -- scenarios -----------------------------------------------------------------------
    @app.get("/api/scenarios")
    def scenarios() -> list[dict]:
        return [{"id": s.id, "name": s.name, "start": s.start.isoformat(),
                 "horizon_quarters": s.horizon_quarters, "commodities": s.commodities,
                 "user": s.id in user_scenarios} for s in catalogue().values()]

    @app.get("/api/scenarios/{sid}")
    def scenario(sid: str) -> dict:
        return scenario_or_404(sid).model_dump(mode="json")

    @app.post("/api/scenarios/validate")
    def validate(spec: Scenario) -> dict:
        return {"valid": True, "id": spec.id}

    @app.post("/api/scenarios", status_code=201)
    def create(spec: Scenario, who: Annotated[str, Depends(writer)]) -> dict:
        if spec.id in scenario_catalogue(net):
            raise HTTPException(409, f"{spec.id!r} is a preset id")
        user_scenarios[spec.id] = spec
        return {"id": spec.id, "created_by": who}

    # -- jobs ----------------------------------------------------------------------------
    @app.post("/api/jobs/simulate", status_code=202, response_model=JobInfo)
    def submit_simulation(req: SimulationRequest, who: Annotated[str, Depends(writer)]):
        from critmin.simulate.report import simulation_report
        from critmin.simulate.runner import simulate

        if (req.scenario is None) == (req.scenario_id is None):
            raise HTTPException(422, "give exactly one of scenario_id and scenario")
        sc = req.scenario or scenario_or_404(req.scenario_id)

        def work(progress):
            run_id = simulate(net, sc, samples=req.samples, seed=req.seed,
                              horizon=req.horizon_quarters, store=store, chunk_size=1024,
                              progress=lambda d, t: progress(d / max(t, 1)))
            return _clean(simulation_report(store, run_id))

        return jobs.submit("simulation", work).public()

    @app.post("/api/jobs/optimize", status_code=202, response_model=JobInfo)
    def submit_optimisation(req: OptimisationRequest, who: Annotated[str, Depends(writer)]):
        from critmin.optimize.instance import build_instance
        from critmin.optimize.portfolio import solve
        from critmin.optimize.report import frontier, portfolio_record
        from critmin.simulate.runner import simulate

        sc = scenario_or_404(req.scenario_id)

        def work(progress):
            run_id = simulate(net, sc, samples=req.samples, seed=req.seed, store=store,
                              chunk_size=1024, progress=lambda d, t: progress(0.6 * d / t))
            inst = build_instance(net, store, run_id, {
                "USA": req.budget_usa, "JPN": req.budget_jpn,
                "JPN_vehicle": req.budget_vehicle}, cvar_weight=req.cvar_weight)
            rec = portfolio_record(inst, solve(inst))
            progress(0.8)
            rec["frontier"] = frontier(inst, (0.0, 0.5, 1.0, 2.0)).to_dict("records")
            return _clean(json.loads(json.dumps(rec, default=str)))

        return jobs.submit("optimisation", work).public()

    def job_or_404(job_id: str):
        job = jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"unknown job {job_id!r}")
        return job

    @app.get("/api/jobs/{job_id}", response_model=JobInfo)
    def job_status(job_id: str):
        return job_or_404(job_id).public()

    @app.delete("/api/jobs/{job_id}", response_model=JobInfo)
    def job_cancel(job_id: str, who: Annotated[str, Depends(writer)]):
        job_or_404(job_id)
        return jobs.cancel(job_id).public()

    @app.get("/api/jobs/{job_id}/result")
    def job_result(job_id: str) -> dict:
        job = job_or_404(job_id)
        if job.result is None:
            raise HTTPException(409, f"job {job_id} is {job.status}")
        return job.result

    @app.get("/api/runs")
    def runs() -> list[dict]:
        return _records(store.runs())

    # -- dashboard -----------------------------------------------------------------------
    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js():
        return FileResponse(PLOTLY_JS, media_type="application/javascript")

    app.include_router(dashboard_router(net))
    app.mount("/static", StaticFiles(directory=WEB), name="static")

    for page in ("index", "scenario", "portfolio", "sources"):
        def serve(page=page):
            return FileResponse(WEB / f"{page}.html", media_type="text/html")
        app.add_api_route("/" if page == "index" else f"/{page}", serve, methods=["GET"],
                          include_in_schema=False)

    app.state.jobs = jobs
    return app
