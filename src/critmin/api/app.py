"""The HTTP API and dashboard: FastAPI routes that parse, call one core function, render.

Reads of data and assessments are open and cached per data version; every write
(creating scenarios, submitting, cancelling or resuming jobs) needs a bearer token with the
``write`` scope (``critmin token create NAME``); only a job's or scenario's owner, or an
``admin`` token, may cancel or overwrite it. With ``--private`` results, runs and jobs need
the ``read`` scope. Errors always answer ``{"detail": ...}`` (a message, or a list of
``{path, reason}`` for invalid input) and never a stack trace.
"""


import asyncio
import contextlib
import gc
import json
import math
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from critmin import __version__
from critmin.api.auth import Identity, TokenBook
from critmin.api.cache import DataState, Encoded, ReadCache, ReadsBusy
from critmin.api.dashboard import dashboard_router
from critmin.api.jobs import JobManager, QueueFull, QuotaExceeded
from critmin.api.limits import Guard
from critmin.api.runs import runs_router
from critmin.api.settings import Settings
from critmin.data.schemas import STAGES, TABLES
from critmin.scenarios import scenario_catalogue
from critmin.scenarios.bounds import scenario_problems
from critmin.scenarios.spec import Scenario
from critmin.store import ResultsStore, StoreBusy

WEB = Path(str(resources.files("critmin.web") / "static"))
API_STATIC = Path(str(resources.files("critmin.api") / "static"))
PLOTLY_JS = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
MAX_COUNTRIES = 16
MAX_COUNTRY_PARAMS = 64
RETRY_AFTER_S = 15
READS_RETRY_S = 2


def _records(df: pd.DataFrame) -> list[dict]:
    return json.loads(df.to_json(orient="records", date_format="iso"))


def clean(obj: Any) -> Any:
    """JSON-safe: NaN/inf become null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [clean(v) for v in obj]
    return obj


_clean = clean


def _bytes(obj: Any) -> bytes:
    return json.dumps(clean(obj), separators=(",", ":"), allow_nan=False).encode()


# -- documented bodies ---------------------------------------------------------------------
class FieldError(BaseModel):
    path: str = Field(description="dotted path of the field, e.g. body.controls.0.start")
    reason: str


class Error(BaseModel):
    """Every error answer: a message, or the invalid fields."""

    detail: str | list[FieldError]


def _errors(*codes: int) -> dict:
    words = {400: "bad request", 401: "no valid bearer token",
             403: "the token lacks the scope or does not own the resource",
             404: "unknown id", 409: "conflict with the resource's state",
             422: "invalid input (fields and reasons)",
             429: "job queue full or token quota reached (see Retry-After)",
             503: "the store is busy (another process holds it too long)"}
    out = {c: {"model": Error, "description": words[c]} for c in codes}
    if 429 in out:
        out[429]["headers"] = {"Retry-After": {"schema": {"type": "integer"},
                                               "description": "seconds to wait"}}
    return out


COMMON = {c: {"model": Error, "description": d} for c, d in (
    (413, "request body too large"), (414, "query string too long"),
    (422, "invalid input (fields and reasons)"), (500, "internal error (no details)"),
    (503, "busy: the store is held, or too many reads are being computed (Retry-After)"),
    (504, "not answered within the request timeout"))}


class Invalid(Exception):
    """Invalid input found after parsing: answered 422 with field paths."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


ID = r"^[A-Za-z0-9_:.\-]{1,64}$"


class SimulationRequest(Strict):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={
        "examples": [{"scenario_id": "CN_2024_antimony_licensing", "samples": 1024,
                      "seed": 0}]})
    scenario_id: str | None = Field(None, pattern=ID, description="preset, n1:... or created "
                                                                  "scenario id")
    scenario: Scenario | None = Field(None, description="inline scenario spec")
    samples: int = Field(2048, ge=1, le=200_000, strict=True)
    seed: int = Field(0, ge=0, le=2**32 - 1, strict=True)
    horizon_quarters: int | None = Field(None, ge=1, le=80, strict=True)


class OptimisationRequest(Strict):
    scenario_id: str = Field("CN_2025_10_full_controls", pattern=ID)
    samples: int = Field(512, ge=16, le=20_000, strict=True)
    seed: int = Field(0, ge=0, le=2**32 - 1, strict=True)
    budget_usa: float = Field(1e9, ge=0, le=1e13, strict=True, description="USD")
    budget_jpn: float = Field(1e9, ge=0, le=1e13, strict=True, description="USD")
    budget_vehicle: float = Field(0.0, ge=0, le=1e13, strict=True, description="USD")
    cvar_weight: float = Field(1.0, ge=0, le=100, strict=True)


class JobInfo(BaseModel):
    id: str
    kind: Literal["simulation", "optimisation"]
    status: Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]
    progress: float
    error: str | None = None
    has_result: bool
    owner: str | None = None
    run_id: str | None = None


class ScenarioCreated(BaseModel):
    id: str
    created_by: str


class ScenarioRow(BaseModel):
    id: str
    name: str
    start: str
    horizon_quarters: int
    commodities: list[str]
    user: bool
    owner: str | None = None


def settle() -> None:
    """Collect once, then move every object alive now (the network, cached answers) out of
    the garbage collector's generations: a full collection then scans only what requests
    allocate (measured under load: 1-2 ms each, against 0.1-0.24 s with the network
    scanned, every request stalled meanwhile)."""
    gc.collect()
    gc.freeze()


def resettle() -> None:
    """After a data reload: let the old network be collected, then settle the new one (one
    pause of about 0.5 s per data change)."""
    gc.unfreeze()
    settle()


def _job_info(rec: dict) -> dict:
    return {"id": rec["job_id"], "kind": rec["kind"], "status": rec["status"],
            "progress": rec["progress"], "error": rec["error"],
            "has_result": rec["has_result"], "owner": rec["owner"], "run_id": rec["run_id"]}


def create_app(db: str | Path | None = None, data: str | Path | None = None,
               settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    state = DataState(data, settings.data_check_s)
    store = ResultsStore(db)
    tokens = TokenBook(store.path)
    cache = ReadCache(state, max_flights=settings.max_computing_reads)
    state.listeners.append(cache.clear)
    state.preparers.append(cache.prepare)
    state.listeners.append(resettle)
    jobs = JobManager(store, data, workers=settings.workers, max_queue=settings.max_queue,
                      quota=settings.quota, scheduler=settings.scheduler,
                      nice=settings.job_nice)
    user: dict[str, tuple[Scenario, str]] = {}
    user_version = [0]  # bumped when a user scenario is created or overwritten
    listing: list = [None, None]  # (key, Encoded) of the last /api/scenarios answer
    for rec in store.scenario_records():
        with contextlib.suppress(ValueError):
            user[rec["scenario_id"]] = (Scenario.model_validate(rec["spec"]), rec["owner"])

    @contextlib.asynccontextmanager
    async def lifespan(app):
        settle()  # the loaded data leaves the collector's scans
        warm = asyncio.ensure_future(asyncio.gather(
            tables(), sources(), summary(), scenarios(), assessment(None, None),
            return_exceptions=True))  # fill the read cache before the first clients come
        warm.add_done_callback(lambda f: f.cancelled() or settle())
        app.state.warm = warm
        watch = asyncio.ensure_future(state.watch())
        yield
        warm.cancel()
        watch.cancel()
        jobs.shutdown()
        cache.shutdown()

    app = FastAPI(title="critmin", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, responses=COMMON,
                  description="Critical-minerals supply security: data, assessment, "
                              "disruption simulation and portfolio optimisation. Errors "
                              "answer `{\"detail\": ...}`; writes need a bearer token.")
    bearer = HTTPBearer(auto_error=False, description="token from `critmin token create`")

    def need(scope: str):
        def check(cred: Annotated[HTTPAuthorizationCredentials | None,
                                  Depends(bearer)]) -> Identity:
            ident = tokens.identify(cred.credentials if cred else None)
            if ident is None:
                raise HTTPException(401, "a valid bearer token is required",
                                    headers={"WWW-Authenticate": "Bearer"})
            if not ident.can(scope):
                raise HTTPException(403, f"the token {ident.name!r} lacks the {scope!r} scope")
            return ident
        return check

    writer = need("write")

    def open_read() -> None:
        return None

    reader = need("read") if settings.private else open_read
    read_errors = _errors(401, 403, 404) if settings.private else _errors(404)

    def owner_or_admin(ident: Identity, owner: str | None, what: str) -> None:
        if owner is not None and owner != ident.name and not ident.can("admin"):
            raise HTTPException(403, f"{what} belongs to {owner!r}; only its owner or an "
                                     "admin token may change it")

    # -- errors --------------------------------------------------------------------------
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = [{"path": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]}
                  for e in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": errors})

    @app.exception_handler(Invalid)
    async def _invalid2(request: Request, exc: Invalid):
        return JSONResponse(status_code=422, content={"detail": [
            {"path": p, "reason": r} for p, r in exc.problems]})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed(app, request.url.path))
        return JSONResponse(status_code=exc.status_code, content={"detail": str(exc.detail)},
                            headers=headers or None)

    @app.exception_handler(StoreBusy)
    async def _busy(request: Request, exc: StoreBusy):
        return JSONResponse(status_code=503, content={"detail": str(exc)},
                            headers={"Retry-After": str(RETRY_AFTER_S)})

    @app.exception_handler(ReadsBusy)
    async def _reads_busy(request: Request, exc: ReadsBusy):
        return JSONResponse(status_code=503, content={"detail": str(exc)},
                            headers={"Retry-After": str(READS_RETRY_S)})

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):
        return JSONResponse(status_code=500, content={"detail": "internal error"})

    def catalogue() -> dict[str, Scenario]:
        return {**scenario_catalogue(state.net), **{k: v[0] for k, v in user.items()}}

    def scenario_or_404(sid: str) -> Scenario:
        sc = user[sid][0] if sid in user else scenario_catalogue(state.net).get(sid)
        if sc is None:
            raise HTTPException(404, f"unknown scenario {sid!r}")
        return sc

    def check_scenario(sc: Scenario, prefix: str) -> None:
        known = set(state.current().commodities["commodity"])
        problems = scenario_problems(sc, known)
        if problems:
            raise Invalid([(f"{prefix}.{p}" if p else prefix, r) for p, r in problems])

    def cached(enc: Encoded) -> Response:
        return Response(content=enc.body, media_type="application/json",
                        headers={"ETag": enc.etag, "Cache-Control": "no-cache"})

    # -- data and assessment -------------------------------------------------------------
    @app.get("/api/health")
    async def health() -> dict:
        """Liveness: answered on the event loop, never behind other work."""
        return {"status": "ok", "version": __version__}

    @app.get("/api/tables", response_model=list[dict[str, Any]])
    async def tables():
        return cached(await cache.get(("tables",), lambda net: _bytes(
            [{"name": n, "rows": len(df), "description": TABLES[n].description}
             for n, df in net.tables.items()])))

    @app.get("/api/tables/{name}", response_model=list[dict[str, Any]],
             responses=_errors(404))
    async def table(name: Annotated[str, PathParam(max_length=64)],
                    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
                    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
                    commodity: Annotated[str | None, Query(max_length=64)] = None,
                    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3,5}$")] = None,
                    format: Literal["json", "csv"] = "json"):
        """Rows of a table, filtered like `critmin data list` (commodity, country in any
        country column); ``format=csv`` answers CSV with formula-safe cells."""
        from critmin.data.select import FilterError, filter_rows

        if name not in TABLES:
            raise HTTPException(404, f"unknown table {name!r}")
        try:
            df = filter_rows(state.current().tables[name], name, commodity, country)
        except FilterError as exc:
            raise Invalid([("query", str(exc))]) from exc
        page = df.iloc[offset:offset + limit]
        if format == "csv":
            from critmin.store.export import CSV_EOL, safe_frame

            return Response(safe_frame(page).to_csv(index=False, lineterminator=CSV_EOL),
                            media_type="text/csv; charset=utf-8",
                            headers={"X-Total-Count": str(len(df))})
        if commodity is None and country is None:
            return cached(await cache.get(("table", name, limit, offset), lambda net: _bytes(
                _records(net.tables[name].iloc[offset:offset + limit]))))
        return Response(_bytes(_records(page)), media_type="application/json",
                        headers={"X-Total-Count": str(len(df))})

    @app.get("/api/sources", response_model=list[dict[str, Any]])
    async def sources():
        return cached(await cache.get(("sources",), lambda net: _bytes(_records(net.sources))))

    @app.get("/api/summary", response_model=list[dict[str, Any]])
    async def summary():
        from critmin.metrics.summary import commodity_summary

        return cached(await cache.get(("summary",), lambda net: _bytes(
            _records(commodity_summary(net)))))

    @app.get("/api/assessment", response_model=list[dict[str, Any]], responses=_errors(404))
    async def assessment(
            country: Annotated[list[Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")]] | None,
                               Query(max_length=MAX_COUNTRY_PARAMS,
                                     description="importer ISO3 (repeatable; duplicates "
                                                 "ignored; default USA and JPN)")] = None,
            stage: Literal[*STAGES, "reserves"] | None = None):
        from critmin.metrics.assessment import assess

        importers = tuple(sorted({c.upper() for c in (country or ["USA", "JPN"])}))
        if len(importers) > MAX_COUNTRIES:
            raise Invalid([("query.country", f"at most {MAX_COUNTRIES} distinct countries")])
        known = set(json.loads((await cache.get(("importers",), lambda net: _bytes(sorted(
            set(net.import_reliance["importer"]) | set(net.import_sources["importer"]))))
                                ).body))
        if set(importers) - known:
            raise HTTPException(404, f"no import data for {sorted(set(importers) - known)}")
        order = tuple(dict.fromkeys(c.upper() for c in (country or ["USA", "JPN"])))
        return cached(await cache.get(("assessment", order, stage), lambda net: _bytes(
            assess(net, order, stage).records())))

    # -- scenarios -----------------------------------------------------------------------
    @app.get("/api/scenarios", response_model=list[ScenarioRow])
    async def scenarios():
        presets = await cache.get(("scenarios",), lambda net: _bytes([
            {"id": s.id, "name": s.name, "start": s.start.isoformat(),
             "horizon_quarters": s.horizon_quarters, "commodities": s.commodities,
             "user": False, "owner": None} for s in scenario_catalogue(net).values()]))
        key = (state.version, user_version[0], id(presets))
        if listing[0] != key:  # presets (cached per data version) + user scenarios
            mine = [{"id": s.id, "name": s.name, "start": s.start.isoformat(),
                     "horizon_quarters": s.horizon_quarters, "commodities": s.commodities,
                     "user": True, "owner": owner} for s, owner in user.values()]
            listing[:] = [key, Encoded.of(_bytes(json.loads(presets.body) + mine))]
        return cached(listing[1])

    @app.get("/api/scenarios/{sid}", response_model=dict[str, Any], responses=_errors(404))
    def scenario(sid: Annotated[str, PathParam(max_length=64)]):
        return scenario_or_404(sid).model_dump(mode="json")

    @app.post("/api/scenarios/validate", response_model=dict[str, Any])
    def validate(spec: Scenario):
        check_scenario(spec, "body")
        return {"valid": True, "id": spec.id}

    @app.post("/api/scenarios", status_code=201, response_model=ScenarioCreated,
              responses=_errors(401, 403, 409, 503))
    def create(spec: Scenario, who: Annotated[Identity, Depends(writer)]):
        check_scenario(spec, "body")
        if spec.id in scenario_catalogue(state.net):
            raise HTTPException(409, f"{spec.id!r} is a preset id")
        if spec.id in user:
            owner_or_admin(who, user[spec.id][1], f"scenario {spec.id!r}")
        owner = user[spec.id][1] if spec.id in user else who.name
        store.put_scenario(spec.id, owner, spec.model_dump(mode="json"))
        user[spec.id] = (spec, owner)
        user_version[0] += 1
        return {"id": spec.id, "created_by": who.name}

    # -- jobs ----------------------------------------------------------------------------
    def submit(kind: str, who: Identity, request: dict) -> dict:
        state.current()
        try:
            job_id = jobs.submit(kind, who.name, {**request, "data_version": state.content})
        except (QueueFull, QuotaExceeded) as exc:
            raise HTTPException(429, str(exc),
                                headers={"Retry-After": str(RETRY_AFTER_S)}) from exc
        return _job_info(store.job(job_id))

    @app.post("/api/jobs/simulate", status_code=202, response_model=JobInfo,
              responses=_errors(401, 403, 404, 429, 503))
    def submit_simulation(req: SimulationRequest, who: Annotated[Identity, Depends(writer)]):
        if (req.scenario is None) == (req.scenario_id is None):
            raise Invalid([("body", "give exactly one of scenario_id and scenario")])
        if req.scenario is not None:
            check_scenario(req.scenario, "body.scenario")
        sc = req.scenario or scenario_or_404(req.scenario_id)
        return submit("simulation", who, {
            "scenario": sc.model_dump(mode="json"), "samples": req.samples, "seed": req.seed,
            "horizon_quarters": req.horizon_quarters})

    @app.post("/api/jobs/optimize", status_code=202, response_model=JobInfo,
              responses=_errors(401, 403, 404, 429, 503))
    def submit_optimisation(req: OptimisationRequest,
                            who: Annotated[Identity, Depends(writer)]):
        sc = scenario_or_404(req.scenario_id)
        return submit("optimisation", who, {
            **req.model_dump(), "scenario": sc.model_dump(mode="json"),
            "horizon_quarters": None})

    def job_or_404(job_id: str) -> dict:
        rec = store.job(job_id)
        if rec is None:
            raise HTTPException(404, f"unknown job {job_id!r}")
        return rec

    JobId = Annotated[str, PathParam(max_length=64)]

    @app.get("/api/jobs/{job_id}", response_model=JobInfo, responses=read_errors)
    def job_status(job_id: JobId, _: Annotated[Any, Depends(reader)]):
        return _job_info(job_or_404(job_id))

    @app.delete("/api/jobs/{job_id}", response_model=JobInfo,
                responses=_errors(401, 403, 404, 503))
    def job_cancel(job_id: JobId, who: Annotated[Identity, Depends(writer)]):
        rec = job_or_404(job_id)
        owner_or_admin(who, rec["owner"], f"job {job_id}")
        jobs.cancel(job_id)
        return _job_info(job_or_404(job_id))

    @app.post("/api/jobs/{job_id}/resume", status_code=202, response_model=JobInfo,
              responses=_errors(401, 403, 404, 409, 429, 503))
    def job_resume(job_id: JobId, who: Annotated[Identity, Depends(writer)]):
        """Queue an interrupted, cancelled or failed job again; finished chunks are reused.
        Refused (409) when the data changed since the job was submitted."""
        rec = job_or_404(job_id)
        owner_or_admin(who, rec["owner"], f"job {job_id}")
        state.current()
        was = rec["request"].get("data_version")
        if was is not None and was != state.content:
            raise HTTPException(409, f"job {job_id} ran on data version {was}; the data is "
                                     f"now {state.content}: submit it again to run afresh")
        try:
            jobs.resume(job_id, rec["owner"])
        except (QueueFull, QuotaExceeded) as exc:
            raise HTTPException(429, str(exc),
                                headers={"Retry-After": str(RETRY_AFTER_S)}) from exc
        except ValueError as exc:
            raise HTTPException(409, f"job {job_id} is {rec['status']}: {exc}") from exc
        return _job_info(job_or_404(job_id))

    @app.get("/api/jobs/{job_id}/result", response_model=dict[str, Any],
             responses={**read_errors, **_errors(409)})
    def job_result(job_id: JobId, _: Annotated[Any, Depends(reader)]):
        rec = store.job(job_id, with_result=True)
        if rec is None:
            raise HTTPException(404, f"unknown job {job_id!r}")
        if rec["result"] is None:
            raise HTTPException(409, f"job {job_id} is {rec['status']}")
        return rec["result"]

    @app.get("/api/runs", response_model=list[dict[str, Any]],
             responses=_errors(401, 403) if settings.private else None)
    def runs(_: Annotated[Any, Depends(reader)]):
        return _records(store.runs())

    @app.get("/api/runs/{run_id}", response_model=dict[str, Any], responses=read_errors)
    def run(run_id: Annotated[str, PathParam(max_length=64)],
            _: Annotated[Any, Depends(reader)]):
        """One run's record: scenario, inputs, status, chunks done, owner."""
        try:
            rec = store.run(run_id)
        except KeyError as exc:
            raise HTTPException(404, f"unknown run {run_id!r}") from exc
        out = {k: v for k, v in rec.items() if k not in ("pid", "host")}
        for k in ("scenario", "inputs", "commodities"):
            out[k] = json.loads(out[k])
        out["chunks_done"] = store.chunks_done(run_id)
        return json.loads(json.dumps(out, default=str))

    # -- dashboard and API docs ----------------------------------------------------------
    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js():
        return FileResponse(PLOTLY_JS, media_type="application/javascript")

    if (API_STATIC / "swagger-ui-bundle.js").exists():
        app.mount("/api-static", StaticFiles(directory=API_STATIC), name="api-static")

        @app.get("/docs", include_in_schema=False)
        def docs():
            return HTMLResponse(DOCS_PAGE)

    app.include_router(dashboard_router(state.current))  # follows data reloads
    app.include_router(runs_router(store, reader))  # run results and exports (api/runs.py)
    app.mount("/static", StaticFiles(directory=WEB), name="static")

    for page in ("index", "scenario", "portfolio", "sources"):
        def serve(page=page):
            return FileResponse(WEB / f"{page}.html", media_type="text/html")
        app.add_api_route("/" if page == "index" else f"/{page}", serve, methods=["GET"],
                          include_in_schema=False)

    app.openapi = lambda: _truthful_openapi(app)
    app.state.jobs = jobs
    app.state.cache = cache
    app.state.store = store
    app.add_middleware(Guard, max_body=settings.max_body_bytes,
                       max_query=settings.max_query_bytes, timeout_s=settings.request_timeout_s)
    return app


def _allowed(app: FastAPI, path: str) -> list[str]:
    """Methods of every route matching ``path`` (the Allow header of a 405)."""
    from starlette.routing import Match

    scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
    matched = [r for r in app.router.routes if r.matches(scope)[0] != Match.NONE
               and getattr(r, "methods", None)]
    if not matched:
        return []
    literal = [r for r in matched if "{" not in r.path]  # /api/jobs/simulate over {job_id}
    template = (literal or matched)[0].path
    return sorted({m for r in matched if r.path == template for m in r.methods})


FILE_TYPES = {"text/csv": {}, "application/vnd.apache.parquet": {},
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}


def _truthful_openapi(app: FastAPI) -> dict:
    """The generated schema, completed so that every answer the service gives is documented:
    404 wherever a path names an id, 409 for runs that are not finished, file types of
    exports, and the one error body (routers added by other modules included)."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    doc = get_openapi(title=app.title, version=app.version, description=app.description,
                      routes=app.routes)
    ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for path, ops in doc["paths"].items():
        for op in ops.values():
            codes = op.setdefault("responses", {})
            if "{" in path:
                codes.setdefault("404", {"description": "unknown id", **ref})
            if "requestBody" in op:
                codes.setdefault("400", {"description": "body is not JSON", **ref})
            if path.startswith("/api/runs/{run_id}/"):
                codes.setdefault("409", {"description": "run not finished or without that "
                                                        "table", **ref})
            if path.endswith("/export"):
                codes["200"]["content"] = FILE_TYPES
            if path == "/api/tables/{name}":
                codes["200"]["content"]["text/csv"] = {"schema": {"type": "string"}}
            for code, body in codes.items():
                if code >= "400" and "content" not in body:
                    body.update(ref)
    _add_links(doc)
    app.openapi_schema = doc
    return doc


JOB = {"job_id": "$response.body#/id"}
LINKS = {  # (path, method, status) -> what the answer leads to: (path, method, parameters)
    **{(p, "post", "202"): [("/api/jobs/{job_id}", m, JOB) for m in ("get", "delete")]
       + [("/api/jobs/{job_id}/resume", "post", JOB), ("/api/jobs/{job_id}/result", "get", JOB)]
       for p in ("/api/jobs/simulate", "/api/jobs/optimize")},
    ("/api/jobs/{job_id}", "get", "200"): [
        (p, "get", {"run_id": "$response.body#/run_id"})
        for p in ("/api/runs/{run_id}", "/api/runs/{run_id}/results", "/api/runs/{run_id}/export")],
    ("/api/scenarios", "post", "201"): [
        ("/api/scenarios/{sid}", "get", {"sid": "$response.body#/id"})],
}


def _add_links(doc: dict) -> None:
    """OpenAPI links: ids an answer returns and the operations that take them (clients and
    stateful testers follow them: create a job, then read, cancel or resume it)."""
    paths = doc["paths"]
    for (path, method, status), targets in LINKS.items():
        answer = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if answer is None:
            continue
        links = answer.setdefault("links", {})
        for target, verb, params in targets:
            if verb in paths.get(target, {}):
                op = paths[target][verb]["operationId"]
                links[op] = {"operationId": op, "parameters": params}


DOCS_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>critmin API</title>
<link rel="stylesheet" href="/api-static/swagger-ui.css"></head><body><div id="ui"></div>
<script src="/api-static/swagger-ui-bundle.js"></script>
<script src="/api-static/docs-init.js"></script></body></html>"""
