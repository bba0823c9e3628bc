"""Exception handlers: every error answers ``{"detail": ...}``, never a stack trace."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from critmin.api.cache import ReadsBusy
from critmin.api.models import Invalid
from critmin.api.service import RETRY_AFTER_S
from critmin.store import CorruptPart, StoreBusy

READS_RETRY_S = 2


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

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
            headers["Allow"] = ", ".join(allowed(app, request.url.path))
        return JSONResponse(status_code=exc.status_code, content={"detail": str(exc.detail)},
                            headers=headers or None)

    @app.exception_handler(StoreBusy)
    async def _busy(request: Request, exc: StoreBusy):
        return JSONResponse(status_code=503, content={"detail": str(exc)},
                            headers={"Retry-After": str(RETRY_AFTER_S)})

    @app.exception_handler(CorruptPart)
    async def _corrupt(request: Request, exc: CorruptPart):  # names no server path
        return JSONResponse(status_code=500, content={"detail": (
            f"stored part {exc.name} of run {exc.run_id} is missing or changed since it was "
            f"written (SHA-256); the operator runs `critmin runs verify {exc.run_id} "
            "--repair`, then the same job again")})

    @app.exception_handler(ReadsBusy)
    async def _reads_busy(request: Request, exc: ReadsBusy):
        return JSONResponse(status_code=503, content={"detail": str(exc)},
                            headers={"Retry-After": str(READS_RETRY_S)})

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):
        return JSONResponse(status_code=500, content={"detail": "internal error"})


def allowed(app: FastAPI, path: str) -> list[str]:
    """Methods of every route matching ``path`` (the Allow header of a 405)."""
    scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
    matched = [r for r in _leaves(app.router.routes) if getattr(r, "methods", None)
               and r.matches(scope)[0] != Match.NONE]
    if not matched:
        return []
    literal = [r for r in matched if "{" not in r.path]  # /api/jobs/simulate over {job_id}
    template = (literal or matched)[0].path
    return sorted({m for r in matched if r.path == template for m in r.methods})


def _leaves(routes):
    """Every route, those of included routers too (FastAPI keeps those as one entry)."""
    for r in routes:
        inner = getattr(r, "original_router", None)
        yield from _leaves(inner.routes) if inner is not None else (r,)
