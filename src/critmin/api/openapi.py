"""The OpenAPI schema, completed so that every answer the service gives is documented."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

FILE_TYPES: dict[str, dict[str, Any]] = {
    "text/csv": {}, "application/vnd.apache.parquet": {},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}


def truthful_openapi(app: FastAPI) -> dict[str, Any]:
    """The generated schema, completed so that every answer the service gives is documented:
    404 wherever a path names an id, 409 for runs that are not finished, file types of
    exports, and the one error body (routers added by other modules included)."""
    if app.openapi_schema:
        return app.openapi_schema
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
