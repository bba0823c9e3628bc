"""What every router of the API shares: the data, the store, tokens, reads cache, jobs,
user scenarios, and the checks of who may do what (:class:`Service`)."""

import contextlib
import shutil
import threading
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import Depends, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from critmin.api.auth import Identity, TokenBook
from critmin.api.cache import DataState, Encoded, ReadCache
from critmin.api.jobs import JobManager, QueueFull, QuotaExceeded, known_job
from critmin.api.models import Invalid, job_info
from critmin.api.settings import Settings
from critmin.scenarios import scenario_catalogue
from critmin.scenarios.bounds import scenario_problems
from critmin.scenarios.spec import Scenario
from critmin.store import ResultsStore

RETRY_AFTER_S = 15
BYTES_PER_SAMPLE = 1_400
"""Store bytes a simulation writes per sample (measured: a 200,000-sample job wrote about
277 MB of parts, 1,385 bytes a sample)."""
BEARER = HTTPBearer(auto_error=False, description="token from `critmin token create`")


def too_busy(exc: Exception | str) -> HTTPException:
    """A full queue or quota as 429 with Retry-After."""
    return HTTPException(429, str(exc), headers={"Retry-After": str(RETRY_AFTER_S)})


class Slots:
    """Exports streaming at once: at most ``per_client`` per client, ``total`` in all."""

    def __init__(self, per_client: int, total: int):
        self.per_client, self.total = per_client, total
        self.open: dict[str, int] = {}
        self.lock = threading.Lock()

    def take(self, client: str):
        """Claim a slot (429 when none is free); returns the function that frees it."""
        with self.lock:
            if self.open.get(client, 0) >= self.per_client:
                raise too_busy(f"{client} already streams {self.per_client} exports; wait "
                               "for one to finish")
            if sum(self.open.values()) >= self.total:
                raise too_busy(f"{self.total} exports are streaming; ask again shortly")
            self.open[client] = self.open.get(client, 0) + 1
        freed = [False]

        def done() -> None:
            with self.lock:
                if not freed[0]:
                    freed[0] = True
                    self.open[client] -= 1
                    if not self.open[client]:
                        del self.open[client]
        return done


class Service:
    """The server's state and its access rules; routers take it as their one argument."""

    def __init__(self, db: str | Path | None, data: str | Path | None, settings: Settings):
        self.settings = settings
        self.state = DataState(data, settings.data_check_s)
        self.store = ResultsStore(db)
        self.tokens = TokenBook(self.store.path)
        self.cache = ReadCache(self.state, max_flights=settings.max_computing_reads)
        self.jobs = JobManager(self.store, data, workers=settings.workers,
                               max_queue=settings.max_queue, quota=settings.quota,
                               scheduler=settings.scheduler, nice=settings.job_nice)
        self._presets: tuple[object, dict[str, Scenario]] = (None, {})
        """(network, its presets and N-1 scenarios): :meth:`presets` of the served network."""
        self.user: dict[str, tuple[Scenario, str]] = {}
        """User scenarios: id -> (spec, owner)."""
        self.user_version = 0
        """Bumped when a user scenario is created or overwritten."""
        self.exports = Slots(settings.exports_per_client, settings.max_exports)
        """Run exports streaming at once, per client and in all."""
        self.heavy = anyio.CapacityLimiter(settings.heavy_reads)
        """Threads computing uncached reads (filtered tables, CSV) at once; more wait."""
        self.warmers: list = []
        """Coroutine functions that fill the read cache at start (routers add theirs)."""
        for rec in self.store.scenario_records():
            with contextlib.suppress(ValueError):
                self.user[rec["scenario_id"]] = (Scenario.model_validate(rec["spec"]),
                                                 rec["owner"])
        self.writer = self.need("write")
        self.reader = self.need("read") if settings.private else _open

    # -- who may do what -----------------------------------------------------------------
    def need(self, scope: str):
        """A dependency: the caller's identity, which must hold ``scope`` (401/403)."""
        def check(cred: Annotated[HTTPAuthorizationCredentials | None,
                                  Depends(BEARER)]) -> Identity:
            ident = self.tokens.identify(cred.credentials if cred else None)
            if ident is None:
                raise HTTPException(401, "a valid bearer token is required",
                                    headers={"WWW-Authenticate": "Bearer"})
            if not ident.can(scope):
                raise HTTPException(403, f"the token {ident.name!r} lacks the {scope!r} scope")
            return ident
        return check

    def bearer(self, request: Request) -> Identity | None:
        """The identity of the request's valid token, if it sends one."""
        auth = request.headers.get("authorization", "")
        return self.tokens.identify(auth[7:] if auth[:7].lower() == "bearer " else None)

    def may_compute(self, request: Request) -> bool:
        """Whether a request may start an expensive computation: it sends a valid token."""
        return self.bearer(request) is not None

    def client_key(self, request: Request) -> str:
        """Who a request counts against: its valid token's name, else its address."""
        ident = self.bearer(request)
        if ident is not None:
            return f"token {ident.name!r}"
        return f"client {request.client.host if request.client else 'unknown'}"

    def sees(self, ident: Identity | None, owner: str | None) -> bool:
        """Whether ``ident`` may see work owned by ``owner``: always without ``--private``;
        with it, its owner, tokens of the owner's group, and admins (work without an owner,
        made by the operator's CLI, is shared)."""
        if not self.settings.private or owner is None:
            return True
        if ident is None:
            return False
        if ident.name == owner or "admin" in ident.scopes:
            return True
        return ident.group is not None and self.tokens.group_of(owner) == ident.group

    def visible(self, ident: Identity | None, owner: str | None, what: str) -> None:
        """404 (as if unknown: existence is not revealed) unless ``ident`` sees it."""
        if not self.sees(ident, owner):
            raise HTTPException(404, f"unknown {what}")

    @staticmethod
    def owner_or_admin(ident: Identity, owner: str | None, what: str) -> None:
        if owner is not None and owner != ident.name and not ident.can("admin"):
            raise HTTPException(403, f"{what} belongs to {owner!r}; only its owner or an "
                                     "admin token may change it")

    # -- scenarios -----------------------------------------------------------------------
    def presets(self) -> dict[str, Scenario]:
        """The preset and generated scenarios of the served network, built once per network
        (the N-1 scenarios come from its production shares: about 10 ms each time)."""
        net, built = self._presets
        if net is not self.state.net:
            net = self.state.net
            built = scenario_catalogue(net)
            self._presets = (net, built)
        return built

    def catalogue(self) -> dict[str, Scenario]:
        return {**self.presets(), **{k: v[0] for k, v in self.user.items()}}

    def scenario_or_404(self, sid: str, ident: Identity | None = None) -> Scenario:
        if sid in self.user:
            self.visible(ident, self.user[sid][1], f"scenario {sid!r}")
            return self.user[sid][0]
        sc = self.presets().get(sid)
        if sc is None:
            raise HTTPException(404, f"unknown scenario {sid!r}")
        return sc

    def check_scenario(self, sc: Scenario, prefix: str) -> None:
        bad = _not_unicode(sc.model_dump(mode="json"), prefix)
        if bad:  # e.g. a lone surrogate "\ud800": valid JSON, but no text can hold it
            raise Invalid([(p, "not valid Unicode text (a lone surrogate)") for p in bad])
        known = set(self.state.current().commodities["commodity"])
        problems = scenario_problems(sc, known)
        if problems:
            raise Invalid([(f"{prefix}.{p}" if p else prefix, r) for p, r in problems])

    # -- jobs ----------------------------------------------------------------------------
    def check_disk(self, samples: int) -> None:
        """507 unless the store's file system keeps ``min_free_bytes`` free after a job of
        ``samples`` samples."""
        need = samples * BYTES_PER_SAMPLE + self.settings.min_free_bytes
        free = shutil.disk_usage(self.store.path.parent).free
        if free < need:
            raise HTTPException(507, f"not enough free disk space for the job: it needs about "
                                     f"{need / 2**20:,.0f} MiB with the reserve, the store's "
                                     f"disk has {free / 2**20:,.0f} MiB free; free space or "
                                     "ask for fewer samples")

    def submit(self, kind: str, who: Identity, request: dict) -> dict:
        self.state.current()
        self.check_disk(request["samples"])
        try:
            job_id = self.jobs.submit(kind, who.name,
                                      {**request, "data_version": self.state.content})
        except (QueueFull, QuotaExceeded) as exc:
            raise too_busy(exc) from exc
        return job_info(known_job(self.store, job_id))

    def job_or_404(self, job_id: str, ident: Identity | None = None,
                   with_result: bool = False) -> dict:
        rec = self.store.job(job_id, with_result=with_result)
        if rec is None or not self.sees(ident, rec["owner"]):
            raise HTTPException(404, f"unknown job {job_id!r}")
        return rec

    def shutdown(self) -> None:
        self.jobs.shutdown()
        self.cache.shutdown()


async def _open() -> None:
    """The reader dependency without ``--private``: no check. A coroutine, so FastAPI
    calls it on the event loop (a plain function would cost each read a hop to a worker
    thread and back, which under CPU contention is the slowest part of a cached read)."""
    return None


def _not_unicode(obj, path: str) -> list[str]:
    """Paths of strings in ``obj`` that cannot be encoded as UTF-8 (lone surrogates)."""
    if isinstance(obj, str):
        try:
            obj.encode("utf-8")
        except UnicodeEncodeError:
            return [path]
        return []
    if isinstance(obj, dict):
        return [p for k, v in obj.items() for p in _not_unicode(v, f"{path}.{k}")]
    if isinstance(obj, list):
        return [p for i, v in enumerate(obj) for p in _not_unicode(v, f"{path}.{i}")]
    return []


def accepts_gzip(request: Request | None) -> bool:
    """Whether the request's ``Accept-Encoding`` takes gzip (``gzip`` or ``*``, q not 0)."""
    if request is None:
        return False
    for item in request.headers.get("accept-encoding", "").split(","):
        name, *params = item.split(";")
        if name.strip().lower() in ("gzip", "*"):
            q = 1.0
            for p in params:
                key, _, value = p.partition("=")
                if key.strip().lower() == "q":
                    try:
                        q = float(value)
                    except ValueError:
                        q = 0.0
            return q > 0
    return False


def cached(enc: Encoded, media: str = "application/json",
           headers: dict | None = None, request: Request | None = None) -> Response:
    """A cached read with its ETag (a client holding it gets 304); a large one gzipped
    (compressed once, when cached) for a ``request`` that accepts it."""
    head = {"Cache-Control": "no-cache", **(headers or {})}
    if enc.gz is not None:
        head["Vary"] = "Accept-Encoding"
        if accepts_gzip(request):
            return Response(content=enc.gz, media_type=media, headers={
                **head, "ETag": enc.gz_etag, "Content-Encoding": "gzip"})
    return Response(content=enc.body, media_type=media, headers={**head, "ETag": enc.etag})
