"""Jobs: submit simulations and optimisations (write scope), follow, cancel, resume them,
read their results."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi import Path as PathParam

from critmin.api.auth import Identity
from critmin.api.jobs import QueueFull, QuotaExceeded
from critmin.api.models import (
    Invalid,
    JobInfo,
    OptimisationRequest,
    SimulationRequest,
    errors,
    job_info,
)
from critmin.api.service import Service, too_busy

JobId = Annotated[str, PathParam(max_length=64)]


def jobs_router(svc: Service) -> APIRouter:
    """``/api/jobs/simulate``, ``/api/jobs/optimize``, ``/api/jobs/{job_id}`` (read,
    cancel), ``.../resume`` and ``.../result``."""
    r = APIRouter(tags=["jobs"])
    read_errors = errors(401, 403, 404) if svc.settings.private else errors(404)
    writer, reader = svc.writer, svc.reader

    @r.post("/api/jobs/simulate", status_code=202, response_model=JobInfo,
            responses=errors(401, 403, 404, 429, 503, 507))
    def submit_simulation(req: SimulationRequest, who: Annotated[Identity, Depends(writer)]):
        if req.scenario is not None and req.scenario_id is None:
            svc.check_scenario(req.scenario, "body.scenario")
            sc = req.scenario
        elif req.scenario_id is not None and req.scenario is None:
            sc = svc.scenario_or_404(req.scenario_id, who)
        else:
            raise Invalid([("body", "give exactly one of scenario_id and scenario")])
        return svc.submit("simulation", who, {
            "scenario": sc.model_dump(mode="json"), "samples": req.samples, "seed": req.seed,
            "horizon_quarters": req.horizon_quarters})

    @r.post("/api/jobs/optimize", status_code=202, response_model=JobInfo,
            responses=errors(401, 403, 404, 429, 503, 507))
    def submit_optimisation(req: OptimisationRequest,
                            who: Annotated[Identity, Depends(writer)]):
        sc = svc.scenario_or_404(req.scenario_id, who)
        return svc.submit("optimisation", who, {
            **req.model_dump(), "scenario": sc.model_dump(mode="json"),
            "horizon_quarters": None})

    @r.get("/api/jobs/{job_id}", response_model=JobInfo, responses=read_errors)
    def job_status(job_id: JobId, who: Annotated[Any, Depends(reader)]):
        return job_info(svc.job_or_404(job_id, who))

    @r.delete("/api/jobs/{job_id}", response_model=JobInfo,
              responses=errors(401, 403, 404, 503))
    def job_cancel(job_id: JobId, who: Annotated[Identity, Depends(writer)]):
        rec = svc.job_or_404(job_id)
        svc.owner_or_admin(who, rec["owner"], f"job {job_id}")
        svc.jobs.cancel(job_id)
        return job_info(svc.job_or_404(job_id))

    @r.post("/api/jobs/{job_id}/resume", status_code=202, response_model=JobInfo,
            responses=errors(401, 403, 404, 409, 429, 503, 507))
    def job_resume(job_id: JobId, who: Annotated[Identity, Depends(writer)]):
        """Queue an interrupted, cancelled or failed job again; finished chunks are reused.
        Refused (409) when the data changed since the job was submitted."""
        rec = svc.job_or_404(job_id)
        svc.owner_or_admin(who, rec["owner"], f"job {job_id}")
        svc.state.current()
        was = rec["request"].get("data_version")
        if was is not None and was != svc.state.content:
            raise HTTPException(409, f"job {job_id} ran on data version {was}; the data is "
                                     f"now {svc.state.content}: submit it again to run afresh")
        svc.check_disk(rec["request"].get("samples", 0))
        try:
            svc.jobs.resume(job_id, rec["owner"])
        except (QueueFull, QuotaExceeded) as exc:
            raise too_busy(exc) from exc
        except ValueError as exc:
            raise HTTPException(409, f"job {job_id} is {rec['status']}: {exc}") from exc
        return job_info(svc.job_or_404(job_id))

    @r.get("/api/jobs/{job_id}/result", response_model=dict[str, Any],
           responses={**read_errors, **errors(409)})
    def job_result(job_id: JobId, who: Annotated[Any, Depends(reader)]):
        rec = svc.job_or_404(job_id, who, with_result=True)
        if rec["result"] is None:
            raise HTTPException(409, f"job {job_id} is {rec['status']}")
        return rec["result"]

    return r
