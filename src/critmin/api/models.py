"""Request and answer bodies of the API, and the documented error answers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from critmin.scenarios.spec import Scenario


class FieldError(BaseModel):
    path: str = Field(description="dotted path of the field, e.g. body.controls.0.start")
    reason: str


class Error(BaseModel):
    """Every error answer: a message, or the invalid fields."""

    detail: str | list[FieldError]


WORDS = {400: "bad request", 401: "no valid bearer token",
         403: "the token lacks the scope or does not own the resource",
         404: "unknown id", 409: "conflict with the resource's state",
         422: "invalid input (fields and reasons)",
         429: "job queue full or token quota reached (see Retry-After)",
         503: "the store is busy (another process holds it too long)",
         507: "not enough free disk space for the job or export"}


Responses = dict[int | str, dict[str, Any]]
"""OpenAPI ``responses`` of a route or router: status code -> model, description, headers."""


def errors(*codes: int) -> Responses:
    """OpenAPI ``responses`` for the error ``codes`` a route answers."""
    out: Responses = {c: {"model": Error, "description": WORDS[c]} for c in codes}
    if 429 in out:
        out[429]["headers"] = {"Retry-After": {"schema": {"type": "integer"},
                                               "description": "seconds to wait"}}
    return out


COMMON: Responses = {c: {"model": Error, "description": d} for c, d in (
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


def _integral(v):
    """20000.0 is the integer 20000 (JSON Schema's "integer" allows it); 20000.5 stays a
    float and is refused, as are booleans and strings."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


Whole = Annotated[int, BeforeValidator(_integral)]


def _distinct(items: list) -> list:
    if len(set(items)) != len(items):
        raise ValueError("each name at most once")
    return items


Region = Literal["USA", "JPN", "EU", "KOR"]
Partner = Literal["USA", "JPN", "AUS", "KOR", "EU"]


class SimulationRequest(Strict):
    """Exactly one of ``scenario_id`` and ``scenario`` (neither or both: 422)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={
        "examples": [{"scenario_id": "CN_2024_antimony_licensing", "samples": 1024,
                      "seed": 0}],
        "oneOf": [{"required": ["scenario_id"], "properties": {"scenario_id": {
            "type": "string"}, "scenario": {"type": "null"}}},
                  {"required": ["scenario"], "properties": {"scenario": {
                      "type": "object"}, "scenario_id": {"type": "null"}}}]})
    scenario_id: str | None = Field(None, pattern=ID, description="preset, n1:... or created "
                                                                  "scenario id")
    scenario: Scenario | None = Field(None, description="inline scenario spec")
    samples: Whole = Field(2048, ge=1, le=200_000, strict=True)
    seed: Whole = Field(0, ge=0, le=2**32 - 1, strict=True)
    horizon_quarters: Whole | None = Field(None, ge=1, le=80, strict=True)


class OptimisationRequest(Strict):
    """What ``critmin optimize`` takes (model v2: multi-period program, project finance,
    cost sharing among ``partners``)."""

    scenario_id: str = Field("CN_2025_10_full_controls", pattern=ID)
    samples: Whole = Field(512, ge=16, le=20_000, strict=True)
    seed: Whole = Field(0, ge=0, le=2**32 - 1, strict=True)
    budget_usa: float = Field(1e9, ge=0, le=1e13, strict=True, description="USD")
    budget_jpn: float = Field(1e9, ge=0, le=1e13, strict=True, description="USD")
    budget_vehicle: float = Field(0.0, ge=0, le=1e13, strict=True, description="USD")
    cvar_weight: float = Field(1.0, ge=0, le=100, strict=True)
    regions: Annotated[list[Region], AfterValidator(_distinct)] = Field(
        ["USA", "JPN"], min_length=1, max_length=4, json_schema_extra={"uniqueItems": True},
        description="regions whose unmet tonnes count")
    partners: Annotated[list[Partner], AfterValidator(_distinct)] = Field(
        ["USA", "JPN", "AUS", "KOR", "EU"], max_length=5,
        json_schema_extra={"uniqueItems": True},
        description="partners sharing the cost (Shapley, nucleolus); empty: no sharing")
    budget_aus: float = Field(0.0, ge=0, le=1e13, strict=True, description="USD")
    budget_kor: float = Field(0.0, ge=0, le=1e13, strict=True, description="USD")
    budget_eu: float = Field(0.0, ge=0, le=1e13, strict=True, description="USD")
    china_response: bool = Field(True, strict=True, description=(
        "value projects under China's price response to new capacity"))


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


def job_info(rec: dict) -> dict:
    """A stored job record as a :class:`JobInfo` body."""
    return {"id": rec["job_id"], "kind": rec["kind"], "status": rec["status"],
            "progress": rec["progress"], "error": rec["error"],
            "has_result": rec["has_result"], "owner": rec["owner"], "run_id": rec["run_id"]}
