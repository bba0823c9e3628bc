"""The server's data and its computed reads, cached per data version.

:class:`DataState` holds the loaded network and a version: a hash of the name, size and
modification time of every table file (shipped and ``--data``). A background task of the
server (:meth:`DataState.watch`) re-stats the files every few seconds in a thread of its
own. Changed files are read only once they stayed unchanged from one check to the next
(a file being written, truncated and not yet filled, is left alone), into a new network
that replaces the served one only when every table validates and no file changed while
it was read; then the version changes and every cached read is dropped. Invalid new data
is reported on stderr (and kept in :attr:`DataState.problem`) and the last valid data
served. Requests never wait for that check, and the most recently asked reads are
computed for the new data before it is served.

:class:`ReadCache` computes each read (summary, assessment, scenarios, ...) at most once
per key and data version, in a small thread pool of its own: concurrent requests for the
same key wait for the one computation ("single flight"), and a request that is cancelled
(client gone, timeout) leaves the computation to finish for the others. Keys are bounded
(validated parameters) and at most ``max_flights`` computations wait at once (more are
refused, 503), so the work clients can cause is bounded too. An answer is kept
as encoded JSON bytes with an ETag (a hash of the bytes), so a hit costs no encoding and a
client holding the same ETag gets 304 (see :mod:`critmin.api.limits`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import gzip
import hashlib
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from critmin.data.io import SUFFIXES, shipped_dir
from critmin.data.schemas import TABLES
from critmin.data.validate import DataValidationError
from critmin.model.network import Network, load
from critmin.store.version import data_version


def _files(data: Path | None) -> list[Path]:
    dirs = [shipped_dir(), *([Path(data)] if data else [])]
    return [d / f"{n}{s}" for d in dirs for n in TABLES for s in SUFFIXES
            if (d / f"{n}{s}").exists()]


def fingerprint(data: Path | None) -> str:
    """Hash of every table file's path, size and mtime (ns); a file removed between the
    listing and its stat (an editor's save) counts as absent."""
    h = hashlib.sha256()
    for p in _files(data):
        try:
            st = p.stat()
        except FileNotFoundError:
            continue
        h.update(f"{p}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class Encoded:
    """A computed read: JSON (or CSV) bytes and their ETag (quoted, as sent); a large one
    also gzip-compressed once, for clients that accept it (see :func:`critmin.api.service
    .cached`)."""

    body: bytes
    etag: str
    gz: bytes | None = None

    @classmethod
    def of(cls, body: bytes) -> Encoded:
        gz = gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= GZIP_MIN else None
        return cls(body, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"', gz)

    @property
    def gz_etag(self) -> str:
        """The compressed variant's ETag (another representation: another tag)."""
        return self.etag[:-1] + '-gz"'


GZIP_MIN = 256 * 1024
"""Cached answers this large (bytes) are kept gzip-compressed too: the 2.2 MB CSV of
``/api/tables/flows`` becomes 0.29 MB (7.4x), compressed once per data version (38 ms of
CPU), so each read writes 0.29 MB to its connection instead of 2.2 MB."""


class DataState:
    """The network served, reloaded when its files change and have settled."""

    def __init__(self, data: str | Path | None, check_s: float = 2.0):
        self.data = Path(data) if data else None
        self.check_s = check_s
        self.version = fingerprint(self.data)
        """Fingerprint of the files the served network was read from."""
        self.net = load(self.data)
        self.content = data_version(self.net)
        """Version of the loaded tables' content (what runs and jobs record)."""
        self.seen = self.version
        """Fingerprint at the last check: changed files are read only when a check finds
        them as the one before left them."""
        self.rejected: str | None = None
        """Fingerprint of files that did not load (not read again until they change)."""
        self.problem: str | None = None
        """Why the last changed files were not loaded (None once new data is served)."""
        self._checked = time.monotonic()
        self._lock = threading.Lock()
        self.listeners: list = []
        """Called (no arguments, on the loop) after a new network is served."""
        self.preparers: list = []
        """Called with (network, version) in the data-check thread before it is served."""
        self.watched = False

    def check(self) -> bool:
        """Re-stat the files now; reload those that changed and have settled (unchanged
        since the last check). True when a new network came."""
        with self._lock:
            self._checked = time.monotonic()
            version = fingerprint(self.data)
            settled, self.seen = version == self.seen, version
            if version == self.version:
                self.problem = None  # the served files are back
            if version in (self.version, self.rejected) or not settled:
                return False
            try:
                net = load(self.data)
            except Exception as exc:  # the served network stays; say why, once per change
                first = exc.problems[0] if isinstance(exc, DataValidationError) else \
                    f"{type(exc).__name__}: {exc}"
                self.rejected, self.problem = version, str(first)
                print(f"critmin serve: changed data not loaded, kept the last valid "
                      f"version: {first}", file=sys.stderr)
                return False
            if fingerprint(self.data) != version:  # written to while it was read
                return False
            for fn in self.preparers:  # e.g. compute the busiest reads for the new data
                fn(net, version)
            self.net, self.version, self.content = net, version, data_version(net)
            self.rejected = self.problem = None
        return True

    def _changed(self) -> None:
        for fn in self.listeners:
            fn()

    def current(self):
        """The network; without a running :meth:`watch`, re-checked here every check_s."""
        if not self.watched and time.monotonic() - self._checked >= self.check_s \
                and self.check():
            self._changed()
        return self.net

    async def watch(self) -> None:
        """Re-check the files every check_s in a thread of its own (runs until cancelled)."""
        loop = asyncio.get_running_loop()
        pool = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="data-check")
        self.watched = True
        try:
            while True:
                await asyncio.sleep(self.check_s)
                if await loop.run_in_executor(pool, self.check):
                    self._changed()  # on the loop, like every reader of the cache
        finally:
            self.watched = False
            pool.shutdown(wait=False, cancel_futures=True)


class ReadsBusy(Exception):
    """Too many distinct reads are being computed already (answered 503)."""


class ReadCache:
    """Single-flight, per-version cache of computed reads (encoded JSON with ETag)."""

    def __init__(self, state: DataState, max_entries: int = 512, threads: int = 2,
                 max_flights: int = 32):
        self.state = state
        self.max_entries = max_entries
        self.max_flights = max_flights
        """Distinct computations queued or running at most; more are refused at once."""
        self.entries: OrderedDict[tuple, Encoded] = OrderedDict()
        self.recipes: OrderedDict[tuple, Callable[[Network], bytes]] = OrderedDict()
        """How each recently asked key is computed (for :meth:`prepare`), newest last."""
        self.flights: dict[tuple, asyncio.Future] = {}
        self.pool = cf.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="read")
        self.hits = 0
        self.misses = 0
        self.started = 0
        """Computations begun (a queued one whose clients all left never begins)."""
        self.dropped = 0
        """Queued computations dropped because every client waiting for them left."""
        self.waiters: dict[tuple, int] = {}
        self.work: dict[tuple, cf.Future] = {}
        self.enabled = os.environ.get("CRITMIN_READ_CACHE", "1") != "0"
        """``CRITMIN_READ_CACHE=0`` turns caching off (the uncached baseline of
        benchmarks/bench_load.py); never needed in service."""

    def clear(self) -> None:
        """Drop answers of other data versions (called after the data changed)."""
        for full in [k for k in self.entries if k[0] != self.state.version]:
            del self.entries[full]

    def prepare(self, net, version: str, limit: int = 16) -> None:
        """Compute the ``limit`` most recently asked reads for a new network before it is
        served, so that a data change does not send every client into a recomputation."""
        for key, compute in list(self.recipes.items())[-limit:]:
            with contextlib.suppress(Exception):  # a read the new data cannot answer
                self.entries[(version, *key)] = Encoded.of(compute(net))

    def _compute(self, compute, net) -> Encoded:
        self.started += 1
        return Encoded.of(compute(net))

    async def get(self, key: tuple, compute) -> Encoded:
        """The answer for ``key`` (plus the data version); ``compute(net) -> bytes`` on a
        miss, in the pool."""
        loop = asyncio.get_running_loop()
        net = self.state.current()
        if not self.enabled:  # baseline for benchmarks: every request computes
            self.misses += 1
            return await loop.run_in_executor(self.pool, self._compute, compute, net)
        self.recipes[key] = compute
        self.recipes.move_to_end(key)
        if len(self.recipes) > self.max_entries:
            self.recipes.popitem(last=False)
        full = (self.state.version, *key)
        hit = self.entries.get(full)
        if hit is not None:
            self.hits += 1
            self.entries.move_to_end(full)
            return hit
        flight = self.flights.get(full)
        if flight is None:
            if len(self.flights) >= self.max_flights:
                raise ReadsBusy(f"{len(self.flights)} reads are being computed; ask again "
                                "shortly")
            self.misses += 1
            flight = self._submit(full, compute, net)
        return await self._wait(full, flight)

    def _submit(self, full: tuple, compute, net) -> asyncio.Future:
        work = self.pool.submit(self._compute, compute, net)
        flight = asyncio.wrap_future(work)
        self.flights[full] = flight
        self.work[full] = work

        def store(fut):
            if self.flights.get(full) is fut:
                del self.flights[full], self.work[full]
            if not fut.cancelled() and fut.exception() is None:
                self.entries[full] = fut.result()
                while len(self.entries) > self.max_entries:
                    self.entries.popitem(last=False)

        flight.add_done_callback(store)
        return flight

    async def _wait(self, full: tuple, flight: asyncio.Future) -> Encoded:
        """Wait for a computation; when its last waiter leaves before it began, drop it
        (one that is running finishes and is kept for later requests)."""
        self.waiters[full] = self.waiters.get(full, 0) + 1
        try:
            return await asyncio.shield(flight)
        finally:
            self.waiters[full] -= 1
            if not self.waiters[full]:
                del self.waiters[full]
                if not flight.done() and self.work[full].cancel():
                    del self.flights[full], self.work[full]
                    self.dropped += 1

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
