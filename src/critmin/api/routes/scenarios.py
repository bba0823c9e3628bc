"""Scenarios: the preset catalogue and users' own (created with a write token)."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi import Path as PathParam

from critmin.api.auth import Identity
from critmin.api.cache import Encoded
from critmin.api.encode import to_bytes
from critmin.api.models import ScenarioCreated, ScenarioRow, errors
from critmin.api.service import Service, cached
from critmin.scenarios import scenario_catalogue
from critmin.scenarios.spec import Scenario


def _row(s: Scenario, user: bool, owner: str | None) -> dict:
    return {"id": s.id, "name": s.name, "start": s.start.isoformat(),
            "horizon_quarters": s.horizon_quarters, "commodities": s.commodities,
            "user": user, "owner": owner}


def scenarios_router(svc: Service) -> APIRouter:
    """``/api/scenarios`` (list, create), ``/api/scenarios/{sid}``, ``.../validate``."""
    r = APIRouter(tags=["scenarios"])
    listing: list = [None, None]  # (key, Encoded) of the last /api/scenarios answer
    read_errors = errors(401, 403, 404) if svc.settings.private else errors(404)

    @r.get("/api/scenarios", response_model=list[ScenarioRow], responses=read_errors)
    async def scenarios(who: Annotated[Any, Depends(svc.reader)] = None):
        presets = await svc.cache.get(("scenarios",), lambda net: to_bytes([
            _row(s, False, None) for s in scenario_catalogue(net).values()]))
        if svc.settings.private:  # each token sees its own and its group's
            mine = [_row(s, True, o) for s, o in svc.user.values() if svc.sees(who, o)]
            return cached(Encoded.of(to_bytes(json.loads(presets.body) + mine)))
        key = (svc.state.version, svc.user_version, id(presets))
        if listing[0] != key:  # presets (cached per data version) + user scenarios
            mine = [_row(s, True, owner) for s, owner in svc.user.values()]
            listing[:] = [key, Encoded.of(to_bytes(json.loads(presets.body) + mine))]
        return cached(listing[1])

    @r.get("/api/scenarios/{sid}", response_model=dict[str, Any], responses=read_errors)
    def scenario(sid: Annotated[str, PathParam(max_length=64)],
                 who: Annotated[Any, Depends(svc.reader)]):
        return svc.scenario_or_404(sid, who).model_dump(mode="json")

    @r.post("/api/scenarios/validate", response_model=dict[str, Any])
    def validate(spec: Scenario):
        svc.check_scenario(spec, "body")
        return {"valid": True, "id": spec.id}

    @r.post("/api/scenarios", status_code=201, response_model=ScenarioCreated,
            responses=errors(401, 403, 409, 503))
    def create(spec: Scenario, who: Annotated[Identity, Depends(svc.writer)]):
        svc.check_scenario(spec, "body")
        if spec.id in svc.presets():
            raise HTTPException(409, f"{spec.id!r} is a preset id")
        if spec.id in svc.user:
            svc.owner_or_admin(who, svc.user[spec.id][1], f"scenario {spec.id!r}")
        owner = svc.user[spec.id][1] if spec.id in svc.user else who.name
        svc.store.put_scenario(spec.id, owner, spec.model_dump(mode="json"))
        svc.user[spec.id] = (spec, owner)
        svc.user_version += 1
        return {"id": spec.id, "created_by": who.name}

    svc.warmers.append(lambda: scenarios(None))
    return r
