"""A computed read whose clients all leave before it begins is never computed: the server
notices the disconnect, cancels the request and drops the queued work. Asserted on the read
cache's counters of an in-process server (uvicorn in a thread, a real socket), not on
times."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest
import uvicorn

from critmin.api.app import create_app
from critmin.api.settings import Settings

from ..conftest import free_port
from .test_processes import wait_for

READ = "/api/tables/production?limit=7&offset=3"  # one computation, nothing before it


@pytest.fixture
def live(tmp_path):
    app = create_app(tmp_path / "r.db", settings=Settings(workers=1))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started and app.state.warm.done(), 300)  # reads warmed up
    yield app, f"http://127.0.0.1:{port}", port
    server.should_exit = True
    thread.join(30)


def test_queued_read_is_dropped_when_its_client_disconnects(live):
    app, url, port = live
    cache = app.state.cache
    gate = threading.Event()
    busy = [cache.pool.submit(gate.wait) for _ in range(cache.pool._max_workers)]
    misses, started = cache.misses, cache.started
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(f"GET {READ} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        wait_for(lambda: cache.misses == misses + 1)  # queued behind the busy threads
        assert cache.flights and cache.started == started
    wait_for(lambda: cache.dropped == 1, 60)  # the client left: its work is dropped
    gate.set()
    for f in busy:
        f.result(timeout=60)
    assert cache.started == started and not cache.flights and not cache.waiters
    r = httpx.get(url + READ, timeout=120)  # a later client gets it computed afresh
    assert r.status_code == 200 and len(r.json()) == 7
    assert cache.started == started + 1 and cache.dropped == 1


def test_read_shared_by_a_client_that_stays_is_kept(live):
    app, _, port = live
    cache = app.state.cache
    gate = threading.Event()
    busy = [cache.pool.submit(gate.wait) for _ in range(cache.pool._max_workers)]
    misses = cache.misses
    stays = socket.create_connection(("127.0.0.1", port))
    with socket.create_connection(("127.0.0.1", port)) as leaves:
        for s in (leaves, stays):
            s.sendall(f"GET {READ} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        wait_for(lambda: sum(cache.waiters.values()) == 2)
    wait_for(lambda: sum(cache.waiters.values()) == 1)
    gate.set()
    with stays:
        head = stays.recv(65536)
    assert head.startswith(b"HTTP/1.1 200") and cache.dropped == 0
    assert cache.misses == misses + 1  # one computation served both
    for f in busy:
        f.result(timeout=60)


def test_reads_waiting_for_computation_are_bounded(live):
    app, url, port = live
    cache = app.state.cache
    gate = threading.Event()
    busy = [cache.pool.submit(gate.wait) for _ in range(cache.pool._max_workers)]
    cache.max_flights = 2
    waiting = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
    for k, s in enumerate(waiting):  # two distinct reads queue behind the busy threads
        s.sendall(f"GET /api/tables/production?limit={k + 1} HTTP/1.1\r\nHost: x\r\n\r\n"
                  .encode())
    wait_for(lambda: len(cache.flights) == 2)
    r = httpx.get(url + "/api/tables/production?limit=3", timeout=60)
    assert r.status_code == 503 and r.headers["retry-after"]
    assert "\n" not in r.json()["detail"] and len(cache.flights) == 2
    assert httpx.get(url + "/api/health", timeout=60).status_code == 200
    gate.set()
    for s in waiting:
        with s:
            assert s.recv(65536).startswith(b"HTTP/1.1 200")
    for f in busy:
        f.result(timeout=60)
    assert httpx.get(url + "/api/tables/production?limit=3", timeout=60).status_code == 200
