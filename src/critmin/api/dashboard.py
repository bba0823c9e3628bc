"""Read endpoints and pages of the dashboard only (overview bundle, country profile, Sankey).

Every answer is computed once per data version (a hash of the loaded tables) and then served
from memory; shares are 0-1, tonnages in each commodity's unit. Registered by ``create_app``
with ``app.include_router(dashboard_router(net))``.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import json
import math
import threading
from collections.abc import Callable
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import pycountry
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam

from critmin.data.schemas import STAGES
from critmin.market.registry import DEFAULT_MODEL
from critmin.model.network import Network
from critmin.report.explain import GLOSSARY, anchor
from critmin.store.version import data_version

WEB = Path(str(resources.files("critmin.web") / "static"))
ISO3 = r"^[A-Za-z]{3}$"
COMMODITY = r"^[a-z0-9_]{1,40}$"
PRESET_ID = r"^[A-Za-z0-9_:.-]{1,64}$"
DRIVER_BASE_SAMPLES = 32  # SALib base sample size N for the dashboard's top drivers
DRIVER_MODEL = DEFAULT_MODEL
"""Market model of the dashboard's top drivers: the runs' default
(critmin.market.registry.DEFAULT_MODEL), as in the report; its kernel runs the Oct 2025
preset's N = 32 Sobol design in about 18 s (v1: 7 s), computed once per data version."""


def _json(obj: Any) -> Any:
    """JSON-safe: NaN/inf/NA become null, numpy scalars plain numbers."""
    if isinstance(obj, dict):
        return {str(k): _json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json(v) for v in obj]
    if obj is None or obj is pd.NA or obj is pd.NaT:
        return None
    if hasattr(obj, "item"):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _records(df: pd.DataFrame) -> list[dict]:
    return _json(df.astype(object).where(df.notna(), None).to_dict("records"))


class Cache:
    """Computed answers per (data version, key), each computed once; callers wait for an
    answer, or only up to a deadline (the computation goes on)."""

    def __init__(self, net: Network | Callable[[], Network]):
        self.current = net if callable(net) else lambda: net
        self._seen: tuple = (None, "")  # (network, its data version)
        self._futures: dict[tuple, cf.Future] = {}
        self._lock = threading.Lock()

    @property
    def net(self) -> Network:
        return self.current()

    @property
    def version(self) -> str:
        """Data version of the current network; answers of older versions are dropped."""
        net = self.current()
        if self._seen[0] is not net:
            version = data_version(net)
            with self._lock:
                self._seen = (net, version)
                self._futures = {k: f for k, f in self._futures.items() if k[0] == version}
        return self._seen[1]

    def start(self, key: tuple, compute: Callable[[], Any]) -> cf.Future:
        """The answer's future; starts computing it (in a daemon thread, so that shutdown
        never waits for it) unless it is done or under way. Failures are retried."""
        full = (self.version, *key)
        with self._lock:
            fut = self._futures.get(full)
            if fut is not None and not (fut.done() and fut.exception() is not None):
                return fut
            fut = self._futures[full] = cf.Future()

        def run() -> None:
            try:
                fut.set_result(_json(compute()))
            except BaseException as exc:  # handed to every waiter
                fut.set_exception(exc)

        threading.Thread(target=run, daemon=True, name="dashboard-cache").start()
        return fut

    def ready(self, key: tuple) -> bool:
        """Whether the answer for ``key`` is computed or under way (not failed)."""
        fut = self._futures.get((self.version, *key))
        return fut is not None and not (fut.done() and fut.exception() is not None)

    def get(self, key: tuple, compute: Callable[[], Any]) -> Any:
        return self.start(key, compute).result()

    def within(self, key: tuple, compute: Callable[[], Any], seconds: float) -> Any | None:
        """The answer if ready within ``seconds``, else None (the work goes on)."""
        try:
            return self.start(key, compute).result(timeout=seconds)
        except cf.TimeoutError:
            return None


# -- computations ---------------------------------------------------------------------------
def overview(net: Network) -> dict:
    """What the overview page draws: assessment by stage, summary, latest country shares."""
    from critmin.metrics.assessment import assess
    from critmin.metrics.summary import commodity_summary

    a = assess(net, ("USA", "JPN"))
    shares = net.production_shares()
    shares = shares[~shares["country"].eq("WORLD")]
    names = net.commodities.set_index("commodity")["name"].to_dict()
    return {"stages": _records(a.stages), "countries": _records(a.countries),
            "summary": _records(commodity_summary(net)),
            "shares": _records(shares[["commodity", "stage", "year", "country", "share",
                                       "basis"]]),
            "names": names, "stage_order": list(STAGES)}


def drivers(net: Network, scenario_id: str, k: int = 3) -> dict:
    """Top drivers of a preset's headline outputs (peak price ratio, peak ex-China price,
    shortfall per importer): per output and commodity, the ``k`` sampled inputs with the
    largest Sobol total-order index (SALib), from ``DRIVER_BASE_SAMPLES`` base samples of
    the model the runs, the report and the optimiser use (``DRIVER_MODEL``)."""
    from critmin.calibrate.sensitivity import top_drivers

    df = top_drivers(net, scenario_id, model=DRIVER_MODEL, samples=DRIVER_BASE_SAMPLES, k=k)
    if df.empty:
        return {"samples": DRIVER_BASE_SAMPLES, "model": DRIVER_MODEL, "drivers": []}
    df = df[df["ST"] >= 0.01].sort_values("ST", ascending=False, kind="stable")
    cols = [c for c in ("output", "commodity", "region", "input", "ST") if c in df]
    df = df[cols].assign(ST=df["ST"].clip(upper=1.0).round(3))
    return {"samples": DRIVER_BASE_SAMPLES, "model": DRIVER_MODEL,
            "drivers": _records(df.head(30))}


def country_list(net: Network) -> list[dict]:
    """Countries that appear in production, import or trade tables, with names from the
    bundled map where known."""
    names = _country_names()
    seen = set(net.production["country"]) | set(net.import_sources["importer"]) | set(
        net.import_sources["exporter"]) | set(net.flows["exporter"]) | set(net.flows["importer"])
    codes = sorted(c for c in seen if isinstance(c, str) and len(c) == 3
                   and c not in ("OTH", "ROW") and c.isalpha())
    return [{"iso3": c, "name": names.get(c, c)} for c in codes if c not in ("WORLD",)]


def _country_names() -> dict[str, str]:
    """ISO3 -> name: the bundled map's (ISO 3166 names from pycountry), and pycountry's for
    countries too small for the 1:110m map (Hong Kong, Singapore, Macao, ...)."""
    geo = json.loads((WEB / "world-110m.geojson").read_text())
    return {**{c.alpha_3: c.name for c in pycountry.countries},
            **{f["id"]: f["properties"]["name"] for f in geo["features"]}}


def country_profile(net: Network, iso3: str, exposure: list[dict] | None = None) -> dict:
    """What ``iso3`` mines, refines and makes (share and rank among producers), what it
    imports and from whom, what it exports and to whom, and its exposure ranking where
    import-reliance data exist."""
    names = net.commodities.set_index("commodity")["name"].to_dict()
    shares = net.production_shares()
    shares = shares[~shares["country"].isin(["WORLD", "OTHER"])].copy()
    shares["rank"] = shares.groupby(["commodity", "stage"])["share"].rank(
        ascending=False, method="min")
    shares["producers"] = shares.groupby(["commodity", "stage"])["country"].transform("count")
    own = shares[shares["country"].eq(iso3) & shares["share"].gt(0)]
    production = own.assign(name=own["commodity"].map(names)).sort_values(
        "share", ascending=False)[["commodity", "name", "stage", "year", "value", "share",
                                   "rank", "producers", "basis"]]
    src = net.import_sources[net.import_sources["importer"].eq(iso3)]
    imports_published = src.sort_values(["commodity", "share"], ascending=[True, False])[
        ["commodity", "period", "exporter", "share", "basis", "source_id"]]
    ex = _exposure(net, iso3, exposure)
    return {"iso3": iso3, "name": _country_names().get(iso3, iso3),
            "production": _records(production),
            "imports_published": _records(imports_published),
            "imports_trade": _records(_trade_partners(net, iso3, "importer", "exporter")),
            "exports_trade": _records(_trade_partners(net, iso3, "exporter", "importer")),
            "exposure": _records(ex),
            "impact_ranking": _records(_impact_ranking(iso3, ex)),
            "names": names}


def _impact_ranking(iso3: str, exposure: pd.DataFrame) -> pd.DataFrame:
    """The impact-based criticality ranking shipped for the U.S. and Japan (critmin
    impact-rank; docs/impact.md) with the EU-style rank beside it; empty elsewhere."""
    from critmin.workflows.criticality import shipped_ranking
    from critmin.workflows.impact import COUNTRIES

    if iso3 not in COUNTRIES:
        return pd.DataFrame(columns=["commodity"])
    r = shipped_ranking(iso3)
    if "eu_rank" in exposure.columns:
        r = r.assign(eu_rank=r["commodity"].map(exposure.set_index("commodity")["eu_rank"]))
    return r


def _trade_partners(net: Network, iso3: str, side: str, partner: str, top: int = 5
                    ) -> pd.DataFrame:
    """Per commodity, the top trade partners of ``iso3`` in the latest year of the flows
    table (value basis, CEPII BACI), as shares of its total with everyone."""
    f = net.flows[net.flows[side].eq(iso3)]
    if f.empty:
        return pd.DataFrame(columns=["commodity", "year", "partner", "share", "value"])
    f = f[f["year"].eq(f.groupby("commodity")["year"].transform("max"))]
    g = f.groupby(["commodity", "year", partner], as_index=False)["value"].sum()
    g["share"] = g["value"] / g.groupby("commodity")["value"].transform("sum")
    g = g.sort_values(["commodity", "share"], ascending=[True, False])
    g = g.groupby("commodity").head(top).rename(columns={partner: "partner"})
    return g[["commodity", "year", "partner", "share", "value"]]


def _exposure(net: Network, iso3: str, rows: list[dict] | None = None) -> pd.DataFrame:
    """Criticality scores and ranks of ``iso3`` (EU- and U.S.-style), most exposed first;
    empty where the data hold no import reliance for the country."""
    from critmin.metrics.assessment import assess

    known = set(net.import_reliance["importer"]) | set(net.import_sources["importer"])
    if iso3 not in known:
        return pd.DataFrame(columns=["commodity"])
    c = pd.DataFrame(rows) if rows else assess(net, (iso3,)).countries
    cols = ["commodity", "import_reliance", "import_reliance_qualifier", "top_supplier",
            "top_supplier_share", "china_import_share", "eu_supply_risk", "eu_rank",
            "eu_driver", "us_supply_risk", "us_rank", "us_driver"]
    return c[[k for k in cols if k in c.columns]].sort_values("eu_rank")


def sankey_options(net: Network) -> list[dict]:
    """Commodities with at least two stages along their chain (what a Sankey can show)."""
    from critmin.metrics.concentration import chain_stages

    chains = chain_stages(net)
    names = net.commodities.set_index("commodity")["name"].to_dict()
    bom = net.bom.groupby("product")["input"].unique()
    out = []
    for c, g in chains.groupby("commodity"):
        if g["stage"].nunique() >= 2:
            inputs = sorted(bom.get(c, [])) if c in bom.index else []
            out.append({"commodity": c, "name": names.get(c, c), "inputs": inputs})
    return out


def sankey(net: Network, commodity: str, via: str | None = None, top: int = 8) -> dict:
    """Flows from mine through refining and metal to products, by country, for
    ``commodity`` (for a product, along the chain of its input ``via``).

    Each stage is 100 % of its world output; a link (i at stage k -> j at stage k+1) is
    the share of stage k+1's world output that country j makes from country i's
    stage-k output. Allocation (estimated): each country first uses its own upstream
    output; the rest of its need is met by countries with upstream output left over, in
    proportion to its bilateral imports of the stage-k good (CEPII BACI flows) where the
    data have any, else in proportion to the leftover. Countries beyond the ``top`` largest of a
    stage are grouped as OTHER.
    """
    from critmin.metrics.criticality import stage_shares_long

    long = stage_shares_long(net)
    own = long[long["commodity"].eq(commodity) & long["via"].eq(commodity)]
    inputs = sorted(net.bom.loc[net.bom["product"].eq(commodity), "input"].unique())
    if long[long["commodity"].eq(commodity)].empty:
        raise KeyError(commodity)
    via = via or (inputs[0] if inputs else commodity)
    upstream = long[long["commodity"].eq(via)]
    order = {s: i for i, s in enumerate(STAGES)}
    stages = sorted(set(own["stage"]) | set(upstream["stage"]), key=order.__getitem__)
    columns = []
    for s in stages:
        g = own[own["stage"].eq(s)]
        if g.empty:
            g = upstream[upstream["stage"].eq(s)]
        columns.append((s, _top(g.groupby("country")["share"].sum(), top)))
    links = []
    for (s_up, up), (s_down, down) in itertools.pairwise(columns):
        weights = _trade_weights(net, {via, commodity}, s_up)
        for (i, j), v in _allocate(up, down, weights).items():
            if v >= 5e-4:  # drop slivers under 0.05 % of the stage
                links.append({"source_stage": s_up, "source": i, "target_stage": s_down,
                              "target": j, "share": v})
    return {"commodity": commodity, "via": via, "stages": stages,
            "nodes": [{"stage": s, "country": c, "share": float(v)}
                      for s, col in columns for c, v in col.items()],
            "links": links,
            "method": "estimated: each country uses its own upstream output first; the rest "
                      "comes from countries with output left over, in proportion to its "
                      "bilateral imports of that good (CEPII BACI) where traded, else to "
                      "the leftover"}


def _top(shares: pd.Series, top: int) -> pd.Series:
    shares = shares[shares > 0].sort_values(ascending=False)
    keep = shares[shares.index != "OTHER"].head(top)
    rest = shares.sum() - keep.sum()
    if rest > 1e-9:
        keep = pd.concat([keep, pd.Series({"OTHER": rest})])
    return keep / keep.sum()


HS_STAGE = {"25": "mine", "26": "mine", "28": "refining", "71": "metal", "72": "metal",
            "75": "metal", "81": "metal", "85": "product"}


def _trade_weights(net: Network, commodities: set[str], stage: str) -> pd.Series:
    """Bilateral import value (exporter, importer), latest year, of the commodities' goods
    that are the output of ``stage`` (by HS chapter: 25-26 ores, 28 chemicals, 71-81
    metals, 85 products); empty where the data trade no such good."""
    f = net.flows[net.flows["commodity"].isin(commodities)]
    f = f[f["hs6"].astype(str).str[:2].map(HS_STAGE).eq(stage)]
    if f.empty:
        return pd.Series(dtype=float)
    f = f[f["year"].eq(f["year"].max())]
    return f.groupby(["exporter", "importer"])["value"].sum()


def _allocate(up: pd.Series, down: pd.Series, weights: pd.Series) -> dict[tuple, float]:
    """Links (upstream country, downstream country) -> share of downstream world output."""
    left = up.copy()
    links: dict[tuple, float] = {}
    need = {}
    for j, d in down.items():
        own = min(d, left.get(j, 0.0)) if j != "OTHER" else 0.0
        if own > 0:
            links[(j, j)] = own
            left[j] -= own
        need[j] = d - own
    for j, n in need.items():
        if n <= 1e-12:
            continue
        avail = left[left > 1e-12]
        if avail.empty:
            avail = up
        w = pd.Series({i: weights.get((i, j), 0.0) for i in avail.index}, dtype=float)
        w = w if w.sum() > 0 else avail
        w = w / w.sum()
        for i, wi in w.items():
            if wi > 0:
                links[(i, j)] = links.get((i, j), 0.0) + n * wi
    return links


# -- the router -----------------------------------------------------------------------------
DRIVERS_AT_ONCE = threading.Semaphore(1)
"""Drivers computations running at once (each holds a CPU for 20 s or more); others wait."""


def _drivers_bounded(net: Network, scenario_id: str) -> dict:
    with DRIVERS_AT_ONCE:
        return drivers(net, scenario_id)


def dashboard_router(net: Network | Callable[[], Network],
                     may_compute: Callable[[Request], bool] | None = None) -> APIRouter:
    """Routes under /api/dashboard (cached per data version; the pages are served by
    :mod:`critmin.api.routes.pages`, open in every mode).
    ``net`` is a network or a function giving the current one (the server's, which follows
    data reloads). ``may_compute(request)``: whether a request may start an expensive
    computation (top drivers) not computed yet (None: any may)."""
    router = APIRouter()
    cache = Cache(net)
    tag: list[str | Enum] = ["dashboard"]

    def get_overview() -> dict:
        return cache.get(("overview",), lambda: overview(cache.net))

    @router.get("/api/dashboard/overview", tags=tag)
    def overview_route(wait: Annotated[float, Query(ge=0, le=20)] = 8.0) -> dict:
        """Assessment by stage and importer, commodity summary and country shares (0-1).
        The first call after a start computes (seconds); past ``wait`` seconds it answers
        ``{"computing": true}`` at once and the client asks again."""
        body = cache.within(("overview",), lambda: overview(cache.net), wait)
        if body is None:
            return {"data_version": cache.version, "computing": True}
        return {"data_version": cache.version, "computing": False, **body}

    @router.get("/api/dashboard/countries", tags=tag)
    def get_countries() -> list[dict]:
        """Countries with data: ISO3 code and name."""
        return cache.get(("countries",), lambda: country_list(cache.net))

    @router.get("/api/dashboard/country/{iso3}", tags=tag,
                responses={404: {"description": "no data for the country"}})
    def get_country(iso3: Annotated[str, PathParam(pattern=ISO3)]) -> dict:
        """A country's production by stage, imports and exports by partner, exposure."""
        iso3 = iso3.upper()
        if iso3 not in {c["iso3"] for c in get_countries()}:
            raise HTTPException(404, f"no data for country {iso3!r}")
        def compute():
            rows = None
            if iso3 in ("USA", "JPN"):  # the overview's assessment already holds them
                rows = [r for r in get_overview()["countries"] if r["importer"] == iso3]
            return country_profile(cache.net, iso3, rows)

        return cache.get(("country", iso3), compute)

    @router.get("/api/dashboard/sankey", tags=tag)
    def get_sankey_options() -> list[dict]:
        """Commodities a Sankey can show, with the inputs of products."""
        return cache.get(("sankey_options",), lambda: sankey_options(cache.net))

    @router.get("/api/dashboard/sankey/{commodity}", tags=tag,
                responses={404: {"description": "unknown commodity or input"}})
    def get_sankey(commodity: Annotated[str, PathParam(pattern=COMMODITY)],
                   via: str | None = None) -> dict:
        """Nodes (stage, country, share of the stage's world output) and links."""
        options = {o["commodity"]: o for o in get_sankey_options()}
        if commodity not in options:
            raise HTTPException(404, f"no multi-stage data for commodity {commodity!r}")
        if via is not None and via not in options[commodity]["inputs"]:
            raise HTTPException(404, f"{via!r} is not an input of {commodity!r}")
        return cache.get(("sankey", commodity, via), lambda: sankey(cache.net, commodity, via))

    @router.get("/api/dashboard/drivers/{scenario_id}", tags=tag, responses={
        401: {"description": "not computed yet, and no valid token to start it"},
        404: {"description": "unknown preset scenario"}})
    def get_drivers(scenario_id: Annotated[str, PathParam(pattern=PRESET_ID)],
                    request: Request,
                    wait: Annotated[float, Query(ge=0, le=20)] = 8.0) -> dict:
        """Which sampled inputs drive a preset's answers (Sobol total-order index, top 3
        per output and commodity). Computed once per data version (20 s or more of CPU,
        one preset at a time); starting a computation needs a valid token, reading one
        computed does not. Past ``wait`` seconds it answers ``{"computing": true}`` and
        the client asks again."""
        from critmin.scenarios.presets import presets

        if scenario_id not in presets():
            raise HTTPException(404, f"no preset scenario {scenario_id!r}")
        key = ("drivers", scenario_id)
        if may_compute is not None and not cache.ready(key) and not may_compute(request):
            raise HTTPException(401, "the top drivers of this preset are not computed yet; "
                                     "starting that takes 20 s or more of CPU: send a valid "
                                     "bearer token (critmin token create NAME)",
                                headers={"WWW-Authenticate": "Bearer"})
        body = cache.within(key, lambda: _drivers_bounded(cache.net, scenario_id), wait)
        if body is None:
            return {"data_version": cache.version, "computing": True}
        return {"data_version": cache.version, "computing": False, **body}

    @router.get("/api/dashboard/scenario-schema", tags=tag)
    def get_scenario_schema() -> dict:
        """JSON schema of a scenario (drives the form editor), with commodity ids and
        their names (``names``: id -> name, for the charts)."""
        from critmin.scenarios.spec import Scenario

        return cache.get(("schema",), lambda: {
            "schema": Scenario.model_json_schema(),
            "commodities": sorted(cache.net.commodities["commodity"]),
            "names": cache.net.commodities.set_index("commodity")["name"].to_dict()})

    @router.get("/api/dashboard/glossary", tags=tag)
    def get_glossary() -> dict:
        """What each measure means (the brief's and ``critmin glossary``'s one source):
        ``terms``: key, term (with its unit), text and the page anchor (``g-KEY``)."""
        return {"terms": [{"key": t.key, "term": t.term, "text": t.text,
                           "anchor": anchor(t.key)} for t in GLOSSARY]}

    cache.start(("overview",), lambda: overview(cache.net))  # warm: computing starts now
    return router
