"""The server's data and its computed reads, cached per data version.

:class:`DataState` holds the loaded network and a version: a hash of the name, size and
modification time of every table file (shipped and ``--data``). At most every few seconds
a request re-stats the files; when they changed and still validate, the network is
reloaded, the version changes and every cached read is dropped (invalid new data is
reported on stderr and the last valid data kept).

:class:`ReadCache` computes each read (summary, assessment, scenarios, ...) at most once
per key and data version, in a small thread pool of its own: concurrent requests for the
same key wait for the one computation ("single flight"), and a request that is cancelled
(client gone, timeout) leaves the computation to finish for the others. Keys are bounded
(validated parameters), so the work a client can cause is bounded too.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import hashlib
import os
import sys
import threading
import time
from collections import OrderedDict
from pathlib import Path

from critmin.data.io import SUFFIXES, shipped_dir
from critmin.data.schemas import TABLES
from critmin.data.validate import DataValidationError
from critmin.model.network import load


def _files(data: Path | None) -> list[Path]:
    dirs = [shipped_dir(), *([Path(data)] if data else [])]
    return [d / f"{n}{s}" for d in dirs for n in TABLES for s in SUFFIXES
            if (d / f"{n}{s}").exists()]


def fingerprint(data: Path | None) -> str:
    """Hash of every table file's path, size and mtime (ns)."""
    h = hashlib.sha256()
    for p in _files(data):
        st = p.stat()
        h.update(f"{p}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


class DataState:
    """The network served, reloaded when its files change."""

    def __init__(self, data: str | Path | None, check_s: float = 2.0):
        self.data = Path(data) if data else None
        self.check_s = check_s
        self.version = fingerprint(self.data)
        self.net = load(self.data)
        self._checked = time.monotonic()
        self._lock = threading.Lock()
        self.listeners: list = []

    def current(self):
        """The network, after reloading it if its files changed (checked every check_s)."""
        if time.monotonic() - self._checked < self.check_s:
            return self.net
        with self._lock:
            if time.monotonic() - self._checked < self.check_s:
                return self.net
            self._checked = time.monotonic()
            version = fingerprint(self.data)
            if version != self.version:
                try:
                    net = load(self.data)
                except DataValidationError as exc:
                    print(f"critmin serve: changed data not loaded, kept the last valid "
                          f"version: {exc.problems[0]}", file=sys.stderr)
                    self.version = version
                    return self.net
                self.net, self.version = net, version
                for fn in self.listeners:
                    fn()
        return self.net


class ReadCache:
    """Single-flight, per-version cache of computed reads (bytes of JSON)."""

    def __init__(self, state: DataState, max_entries: int = 512, threads: int = 2):
        self.state = state
        self.max_entries = max_entries
        self.entries: OrderedDict[tuple, bytes] = OrderedDict()
        self.flights: dict[tuple, asyncio.Future] = {}
        self.pool = cf.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="read")
        self.hits = 0
        self.misses = 0
        self.enabled = os.environ.get("CRITMIN_READ_CACHE", "1") != "0"
        """``CRITMIN_READ_CACHE=0`` turns caching off (the uncached baseline of
        benchmarks/bench_load.py); never needed in service."""

    def clear(self) -> None:
        self.entries.clear()

    async def get(self, key: tuple, compute) -> bytes:
        """Bytes for ``key`` (plus the data version); ``compute(net) -> bytes`` on a miss."""
        loop = asyncio.get_running_loop()
        if time.monotonic() - self.state._checked >= self.state.check_s:
            await loop.run_in_executor(self.pool, self.state.current)
        if not self.enabled:  # baseline for benchmarks: every request computes
            self.misses += 1
            return await loop.run_in_executor(self.pool, compute, self.state.net)
        full = (self.state.version, *key)
        hit = self.entries.get(full)
        if hit is not None:
            self.hits += 1
            self.entries.move_to_end(full)
            return hit
        flight = self.flights.get(full)
        if flight is None:
            self.misses += 1
            net = self.state.net
            flight = loop.run_in_executor(self.pool, compute, net)
            self.flights[full] = flight

            def store(fut, full=full):
                self.flights.pop(full, None)
                if not fut.cancelled() and fut.exception() is None:
                    self.entries[full] = fut.result()
                    while len(self.entries) > self.max_entries:
                        self.entries.popitem(last=False)

            flight.add_done_callback(store)
        return await asyncio.shield(flight)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
