"""Disruption scenarios as pydantic models, loadable from YAML or JSON.

A :class:`Scenario` bundles export controls, production outages, demand shocks, policy
responses (stock releases, price floors, tariffs, capacity additions) and Rapid Response
Group rules. Dates are calendar dates; quantities tonnes per year of the commodity's unit;
prices USD/kg; shares 0-1.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from critmin.data.schemas import CONTROL_MEASURES, Stage

# the allowed values are the data schema's tuples (one list); mypy reads only literal text
Measure = Literal[CONTROL_MEASURES]  # type: ignore[valid-type]
CODE_FIELDS = ("exporter", "country", "importer", "holder", "region", "destinations")
"""Fields holding country/region codes: upper-cased on input (``jpn`` is ``JPN``), so a
spelling cannot give a different answer from the code."""


def _upper(value):
    if isinstance(value, str):
        return value.strip().upper()
    if isinstance(value, list):
        return [_upper(v) for v in value]
    return value


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _upper_codes(cls, data):
        """Country and region codes in upper case (ISO 3166 codes are case-blind)."""
        if isinstance(data, dict):
            data = {k: _upper(v) if k in CODE_FIELDS and k in cls.model_fields else v
                    for k, v in data.items()}
        return data

    @model_validator(mode="before")
    @classmethod
    def _no_bool_numbers(cls, data):
        """``true``/``false`` are not numbers (pydantic would read them as 1 and 0), and
        numbers or strings are not ``true``/``false`` (it would read 0, 1, "yes" as such)."""
        if isinstance(data, dict):
            for name, f in cls.model_fields.items():
                kinds = getattr(f.annotation, "__args__", (f.annotation,))
                if isinstance(data.get(name), bool) and bool not in kinds and \
                        ({int, float} & set(kinds)):
                    raise ValueError(f"{name}: true/false is not a number")
                if kinds == (bool,) and name in data and not isinstance(data[name], bool):
                    raise ValueError(f"{name}: {data[name]!r} is not true or false")
        return data


class ExportControl(Spec):
    """An exporter restricting shipments of commodities to some or all destinations."""

    exporter: str = Field(description="ISO3 of the controlling country", pattern=r"^[A-Z]{3}$")
    commodities: list[str] = Field(min_length=1, description="commodity ids")
    stages: list[Stage] = Field(default_factory=list,
                                description="stages covered (mine, refining, metal, "
                                            "product); empty = all")
    measure: Measure
    approval_rate: float | None = Field(
        None, ge=0, le=1, description="announced share of licence applications approved; "
                                      "empty = not announced (model v2 samples the latent "
                                      "licence_approval; v1 uses its prior default)")
    processing_days: float = Field(0.0, ge=0, le=365,
                                   description="announced licence processing time, days")
    general_licence_share: float = Field(
        0.0, ge=0, le=1, description="share of the flow shipped under general licences "
                                     "(approved without case review or delay)")
    refused_end_uses: list[Literal["defence"]] = Field(
        default_factory=list, description="end uses announced as refused (e.g. defence)")
    announced: dt.date | None = Field(
        None, description="announcement date (buyers react from then); empty = start")
    quota_t: float | None = Field(None, ge=0, description="export quota, t per year")
    quota_share: float | None = Field(
        None, ge=0, description="export quota as a share of the exporter's pre-control "
                                "exports (announced quota over the previous period's)")
    destinations: list[str] = Field(default_factory=lambda: ["ALL"],
                                    description="ISO3 destinations targeted, or ALL")
    leakage: float | None = Field(
        None, ge=0, le=1, description="share of blocked flow reaching targets via third "
                                      "countries; empty = not stated (v2 samples the latent "
                                      "leakage; v1 uses its prior default)")
    reexport_rule: bool = Field(False, description="extraterritorial re-export control")
    de_minimis: float | None = Field(
        None, ge=0, le=1, description="value share of controlled input above which foreign-"
                                      "made derivative products are controlled too")
    start: dt.date
    end: dt.date | None = None
    suspended: tuple[dt.date, dt.date] | None = Field(
        None, description="suspension window (from, until); snap-back at its end")

    @model_validator(mode="after")
    def _check(self):
        if self.measure == "quota" and self.quota_t is None and self.quota_share is None:
            raise ValueError("a quota needs quota_t (t per year) or quota_share")
        if self.end is not None and self.end < self.start:
            raise ValueError("end is before start")
        if self.suspended and self.suspended[1] < self.suspended[0]:
            raise ValueError("suspension ends before it starts")
        if self.announced is not None and self.announced > self.start:
            raise ValueError("announced after start")
        return self

    def active(self, day: dt.date) -> bool:
        """In force on ``day`` (started, not ended, not suspended)."""
        if day < self.start or (self.end is not None and day > self.end):
            return False
        return not (self.suspended and self.suspended[0] <= day < self.suspended[1])


class Outage(Spec):
    """Loss of a share of a country's production."""

    country: str = Field(pattern=r"^[A-Z]{3}$")
    commodity: str
    stage: Stage | None = None
    share_lost: float = Field(ge=0, le=1)
    start: dt.date
    end: dt.date | None = None


class ProductionQuota(Spec):
    """An announced cap on a country's own output (China's mining and smelting quotas,
    consolidation): output capacity at most ``quota_share`` of baseline output."""

    country: str = Field("CHN", pattern=r"^[A-Z]{3}$")
    commodity: str
    stage: str | None = None
    quota_share: float = Field(gt=0, le=1, description="allowed share of baseline output")
    start: dt.date
    end: dt.date | None = None


class QuotaBatch(Spec):
    """One announced batch of an annual mining quota (adds to the year's total so far)."""

    announced: dt.date = Field(description="date the ministry announced the batch")
    year: int = Field(ge=2000, le=2100, description="calendar year the batch is for")
    tonnes: float = Field(gt=0, description="t of the quota's basis (e.g. t of 65 % WO3 "
                                            "concentrate)")
    total: bool = Field(False, description="the notice sets the year's total, earlier "
                                           "batches included (else it adds a batch)")
    source: str = Field(min_length=1, description="source id in the data sources table")


class MineQuota(Spec):
    """A country's announced ANNUAL mining quota (China's Ministry of Natural Resources'
    batches): the quota-holding mines' output in a calendar year cannot exceed that year's
    quota as announced so far (model v2; v1 ignores): the total where a notice set it,
    else the batches so far scaled as the reference year's total was to its batches
    before its total (the ministry issues a year's quota in batches; a cut first batch
    signals a cut year). ``content`` converts the quota's basis to the commodity's unit
    (t contained per t of basis); the quota-holding share of the country's mine output is
    ``reference_t`` x ``content`` over its baseline output (small associated mines report
    output but hold no quota)."""

    country: Literal["CHN"] = "CHN"
    commodity: str
    basis: str = Field(min_length=1, description="what the tonnes count, e.g. "
                                                 "'t concentrate, 65 % WO3'")
    content: float = Field(gt=0, le=1, description="t of the commodity's unit per t of basis")
    reference_year: int = Field(ge=2000, le=2100,
                                description="last full year whose total was announced")
    reference_t: float = Field(gt=0, description="that year's total quota, t of basis")
    reference_source: str = Field(min_length=1)
    batches: list[QuotaBatch] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self):
        for k, b in enumerate(self.batches):
            if b.announced.year > b.year:
                raise ValueError(f"batches.{k}: announced {b.announced} after its year "
                                 f"{b.year} ended; a batch counts for its own year")
            if k and b.announced < self.batches[k - 1].announced:
                raise ValueError(f"batches.{k}: announced {b.announced} before batch {k - 1}"
                                 f" ({self.batches[k - 1].announced}); list them in order")
        return self


class DemandShock(Spec):
    """Relative change of demand in a region (ISO3 importer, CHN, or WORLD)."""

    commodity: str
    region: str = "WORLD"
    change: float = Field(ge=-1, le=10, description="relative change, e.g. 0.2 = +20 %")
    start: dt.date
    end: dt.date | None = None


class StockPolicy(Spec):
    """A holder's stockpile of a commodity and how it is released."""

    holder: str = Field(description="USA, JPN ... (importer ISO3)")
    commodity: str = Field(description="commodity id, or ALL")
    target_days: float = Field(ge=0, description="target cover, days of consumption")
    fill_rate: float = Field(1.0, ge=0, le=1, description="holdings as share of the target")
    release: Literal["on_shortfall", "defence_only", "on_trigger"] = "on_shortfall"
    decision_lag_days: float = Field(30.0, ge=0)
    max_release_per_quarter: float = Field(0.5, ge=0, le=1,
                                           description="share of holdings per quarter")


class PriceFloor(Spec):
    """Price guaranteed to covered ex-China producers (a contract for difference)."""

    commodity: str
    floor_usd_kg: float = Field(gt=0)
    covered_t: float = Field(gt=0, description="covered output, t per year")
    upside_share: float = Field(0.0, ge=0, le=1,
                                description="share of price above the floor paid back")
    start: dt.date
    end: dt.date | None = None


class Tariff(Spec):
    """Ad-valorem tariff of an importer on a commodity from an exporter."""

    importer: str
    exporter: str
    commodity: str
    rate: float = Field(ge=0, le=5)
    start: dt.date
    end: dt.date | None = None


class CapacityAddition(Spec):
    """New ex-China capacity coming online."""

    name: str
    country: str = Field(pattern=r"^[A-Z]{3}$")
    commodity: str
    stage: Stage | None = Field(None, description="stage of the plant; empty = the "
                                                "commodity's last stage (model v2)")
    capacity_t: float = Field(gt=0, description="t per year at full output")
    online: dt.date
    ramp_quarters: int = Field(4, ge=0)


TRIGGERS = ("price_ratio_above", "cover_days_below", "approval_rate_below")


class ResponseRule(Spec):
    """Rapid Response Group rule: a trigger on simulated indicators fires actions."""

    model_config = ConfigDict(json_schema_extra={"anyOf": [  # at least one trigger
        {"required": [k], "properties": {k: {"type": "number"}}} for k in TRIGGERS]})
    name: str
    price_ratio_above: float | None = Field(None, gt=0, description="ex-China/China price")
    cover_days_below: float | None = Field(None, ge=0)
    approval_rate_below: float | None = Field(None, ge=0, le=1)
    decision_lag_days: float = Field(30.0, ge=0)
    actions: list[Literal["coordinated_release", "emergency_offtake", "fast_track"]] = Field(
        min_length=1)
    offtake_share: float = Field(0.05, ge=0, le=1,
                                 description="extra ex-China supply mobilised, share of base")
    fast_track_quarters: int = Field(2, ge=0)

    @model_validator(mode="after")
    def _needs_trigger(self):
        if (self.price_ratio_above, self.cover_days_below, self.approval_rate_below) == (
                None, None, None):
            raise ValueError("a response rule needs at least one trigger")
        return self


class Scenario(Spec):
    """A disruption scenario with the policies that answer it."""

    id: str = Field(pattern=r"^[A-Za-z0-9_:.\-]+$")
    name: str
    description: str = ""
    start: dt.date = Field(description="first day of quarter 0 of the simulation")
    horizon_quarters: int = Field(8, ge=1, le=80)
    commodities: list[str] = Field(default_factory=list,
                                   description="commodities simulated; empty = all with data")
    controls: list[ExportControl] = Field(default_factory=list)
    outages: list[Outage] = Field(default_factory=list)
    production_quotas: list[ProductionQuota] = Field(
        default_factory=list, description="announced output quotas (model v2; v1 ignores)")
    mine_quotas: list[MineQuota] = Field(
        default_factory=list, description="announced annual mining quotas, in batches "
                                          "(model v2; v1 ignores)")
    demand_shocks: list[DemandShock] = Field(default_factory=list)
    stocks: list[StockPolicy] = Field(default_factory=list)
    price_floors: list[PriceFloor] = Field(default_factory=list)
    tariffs: list[Tariff] = Field(default_factory=list)
    capacity: list[CapacityAddition] = Field(default_factory=list)
    responses: list[ResponseRule] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list, description="source ids or references")

    def quarter_start(self, q: int) -> dt.date:
        """First day of quarter ``q``."""
        month = self.start.month - 1 + 3 * q
        return dt.date(self.start.year + month // 12, month % 12 + 1, 1)


class ScenarioError(ValueError):
    """Invalid scenario spec; message lists ``field.path: reason`` lines."""


def _format(exc: ValidationError, origin: str) -> str:
    lines = []
    for e in exc.errors():
        path = ".".join(str(p) for p in e["loc"]) or "(root)"
        got = f" (got {e['input']!r})" if e["type"] in NAMED_INPUT else ""
        lines.append(f"{origin}: {path}: {e['msg']}{got}")
    return "\n".join(lines)


NAMED_INPUT = {"literal_error", "string_pattern_mismatch", "enum"}
"""Pydantic error types whose message does not say which value was refused."""


def parse_scenario(data: dict, origin: str = "scenario") -> Scenario:
    """Validate a mapping; raise :class:`ScenarioError` naming field paths and reasons."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_format(exc, origin)) from exc


def load_scenario_file(path: str | Path) -> Scenario:
    """Read a scenario from a YAML or JSON file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{p}: cannot read scenario: {exc}") from exc
    if not isinstance(data, dict):
        raise ScenarioError(f"{p}: (root): a scenario must be a mapping")
    return parse_scenario(data, str(p))
